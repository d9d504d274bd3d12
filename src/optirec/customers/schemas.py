"""What the customers API accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from optirec.catalog.schemas import Money
from optirec.eyewear.prescription import FaceWidth, Prescription, PupillaryDistance
from optirec.inputs import Input

CustomerId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:@\-]+$")]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=64, to_lower=True, strip_whitespace=True)]


class Preferences(BaseModel):
    """Style preferences a shopper states; each a short list."""

    model_config = ConfigDict(extra="forbid")

    shapes: list[Tag] = Field(default_factory=list, max_length=20)
    colours: list[Tag] = Field(default_factory=list, max_length=20)
    materials: list[Tag] = Field(default_factory=list, max_length=20)
    brands: list[Tag] = Field(default_factory=list, max_length=20)
    rim_types: list[Tag] = Field(default_factory=list, max_length=3)


class Consent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    personalization: bool = Field(True, description="Use my behaviour to personalise what I am shown.")


class ProfileFields(Input):
    """The fitting profile; in a PATCH only the fields sent change, and `null` clears one."""

    model_config = ConfigDict(extra="forbid")

    prescription: Prescription | None = None
    pd_mm: PupillaryDistance | None = None
    face_width_mm: FaceWidth | None = None
    birth_year: int | None = Field(None, ge=1900, le=2030)
    preferences: Preferences | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    consent: Consent | None = None

    @model_validator(mode="after")
    def _budget_order(self) -> ProfileFields:
        if self.budget_min is not None and self.budget_max is not None and self.budget_min > self.budget_max:
            raise ValueError(f"budget_min ({self.budget_min}) is above budget_max ({self.budget_max})")
        return self


class ProfileUpdate(ProfileFields):
    pass


class CustomerUpsert(ProfileFields):
    """A customer loaded by the shop's server (service key): their id and profile, no password."""

    email: str | None = Field(None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CustomerImport(CustomerUpsert):
    id: CustomerId


class ProfilePublic(BaseModel):
    prescription: Prescription | None = None
    pd_mm: float | None = None
    face_width_mm: float | None = None
    birth_year: int | None = None
    preferences: Preferences = Field(default_factory=Preferences)
    budget_min: Money | None = None
    budget_max: Money | None = None
    consent: Consent = Field(default_factory=Consent)


class CustomerPublic(BaseModel):
    id: str
    email: str | None
    role: str
    created_at: datetime
    profile: ProfilePublic
