"""The fit step production training calls: the same served model as `optirec train-model`'s run, without the test
split."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from optirec.ml.evaluation.train_test import train
from optirec.ml.model.content import ContentFeatures, build_content
from optirec.ml.model.network import ModelConfig
from optirec.ml.model.served import ServedModel
from optirec.ml.train.data import Interactions
from optirec.ml.train.fit import FitConfig, fit_model
from optirec.ml.train.inputs import EventsInput, ItemInput, interactions, item_content

from ..conftest import chain_events


def _config() -> FitConfig:
    model = ModelConfig(dim=16, max_len=10, epochs=4, batch_size=16, negatives=0, eval_every=2, dropout=0.1)
    return FitConfig(model=model, lam_grid=(1.0, 10.0), neighbours=5)


def _chain() -> tuple[EventsInput, list[ItemInput], Interactions, ContentFeatures]:
    """The chain events, their 24-item catalogue, the interactions and the content features the tests fit on."""
    events = EventsInput(*chain_events())
    catalogue = [ItemInput(f"i{k}", attributes={"group": str(k % 3)}) for k in range(24)]
    data = interactions(events, catalogue)
    return events, catalogue, data, build_content(data.item_ids, item_content(catalogue))


def test_the_fit_step_serves_what_train_model_saves(tmp_path: Path) -> None:
    events, catalogue, data, content = _chain()
    saved = ServedModel.load(train(events, catalogue, _config(), tmp_path).path)
    fitted = fit_model(data, content, _config())
    served = fitted.model
    assert served.item_ids == saved.item_ids and served.weights == saved.weights and served.decay == saved.decay
    assert np.array_equal(served.item_table, saved.item_table)
    assert np.array_equal(served.popularity, saved.popularity)
    assert all(np.array_equal(served.encoder.weights[k], saved.encoder.weights[k]) for k in saved.encoder.weights)
    assert served.item_item is not None and saved.item_item is not None
    assert (served.item_item.neighbours != saved.item_item.neighbours).nnz == 0
    assert "test" not in served.metadata["metrics"] and "test" in saved.metadata["metrics"]


def test_the_held_out_model_has_seen_no_test_target() -> None:
    _, _, data, content = _chain()
    fitted = fit_model(data, content, _config())
    # each user's last event (the test target) is out of the held-out model's counts
    assert fitted.held_out_model.popularity.sum() == len(data) - len(data.user_ids)
    assert fitted.model.popularity.sum() == len(data)
    assert np.array_equal(fitted.held_out_model.item_table, fitted.model.item_table)


def test_the_network_is_retrained_for_the_epochs_validation_chose() -> None:
    from optirec.ml.train.fit import ModelFit
    from optirec.ml.train.splits import leave_one_out

    _, _, data, content = _chain()
    messages: list[str] = []
    fit = ModelFit(content, _config(), messages.append)
    valid, test = leave_one_out(data)
    tuned = fit.tune(valid)
    tuned_network = fit.network
    messages.clear()
    fit.retrain_network(test.train)
    assert fit.network is not tuned_network
    # a fresh training on train + validation events for exactly the chosen epochs, no validation checks
    assert [m.split(":")[0] for m in messages] == [f"epoch {e}" for e in range(1, tuned.best_epoch + 1)]
    assert not any("valid" in m for m in messages)


def test_fits_sharing_a_source_cache_fit_each_item_to_item_source_once() -> None:
    from optirec.ml.train.fit import ModelFit, SourceCache
    from optirec.ml.train.splits import leave_one_out

    _, _, data, content = _chain()
    valid, test = leave_one_out(data)
    sources: SourceCache = {}
    first = ModelFit(content, _config(), sources=sources)
    first.tune(valid)
    first.refit(test.train)
    assert len(sources) == len(_config().lam_grid) + 1  # every λ on the tuning events, the chosen one on test's
    second = ModelFit(content, replace(_config(), model=replace(_config().model, seed=1)), sources=sources)
    second.tune(valid)
    second.refit(test.train)
    assert len(sources) == len(_config().lam_grid) + 1 and second.item_item is first.item_item
    alone = ModelFit(content, _config())  # no cache: its own fit, the same weights
    alone.tune(valid)
    alone.refit(test.train)
    assert alone.item_item is not first.item_item and alone.tuned.lam == first.tuned.lam
    assert alone.item_item is not None and first.item_item is not None
    assert (alone.item_item.neighbours != first.item_item.neighbours).nnz == 0


def test_sources_fitted_alongside_the_network_are_the_ones_refit_would_fit() -> None:
    from optirec.ml.train.fit import ModelFit
    from optirec.ml.train.splits import leave_one_out

    _, _, data, content = _chain()
    valid, test = leave_one_out(data)
    ahead = ModelFit(content, _config())
    ahead.tune(valid, refits=(test.train, data))
    prefitted = {id(t): source for t, source in ahead._prefitted.values()}
    later = ModelFit(content, _config())
    later.tune(valid)
    assert ahead.tuned == later.tuned
    for refit_events in (test.train, data):
        ahead.refit(refit_events)
        later.refit(refit_events)
        assert ahead.item_item is prefitted[id(refit_events)]  # fitted during tune, not again
        assert ahead.item_item is not None and later.item_item is not None
        assert (ahead.item_item.neighbours != later.item_item.neighbours).nnz == 0
    assert not ahead._prefitted  # each used once, then let go


def test_the_lambda_search_scores_each_lambda_at_its_best_decay_and_stops_past_the_best() -> None:
    """λ and the recency decay are tuned together on the item-to-item source alone; the grid is walked upwards and
    the walk stops at the first λ that scores below the best before it."""
    import re

    from optirec.ml.model.content import ItemContent
    from optirec.ml.train.data import from_arrays
    from optirec.ml.train.fit import ModelFit, _item_item_ndcg
    from optirec.ml.train.itemitem import fit_item_item
    from optirec.ml.train.splits import leave_one_out

    rng = np.random.default_rng(0)  # noisy walks along a ring of 40 items: harder than the chain
    users, items, times = [], [], []
    for u in range(80):
        start = rng.integers(0, 40)
        for t in range(rng.integers(4, 12)):
            users.append(f"u{u}")
            items.append(f"i{(start + t + (rng.integers(0, 8) if rng.random() < 0.4 else 0)) % 40}")
            times.append(t)
    data = from_arrays(users, items, ["purchase"] * len(users), times)
    valid, _ = leave_one_out(data)
    grid = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
    config = FitConfig(lam_grid=grid)
    search = ModelFit(build_content(data.item_ids, ItemContent(text={}, tokens={})), config)._search_lam(
        valid.train, valid, ()
    )
    found = [re.match(r"item-to-item λ=([0-9.e+]+): valid ndcg@10 ([0-9.]+) at decay ([0-9.]+)", m)
             for m in search.messages]  # fmt: skip
    walked = [(float(m[1]), float(m[2]), float(m[3])) for m in found if m is not None]
    scores = [score for _, score, _ in walked]
    assert 2 < len(walked) < len(grid)  # this data peaks inside the grid: the walk stopped early
    assert all(scores[k] > max(scores[:k], default=-1.0) for k in range(len(walked) - 1))  # climbing until…
    assert scores[-1] < max(scores)  # … the first drop
    assert search.lam == walked[scores.index(max(scores))][0]
    assert len({decay for _, _, decay in walked}) > 1  # the best decay moves with λ: tuning them apart would miss it
    for lam, score, decay in walked:  # each λ at its best decay
        source = fit_item_item(valid.train, lam, config.neighbours, config.dense_items)
        by_decay = {d: _item_item_ndcg(source, valid, d) for d in config.decays}
        assert abs(by_decay[decay] - max(by_decay.values())) < 1e-12 and abs(by_decay[decay] - score) < 1e-4
