"""The model lifecycle on a small synthetic shop whose right answer is known.

Shoppers each love one frame shape and browse only frames of it. A model trained on them must (1) be registered
and promoted, (2) reach every process through the watcher with no restart, (3) move a new shopper's next list
towards the shape they just viewed, with no retraining, (4) be refused at load when its artifact is corrupted,
while the live model keeps serving, and (5) not replace the live model with a worse one unless forced.
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from optirec.gateway.state import AppState
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.watcher import ModelWatcher
from optirec.recommend.workers import Serving, WorkerReport
from optirec.runtime.app import create_app
from optirec.runtime.state import build_state
from optirec.settings import Settings
from optirec.signals.service import store_rows
from optirec.store import Database
from optirec.training import registry
from optirec.training.pipeline import run_training
from tests.conftest import empty_database, make_key, product_data

pytestmark = pytest.mark.slow
SHAPES = ["round", "square", "aviator", "cat-eye"]
PER_SHAPE = 12


def _seed(db: Database, client: TestClient, headers: dict[str, str]) -> None:
    for shape in SHAPES:
        for k in range(PER_SHAPE):
            product = product_data(f"{shape}-{k}", name=f"{shape.title()} {k}", shape=shape, brand=f"B{k % 3}")
            assert client.post("/api/catalog/products", json=product, headers=headers).status_code == 201
    rng = random.Random(1)
    start = datetime(2026, 9, 1, tzinfo=UTC)
    rows = []
    for user in range(160):
        shape = SHAPES[user % len(SHAPES)]
        for step in range(14):
            action = "purchase" if step == 13 else ("add_to_cart" if step % 5 == 4 else "view")
            rows.append({
                "event_id": f"seed-{user}-{step}", "customer_id": f"shopper-{user}", "session_id": None,
                "product_id": f"{shape}-{rng.randrange(PER_SHAPE)}", "product_known": True, "action_type": action,
                "occurred_at": start + timedelta(hours=user, minutes=step), "received_at": start,
                "recommendation_id": None, "quantity": 1, "price": None, "context": None,
            })  # fmt: skip
    with db.write() as session:
        store_rows(session, rows)


def seeded_shop(folder: Path, **overrides: Any) -> tuple[Settings, AppState]:
    """A migrated SQLite shop in `folder` with `_seed`'s catalog and signals, enough to train on; no model yet."""
    from optirec.migrate import upgrade

    settings = Settings(
        database_url=f"sqlite:///{folder / 'optirec.db'}",
        data_dir=folder / "var",
        secret_key="lifecycle-secret-of-sufficient-length-0123456789",  # type: ignore[arg-type]
        model_poll_seconds=0,
        training_min_signals=100,
        _env_file=None,  # type: ignore[call-arg]
        **overrides,
    )
    upgrade(settings.database_url)
    state = build_state(settings)
    empty_database(state.db)
    with TestClient(create_app(settings, state)) as client:
        _seed(state.db, client, {"X-API-Key": make_key(state.db)})
    return settings, state


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, AppState, str]]:
    settings, state = seeded_shop(tmp_path_factory.mktemp("lifecycle"))
    outcome = run_training(settings, state.db)
    assert outcome.promoted, outcome.metrics
    yield settings, state, outcome.version
    state.db.dispose()


def _shapes(client: TestClient, headers: dict[str, str], customer: str) -> list[str]:
    body = client.post(
        "/api/recommendations/personalized", json={"customer_id": customer, "limit": 8, "diversity": 0},
        headers=headers,
    ).json()  # fmt: skip
    return [item["product"]["id"].split("-")[0] for item in body["items"]]


def test_a_trained_model_is_registered_promoted_and_served(trained: tuple[Settings, AppState, str]) -> None:
    settings, state, version = trained
    with state.db.read() as session:
        live = registry.live_version(session=session)
        assert live is not None and live.id == version
        assert live.metrics["candidate"]["ndcg@10"] > 0.05 and live.data_window["signals"] == 160 * 14
        assert len(live.checksum) == 64
    with TestClient(create_app(settings, state)) as client:
        headers = {"X-API-Key": make_key(state.db)}
        body = client.post("/api/recommendations/personalized", json={"customer_id": "shopper-0"}, headers=headers)
        assert body.json()["model_version"] == version and body.json()["fallback"] is False


