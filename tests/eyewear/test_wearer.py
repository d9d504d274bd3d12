"""The wearer side: built from the service's schemas, and blind to how a prescription is written."""

from __future__ import annotations

import math
from types import SimpleNamespace

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from optirec.customers.schemas import CustomerImport
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.fit import allowed_decentration_mm
from optirec.eyewear.prescription import Prescription
from optirec.eyewear.rules import check_frame
from optirec.eyewear.wearer import Eye, Frame, Wearer

from .strategies import eyes, frames

RULES = RuleSettings()


def transpose(eye: Eye) -> Eye:
    """The same lens in the other cylinder form: SPH+CYL, −CYL, axis turned by 90°."""
    if eye.cyl == 0 or eye.axis is None:
        return eye
    axis = eye.axis + 90 if eye.axis <= 90 else eye.axis - 90
    return Eye(eye.sph + eye.cyl, -eye.cyl, axis, eye.add)


def test_from_a_customer_import() -> None:
    customer = CustomerImport.model_validate({
        "id": "C1", "pd_mm": 63.5, "face_width_mm": 138,
        "prescription": {"right": {"sph": -2.75, "cyl": -0.75, "axis": 175, "add": 1.75},
                         "left": {"sph": -2.5, "add": 1.75}},
    })  # fmt: skip
    wearer = Wearer.from_profile(customer, rx_sunglasses=True)
    assert wearer.right == Eye(-2.75, -0.75, 175, 1.75) and wearer.left == Eye(-2.5, 0.0, None, 1.75)
    assert wearer.pd_mm == 63.5 and wearer.face_width_mm == 138 and wearer.rx_sunglasses
    assert wearer.rx is not None and wearer.rx.lowest == -3.5 and wearer.rx.add == 1.75


def test_from_a_profile_row_holding_the_prescription_as_json() -> None:
    class Row:
        prescription = {"right": {"sph": -1.25}, "left": {"sph": -1.5, "cyl": -0.5, "axis": 90}}
        pd_mm = 61.0
        face_width_mm = None

    wearer = Wearer.from_profile(Row())
    assert wearer.left == Eye(-1.5, -0.5, 90) and wearer.face_width_mm is None and wearer.pd_mm == 61.0


@settings(max_examples=200, deadline=None)
@given(right=eyes(), left=eyes(), pd_mm=st.none() | st.floats(50, 80), face=st.none() | st.floats(100, 175))
def test_a_stored_profile_reads_as_the_validated_one(right: Eye, left: Eye, pd_mm: float | None,
                                                      face: float | None) -> None:  # fmt: skip
    """`Wearer.stored` reads the profile table's JSON without validating it again: the same wearer as
    `from_profile`, which validates, for every prescription a customer can store (as the customers' service
    stores it: the validated prescription dumped to JSON)."""
    given_rx = {side: {"sph": eye.sph, "cyl": eye.cyl, "axis": eye.axis, "add": eye.add}
                for side, eye in (("right", right), ("left", left))}  # fmt: skip
    stored = orjson.loads(orjson.dumps(Prescription.model_validate(given_rx).model_dump(mode="json")))
    row = SimpleNamespace(prescription=stored, pd_mm=pd_mm, face_width_mm=face)
    assert Wearer.stored(stored, pd_mm, face) == Wearer.from_profile(row)
    assert Wearer.stored(None, pd_mm, face) == Wearer.from_profile(SimpleNamespace(prescription=None, pd_mm=pd_mm,
                                                                                   face_width_mm=face))  # fmt: skip


def test_plano_without_add_needs_no_lenses() -> None:
    assert Wearer(Eye(0.0), Eye(0.0)).rx is None
    assert Wearer(Eye(0.0, add=1.0), Eye(0.0, add=1.0)).rx is not None


def test_horizontal_power_follows_the_axis() -> None:
    assert Eye(-2.0, -1.0, 180).horizontal_power == pytest.approx(-2.0)
    assert Eye(-2.0, -1.0, 90).horizontal_power == pytest.approx(-3.0)
    assert Eye(-2.0, -1.0, 45).horizontal_power == pytest.approx(-2.5)


@settings(max_examples=300, deadline=None)
@given(frame=frames(), right=eyes(), left=eyes())
@example(frame=Frame(category="eyeglasses"), right=Eye(0.0, 0.0), left=Eye(0.0, 0.25, 180))  # sin²(90°) ≠ 1 exactly
def test_minus_and_plus_cylinder_forms_get_the_same_answer(frame: Frame, right: Eye, left: Eye) -> None:
    written = Wearer(right, left, 63.0, 138.0)
    other = Wearer(transpose(right), transpose(left), 63.0, 138.0)
    a, b = check_frame(frame, written, RULES), check_frame(frame, other, RULES)
    for x, y in zip(a.results, b.results, strict=True):
        if x.rule != "decentration":  # compared below, up to rounding of sin²
            assert x.passed == y.passed, (x, y)
    if written.rx is None or other.rx is None:
        assert written.rx is None and other.rx is None
        return
    assert math.isclose(written.rx.horizontal_sum, other.rx.horizontal_sum, abs_tol=1e-9)
    assert written.rx.lowest == other.rx.lowest and written.rx.highest == other.rx.highest
    assert allowed_decentration_mm(52, written.rx, RULES) == pytest.approx(allowed_decentration_mm(52, other.rx, RULES))
