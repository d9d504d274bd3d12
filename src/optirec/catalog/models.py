"""The product table: eyewear frames with measurements and the prescription range they take."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Boolean, Float, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from optirec.db import Base, JSONType, UTCDateTime, utcnow


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    audience: Mapped[str] = mapped_column(String(16), default="adults")
    gender: Mapped[str | None] = mapped_column(String(16))
    shape: Mapped[str | None] = mapped_column(String(32), index=True)
    material: Mapped[str | None] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(64))
    rim_type: Mapped[str | None] = mapped_column(String(16))
    lens_width_mm: Mapped[float | None] = mapped_column(Float)
    bridge_mm: Mapped[float | None] = mapped_column(Float)
    temple_length_mm: Mapped[float | None] = mapped_column(Float)
    lens_height_mm: Mapped[float | None] = mapped_column(Float)
    frame_width_mm: Mapped[float | None] = mapped_column(Float)
    rx_capable: Mapped[bool] = mapped_column(Boolean, default=True)
    sphere_min: Mapped[float | None] = mapped_column(Float)
    sphere_max: Mapped[float | None] = mapped_column(Float)
    cylinder_max: Mapped[float | None] = mapped_column(Float)
    progressive: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    image_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_products_price", "price"),)
