"""The fit rules (face width, lens centring, lens size at high power) and the soft fit score.

Lens centring: the lab moves each lens's optical centre from the frame's box centre to the pupil, by
(frame PD − PD) / 2 per eye, frame PD being lens width + bridge. That decentration must fit in the lens blank
(minimum blank = ED + 2 × decentration + 2 mm), and blanks shrink as the power rises; what the blank cannot
absorb induces prism by Prentice's rule (prism = decentration in cm × power), allowed up to the ANSI Z80.1
tolerance. So the allowed decentration tightens as the power rises.
"""

from __future__ import annotations

from optirec.eyewear import reasons as say
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.reasons import RuleResult, not_applicable
from optirec.eyewear.wearer import Frame, RxNeeds, Wearer, blank_diameter, residual_decentration_mm

NEUTRAL_SCORE = 0.5  # fit score when nothing can be compared


def check_face_width(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """The total frame width is close enough to the face width (temple to temple)."""
    if frame.category not in settings.frame_categories:
        return RuleResult("face_width", True, say.NOT_A_FRAME)
    face = wearer.face_width_mm
    if face is None:
        return RuleResult("face_width", True, say.NO_FACE)
    if frame.frame_width_mm is None:
        return RuleResult("face_width", True, "Frame width not listed, so it was not compared to your face")
    diff = frame.frame_width_mm - face
    if diff < -settings.face_narrower_tolerance_mm:
        return RuleResult("face_width", False, f"Too narrow for a {say.mm(face)} mm face")
    if diff > settings.face_wider_tolerance_mm:
        return RuleResult("face_width", False, f"Too wide for a {say.mm(face)} mm face")
    return RuleResult("face_width", True, f"Fits a {say.mm(face)} mm face")


def allowed_decentration_mm(lens_width: float, rx: RxNeeds, settings: RuleSettings) -> float:
    """Decentration per eye (mm) that the lens blank absorbs plus what the prism tolerance allows."""
    blank = blank_diameter(rx.max_power, settings)
    room = (blank - (lens_width + settings.effective_diameter_extra_mm) - settings.lens_edging_allowance_mm) / 2
    return max(0.0, room) + residual_decentration_mm(rx, settings)


def check_decentration(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """The frame PD (lens width + bridge) is close enough to the wearer's PD for their lens power."""
    rx = not_applicable("decentration", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    if wearer.pd_mm is None:
        return RuleResult("decentration", True, say.NO_PD)
    if frame.lens_width_mm is None or frame.bridge_mm is None:
        return RuleResult("decentration", True, "Lens and bridge widths not listed, so centring was not checked")
    decentration = abs(frame.lens_width_mm + frame.bridge_mm - wearer.pd_mm) / 2
    allowed = allowed_decentration_mm(frame.lens_width_mm, rx, settings)
    if decentration > allowed:
        side = "far apart" if frame.lens_width_mm + frame.bridge_mm > wearer.pd_mm else "close together"
        return RuleResult(
            "decentration",
            False,
            f"Lens centres too {side} for your {say.mm(wearer.pd_mm)} mm PD at {say.dioptres(rx.strongest)}",
        )
    return RuleResult("decentration", True, f"Lenses can be centred on your {say.mm(wearer.pd_mm)} mm PD")


def check_lens_width_power(frame: Frame, wearer: Wearer, settings: RuleSettings) -> RuleResult:
    """Strong prescriptions only in lenses narrow enough to stay thin and light."""
    rx = not_applicable("lens_width_power", frame, wearer, settings)
    if isinstance(rx, RuleResult):
        return rx
    width, limit = frame.lens_width_mm, settings.high_power_max_lens_width_mm
    if rx.max_power < settings.high_power_threshold or width is None or width <= limit:
        return RuleResult("lens_width_power", True, "Lens size suits your prescription")
    return RuleResult(
        "lens_width_power",
        False,
        f"Lenses {say.mm(width)} mm wide would be thick and heavy at {say.dioptres(rx.strongest)} "
        f"(up to {say.mm(limit)} mm)",
    )


def closeness(difference: float, scale: float) -> float:
    """1 at no difference, 1/2 at `scale`, towards 0 beyond: 1 / (1 + (d / scale)²)."""
    ratio = difference / scale
    return 1.0 / (1.0 + ratio * ratio)


def fit_score(frame: Frame, wearer: Wearer, settings: RuleSettings) -> float:
    """Soft fit in 0…1: mean closeness of frame width to face width and of frame PD to PD (0.5 when unknown)."""
    parts: list[float] = []
    if wearer.face_width_mm is not None and frame.frame_width_mm is not None:
        diff = frame.frame_width_mm - wearer.face_width_mm - settings.face_ideal_offset_mm
        parts.append(closeness(diff, settings.fit_score_face_scale_mm))
    if wearer.pd_mm is not None and frame.lens_width_mm is not None and frame.bridge_mm is not None:
        decentration = (frame.lens_width_mm + frame.bridge_mm - wearer.pd_mm) / 2
        parts.append(closeness(decentration, settings.fit_score_pd_scale_mm))
    if frame.category not in settings.frame_categories or not parts:
        return NEUTRAL_SCORE
    return parts[0] if len(parts) == 1 else (parts[0] + parts[1]) / 2
