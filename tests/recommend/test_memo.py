"""A greedy list asked again while nothing it is made of changed is the list already made (`recommend.memo`): the
same products, scores, reasons and filter counts as a list builder that keeps nothing, under its own recommendation
id and logged as its own list; a new signal, another filter, a stock change, a new prescription or a new model makes
it again; a list that explores is never kept."""

from __future__ import annotations

import asyncio
import gc
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.gateway.state import AppState
from optirec.privacy.watch import ErasureWatch
from optirec.recommend.filters import WearerCache
from optirec.recommend.memo import AnswerMemo
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec, ServedList
from optirec.runtime.state import build_state
from optirec.settings import ExplorationSettings, Settings
from optirec.store import Database
from optirec.store import shopper as shopper_store
from optirec.store.tables import ServedRecommendation
from tests.conftest import signal_data
from tests.recommend.test_approximate import train_chain_model
from tests.recommend.test_hard_filters_property import load_random_catalog

STRONG = {"prescription": {"right": {"sph": -7.0}, "left": {"sph": -7.0}}}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The app's model watcher looks once, at start: the model the test swaps in stays."""
    return settings.model_copy(update={"model_poll_seconds": 0.0})


def _parts(served: ServedList) -> tuple[Any, ...]:
    """Everything a list answers but its id."""
    items = [(i.position, i.rank, i.score, i.reasons, i.propensity, i.greedy) for i in served.items]
    return (served.model_version, items, served.filtered, served.fallback, served.fallback_reason, served.policy,
            served.arm)  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_list_asked_again_is_the_one_made_until_something_it_is_made_of_changes(
    client: TestClient, state: AppState, service_headers: dict[str, str], tmp_path: Path
) -> None:
    catalog = load_random_catalog(client, service_headers)
    ids = sorted(catalog)
    views = [signal_data(customer_id=f"c{k}", product_id=ids[(7 * k + n) % 60]) for k in range(4) for n in range(3)]
    assert client.post("/api/recommendations/signals", json=views, headers=service_headers).status_code < 300
    builder = state.list_builder
    memo = builder.memo
    # the same serving state, nothing kept: what each list must equal
    fresh = ListBuilder(builder.db, builder.serving_state, builder.rules, builder.rebuyable, memo=AnswerMemo(0),
                        wearers=WearerCache())  # fmt: skip

    def check(spec: ListSpec, repeated: bool) -> ServedList:
        hits, misses = memo.hits, memo.misses
        served = asyncio.run(builder.preview_async(spec))
        assert (memo.hits - hits, memo.misses - misses) == ((1, 0) if repeated else (0, 1))
        assert _parts(served) == _parts(asyncio.run(fresh.preview_async(spec)))
        return served

    home = ListSpec("home", "c0", None, 8, RecommendationFilters())
    first = check(home, repeated=False)
    again = check(home, repeated=True)
    assert again.recommendation_id != first.recommendation_id and first.items
    check(ListSpec("home", "c1", None, 8, RecommendationFilters()), repeated=False)  # another history
    check(ListSpec("product", "c0", None, 8, RecommendationFilters()), repeated=False)  # another placement
    check(ListSpec("home", "c0", None, 8, RecommendationFilters(category="eyeglasses")), repeated=False)
    check(ListSpec("home", "c0", None, 8, RecommendationFilters(category="eyeglasses")), repeated=True)
    check(ListSpec("home", "c0", None, 5, RecommendationFilters()), repeated=False)  # another length

    # a new signal of the shopper's
    signal = signal_data(customer_id="c0", product_id=ids[30], action_type="add_to_cart")
    assert client.post("/api/recommendations/signals", json=[signal], headers=service_headers).status_code < 300
    check(home, repeated=False)
    shown = check(home, repeated=True).items[0].position

    # a stock change: the product shown first leaves the list
    gone = builder.serving_state.snapshots.get().ids[shown]
    assert client.patch(f"/api/catalog/products/{gone}", json={"stock": 0}, headers=service_headers).status_code == 200
    after = check(home, repeated=False)
    assert shown not in [item.position for item in after.items]

    # a prescription the customer's profile now holds
    assert client.put("/api/customers/c0", json=STRONG, headers=service_headers).status_code in (200, 201)
    strong = check(home, repeated=False)
    assert strong.filtered.get("rule:sphere", 0) > 0

    # a new model
    trained = train_chain_model(tmp_path)
    builder.serving_state.swap_model(load_live_model(trained.path, trained.version))
    assert check(home, repeated=False).model_version == trained.version
    check(home, repeated=True)

    # two shoppers without signals and alike are answered alike
    check(ListSpec("home", None, "s-first", 8, RecommendationFilters()), repeated=False)
    check(ListSpec("home", None, "s-second", 8, RecommendationFilters()), repeated=True)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_repeated_list_is_logged_as_its_own(
    client: TestClient, db: Database, service_headers: dict[str, str]
) -> None:
    load_random_catalog(client, service_headers)
    signals = [signal_data(customer_id="c9", product_id=f"P{n:03d}") for n in range(3)]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    answers = [
        client.post(
            "/api/recommendations/personalized", json={"customer_id": "c9", "limit": 6}, headers=service_headers
        ).json()
        for _ in range(2)
    ]
    assert answers[0]["recommendation_id"] != answers[1]["recommendation_id"]
    assert answers[0]["items"] == answers[1]["items"] and answers[0]["items"]
    with db.read() as session:
        rows = {row.id: row.items for row in session.scalars(select(ServedRecommendation))}
    assert rows[answers[0]["recommendation_id"]] == rows[answers[1]["recommendation_id"]]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_lists_kept_are_nothing_the_garbage_collector_traverses(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """A full memo holds thousands of lists: kept as objects, every full collection of the worker traversed their
    items (60 ms a collection on the large shop). Kept as tuples of plain values (`ServedList.kept`), the collector
    stops tracking them once it has looked at them; answered again, they are the lists they were made from."""
    load_random_catalog(client, service_headers)
    signals = [signal_data(customer_id=f"c{k}", product_id=f"P{k + n:03d}") for k in range(3) for n in range(3)]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    builder = state.list_builder
    specs = [ListSpec("home", f"c{k}", None, 8, RecommendationFilters()) for k in range(3)]
    made = [asyncio.run(builder.preview_async(spec)) for spec in specs]
    for _ in range(4):  # each collection stops tracking one level of tuples: a list's reasons, items, list
        gc.collect()
    kept = [entry[1] for entry in builder.memo._lists.values()]
    assert len(kept) == 3 and all(len(lists[1]) == 8 for lists in kept)
    assert not any(gc.is_tracked(lists) for lists in kept)  # (nor, then, anything in them)
    again = [asyncio.run(builder.preview_async(spec)) for spec in specs]
    assert builder.memo.hits == 3
    assert [_parts(served) for served in again] == [_parts(served) for served in made]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_list_that_explores_is_never_kept(
    build_client: Callable[..., TestClient], service_headers: dict[str, str]
) -> None:
    client = build_client(exploration=ExplorationSettings(shares={"home": 0.5}, seed=3))
    load_random_catalog(client, service_headers)
    signals = [signal_data(customer_id="c1", product_id=f"P{n:03d}") for n in range(3)]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    builder: ListBuilder = client.app.state.optirec.list_builder  # type: ignore[attr-defined]
    drawn = set()
    for _ in range(6):
        served = asyncio.run(builder.preview_async(ListSpec("home", "c1", None, 8, RecommendationFilters())))
        drawn.add(tuple(item.position for item in served.items))
    assert len(drawn) > 1  # drawn again each time
    assert builder.memo.hits == 0 and len(builder.memo) == 0
    beside = ListSpec("product", "c1", None, 8, RecommendationFilters())  # a placement that does not explore
    for _ in range(2):
        asyncio.run(builder.preview_async(beside))
    assert builder.memo.hits == 1 and len(builder.memo) == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_erasure_drops_the_lists_and_views_this_process_keeps(
    client: TestClient, state: AppState, service_headers: dict[str, str]
) -> None:
    """The kept lists, wearer views and wearers read from stored profiles hold shoppers' histories and
    prescriptions: an erasure empties this process's at once (the others' at their next check, the test below, and by
    themselves every `HELD_AT_MOST_SECONDS`: `test_wearer_view.py`, `tests/store/test_shopper.py`)."""
    load_random_catalog(client, service_headers)
    assert client.put("/api/customers/c7", json=STRONG, headers=service_headers).status_code in (200, 201)
    signals = [signal_data(customer_id="c7", product_id=f"P{n:03d}") for n in range(3)]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    body = {"customer_id": "c7", "limit": 6}
    assert client.post("/api/recommendations/personalized", json=body, headers=service_headers).status_code == 200
    builder = state.list_builder
    assert len(builder.memo) == 1 and builder.wearers._items and shopper_store._wearer.cache_info().currsize
    assert client.delete("/api/customers/c7", headers=service_headers).status_code == 200
    assert len(builder.memo) == 0 and not builder.wearers._items
    assert shopper_store._wearer.cache_info().currsize == 0  # (regression: the wearers read were kept)


def test_an_erasure_in_another_process_drops_what_this_one_keeps(
    client: TestClient, state: AppState, settings: Settings, service_headers: dict[str, str]
) -> None:
    """Another worker (its own parts on the same database) keeps lists and a wearer view of the customer; an erasure
    taken by this one reaches it at its next check of the erasures (`privacy.watch.ErasureWatch`), and only then;
    an erasure that no one took makes it drop nothing."""
    assert any(thread.name == "optirec-erasures" for thread in threading.enumerate())  # each worker's own watch
    load_random_catalog(client, service_headers)
    assert client.put("/api/customers/c7", json=STRONG, headers=service_headers).status_code in (200, 201)
    signals = [signal_data(customer_id="c7", product_id=f"P{n:03d}") for n in range(3)]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    other = build_state(settings)
    try:
        forgotten: list[bool] = []

        def forget() -> None:
            forgotten.append(True)
            other.customer_erased()

        watch = ErasureWatch(other.db, forget, seconds=0)
        assert not watch.check()  # where the erasures stood when it started
        builder = other.list_builder
        asyncio.run(builder.build_async(ListSpec("home", "c7", None, 6, RecommendationFilters())))
        assert len(builder.memo) == 1 and builder.wearers._items
        assert not watch.check() and len(builder.memo) == 1  # nothing erased since
        assert client.delete("/api/customers/c7", headers=service_headers).status_code == 200
        assert len(builder.memo) == 1 and builder.wearers._items  # not yet: the other process has not looked
        assert watch.check() and forgotten == [True]
        assert len(builder.memo) == 0 and not builder.wearers._items
        assert not watch.check() and forgotten == [True]  # once per erasure
    finally:
        other.db.dispose()