def test_lists_count_how_their_shopper_vector_was_had_and_the_warm_up_does_not(
    trained: tuple[Settings, AppState, str],
) -> None:
    from prometheus_client import REGISTRY

    def counted() -> tuple[float, ...]:
        value = REGISTRY.get_sample_value
        return (value("optirec_user_vectors_total", {"result": "encoded"}) or 0.0,
                value("optirec_user_vectors_total", {"result": "reused"}) or 0.0,
                value("optirec_list_answers_total", {"result": "made"}) or 0.0,
                value("optirec_list_answers_total", {"result": "repeated"}) or 0.0)  # fmt: skip

    settings, state, _version = trained
    before = counted()
    with TestClient(create_app(settings, state)) as client:
        assert client.app.state.optirec.list_builder.serving_state.warmed.wait(30)  # type: ignore[attr-defined]
        assert counted() == before  # the warm-up scored, but served no list
        headers = {"X-API-Key": make_key(state.db)}
        assert client.put("/api/customers/counted", json={}, headers=headers).status_code == 200
        views = [
            {"event_id": f"counted-{k}", "customer_id": "counted", "product_id": product, "action_type": "view",
             "occurred_at": f"2026-11-02T10:0{k}:00Z"}
            for k, product in enumerate(["cat-eye-3", "round-5"])
        ]  # fmt: skip
        assert client.post("/api/recommendations/signals", json=views, headers=headers).status_code == 200
        # a history no list has had yet; the same list again (no new signal in between: repeated whole, the vector
        # not even asked for); a shorter list on the same history (made, the vector reused)
        for body in ({"customer_id": "counted"}, {"customer_id": "counted"}, {"customer_id": "counted", "limit": 5}):
            asked = client.post("/api/recommendations/personalized", json=body, headers=headers)
            assert asked.status_code == 200
    assert tuple(after - first for after, first in zip(counted(), before, strict=True)) == (1, 1, 2, 1)


def test_one_new_signal_moves_the_next_list_without_retraining(trained: tuple[Settings, AppState, str]) -> None:
    settings, state, _version = trained
    with TestClient(create_app(settings, state)) as client:
        headers = {"X-API-Key": make_key(state.db)}
        assert client.put("/api/customers/newcomer", json={}, headers=headers).status_code == 200
        before = _shapes(client, headers, "newcomer")
        views = [
            {"event_id": f"new-{k}", "customer_id": "newcomer", "product_id": f"aviator-{k}", "action_type": "view",
             "occurred_at": f"2026-11-01T10:0{k}:00Z"}
            for k in range(3)
        ]  # fmt: skip
        assert client.post("/api/recommendations/signals", json=views, headers=headers).status_code == 200
        after = _shapes(client, headers, "newcomer")
    assert after.count("aviator") >= 6 and after.count("aviator") > before.count("aviator"), (before, after)


def test_a_corrupted_artifact_is_refused_and_the_live_model_keeps_serving(
    trained: tuple[Settings, AppState, str], tmp_path: Path
) -> None:
    settings, state, version = trained
    with state.db.read() as session:
        live = registry.live_version(session=session)
        assert live is not None
        source = Path(live.artifact_path)
    broken = tmp_path / "broken"
    shutil.copytree(source, broken)
    victim = next(p for p in broken.iterdir() if p.suffix == ".npz")
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    with TestClient(create_app(settings, state)) as client:
        headers = {"X-API-Key": make_key(state.db)}
        serving_state = client.app.state.optirec.list_builder.serving_state  # type: ignore[attr-defined]
        report = WorkerReport(state.db, serving_state.warmed)
        watcher = ModelWatcher(state.db, serving_state, load_live_model, poll_seconds=0, report=report)
        watcher.check()
        assert serving_state.version == version and report.serving == Serving(version, "live")
        with state.db.write() as session:
            registry.register_version(session=session, version="corrupt", artifact_path=str(broken), checksum="x",
                                      metrics={}, data_window={})  # fmt: skip
            registry.promote(session=session, version="corrupt")
        try:
            assert watcher.check() is False  # refused at load
            # What the worker serves says so: the version that was live before, as a fallback, and why.
            assert (report.serving.model_version, report.serving.state) == (version, "fallback")
            assert "corrupt" in str(report.serving.reason)
            response = client.post("/api/recommendations/personalized", json={"customer_id": "shopper-1"},
                                   headers=headers)  # fmt: skip
            assert response.status_code == 200 and response.json()["model_version"] == version
        finally:
            with state.db.write() as session:
                registry.promote(session=session, version=version)


def test_a_new_product_is_scored_from_its_content(trained: tuple[Settings, AppState, str]) -> None:
    settings, state, _version = trained
    with TestClient(create_app(settings, state)) as client:
        headers = {"X-API-Key": make_key(state.db)}
        new = product_data("aviator-new", name="Aviator New", shape="aviator", brand="B1")
        assert client.post("/api/catalog/products", json=new, headers=headers).status_code == 201
        serving_state = client.app.state.optirec.list_builder.serving_state  # type: ignore[attr-defined]
        serving_state.snapshots.invalidate()
        snapshot = serving_state.snapshots.get()
        model, positions = serving_state.serving(snapshot, serving_state.model)
        assert positions[snapshot.index["aviator-new"]] >= 0  # the model knows it now, from content alone
        history = [(f"aviator-{k}", "view") for k in range(4)]
        scored = serving_state.score(snapshot, model, history, [])
        aviators = [snapshot.index[f"aviator-{k}"] for k in range(PER_SHAPE)]
        rounds = [snapshot.index[f"round-{k}"] for k in range(PER_SHAPE)]
        new_score = scored.personal[snapshot.index["aviator-new"]]
        assert new_score > scored.personal[rounds].mean()  # an aviator lover's new aviator beats round frames
        assert scored.personal[aviators].mean() > scored.personal[rounds].mean()


