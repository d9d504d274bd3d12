"""Reasons a shopper understands, built from the source that chose an item and the rules it passed."""

from __future__ import annotations

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.reasons import NO_FACE, NO_PD, NO_RX, NOT_A_FRAME, PLAIN_SUN
from optirec.eyewear.rules import RULE_NAMES, RULES_BY_NAME
from optirec.eyewear.wearer import Frame, Wearer

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
