"""Fitting the item-to-item source: the Cholesky inverse EASE uses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from optirec.ml.train.itemitem import spd_inverse


@pytest.mark.parametrize("n", [1, 7, 600])
def test_spd_inverse_matches_a_general_inverse(n: int) -> None:
    rng = np.random.default_rng(n)
    x = (rng.random((3 * n, n)) < 0.05).astype(np.float32)
    gram = x.T @ x + np.float32(50.0) * np.eye(n, dtype=np.float32)
    expected = np.linalg.inv(gram.astype(np.float64))
    inverse = spd_inverse(gram)
    assert inverse.dtype == np.float32 and inverse.flags.c_contiguous
    assert np.array_equal(inverse, inverse.T)
    assert np.abs(inverse - expected).max() <= 1e-5 * np.abs(expected).max()


def test_spd_inverse_refuses_a_matrix_that_is_not_positive_definite() -> None:
    with pytest.raises(torch.linalg.LinAlgError):
        spd_inverse(np.array([[1.0, 2.0], [2.0, 1.0]], dtype=np.float32))
