"""What the inspectors answer: a customer with the prescription masked, a product with how it performs and whom it
fits, and the catalog's fit coverage."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel, Field

from optirec.catalog.schemas import ProductPublic
from optirec.customers.schemas import Consent, Preferences
from optirec.eyewear.prescription import Prescription


class CustomerFound(BaseModel):
    id: str
    email: str | None
    role: str
    created_at: datetime


class MaskedProfile(BaseModel):
    """The fitting profile without the prescription: only whether one is on file (`prescription_on_file`)."""

    prescription_on_file: bool = False
    pd_mm: float | None = None
    face_width_mm: float | None = None
    birth_year: int | None = None
    preferences: Preferences = Field(default_factory=Preferences)
    budget_min: Decimal | None = None
    budget_max: Decimal | None = None
    consent: Consent = Field(default_factory=Consent)


class SignalSeen(BaseModel):
    occurred_at: datetime
    action_type: str
    product_id: str
    product_name: str | None  # None for a product the catalog does not hold
    recommendation_id: str | None


class CustomerInspected(BaseModel):
    id: str
    email: str | None
    role: str
    created_at: datetime
    profile: MaskedProfile
    signals: int = Field(description="Every signal stored for the customer.")
    lists_served: int
    recent_signals: list[SignalSeen] = Field(description="The latest signals, newest first.")


class PrescriptionRevealed(BaseModel):
    customer_id: str
    prescription: Prescription | None  # None: none on file


class ProductFound(BaseModel):
    id: str
    name: str
    brand: str | None
    category: str
    stock: int
    active: bool


class Performance(BaseModel):
    """What shoppers did with the product: every signal stored for it, by action."""

    views: int
    add_to_carts: int
    purchases: int
    other: int = Field(description="Signals of the shop's other action types.")
    attributed_lists: int = Field(description="Distinct served lists that led to a signal on this product.")


class FitShare(BaseModel):
    """Whom the product suits among the customers with a prescription or a face width on file."""

    customers: int = Field(description="Every customer account.")
    measured: int = Field(description="Customers with a prescription or a face width on file.")
    fits: int = Field(description="Of those, customers whose prescription and face the product suits.")
    share: float | None = Field(description="fits / measured; None with nobody measured.")
    failing: dict[str, int] = Field(description="Per rule, measured customers it fails (a customer may fail two).")


class ProductInspected(BaseModel):
    product: ProductPublic
    performance: Performance
    fit: FitShare


class CoverageCell(BaseModel):
    face_width_mm: float
    frames: int
    customers: int = Field(0, description="Customers whose prescription and face width fall in this cell.")


class CoverageRow(BaseModel):
    sphere: float
    cylinder: float
    cells: list[CoverageCell]


class CoverageTable(BaseModel):
    progressive: bool
    rows: list[CoverageRow]


class Coverage(BaseModel):
    """In-stock prescription frames that fit a representative wearer of each band (the band's middle)."""

    catalog_version: str
    frames_in_stock: int = Field(description="In-stock eyeglass frames considered.")
    pd_mm: float = Field(description="The pupillary distance every representative wearer has.")
    addition: float = Field(description="The addition of the progressive wearers (both eyes).")
    sphere_bands: list[tuple[float, float]]
    cylinder_bands: list[tuple[float, float]]
    face_width_bands: list[tuple[float, float]]
    tables: list[CoverageTable]
    empty_cells: int = Field(description="Cells where no in-stock frame fits.")
    customers_placed: int = Field(0, description="Customers with a prescription and a face width within the bands.")
    customers_without_choice: int = Field(0, description="Of those, customers in a cell where no frame fits.")
