"""What the signals API accepts and returns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from optirec.catalog.schemas import Money, ProductId
from optirec.customers.schemas import CustomerId
from optirec.inputs import Input

EventId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")]
SessionId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@\-]+$")]
RecommendationId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@\-]+$")]
# The window a signal's time must fall in: nothing happened in a shop before 2000, and a client's clock may run at most
# a day ahead. A time outside it is a typo or an attack; stored, it broke exports and training (years before 1000 do
# not survive SQLite's text form, PostgreSQL keeps years BC that Python cannot read).
EARLIEST_SIGNAL = datetime(2000, 1, 1, tzinfo=UTC)
MAX_CLOCK_SKEW = timedelta(days=1)


class OutsideWindow(ValueError):
    """A signal's time outside [2000-01-01, now + 1 day]."""


def check_occurred_at(value: datetime) -> datetime:
    """`value` (aware) if it lies in the window [2000-01-01, now + 1 day]; `OutsideWindow` saying which end it
    misses."""
    if EARLIEST_SIGNAL <= value <= datetime.now(UTC) + MAX_CLOCK_SKEW:
        return value
    if value < EARLIEST_SIGNAL:
        raise OutsideWindow("the time is before 2000-01-01; check the client's clock or the file's time column")
    raise OutsideWindow("the time is more than a day in the future; check the client's clock")


class SignalContext(Input):
    """Where the signal happened. Free-form keys beyond these are kept as given (20 at most)."""

    model_config = ConfigDict(extra="allow")

    page: str | None = Field(None, max_length=32, description="home, product, cart, checkout, search…")
    device: str | None = Field(None, max_length=32, description="desktop, mobile, tablet, app…")

    @model_validator(mode="after")
    def _small(self) -> SignalContext:
        extra = self.model_extra or {}
        if len(extra) > 20 or any(len(str(value)) > 200 for value in extra.values()):
            raise ValueError("context may hold at most 20 extra keys of 200 characters each")
        return self


class SignalIn(BaseModel):
    """One behaviour signal. `event_id` is made by the client; sending the same event again (the same id and time, for
    the same shopper) is acknowledged and ignored.

    Not an `Input` itself, for speed (a batch validates a thousand): its ids' patterns refuse a NUL character, its
    numbers (a decimal price, a whole quantity) refuse NaN, and `context`, its only free text, is an `Input`."""

    model_config = ConfigDict(extra="forbid")

    event_id: EventId
    customer_id: CustomerId | None = None
    session_id: SessionId | None = None
    product_id: ProductId
    action_type: Annotated[str, StringConstraints(min_length=1, max_length=32)]
    occurred_at: AwareDatetime = Field(
        description="When it happened, ISO 8601 with a time zone, from 2000-01-01 to at most a day ahead."
    )
    recommendation_id: RecommendationId | None = None
    quantity: int = Field(1, ge=1, le=1000)
    price: Money | None = None
    context: SignalContext | None = None

    @model_validator(mode="after")
    def _who(self) -> SignalIn:
        if self.customer_id is None and self.session_id is None:
            raise ValueError("a signal needs a customer_id or an anonymous session_id")
        return self

    @field_validator("occurred_at")
    @classmethod
    def _in_window(cls, value: datetime) -> datetime:
        return check_occurred_at(value)


class SignalError(BaseModel):
    index: int = Field(description="Position of the rejected signal in the request (0 for a single signal).")
    event_id: str | None
    message: str


class SignalReceipt(BaseModel):
    """What happened to a request's signals. It is sent only after they are committed."""

    accepted: int = Field(description="New signals stored.")
    duplicates: int = Field(
        description="Signals already stored (the same event_id and occurred_at for the same shopper): "
        "acknowledged, not stored again."
    )
    rejected: int = Field(description="Signals refused; see errors.")
    unknown_products: int = Field(description="Stored signals about products the catalog does not know (yet).")
    errors: list[SignalError] = Field(default_factory=list)


def _inlined(schema: dict[str, Any]) -> dict[str, Any]:
    """A model's JSON schema with its `$defs` written in place: a hand-made OpenAPI body cannot point into them."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {key: walk(value) for key, value in node.items()}
        return [walk(value) for value in node] if isinstance(node, list) else node

    return walk(schema)  # type: ignore[no-any-return]


# The view parses the body itself (to report each bad signal on its own), so FastAPI does not put `SignalIn` into
# the document's components: the schema is written out here instead of referring to them.
_SIGNAL = _inlined(SignalIn.model_json_schema())
_BATCH = {"type": "array", "items": _SIGNAL, "minItems": 1, "maxItems": 1000}
SIGNALS_REQUEST_SCHEMA: dict[str, Any] = {
    "oneOf": [
        _SIGNAL,
        _BATCH,
        {"type": "object", "properties": {"signals": _BATCH}, "required": ["signals"]},
    ]
}
