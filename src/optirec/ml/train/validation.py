"""Scoring the validation targets while tuning: NDCG@10 over the full catalogue, the history removed."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from optirec.arrays import Float32Array, IntArray
from optirec.ml import metrics
from optirec.ml.train.data import user_item_matrix
from optirec.ml.train.splits import EvalSplit

BATCH_USERS = 1024

ScoreFn = Callable[[IntArray], Float32Array]


def mask_history(scores: Float32Array, history: sp.csr_matrix) -> Float32Array:
    """Set the scores of items already in each user's history to -inf; history rows align with scores."""
    coo = history.tocoo()
    scores[coo.row, coo.col] = -np.inf
    return scores


def ndcg_at_10(score: ScoreFn, split: EvalSplit) -> float:
    """Only NDCG@10 (no top lists): the cheap check used while tuning."""
    history = user_item_matrix(split.train)
    ranks = [
        metrics.target_ranks(
            mask_history(np.array(score(users), dtype=np.float32), history[users]),
            split.targets[start : start + BATCH_USERS],
        )
        for start in range(0, len(split.users), BATCH_USERS)
        for users in [split.users[start : start + BATCH_USERS]]
    ]
    return metrics.ndcg(np.concatenate(ranks), 10) if ranks else 0.0
