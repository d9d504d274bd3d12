"""The network's dropout: masks from a seeded bit generator, and the attention path it takes while training."""

from __future__ import annotations

import pytest
import torch

from optirec.ml.model.dropout import Dropout, MaskSource
from optirec.ml.model.network import Block


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_masks_drop_the_share_p_and_scale_the_rest(p: float) -> None:
    mask = MaskSource(seed=3).keep(torch.Size([1000, 1000]), p)
    assert mask.dtype == torch.float32 and mask.shape == (1000, 1000)
    dropped = float((mask == 0).float().mean())
    assert abs(dropped - p) < 0.003  # a million draws: the share is p to within a few standard errors
    assert torch.allclose(mask[mask != 0], torch.tensor(1.0 / (1.0 - p)))
    assert abs(float(mask.mean()) - 1.0) < 0.01  # inverted dropout keeps the expectation


def test_masks_follow_the_seed() -> None:
    shape = torch.Size([64, 33])  # not a multiple of four draws per 64-bit number
    first, again, other = MaskSource(7), MaskSource(7), MaskSource(8)
    a, b = first.keep(shape, 0.5), first.keep(shape, 0.5)
    assert not torch.equal(a, b)  # the stream moves on
    assert torch.equal(again.keep(shape, 0.5), a) and torch.equal(again.keep(shape, 0.5), b)
    assert not torch.equal(other.keep(shape, 0.5), a)


def test_dropout_is_the_identity_when_evaluating_or_at_zero() -> None:
    x = torch.randn(4, 5)
    layer = Dropout(0.5, MaskSource(0))
    assert torch.equal(layer.eval()(x), x)
    assert torch.equal(Dropout(0.0, MaskSource(0)).train()(x), x)
    dropped = layer.train()(x)
    assert torch.all((dropped == 0) | torch.isclose(dropped, 2 * x))


def test_dropout_rejects_a_probability_outside_0_1() -> None:
    with pytest.raises(ValueError, match="dropout must be in"):
        Dropout(1.0, MaskSource(0))


def test_training_attention_is_the_evaluation_attention_without_drops() -> None:
    """A block in training mode computes attention by hand (to draw its weights' masks from our source); with a
    dropout too small to drop anything (p × 65,536 rounds to 0) it equals the fused attention used when serving."""
    torch.manual_seed(0)
    block = Block(dim=8, heads=2, dropout=1e-9, masks=MaskSource(0))
    x = torch.randn(3, 6, 8)
    real = torch.tensor([[False, False, True, True, True, True], [True] * 6, [False] * 5 + [True]])
    causal = torch.ones(6, 6, dtype=torch.bool).tril()
    allowed = ((causal & real[:, None, :]) | torch.eye(6, dtype=torch.bool))[:, None]
    with torch.no_grad():
        trained = block.train()(x, allowed)
        served = block.eval()(x, allowed)
    assert torch.allclose(trained, served, atol=1e-5)
