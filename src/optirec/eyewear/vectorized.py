"""The hard rules and the fit score over a whole catalogue at once, compiled (numba).

`FrameArrays` holds the catalogue column by column (NaN where a measurement is not listed); `evaluate` answers,
per frame, which rules it fails for one wearer and its fit score; `rule_failures`, `hard_filter_mask` and
`fit_scores` read them out. The answers equal `rules.check_frame` frame by frame (a property test holds them to
it): the same float operations in the same order, wearer-only values computed once by the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
from numba import njit

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.fit import NEUTRAL_SCORE
from optirec.eyewear.rules import RULE_NAMES
from optirec.eyewear.wearer import RIM_CODES, Frame, Wearer, blank_diameter, residual_decentration_mm


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
    # The frames grouped by what the rules read (see `frame_classes`), per rule settings: filled on first use.
    grouped: dict[int, tuple[RuleSettings, FrameClasses]] = field(default_factory=dict, compare=False, repr=False)

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
    rx_capable: BoolArray
    lens_width: FloatArray
    frame_width: FloatArray


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
        rx_capable=frames.rx_capable,
        lens_width=frames.lens_width,
        frame_width=frames.frame_width,
    )
    frames.memo[id(settings)] = (settings, static)
    return static


@dataclass(frozen=True)
class FrameClasses:
    """The catalogue's frames grouped by every value the rules and the fit score read (category kind, Rx range,
    rim, lens and frame measurements): frames of one class fail the same rules and score the same fit for any
    wearer. A catalogue lists each frame model in several colours, and measurements in whole millimetres and
    quarter dioptres, so there are far fewer classes than frames (5,560 on a 50,000-product demo catalogue): the rules
    run once per class (`evaluate_classes`) and each frame reads its class's answer."""

    class_of: npt.NDArray[np.int32]  # (n,) each frame's class
    static: _Static  # the columns of one frame of each class, shape (classes,) each

    def __len__(self) -> int:
        return int(self.static.is_frame.shape[0])


def frame_classes(frames: FrameArrays, settings: RuleSettings) -> FrameClasses:
    """The catalogue's classes under these rule settings, computed once."""
    found = frames.grouped.get(id(settings))
    if found is not None and found[0] is settings:
        return found[1]
    static = _static(frames, settings)
    columns = (static.is_frame, static.sun, static.rx_capable, static.sphere_lo, static.sphere_hi,
               static.cylinder_limit, static.rim_limit, static.not_multifocal, static.lens_width, static.span,
               static.effective_diameter, static.frame_width)  # fmt: skip
    # One row of bytes per frame: equal bytes, equal values (NaN included, as every NaN here is numpy's).
    rows = np.ascontiguousarray(np.column_stack([np.asarray(c, dtype=np.float64) for c in columns]))
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, class_of = np.unique(keys, return_index=True, return_inverse=True)
    picked = _Static(**{name: getattr(static, name)[first] for name in _Static.__dataclass_fields__})
    classes = FrameClasses(class_of.astype(np.int32).ravel(), picked)
    frames.grouped[id(settings)] = (settings, classes)
    return classes


