"""Prescription validation against real optical ranges and steps, with messages a shopper understands."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from optirec.customers.schemas import ProfileUpdate
from optirec.eyewear.prescription import EyePrescription, Prescription


def message(**eye: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        EyePrescription(**eye)
    return str(caught.value.errors()[0]["msg"]).removeprefix("Value error, ")


@pytest.mark.parametrize(
    "eye",
    [
        {"sph": -20},
        {"sph": 20},
        {"sph": "-2.25"},
        {"sph": 0, "cyl": -6, "axis": 180},
        {"sph": 0, "cyl": 6, "axis": 1},
        {"sph": 1.5, "add": 0.75},
        {"sph": 1.5, "add": 3.5},
    ],
)
def test_edges_of_the_real_ranges_are_valid(eye: dict[str, Any]) -> None:
    EyePrescription(**eye)


@pytest.mark.parametrize(
    ("eye", "expected"),
    [
        ({"sph": -20.25}, "Sphere (SPH) must be between -20.00 and +20.00; yours reads -20.25"),
        ({"sph": 21}, "Sphere (SPH) must be between -20.00 and +20.00; yours reads +21.00"),
        ({"sph": -2.3}, "Sphere (SPH) comes in steps of 0.25 (for example -2.25); got -2.3"),
        ({"sph": 0, "cyl": -6.25, "axis": 90}, "Cylinder (CYL) must be between -6.00 and +6.00; yours reads -6.25"),
        ({"sph": 0, "cyl": -1.1, "axis": 90}, "Cylinder (CYL) comes in steps of 0.25 (for example -1.00); got -1.1"),
        ({"sph": 0, "cyl": -1.5}, "Axis is missing: with a cylinder (CYL) of -1.50 the axis (1–180) is needed"),
        ({"sph": 0, "cyl": -1.5, "axis": 0}, "Axis must be between 1 and 180 degrees; yours reads 0"),
        ({"sph": 0, "cyl": -1.5, "axis": 181}, "Axis must be between 1 and 180 degrees; yours reads 181"),
        ({"sph": 1, "add": 0.5}, "Addition (ADD) must be between +0.75 and +3.50; yours reads +0.50"),
        ({"sph": 1, "add": 3.75}, "Addition (ADD) must be between +0.75 and +3.50; yours reads +3.75"),
        ({"sph": 1, "add": 1.1}, "Addition (ADD) comes in steps of 0.25 (for example +1.00); got 1.1"),
    ],
)
def test_out_of_range_or_off_step_values_get_a_message_a_shopper_understands(
    eye: dict[str, Any], expected: str
) -> None:
    assert message(**eye) == expected


def test_axis_without_a_cylinder_is_dropped() -> None:
    assert EyePrescription(sph=-1, cyl=0, axis=90).axis is None


def test_prescription_needs_both_eyes_and_knows_the_larger_addition() -> None:
    both = Prescription(right={"sph": 1, "add": 1.5}, left={"sph": 1.25, "add": 2})  # type: ignore[arg-type]
    assert both.add == Decimal("2") and Prescription(right={"sph": 0}, left={"sph": 0}).add is None  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="left"):
        Prescription(right={"sph": 0})  # type: ignore[call-arg, arg-type]


@pytest.mark.parametrize(("pd_mm", "valid"), [(49.5, False), (50, True), (80, True), (80.5, False)])
def test_pupillary_distance_range(pd_mm: float, valid: bool) -> None:
    if valid:
        assert ProfileUpdate(pd_mm=pd_mm).pd_mm == pd_mm
    else:
        with pytest.raises(ValidationError, match="pd_mm"):
            ProfileUpdate(pd_mm=pd_mm)


@pytest.mark.parametrize("value", ["abc", True, None, [1], {"x": 1}, "NaN", "Infinity", 1e400])
def test_non_numbers_are_refused_as_a_sphere(value: Any) -> None:
    with pytest.raises(ValidationError):
        EyePrescription(sph=value)
