"""What the catalog API and importers accept and return."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, StringConstraints, model_validator

from optirec.errors import clipped
from optirec.inputs import Input

ProductId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:\-]+$")]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=64, to_lower=True, strip_whitespace=True)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2),
    PlainSerializer(float, return_type=float, when_used="json"),
]
RimType = Literal["full-rim", "semi-rimless", "rimless"]
Audience = Literal["adults", "kids"]
Gender = Literal["women", "men", "unisex"]
AttributeValue = str | int | float | bool | list[str]

# Physical limits of a frame. Outside them a measurement is a typo, not a product.
LENS_WIDTH = (30.0, 75.0)
BRIDGE = (10.0, 30.0)
TEMPLE = (100.0, 165.0)
LENS_HEIGHT = (15.0, 70.0)
FRAME_WIDTH = (90.0, 175.0)


def _mm(lo: float, hi: float, what: str) -> Any:
    return Field(None, ge=lo, le=hi, description=f"{what} in mm ({lo:g}–{hi:g}).")


class ProductFields(Input):
    """The fields a product may carry; every one optional, so that updates can send only what changes."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    brand: str | None = Field(None, max_length=100)
    category: Slug | None = Field(None, description="eyeglasses, sunglasses, accessories, or the shop's own.")
    audience: Audience | None = None
    gender: Gender | None = None
    shape: Slug | None = Field(None, description="round, square, rectangle, oval, cat-eye, aviator, browline…")
    material: str | None = Field(None, max_length=64)
    colour: str | None = Field(None, max_length=64)
    rim_type: RimType | None = None
    lens_width_mm: float | None = _mm(*LENS_WIDTH, "Lens width")
    bridge_mm: float | None = _mm(*BRIDGE, "Bridge width")
    temple_length_mm: float | None = _mm(*TEMPLE, "Temple length")
    lens_height_mm: float | None = _mm(*LENS_HEIGHT, "Lens height")
    frame_width_mm: float | None = _mm(*FRAME_WIDTH, "Total frame width")
    rx_capable: bool | None = Field(None, description="Whether prescription lenses can be fitted.")
    sphere_min: float | None = Field(None, ge=-20, le=20, description="Lowest sphere power the frame takes (D).")
    sphere_max: float | None = Field(None, ge=-20, le=20, description="Highest sphere power the frame takes (D).")
    cylinder_max: float | None = Field(None, ge=0, le=6, description="Largest cylinder magnitude it takes (D).")
    progressive: bool | None = Field(None, description="Whether progressive and bifocal lenses fit.")
    price: Money | None = None
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$", description="ISO 4217 code, e.g. EUR.")
    stock: int | None = Field(None, ge=0, le=10_000_000)
    description: str | None = Field(None, max_length=5000)
    image_urls: list[Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=500)]] | None = Field(
        None, max_length=20
    )
    attributes: dict[Annotated[str, StringConstraints(min_length=1, max_length=64)], AttributeValue] | None = Field(
        None, max_length=50
    )
    active: bool | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProductFields:
        check_consistency(self.model_dump(exclude_none=True))
        return self


def check_consistency(values: dict[str, Any]) -> None:
    """Cross-field rules of a product, on the merged values of a create or an update."""
    lo, hi = values.get("sphere_min"), values.get("sphere_max")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"sphere_min ({lo:+.2f}) is above sphere_max ({hi:+.2f})")
    width, height = values.get("lens_width_mm"), values.get("lens_height_mm")
    if width is not None and height is not None and height > width * 1.2:
        raise ValueError(f"lens height {height:g} mm is more than 1.2 × the lens width {width:g} mm")
    frame, bridge = values.get("frame_width_mm"), values.get("bridge_mm")
    if frame is not None and width is not None and bridge is not None and frame < 2 * width + bridge:
        raise ValueError(
            f"total frame width {frame:g} mm is less than two lenses and the bridge ({2 * width + bridge:g} mm)"
        )


class ProductCreate(ProductFields):
    id: ProductId
    name: str = Field(min_length=1, max_length=200)
    category: Slug
    price: Money
    currency: str = Field("EUR", pattern=r"^[A-Z]{3}$")
    stock: int = Field(0, ge=0, le=10_000_000)


class ProductUpdate(ProductFields):
    """A partial update: only the fields sent change."""


class ProductPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    brand: str | None
    category: str
    audience: str
    gender: str | None
    shape: str | None
    material: str | None
    colour: str | None
    rim_type: str | None
    lens_width_mm: float | None
    bridge_mm: float | None
    temple_length_mm: float | None
    lens_height_mm: float | None
    frame_width_mm: float | None
    rx_capable: bool
    sphere_min: float | None
    sphere_max: float | None
    cylinder_max: float | None
    progressive: bool
    price: Money
    currency: str
    stock: int
    description: str
    image_urls: list[str]
    attributes: dict[str, Any]
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductPage(BaseModel):
    items: list[ProductPublic]
    total: int
    limit: int
    offset: int


class ProductFilter(Input):
    """Filters of the product list; every one optional."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = None
    brand: str | None = None
    shape: str | None = None
    rim_type: RimType | None = None
    material: str | None = Field(None, max_length=64)
    price_min: Decimal | None = Field(None, ge=0)
    price_max: Decimal | None = Field(None, ge=0)
    in_stock: bool | None = None
    active: bool | None = True
    q: str | None = Field(None, max_length=100, description="Words to find in name, brand or description.")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=10_000_000)  # bounded: a larger one overflowed the database integer (500)

    @model_validator(mode="after")
    def _price_order(self) -> ProductFilter:
        if self.price_min is not None and self.price_max is not None and self.price_min > self.price_max:
            raise ValueError(
                f"price_min ({clipped(str(self.price_min))}) is above price_max ({clipped(str(self.price_max))})"
            )
        return self
