"""Catalog fit coverage: for each prescription band (sphere by cylinder, progressive or not) and face-width band, how
many in-stock eyeglass frames fit a representative wearer of the band (its middle); a zero is where the catalog
leaves those customers nothing to choose.

Each cell is one run of the vectorised rules over the in-stock frames (`eyewear.vectorized.evaluate`); the whole map
is kept per catalog version (`recommend.snapshot.catalog_version`) and rule settings, and rebuilt when either changes.
The shop's customers are counted into the cells on each request, from the profiles' columns that the product
inspector keeps (`products.ProfileWearers`).
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from optirec.arrays import BoolArray, IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays
from optirec.eyewear.vectorized import FrameArrays, evaluate
from optirec.eyewear.wearer import Eye, Wearer
from optirec.inspector.products import Population
from optirec.inspector.schemas import Coverage, CoverageCell, CoverageRow, CoverageTable
from optirec.recommend.snapshot import catalog_version
from optirec.store.tables import Product

# Bands (low, high) in dioptres or mm; each cell's wearer is the band's middle, rounded to a quarter dioptre.
SPHERE_BANDS = (
    (-10.0, -8.0),
    (-8.0, -6.0),
    (-6.0, -4.0),
    (-4.0, -2.0),
    (-2.0, 0.0),
    (0.0, 2.0),
    (2.0, 4.0),
    (4.0, 6.0),
    (6.0, 8.0),
)
CYLINDER_BANDS = ((0.0, 0.0), (-1.0, -0.25), (-2.0, -1.25), (-4.0, -2.25))
FACE_WIDTH_BANDS = ((120.0, 126.0), (126.0, 132.0), (132.0, 138.0), (138.0, 144.0), (144.0, 150.0), (150.0, 156.0))
PD_MM = 63.0  # an adult's median pupillary distance
ADDITION = 2.0  # a typical progressive addition


def middle(band: tuple[float, float]) -> float:
    return round((band[0] + band[1]) / 2 * 4) / 4


def representative(sphere: float, cylinder: float, progressive: bool, face_width_mm: float) -> Wearer:
    """Both eyes the same: the band's sphere and cylinder (axis 180), the addition for a progressive wearer."""
    eye = Eye(sphere, cylinder, 180 if cylinder else None, ADDITION if progressive else None)
    return Wearer(right=eye, left=eye, pd_mm=PD_MM, face_width_mm=face_width_mm)


def fitting_frames(frames: FrameArrays, wearer: Wearer, rules: RuleSettings) -> int:
    failed, _fit = evaluate(frames, wearer, rules)
    return int(np.count_nonzero(failed == 0))


def compute_coverage(frames: FrameArrays, rules: RuleSettings, version: str) -> Coverage:
    """The map over `frames` (the in-stock eyeglass frames)."""
    tables = []
    for progressive in (False, True):
        rows = []
        for sphere_band in SPHERE_BANDS:
            for cylinder_band in CYLINDER_BANDS:
                sphere, cylinder = middle(sphere_band), middle(cylinder_band)
                cells = [
                    CoverageCell(
                        face_width_mm=middle(face),
                        frames=fitting_frames(
                            frames, representative(sphere, cylinder, progressive, middle(face)), rules
                        ),
                    )
                    for face in FACE_WIDTH_BANDS
                ]
                rows.append(CoverageRow(sphere=sphere, cylinder=cylinder, cells=cells))
        tables.append(CoverageTable(progressive=progressive, rows=rows))
    empty = sum(1 for table in tables for row in table.rows for cell in row.cells if cell.frames == 0)
    return Coverage(
        catalog_version=version,
        frames_in_stock=len(frames),
        pd_mm=PD_MM,
        addition=ADDITION,
        sphere_bands=list(SPHERE_BANDS),
        cylinder_bands=list(CYLINDER_BANDS),
        face_width_bands=list(FACE_WIDTH_BANDS),
        tables=tables,
        empty_cells=empty,
    )


def in_stock_frames(session: Session, rules: RuleSettings) -> FrameArrays:
    """The active, in-stock products of the frame categories that are not sunglasses."""
    eyeglasses = [c for c in rules.frame_categories if c not in rules.sun_categories]
    products = session.scalars(
        select(Product).where(Product.active.is_(True), Product.stock > 0, Product.category.in_(eyeglasses))
    )
    return FrameArrays.from_products(products, rules)


class CoverageCache:
    """The last map built, with the catalog version and rule settings it was built for."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[tuple[Any, ...], Coverage] | None = None

    def get(self, session: Session, rules: RuleSettings) -> Coverage:
        count, digest = catalog_version(session)
        key = (str(session.get_bind().engine.url), count, digest, id(rules))
        with self._lock:
            if self._held is not None and self._held[0] == key:
                return self._held[1]
        coverage = compute_coverage(in_stock_frames(session, rules), rules, f"{count}:{digest}")
        with self._lock:
            self._held = (key, coverage)
        return coverage


def get_coverage(*, session: Session, rules: RuleSettings, cache: CoverageCache, population: Population) -> Coverage:
    """The map for the catalog as it is (cached per catalog version), with the shop's customers counted into its
    cells (from the profiles' columns, `products.ProfileWearers`)."""
    return with_customers(cache.get(session, rules), population.wearers)


def cell_of(wearers: WearerArrays) -> tuple[IntArray, IntArray, IntArray, IntArray, BoolArray]:
    """Each wearer's table (1 progressive), sphere band, cylinder band and face-width band, and whether they fall in
    the map at all: a prescription and a face width on file, each within the bands (a band holds its lower edge)."""
    sphere = np.floor((wearers.sphere - SPHERE_BANDS[0][0]) / 2.0).astype(np.int64)
    face = np.floor((wearers.face - FACE_WIDTH_BANDS[0][0]) / 6.0).astype(np.int64)
    tops = np.array([-low for low, _high in CYLINDER_BANDS])  # the largest |CYL| of each band: 0, 1, 2, 4
    cylinder = np.searchsorted(tops, wearers.cylinder, side="left").astype(np.int64)
    placed = (
        wearers.has_rx & wearers.has_face
        & (sphere >= 0) & (sphere < len(SPHERE_BANDS))
        & (cylinder < len(CYLINDER_BANDS))
        & (face >= 0) & (face < len(FACE_WIDTH_BANDS))
    )  # fmt: skip
    return wearers.has_add.astype(np.int64), sphere, cylinder, face, placed


def with_customers(coverage: Coverage, wearers: WearerArrays) -> Coverage:
    """A copy of the map with each cell's customers, how many were placed, and how many have nothing to choose."""
    table, sphere, cylinder, face, placed = cell_of(wearers)
    shape = (2, len(SPHERE_BANDS), len(CYLINDER_BANDS), len(FACE_WIDTH_BANDS))
    counts = np.zeros(shape, dtype=np.int64)
    np.add.at(counts, (table[placed], sphere[placed], cylinder[placed], face[placed]), 1)
    copied = coverage.model_copy(deep=True)
    without = 0
    for t, drawn in enumerate(copied.tables):
        for r, row in enumerate(drawn.rows):
            for f, cell in enumerate(row.cells):
                cell.customers = int(counts[t, r // len(CYLINDER_BANDS), r % len(CYLINDER_BANDS), f])
                without += cell.customers if cell.frames == 0 else 0
    copied.customers_placed = int(np.count_nonzero(placed))
    copied.customers_without_choice = without
    return copied
