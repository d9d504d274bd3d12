"""The hard rules and the fit score over a whole catalogue at once, with numpy.

`FrameArrays` holds the catalogue column by column (NaN where a measurement is not listed); `rule_failures`
answers, per rule, which frames fail it for one wearer. The answers equal `rules.check_frame` frame by frame
(a property test holds them to it): the same float operations in the same order, wearer-only values computed
once by the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.fit import NEUTRAL_SCORE
from optirec.eyewear.rules import RULE_NAMES
from optirec.eyewear.wearer import RIM_CODES, Frame, Wearer, blank_diameter, residual_decentration_mm

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class FrameArrays:
    """A catalogue as columns, shape (n,) each; `categories[category_codes[i]]` is frame i's category."""

    categories: tuple[str, ...]
    category_codes: IntArray
    rim_codes: IntArray  # 0 full-rim or unknown, 1 semi-rimless, 2 rimless
    lens_width: FloatArray
    bridge: FloatArray
    lens_height: FloatArray
    frame_width: FloatArray
    rx_capable: BoolArray
    sphere_min: FloatArray
    sphere_max: FloatArray
    cylinder_max: FloatArray
    progressive: BoolArray

    def __len__(self) -> int:
        return int(self.category_codes.shape[0])

    @classmethod
    def from_frames(cls, frames: Iterable[Frame]) -> FrameArrays:
        """Columns from rule-side frames."""
        rows = list(frames)
        categories = tuple(sorted({f.category for f in rows}))
        code = {name: k for k, name in enumerate(categories)}

        def col(name: str) -> FloatArray:
            values = (getattr(f, name) for f in rows)
            return np.fromiter((np.nan if v is None else v for v in values), dtype=np.float64, count=len(rows))

        return cls(
            categories=categories,
            category_codes=np.array([code[f.category] for f in rows], dtype=np.int64),
            rim_codes=np.array([RIM_CODES.get(f.rim_type or "", 0) for f in rows], dtype=np.int64),
            lens_width=col("lens_width_mm"),
            bridge=col("bridge_mm"),
            lens_height=col("lens_height_mm"),
            frame_width=col("frame_width_mm"),
            rx_capable=np.array([f.rx_capable for f in rows], dtype=np.bool_),
            sphere_min=col("sphere_min"),
            sphere_max=col("sphere_max"),
            cylinder_max=col("cylinder_max"),
            progressive=np.array([f.progressive for f in rows], dtype=np.bool_),
        )

    @classmethod
    def from_products(cls, products: Iterable[Any], settings: RuleSettings) -> FrameArrays:
        """Columns from catalog products (ProductCreate, ProductPublic or ORM rows)."""
        return cls.from_frames(Frame.from_product(p, settings) for p in products)

    def in_categories(self, names: Iterable[str]) -> BoolArray:
        """Which frames belong to one of the named categories."""
        wanted = set(names)
        lookup = np.array([c in wanted for c in self.categories], dtype=np.bool_)
        return lookup[self.category_codes] if lookup.size else np.zeros(len(self), dtype=np.bool_)


def _prescription_failures(
    frames: FrameArrays, wearer: Wearer, settings: RuleSettings, lenses: BoolArray
) -> dict[str, BoolArray]:
    """rx_capable, sphere, cylinder, rim_power, multifocal and lens_width_power, for a wearer with an Rx."""
    rx = wearer.rx
    assert rx is not None
    lo = np.where(np.isnan(frames.sphere_min), settings.default_sphere_min, frames.sphere_min)
    hi = np.where(np.isnan(frames.sphere_max), settings.default_sphere_max, frames.sphere_max)
    cyl_limit = np.where(np.isnan(frames.cylinder_max), settings.default_cylinder_max, frames.cylinder_max)
    rim_limit = np.array([np.inf, settings.semi_rimless_max_power, settings.rimless_max_power])[frames.rim_codes]
    out = {
        "rx_capable": lenses & ~frames.rx_capable,
        "sphere": lenses & ~((lo <= rx.lowest) & (rx.highest <= hi)),
        "cylinder": lenses & ~(rx.cylinder <= cyl_limit),
        "rim_power": lenses & (rx.max_power > rim_limit),
    }
    if rx.add is None:
        out["multifocal"] = np.zeros(len(frames), dtype=np.bool_)
    else:
        short = np.isnan(frames.lens_height) | (frames.lens_height < settings.min_multifocal_height_mm)
        out["multifocal"] = lenses & (~frames.progressive | short)
    strong = rx.max_power >= settings.high_power_threshold
    out["lens_width_power"] = lenses & strong & (frames.lens_width > settings.high_power_max_lens_width_mm)
    return out


