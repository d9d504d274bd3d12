"""Ranking metrics as pure functions on arrays (leave-one-out: one target per user).

A rank is 0 for the first position. Ties with the target count half, so a constant scorer gets the rank
it would get on average under a random tie-break, never a lucky first place.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optirec.arrays import FloatArray


def target_ranks(scores: npt.NDArray[np.floating], targets: npt.NDArray[np.integer]) -> FloatArray:
    """Rank of each row's target among all columns; scores (n_users, n_items), targets (n_users,).

    Excluded items should carry -inf; a target with -inf never reaches the top.
    """
    rows = np.arange(scores.shape[0])
    target_scores = scores[rows, targets][:, None]
    greater = (scores > target_scores).sum(axis=1)
    ties = (scores == target_scores).sum(axis=1) - 1
    ranks = greater + ties / 2.0
    ranks[~np.isfinite(target_scores[:, 0])] = float(scores.shape[1])
    return np.asarray(ranks, dtype=np.float64)


def hits(ranks: FloatArray, k: int) -> FloatArray:
    """Per-user hit at k: 1.0 when the target is in the top k, else 0.0."""
    return np.asarray(ranks < k, dtype=np.float64)


def ndcg_gains(ranks: FloatArray, k: int) -> FloatArray:
    """Per-user NDCG at k with one relevant item: 1/log2(floor(rank) + 2) inside the top k, else 0."""
    return np.asarray(np.where(ranks < k, 1.0 / np.log2(np.floor(ranks) + 2.0), 0.0), dtype=np.float64)


def hit_rate(ranks: FloatArray, k: int) -> float:
    """Share of users whose target is in the top k (= Recall@k with one target)."""
    return float(np.mean(hits(ranks, k))) if ranks.size else 0.0


def ndcg(ranks: FloatArray, k: int) -> float:
    """Normalised discounted cumulative gain at k with one relevant item, averaged over users."""
    return float(np.mean(ndcg_gains(ranks, k))) if ranks.size else 0.0


def paired_bootstrap(
    ours: FloatArray, theirs: FloatArray, *, resamples: int = 2000, level: float = 0.95, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of `ours - theirs` (per-user values of one metric, same users in the same order) and its
    percentile bootstrap interval at `level`: users are resampled with replacement, the pairs kept together.

    Returns (mean difference, low, high). Seeded, so the same inputs give the same interval.
    """
    diff = np.asarray(ours, dtype=np.float64) - np.asarray(theirs, dtype=np.float64)
    if diff.ndim != 1 or not diff.size:
        raise ValueError("paired_bootstrap needs two equally long, non-empty 1-d arrays")
    rng = np.random.default_rng(seed)
    means = np.empty(resamples, dtype=np.float64)
    chunk = max(1, 2_000_000 // diff.size)  # bound the (chunk, n_users) index matrix
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        means[start : start + size] = diff[rng.integers(0, diff.size, (size, diff.size))].mean(axis=1)
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return float(diff.mean()), float(low), float(high)


def mrr(ranks: FloatArray) -> float:
    """Mean reciprocal rank over the whole catalogue."""
    return float(np.mean(1.0 / (np.floor(ranks) + 1.0))) if ranks.size else 0.0


def coverage(top_items: npt.NDArray[np.integer], n_items: int) -> float:
    """Share of the catalogue that appears in at least one recommendation list; top_items (n_users, k)."""
    if n_items == 0:
        return 0.0
    return float(np.unique(top_items).size / n_items)


def top_k(scores: npt.NDArray[np.floating], k: int) -> npt.NDArray[np.int64]:
    """Column indices of the k best scores of each row, best first; scores (n_users, n_items)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1).astype(np.int64)


def zscore_rows(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    """Standardise each row over its finite entries (mean 0, std 1), for blending sources on one scale.

    Non-finite entries stay -inf. The sums run in float64 over one centred copy, rewritten in place (a third of
    the passes over a (users, items) batch of a straightforward version, the same values to the bit)."""
    finite = np.isfinite(scores)
    safe = np.where(finite, scores, np.float32(0.0))
    count = np.maximum(finite.sum(axis=1, keepdims=True), 1)
    centred = safe - safe.sum(axis=1, keepdims=True) / count  # float64
    del safe
    centred[~finite] = 0.0
    var = (centred**2).sum(axis=1, keepdims=True) / count
    centred /= np.sqrt(var + 1e-12)
    out: npt.NDArray[np.float32] = centred.astype(np.float32)
    out[~finite] = -np.inf
    return out
