"""`ServingState`'s mapping of a model's scores onto catalog positions, made once per catalog and model."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from optirec.recommend.live import _Mapped


def _mapping(positions: list[int]) -> _Mapped:
    """A model of as many items as the positions name (only its item count is read)."""
    items = SimpleNamespace(item_ids=range(max(positions) + 1))
    return _Mapped.of(items, np.array(positions, dtype=np.int64))  # type: ignore[arg-type]


def test_scores_land_on_the_catalog_positions_of_their_items() -> None:
    scores = np.array([0.5, 1.5, 2.5], dtype=np.float32)  # over the model's items 0, 1, 2
    mapped = _mapping([2, 0, 1]).onto(scores)
    assert mapped is not None and mapped.dtype == np.float64
    np.testing.assert_array_equal(mapped, [2.5, 0.5, 1.5])


def test_products_the_model_does_not_know_get_nan() -> None:
    scores = np.array([0.5, 1.5], dtype=np.float32)
    mapped = _mapping([1, -1, 0, -1]).onto(scores)
    assert mapped is not None
    np.testing.assert_array_equal(mapped, [1.5, np.nan, 0.5, np.nan])


def test_no_scores_map_to_none() -> None:
    assert _mapping([0]).onto(None) is None
