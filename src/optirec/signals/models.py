"""Behaviour signals: append-only, idempotent by the client's `event_id` within the shopper's own ids."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, ColumnElement, Index, Integer, Numeric, String, UniqueConstraint, and_, text
from sqlalchemy.orm import Mapped, mapped_column

from optirec.db import Base, JSONType, UTCDateTime, utcnow

# The signals that say a shopper meant it (a cart, a purchase): a few per cent of all signals. Their own partial
# index serves the per-request "already bought" lookup and the segment counts without reading the views. Queries
# must repeat this exact condition (as SQL text, not bound values) for the planners to use the index.
INTENT_ACTIONS = ("add_to_cart", "purchase")
INTENT_CONDITION = f"action_type IN ({', '.join(repr(action) for action in INTENT_ACTIONS)})"

_LATEST = ("occurred_at", "id", "product_id", "action_type")


def event_scope(customer_id: str | None, session_id: str | None) -> str:
    """The namespace of a signal's `event_id`: the shopper it is about (a customer, else an anonymous session), fixed
    when it is stored. Event ids are unique within a shopper's own, so no caller can take another shopper's id, nor
    learn whether it exists; linking a session to an account later does not change it."""
    if customer_id is not None:
        return f"c:{customer_id}"
    if session_id is not None:
        return f"s:{session_id}"
    raise ValueError("a signal needs a customer_id or a session_id")


# The times a stored signal can have once the API checks them (`schemas.check_occurred_at`), with room for clocks
# ahead. Reads that turn stored times into datetimes keep to it (`Signal.stored_in_window`): a row stored before the
# check (a year 999 that SQLite's text form no longer parses, a year BC that PostgreSQL keeps and Python cannot read)
# must not break a training, an export or the popularity counts.
STORED_TIMES = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


class Signal(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128))
    event_scope: Mapped[str] = mapped_column(String(130))  # `event_scope(customer_id, session_id)`
    customer_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    product_known: Mapped[bool] = mapped_column(Boolean)
    action_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recommendation_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        # Idempotency: one signal per event id and shopper. The event id leads, so that a batch's ids are found by
        # their own list (`event_id IN (…)`) and their shoppers compared after.
        UniqueConstraint("event_id", "event_scope", name="uq_signals_event_id_scope"),
        # A shopper's signals in time order, holding what every list reads of its latest ones (the tie-break id, the
        # product, the action): the read is one range of the index, with no lookup in the table per signal.
        Index("ix_signals_customer_latest", "customer_id", *_LATEST),
        # Most signals carry no session or recommendation: partial indexes keep inserts cheap.
        Index(
            "ix_signals_session_latest",
            "session_id",
            *_LATEST,
            sqlite_where=text("session_id IS NOT NULL"),
            postgresql_where=text("session_id IS NOT NULL"),
        ),
        Index(
            "ix_signals_recommendation",
            "recommendation_id",
            sqlite_where=text("recommendation_id IS NOT NULL"),
            postgresql_where=text("recommendation_id IS NOT NULL"),
        ),
        Index(
            "ix_signals_customer_intent",
            "customer_id",
            "action_type",
            "product_id",
            sqlite_where=text(INTENT_CONDITION),
            postgresql_where=text(INTENT_CONDITION),
        ),
    )

    @classmethod
    def stored_in_window(cls) -> ColumnElement[bool]:
        """Signals whose stored time lies in `STORED_TIMES` (on SQLite too, where times are compared as text: a year
        not written with four digits sorts outside it)."""
        earliest, latest = STORED_TIMES
        return and_(cls.occurred_at >= earliest, cls.occurred_at < latest)
