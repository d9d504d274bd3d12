"""The demo catalogue: every row is a valid product, and the distributions look like a real optical shop."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from optirec.catalog.schemas import ProductCreate
from optirec.demo.catalog import arrays_from_products, generate_catalog
from optirec.demo.shop import DemoShopFiles

from .conftest import lines


@pytest.fixture(scope="module")
def catalogue() -> list[ProductCreate]:
    return generate_catalog(np.random.default_rng(3), 1500).products


def test_every_line_of_products_jsonl_is_a_valid_product(small_shop: DemoShopFiles) -> None:
    rows = [ProductCreate.model_validate(json.loads(line)) for line in lines(small_shop.products)]
    assert len(rows) == small_shop.n_products == 300
    assert len({p.id for p in rows}) == len(rows)


def test_shares_of_categories_rims_and_audiences(catalogue: list[ProductCreate]) -> None:
    categories = Counter(p.category for p in catalogue)
    assert 0.5 < categories["eyeglasses"] / 1500 < 0.75
    assert 0.2 < categories["sunglasses"] / 1500 < 0.4
    assert 0.02 < categories["accessories"] / 1500 < 0.1
    glasses = [p for p in catalogue if p.category == "eyeglasses"]
    rims = Counter(p.rim_type for p in glasses)
    assert rims["full-rim"] > rims["semi-rimless"] > 0 and rims["rimless"] > 0
    kids = [p for p in glasses if p.audience == "kids"]
    assert 0.04 < len(kids) / len(glasses) < 0.16


def test_measurements_stay_in_real_world_ranges(catalogue: list[ProductCreate]) -> None:
    frames = [p for p in catalogue if p.category != "accessories"]
    assert all(40 <= (p.lens_width_mm or 0) <= 62 for p in frames)
    assert all(14 <= (p.bridge_mm or 0) <= 24 for p in frames)
    assert all(120 <= (p.temple_length_mm or 0) <= 150 for p in frames)
    assert all(25 <= (p.lens_height_mm or 0) <= 55 for p in frames)
    adult = [p.lens_width_mm or 0 for p in frames if p.audience == "adults"]
    kids = [p.lens_width_mm or 0 for p in frames if p.audience == "kids"]
    assert 50 <= float(np.mean(adult)) <= 55 and float(np.mean(kids)) < 47


def test_prescription_ranges_follow_rim_type(catalogue: list[ProductCreate]) -> None:
    for p in catalogue:
        if not p.rx_capable:
            continue
        assert p.sphere_min is not None and p.sphere_max is not None and p.cylinder_max is not None
        if p.rim_type == "rimless":
            assert p.sphere_min >= -4 and p.sphere_max <= 4
        if p.rim_type == "semi-rimless":
            assert p.sphere_min >= -6 and p.sphere_max <= 6
        if p.progressive:
            assert (p.lens_height_mm or 0) >= 28


def test_prices_and_descriptions(catalogue: list[ProductCreate]) -> None:
    prices = np.array([float(p.price) for p in catalogue if p.category != "accessories"])
    assert 80 < float(np.median(prices)) < 180 and prices.min() >= 19
    frame = next(p for p in catalogue if p.category == "eyeglasses" and p.rx_capable)
    assert frame.shape and frame.shape.split("-")[0] in (frame.description or "").lower()
    assert f"{frame.lens_width_mm:g}-{frame.bridge_mm:g}-{frame.temple_length_mm:g}" in (frame.description or "")


def test_codes_read_back_from_products_match(catalogue: list[ProductCreate]) -> None:
    again = arrays_from_products([ProductCreate.model_validate_json(p.model_dump_json()) for p in catalogue])
    first = arrays_from_products(catalogue)
    for name in ("kind", "brand", "shape", "colour", "material", "rim", "gender", "model"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert (first.shape[first.kind < 2] >= 0).all()
