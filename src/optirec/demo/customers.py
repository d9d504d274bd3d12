"""Demo customers: ages, prescriptions, PD and face widths from adult and child distributions, and hidden tastes.

PD: men 64.7 ± 3.7 mm, women 62.3 ± 3.6 (Dodgson 2004), children about 44 + 0.95 × age. Face width
(bizygomatic breadth): men 143.5 ± 5.9 mm, women 133.9 ± 5.5 (ANSUR II 2012), children about 105 + 1.8 × age.
Not every profile is complete: a prescription is on file for ~70%, a PD for ~65%, a face width for ~50%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optirec.arrays import FloatArray
from optirec.customers.schemas import CustomerImport
from optirec.demo import vocab
from optirec.demo.catalog import CatalogArrays
from optirec.demo.prescriptions import prescriptions
from optirec.demo.tastes import LATENT_DIM, Tastes, log_dirichlet
from optirec.eyewear.wearer import Eye, Wearer

DEMO_EMAIL = "demo@optirec.example"
YEAR = 2026
KIDS_SHARE = 0.08


@dataclass(frozen=True)
class Customers:
    """The customers as importable rows, as the rules see them, and their hidden tastes (same order)."""

    rows: list[CustomerImport]
    wearers: list[Wearer]
    tastes: Tastes


def _ages(rng: np.random.Generator, n: int) -> npt.NDArray[np.int64]:
    """Adults 18–85 weighted to 30–60 (online optical buyers), and a share of children 6–15."""
    adults = np.clip(np.round(rng.normal(46, 14, n)), 18, 85)
    kids = rng.integers(6, 16, n)
    return np.where(rng.random(n) < KIDS_SHARE, kids, adults).astype(np.int64)


def _measures(rng: np.random.Generator, age: npt.NDArray[np.int64], women: npt.NDArray[np.bool_]) -> FloatArray:
    """PD and face width (mm), shape (n, 2)."""
    n, kids = age.shape[0], age < 16
    pd = np.where(women, rng.normal(62.3, 3.6, n), rng.normal(64.7, 3.7, n))
    pd = np.where(kids, 44 + 0.95 * age + rng.normal(0, 2.5, n), pd)
    face = np.where(women, rng.normal(133.9, 5.5, n), rng.normal(143.5, 5.9, n))
    face = np.where(kids, 105 + 1.8 * age + rng.normal(0, 4, n), face)
    return np.stack([np.clip(np.round(pd * 2) / 2, 50, 80), np.clip(np.round(face), 100, 175)], axis=1)


def _tastes(
    rng: np.random.Generator, n: int, n_items: int, women: npt.NDArray[np.bool_], age: npt.NDArray[np.int64]
) -> Tastes:
    """Hidden tastes; the products' latent taste, appeal and exposure are drawn per model by the caller."""
    kids = age < 16
    budget = np.exp(rng.normal(np.log(np.where(kids, 80.0, 140.0)), 0.5))
    return Tastes(
        shape=log_dirichlet(rng, n, len(vocab.SHAPES), 0.5),
        colour=log_dirichlet(rng, n, len(vocab.COLOURS), 0.4, np.array(vocab.shares(vocab.COLOURS))),
        material=log_dirichlet(rng, n, len(vocab.MATERIALS), 0.8),
        brand=log_dirichlet(rng, n, len(vocab.BRANDS), 0.3),
        rim=log_dirichlet(rng, n, len(vocab.RIMS), 0.8, np.array([0.7, 0.18, 0.12])),
        women=women,
        kids=kids,
        budget=np.round(budget, 2).astype(np.float64),
        price_sensitivity=rng.lognormal(0.0, 0.4, n),
        sun_share=np.where(kids, 0.05, rng.beta(2.0, 5.0, n)),
        rx_sunglasses=rng.random(n) < 0.3,
        activity=rng.lognormal(0.0, 1.0, n),
        latent=rng.normal(0.0, 0.35, (n, LATENT_DIM)),
        item_latent=np.zeros((n_items, LATENT_DIM)),
        item_quality=np.zeros(n_items),
        item_exposure=np.ones(n_items),
    )


