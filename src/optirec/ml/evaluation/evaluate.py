"""The offline evaluation: run models side by side on one split, tune on validation, test once.

Every model gets the same training events for a split. Baselines try each value of their `param_grid` on
the validation split and refit the best on the test split's events; our model tunes itself on validation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.evaluation.harness import evaluate_scorer
from optirec.ml.evaluation.scorer import Optirec
from optirec.ml.train.splits import EvalSplit

Progress = Callable[[str], None]


@dataclass
class ModelResult:
    """One model's validation and test metrics, chosen parameters and training time."""

    valid: dict[str, float]
    test: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "test": self.test,
            "params": self.params,
            "train_seconds": round(self.train_seconds, 2),
            **self.extra,
        }


def run_baseline(model: ItemScorer, valid: EvalSplit, test: EvalSplit, say: Progress) -> ModelResult:
    """Grid search on validation, then one refit and one test evaluation."""
    best: tuple[float, dict[str, Any], dict[str, float]] = (-1.0, {}, {})
    seconds = 0.0
    for params in model.param_grid:
        start = time.perf_counter()
        model.fit(valid.train, **params)
        seconds += time.perf_counter() - start
        metrics = evaluate_scorer(model.score, valid)
        say(f"{model.name} {params}: valid ndcg@10 {metrics['ndcg@10']:.4f}")
        if metrics["ndcg@10"] > best[0]:
            best = (metrics["ndcg@10"], params, metrics)
    start = time.perf_counter()
    model.fit(test.train, **best[1])
    refit = time.perf_counter() - start
    return ModelResult(best[2], evaluate_scorer(model.score, test), best[1], refit, {"tuning_seconds": seconds})


def run_optirec(model: Optirec, valid: EvalSplit, test: EvalSplit, say: Progress) -> ModelResult:
    """Tune (train) on validation, refit the item-to-item source on the test events, test once.

    Also reports, on the test split, each source alone: the network alone is the "without the
    item-to-item source" ablation.
    """
    start = time.perf_counter()
    tuned = model.tune(valid)
    model.fit(valid.train)
    valid_metrics = evaluate_scorer(model.score, valid)
    model.fit(test.train)
    seconds = time.perf_counter() - start
    test_metrics = evaluate_scorer(model.score, test)
    sources: dict[str, dict[str, float]] = {"network": evaluate_scorer(model.network_scores, test)}
    if model.item_item is not None:
        sources["item_item"] = evaluate_scorer(lambda u: model.item_scores(u, tuned.decay), test)
    params = {
        "lam": tuned.lam,
        "decay": tuned.decay,
        "weights": list(tuned.weights),
        "best_epoch": tuned.best_epoch,
        "valid_ndcg_by_source": tuned.valid_ndcg,
    }
    return ModelResult(valid_metrics, test_metrics, params, seconds, {"test_by_source": sources})
