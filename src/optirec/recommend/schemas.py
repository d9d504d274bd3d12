"""What the recommendation endpoints accept and return."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from optirec.catalog.schemas import Money, ProductId
from optirec.customers.schemas import CustomerId
from optirec.errors import clipped
from optirec.eyewear.prescription import FaceWidth, Prescription, PupillaryDistance
from optirec.eyewear.wearer import Wearer
from optirec.inputs import Input
from optirec.signals.schemas import SessionId

Page = Literal["home", "product", "cart", "checkout", "search", "category"]
PrescriptionKind = Literal["none", "myopia", "hyperopia", "multifocal"]
AttributeFilter = dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], str | int | float | bool]


class RecommendationContext(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: Page = "home"
    product_id: ProductId | None = Field(None, description="The product on screen.")
    cart: list[ProductId] = Field(default_factory=list, max_length=100, description="The products in the cart.")


class RecommendationFilters(Input):
    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(None, max_length=64)
    brand: str | None = Field(None, max_length=100)
    shape: str | None = Field(None, max_length=32)
    rim_type: Literal["full-rim", "semi-rimless", "rimless"] | None = None
    material: str | None = Field(None, max_length=64)
    price_min: Decimal | None = Field(None, ge=0)
    price_max: Decimal | None = Field(None, ge=0)
    attributes: AttributeFilter = Field(default={}, max_length=20)  # a factory here broke /openapi.json (a warning)

    @model_validator(mode="after")
    def _price_order(self) -> RecommendationFilters:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError(
                f"price_min ({clipped(str(self.price_min))}) is above price_max ({clipped(str(self.price_max))})"
            )
        return self


class StatedWearer(Input):
    """What a shopper without a stored profile (an anonymous visitor) says about themselves, validated as a profile
    is. It serves the request that carries it and is never stored or logged: prescriptions are health data."""

    model_config = ConfigDict(extra="forbid")

    prescription: Prescription | None = None
    prescription_kind: PrescriptionKind | None = Field(
        None,
        description="The kind of prescription when the prescription itself is not given: none, myopia (short "
        "sight), hyperopia (long sight) or multifocal (a reading addition). Picks the popular frames of that kind; "
        "only a prescription lets the lens rules check a frame.",
    )
    pd_mm: PupillaryDistance | None = None
    face_width_mm: FaceWidth | None = None

    @model_validator(mode="after")
    def _prescription_or_kind(self) -> StatedWearer:
        if self.prescription is not None and self.prescription_kind is not None:
            raise ValueError("Send the prescription or its kind, not both: the kind is read from the prescription")
        return self

    def wearer(self) -> Wearer:
        """As the rules see it."""
        return Wearer.from_profile(self)


class PersonalizedRequest(Input):
    """Who to recommend for, where, and under which constraints."""

    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId | None = Field(None, description="Service keys only; a customer's token stands for them.")
    session_id: SessionId | None = Field(None, description="An anonymous shopper's session (service keys).")
    limit: int = Field(12, ge=1, le=100, description="How many products to return (1–100).")
    context: RecommendationContext = Field(default_factory=RecommendationContext)
    filters: RecommendationFilters = Field(default_factory=RecommendationFilters)
    exclude: list[ProductId] = Field(default_factory=list, max_length=500)
    diversity: float = Field(0.3, ge=0, le=1, description="0 = pure relevance, 1 = as varied as possible.")
    explain: bool = Field(True, description="Attach reasons to every item.")
    wearer: StatedWearer | None = Field(
        None,
        description="An anonymous shopper's own prescription, measurements or prescription kind, for this list "
        "only (never stored or logged). Ignored when the list is for a customer: their stored profile applies.",
    )


class ListRequest(Input):
    """Options shared by the similar-products and complete-the-look lists."""

    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId | None = None
    session_id: SessionId | None = None
    limit: int = Field(12, ge=1, le=100)
    filters: RecommendationFilters = Field(default_factory=RecommendationFilters)
    exclude: list[ProductId] = Field(default_factory=list, max_length=500)
    diversity: float = Field(0.2, ge=0, le=1)
    explain: bool = True
    wearer: StatedWearer | None = Field(None, description="As in the personalized request.")


class SimilarRequest(ListRequest):
    """`POST /similar/{product_id}`: the query parameters of the GET as a JSON body, which may carry a stated
    wearer (health data never goes into a URL)."""


class CompleteTheLookRequest(ListRequest):
    cart: list[ProductId] = Field(min_length=1, max_length=100, description="The products in the cart.")


class ProductSummary(BaseModel):
    id: str
    name: str
    brand: str | None
    category: str
    shape: str | None
    colour: str | None
    material: str | None
    rim_type: str | None
    lens_width_mm: float | None
    lens_height_mm: float | None
    bridge_mm: float | None
    price: Money
    currency: str
    image_url: str | None


class RecommendedItem(BaseModel):
    rank: int
    score: float
    product: ProductSummary
    reasons: list[str] = Field(default_factory=list)


class RecommendationResponse(BaseModel):
    recommendation_id: str = Field(description="Send it back with the signals this list causes (attribution).")
    model_version: str = Field(description="The model that ranked the list, or `popularity` before any model.")
    items: list[RecommendedItem]
    filtered: dict[str, int] = Field(description="How many candidates each hard filter removed.")
    fallback: bool = Field(description="Whether popular products filled the list (too few personal candidates).")
    fallback_reason: str | None = None
