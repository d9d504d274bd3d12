"""The network's training loss: cross-entropy of the next item over the catalogue or over sampled items.

The sampled softmax runs as one autograd function: the same loss and gradients as `F.cross_entropy` over the
target's logit and the sampled logits (accidental hits of the target masked out), in fewer passes over the
(positions × negatives) logits, which are most of a CPU training step.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.nn import functional as F


def softmax_loss(
    hidden: torch.Tensor, table: torch.Tensor, targets: torch.Tensor, negatives: int, rng: np.random.Generator
) -> torch.Tensor:
    """Cross-entropy of the next item: hidden (N, dim), table (n_items + 1, dim), targets (N,) 1-based.

    With `negatives` = 0 (or at least the catalogue size) the softmax runs over the whole catalogue; otherwise
    over the target plus `negatives` uniformly sampled items shared by the batch (a sampled softmax, for CPUs).
    """
    n_items = table.shape[0] - 1
    if negatives <= 0 or negatives >= n_items:
        return F.cross_entropy(hidden @ table[1:].T, targets - 1)  # (N, n_items) logits
    sampled = torch.from_numpy(rng.integers(1, n_items + 1, negatives)).to(hidden.device)  # (negatives,)
    rows, cols = accidental_hits(sampled, targets)
    loss: torch.Tensor = SampledSoftmax.apply(hidden, table[targets], table[sampled], rows, cols)  # type: ignore[no-untyped-call]
    return loss


def accidental_hits(sampled: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The (row, column) pairs where `sampled[column] == targets[row]`, found by binary search: sampled (K,),
    targets (N,) -> two (hits,) index tensors."""
    order = torch.argsort(sampled)
    ordered = sampled[order]
    left = torch.searchsorted(ordered, targets)
    counts = torch.searchsorted(ordered, targets, right=True) - left  # (N,) copies of each target in the sample
    rows = torch.repeat_interleave(torch.arange(targets.numel(), device=targets.device), counts)
    first_hit = torch.cumsum(counts, 0) - counts  # where each row's hits start in `rows`
    offsets = torch.arange(rows.numel(), device=targets.device) - torch.repeat_interleave(first_hit, counts)
    return rows, order[torch.repeat_interleave(left, counts) + offsets]


class SampledSoftmax(torch.autograd.Function):
    """Mean over N positions of -log softmax([target logit, sampled logits])[0], the hits masked out.

    forward(hidden (N, dim), target_rows (N, dim), sampled_rows (K, dim), hit_rows, hit_cols) -> scalar."""

    @staticmethod
    def forward(
        ctx: Any,
        hidden: torch.Tensor,
        target_rows: torch.Tensor,
        sampled_rows: torch.Tensor,
        hit_rows: torch.Tensor,
        hit_cols: torch.Tensor,
    ) -> torch.Tensor:
        probs = hidden @ sampled_rows.T  # (N, K) logits, turned into probabilities in place
        probs[hit_rows, hit_cols] = -torch.inf
        positive = (hidden * target_rows).sum(-1)  # (N,)
        top = torch.maximum(positive, probs.max(dim=1).values)  # (N,) for a stable log-sum-exp
        probs.sub_(top[:, None]).exp_()
        target_exp = (positive - top).exp_()
        total = probs.sum(dim=1).add_(target_exp)  # (N,)
        probs.div_(total[:, None])
        ctx.save_for_backward(hidden, target_rows, sampled_rows, probs, target_exp.div_(total))
        return (total.log_() + top - positive).mean()

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple[torch.Tensor | None, ...]:
        hidden, target_rows, sampled_rows, probs, target_prob = ctx.saved_tensors
        scale = grad / hidden.shape[0]
        probs = probs * scale  # (N, K): d loss / d sampled logit
        target_grad = ((target_prob - 1.0) * scale)[:, None]  # (N, 1): d loss / d target logit
        grad_hidden = torch.addmm(target_grad * target_rows, probs, sampled_rows)
        return grad_hidden, target_grad * hidden, probs.T @ hidden, None, None
