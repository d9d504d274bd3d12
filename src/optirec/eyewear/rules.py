"""The eyewear hard rules and the soft fit score, one pure function per rule on one (frame, wearer) pair.

Each rule answers a `RuleResult`: pass or fail and a sentence a shopper understands. A wearer without a
prescription or measurements passes the rules that need them, and the sentence says so. `vectorized.py` computes
the same rules over a whole catalogue; a property test holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from optirec.eyewear import reasons as say
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.fit import check_decentration, check_face_width, check_lens_width_power, fit_score
from optirec.eyewear.reasons import RuleResult, not_applicable
from optirec.eyewear.wearer import Frame, Wearer


@dataclass(frozen=True)
class Verdict:
    """All hard rules for one frame and one wearer, and the soft fit score (0…1) used for ranking."""

    results: tuple[RuleResult, ...]
    fit_score: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if not r.passed)


Rule = Callable[[Frame, Wearer, RuleSettings], RuleResult]


def check_rx_capable(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """Prescription lenses can be fitted (prescription sunglasses only when asked for)."""
    rx = not_applicable("rx_capable", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    if frame.rx_capable:
        return RuleResult("rx_capable", True, "Takes prescription lenses")
    if frame.category in settings.sun_categories:
        return RuleResult("rx_capable", False, "These sunglasses can't take prescription lenses")
    return RuleResult("rx_capable", False, "This frame can't take prescription lenses")


def check_sphere(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """Both eyes' meridian powers (SPH and SPH+CYL) lie inside the frame's sphere range."""
    rx = not_applicable("sphere", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    lo = settings.default_sphere_min if frame.sphere_min is None else frame.sphere_min
    hi = settings.default_sphere_max if frame.sphere_max is None else frame.sphere_max
    if lo <= rx.lowest and rx.highest <= hi:
        return RuleResult("sphere", True, f"Takes your {say.dioptres(rx.label)} prescription")
    worst = rx.lowest if rx.lowest < lo else rx.highest
    return RuleResult(
        "sphere",
        False,
        f"Your prescription needs {say.dioptres(worst)}; this frame takes {say.power_range(lo, hi)}",
    )


def check_cylinder(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """The astigmatism correction (|CYL|) is within the frame's maximum."""
    rx = not_applicable("cylinder", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    limit = settings.default_cylinder_max if frame.cylinder_max is None else frame.cylinder_max
    cyl = rx.cylinder
    if cyl <= limit:
        return RuleResult("cylinder", True, "Takes your astigmatism correction" if cyl else "No cylinder needed")
    return RuleResult(
        "cylinder", False, f"Your astigmatism correction ({cyl:.2f}) is above this frame's {limit:.2f} limit"
    )


def check_rim_power(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """Rimless and semi-rimless frames hold only moderate powers."""
    rx = not_applicable("rim_power", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    limits = {"rimless": settings.rimless_max_power, "semi-rimless": settings.semi_rimless_max_power}
    limit = limits.get(frame.rim_type or "")
    power = rx.max_power
    if limit is None or power <= limit:
        holder = f"A {frame.rim_type} frame" if frame.rim_type else "This frame"
        return RuleResult("rim_power", True, f"{holder} holds your lenses well")
    return RuleResult(
        "rim_power",
        False,
        f"{frame.rim_type.capitalize() if frame.rim_type else 'This'} frames can't hold "
        f"{say.dioptres(rx.strongest)} lenses securely (up to ±{limit:.2f})",
    )


def check_multifocal(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """Progressive and bifocal prescriptions (ADD) need a progressive-capable frame tall enough."""
    rx = not_applicable("multifocal", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    if rx.add is None:
        return RuleResult("multifocal", True, "Single-vision lenses: no reading zone needed")
    need = settings.min_multifocal_height_mm
    if not frame.progressive:
        return RuleResult("multifocal", False, "Not made for progressive or bifocal lenses")
    if frame.lens_height_mm is None:
        return RuleResult("multifocal", False, "Lens height not listed, so progressive fit can't be confirmed")
    if frame.lens_height_mm < need:
        return RuleResult(
            "multifocal",
            False,
            f"Too shallow for progressive lenses: {say.mm(frame.lens_height_mm)} mm tall, {say.mm(need)} mm needed",
        )
    return RuleResult("multifocal", True, f"Tall enough for your {say.dioptres(rx.add)} reading addition")


RULES: tuple[Rule, ...] = (
    check_rx_capable,
    check_sphere,
    check_cylinder,
    check_rim_power,
    check_multifocal,
    check_lens_width_power,
    check_decentration,
    check_face_width,
)
RULE_NAMES: tuple[str, ...] = (
    "rx_capable",
    "sphere",
    "cylinder",
    "rim_power",
    "multifocal",
    "lens_width_power",
    "decentration",
    "face_width",
)

RULES_BY_NAME: dict[str, Rule] = dict(zip(RULE_NAMES, RULES, strict=True))


def check_frame(frame: Frame, wearer: Wearer, settings: RuleSettings) -> Verdict:
    """Every hard rule and the fit score for one frame and one wearer."""
    results = tuple(rule(frame, wearer, settings) for rule in RULES)
    return Verdict(results, fit_score(frame, wearer, settings))
