"""The two sides of a fitting: the wearer (prescription, PD, face width) and the frame (measurements, range).

Both are small frozen dataclasses built from the service's schemas or ORM rows, so that the rules stay pure.
Everything the rules need from the wearer alone is computed once here (`RxNeeds`), and shared by the scalar
and the vectorised rules so that both agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.prescription import Prescription


@dataclass(frozen=True)
class Eye:
    """One eye of a prescription, in dioptres (minus- or plus-cylinder form) and degrees."""

    sph: float
    cyl: float = 0.0
    axis: int | None = None
    add: float | None = None

    @property
    def meridians(self) -> tuple[float, float]:
        """Powers of the two principal meridians: SPH and SPH+CYL."""
        return (self.sph, self.sph + self.cyl)

    @property
    def horizontal_power(self) -> float:
        """Power along the horizontal (180°) meridian: SPH + CYL·sin²(axis) (the oblique-meridian formula), to a
        millionth of a dioptre: sin² of 90° is not exactly 1 in floating point, and the residue (1e-17 D) read as a
        horizontal power made Prentice's allowance 1.8e33 mm instead of unlimited for the same prescription written
        in minus cylinder (found by the transposition property test)."""
        if self.cyl == 0 or self.axis is None:
            return self.sph
        return round(self.sph + self.cyl * math.sin(math.radians(self.axis)) ** 2, 6)


@dataclass(frozen=True)
class RxNeeds:
    """What a prescription asks of a frame, both eyes together."""

    lowest: float  # most minus meridian power (D)
    highest: float  # most plus meridian power (D)
    cylinder: float  # largest |CYL| (D)
    add: float | None  # largest ADD (D), None without one
    strongest: float  # meridian power of largest magnitude (D)
    label: float  # the sphere a shopper knows: the SPH of larger magnitude (D)
    horizontal_sum: float  # |horizontal power| of right + left (D), for Prentice's rule

    @property
    def max_power(self) -> float:
        """Largest meridian power magnitude (D)."""
        return abs(self.strongest)


@dataclass(frozen=True)
class Wearer:
    """A customer as the rules see them; every measurement optional."""

    right: Eye | None = None
    left: Eye | None = None
    pd_mm: float | None = None
    face_width_mm: float | None = None
    rx_sunglasses: bool = False  # asks for sunglasses to see with (prescription sun lenses)

    @cached_property
    def rx(self) -> RxNeeds | None:
        """The prescription's needs, or None when there is none or it is plano in both eyes without ADD."""
        eyes = [eye for eye in (self.right, self.left) if eye is not None]
        powers = [p for eye in eyes for p in eye.meridians]
        adds = [eye.add for eye in eyes if eye.add is not None and eye.add > 0]
        if not eyes or (all(p == 0 for p in powers) and not adds):
            return None
        strongest = max(powers, key=abs)
        return RxNeeds(
            lowest=min(powers),
            highest=max(powers),
            cylinder=max(abs(eye.cyl) for eye in eyes),
            add=max(adds) if adds else None,
            strongest=strongest,
            label=max((eye.sph for eye in eyes), key=abs),
            horizontal_sum=sum(abs(eye.horizontal_power) for eye in eyes),
        )

    @classmethod
    def from_profile(cls, profile: Any, *, rx_sunglasses: bool = False) -> Wearer:
        """From anything with `prescription`, `pd_mm`, `face_width_mm` (CustomerImport, ProfilePublic, a row).

        The prescription may be a `Prescription` or its JSON form (as the profile table stores it).
        """
        prescription = getattr(profile, "prescription", None)
        if isinstance(prescription, Mapping):
            prescription = Prescription.model_validate(prescription)
        right = left = None
        if prescription is not None:
            right, left = (_eye(prescription.right), _eye(prescription.left))
        return cls(
            right=right,
            left=left,
            pd_mm=_float(getattr(profile, "pd_mm", None)),
            face_width_mm=_float(getattr(profile, "face_width_mm", None)),
            rx_sunglasses=rx_sunglasses,
        )

    @classmethod
    def stored(cls, prescription: Mapping[str, Any] | None, pd_mm: float | None, face_width_mm: float | None) -> Wearer:
        """A stored profile as the rules see it: its prescription's JSON form as the profile table holds it, read
        without validating it again (it was when it was written: `from_profile` validates, five times the cost, which
        every reader of the whole table paid per profile)."""
        right = left = None
        if prescription:
            right, left = _stored_eye(prescription.get("right")), _stored_eye(prescription.get("left"))
        return cls(right=right, left=left, pd_mm=_float(pd_mm), face_width_mm=_float(face_width_mm))


