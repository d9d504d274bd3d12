"""Dropout whose masks come from a seeded numpy bit generator: on a CPU, torch draws a dropout mask one
Mersenne-Twister number per element (`bernoulli_`), which was a fifth of a training step; 16 random bits per
element from PCG64 give the same distribution (p rounded to 1/65,536) for a twentieth of the time.

The masks are inverted dropout's: kept elements are scaled by 1 / (1 - p), so evaluation needs no rescaling. On a GPU
the layers use torch's own dropout (drawing on the host and copying would be slower there).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

_LEVELS = 1 << 16  # a mask element is kept when its 16 random bits are at least p × 65,536


class MaskSource:
    """Seeded dropout masks for the layers of one network (they draw from it in their call order)."""

    def __init__(self, seed: int) -> None:
        self.bits = np.random.PCG64(np.random.SeedSequence([seed, 0x6D61736B]))  # "mask": its own stream

    def keep(self, shape: torch.Size, p: float) -> Tensor:
        """A float32 mask of `shape`: 0 with probability p, else 1 / (1 - p)."""
        n = shape.numel()
        draws = self.bits.random_raw(-(-n // 4)).view(np.uint16)[:n]  # four 16-bit draws per 64-bit number
        kept = torch.from_numpy(draws >= round(p * _LEVELS)).view(torch.uint8)  # bool to float is slower than uint8
        return kept.to(torch.float32).mul_(1.0 / (1.0 - p)).view(shape)


class Dropout(nn.Module):
    """`nn.Dropout` with its masks from a shared `MaskSource` on the CPU."""

    def __init__(self, p: float, masks: MaskSource) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {p}")
        self.p, self.masks = p, masks

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu":
            return F.dropout(x, self.p, training=True)
        return x * self.masks.keep(x.shape, self.p)

    def extra_repr(self) -> str:
        return f"p={self.p}"
