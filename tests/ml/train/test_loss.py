"""The training loss: the sampled softmax against autograd through `F.cross_entropy`, hits and all."""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from optirec.ml.train.loss import SampledSoftmax, accidental_hits, softmax_loss


def _reference(hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor, sampled: torch.Tensor) -> torch.Tensor:
    """The sampled softmax written with autograd's own operations (the loss before the fused function)."""
    positive = (hidden * table[targets]).sum(-1, keepdim=True)
    negative = (hidden @ table[sampled].T).masked_fill(sampled[None, :] == targets[:, None], -torch.inf)
    return F.cross_entropy(torch.cat([positive, negative], dim=1), torch.zeros_like(targets))


def test_accidental_hits_are_every_pair_of_equal_items() -> None:
    sampled = torch.tensor([4, 2, 9, 2, 7])
    targets = torch.tensor([2, 5, 7, 2, 4])
    rows, cols = accidental_hits(sampled, targets)
    expected = {(r, c) for r in range(5) for c in range(5) if sampled[c] == targets[r]}
    assert set(zip(rows.tolist(), cols.tolist(), strict=True)) == expected and rows.numel() == len(expected)


def test_sampled_softmax_has_the_loss_and_gradients_of_cross_entropy() -> None:
    generator = torch.Generator().manual_seed(0)
    table = torch.randn(13, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    hidden = torch.randn(9, 4, dtype=torch.float64, generator=generator, requires_grad=True)
    targets = torch.randint(1, 13, (9,), generator=generator)
    sampled = torch.cat([targets[:3], torch.randint(1, 13, (8,), generator=generator)])  # hits, some twice
    expected = _reference(hidden, table, targets, sampled)
    expected_grads = torch.autograd.grad(expected, [hidden, table])
    rows, cols = accidental_hits(sampled, targets)
    loss = SampledSoftmax.apply(hidden, table[targets], table[sampled], rows, cols)
    grads = torch.autograd.grad(loss, [hidden, table])
    assert rows.numel() >= 3 and torch.allclose(loss, expected)
    assert all(torch.allclose(g, e) for g, e in zip(grads, expected_grads, strict=True))
    assert torch.autograd.gradcheck(
        lambda h, t, s: SampledSoftmax.apply(h, t, s, rows, cols), (hidden, table[targets], table[sampled])
    )


def test_softmax_loss_samples_as_before_and_uses_the_whole_catalogue_without_negatives() -> None:
    table = torch.randn(30, 8)
    hidden = torch.randn(6, 8)
    targets = torch.tensor([1, 5, 9, 29, 3, 3])
    sampled = torch.from_numpy(np.random.default_rng(4).integers(1, 30, 10))
    loss = softmax_loss(hidden, table, targets, 10, np.random.default_rng(4))
    assert torch.allclose(loss, _reference(hidden, table, targets, sampled), atol=1e-6)
    full = softmax_loss(hidden, table, targets, 0, np.random.default_rng(4))
    assert torch.allclose(full, F.cross_entropy(hidden @ table[1:].T, targets - 1))
