"""The hard rules and the fit score over a whole catalogue at once, with numpy.

`FrameArrays` holds the catalogue column by column (NaN where a measurement is not listed); `rule_failures`
answers, per rule, which frames fail it for one wearer. The answers equal `rules.check_frame` frame by frame
(a property test holds them to it): the same float operations in the same order, wearer-only values computed
once by the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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
    # What the rules derive from the frames alone, per rule settings (see `_static`): filled on first use.
    memo: dict[int, tuple[RuleSettings, _Static]] = field(default_factory=dict, compare=False, repr=False)

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


@dataclass(frozen=True)
class _Static:
    """The wearer-independent columns the rules compare against, computed once per catalogue and settings: a
    request then costs only the comparisons with its wearer's values."""

    is_frame: BoolArray
    sun: BoolArray
    sphere_lo: FloatArray
    sphere_hi: FloatArray
    cylinder_limit: FloatArray
    rim_limit: FloatArray
    not_multifocal: BoolArray  # not progressive, or too short for a reading zone
    span: FloatArray  # lens width + bridge
    effective_diameter: FloatArray
    width_known: BoolArray
    span_known: BoolArray


def _static(frames: FrameArrays, settings: RuleSettings) -> _Static:
    found = frames.memo.get(id(settings))
    if found is not None and found[0] is settings:
        return found[1]
    short = np.isnan(frames.lens_height) | (frames.lens_height < settings.min_multifocal_height_mm)
    span = frames.lens_width + frames.bridge
    static = _Static(
        is_frame=frames.in_categories(settings.frame_categories),
        sun=frames.in_categories(settings.sun_categories),
        sphere_lo=np.where(np.isnan(frames.sphere_min), settings.default_sphere_min, frames.sphere_min),
        sphere_hi=np.where(np.isnan(frames.sphere_max), settings.default_sphere_max, frames.sphere_max),
        cylinder_limit=np.where(np.isnan(frames.cylinder_max), settings.default_cylinder_max, frames.cylinder_max),
        rim_limit=np.array([np.inf, settings.semi_rimless_max_power, settings.rimless_max_power])[frames.rim_codes],
        not_multifocal=~frames.progressive | short,
        span=span,
        effective_diameter=frames.lens_width + settings.effective_diameter_extra_mm,
        width_known=~np.isnan(frames.frame_width),
        span_known=~np.isnan(span),
    )
    frames.memo[id(settings)] = (settings, static)
    return static


def _prescription_failures(
    frames: FrameArrays, wearer: Wearer, settings: RuleSettings, lenses: BoolArray
) -> dict[str, BoolArray]:
    """rx_capable, sphere, cylinder, rim_power, multifocal and lens_width_power, for a wearer with an Rx."""
    rx = wearer.rx
    assert rx is not None
    static = _static(frames, settings)
    out = {
        "rx_capable": lenses & ~frames.rx_capable,
        "sphere": lenses & ~((static.sphere_lo <= rx.lowest) & (rx.highest <= static.sphere_hi)),
        "cylinder": lenses & ~(rx.cylinder <= static.cylinder_limit),
        "rim_power": lenses & (rx.max_power > static.rim_limit),
    }
    if rx.add is None:
        out["multifocal"] = np.zeros(len(frames), dtype=np.bool_)
    else:
        out["multifocal"] = lenses & static.not_multifocal
    strong = rx.max_power >= settings.high_power_threshold
    out["lens_width_power"] = lenses & strong & (frames.lens_width > settings.high_power_max_lens_width_mm)
    return out


def _decentration_failures(frames: FrameArrays, wearer: Wearer, settings: RuleSettings, lenses: BoolArray) -> BoolArray:
    """Frames whose lens centres cannot be moved onto the wearer's pupils at their power."""
    rx, pd = wearer.rx, wearer.pd_mm
    if rx is None or pd is None:
        return np.zeros(len(frames), dtype=np.bool_)
    static = _static(frames, settings)
    decentration = np.abs(static.span - pd) / 2
    blank = blank_diameter(rx.max_power, settings)
    room = (blank - static.effective_diameter - settings.lens_edging_allowance_mm) / 2
    allowed = np.maximum(0.0, room) + residual_decentration_mm(rx, settings)
    return lenses & (decentration > allowed)


def rule_failures(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> dict[str, BoolArray]:
    """Per rule (the names of `rules.RULE_NAMES`), which frames fail it for this wearer, shape (n,) each."""
    n = len(frames)
    static = _static(frames, settings)
    is_frame = static.is_frame
    if wearer.rx is None:
        out = {name: np.zeros(n, dtype=np.bool_) for name in RULE_NAMES}
    else:
        lenses = is_frame & (~static.sun | wearer.rx_sunglasses)
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
    static = _static(frames, settings)
    total, count = np.zeros(n), np.zeros(n, dtype=np.int64)
    parts: list[tuple[FloatArray, BoolArray]] = []
    if wearer.face_width_mm is not None:
        diff = frames.frame_width - wearer.face_width_mm - settings.face_ideal_offset_mm
        parts.append((_closeness(diff, settings.fit_score_face_scale_mm), static.width_known))
    if wearer.pd_mm is not None:
        decentration = (static.span - wearer.pd_mm) / 2
        parts.append((_closeness(decentration, settings.fit_score_pd_scale_mm), static.span_known))
    for values, known in parts:
        total = np.where(known, total + np.where(known, values, 0.0), total)
        count += known
    score = np.where(count == 2, total / 2, np.where(count == 1, total, NEUTRAL_SCORE))
    return np.where(static.is_frame, score, NEUTRAL_SCORE)