def rule_failures(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> dict[str, BoolArray]:
    """Per rule (the names of `rules.RULE_NAMES`), which frames fail it for this wearer, shape (n,) each."""
    failed, _fit = evaluate(frames, wearer, settings)
    return {name: (failed & np.uint8(1 << bit)) != 0 for bit, name in enumerate(RULE_NAMES)}


def evaluate(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> tuple[npt.NDArray[np.uint8], FloatArray]:
    """Every rule and the fit score over the catalogue: per frame, the rules it fails as bits (bit k for
    `RULE_NAMES[k]`) and its fit score, each frame reading its class's answer (`evaluate_classes`)."""
    classes, failed, fit = evaluate_classes(frames, wearer, settings)
    return failed[classes.class_of], fit[classes.class_of]


def evaluate_classes(
    frames: FrameArrays, wearer: Wearer, settings: RuleSettings
) -> tuple[FrameClasses, npt.NDArray[np.uint8], FloatArray]:
    """Every rule and the fit score once per class of frames (`FrameClasses`), in two compiled passes (`_failures`,
    `_fit_scores`): the classes, and per class the rules it fails as bits and its fit score. In numpy this was some
    forty array operations a wearer, each a pass over the catalogue; a shop's shoppers are mostly each their own
    wearer, so a list builds it on almost every first visit."""
    classes = frame_classes(frames, settings)
    static = classes.static
    rx, pd, face = wearer.rx, wearer.pd_mm, wearer.face_width_mm
    has_rx, has_pd, has_face = rx is not None, pd is not None, face is not None
    pd_mm, face_mm = pd if pd is not None else 0.0, face if face is not None else 0.0
    failed = _failures(
        static.is_frame, static.sun, static.rx_capable, static.sphere_lo, static.sphere_hi, static.cylinder_limit,
        static.rim_limit, static.not_multifocal, static.lens_width, static.span, static.effective_diameter,
        static.frame_width,
        has_rx, wearer.rx_sunglasses,
        rx.lowest if rx else 0.0, rx.highest if rx else 0.0, rx.cylinder if rx else 0.0, rx.max_power if rx else 0.0,
        rx is not None and rx.add is not None,
        rx is not None and rx.max_power >= settings.high_power_threshold, settings.high_power_max_lens_width_mm,
        has_pd, pd_mm, blank_diameter(rx.max_power, settings) if rx else 0.0, settings.lens_edging_allowance_mm,
        residual_decentration_mm(rx, settings) if rx else 0.0,
        has_face, face_mm, settings.face_narrower_tolerance_mm, settings.face_wider_tolerance_mm,
    )  # fmt: skip
    fit = _fit_scores(
        static.is_frame, static.frame_width, static.width_known, static.span, static.span_known,
        has_face, face_mm, has_pd, pd_mm, settings.face_ideal_offset_mm, settings.fit_score_face_scale_mm,
        settings.fit_score_pd_scale_mm, NEUTRAL_SCORE,
    )  # fmt: skip
    return classes, failed, fit


# fmt: off
@njit(cache=True)
def _failures(
    is_frame: BoolArray, sun: BoolArray, rx_capable: BoolArray, sphere_lo: FloatArray, sphere_hi: FloatArray,
    cylinder_limit: FloatArray, rim_limit: FloatArray, not_multifocal: BoolArray, lens_width: FloatArray,
    span: FloatArray, effective_diameter: FloatArray, frame_width: FloatArray,
    has_rx: bool, rx_sunglasses: bool, lowest: float, highest: float, cylinder: float, max_power: float,
    has_add: bool, strong: bool, lens_width_max: float, has_pd: bool, pd: float, blank: float, edging: float,
    residual: float, has_face: bool, face: float, narrower: float, wider: float,
) -> npt.NDArray[np.uint8]:  # pragma: no cover - compiled
    """The rules of `rules.RULES`, frame by frame, as bits (the same comparisons, in the same float operations, as
    the scalar rules; NaN for a measurement not listed compares false, as there)."""
    n = is_frame.shape[0]
    failed = np.zeros(n, dtype=np.uint8)
    for i in range(n):
        bits = 0
        if has_rx and is_frame[i] and (not sun[i] or rx_sunglasses):  # the frame needs lenses of the wearer's Rx
            if not rx_capable[i]:
                bits |= 1
            if not (sphere_lo[i] <= lowest and highest <= sphere_hi[i]):
                bits |= 2
            if not (cylinder <= cylinder_limit[i]):
                bits |= 4
            if max_power > rim_limit[i]:
                bits |= 8
            if has_add and not_multifocal[i]:
                bits |= 16
            if strong and lens_width[i] > lens_width_max:
                bits |= 32
            if has_pd:
                room = (blank - effective_diameter[i] - edging) / 2
                allowed = (0.0 if room <= 0.0 else room) + residual  # NaN stays NaN, as numpy's maximum keeps it
                if abs(span[i] - pd) / 2 > allowed:
                    bits |= 64
        if has_face and is_frame[i]:
            diff = frame_width[i] - face
            if diff < -narrower or diff > wider:
                bits |= 128
        failed[i] = bits
    return failed


@njit(cache=True)
def _fit_scores(
    is_frame: BoolArray, frame_width: FloatArray, width_known: BoolArray, span: FloatArray, span_known: BoolArray,
    has_face: bool, face: float, has_pd: bool, pd: float, face_offset: float, face_scale: float, pd_scale: float,
    neutral: float,
) -> FloatArray:  # pragma: no cover - compiled
    """`fit.fit_score`, frame by frame: the mean of the face and PD closeness that are known, neutral with neither
    (and for what is not a frame)."""
    n = is_frame.shape[0]
    fit = np.empty(n, dtype=np.float64)
    for i in range(n):
        total, count = 0.0, 0
        if has_face and width_known[i]:
            ratio = (frame_width[i] - face - face_offset) / face_scale
            total = total + 1.0 / (1.0 + ratio * ratio)
            count += 1
        if has_pd and span_known[i]:
            ratio = ((span[i] - pd) / 2) / pd_scale
            total = total + 1.0 / (1.0 + ratio * ratio)
            count += 1
        score = total / 2 if count == 2 else (total if count == 1 else neutral)
        fit[i] = score if is_frame[i] else neutral
    return fit
# fmt: on


def hard_filter_mask(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> tuple[BoolArray, dict[str, int]]:
    """Which frames pass every hard rule, shape (n,), and how many frames fail each rule."""
    failed, _fit = evaluate(frames, wearer, settings)
    counts = {name: int(np.count_nonzero(failed & np.uint8(1 << bit))) for bit, name in enumerate(RULE_NAMES)}
    return failed == 0, counts


def fit_scores(frames: FrameArrays, wearer: Wearer, settings: RuleSettings) -> FloatArray:
    """The soft fit score (0…1) of every frame for this wearer, shape (n,); see `fit.fit_score`."""
    _failed, fit = evaluate(frames, wearer, settings)
    return fit
