"""Prescriptions drawn from published prevalences, vectorised over customers.

Adults: myopia 27–42% (Hashemi et al. 2018 pooled 26.5%; Vitale et al. 2009, US 12–54 years, 41.6%), hyperopia
more common with age (Hashemi: 30.9% of adults, most of it low), astigmatism of 0.50 D or more in ~40% (Hashemi:
40.4%), and a reading addition past ~42 that rises with age (~+1.00 at 45, +2.00 at 55, +2.50 from 60). High
myopia (−6.00 or beyond) is ~5% of people (Holden et al. 2016), 8–15% of myopes. Children: more myopia than
hyperopia among those who wear glasses. The shares here are among customers who wear a prescription.
"""

from __future__ import annotations

import numpy as np

from optirec.arrays import FloatArray, IntArray


def quarter(values: FloatArray, lo: float, hi: float) -> FloatArray:
    """Round to 0.25 D steps within [lo, hi]."""
    return np.clip(np.round(values * 4) / 4, lo, hi)


def spherical_equivalent(rng: np.random.Generator, age: IntArray) -> FloatArray:
    """The refractive state (D) of customers who wear a prescription, by age."""
    n = age.shape[0]
    kids = age < 16
    u = rng.random(n)
    p_myopia = np.where(kids, 0.55, 0.55)
    p_hyper = np.where(kids, 0.20, np.where(age >= 45, 0.28, 0.14))
    myopia = -(0.5 + rng.exponential(np.where(kids, 1.3, 2.2)))
    hyperopia = 0.5 + rng.exponential(np.where(age >= 55, 1.5, 1.0))
    low = rng.normal(0.0, 0.3, n)  # emmetropes: a prescription for astigmatism or reading only
    return np.where(u < p_myopia, myopia, np.where(u < p_myopia + p_hyper, hyperopia, low))


def cylinder_and_axis(rng: np.random.Generator, age: IntArray) -> tuple[FloatArray, IntArray]:
    """Minus-cylinder (D) and axis (degrees; 0 without cylinder): with-the-rule when young, against it when old."""
    n = age.shape[0]
    has = rng.random(n) < 0.45
    cyl = -quarter(np.asarray(0.25 + rng.exponential(0.55, n), dtype=np.float64), 0.0, 6.0) * has
    u = rng.random(n)
    p_wtr = np.clip(0.75 - 0.01 * np.maximum(age - 30, 0), 0.25, 0.75)
    wtr = np.round(rng.normal(180, 12, n)) % 180
    atr = np.round(rng.normal(90, 12, n))
    oblique = rng.integers(20, 70, n) + 90 * rng.integers(0, 2, n)
    axis = np.where(u < p_wtr, wtr, np.where(u < p_wtr + 0.2, atr, oblique)).astype(np.int64)
    axis = np.where(axis == 0, 180, np.clip(axis, 1, 180))
    return np.where(cyl == 0, 0.0, cyl), np.where(cyl == 0, 0, axis)


def reading_addition(rng: np.random.Generator, age: IntArray) -> FloatArray:
    """ADD (D) by age, 0 before presbyopia or when the customer's prescription has none."""
    add = 0.75 + 0.09 * (age - 42) + rng.normal(0, 0.15, age.shape[0])
    add = quarter(np.minimum(add, 2.75), 0.75, 3.5)
    has = (age >= 42) & (rng.random(age.shape[0]) < np.clip(0.3 + 0.04 * (age - 42), 0.0, 0.8))
    return np.where(has, add, 0.0)


def prescriptions(rng: np.random.Generator, age: IntArray) -> dict[str, FloatArray | IntArray]:
    """Right and left eye arrays (sph, cyl, axis, add) for customers who wear a prescription."""
    n = age.shape[0]
    se = spherical_equivalent(rng, age)
    out: dict[str, FloatArray | IntArray] = {}
    add = reading_addition(rng, age)
    for side, noise in (("r", 0.0), ("l", 0.35)):
        cyl, axis = cylinder_and_axis(rng, age) if side == "r" else _fellow_cylinder(rng, out)
        eye_se = se + rng.normal(0, noise, n) if noise else se
        out[f"{side}_sph"] = quarter(eye_se - cyl / 2, -20.0, 20.0)
        out[f"{side}_cyl"] = cyl
        out[f"{side}_axis"] = axis
        out[f"{side}_add"] = add
    return out


def _fellow_cylinder(rng: np.random.Generator, right: dict[str, FloatArray | IntArray]) -> tuple[FloatArray, IntArray]:
    """The left eye's cylinder, close to the right's (eyes are usually alike) with a mirrored axis."""
    cyl = np.asarray(right["r_cyl"], dtype=np.float64)
    n = cyl.shape[0]
    left = quarter(cyl + rng.normal(0, 0.25, n), -6.0, 0.0)
    axis = (180 - np.asarray(right["r_axis"]) + rng.integers(-10, 11, n)) % 180
    axis = np.where(axis == 0, 180, axis).astype(np.int64)
    return np.where(left == 0, 0.0, left), np.where(left == 0, 0, axis)
