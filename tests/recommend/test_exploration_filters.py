"""Property: with exploration taking half of every list, no list ever holds a product that a hard filter forbids, and
every served item records a propensity in (0, 1]."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.recommend.test_hard_filters_property import check_no_list_breaks_a_hard_filter, load_random_catalog


@pytest.mark.parametrize("near_share", [0.0, 0.8])  # uniform draws; most of the weight near the list
@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_explored_list_breaks_a_hard_filter(
    build_client: Callable[..., TestClient], db: Database, service_headers: dict[str, str], near_share: float
) -> None:
    exploration = ExplorationSettings(shares={"home": 0.5}, new_product_weight=8.0, near_share=near_share, seed=19)
    client = build_client(exploration=exploration)
    catalog = load_random_catalog(client, service_headers)
    check_no_list_breaks_a_hard_filter(client, service_headers, catalog)
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
