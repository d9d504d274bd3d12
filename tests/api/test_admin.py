"""/api/admin/models…: listing, promotion, rollback and training on demand, for administrators only."""

from __future__ import annotations

from fastapi.testclient import TestClient

from optirec.store import Database
from optirec.training import registry


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
