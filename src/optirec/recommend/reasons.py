"""Reasons a shopper understands, built from the source that chose an item and the rules it passed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.reasons import NO_FACE, NO_PD, NO_RX, NOT_A_FRAME, PLAIN_SUN
from optirec.eyewear.rules import RULE_NAMES, RULES_BY_NAME
from optirec.eyewear.wearer import Frame, Wearer
from optirec.recommend.filters import Filtered
from optirec.recommend.live import LiveModel
from optirec.recommend.snapshot import CatalogSnapshot
from optirec.store import Shopper

ACTION_WORDS = {
    "view": "viewed",
    "favorite": "saved",
    "add_to_cart": "added to your cart",
    "remove_from_cart": "looked at",
    "purchase": "bought",
}
# Rule answers that say nothing about this frame for this shopper are left out of the list.
_SILENT = {NO_RX, NOT_A_FRAME, PLAIN_SUN, NO_FACE, NO_PD, "Takes prescription lenses", "No cylinder needed",
           "Single-vision lenses: no reading zone needed"}  # fmt: skip
_SHOWN_RULES = tuple(n for n in RULE_NAMES if n in {"sphere", "cylinder", "multifocal", "face_width", "decentration"})


def because_of(name: str, action: str | None, page: str) -> str:
    """The source reason: the product in context or in the shopper's history that led to this one."""
    if page == "cart" or action == "in_cart":
        return f"Goes with {name} in your cart"
    if action is None:
        return f"Similar to {name}"
    return f"Similar to {name}, which you {ACTION_WORDS.get(action, 'viewed')}"


def rule_reasons(frame: Frame, wearer: Wearer, rules: RuleSettings, *, most: int = 2) -> list[str]:
    """What the passed rules say about this frame for this shopper ("Takes your −5.25 prescription")."""
    said = []
    for name in _SHOWN_RULES:
        result = RULES_BY_NAME[name](frame, wearer, rules)
        if result.passed and result.reason not in _SILENT:
            said.append(result.reason)
            if len(said) == most:
                break
    return said


def fallback_reason(wearer: Wearer, segmented: bool = False) -> str:
    if segmented:
        return "Popular with shoppers of your size and prescription"
    if wearer.rx is not None or wearer.face_width_mm is not None:
        return "Popular with shoppers, among frames that fit you"
    return "Popular with shoppers right now"


def sources_in_words(
    snapshot: CatalogSnapshot,
    model: LiveModel,
    positions: IntArray,
    chosen: IntArray,
    history: Sequence[tuple[str, str]],
    context: Sequence[str],
    surface: str,
) -> dict[int, str]:
    """For each chosen product, the context or history product that most led to it, in words (from the model that
    scored the list, mapped onto the catalog: `positions` is its item index of each catalog position). Only the
    latest 10 signals of the history are asked."""
    out: dict[int, str] = {}
    shown = [p for p in chosen.tolist() if positions[p] >= 0]
    targets = positions[shown]
    if context:  # the products in context (none the model knows: no source found)
        page = "cart" if surface in ("cart", "complete_the_look") else surface
        for position, source in zip(shown, model.strongest_sources(context, targets), strict=True):
            if source >= 0 and context[source] in snapshot.index:
                out[position] = because_of(snapshot.summaries[snapshot.index[context[source]]].name, None, page)
    if not history:
        return out
    recent = history[-10:]
    sources = model.strongest_sources([p for p, _ in recent], targets)
    for position, source in zip(shown, sources, strict=True):
        if position in out or source < 0:
            continue
        product_id, action = recent[source]
        if product_id in snapshot.index and product_id != snapshot.ids[position]:
            out[position] = because_of(snapshot.summaries[snapshot.index[product_id]].name, action, surface)
    return out


def fallback_text(
    shopper: Shopper, filtered: Filtered, chosen: IntArray, fallback: npt.NDArray[np.bool_], limit: int,
    in_context: bool, has_model: bool,
) -> str | None:  # fmt: skip
    """Why a list is (partly) filled with popular products, or None when it is not."""
    available = int(np.count_nonzero(filtered.allowed))
    if available < limit:
        return f"Only {available} product(s) pass every filter for this shopper and request."
    if not fallback.any():
        return None
    if not has_model:
        return "No model has been trained yet: popular products that fit this shopper."
    if not shopper.personalise:
        return "The customer has not consented to personalisation: popular products that fit them."
    if not shopper.history and not in_context:
        return "No signals from this shopper yet: popular products among those that fit them."
    return "Too few personal candidates passed the filters: filled with popular products that fit."
