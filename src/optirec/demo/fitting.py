"""Which products each demo customer can buy (the hard rules) and how well each fits (the soft score)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from optirec.catalog.schemas import ProductCreate
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.vectorized import FrameArrays, evaluate
from optirec.eyewear.wearer import Wearer


def fit_matrices(
    wearers: Sequence[Wearer],
    products: Sequence[ProductCreate],
    settings: RuleSettings,
    *,
    tick: Callable[[int], None] | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float32]]:
    """Pass-every-rule mask and fit score, each (n_customers, n_products); `tick(k)` reports progress."""
    frames = FrameArrays.from_products(products, settings)
    ok = np.zeros((len(wearers), len(products)), dtype=np.bool_)
    fit = np.zeros((len(wearers), len(products)), dtype=np.float32)
    for k, wearer in enumerate(wearers):
        failed, fit[k] = evaluate(frames, wearer, settings)  # the rules each frame fails, as bits; its fit score
        ok[k] = failed == 0
        if tick is not None and k % 500 == 499:
            tick(500)
    return ok, fit
