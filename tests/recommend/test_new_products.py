"""Which products exploration treats as new (`ServingState.new_products`): without a signal in the popularity window,
or, with a model, not yet trained on (the model knows them from their content alone until its next training)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from optirec.eyewear.config import RuleSettings
from optirec.ml.evaluation.train_test import train
from optirec.ml.model.network import ModelConfig
from optirec.ml.train.fit import FitConfig
from optirec.ml.train.inputs import EventsInput, ItemInput
from optirec.recommend.engagement import Engagement
from optirec.recommend.live import ServingState
from optirec.recommend.model_adapter import TrainedModel, load_live_model
from optirec.recommend.service import recommendation_id
from optirec.runtime.state import AppState
from optirec.settings import EngagementSettings
from optirec.store.tables import ServedRecommendation
from tests.conftest import signal_data
from tests.recommend.test_hard_filters_property import load_random_catalog


@pytest.fixture
def model_of_the_first_forty(tmp_path: Path) -> TrainedModel:
    """A small model trained on 40 of the random catalog's 60 products (shoppers walk a chain of them)."""
    ids = [f"P{i:03d}" for i in range(40)]
    users, items, actions, times = [], [], [], []
    for user in range(60):
        for step in range(5):
            users.append(f"u{user}")
            items.append(ids[(user + step) % 40])
            actions.append("view")
            times.append(1_700_000_000 + step * 86_400 + user)
    config = FitConfig(model=ModelConfig(dim=16, max_len=10, epochs=2, batch_size=32, negatives=0, eval_every=2),
                       lam_grid=(10.0,), neighbours=5)  # fmt: skip
    output = train(EventsInput(users, items, actions, times), [ItemInput(i) for i in ids], config, tmp_path)
    return load_live_model(output.path, output.version)


def _served(state: AppState, products: list[str]) -> str:
    """A home list of these products, in this order, logged as served now; its id."""
    items = [{"product_id": p, "rank": r, "score": 0.0, "propensity": 1.0} for r, p in enumerate(products, 1)]
    list_id = recommendation_id()
    with state.db.write() as session:
        session.add(ServedRecommendation(id=list_id, surface="home", model_version="m", items=items,
                                         served_at=datetime.now(UTC)))  # fmt: skip
    return list_id


def _counted(
    client: TestClient, headers: dict[str, str], serving: ServingState, signals: list[dict[str, object]]
) -> Engagement:
    """The signals sent, then popularity and the engagement counted again; the engagement."""
    assert client.post("/api/recommendations/signals", json=signals, headers=headers).status_code < 300
    serving.popularity.refresh()
    assert serving.engagement is not None
    serving.engagement.refresh()
    return serving.engagement.get()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_product_the_model_was_not_trained_on_stays_new_after_its_first_signals(
    client: TestClient, state: AppState, service_headers: dict[str, str], model_of_the_first_forty: TrainedModel
) -> None:
    load_random_catalog(client, service_headers)
    signals = [signal_data(customer_id="c1", product_id=p) for p in ("P005", "P050")]
    assert client.post("/api/recommendations/signals", json=signals, headers=service_headers).status_code < 300
    serving = state.list_builder.serving_state
    serving.popularity.refresh()
    snapshot = serving.snapshots.get()
    trained, untrained, silent = (snapshot.index[p] for p in ("P005", "P050", "P051"))
    without_model = serving.new_products(snapshot)
    assert not without_model[trained] and not without_model[untrained] and without_model[silent]
    with_model = serving.new_products(snapshot, model_of_the_first_forty)
    assert not with_model[trained]  # trained on, and a signal since
    assert with_model[untrained] and with_model[silent]  # known from their content alone, signal or not
    assert with_model.sum() == np.count_nonzero(np.arange(60) >= 40) + np.count_nonzero(without_model[:40])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_with_the_engagement_lift_an_untrained_product_stops_being_new_once_its_impressions_are_enough(
    client: TestClient, state: AppState, service_headers: dict[str, str], model_of_the_first_forty: TrainedModel
) -> None:
    """Exploration stops weighing up a product the ranking has learnt live: its lift rests on `KNOWN_PRIORS` times
    the prior's views expected (here: a prior of 1 view, so 4 expected views)."""
    load_random_catalog(client, service_headers)
    serving = ServingState(state.db, RuleSettings(), engagement=EngagementSettings(weight=1.0, prior_views=1.0))
    snapshot = serving.snapshots.get()
    often, once = snapshot.index["P050"], snapshot.index["P051"]
    signals = []
    for n in range(12):  # P050 shown first in 12 lists, P051 second in one; P050 opened in half of them
        list_id = _served(state, ["P050", "P051"] if n == 0 else ["P050"])
        if n % 2 == 0:
            signals.append(signal_data(customer_id="c1", product_id="P050", recommendation_id=list_id))
    expected = _counted(client, service_headers, serving, signals).expected
    assert expected["P050"] == pytest.approx(6.0)  # 12 impressions at rank 1's 6 / 12
    new = serving.new_products(snapshot, model_of_the_first_forty)
    assert not new[often]  # untrained, but learnt live: 6 expected views ≥ 4
    assert new[once]  # one impression at rank 2 (never opened there): still new
    plain = ServingState(state.db, RuleSettings()).new_products(snapshot, model_of_the_first_forty)
    assert plain[often] and plain[once]  # without the lift: new until the next training


@pytest.mark.parametrize("backend", ["sqlite"])
def test_with_the_engagement_lift_a_product_shown_often_and_never_opened_is_not_new_though_it_has_no_signal(
    client: TestClient, state: AppState, service_headers: dict[str, str], model_of_the_first_forty: TrainedModel
) -> None:
    """A product without a single signal counts as new until the lists have shown it enough to expect
    `KNOWN_PRIORS` times the prior's views (here 4): then its lift says that shoppers pass it over, and exploration
    stops weighing it up, with a model or without."""
    load_random_catalog(client, service_headers)
    serving = ServingState(state.db, RuleSettings(), engagement=EngagementSettings(weight=1.0, prior_views=1.0))
    snapshot = serving.snapshots.get()
    passed_over, rarely = snapshot.index["P052"], snapshot.index["P053"]
    signals = []
    for n in range(24):  # P052 first in 12 lists and never opened; P050 first in 12 and always opened
        list_id = _served(state, ["P052", "P050"] if n < 12 else ["P050", "P053"])
        if n >= 12:
            signals.append(signal_data(customer_id="c1", product_id="P050", recommendation_id=list_id))
    expected = _counted(client, service_headers, serving, signals).expected
    assert expected["P052"] == pytest.approx(6.0)  # 12 impressions at rank 1's 12 / 24
    for model in (None, model_of_the_first_forty):
        new = serving.new_products(snapshot, model)
        assert not new[passed_over]  # no signal, but 6 expected views ≥ 4: known
        assert new[rarely]  # no signal, and rank 2 was never opened: nothing expected of it, still new
    plain = ServingState(state.db, RuleSettings()).new_products(snapshot)
    assert plain[passed_over] and plain[rarely]  # without the lift: new until its first signal
