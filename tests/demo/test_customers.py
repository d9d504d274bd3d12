"""Demo customers: valid imports, prescriptions from published prevalences, adult and child measurements."""

from __future__ import annotations

import json

import numpy as np
import pytest

from optirec.customers.schemas import CustomerImport
from optirec.demo.catalog import generate_catalog
from optirec.demo.customers import DEMO_EMAIL, Customers, generate_customers
from optirec.demo.shop import DemoShopFiles

from .conftest import lines


@pytest.fixture(scope="module")
def people() -> Customers:
    rng = np.random.default_rng(5)
    return generate_customers(rng, 5000, generate_catalog(rng, 300).arrays)


def test_every_line_of_customers_jsonl_is_a_valid_import(small_shop: DemoShopFiles) -> None:
    rows = [CustomerImport.model_validate(json.loads(line)) for line in lines(small_shop.customers)]
    assert len(rows) == 600 and rows[0].email == DEMO_EMAIL and rows[0].id == small_shop.demo_customer_id
    assert 1 < sum(r.email is not None for r in rows) < 20


def test_prevalences(people: Customers) -> None:
    adults = [(w, r) for w, r in zip(people.wearers, people.rows, strict=True) if 2026 - (r.birth_year or 0) >= 18]
    with_rx = [w.rx for w, _ in adults if w.rx is not None]
    assert 0.6 < len(with_rx) / len(adults) < 0.8
    myopic = sum(rx.lowest <= -0.5 and rx.highest < 0.5 for rx in with_rx) / len(with_rx)
    astigmatic = sum(rx.cylinder >= 0.5 for rx in with_rx) / len(with_rx)
    high_myopia = sum(rx.lowest <= -6 for rx in with_rx) / len(with_rx)
    assert 0.4 < myopic < 0.7 and 0.3 < astigmatic < 0.7 and 0.02 < high_myopia < 0.12


def test_reading_addition_rises_with_age(people: Customers) -> None:
    by_age: dict[str, list[float]] = {"40-49": [], "50-59": [], "60+": []}
    for wearer, row in zip(people.wearers, people.rows, strict=True):
        age = 2026 - (row.birth_year or 0)
        if wearer.rx is None or wearer.rx.add is None:
            continue
        assert age >= 42  # presbyopia first
        key = "40-49" if age < 50 else "50-59" if age < 60 else "60+"
        by_age[key].append(wearer.rx.add)
    means = [float(np.mean(v)) for v in by_age.values()]
    assert means == sorted(means) and 0.75 <= means[0] < 1.75 and means[-1] >= 2.0


def test_pd_and_face_width_of_adults_and_children(people: Customers) -> None:
    def mean(kids: bool, field: str) -> float:
        values = [getattr(r, field) for r in people.rows
                  if getattr(r, field) is not None and ((2026 - (r.birth_year or 0)) < 16) == kids]  # fmt: skip
        return float(np.mean(values))

    assert 61 < mean(False, "pd_mm") < 65.5 and mean(True, "pd_mm") < 58
    assert 134 < mean(False, "face_width_mm") < 142 and mean(True, "face_width_mm") < 130


def test_stated_preferences_agree_with_hidden_tastes(people: Customers) -> None:
    from optirec.demo import vocab

    stated = [(k, r.preferences) for k, r in enumerate(people.rows) if r.preferences is not None]
    assert 0.2 < len(stated) / 5000 < 0.4
    for k, prefs in stated[:50]:
        assert prefs.shapes == [vocab.SHAPES[int(np.argmax(people.tastes.shape[k]))]]
