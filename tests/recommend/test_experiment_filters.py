"""Property: with an experiment running whose arms push every policy setting to its bound (exploration on half of
the list, no weight on fit or five times the weight, diversity 0 or 1), no list ever holds a product that a hard
filter forbids: arms change only what is applied after the filters."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.recommend.test_hard_filters_property import _check_one, _random_catalog, profile, request

ARMS = [
    {"name": "control", "share": 0.34, "control": True},
    {"name": "wild", "share": 0.33, "policy": {"shares": {"home": 0.5}, "fit_weight": 0.0, "diversity": 1.0}},
    {"name": "fitted", "share": 0.33, "policy": {"shares": {"home": 0.5}, "fit_weight": 5.0, "diversity": 0.0}},
]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_arm_of_an_experiment_breaks_a_hard_filter(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    catalog = {p["id"]: p for p in _random_catalog(60)}
    for product in catalog.values():
        assert client.post("/api/catalog/products", json=product, headers=service_headers).status_code == 201
    body = {"name": "every setting at its bound", "placements": ["home"], "arms": ARMS}
    experiment = client.post("/api/admin/experiments", json=body, headers=admin_headers).json()["id"]
    assert client.post(f"/api/admin/experiments/{experiment}/start", headers=admin_headers).status_code == 200
    shown: list[int] = []

    @settings(max_examples=60, deadline=None)
    @given(profile=profile, body=request, bought=st.lists(st.integers(0, 59), max_size=4))
    def check(profile: dict[str, Any], body: dict[str, Any], bought: list[int]) -> None:
        shown.append(_check_one(client, service_headers, catalog, profile, body, bought))

    check()
    assert sum(shown) > 100, shown  # the lists were real, so the property did not pass vacuously
    with db.read() as session:
        arms = Counter(row.arm for row in session.scalars(select(ServedRecommendation)))
    assert {f"{experiment}/{arm['name']}" for arm in ARMS} <= set(arms), arms  # every arm served lists