def _stored_eye(eye: Mapping[str, Any] | None) -> Eye | None:
    if not eye:
        return None
    add = eye.get("add")
    return Eye(float(eye["sph"]), float(eye.get("cyl") or 0.0), eye.get("axis"), None if add is None else float(add))


def _eye(eye: Any) -> Eye:
    add = getattr(eye, "add", None)
    return Eye(float(eye.sph), float(eye.cyl), eye.axis, None if add is None else float(add))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


RIM_CODES = {"full-rim": 0, "semi-rimless": 1, "rimless": 2}


@dataclass(frozen=True)
class Frame:
    """A product as the rules see it; measurements in mm (None when the shop did not list them)."""

    category: str
    rim_type: str | None = None
    lens_width_mm: float | None = None
    bridge_mm: float | None = None
    lens_height_mm: float | None = None
    frame_width_mm: float | None = None
    rx_capable: bool = True
    sphere_min: float | None = None
    sphere_max: float | None = None
    cylinder_max: float | None = None
    progressive: bool = False

    @classmethod
    def from_product(cls, product: Any, settings: RuleSettings) -> Frame:
        """From anything with the catalog's product fields (ProductCreate, ProductPublic, an ORM row).

        An unset `rx_capable` means capable for eyeglasses and not for sunglasses; an unset `progressive`, no.
        """
        category = str(product.category)
        rx_capable = getattr(product, "rx_capable", None)
        if rx_capable is None:
            rx_capable = category not in settings.sun_categories
        return cls(
            category=category,
            rim_type=getattr(product, "rim_type", None),
            lens_width_mm=_float(getattr(product, "lens_width_mm", None)),
            bridge_mm=_float(getattr(product, "bridge_mm", None)),
            lens_height_mm=_float(getattr(product, "lens_height_mm", None)),
            frame_width_mm=_float(getattr(product, "frame_width_mm", None)),
            rx_capable=bool(rx_capable),
            sphere_min=_float(getattr(product, "sphere_min", None)),
            sphere_max=_float(getattr(product, "sphere_max", None)),
            cylinder_max=_float(getattr(product, "cylinder_max", None)),
            progressive=bool(getattr(product, "progressive", None) or False),
        )


def lenses_needed(frame: Frame, wearer: Wearer, settings: RuleSettings) -> bool:
    """Whether prescription lenses go into this frame: a frame, a prescription, and not plain sunglasses."""
    if wearer.rx is None or frame.category not in settings.frame_categories:
        return False
    return frame.category not in settings.sun_categories or wearer.rx_sunglasses


def blank_diameter(power: float, settings: RuleSettings) -> float:
    """Lens blank diameter (mm) available at a power magnitude: large up to the low power, small from the high."""
    lo, hi = settings.blank_power_low, settings.blank_power_high
    if power <= lo or hi <= lo:
        return settings.blank_diameter_low_mm if power <= lo else settings.blank_diameter_high_mm
    if power >= hi:
        return settings.blank_diameter_high_mm
    t = (power - lo) / (hi - lo)
    return settings.blank_diameter_low_mm + t * (settings.blank_diameter_high_mm - settings.blank_diameter_low_mm)


def residual_decentration_mm(rx: RxNeeds, settings: RuleSettings) -> float:
    """Decentration (mm per eye) that Prentice's rule allows within the prism tolerance: 10 × Δ / ΣP."""
    if rx.horizontal_sum == 0:
        return math.inf
    return 10.0 * settings.horizontal_prism_tolerance / rx.horizontal_sum