def test_a_promotion_under_load_loses_no_request_and_mixes_no_versions(
    trained: tuple[Settings, AppState, str], tmp_path: Path
) -> None:
    import http.client
    import json
    import threading
    import time

    from benchmarks.server import running_server, server_env

    settings, state, version = trained
    with state.db.read() as session:
        live = registry.live_version(session=session)
        assert live is not None
        twin = tmp_path / "twin"
        shutil.copytree(live.artifact_path, twin)
    with state.db.write() as session:
        registry.register_version(session=session, version="twin", artifact_path=str(twin), checksum=live.checksum,
                                  metrics={}, data_window={})  # fmt: skip
    key = make_key(state.db)
    env = server_env(settings.database_url, settings.data_dir, OPTIREC_MODEL_POLL_SECONDS="0.2")
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()

    def load(port: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stop.is_set():
            body = json.dumps({"customer_id": "shopper-2"})
            headers = {"Content-Type": "application/json", "X-API-Key": key}
            connection.request("POST", "/api/recommendations/personalized", body=body, headers=headers)
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read()).get("model_version")))
        connection.close()

    try:
        with running_server(env, workers=2) as server:
            threads = [threading.Thread(target=load, args=(server.port,)) for _ in range(3)]
            for thread in threads:
                thread.start()
            for target in ("twin", version, "twin"):
                time.sleep(1.0)
                with state.db.write() as session:
                    registry.promote(session=session, version=target)
            time.sleep(1.5)
            stop.set()
            for thread in threads:
                thread.join()
    finally:
        with state.db.write() as session:
            registry.promote(session=session, version=version)
    assert len(answers) > 50
    assert {status for status, _ in answers} == {200}
    assert {seen for _, seen in answers} <= {version, "twin"}
    assert answers[-1][1] == "twin"  # every worker moved to the last promoted version


def test_a_worker_maps_the_live_model_onto_the_catalog_before_its_first_request(
    trained: tuple[Settings, AppState, str],
) -> None:
    settings, _state, version = trained
    fresh = build_state(settings)  # a new worker: nothing built yet
    app = create_app(settings, fresh)
    serving_state = fresh.list_builder.serving_state
    with TestClient(app):
        assert serving_state.model is not None and serving_state.model.version == version
        assert serving_state.prepared(serving_state.model)
    fresh.db.dispose()


def test_a_replica_on_a_new_host_serves_the_live_model_from_the_database(
    trained: tuple[Settings, AppState, str], tmp_path: Path
) -> None:
    """A replica with an empty data folder, on a host without the folder training wrote, serves the live version
    from its first list: the watcher downloads the artifact stored with the version, checked against its checksum."""
    settings, state, version = trained
    with state.db.read() as session:
        live = registry.live_version(session=session)
        assert live is not None
        trainer_folder = Path(live.artifact_path)
    elsewhere = trainer_folder.with_name(f"{trainer_folder.name}.on-the-trainer-host")
    trainer_folder.rename(elsewhere)
    try:
        new_host = settings.model_copy(update={"data_dir": tmp_path / "new-host"})
        fresh = build_state(new_host)
        with TestClient(create_app(new_host, fresh)) as client:
            headers = {"X-API-Key": make_key(state.db)}
            answer = client.post("/api/recommendations/personalized", json={"customer_id": "shopper-0"},
                                 headers=headers).json()  # fmt: skip
        fresh.db.dispose()
        assert answer["model_version"] == version and answer["fallback"] is False
        assert (new_host.models_dir / version / "manifest.json").is_file()  # kept on this host for the next start
    finally:
        elsewhere.rename(trainer_folder)


def test_a_training_bounded_by_epochs_is_repeatable(tmp_path: Path) -> None:
    """`training_max_epochs`: the network stops after that many epochs, whatever the machine's speed, and the same
    signals train the same model twice (a time budget that runs out first would not: `make bench-loop` relies on
    this to compare policies on the same simulated shop)."""
    settings, state = seeded_shop(tmp_path, training_max_epochs=2)
    tables = []
    for _ in range(2):
        said: list[str] = []
        outcome = run_training(settings, state.db, force=True, progress=said.append)
        assert [m.split(":")[0] for m in said if m.startswith("epoch") and "loss" in m] == ["epoch 1", "epoch 2"]
        tables.append(load_live_model(settings.models_dir / outcome.version, outcome.version)._model.item_table)
    state.db.dispose()
    assert tables[0].shape == tables[1].shape and (tables[0] == tables[1]).all()
