"""The hard rules for one frame over many wearers at once: which of a shop's customers a frame suits.

`vectorized.evaluate` runs the rules over a whole catalogue for one wearer; this module runs them the other way round,
over a whole population of wearers for one frame, as numpy comparisons on columns (`WearerArrays`). The answers equal
`rules.check_frame` wearer by wearer (a test holds them to it): the wearer's values come from the same helpers
(`Wearer.rx`, `blank_diameter`, `residual_decentration_mm`), the frame's from the same `_static` columns.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from optirec.arrays import BoolArray, FloatArray, IntArray
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import RULE_NAMES
from optirec.eyewear.vectorized import FrameArrays, _static
from optirec.eyewear.wearer import Frame, Wearer, blank_diameter, residual_decentration_mm


@dataclass(frozen=True)
class WearerArrays:
    """A population of wearers as columns, shape (n,) each (0 where a value is not known: its `has_` column says)."""

    has_rx: BoolArray
    sphere: FloatArray  # the sphere a shopper knows: the SPH of larger magnitude (`RxNeeds.label`)
    lowest: FloatArray
    highest: FloatArray
    cylinder: FloatArray
    max_power: FloatArray
    has_add: BoolArray
    blank: FloatArray  # lens blank diameter at the wearer's largest power (mm)
    residual: FloatArray  # decentration Prentice's rule allows (mm per eye; inf without horizontal power)
    has_pd: BoolArray
    pd: FloatArray
    has_face: BoolArray
    face: FloatArray

    def __len__(self) -> int:
        return int(self.has_rx.shape[0])

    def with_rows(self, positions: IntArray, rows: WearerArrays) -> WearerArrays:
        """A copy with `rows` written at `positions` (each from 0 to the new size), the size growing to hold the
        largest: some wearers changed, some added. The arrays are copied, so a reader of this one sees it whole."""
        size = max(len(self), int(positions.max(initial=-1)) + 1)
        columns = {}
        for column in fields(self):
            old, new = getattr(self, column.name), getattr(rows, column.name)
            grown = np.zeros(size, dtype=old.dtype)
            grown[: old.size] = old
            grown[positions] = new
            columns[column.name] = grown
        return WearerArrays(**columns)

    def at(self, positions: IntArray) -> WearerArrays:
        """The wearers at these positions, in their order (a copy)."""
        return WearerArrays(**{column.name: getattr(self, column.name)[positions] for column in fields(self)})

    @property
    def measured(self) -> BoolArray:
        """Wearers the rules can tell anything about: a prescription or a face width on file."""
        return self.has_rx | self.has_face

    @classmethod
    def from_wearers(cls, wearers: Iterable[Wearer], settings: RuleSettings) -> WearerArrays:
        rows = list(wearers)
        needs = [w.rx for w in rows]

        def col(values: Iterable[float]) -> FloatArray:
            return np.fromiter(values, dtype=np.float64, count=len(rows))

        return cls(
            has_rx=np.array([rx is not None for rx in needs], dtype=np.bool_),
            sphere=col(rx.label if rx else 0.0 for rx in needs),
            lowest=col(rx.lowest if rx else 0.0 for rx in needs),
            highest=col(rx.highest if rx else 0.0 for rx in needs),
            cylinder=col(rx.cylinder if rx else 0.0 for rx in needs),
            max_power=col(rx.max_power if rx else 0.0 for rx in needs),
            has_add=np.array([rx is not None and rx.add is not None for rx in needs], dtype=np.bool_),
            blank=col(blank_diameter(rx.max_power, settings) if rx else 0.0 for rx in needs),
            residual=col(residual_decentration_mm(rx, settings) if rx else 0.0 for rx in needs),
            has_pd=np.array([w.pd_mm is not None for w in rows], dtype=np.bool_),
            pd=col(w.pd_mm if w.pd_mm is not None else 0.0 for w in rows),
            has_face=np.array([w.face_width_mm is not None for w in rows], dtype=np.bool_),
            face=col(w.face_width_mm if w.face_width_mm is not None else 0.0 for w in rows),
        )


def frame_failures(frame: Frame, wearers: WearerArrays, settings: RuleSettings) -> npt.NDArray[np.uint8]:
    """Per wearer, the rules this frame fails for them as bits (bit k for `RULE_NAMES[k]`), shape (n,), uint8.
    Wearers never ask for prescription sunglasses here (`Wearer.rx_sunglasses` is a list's option, not a profile's)."""
    static = _static(FrameArrays.from_frames([frame]), settings)
    is_frame, sun = bool(static.is_frame[0]), bool(static.sun[0])
    lens_width = float(frame.lens_width_mm) if frame.lens_width_mm is not None else np.nan
    span, diameter = float(static.span[0]), float(static.effective_diameter[0])
    failed = np.zeros(len(wearers), dtype=np.uint8)
    if is_frame and not sun:
        needs = wearers.has_rx
        strong = wearers.max_power >= settings.high_power_threshold
        room = (wearers.blank - diameter - settings.lens_edging_allowance_mm) / 2
        with np.errstate(invalid="ignore"):
            allowed = np.where(room <= 0.0, 0.0, room) + wearers.residual
            checks = (
                np.full(len(wearers), not frame.rx_capable),
                ~((static.sphere_lo[0] <= wearers.lowest) & (wearers.highest <= static.sphere_hi[0])),
                ~(wearers.cylinder <= static.cylinder_limit[0]),
                wearers.max_power > static.rim_limit[0],
                wearers.has_add & bool(static.not_multifocal[0]),
                strong & (lens_width > settings.high_power_max_lens_width_mm),
                wearers.has_pd & (np.abs(span - wearers.pd) / 2 > allowed),
            )
        for bit, check in enumerate(checks):
            failed |= ((needs & check).astype(np.uint8)) << np.uint8(bit)
    if is_frame:
        diff = float(frame.frame_width_mm if frame.frame_width_mm is not None else np.nan) - wearers.face
        with np.errstate(invalid="ignore"):
            narrow, wide = diff < -settings.face_narrower_tolerance_mm, diff > settings.face_wider_tolerance_mm
            wrong = wearers.has_face & (narrow | wide)
        failed |= wrong.astype(np.uint8) << np.uint8(7)
    return failed


def failures_by_rule(failed: npt.NDArray[np.uint8], within: BoolArray) -> dict[str, int]:
    """How many of the wearers `within` fail each rule (a wearer failing two counts under both)."""
    return {
        name: int(np.count_nonzero(((failed & np.uint8(1 << bit)) != 0) & within))
        for bit, name in enumerate(RULE_NAMES)
    }
