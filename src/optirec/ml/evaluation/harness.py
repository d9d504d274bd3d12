"""Scoring a split: rank every catalogue item for each evaluated user and compute the metrics.

The user's training history is removed from the ranking. Metrics: HR and NDCG at 5, 10 and 20, MRR,
catalogue coverage of the top 10, and HR/NDCG@10 on the cold-target slice (few training interactions).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.ml import metrics
from optirec.ml.train.data import user_item_matrix
from optirec.ml.train.splits import EvalSplit
from optirec.ml.train.validation import BATCH_USERS, ScoreFn, mask_history

CUTOFFS = (5, 10, 20)
COLD_MAX_INTERACTIONS = 5  # a target item with at most this many training interactions is "cold"


def rank_split(score: ScoreFn, split: EvalSplit) -> tuple[npt.NDArray[np.float64], IntArray]:
    """Target ranks (n_eval,) and top-20 lists (n_eval, 20) of a scorer on a split."""
    history = user_item_matrix(split.train)
    ranks: list[npt.NDArray[np.float64]] = []
    tops: list[IntArray] = []
    for start in range(0, len(split.users), BATCH_USERS):
        users = split.users[start : start + BATCH_USERS]
        scores = mask_history(np.array(score(users), dtype=np.float32), history[users])
        ranks.append(metrics.target_ranks(scores, split.targets[start : start + BATCH_USERS]))
        tops.append(metrics.top_k(scores, max(CUTOFFS)))
    return np.concatenate(ranks), np.concatenate(tops)


def split_metrics(ranks: npt.NDArray[np.float64], tops: IntArray, split: EvalSplit) -> dict[str, float]:
    """The report's metrics from ranks and top lists."""
    out: dict[str, float] = {}
    for k in CUTOFFS:
        out[f"hr@{k}"] = metrics.hit_rate(ranks, k)
        out[f"ndcg@{k}"] = metrics.ndcg(ranks, k)
    out["mrr"] = metrics.mrr(ranks)
    out["coverage@10"] = metrics.coverage(tops[:, :10], split.train.n_items)
    counts = np.bincount(split.train.items, minlength=split.train.n_items)
    cold = counts[split.targets] <= COLD_MAX_INTERACTIONS
    out["cold_users"] = float(cold.sum())
    out["cold_hr@10"] = metrics.hit_rate(ranks[cold], 10)
    out["cold_ndcg@10"] = metrics.ndcg(ranks[cold], 10)
    out["users"] = float(len(ranks))
    return out


def evaluate_scorer(score: ScoreFn, split: EvalSplit) -> dict[str, float]:
    """All metrics of a scorer on a split."""
    ranks, tops = rank_split(score, split)
    return split_metrics(ranks, tops, split)
