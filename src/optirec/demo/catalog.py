"""The demo catalogue: frame models in colour variants, with real-world shares of shapes, materials, rims and sizes.

`generate_catalog(rng, n)` returns `ProductCreate` rows (every one validated) and the same products as code arrays
(`CatalogArrays`) that the customers' tastes and the simulator use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optirec.arrays import FloatArray, IntArray
from optirec.catalog.schemas import ProductCreate
from optirec.demo import vocab
from optirec.demo.frames import FrameSpec, draw_frame, frame_description

KIND_GLASSES, KIND_SUN, KIND_ACCESSORY = 0, 1, 2
KINDS = ("eyeglasses", "sunglasses", "accessories")
KIND_SHARES = (0.62, 0.32, 0.06)
KIDS_SHARE = 0.10  # of eyeglass models


@dataclass(frozen=True)
class CatalogArrays:
    """Products as integer codes into the `vocab` tuples, shape (n,) each; -1 where it does not apply."""

    kind: IntArray
    kids: npt.NDArray[np.bool_]
    brand: IntArray
    shape: IntArray
    colour: IntArray
    material: IntArray
    rim: IntArray
    gender: IntArray
    model: IntArray
    price: FloatArray


@dataclass(frozen=True)
class Catalog:
    products: list[ProductCreate]
    arrays: CatalogArrays


def generate_catalog(rng: np.random.Generator, n: int) -> Catalog:
    """About `n` products: frame models in 1–4 colours each, and a few accessories."""
    products: list[ProductCreate] = []
    model = 0
    while len(products) < n:
        kind = int(rng.choice(3, p=KIND_SHARES))
        if kind == KIND_ACCESSORY:
            products.append(_accessory(rng, len(products)))
        else:
            kids = bool(rng.random() < KIDS_SHARE and kind == KIND_GLASSES)
            spec = draw_frame(rng, kind == KIND_SUN, kids, model)
            variants = min(int(rng.choice([1, 2, 3, 4], p=[0.3, 0.35, 0.25, 0.1])), n - len(products))
            colours = rng.choice(len(vocab.COLOURS), size=variants, replace=False, p=vocab.shares(vocab.COLOURS))
            products += [_variant(rng, spec, int(c), len(products) + k) for k, c in enumerate(colours)]
        model += 1
    return Catalog(products, arrays_from_products(products))


def arrays_from_products(products: list[ProductCreate]) -> CatalogArrays:
    """The code arrays of products (a model is a brand and its `attributes.model` name)."""

    def code(values: tuple[str, ...], value: str | None) -> int:
        return values.index(value) if value in values else -1

    brands = tuple(b for b, _, _, _ in vocab.BRANDS)
    models: dict[tuple[str | None, object], int] = {}
    rows = []
    for p in products:
        key = (p.brand, (p.attributes or {}).get("model", p.id))
        rows.append((
            KINDS.index(p.category) if p.category in KINDS else KIND_ACCESSORY,
            int(p.audience == "kids"),
            code(brands, p.brand),
            code(vocab.SHAPES, p.shape),
            code(vocab.values(vocab.COLOURS), p.colour),
            code(vocab.values(vocab.MATERIALS), p.material),
            code(vocab.RIMS, p.rim_type),
            max(code(vocab.values(vocab.GENDERS), p.gender), 0),
            models.setdefault(key, len(models)),
        ))  # fmt: skip
    codes = np.array(rows, dtype=np.int64).reshape(len(rows), 9)
    return CatalogArrays(
        kind=codes[:, 0], kids=codes[:, 1].astype(np.bool_), brand=codes[:, 2], shape=codes[:, 3],
        colour=codes[:, 4], material=codes[:, 5], rim=codes[:, 6], gender=codes[:, 7], model=codes[:, 8],
        price=np.array([float(p.price) for p in products]),
    )  # fmt: skip


def _variant(rng: np.random.Generator, spec: FrameSpec, colour: int, index: int) -> ProductCreate:
    """One colour of a frame model as a validated product and its codes."""
    colour_name = vocab.values(vocab.COLOURS)[colour]
    price = spec.price + (20.0 if colour_name in ("gold", "crystal") and spec.price > 150 else 0.0)
    return ProductCreate(
        id=f"P{index + 1:05d}",
        name=f"{spec.brand} {spec.model_name} {colour_name.title()}",
        brand=spec.brand,
        category=KINDS[KIND_SUN if spec.sun else KIND_GLASSES],
        audience="kids" if spec.kids else "adults",
        gender=spec.gender,
        shape=spec.shape,
        material=spec.material,
        colour=colour_name,
        rim_type=spec.rim,
        lens_width_mm=spec.lens_width,
        bridge_mm=spec.bridge,
        temple_length_mm=spec.temple,
        lens_height_mm=spec.lens_height,
        frame_width_mm=spec.frame_width,
        rx_capable=spec.rx_capable,
        sphere_min=spec.sphere_min,
        sphere_max=spec.sphere_max,
        cylinder_max=spec.cylinder_max,
        progressive=spec.progressive,
        price=f"{price:.2f}",
        currency="EUR",
        stock=int(rng.poisson(rng.lognormal(2.5, 1.0))),
        description=frame_description(spec, colour_name),
        attributes={"model": spec.model_name, "tier": spec.tier, "weight_g": spec.weight_g},
        active=True,
    )


def _accessory(rng: np.random.Generator, index: int) -> ProductCreate:
    """A case, cloth, chain or the like."""
    name, lo, hi = vocab.ACCESSORIES[int(rng.integers(len(vocab.ACCESSORIES)))]
    colour = int(rng.choice(len(vocab.COLOURS), p=vocab.shares(vocab.COLOURS)))
    colour_name = vocab.values(vocab.COLOURS)[colour]
    price = round(float(rng.uniform(lo, hi))) - 0.05
    return ProductCreate(
        id=f"P{index + 1:05d}",
        name=f"{name}, {colour_name}",
        brand="Optika Basics",
        category="accessories",
        audience="adults",
        gender="unisex",
        colour=colour_name,
        rx_capable=False,
        progressive=False,
        price=f"{price:.2f}",
        stock=int(rng.poisson(40)),
        description=f"{name} in {colour_name}, to look after your glasses.",
        active=True,
    )