def _with_items(rng: np.random.Generator, tastes: Tastes, items: CatalogArrays) -> Tastes:
    """Fill in the per-product parts, shared by the colour variants of a model."""
    n_models = int(items.model.max()) + 1
    latent = rng.normal(0.0, 1.0, (n_models, LATENT_DIM))[items.model]
    quality = rng.normal(0.0, 0.6, n_models)[items.model]
    exposure = rng.lognormal(0.0, 0.8, items.model.shape[0])
    return Tastes(**{**tastes.__dict__, "item_latent": latent, "item_quality": quality, "item_exposure": exposure})


def generate_customers(rng: np.random.Generator, n: int, items: CatalogArrays) -> Customers:
    """`n` customers with profiles (some incomplete) and hidden tastes."""
    age = _ages(rng, n)
    women = rng.random(n) < 0.55
    measures = _measures(rng, age, women)
    rx = prescriptions(rng, age)
    has_rx = rng.random(n) < np.where(age < 16, 0.5, 0.7)
    has_pd, has_face = rng.random(n) < 0.65, rng.random(n) < 0.5
    _demo_profile(age, women, measures, rx)
    has_rx[0] = has_pd[0] = has_face[0] = True
    tastes = _with_items(rng, _tastes(rng, n, items.kind.shape[0], women, age), items)
    stated = rng.random(n) < 0.3
    rows, wearers = [], []
    for k in range(n):
        eyes = (_eye(rx, "r", k), _eye(rx, "l", k)) if has_rx[k] else (None, None)
        pd = float(measures[k, 0]) if has_pd[k] else None
        face = float(measures[k, 1]) if has_face[k] else None
        wearers.append(Wearer(eyes[0], eyes[1], pd, face, bool(tastes.rx_sunglasses[k])))
        rows.append(_row(k, age[k], eyes, pd, face, tastes, stated[k]))
    return Customers(rows, wearers, tastes)


def _demo_profile(age: npt.NDArray[np.int64], women: npt.NDArray[np.bool_], measures: FloatArray,
                  rx: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]]) -> None:  # fmt: skip
    """The demo login (customer 0): 51, moderate myopia with astigmatism and a +1.75 reading addition."""
    age[0], women[0] = 51, True
    measures[0] = (62.5, 136.0)
    for side, sph, cyl, axis in (("r", -2.75, -0.75, 175), ("l", -2.5, -0.5, 5)):
        rx[f"{side}_sph"][0], rx[f"{side}_cyl"][0], rx[f"{side}_axis"][0] = sph, cyl, axis
        rx[f"{side}_add"][0] = 1.75


def _eye(rx: dict[str, npt.NDArray[np.float64] | npt.NDArray[np.int64]], side: str, k: int) -> Eye:
    cyl = float(rx[f"{side}_cyl"][k])
    add = float(rx[f"{side}_add"][k])
    return Eye(float(rx[f"{side}_sph"][k]), cyl, int(rx[f"{side}_axis"][k]) if cyl else None, add or None)


def _row(k: int, age: np.int64, eyes: tuple[Eye | None, Eye | None], pd: float | None, face: float | None,
         tastes: Tastes, stated: bool) -> CustomerImport:  # fmt: skip
    """One importable customer; a few carry an email (the first is the demo login)."""
    right, left = eyes
    prescription = None
    if right is not None and left is not None:
        prescription = {"right": right.__dict__, "left": left.__dict__}
    preferences = None
    if stated:
        preferences = {
            "shapes": [vocab.SHAPES[int(np.argmax(tastes.shape[k]))]],
            "colours": [vocab.values(vocab.COLOURS)[int(np.argmax(tastes.colour[k]))]],
        }
    budget = float(tastes.budget[k])
    return CustomerImport.model_validate(
        {
            "id": f"C{k + 1:05d}",
            "email": DEMO_EMAIL if k == 0 else f"customer{k + 1}@optirec.example" if k < 10 else None,
            "prescription": prescription,
            "pd_mm": pd,
            "face_width_mm": face,
            "birth_year": YEAR - int(age),
            "preferences": preferences,
            "budget_max": f"{round(budget * 1.2, -1):.2f}" if k % 3 == 0 else None,
        }
    )
