"""The action types the model reads, their integer codes and how much one event of each says about a preference."""

from __future__ import annotations

import numpy as np

from optirec.arrays import Float32Array, IntArray

# Action types, in the order of their integer codes. `remove_from_cart` is accepted from the service.
ACTIONS: tuple[str, ...] = ("view", "add_to_cart", "remove_from_cart", "favorite", "purchase")
ACTION_CODE: dict[str, int] = {name: code for code, name in enumerate(ACTIONS)}
# How much one event of each type says about a preference (a purchase counts more than a view).
ACTION_WEIGHTS: dict[str, float] = {
    "view": 1.0,
    "add_to_cart": 2.0,
    "remove_from_cart": 0.5,
    "favorite": 2.0,
    "purchase": 3.0,
}


ACTION_TABLE = np.array([ACTION_WEIGHTS[a] for a in ACTIONS], dtype=np.float32)  # the weights by action code


def action_weights(actions: IntArray) -> Float32Array:
    """The preference weight of each event from its action code."""
    weights: Float32Array = ACTION_TABLE[actions]
    return weights
