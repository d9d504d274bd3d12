"""Ground truth: since the simulator knows every shopper's tastes, it can score any recommendation list.

A list of k products shown to a customer is examined position by position with probability 1 / log2(rank + 1)
(the usual position bias), an examined product is opened with `response.p_click`, carted with
`response.p_add_to_cart` and bought with `response.p_buy` (zero when a hard rule fails). The expected number of
purchases a list brings is the sum over its positions; products the customer already bought are worth nothing.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array, IntArray
from optirec.demo import response


def purchase_probability(attract: Float32Array, ok: npt.NDArray[np.bool_]) -> Float32Array:
    """P(bought | shown and examined), (n_customers, n_products): click × add to cart × buy."""
    p = response.p_click(attract) * response.p_add_to_cart(attract) * response.p_buy(attract, ok)
    return p.astype(np.float32)


def position_weights(k: int) -> npt.NDArray[np.float64]:
    """Probability that the shopper examines rank 1…k: 1 / log2(rank + 1)."""
    return np.asarray(1.0 / np.log2(np.arange(2, k + 2)), dtype=np.float64)


def expected_purchases(
    probability: Float32Array, users: IntArray, lists: IntArray, bought: npt.NDArray[np.bool_] | None = None
) -> npt.NDArray[np.float64]:
    """Expected purchases of each user's list, shape (n_lists,); `lists` is (n_lists, k), -1 for an empty slot.

    `bought` (n_customers, n_products) marks products already bought, which earn nothing again.
    """
    valid = lists >= 0
    safe = np.where(valid, lists, 0)
    p = probability[users[:, None], safe].astype(np.float64) * valid
    if bought is not None:
        p *= ~bought[users[:, None], safe]
    return np.asarray(p @ position_weights(lists.shape[1]), dtype=np.float64)


def oracle_lists(
    probability: Float32Array, users: IntArray, k: int, bought: npt.NDArray[np.bool_] | None = None
) -> IntArray:
    """The best possible lists: each user's k products of highest purchase probability (an upper bound)."""
    p = probability[users].copy()
    if bought is not None:
        p[bought[users]] = -1.0
    top = np.argpartition(-p, k, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(p, top, axis=1), axis=1, kind="stable")
    return np.take_along_axis(top, order, axis=1).astype(np.int64)
