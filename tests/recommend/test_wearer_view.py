"""A wearer's view of the catalog counts what each step removed as if the steps ran one after the other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import check_frame
from optirec.eyewear.vectorized import FrameArrays
from optirec.eyewear.wearer import Frame, Wearer
from optirec.recommend.filters import WearerView
from tests.eyewear.strategies import frames, wearers

RULES = RuleSettings()


@dataclass
class _Catalog:
    """What `WearerView.build` reads of a catalog snapshot."""

    frames: FrameArrays
    active: npt.NDArray[np.bool_]
    sellable: npt.NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.frames)


@settings(max_examples=200, deadline=None)
@given(
    catalogue=st.lists(st.tuples(frames(), st.booleans(), st.booleans()), min_size=1, max_size=30),
    wearer=wearers(),
)
def test_each_step_counts_what_it_removed_among_what_the_earlier_ones_let_through(
    catalogue: list[tuple[Frame, bool, bool]], wearer: Wearer
) -> None:
    active = np.array([a for _, a, _ in catalogue], dtype=np.bool_)
    sellable = active & np.array([s for _, _, s in catalogue], dtype=np.bool_)
    snapshot = _Catalog(FrameArrays.from_frames(f for f, _, _ in catalogue), active, sellable)
    view = WearerView.build(snapshot, wearer, RULES)  # type: ignore[arg-type]
    # The same steps one at a time, with the scalar rules.
    expected = {"inactive": int((~active).sum()), "out_of_stock": int((active & ~sellable).sum())}
    left = sellable.copy()
    verdicts = [check_frame(frame, wearer, RULES) for frame, _, _ in catalogue]
    for name in [result.rule for result in verdicts[0].results]:
        fails = np.array([not next(r for r in v.results if r.rule == name).passed for v in verdicts], dtype=np.bool_)
        expected[f"rule:{name}"] = int((left & fails).sum())
        left &= ~fails
    assert view.removed == expected
    assert view.allowed.tolist() == left.tolist()
    assert view.fit.tolist() == [v.fit_score for v in verdicts]


def test_one_pass_counts_what_first_failures_counts() -> None:
    """`kernels.passing` (the view's one pass) against `first_failures` and the mask it replaced."""
    from optirec.eyewear.rules import RULE_NAMES
    from optirec.recommend.filters import first_failures
    from optirec.recommend.kernels import passing

    rng = np.random.default_rng(4)
    failed = np.where(rng.random(5000) < 0.5, 0, rng.integers(0, 256, 5000)).astype(np.uint8)
    sellable = rng.random(5000) < 0.8
    allowed, first = passing(np.arange(failed.size, dtype=np.int32), failed, sellable)
    assert np.array_equal(allowed, sellable & (failed == 0))
    assert dict(zip(RULE_NAMES, first.tolist(), strict=True)) == first_failures(failed, sellable)
