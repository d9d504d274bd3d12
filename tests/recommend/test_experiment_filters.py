"""Property: with an experiment running whose arms push every policy setting to its bound (exploration on half of
the list, no weight on fit or five times the weight, diversity 0 or 1), no list ever holds a product that a hard
filter forbids: arms change only what is applied after the filters."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.recommend.test_hard_filters_property import check_no_list_breaks_a_hard_filter, load_random_catalog

ARMS = [
    {"name": "control", "share": 0.34, "control": True},
    {"name": "wild", "share": 0.33, "policy": {"shares": {"home": 0.5}, "fit_weight": 0.0, "diversity": 1.0}},
    {"name": "fitted", "share": 0.33, "policy": {"shares": {"home": 0.5}, "fit_weight": 5.0, "diversity": 0.0}},
]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_arm_of_an_experiment_breaks_a_hard_filter(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    catalog = load_random_catalog(client, service_headers)
    body = {"name": "every setting at its bound", "placements": ["home"], "arms": ARMS}
    experiment = client.post("/api/admin/experiments", json=body, headers=admin_headers).json()["id"]
    assert client.post(f"/api/admin/experiments/{experiment}/start", headers=admin_headers).status_code == 200
    check_no_list_breaks_a_hard_filter(client, service_headers, catalog)
    with db.read() as session:
        arms = Counter(row.arm for row in session.scalars(select(ServedRecommendation)))
    assert {f"{experiment}/{arm['name']}" for arm in ARMS} <= set(arms), arms  # every arm served lists
