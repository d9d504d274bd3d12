"""`/api/admin/experiments` (docs/experiments.md): create, start, stop, ship; each served list records its arm and is
built with its arm's policy; the results per arm; the guardrail stops a harmful arm; every change audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import AuditEvent, ServedRecommendation, ServingPolicy
from tests.conftest import product_data, signal_data

ARMS = [
    {"name": "control", "share": 0.5, "control": True},
    {"name": "explore", "share": 0.5, "policy": {"shares": {"home": 0.5}, "fit_weight": 1.0}},
]


def _shop(client: TestClient, headers: dict[str, str], customers: int) -> None:
    for i in range(1, 13):
        assert client.post("/api/catalog/products", json=product_data(f"FR-{i}"), headers=headers).status_code == 201
    for i in range(customers):
        assert client.put(f"/api/customers/cust-{i}", json={}, headers=headers).status_code == 200


def _serve(client: TestClient, headers: dict[str, str], customer: str) -> dict[str, Any]:
    response = client.post(
        "/api/recommendations/personalized", json={"customer_id": customer, "limit": 4}, headers=headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _arms_served(db: Database) -> dict[str, tuple[str | None, str | None]]:
    with db.read() as session:
        return {row.id: (row.arm, row.policy) for row in session.scalars(select(ServedRecommendation))}


def _create(client: TestClient, headers: dict[str, str], **overrides: Any) -> dict[str, Any]:
    body = {"name": "Explore the home page", "placements": ["home"], "arms": ARMS} | overrides
    response = client.post("/api/admin/experiments", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_an_experiment_from_draft_to_shipped(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    _shop(client, service_headers, customers=40)
    created = _create(client, admin_headers)
    assert created["status"] == "draft" and [a["name"] for a in created["arms"]] == ["control", "explore"]
    served = _serve(client, service_headers, "cust-0")
    assert _arms_served(db)[served["recommendation_id"]][0] is None  # a draft assigns nobody

    experiment = created["id"]
    assert (
        client.post(f"/api/admin/experiments/{experiment}/start", headers=admin_headers).json()["status"] == "running"
    )
    second = _create(client, admin_headers, placements=[])  # every placement: overlaps the running one
    clash = client.post(f"/api/admin/experiments/{second['id']}/start", headers=admin_headers)
    assert clash.status_code == 409 and experiment in clash.json()["error"]["message"]

    first = {c: _serve(client, service_headers, f"cust-{c}")["recommendation_id"] for c in range(40)}
    again = {c: _serve(client, service_headers, f"cust-{c}")["recommendation_id"] for c in range(40)}
    rows = _arms_served(db)
    assert all(rows[first[c]][0] == rows[again[c]][0] for c in range(40))  # sticky per customer
    arms = {rows[first[c]][0] for c in range(40)}
    assert arms == {f"{experiment}/control", f"{experiment}/explore"}
    for arm, policy in rows.values():  # the arm's policy built the list: half of it explored
        assert policy == ("explore" if arm == f"{experiment}/explore" else "greedy")
    listed = client.get("/api/admin/experiments", headers=admin_headers).json()
    assert {e["id"]: e["status"] for e in listed} == {experiment: "running", second["id"]: "draft"}

    stopped = client.post(f"/api/admin/experiments/{experiment}/stop", headers=admin_headers).json()
    assert stopped["status"] == "stopped" and stopped["stopped_at"]
    after = _serve(client, service_headers, "cust-1")
    assert _arms_served(db)[after["recommendation_id"]] == (None, "greedy")

    shipped = client.post(f"/api/admin/experiments/{experiment}/ship", json={"arm": "explore"}, headers=admin_headers)
    assert shipped.status_code == 200 and shipped.json()["shipped_arm"] == "explore", shipped.text
    with db.read() as session:
        policy = session.get(ServingPolicy, "default")
        assert policy is not None and policy.policy == {"shares": {"home": 0.5}, "fit_weight": 1.0}
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.target == experiment))]
    assert sorted(actions) == ["experiment.create", "experiment.ship", "experiment.start", "experiment.stop"]
    shipped_list = _serve(client, service_headers, "cust-2")  # the shipped policy is now everyone's
    assert _arms_served(db)[shipped_list["recommendation_id"]] == (None, "explore")


def test_bad_requests_are_refused_with_a_clear_message(
    client: TestClient, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    two_controls = [{**arm, "control": True} for arm in ARMS]
    uneven = [{**ARMS[0], "share": 0.6}, ARMS[1]]
    too_much = [ARMS[0], {**ARMS[1], "policy": {"shares": {"home": 0.9}}}]
    for arms in (two_controls, uneven, too_much, ARMS[:1]):
        response = client.post("/api/admin/experiments", json={"name": "x", "arms": arms}, headers=admin_headers)
        assert response.status_code == 422, response.text
    response = client.post("/api/admin/experiments", json={"name": "x", "arms": ARMS}, headers=service_headers)
    assert response.status_code == 403
    assert client.get("/api/admin/experiments/abc123", headers=admin_headers).status_code == 404
    created = client.post("/api/admin/experiments", json={"name": "x", "arms": ARMS}, headers=admin_headers).json()
    assert client.post(f"/api/admin/experiments/{created['id']}/stop", headers=admin_headers).status_code == 409
    ship = client.post(f"/api/admin/experiments/{created['id']}/ship", json={"arm": "nope"}, headers=admin_headers)
    assert ship.status_code == 409


def harmful_experiment(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> tuple[str, list[dict[str, Any]], dict[str, list[int]]]:
    """A running experiment whose `harmful` arm sold nothing where half of control's 120-odd lists sold: its id, the
    lists served, and per arm the lists, views and purchases sent."""
    _shop(client, service_headers, customers=120)
    experiment = _create(client, admin_headers, arms=[ARMS[0], {**ARMS[1], "name": "harmful"}])["id"]
    client.post(f"/api/admin/experiments/{experiment}/start", headers=admin_headers)
    lists = [_serve(client, service_headers, f"cust-{c}") for c in range(120)]
    rows = _arms_served(db)
    now = datetime.now(UTC).isoformat()
    signals, expected = [], {"control": [0, 0, 0], "harmful": [0, 0, 0]}  # lists, views, purchases
    for c, served in enumerate(lists):
        arm = rows[served["recommendation_id"]][0].split("/")[1]
        expected[arm][0] += 1
        product = served["items"][0]["product"]["id"]
        common = {"customer_id": f"cust-{c}", "product_id": product, "recommendation_id": served["recommendation_id"]}
        signals.append(signal_data(action_type="view", occurred_at=now, **common))
        expected[arm][1] += 1
        if arm == "control" and c % 2 == 0:  # half of control's lists sell, none of the harmful arm's
            signals.append(signal_data(action_type="purchase", occurred_at=now, price="100.00", **common))
            expected[arm][2] += 1
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).json()["accepted"] == len(
        signals
    )
    return experiment, lists, expected


def test_results_per_arm_and_the_guardrail_stops_a_harmful_arm(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    experiment, lists, expected = harmful_experiment(client, db, service_headers, admin_headers)
    rows = _arms_served(db)
    response = client.get(f"/api/admin/experiments/{experiment}/results", headers=admin_headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    arms = {arm["name"]: arm for arm in answer["arms"]}
    for name, (count, views, purchases) in expected.items():
        metrics = arms[name]["metrics"]
        assert arms[name]["lists"] == count
        assert metrics["click_through"]["value"] == views / count
        assert metrics["conversion"]["value"] == purchases / count
        assert metrics["revenue_per_list"]["value"] == round(100.0 * purchases / count, 4)
        assert metrics["conversion"]["low"] <= purchases / count <= metrics["conversion"]["high"]
    conversion = arms["harmful"]["metrics"]["conversion"]
    assert conversion["verdict"] == "worse" and conversion["difference_high"] < 0 and conversion["p_value"] < 0.05
    assert arms["harmful"]["metrics"]["click_through"]["verdict"] == "undecided"  # both 100 %: no evidence
    assert answer["stopped_now"] == ["harmful"] and arms["harmful"]["stopped"]
    with db.read() as session:
        guard = session.scalars(select(AuditEvent).where(AuditEvent.action == "experiment.guardrail")).one()
        assert guard.target == experiment and guard.detail["arm"] == "harmful"
    harmful = [c for c, served in enumerate(lists) if rows[served["recommendation_id"]][0].endswith("/harmful")]
    later = _serve(client, service_headers, f"cust-{harmful[0]}")
    assert _arms_served(db)[later["recommendation_id"]] == (None, "greedy")  # the default policy, as no arm
    again = client.get(f"/api/admin/experiments/{experiment}/results", headers=admin_headers).json()
    assert again["stopped_now"] == []
    ship = client.post(f"/api/admin/experiments/{experiment}/ship", json={"arm": "harmful"}, headers=admin_headers)
    assert ship.status_code == 409
