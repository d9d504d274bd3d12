"""The offline evaluation: run models side by side on one split, tune on validation, test once.

Every model gets the same training events for a split. Baselines try each value of their `param_grid` on
the validation split and refit the best on the test split's events (train + validation); our model tunes
itself on validation (network epochs by early stopping, λ, decay, blend weights), then its network is retrained
on the test split's events for the chosen number of epochs and its item-to-item source refitted, like the
baselines. Our model runs once per seed; its metrics are the mean over seeds, with their spread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from optirec.arrays import FloatArray
from optirec.ml.evaluation.baselines.base import ItemScorer
from optirec.ml.evaluation.harness import evaluate_scorer, rank_split, split_metrics
from optirec.ml.evaluation.scorer import Optirec
from optirec.ml.train.splits import EvalSplit

Progress = Callable[[str], None]


@dataclass
class ModelResult:
    """One model's validation and test metrics (means over seeds), chosen parameters and training time.

    `ranks` holds the test target's rank of every evaluated user by seed (0 = first; ties count half), for the
    paired bootstrap and `--dump-ranks`; `spread` the std, min and max over seeds of each test metric.
    """

    valid: dict[str, float]
    test: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)
    train_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    ranks: dict[int, FloatArray] = field(default_factory=dict)
    spread: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "valid": self.valid,
            "test": self.test,
            "params": self.params,
            "train_seconds": round(self.train_seconds, 2),
            "seeds": sorted(self.ranks),
            **self.extra,
        }
        if self.spread:
            out["test_spread"] = self.spread
        return out


def run_baseline(model: ItemScorer, valid: EvalSplit, test: EvalSplit, say: Progress, seed: int = 0) -> ModelResult:
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
    ranks, tops = rank_split(model.score, test)
    extra = {"tuning_seconds": seconds}
    return ModelResult(best[2], split_metrics(ranks, tops, test), best[1], refit, extra, {seed: ranks})


def run_optirec(model: Optirec, valid: EvalSplit, test: EvalSplit, say: Progress, seed: int = 0) -> ModelResult:
    """Tune (train) on validation, retrain the network and refit the item-to-item source on the test events,
    test once.

    Also reports, on the test split, each source alone: the network alone is the "without the
    item-to-item source" ablation.
    """
    start = time.perf_counter()
    tuned = model.tune(valid, refits=(valid.train, test.train))
    model.fit(valid.train)
    valid_metrics = evaluate_scorer(model.score, valid)
    say(f"retraining the network on the test split's events for {max(1, tuned.best_epoch)} epochs")
    model.retrain_network(test.train)
    model.fit(test.train)
    seconds = time.perf_counter() - start
    ranks, tops = rank_split(model.score, test)
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
    extra = {"test_by_source": sources}
    return ModelResult(valid_metrics, split_metrics(ranks, tops, test), params, seconds, extra, {seed: ranks})


def run_seeds(
    make: Callable[[int], Optirec], seeds: Sequence[int], valid: EvalSplit, test: EvalSplit, say: Progress
) -> ModelResult:
    """Our model fitted once per seed; metrics are means over seeds, `spread` their std, min and max."""
    runs = []
    for seed in seeds:
        say(f"seed {seed}")
        runs.append(run_optirec(make(seed), valid, test, say, seed))
    if len(runs) == 1:
        return runs[0]
    test_metrics = {k: [r.test[k] for r in runs] for k in runs[0].test}
    sources = {s: _mean([r.extra["test_by_source"][s] for r in runs]) for s in runs[0].extra["test_by_source"]}
    return ModelResult(
        valid=_mean([r.valid for r in runs]),
        test={k: float(np.mean(v)) for k, v in test_metrics.items()},
        params={"by_seed": [r.params for r in runs]},
        train_seconds=float(np.mean([r.train_seconds for r in runs])),
        extra={"test_by_source": sources, "test_by_seed": [r.test for r in runs]},
        ranks={seed: ranks for r in runs for seed, ranks in r.ranks.items()},
        spread={
            k: {"std": float(np.std(v)), "min": float(np.min(v)), "max": float(np.max(v))}
            for k, v in test_metrics.items()
        },
    )


def _mean(dicts: list[dict[str, float]]) -> dict[str, float]:
    return {k: float(np.mean([d[k] for d in dicts])) for k in dicts[0]}
