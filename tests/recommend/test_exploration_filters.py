"""Property: with exploration taking half of every list, no list ever holds a product that a hard filter forbids, and
every served item records a propensity in (0, 1]."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.recommend.test_hard_filters_property import _check_one, _random_catalog, profile, request


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_explored_list_breaks_a_hard_filter(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str]
) -> None:
    client = build_client(exploration=ExplorationSettings(shares={"home": 0.5}, new_product_weight=8.0, seed=19))
    catalog = {p["id"]: p for p in _random_catalog(60)}
    for product in catalog.values():
        assert client.post("/api/catalog/products", json=product, headers=service_headers).status_code == 201
    shown: list[int] = []

    @settings(max_examples=60, deadline=None)
    @given(profile=profile, body=request, bought=st.lists(st.integers(0, 59), max_size=4))
    def check(profile: dict[str, Any], body: dict[str, Any], bought: list[int]) -> None:
        shown.append(_check_one(client, service_headers, catalog, profile, body, bought))

    check()
    assert sum(shown) > 100, shown  # the lists were real, so the property did not pass vacuously
    with db.read() as session:
        served = list(session.scalars(select(ServedRecommendation)))
    explored = [row for row in served if row.policy == "explore"]
    assert explored, "no list explored: the property would hold vacuously"
    for row in served:
        propensities = [item["propensity"] for item in row.items]
        assert all(0 < p <= 1 for p in propensities)
        assert row.policy == "explore" or all(p == 1 for p in propensities)
        head = len(propensities) - len(propensities) // 2  # the share bounds the slots drawn: the last half at most
        assert all(p == 1 for p in propensities[:head])
