"""Per-user (item, action) sequences in model codes and their padded batches.

Model codes are shifted by one so that 0 can pad: item i becomes i + 1, action a becomes a + 1.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.ml.train.data import Interactions


def user_sequences(train: Interactions) -> tuple[list[IntArray], list[IntArray]]:
    """Each user's item and action codes (1-based), oldest first; empty arrays for users without events."""
    bounds = train.user_bounds()
    items = [train.items[bounds[u] : bounds[u + 1]] + 1 for u in range(train.n_users)]
    actions = [train.actions[bounds[u] : bounds[u + 1]] + 1 for u in range(train.n_users)]
    return items, actions


def left_pad(rows: list[IntArray], length: int) -> npt.NDArray[np.int64]:
    """The last `length` codes of each row, right-aligned in a zero matrix (len(rows), length)."""
    out = np.zeros((len(rows), length), dtype=np.int64)
    for r, row in enumerate(rows):
        tail = row[-length:]
        if tail.size:
            out[r, length - tail.size :] = tail
    return out


def length_batches(items: list[IntArray], users: IntArray, batch_size: int, rng: np.random.Generator) -> list[IntArray]:
    """Batches of users of similar sequence length (little padding), in a seeded random order."""
    order = rng.permutation(users)
    lengths = np.array([items[u].size for u in order])
    chunk = batch_size * 32
    batches: list[IntArray] = []
    for start in range(0, order.size, chunk):
        part = order[start : start + chunk][np.argsort(lengths[start : start + chunk], kind="stable")]
        batches += [part[k : k + batch_size] for k in range(0, part.size, batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


def training_windows(
    items: list[IntArray], actions: list[IntArray], users: IntArray, max_len: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Inputs, input actions and next-item targets, each (B, L) with L <= max_len, for a batch of users.

    A sequence longer than max_len + 1 contributes a random window ending at or after its middle, so long
    histories are seen whole over the epochs; the most recent window is the most likely one.
    """
    item_rows: list[IntArray] = []
    action_rows: list[IntArray] = []
    for u in users:
        seq, act = items[u], actions[u]
        end = seq.size
        if end > max_len + 1 and rng.random() < 0.5:
            end = int(rng.integers(max_len + 1, end + 1))
        item_rows.append(seq[max(0, end - max_len - 1) : end])
        action_rows.append(act[max(0, end - max_len - 1) : end])
    length = max(row.size for row in item_rows)
    seq_pad = left_pad(item_rows, length)
    act_pad = left_pad(action_rows, length)
    return seq_pad[:, :-1], act_pad[:, :-1], seq_pad[:, 1:]
