"""Ranking math on tiny arrays whose right answer is known."""

from __future__ import annotations

import numpy as np

from optirec.recommend.kernels import blend_sources
from optirec.recommend.ranking import attribute_mask, combine, diversify, equals, price_mask, standardise, top_k


def test_top_k_returns_the_best_allowed_in_order() -> None:
    scores = np.array([0.1, 0.9, 0.5, 0.7, 0.3])
    allowed = np.array([True, False, True, True, True])
    assert top_k(scores, allowed, 2).tolist() == [3, 2]
    assert top_k(scores, allowed, 10).tolist() == [3, 2, 4, 0]


def test_standardise_uses_only_the_allowed_entries() -> None:
    out = standardise(np.array([1.0, 2.0, 3.0, 100.0]), np.array([True, True, True, False]))
    assert np.allclose(out[:3], [-1.2247, 0.0, 1.2247], atol=1e-4) and out[3] == 0


def test_diversify_zero_keeps_relevance_order_and_one_spreads_brands() -> None:
    candidates = np.array([0, 1, 2, 3])
    relevance = np.array([4.0, 3.0, 2.0, 1.0])
    features = np.array([[1, 1], [1, 1], [1, 1], [2, 2]])  # items 0-2 alike, item 3 different
    assert diversify(candidates, relevance, features, 0.0, 2).tolist() == [0, 1]
    assert diversify(candidates, relevance, features, 0.9, 2).tolist() == [0, 3]


def _mmr_by_definition(relevance: np.ndarray, features: np.ndarray, diversity: float, k: int) -> list[int]:
    """Maximal marginal relevance written out plainly, for comparison with the compiled loop."""
    rel = (relevance - relevance.min()) / (np.ptp(relevance) or 1.0)
    picked: list[int] = []
    for _ in range(min(k, len(rel))):

        def value(i: int) -> float:
            alike = max((float(np.mean(features[i] == features[j])) for j in picked), default=0.0)
            return float((1 - diversity) * rel[i] - diversity * alike)

        picked.append(max((i for i in range(len(rel)) if i not in picked), key=value))  # first one on ties
    return picked


def test_diversify_matches_the_definition_on_random_candidates() -> None:
    rng = np.random.default_rng(8)
    for _ in range(40):
        size = int(rng.integers(2, 40))
        candidates = rng.choice(500, size, replace=False)
        relevance = np.zeros(500)
        relevance[candidates] = rng.normal(size=size).round(1)  # rounded: ties happen
        features = rng.integers(0, 3, (500, 4))
        diversity, k = float(rng.choice([0.1, 0.3, 0.7, 1.0])), int(rng.integers(1, 15))
        expected = candidates[_mmr_by_definition(relevance[candidates], features[candidates], diversity, k)]
        assert diversify(candidates, relevance, features, diversity, k).tolist() == expected.tolist()


def test_filter_masks() -> None:
    assert equals(np.array(["Round", "square"]), "round").tolist() == [True, False]  # type: ignore[union-attr]
    assert equals(np.array(["a"]), None) is None
    assert price_mask(np.array([10.0, 50.0, 90.0]), 20, 80).tolist() == [False, True, False]  # type: ignore[union-attr]
    attrs = [{"lens": "blue-light"}, {"lens": ["blue-light", "photochromic"]}, {}]
    assert attribute_mask(attrs, {"lens": "blue-light"}).tolist() == [True, True, False]  # type: ignore[union-attr]
    assert combine([None, np.array([True, False])], 2).tolist() == [True, False]


def test_the_wearer_cache_is_bounded_by_memory_and_keeps_the_recent_ones() -> None:
    from types import SimpleNamespace

    from optirec.eyewear.config import RuleSettings
    from optirec.eyewear.vectorized import FrameArrays
    from optirec.eyewear.wearer import Frame, Wearer
    from optirec.recommend.filters import WearerCache

    frames = FrameArrays.from_frames([Frame(category="eyeglasses", frame_width_mm=130.0 + k) for k in range(1000)])
    everything = np.ones(1000, dtype=np.bool_)
    snapshot = SimpleNamespace(availability=(1, "v"), frames=frames, active=everything, sellable=everything)
    cache = WearerCache(max_bytes=50_000)  # room for a few views of 1,000 products (about 9 kB each)
    views = [cache.view(snapshot, Wearer(face_width_mm=120.0 + k), RuleSettings()) for k in range(20)]  # type: ignore[arg-type]
    assert cache._bytes <= 50_000 and 1 < len(cache._items) < 20
    assert cache.view(snapshot, Wearer(face_width_mm=139.0), RuleSettings()) is views[-1]  # type: ignore[arg-type]
    assert cache.view(snapshot, Wearer(face_width_mm=120.0), RuleSettings()) is not views[0]  # type: ignore[arg-type]


def test_blend_sources_matches_the_definition() -> None:
    """Base plus each source standardised over the allowed products it knows (NaN: unknown; empty: absent)."""
    rng = np.random.default_rng(9)
    for _ in range(30):
        n = int(rng.integers(5, 300))
        base, allowed = rng.normal(size=n), rng.random(n) < 0.8
        personal = np.where(rng.random(n) < 0.7, rng.normal(size=n), np.nan)
        related = np.where(rng.random(n) < 0.3, rng.exponential(size=n), np.nan) if rng.random() < 0.5 else None
        expected, known = base.copy(), np.zeros(n, dtype=bool)
        for values, weight in ((personal, 1.0), (related, 0.7)):
            if values is not None:
                mask = allowed & ~np.isnan(values)
                expected += weight * standardise(np.nan_to_num(values), mask)
                known |= mask
        empty = np.zeros(0)
        total, order, got_known = blend_sources(
            base, allowed, personal, 1.0, empty if related is None else related, 0.7
        )
        assert np.allclose(total, expected) and np.array_equal(got_known, known)
        assert np.allclose(order, np.where(known, expected + 1000.0, expected))
