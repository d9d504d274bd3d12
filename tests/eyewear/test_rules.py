"""The scalar rules: known cases by name, and properties over random frames and wearers."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.fit import allowed_decentration_mm
from optirec.eyewear.rules import RULE_NAMES, check_frame
from optirec.eyewear.wearer import Eye, Frame, Wearer

from .strategies import frames, wearers

RULES = RuleSettings()
GLASSES = Frame(
    category="eyeglasses",
    rim_type="full-rim",
    lens_width_mm=52,
    bridge_mm=18,
    lens_height_mm=40,
    frame_width_mm=140,
    sphere_min=-8,
    sphere_max=6,
    cylinder_max=4,
    progressive=True,
)


def failed_rules(frame: Frame, wearer: Wearer) -> set[str]:
    return {r.rule for r in check_frame(frame, wearer, RULES).failures}


def both(eye: Eye, **kwargs: object) -> Wearer:
    return Wearer(right=eye, left=eye, **kwargs)  # type: ignore[arg-type]


def test_minus_8_in_rimless_55mm_lens_is_refused() -> None:
    frame = Frame(
        category="eyeglasses",
        rim_type="rimless",
        lens_width_mm=55,
        bridge_mm=17,
        lens_height_mm=38,
        frame_width_mm=138,
        sphere_min=-10,
        sphere_max=6,
    )
    verdict = check_frame(frame, both(Eye(-8.0), pd_mm=64), RULES)
    assert not verdict.passed
    assert {"rim_power", "lens_width_power"} <= {r.rule for r in verdict.failures}
    assert any("Rimless" in r.reason and "\N{MINUS SIGN}8.00" in r.reason for r in verdict.failures)


def test_add_plus_2_in_24mm_tall_frame_is_refused() -> None:
    frame = Frame(**{**GLASSES.__dict__, "lens_height_mm": 24.0})
    verdict = check_frame(frame, both(Eye(1.0, add=2.0)), RULES)
    assert [r.rule for r in verdict.failures] == ["multifocal"]
    assert "24 mm tall, 28 mm needed" in verdict.failures[0].reason


def test_add_in_frame_not_marked_progressive_is_refused() -> None:
    frame = Frame(**{**GLASSES.__dict__, "progressive": False})
    assert failed_rules(frame, both(Eye(-1.0, add=1.5))) == {"multifocal"}


def test_minus_5_25_is_taken_and_said_so() -> None:
    verdict = check_frame(GLASSES, both(Eye(-5.25), pd_mm=66, face_width_mm=138), RULES)
    assert verdict.passed
    assert "Takes your \N{MINUS SIGN}5.25 prescription" in [r.reason for r in verdict.results]


def test_cylinder_meridian_outside_range_is_refused_although_sphere_is_inside() -> None:
    # −7.00 −2.00 × 180: meridians −7.00 and −9.00; the frame stops at −8.00.
    assert "sphere" in failed_rules(GLASSES, both(Eye(-7.0, -2.0, 180)))


def test_cylinder_above_frame_maximum_is_refused() -> None:
    assert failed_rules(GLASSES, both(Eye(0.0, -4.5, 90))) == {"cylinder"}


def test_semi_rimless_takes_minus_5_but_not_minus_6_5() -> None:
    frame = Frame(**{**GLASSES.__dict__, "rim_type": "semi-rimless"})
    assert failed_rules(frame, both(Eye(-5.0))) == set()
    assert "rim_power" in failed_rules(frame, both(Eye(-6.5)))


def test_too_narrow_for_a_142_mm_face() -> None:
    frame = Frame(**{**GLASSES.__dict__, "frame_width_mm": 128.0})
    verdict = check_frame(frame, Wearer(face_width_mm=142), RULES)
    assert [r.reason for r in verdict.failures] == ["Too narrow for a 142 mm face"]


def test_too_wide_for_a_kids_face() -> None:
    assert failed_rules(GLASSES, Wearer(face_width_mm=118)) == {"face_width"}


def test_plain_sunglasses_need_no_prescription_but_rx_sunglasses_do() -> None:
    sun = Frame(**{**GLASSES.__dict__, "category": "sunglasses", "rx_capable": False})
    assert failed_rules(sun, both(Eye(-3.0))) == set()
    verdict = check_frame(sun, both(Eye(-3.0), rx_sunglasses=True), RULES)
    assert [r.reason for r in verdict.failures] == ["These sunglasses can't take prescription lenses"]


def test_decentration_limit_tightens_as_power_rises() -> None:
    # Frame PD 52 + 22 = 74 against a 58 mm PD: 8 mm per eye. Fine at −1.00, refused at −7.00.
    frame = Frame(**{**GLASSES.__dict__, "bridge_mm": 22.0, "frame_width_mm": 146.0})
    assert "decentration" not in failed_rules(frame, both(Eye(-1.0), pd_mm=58))
    assert "decentration" in failed_rules(frame, both(Eye(-7.0), pd_mm=58))
    from optirec.eyewear.wearer import Wearer as W

    limits = [allowed_decentration_mm(52, W(right=Eye(p), left=Eye(p)).rx, RULES) for p in (-1, -3, -6, -9, -12)]  # type: ignore[arg-type]
    assert limits == sorted(limits, reverse=True)


def test_customer_without_anything_passes_and_is_told_why() -> None:
    verdict = check_frame(GLASSES, Wearer(), RULES)
    assert verdict.passed
    reasons = " ".join(r.reason for r in verdict.results)
    assert "No prescription on file" in reasons and "No face width on file" in reasons
    assert verdict.fit_score == 0.5


def test_accessory_passes_every_rule() -> None:
    case = Frame(category="accessories")
    verdict = check_frame(case, both(Eye(-12.0, add=2.5), pd_mm=60, face_width_mm=130), RULES)
    assert verdict.passed and all(r.reason == "Not a frame, nothing to fit" for r in verdict.results)


@settings(max_examples=400, deadline=None)
@given(frame=frames(), wearer=wearers())
def test_every_rule_answers_with_a_reason(frame: Frame, wearer: Wearer) -> None:
    verdict = check_frame(frame, wearer, RULES)
    assert [r.rule for r in verdict.results] == list(RULE_NAMES)
    assert all(r.reason.strip() for r in verdict.results)
    assert 0.0 <= verdict.fit_score <= 1.0


@settings(max_examples=600, deadline=None)
@given(frame=frames(), wearer=wearers())
def test_nothing_that_breaks_a_hard_limit_is_accepted(frame: Frame, wearer: Wearer) -> None:
    """An independent statement of the limits: whatever passes obeys every one of them."""
    if not check_frame(frame, wearer, RULES).passed or frame.category == "accessories":
        return
    rx = wearer.rx
    if wearer.face_width_mm is not None and frame.frame_width_mm is not None:
        assert -6 <= frame.frame_width_mm - wearer.face_width_mm <= 10
    if rx is None or (frame.category == "sunglasses" and not wearer.rx_sunglasses):
        return
    powers = [p for eye in (wearer.right, wearer.left) if eye for p in (eye.sph, eye.sph + eye.cyl)]
    lo = -6.0 if frame.sphere_min is None else frame.sphere_min
    hi = 6.0 if frame.sphere_max is None else frame.sphere_max
    assert frame.rx_capable and all(lo <= p <= hi for p in powers)
    cylinders = [abs(eye.cyl) for eye in (wearer.right, wearer.left) if eye]
    assert max(cylinders) <= (2.0 if frame.cylinder_max is None else frame.cylinder_max)
    limit = {"rimless": 4.0, "semi-rimless": 6.0}.get(frame.rim_type or "", 99.0)
    assert max(abs(p) for p in powers) <= limit
    if any(eye.add for eye in (wearer.right, wearer.left) if eye):
        assert frame.progressive and frame.lens_height_mm is not None and frame.lens_height_mm >= 28
    if max(abs(p) for p in powers) >= 6 and frame.lens_width_mm is not None:
        assert frame.lens_width_mm <= 54


@pytest.mark.parametrize("power", [-4.0, 4.0])
def test_rimless_limit_is_inclusive(power: float) -> None:
    frame = Frame(**{**GLASSES.__dict__, "rim_type": "rimless"})
    assert "rim_power" not in failed_rules(frame, both(Eye(power)))


@given(st.floats(50, 80))
def test_no_prescription_never_fails_a_prescription_rule(pd: float) -> None:
    assert failed_rules(GLASSES, Wearer(pd_mm=pd)) <= {"face_width"}


def test_rules_by_name_name_their_own_results() -> None:
    from optirec.eyewear.config import RuleSettings
    from optirec.eyewear.rules import RULES_BY_NAME
    from optirec.eyewear.wearer import Frame, Wearer

    frame = Frame(category="eyeglasses")
    for name, rule in RULES_BY_NAME.items():
        assert rule(frame, Wearer(), RuleSettings()).rule == name
