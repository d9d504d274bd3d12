"""A wearer's view of the catalog counts what each step removed as if the steps ran one after the other."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import check_frame
from optirec.eyewear.vectorized import FrameArrays
from optirec.eyewear.wearer import Eye, Frame, Wearer
from optirec.recommend.filters import WearerCache, WearerView
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


def _held_bytes(cache: WearerCache) -> int:
    """What the cache's views hold: each view's classes' arrays, and each distinct mask of what passes once."""
    views = list(cache._items.values())
    masks = {id(view.allowed): view.allowed.nbytes for view in views}
    return sum(view.class_failed.nbytes + view.class_fit.nbytes for view in views) + sum(masks.values())


def test_a_view_holds_a_byte_a_product_and_its_classes_and_the_cache_counts_that() -> None:
    """Reading every product's fit (the exact pass) keeps nothing on the view, and the wearer cache fits as many
    views as their arrays allow (it counted 10 bytes a product, and held a fifth of the views on a large catalog); a
    catalog change drops the views of the earlier version (no list asks for them again, and they hold prescriptions)."""
    from types import SimpleNamespace

    shapes = [Frame(category="eyeglasses", frame_width_mm=130.0 + k) for k in range(10)]
    frames = FrameArrays.from_frames(shapes[k % 10] for k in range(2000))
    everything = np.ones(2000, dtype=np.bool_)
    snapshot = SimpleNamespace(availability=(1, "v"), frames=frames, active=everything, sellable=everything)
    view = WearerView.build(snapshot, Wearer(face_width_mm=134.0), RULES)  # type: ignore[arg-type]
    assert view.class_fit.size == 10 and view.nbytes == 2000 + 10 * (1 + 8)
    assert view.fit.size == view.failed.size == 2000 and view.nbytes == 2090  # read, not kept
    cache = WearerCache(max_bytes=10 * 2090)
    for k in range(12):
        cache.view(snapshot, Wearer(face_width_mm=120.0 + k), RULES)  # type: ignore[arg-type]
    # ten views' arrays at least (more where wearers alike share what passes, counted once)
    assert len(cache._items) >= 10 and cache._bytes == _held_bytes(cache) <= 10 * 2090
    changed = SimpleNamespace(**{**vars(snapshot), "availability": (1, "w")})  # a catalog change: the old views go
    cache.view(changed, Wearer(face_width_mm=134.0), RULES)  # type: ignore[arg-type]
    assert list(cache._items) == [((1, "w"), Wearer(face_width_mm=134.0))] and cache._bytes == 2090


def test_the_cache_holds_views_for_a_bounded_time() -> None:
    """Views hold prescriptions: the cache empties itself every `max_age_seconds` (`HELD_AT_MOST_SECONDS`, what a
    process that did not make an erasure holds at most), a catalog change or not."""
    from types import SimpleNamespace

    frames = FrameArrays.from_frames(Frame(category="eyeglasses", frame_width_mm=130.0 + k % 5) for k in range(50))
    everything = np.ones(50, dtype=np.bool_)
    snapshot = SimpleNamespace(availability=(1, "v"), frames=frames, active=everything, sellable=everything)
    now = [0.0]
    cache = WearerCache(max_age_seconds=600.0, clock=lambda: now[0])
    wearer, other = Wearer(face_width_mm=134.0), Wearer(face_width_mm=140.0)
    held = cache.view(snapshot, wearer, RULES)  # type: ignore[arg-type]
    now[0] = 599.0
    assert cache.view(snapshot, wearer, RULES) is held  # type: ignore[arg-type]
    now[0] = 600.0
    cache.view(snapshot, other, RULES)  # type: ignore[arg-type]
    assert list(cache._items) == [((1, "v"), other)] and cache._bytes == _held_bytes(cache)
    made = cache.view(snapshot, wearer, RULES)  # type: ignore[arg-type]
    assert made is not held and made.class_fit.tolist() == held.class_fit.tolist()
    now[0] = 1199.0  # the cache's age counts from when it was emptied
    assert cache.view(snapshot, wearer, RULES) is made  # type: ignore[arg-type]


