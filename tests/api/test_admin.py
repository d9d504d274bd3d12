"""/api/admin/models…: listing, promotion, rollback and training on demand, for administrators only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from optirec.store import Database
from optirec.training import registry
from tests.conftest import auth_header, product_data, register, signal_data


def _register(db: Database, version: str) -> None:
    with db.write() as session:
        registry.register_version(
            session=session,
            version=version,
            artifact_path=f"/nowhere/{version}",
            checksum="0" * 64,
            metrics={"candidate": {"ndcg@10": 0.2}},
            data_window={},
        )


def test_admins_list_promote_and_roll_back(client: TestClient, db: Database, admin_headers: dict[str, str]) -> None:
    _register(db, "v1")
    _register(db, "v2")
    assert client.post("/api/admin/models/v1/promote", headers=admin_headers).json()["status"] == "live"
    assert client.post("/api/admin/models/v2/promote", headers=admin_headers).json()["status"] == "live"
    listed = {v["id"]: v["status"] for v in client.get("/api/admin/models", headers=admin_headers).json()}
    assert listed == {"v1": "retired", "v2": "live"}
    assert client.post("/api/admin/models/rollback", headers=admin_headers).json()["id"] == "v1"
    notes = {v["id"]: (v["status"], v["note"]) for v in client.get("/api/admin/models", headers=admin_headers).json()}
    assert notes["v2"] == ("rejected", "rolled back to v1")  # why it was rejected, not how it became live
    assert client.post("/api/admin/models/v9/promote", headers=admin_headers).status_code == 404


def test_only_admins_manage_models(client: TestClient, service_headers: dict[str, str]) -> None:
    assert client.get("/api/admin/models", headers=service_headers).status_code == 403
    assert client.post("/api/admin/models/train", headers=service_headers).status_code == 403
    assert client.get("/api/admin/models").status_code == 401


def test_training_on_demand_starts_in_the_background(client: TestClient, admin_headers: dict[str, str]) -> None:
    # With no signals the training refuses to run; the request still answers at once, and nothing goes live.
    response = client.post("/api/admin/models/train", headers=admin_headers)
    assert response.status_code == 202 and response.json()["status"] in ("started", "already running")
    thread = client.app.state.optirec.trainer.running  # type: ignore[attr-defined]
    thread.join(timeout=30)
    assert all(v["status"] != "live" for v in client.get("/api/admin/models", headers=admin_headers).json())


def test_promotions_rollbacks_trainings_and_key_changes_are_audited(
    client: TestClient, db: Database, admin_headers: dict[str, str]
) -> None:
    _register(db, "v1")
    _register(db, "v2")
    client.post("/api/admin/models/v1/promote", headers=admin_headers)
    client.post("/api/admin/models/v2/promote", headers=admin_headers)
    client.post("/api/admin/models/rollback", headers=admin_headers)
    assert client.post("/api/admin/models/v9/promote", headers=admin_headers).status_code == 404  # nothing recorded
    key = client.post("/api/admin/keys", headers=admin_headers, json={"name": "checkout", "role": "service"}).json()
    client.delete(f"/api/admin/keys/{key['id']}", headers=admin_headers)
    client.post("/api/admin/models/train", headers=admin_headers)
    client.app.state.optirec.trainer.running.join(timeout=30)  # type: ignore[attr-defined]

    page = client.get("/api/admin/audit", headers=admin_headers).json()
    events = [(e["action"], e["target"], e["detail"]) for e in reversed(page["events"])]
    assert events[:5] == [
        ("model.promote", "v1", {"was_live": None}),
        ("model.promote", "v2", {"was_live": "v1"}),
        ("model.rollback", "v1", {"rolled_back": "v2"}),
        ("key.create", key["id"], {"name": "checkout", "role": "service"}),
        ("key.revoke", key["id"], {"name": "checkout", "role": "service"}),
    ]
    assert events[5][0] == "model.train" and events[5][2]["force"] is False
    assert {e["actor_label"] for e in page["events"]} == {"API key “admin key”"}
    assert page["next_before"] is None


def test_the_audit_log_pages_newest_first(client: TestClient, db: Database, admin_headers: dict[str, str]) -> None:
    for version in ("v1", "v2", "v3"):
        _register(db, version)
        client.post(f"/api/admin/models/{version}/promote", headers=admin_headers)
    first = client.get("/api/admin/audit?limit=2", headers=admin_headers).json()
    assert [e["target"] for e in first["events"]] == ["v3", "v2"]
    older = client.get(f"/api/admin/audit?limit=2&before={first['next_before']}", headers=admin_headers).json()
    assert [e["target"] for e in older["events"]] == ["v1"] and older["next_before"] is None
    assert client.get("/api/admin/audit?limit=0", headers=admin_headers).status_code == 422
    assert client.get("/api/admin/audit?before=x", headers=admin_headers).status_code == 422
    # a cursor beyond any event's id (a BIGINT's largest): refused, not passed to the database (a 500 on PostgreSQL)
    assert client.get(f"/api/admin/audit?before={2**63}", headers=admin_headers).status_code == 422
    assert client.get(f"/api/admin/audit?before={2**63 - 1}", headers=admin_headers).status_code == 200


def test_the_overview_counts_the_shop(client: TestClient, db: Database, admin_headers: dict[str, str]) -> None:
    client.post("/api/catalog/products", headers=admin_headers, json=product_data("FR-1"))
    client.post("/api/catalog/products", headers=admin_headers, json=product_data("FR-2", stock=0))
    register(client, "ada@example.com")
    now = datetime.now(UTC)
    times = [now - timedelta(minutes=5), now - timedelta(minutes=6), now - timedelta(hours=3), now - timedelta(days=3)]
    actions = ["view", "view", "add_to_cart", "view"]  # the last one older than a day
    signals = [signal_data(occurred_at=t.isoformat(), action_type=a) for t, a in zip(times, actions, strict=True)]
    sent = client.post("/api/recommendations/signals", headers=admin_headers, json={"signals": signals})
    assert sent.status_code == 200, sent.text
    overview = client.get("/api/admin/overview", headers=admin_headers).json()
    assert (overview["products"], overview["products_in_stock"], overview["customers"]) == (2, 1, 1)
    assert overview["signals"] == 4 and overview["signals_last_24h"] == {"view": 2, "add_to_cart": 1}
    hours = overview["signals_per_hour"]
    expected: dict[str, int] = {}
    for t in times[:3]:
        hour = t.replace(minute=0, second=0, microsecond=0).isoformat().replace("+00:00", "Z")
        expected[hour] = expected.get(hour, 0) + 1
    assert len(hours) == 24 and {h["hour"]: h["count"] for h in hours if h["count"]} == expected
    assert overview["live_model"] is None and overview["lists_served"] == 0


def test_signal_intake_counts_accepted_duplicates_rejected_and_unknown_products_per_hour(
    client: TestClient, admin_headers: dict[str, str]
) -> None:
    client.post("/api/catalog/products", headers=admin_headers, json=product_data("FR-1"))
    old = (datetime.now(UTC) - timedelta(days=3)).isoformat()  # occurred long ago, arrives now: counted now
    signals = [signal_data("a", occurred_at=old), signal_data("b"), signal_data("c", product_id="NOPE-1")]
    bad = {**signal_data("d"), "action_type": "stare"}
    assert client.post("/api/recommendations/signals", headers=admin_headers, json=[*signals, bad]).is_success
    again = client.post("/api/recommendations/signals", headers=admin_headers, json={"signals": signals[:1]})
    assert again.json()["duplicates"] == 1  # acknowledged, not stored again: counted as a duplicate
    refused = client.post("/api/recommendations/signals", headers=admin_headers, json=[bad, bad])
    assert refused.status_code == 422  # every one refused: nothing stored, both counted as rejected
    intake = client.get("/api/admin/intake", headers=admin_headers).json()
    assert len(intake["hours"]) == 24
    totals = (intake["accepted"], intake["duplicates"], intake["rejected"], intake["unknown_products"])
    assert totals == (3, 1, 3, 1)
    latest = intake["hours"][-2:]  # this hour's, or the last one's if the hour turned meanwhile
    assert sum(h["accepted"] + h["duplicates"] + h["rejected"] for h in latest) == 7
    assert client.get("/api/admin/intake").status_code == 401


def test_training_progress_is_polled_until_it_ends(client: TestClient, admin_headers: dict[str, str]) -> None:
    assert client.get("/api/admin/models/training", headers=admin_headers).json() is None  # none started here
    client.post("/api/admin/models/train", headers=admin_headers)
    client.app.state.optirec.trainer.running.join(timeout=30)  # type: ignore[attr-defined]
    run = client.get("/api/admin/models/training", headers=admin_headers).json()
    assert run["running"] is False and run["finished_at"] and run["version"] is None
    assert "training needs" in run["error"]  # too few signals: the pipeline's own message, for the operator


def test_customers_and_servers_are_refused_every_admin_endpoint(
    client: TestClient, service_headers: dict[str, str]
) -> None:
    _customer, token = register(client, "bob@example.com")
    paths = [p for p, ops in client.get("/openapi.json").json()["paths"].items() if p.startswith("/api/admin")]
    operations = [
        (method, path.replace("{version}", "v1").replace("{key_id}", "k1"))
        for path in paths
        for method in client.get("/openapi.json").json()["paths"][path]
    ]
    assert len(operations) >= 12
    for headers in (auth_header(token), service_headers):
        for method, path in operations:
            response = client.request(method.upper(), path, headers=headers, json={"name": "x", "role": "admin"})
            assert response.status_code == 403, (method, path, response.status_code)
            assert "admin" in response.json()["error"]["message"]
    for method, path in operations:
        assert client.request(method.upper(), path).status_code == 401
