"""Factories for tiny synthetic interaction data whose right answers are known."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optirec.ml.train.data import Interactions, from_arrays

DAY = 86_400


def chain_events(
    n_users: int = 60, n_items: int = 24, length: int = 8, seed: int = 0
) -> tuple[list[str], list[str], list[str], list[int]]:
    """Users walk a fixed chain of items (i -> i+1 modulo the catalogue) from a random start.

    The next item is fully determined by the last one, so a sequence model must learn it.
    """
    rng = np.random.default_rng(seed)
    users: list[str] = []
    items: list[str] = []
    actions: list[str] = []
    times: list[int] = []
    for u in range(n_users):
        start = int(rng.integers(n_items))
        for step in range(length):
            users.append(f"u{u}")
            items.append(f"i{(start + step) % n_items}")
            actions.append("purchase" if step % 3 == 2 else "view")
            times.append(1_700_000_000 + step * DAY + u)
    return users, items, actions, times


@pytest.fixture
def chain_data() -> Interactions:
    users, items, actions, times = chain_events()
    return from_arrays(users, items, actions, times)


def write_events(folder: Path, rows: list[tuple[str, str, str, int]], items: bool = True) -> Path:
    """Write events.csv (and items.csv with two attribute groups) in the uniform format."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["user_id,item_id,action,timestamp"]
    for user, item, action, stamp in rows:
        iso = np.datetime_as_string(np.datetime64(stamp, "s"), unit="s") + "Z"
        lines.append(f"{user},{item},{action},{iso}")
    (folder / "events.csv").write_text("\n".join(lines) + "\n")
    if items:
        names = sorted({r[1] for r in rows})
        attr = [f"{n},attrA|group{int(n[1:]) % 2},Frame {n}" for n in names]
        (folder / "items.csv").write_text("item_id,attributes,name\n" + "\n".join(attr) + "\n")
    return folder


@pytest.fixture
def chain_dir(tmp_path: Path) -> Path:
    users, items, actions, times = chain_events()
    return write_events(tmp_path / "chain", list(zip(users, items, actions, times, strict=True)))
