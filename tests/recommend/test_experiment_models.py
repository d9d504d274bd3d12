"""An arm that serves another model version: the worker loads it beside the live one, the arm's lists are scored and
recorded by it, shipping the arm promotes it (audited), and the worker then drops what no experiment serves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.gateway.state import AppState
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.watcher import ModelWatcher
from optirec.runtime.app import create_app
from optirec.settings import Settings
from optirec.store.tables import AuditEvent, ServedRecommendation
from optirec.training import registry
from optirec.training.pipeline import run_training
from tests.conftest import make_key
from tests.training.test_lifecycle import seeded_shop

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_versions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, AppState, str, str]]:
    settings, state = seeded_shop(tmp_path_factory.mktemp("experiment-models"), experiment_guardrail_minutes=0)
    first = run_training(settings, state.db)
    second = run_training(settings, state.db, force=True)  # live now; the first is retired
    assert first.promoted and second.promoted and first.version != second.version
    yield settings, state, first.version, second.version
    state.db.dispose()


def test_an_arm_serves_its_own_model_version_and_shipping_it_promotes_it(
    two_versions: tuple[Settings, AppState, str, str],
) -> None:
    settings, state, previous, live = two_versions
    service, admin = {"X-API-Key": make_key(state.db)}, {"X-API-Key": make_key(state.db, "admin")}
    serving_state = state.list_builder.serving_state
    with TestClient(create_app(settings, state)) as client:
        arms = [
            {"name": "control", "share": 0.5, "control": True},
            {"name": "previous", "share": 0.5, "policy": {"model_version": previous}},
        ]
        unknown = [arms[0], {**arms[1], "policy": {"model_version": "no-such-version"}}]
        assert (
            client.post("/api/admin/experiments", json={"name": "x", "arms": unknown}, headers=admin).status_code == 404
        )
        body = {"name": "The previous model", "placements": ["home"], "arms": arms}
        experiment = client.post("/api/admin/experiments", json=body, headers=admin).json()["id"]
        assert client.post(f"/api/admin/experiments/{experiment}/start", headers=admin).status_code == 200
        watcher = ModelWatcher(state.db, serving_state, load_live_model, poll_seconds=0)
        watcher.check()  # what each worker's watcher does every OPTIREC_MODEL_POLL_SECONDS
        assert serving_state.experiment_versions == {previous}

        answers = [
            client.post(
                "/api/recommendations/personalized", json={"customer_id": f"shopper-{c}", "limit": 6}, headers=service
            ).json()
            for c in range(40)
        ]
        with state.db.read() as session:
            rows = {row.id: row for row in session.scalars(select(ServedRecommendation))}
        by_arm = {rows[a["recommendation_id"]].arm: set() for a in answers}
        for answer in answers:
            row = rows[answer["recommendation_id"]]
            assert row.model_version == answer["model_version"]
            by_arm[row.arm].add(row.model_version)
        assert by_arm == {f"{experiment}/control": {live}, f"{experiment}/previous": {previous}}

        shipped = client.post(f"/api/admin/experiments/{experiment}/ship", json={"arm": "previous"}, headers=admin)
        assert shipped.status_code == 200, shipped.text
        with state.db.read() as session:
            now_live = registry.live_version(session=session)
            assert now_live is not None and now_live.id == previous
            promotions = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "model.promote", AuditEvent.target == previous)
            )  # its first promotion by the training, then the ship's
            assert [e.detail.get("experiment") for e in promotions] == [None, f"{experiment}/previous"]
        watcher.check()
        assert serving_state.version == previous and serving_state.experiment_versions == frozenset()
