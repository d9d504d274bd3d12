"""How the rules speak to a shopper: dioptres with a real minus sign, millimetres without trailing zeros."""

from __future__ import annotations

from dataclasses import dataclass

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Frame, RxNeeds, Wearer, lenses_needed


def dioptres(value: float) -> str:
    """A power as a prescription prints it: −5.25, +2.00, plano for zero."""
    if value == 0:
        return "plano"
    return f"{value:+.2f}".replace("-", "\N{MINUS SIGN}")


def power_range(lo: float, hi: float) -> str:
    """A sphere range such as "−6.00 to +4.00"."""
    return f"{dioptres(lo)} to {dioptres(hi)}"


def mm(value: float) -> str:
    """A length in mm, rounded to 0.5: 142, 52.5."""
    rounded = round(value * 2) / 2
    return f"{rounded:g}"


NO_RX = "No prescription on file, so lens strength was not checked"
NOT_A_FRAME = "Not a frame, nothing to fit"
PLAIN_SUN = "Plain sunglasses: no prescription lenses go in"
NO_FACE = "No face width on file, so frame width was not checked"
NO_PD = "No pupillary distance on file, so lens centring was not checked"


@dataclass(frozen=True)
class RuleResult:
    """One rule's answer for one frame and one wearer."""

    rule: str
    passed: bool
    reason: str


def not_applicable(rule: str, frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult | RxNeeds:
    """The passing answer of a prescription rule that does not apply, or the prescription's needs when it does."""
    if frame.category not in settings.frame_categories:
        return RuleResult(rule, True, NOT_A_FRAME)
    if wearer.rx is None:
        return RuleResult(rule, True, NO_RX)
    if not lenses_needed(frame, wearer, settings):
        return RuleResult(rule, True, PLAIN_SUN)
    return wearer.rx