def test_wearers_whose_classes_fail_the_same_rules_share_what_passes() -> None:
    """Two prescriptions that every class of frames takes (or refuses) alike share the view's pass over the products,
    which equals the one each would make alone; one whose classes fail other rules, and a new catalog version, make
    their own. Nothing a list does changes the shared mask."""
    from types import SimpleNamespace

    narrow = [Frame(category="eyeglasses", sphere_min=-4.0, sphere_max=2.0, frame_width_mm=130.0 + k) for k in range(5)]
    wide = [Frame(category="eyeglasses", sphere_min=-10.0, sphere_max=6.0, frame_width_mm=130.0 + k) for k in range(5)]
    frames = FrameArrays.from_frames((narrow + wide)[k % 10] for k in range(400))
    sellable = np.arange(400) % 7 != 0
    snapshot = SimpleNamespace(
        availability=(1, "v"), frames=frames, active=np.ones(400, dtype=np.bool_), sellable=sellable
    )
    mild, milder, strong = (Wearer(right=Eye(sph, 0.0), left=Eye(sph, 0.0)) for sph in (-1.0, -1.5, -6.0))
    cache = WearerCache()
    views = {w: cache.view(snapshot, w, RULES) for w in (mild, milder, strong)}  # type: ignore[arg-type]
    assert views[mild].allowed is views[milder].allowed and views[mild].removed is views[milder].removed
    assert views[strong].allowed is not views[mild].allowed
    for wearer, view in views.items():
        alone = WearerView.build(snapshot, wearer, RULES)  # type: ignore[arg-type]
        assert np.array_equal(view.allowed, alone.allowed) and view.removed == alone.removed
    assert views[strong].allowed.sum() < views[mild].allowed.sum()
    with pytest.raises(ValueError):  # read-only: a list filters a copy (`apply_filters`)
        views[mild].allowed[0] = False
    # the cache counts a shared mask once: two masks for the three views, each view's classes apart
    classes = sum(view.class_failed.nbytes + view.class_fit.nbytes for view in views.values())
    assert cache._bytes == classes + 2 * 400
    changed = SimpleNamespace(**{**vars(snapshot), "availability": (1, "w")})
    assert cache.view(changed, milder, RULES).allowed is not views[milder].allowed  # type: ignore[arg-type]


def test_the_cache_counts_a_shared_pass_once_and_until_its_last_view_goes() -> None:
    """Wearers alike share their views' mask of what passes (`Passed`): the wearer cache counts it with the first
    of their views it holds and takes it off with the last it drops, so that it holds as many views as their arrays
    really take (it counted each view's mask whole, and held fewer views than its bytes allowed)."""
    from types import SimpleNamespace

    frames = FrameArrays.from_frames(Frame(category="eyeglasses", frame_width_mm=130.0 + k % 10) for k in range(1000))
    everything = np.ones(1000, dtype=np.bool_)
    snapshot = SimpleNamespace(availability=(1, "v"), frames=frames, active=everything, sellable=everything)
    # faces that every frame fits or none does: two outcomes, each shared by several wearers
    wearers = [Wearer(face_width_mm=width) for width in (134.0, 134.5, 135.0, 90.0, 91.0, 135.5)]
    one = WearerView.build(snapshot, wearers[0], RULES)  # type: ignore[arg-type]
    classes = one.class_failed.nbytes + one.class_fit.nbytes

    roomy = WearerCache()
    held = [roomy.view(snapshot, wearer, RULES) for wearer in wearers]  # type: ignore[arg-type]
    assert len({id(view.allowed) for view in held}) == 2
    assert roomy._bytes == _held_bytes(roomy) == 6 * classes + 2 * 1000
    tight = WearerCache(max_bytes=3 * classes + 1000)  # three views of one outcome, not a second mask
    for wearer in wearers:
        tight.view(snapshot, wearer, RULES)  # type: ignore[arg-type]
        assert tight._bytes == _held_bytes(tight) <= 3 * classes + 1000 or len(tight._items) == 1
    assert len(tight._items) < 6
    tight.clear()
    assert tight._bytes == 0 and not tight._holders