def _decentration_failures(frames: FrameArrays, wearer: Wearer, settings: RuleSettings, lenses: BoolArray) -> BoolArray:
    """Frames whose lens centres cannot be moved onto the wearer's pupils at their power."""
    rx, pd = wearer.rx, wearer.pd_mm
    if rx is None or pd is None:
        return np.zeros(len(frames), dtype=np.bool_)
    decentration = np.abs(frames.lens_width + frames.bridge - pd) / 2
    blank = blank_diameter(rx.max_power, settings)
    ed = frames.lens_width + settings.effective_diameter_extra_mm
    room = (blank - ed - settings.lens_edging_allowance_mm) / 2
    allowed = np.maximum(0.0, room) + residual_decentration_mm(rx, settings)
    return lenses & (decentration > allowed)


def rule_failures(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> dict[str, BoolArray]:
    """Per rule (the names of `rules.RULE_NAMES`), which frames fail it for this wearer, shape (n,) each."""
    n = len(frames)
    is_frame = frames.in_categories(settings.frame_categories)
    if wearer.rx is None:
        out = {name: np.zeros(n, dtype=np.bool_) for name in RULE_NAMES}
    else:
        sun = frames.in_categories(settings.sun_categories)
        lenses = is_frame & (~sun | wearer.rx_sunglasses)
        out = _prescription_failures(frames, wearer, settings, lenses)
        out["decentration"] = _decentration_failures(frames, wearer, settings, lenses)
    out["face_width"] = np.zeros(n, dtype=np.bool_)
    if wearer.face_width_mm is not None:
        diff = frames.frame_width - wearer.face_width_mm
        too = (diff < -settings.face_narrower_tolerance_mm) | (diff > settings.face_wider_tolerance_mm)
        out["face_width"] = is_frame & too
    return {name: out[name] for name in RULE_NAMES}


def hard_filter_mask(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> tuple[BoolArray, dict[str, int]]:
    """Which frames pass every hard rule, shape (n,), and how many frames fail each rule."""
    failures = rule_failures(frames, wearer, settings)
    failed = np.zeros(len(frames), dtype=np.bool_)
    for mask in failures.values():
        failed |= mask
    return ~failed, {name: int(mask.sum()) for name, mask in failures.items()}


def _closeness(difference: FloatArray, scale: float) -> FloatArray:
    ratio = difference / scale
    return 1.0 / (1.0 + ratio * ratio)


def fit_scores(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> FloatArray:
    """The soft fit score (0…1) of every frame for this wearer, shape (n,); see `fit.fit_score`."""
    n = len(frames)
    total, count = np.zeros(n), np.zeros(n, dtype=np.int64)
    parts: list[tuple[FloatArray, BoolArray]] = []
    if wearer.face_width_mm is not None:
        diff = frames.frame_width - wearer.face_width_mm - settings.face_ideal_offset_mm
        parts.append((_closeness(diff, settings.fit_score_face_scale_mm), ~np.isnan(frames.frame_width)))
    if wearer.pd_mm is not None:
        decentration = (frames.lens_width + frames.bridge - wearer.pd_mm) / 2
        parts.append((_closeness(decentration, settings.fit_score_pd_scale_mm), ~np.isnan(decentration)))
    for values, known in parts:
        total = np.where(known, total + np.where(known, values, 0.0), total)
        count += known
    score = np.where(count == 2, total / 2, np.where(count == 1, total, NEUTRAL_SCORE))
    return np.where(frames.in_categories(settings.frame_categories), score, NEUTRAL_SCORE)
