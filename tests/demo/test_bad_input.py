"""Imported products with impossible measurements are refused, with a reason (the importer adds the line)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from optirec.catalog.schemas import ProductCreate

GOOD: dict[str, Any] = {"id": "F1", "name": "Avery", "category": "eyeglasses", "price": 99, "lens_width_mm": 50,
                        "bridge_mm": 18, "lens_height_mm": 40, "sphere_min": -6, "sphere_max": 4}  # fmt: skip


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"lens_width_mm": -50}, "greater than or equal to 30"),
        ({"lens_height_mm": 61}, "more than 1.2 × the lens width"),
        ({"sphere_min": 2, "sphere_max": -2}, "sphere_min (+2.00) is above sphere_max (-2.00)"),
        ({"frame_width_mm": 110}, "less than two lenses and the bridge"),
    ],
)
def test_impossible_product_is_refused_with_its_reason(change: dict[str, Any], reason: str) -> None:
    ProductCreate.model_validate(GOOD)
    with pytest.raises(ValidationError, match=reason.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        ProductCreate.model_validate({**GOOD, **change})
