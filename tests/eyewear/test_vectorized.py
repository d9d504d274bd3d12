"""The vectorised rules give exactly the scalar rules' answers, frame by frame, and count failures per rule."""

from __future__ import annotations

import time

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.catalog.schemas import ProductCreate
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import RULE_NAMES, check_frame
from optirec.eyewear.vectorized import FrameArrays, fit_scores, frame_classes, hard_filter_mask, rule_failures
from optirec.eyewear.wearer import Eye, Frame, Wearer

from .strategies import frames, wearers

RULES = RuleSettings()


@settings(max_examples=300, deadline=None)
@given(catalogue=st.lists(frames(), min_size=1, max_size=25), wearer=wearers())
def test_vectorised_equals_scalar(catalogue: list[Frame], wearer: Wearer) -> None:
    arrays = FrameArrays.from_frames(catalogue)
    failures = rule_failures(arrays, wearer, RULES)
    mask, counts = hard_filter_mask(arrays, wearer, RULES)
    scores = fit_scores(arrays, wearer, RULES)
    for k, frame in enumerate(catalogue):
        verdict = check_frame(frame, wearer, RULES)
        for result in verdict.results:
            assert bool(failures[result.rule][k]) == (not result.passed), (result, frame, wearer)
        assert bool(mask[k]) == verdict.passed
        assert scores[k] == verdict.fit_score
    assert counts == {name: int(failures[name].sum()) for name in RULE_NAMES}


@settings(max_examples=150, deadline=None)
@given(
    models=st.lists(frames(), min_size=1, max_size=8),
    picks=st.lists(st.integers(0, 7), min_size=1, max_size=30),
    wearer=wearers(),
)
def test_frames_of_one_model_share_a_class_and_each_reads_its_own_answer(
    models: list[Frame], picks: list[int], wearer: Wearer
) -> None:
    """Colour variants (the same frame listed again) fall in one class, so the rules run once for them; every frame
    still gets exactly the scalar rules' answer for itself."""
    catalogue = [models[k % len(models)] for k in picks]
    arrays = FrameArrays.from_frames(catalogue)
    classes = frame_classes(arrays, RULES)
    assert len(classes) <= len(set(catalogue))
    for k, j in ((k, j) for k in range(len(catalogue)) for j in range(len(catalogue))):
        if catalogue[k] == catalogue[j]:
            assert classes.class_of[k] == classes.class_of[j]
    failures = rule_failures(arrays, wearer, RULES)
    scores = fit_scores(arrays, wearer, RULES)
    for k, frame in enumerate(catalogue):
        verdict = check_frame(frame, wearer, RULES)
        assert all(bool(failures[r.rule][k]) == (not r.passed) for r in verdict.results)
        assert scores[k] == verdict.fit_score


def test_frames_that_differ_in_a_measurement_are_classes_apart() -> None:
    base = Frame(category="eyeglasses", lens_width_mm=52, bridge_mm=18, frame_width_mm=138, rx_capable=True)
    other = Frame(category="eyeglasses", lens_width_mm=52, bridge_mm=18, frame_width_mm=139, rx_capable=True)
    classes = frame_classes(FrameArrays.from_frames([base, other, base]), RULES)
    assert len(classes) == 2 and classes.class_of[0] == classes.class_of[2] != classes.class_of[1]


def test_from_products_reads_catalog_products() -> None:
    product = ProductCreate(
        id="F1",
        name="Round",
        category="eyeglasses",
        price=99,
        rim_type="rimless",
        lens_width_mm=55,
        bridge_mm=17,
        lens_height_mm=38,
        sphere_min=-10,
        sphere_max=6,
    )
    arrays = FrameArrays.from_products([product], RULES)
    wearer = Wearer(right=Eye(-8.0), left=Eye(-8.0))
    mask, counts = hard_filter_mask(arrays, wearer, RULES)
    assert not mask[0] and counts["rim_power"] == 1 and counts["lens_width_power"] == 1


def test_empty_catalogue() -> None:
    arrays = FrameArrays.from_frames([])
    mask, counts = hard_filter_mask(arrays, Wearer(face_width_mm=140), RULES)
    assert mask.shape == (0,) and set(counts.values()) == {0}
    assert fit_scores(arrays, Wearer(pd_mm=60), RULES).shape == (0,)


def test_fifty_thousand_frames_filter_in_a_few_milliseconds() -> None:
    rng = np.random.default_rng(0)
    n = 50_000
    width = rng.uniform(44, 60, n)
    arrays = FrameArrays(
        categories=("eyeglasses", "sunglasses"),
        category_codes=rng.integers(0, 2, n),
        rim_codes=rng.integers(0, 3, n),
        lens_width=width,
        bridge=rng.uniform(14, 24, n),
        lens_height=rng.uniform(25, 50, n),
        frame_width=rng.uniform(120, 150, n),
        rx_capable=rng.random(n) < 0.9,
        sphere_min=np.full(n, -8.0),
        sphere_max=np.full(n, 6.0),
        cylinder_max=np.full(n, 4.0),
        progressive=rng.random(n) < 0.5,
    )
    wearer = Wearer(right=Eye(-4.25, -1.25, 170, 1.75), left=Eye(-4.0, -0.75, 10, 1.75), pd_mm=62, face_width_mm=138)
    best = min(_timed(arrays, wearer) for _ in range(5))
    assert best < 0.02  # generous for a shared CI machine; typically ~2 ms
    mask, _ = hard_filter_mask(arrays, wearer, RULES)
    assert 0 < mask.sum() < n


def _timed(arrays: FrameArrays, wearer: Wearer) -> float:
    start = time.perf_counter()
    hard_filter_mask(arrays, wearer, RULES)
    fit_scores(arrays, wearer, RULES)
    return time.perf_counter() - start
