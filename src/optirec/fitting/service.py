"""Fit for one shopper, from the rule code the lists use: the fit panel of a product (`eyewear.rules.check_frame`)
and the listing of what fits (`recommend.filters.apply_filters` over the catalog snapshot), so that a product listed
as fitting can never break a rule that a list would have enforced."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from optirec.arrays import IntArray
from optirec.customers.service import get_customer
from optirec.errors import NotFound
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.reasons import NO_FACE, NO_PD, NO_RX, NOT_A_FRAME, PLAIN_SUN, mm, power_range
from optirec.eyewear.rules import RULE_NAMES, check_frame
from optirec.eyewear.wearer import Frame, Wearer
from optirec.fitting.schemas import BrowseFilters, FitCounts, FitPanel, RuleAnswer, Sort
from optirec.recommend.filters import WearerView, apply_filters, first_failures, positions_mask, request_mask
from optirec.recommend.snapshot import CatalogSnapshot

LABELS = {
    "rx_capable": "Prescription lenses",
    "sphere": "Lens strength",
    "cylinder": "Astigmatism",
    "rim_power": "Rim and lens strength",
    "multifocal": "Progressive lenses",
    "lens_width_power": "Lens size",
    "decentration": "Lens centring",
    "face_width": "Frame width",
}
assert set(LABELS) == set(RULE_NAMES)
NOT_CHECKED = {NO_RX, NOT_A_FRAME, PLAIN_SUN, NO_FACE, NO_PD}


def stored_wearer(*, session: Session, customer_id: str) -> Wearer:
    """The wearer of a customer's stored profile (nothing known when they have none)."""
    profile = get_customer(session=session, customer_id=customer_id).profile
    return Wearer() if profile is None else Wearer.from_profile(profile)


def fit_panel(snapshot: CatalogSnapshot, product_id: str, wearer: Wearer, rules: RuleSettings) -> FitPanel:
    """Every hard rule for this product and this wearer, with the frame's own figure beside each."""
    position = snapshot.index.get(product_id)
    if position is None:
        raise NotFound(f"No product with id {product_id!r}.")
    frame = snapshot.frame_objects[position]
    verdict = check_frame(frame, wearer, rules)
    answers = [
        RuleAnswer(
            rule=result.rule, label=LABELS[result.rule], passed=result.passed,
            checked=result.reason not in NOT_CHECKED, reason=result.reason,
            frame=frame_figure(result.rule, frame, rules) if frame.category in rules.frame_categories else None,
        )
        for result in verdict.results
    ]  # fmt: skip
    return FitPanel(
        product_id=product_id, wearer="none", passed=verdict.passed, fit_score=round(verdict.fit_score, 4),
        rules=answers,
    )  # fmt: skip


def frame_figure(rule: str, frame: Frame, rules: RuleSettings) -> str | None:
    """The frame's side of a rule, in a shopper's words ("Frame 138 mm wide"); None where the rule's own sentence
    already says it (prescription lenses, rim type)."""
    if rule == "sphere":
        lo = rules.default_sphere_min if frame.sphere_min is None else frame.sphere_min
        hi = rules.default_sphere_max if frame.sphere_max is None else frame.sphere_max
        return f"Takes {power_range(lo, hi)}"
    if rule == "cylinder":
        limit = rules.default_cylinder_max if frame.cylinder_max is None else frame.cylinder_max
        return f"Cylinder up to {limit:.2f}"
    if rule == "multifocal":
        tall = f"{mm(frame.lens_height_mm)} mm tall lenses" if frame.lens_height_mm is not None else "Height not listed"
        return f"{tall}, {'made' if frame.progressive else 'not made'} for progressives"
    if rule == "lens_width_power":
        return None if frame.lens_width_mm is None else f"Lenses {mm(frame.lens_width_mm)} mm wide"
    if rule == "decentration":
        if frame.lens_width_mm is None or frame.bridge_mm is None:
            return None
        return f"Lens centres {mm(frame.lens_width_mm + frame.bridge_mm)} mm apart"
    if rule == "face_width" and frame.frame_width_mm is not None:
        return f"Frame {mm(frame.frame_width_mm)} mm wide"
    return None


@dataclass(frozen=True)
class Listing:
    positions: IntArray  # the page, in the snapshot
    total: int
    counts: FitCounts


FACETS = ("category", "shape", "rim_type", "material")


def facets(snapshot: CatalogSnapshot) -> dict[str, list[str]]:
    """The values each listing filter can take among the products for sale, sorted."""
    sellable = snapshot.sellable
    out = {}
    for name in FACETS:
        values: npt.NDArray[np.str_] = getattr(snapshot, name)
        out[name] = [str(v) for v in np.unique(values[sellable]) if v]
    return out


def browse(
    snapshot: CatalogSnapshot,
    *,
    view: WearerView,
    filters: BrowseFilters,
    found: Sequence[str] | None,
    fits_me: bool,
    order: Sort,
    popularity: npt.NDArray[np.float64],
    limit: int,
    offset: int,
) -> Listing:
    """One page of the products for sale that match the filters (and the words: `found`, the ids the catalog's search
    found, None without words); with `fits_me`, only those `apply_filters` lets through for the wearer. The counts say
    what the rules hide among the matching products either way."""
    words = None if found is None else positions_mask(snapshot, found)
    if found is not None and words is None:
        words = np.zeros(len(snapshot), dtype=np.bool_)
    matching = snapshot.sellable.copy()
    for mask in (request_mask(snapshot, filters), words):
        if mask is not None:
            matching &= mask
    by_rule = first_failures(view.failed, matching)
    counts = FitCounts(considered=int(np.count_nonzero(matching)), hidden=sum(by_rule.values()), by_rule=by_rule)
    if fits_me:
        listed = apply_filters(snapshot, view=view, filters=filters, excluded=(), bought=(), rebuyable=()).allowed
        if words is not None:
            listed &= words
    else:
        listed = matching
    chosen = np.flatnonzero(listed)
    ranked = chosen[_order(snapshot, chosen, order, popularity)]
    return Listing(ranked[offset : offset + limit], int(chosen.size), counts)


def _order(snapshot: CatalogSnapshot, chosen: IntArray, order: Sort, popularity: npt.NDArray[np.float64]) -> IntArray:
    """A stable order of the chosen positions (ties keep the catalog's order, by id)."""
    if order == "price_asc":
        return np.argsort(snapshot.price[chosen], kind="stable")
    if order == "price_desc":
        return np.argsort(-snapshot.price[chosen], kind="stable")
    if order == "name":
        names = np.array([snapshot.summaries[p].name.lower() for p in chosen.tolist()], dtype=np.str_)
        return np.argsort(names, kind="stable")
    return np.argsort(-popularity[chosen], kind="stable")
