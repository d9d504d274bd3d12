"""Hidden tastes of the demo customers and the utility they give each product.

The tastes are what the simulator knows and a recommender must discover: weights over shapes, colours,
materials, brands and rim types (Dirichlet draws: a few strong likes each), a budget and a price sensitivity,
a gender and an age group, a wish for sunglasses, and a low-rank latent taste shared by colour variants of a
model. `utility` turns them into one (customers × products) matrix; `tastes.npz` stores them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array, FloatArray
from optirec.demo.catalog import KIND_ACCESSORY, CatalogArrays

# How much each part of a taste moves the utility (log-odds units).
TASTE_STRENGTH = {"shape": 1.0, "colour": 0.6, "material": 0.4, "brand": 0.7, "rim": 0.5}
GENDER_MISMATCH = -1.5  # a women's frame for a man, or the reverse
AUDIENCE_MISMATCH = -4.0  # a kids' frame for an adult, or the reverse
OVER_BUDGET = -2.5  # per unit of (price / budget − 1), times the price sensitivity
LATENT_DIM = 8


@dataclass(frozen=True)
class Tastes:
    """Per customer (rows) and per product arrays; `item_*` arrays have one entry per product."""

    shape: FloatArray  # (n_customers, n_shapes), log preference
    colour: FloatArray
    material: FloatArray
    brand: FloatArray
    rim: FloatArray
    women: npt.NDArray[np.bool_]  # (n_customers,)
    kids: npt.NDArray[np.bool_]
    budget: FloatArray  # hidden budget, EUR
    price_sensitivity: FloatArray
    sun_share: FloatArray  # share of the customer's sessions spent on sunglasses
    rx_sunglasses: npt.NDArray[np.bool_]  # wants prescription sunglasses
    activity: FloatArray  # relative number of sessions
    latent: FloatArray  # (n_customers, LATENT_DIM)
    item_latent: FloatArray  # (n_products, LATENT_DIM)
    item_quality: FloatArray  # (n_products,), a model's broad appeal
    item_exposure: FloatArray  # (n_products,), how prominently the shop lists it

    def save(self, path: Path) -> None:
        """Write every array to one `.npz` file."""
        np.savez_compressed(path, **asdict(self))

    @classmethod
    def load(cls, path: Path) -> Tastes:
        with np.load(path) as data:
            return cls(**{f.name: data[f.name] for f in fields(cls)})


def log_dirichlet(rng: np.random.Generator, n: int, k: int, alpha: float, base: FloatArray | None = None) -> FloatArray:
    """Log of Dirichlet(alpha) weights times k (0 means average), optionally mixed with shop-wide shares."""
    weights = rng.dirichlet(np.full(k, alpha), size=n)
    if base is not None:
        weights = 0.6 * weights + 0.4 * base[None, :]
    return np.log(np.maximum(weights * k, 1e-3))


def utility(tastes: Tastes, items: CatalogArrays) -> Float32Array:
    """How much each customer likes each product (log-odds), shape (n_customers, n_products); no fit, no rules."""

    def part(matrix: FloatArray, codes: npt.NDArray[np.int64], weight: float) -> FloatArray:
        valid = codes >= 0
        out = np.zeros((matrix.shape[0], codes.shape[0]))
        out[:, valid] = matrix[:, codes[valid]] * weight
        return out

    u = part(tastes.shape, items.shape, TASTE_STRENGTH["shape"])
    u += part(tastes.colour, items.colour, TASTE_STRENGTH["colour"])
    u += part(tastes.material, items.material, TASTE_STRENGTH["material"])
    u += part(tastes.brand, items.brand, TASTE_STRENGTH["brand"])
    u += part(tastes.rim, items.rim, TASTE_STRENGTH["rim"])
    u += tastes.latent @ tastes.item_latent.T + tastes.item_quality[None, :]
    women_item, men_item = items.gender == 1, items.gender == 2
    u += GENDER_MISMATCH * (np.outer(~tastes.women, women_item) + np.outer(tastes.women, men_item))
    frames = items.kind != KIND_ACCESSORY
    u += AUDIENCE_MISMATCH * (np.outer(tastes.kids, ~items.kids & frames) + np.outer(~tastes.kids, items.kids))
    ratio = items.price[None, :] / tastes.budget[:, None]
    u += OVER_BUDGET * tastes.price_sensitivity[:, None] * np.maximum(ratio - 1.0, 0.0)
    u -= 0.3 * tastes.price_sensitivity[:, None] * np.log(ratio)
    return u.astype(np.float32)
