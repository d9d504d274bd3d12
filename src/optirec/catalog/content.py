"""What a product says about itself to a model: its attribute tokens and its text, the same at training and at
serving (where they score products a model has not seen yet)."""

from __future__ import annotations

from typing import Any

CONTENT_COLUMNS = ("category", "brand", "shape", "material", "colour", "rim_type", "audience", "gender")


def product_attributes(product: Any) -> dict[str, str]:
    """The attribute tokens of a product (its columns in `CONTENT_COLUMNS` that hold a value), lower-cased."""
    return {name: str(value).lower() for name in CONTENT_COLUMNS if (value := getattr(product, name, None))}


def product_text(product: Any) -> str:
    """Its name and description, as the sentence encoder reads them."""
    return f"{product.name}. {product.description or ''}".strip()
