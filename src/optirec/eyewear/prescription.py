"""A spectacle prescription, validated against real optical ranges and steps.

Lens powers come in quarter-dioptre steps. Sphere (SPH) runs −20.00…+20.00, cylinder (CYL) −6.00…+6.00, the axis
(1–180°) is required whenever there is a cylinder, an addition (ADD, for reading or progressive lenses) runs
+0.75…+3.50, and a pupillary distance 50–80 mm. The messages speak to a shopper copying their prescription.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from optirec.errors import clipped

STEP = Decimal("0.25")


def _reads(value: Decimal | int, low: Decimal | int, high: Decimal | int) -> str:
    """What a shopper typed, for a message: the number itself when it is near the range, else only which way it is
    out (an exponent such as 1e5000000 formats as five million digits)."""
    if value > 1000 or value < -1000:  # compared, not `abs`: the absolute of 1e999999 overflows Decimal's context
        return "far above that" if value > high else "far below that"
    return f"yours reads {value:+.2f}" if isinstance(value, Decimal) else f"yours reads {value}"


def _quarter_steps(name: str, lo: str, hi: str) -> AfterValidator:
    low, high = Decimal(lo), Decimal(hi)

    def check(value: Decimal) -> Decimal:
        if not low <= value <= high:
            raise ValueError(f"{name} must be between {low:+.2f} and {high:+.2f}; {_reads(value, low, high)}")
        if value % STEP != 0:
            nearest = (value / STEP).to_integral_value() * STEP
            raise ValueError(f"{name} comes in steps of 0.25 (for example {nearest:+.2f}); got {clipped(str(value))}")
        return value

    return AfterValidator(check)


_AS_FLOAT = PlainSerializer(float, return_type=float, when_used="json")
Sphere = Annotated[Decimal, _quarter_steps("Sphere (SPH)", "-20", "20"), _AS_FLOAT]
Cylinder = Annotated[Decimal, _quarter_steps("Cylinder (CYL)", "-6", "6"), _AS_FLOAT]
Addition = Annotated[Decimal, _quarter_steps("Addition (ADD)", "0.75", "3.5"), _AS_FLOAT]


class EyePrescription(BaseModel):
    """One eye: sphere, cylinder, axis and (for reading or progressive lenses) addition."""

    model_config = ConfigDict(extra="forbid")

    sph: Sphere = Field(description="Sphere in dioptres, −20.00…+20.00 in 0.25 steps.")
    cyl: Cylinder = Field(Decimal(0), description="Cylinder in dioptres, −6.00…+6.00 in 0.25 steps.")
    axis: int | None = Field(None, description="Axis in degrees, 1–180; required when the cylinder is not 0.")
    add: Addition | None = Field(None, description="Addition in dioptres, +0.75…+3.50 in 0.25 steps.")

    @model_validator(mode="after")
    def _axis_goes_with_cylinder(self) -> EyePrescription:
        if self.cyl != 0 and self.axis is None:
            raise ValueError(f"Axis is missing: with a cylinder (CYL) of {self.cyl:+.2f} the axis (1–180) is needed")
        if self.axis is not None and not 1 <= self.axis <= 180:
            raise ValueError(f"Axis must be between 1 and 180 degrees; {_reads(self.axis, 1, 180)}")
        if self.cyl == 0 and self.axis is not None:
            self.axis = None
        return self


class Prescription(BaseModel):
    """Both eyes. `right` is OD, `left` is OS."""

    model_config = ConfigDict(extra="forbid")

    right: EyePrescription
    left: EyePrescription

    @property
    def eyes(self) -> tuple[EyePrescription, EyePrescription]:
        return (self.right, self.left)

    @property
    def add(self) -> Decimal | None:
        """The larger addition of the two eyes, if any: the customer needs multifocal lenses."""
        adds = [eye.add for eye in self.eyes if eye.add is not None]
        return max(adds) if adds else None


PupillaryDistance = Annotated[float, Field(ge=50, le=80, description="Pupillary distance in mm, 50–80.")]
FaceWidth = Annotated[float, Field(ge=100, le=175, description="Face width (temple to temple) in mm, 100–175.")]
