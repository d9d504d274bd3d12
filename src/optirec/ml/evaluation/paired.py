"""Our model against each baseline on the same test users: paired bootstrap intervals and the rank dump.

The per-user value of a model run with several seeds is the mean over its seeds, so the interval is that of the
seed-averaged model minus the baseline, the users resampled (`metrics.paired_bootstrap`).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from optirec.arrays import FloatArray
from optirec.ml import metrics
from optirec.ml.evaluation.evaluate import ModelResult
from optirec.ml.train.splits import EvalSplit

PAIRED_METRICS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "ndcg@10": lambda ranks: metrics.ndcg_gains(ranks, 10),
    "hr@10": lambda ranks: metrics.hits(ranks, 10),
}
RANK_COLUMNS = ("user", "item", "model", "seed", "rank")


def per_user(result: ModelResult, metric: str) -> FloatArray:
    """Each test user's value of `metric` ("ndcg@10" or "hr@10"), averaged over the model's seeds."""
    gains = PAIRED_METRICS[metric]
    return np.asarray(np.mean([gains(ranks) for ranks in result.ranks.values()], axis=0), dtype=np.float64)


def paired_intervals(
    results: dict[str, ModelResult], ours: Sequence[str], *, seed: int = 0, resamples: int = 2000
) -> dict[str, dict[str, dict[str, float]]]:
    """`{"ours - baseline": {metric: {"diff", "low", "high"}}}` for each of our models against each other model
    with test ranks: the mean per-user difference and its 95 % paired bootstrap interval."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    baselines = [name for name, r in results.items() if name not in ours and r.ranks]
    for name in (n for n in ours if n in results and results[n].ranks):
        for base in baselines:
            row: dict[str, dict[str, float]] = {}
            for metric in PAIRED_METRICS:
                diff, low, high = metrics.paired_bootstrap(
                    per_user(results[name], metric), per_user(results[base], metric), resamples=resamples, seed=seed
                )
                row[metric] = {"diff": diff, "low": low, "high": high}
            out[f"{name} - {base}"] = row
    return out


def write_ranks(path: Path, results: dict[str, ModelResult], test: EvalSplit) -> int:
    """Write every test user's rank of their target, for every model and seed, as CSV; returns the row count.

    Columns: user (external id), item (the target's external id), model, seed, rank (0 = first place among
    every item not in the user's training history; a tie with the target counts half, so a rank ends in .0 or .5).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    users = [test.train.user_ids[u] for u in test.users]
    items = [test.train.item_ids[i] for i in test.targets]
    rows = 0
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(RANK_COLUMNS)
        for name, result in results.items():
            for seed, ranks in sorted(result.ranks.items()):
                for user, item, rank in zip(users, items, ranks.tolist(), strict=True):
                    writer.writerow((user, item, name, seed, f"{rank:.1f}"))
                rows += len(users)
    return rows
