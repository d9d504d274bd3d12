"""How a demo shopper responds to a product: the one model the simulator samples and the ground truth averages.

A product's attractiveness to a customer is their hidden utility plus how well it fits. A shopper who sees it
clicks with σ(CLICK_BIAS + A), adds a viewed product to the cart with σ(ATC_BIAS + ATC_SLOPE·A), and buys a
carted product with σ(BUY_BIAS + BUY_SLOPE·A) only if it passes every hard rule (a lab cannot make lenses a
frame cannot take). The biases put the funnel in published e-commerce ranges (docs/eyewear.md).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array

FIT_WEIGHT = 2.0  # utility of a perfect fit (score 1) over a neutral one (0.5), ×2
CLICK_BIAS = -3.0
ATC_BIAS, ATC_SLOPE = -6.3, 0.45
BUY_BIAS, BUY_SLOPE = -1.8, 0.35
REMOVE_SHARE = 0.3  # of carted products not bought, removed explicitly before leaving


def sigmoid(x: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """The logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64))), dtype=np.float64)


def attractiveness(utility: Float32Array, fit: Float32Array) -> Float32Array:
    """Utility plus fit, (n_customers, n_products)."""
    return (utility + FIT_WEIGHT * (fit - 0.5)).astype(np.float32)


def p_add_to_cart(a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Probability that a view is followed by an add to cart."""
    return sigmoid(ATC_BIAS + ATC_SLOPE * a)


def p_buy(a: npt.NDArray[np.floating], ok: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Probability that a carted product is bought: zero when a hard rule fails."""
    return sigmoid(BUY_BIAS + BUY_SLOPE * a) * ok


def p_click(a: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Probability that a shown, examined product is opened."""
    return sigmoid(CLICK_BIAS + a)
