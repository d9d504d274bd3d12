"""What the fit endpoints accept and return."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optirec.catalog.schemas import ProductPublic
from optirec.customers.schemas import CustomerId
from optirec.inputs import Input
from optirec.recommend.schemas import PrescriptionKind, RecommendationFilters, StatedWearer

WearerSource = Literal["profile", "stated", "none"]
Sort = Literal["popular", "price_asc", "price_desc", "name"]


class FitRequest(Input):
    """Whose fit: a customer's stored profile (their token, or a service key naming them), else the stated wearer."""

    model_config = ConfigDict(extra="forbid")

    customer_id: CustomerId | None = Field(None, description="Service keys only; a customer's token stands for them.")
    wearer: StatedWearer | None = Field(
        None, description="A shopper without a stored profile: what they said of themselves (never stored or logged)."
    )


class BrowseFilters(RecommendationFilters):
    q: str | None = Field(None, max_length=100, description="Words to find in name, brand or description.")


class BrowseRequest(FitRequest):
    filters: BrowseFilters = Field(default_factory=BrowseFilters)
    fits_me: bool = Field(False, description="List only the products that pass every hard rule for the shopper.")
    sort: Sort = "popular"
    limit: int = Field(24, ge=1, le=100)
    offset: int = Field(0, ge=0, le=100_000)


class RuleAnswer(BaseModel):
    rule: str = Field(description="The rule's name, as in the lists' `filtered` counts (`rule:<name>`).")
    label: str = Field(description="What the rule is about, in a shopper's words.")
    passed: bool
    checked: bool = Field(description="False when the rule did not apply (no prescription on file, not a frame…).")
    reason: str = Field(description="Why it passed or failed, in a shopper's words.")
    frame: str | None = Field(description="The frame's own figure the rule compared, when it has one.")


class FitPanel(BaseModel):
    product_id: str
    wearer: WearerSource = Field(description="Whose measurements were used.")
    passed: bool = Field(description="Whether the product passes every hard rule for the shopper.")
    fit_score: float = Field(description="Closeness of fit, 0…1 (0.5 when nothing could be compared).")
    rules: list[RuleAnswer]


class FitCounts(BaseModel):
    considered: int = Field(description="Products for sale that match the filters and words.")
    hidden: int = Field(description="Of those, how many break a hard rule for the shopper.")
    by_rule: dict[str, int] = Field(description="Per rule, the products whose first failed rule it is.")


class BrowsePage(BaseModel):
    items: list[ProductPublic]
    total: int = Field(description="Products listed: those considered, less the hidden ones when `fits_me`.")
    limit: int
    offset: int
    fits_me: bool
    wearer: WearerSource
    fit: FitCounts
    facets: dict[str, list[str]] = Field(
        description="The values of `category`, `shape`, `rim_type` and `material` among the products for sale, for "
        "the listing's filters."
    )


class WearerCheck(BaseModel):
    prescription_kind: PrescriptionKind
    face_size: Literal["narrow", "medium", "wide", "unknown"]
