"""Baselines behind one interface: a contract shared by all, and EASE against its closed form."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from optirec.ml.evaluation.baselines.als import Als
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.evaluation.baselines.ease import Ease, EaseRecency
from optirec.ml.evaluation.baselines.popularity import Popularity
from optirec.ml.evaluation.harness import evaluate_scorer
from optirec.ml.train.data import Interactions
from optirec.ml.train.itemitem import ease_weights
from optirec.ml.train.splits import leave_one_out
from optirec.ml.train.validation import ndcg_at_10


def test_ease_weights_match_the_closed_form() -> None:
    x = sp.csr_matrix(np.array([[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.float32))
    lam = 2.0
    gram = (x.T @ x).toarray() + lam * np.eye(3)
    p = np.linalg.inv(gram)
    expected = np.eye(3) - p / np.diag(p)
    assert np.allclose(ease_weights(x, lam), expected, atol=1e-6)
    assert np.allclose(np.diag(ease_weights(x, lam)), 0.0)


def test_popularity_ranks_by_count(chain_data: Interactions) -> None:
    model = Popularity()
    model.fit(chain_data)
    scores = model.score(np.array([0, 1]))
    counts = np.bincount(chain_data.items, minlength=chain_data.n_items)
    assert np.array_equal(scores[0], counts.astype(np.float32)) and np.array_equal(scores[0], scores[1])


@pytest.mark.parametrize(
    "model", [Popularity(), Ease(), EaseRecency(), Als(factors=8, iterations=3)], ids=lambda m: m.name
)
def test_every_baseline_scores_the_whole_catalogue(model: ItemScorer, chain_data: Interactions) -> None:
    _, test = leave_one_out(chain_data)
    model.fit(test.train, **model.param_grid[0])
    scores = model.score(test.users[:5])
    assert scores.shape == (5, chain_data.n_items) and scores.dtype == np.float32
    metrics = evaluate_scorer(model.score, test)
    assert 0.0 <= metrics["ndcg@10"] <= metrics["hr@10"] <= 1.0


def test_ease_learns_the_chain(chain_data: Interactions) -> None:
    _, test = leave_one_out(chain_data)
    model = Ease()
    model.fit(test.train, lam=1.0)
    assert evaluate_scorer(model.score, test)["hr@10"] > 0.5
    # in the chain i -> i+1, the neighbours of an item are the items next to it
    similar = set(model.similar_items(5, 2).tolist())
    assert similar <= {3, 4, 6, 7}


def test_the_cheap_tuning_metric_agrees_with_the_report(chain_data: Interactions) -> None:
    _, test = leave_one_out(chain_data)
    model = Ease()
    model.fit(test.train, lam=1.0)
    assert ndcg_at_10(model.score, test) == pytest.approx(evaluate_scorer(model.score, test)["ndcg@10"])


def test_recency_ease_without_decay_is_ease_on_action_weighted_histories(chain_data: Interactions) -> None:
    from optirec.ml.model.actions import ACTION_TABLE

    _, test = leave_one_out(chain_data)
    plain, recency = Ease(), EaseRecency()
    plain.fit(test.train, lam=5.0)
    recency.fit(test.train, lam=5.0, decay=1.0)
    users = test.users[:4]
    bounds = test.train.user_bounds()
    history = np.zeros((len(users), chain_data.n_items), dtype=np.float32)
    for r, u in enumerate(users):
        for k in range(bounds[u], bounds[u + 1]):
            history[r, test.train.items[k]] += ACTION_TABLE[test.train.actions[k]]
    assert np.allclose(recency.score(users), history @ plain.weights, atol=1e-4)


def test_recency_ease_tunes_the_decay_and_finds_the_chain_better(chain_data: Interactions) -> None:
    from optirec.ml.evaluation.evaluate import run_baseline

    valid, test = leave_one_out(chain_data)
    plain = run_baseline(Ease(), valid, test, lambda _: None)
    recency = run_baseline(EaseRecency(), valid, test, lambda _: None)
    assert {p["decay"] for p in EaseRecency.param_grid} == {1.0, 0.8, 0.6, 0.4}
    # the next item follows the last one: weighting the latest signals most can only help here
    assert recency.params["decay"] < 1.0
    assert recency.valid["ndcg@10"] >= plain.valid["ndcg@10"]
    assert recency.test["ndcg@10"] >= plain.test["ndcg@10"]
