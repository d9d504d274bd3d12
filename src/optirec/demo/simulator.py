"""The shopper simulator: sessions over `days` days, each a run of product views driven by hidden tastes and fit,
some views followed by an add to cart, some carts by a purchase, the rest abandoned (some items removed first).

Vectorised with numpy: every view of a batch of sessions is drawn at once by inverse-CDF sampling over each
customer's per-category choice distribution (one `searchsorted` over keys `customer + cdf`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.demo import response
from optirec.demo.catalog import CatalogArrays
from optirec.demo.tastes import Tastes

VIEW, ADD_TO_CART, REMOVE_FROM_CART, PURCHASE = 0, 1, 2, 3
ACTION_NAMES = ("view", "add_to_cart", "remove_from_cart", "purchase")
MEAN_VIEWS = 14.0  # product views per session (eyewear shoppers compare many frames)
ACCESSORY_SESSION_SHARE = 0.03
# e-commerce traffic by weekday, Monday first: peaks Sunday–Monday, dips Friday–Saturday
WEEKDAY_TRAFFIC = (1.10, 1.05, 1.00, 0.97, 0.88, 0.90, 1.10)
HOUR_TRAFFIC = (
    0.3, 0.2, 0.15, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.05, 1.1,
    1.15, 1.1, 1.0, 1.0, 1.05, 1.15, 1.3, 1.5, 1.6, 1.5, 1.1, 0.6,
)  # fmt: skip


@dataclass(frozen=True)
class Events:
    """Simulated events sorted by time; `users`/`items` index customers/products, `times` in unix seconds."""

    users: IntArray
    items: IntArray
    actions: IntArray
    times: IntArray
    sessions: int
    returning_sessions: int

    def __len__(self) -> int:
        return int(self.users.shape[0])


class Chooser:
    """Draws the product a customer views next within a category, ∝ exposure × exp(attractiveness)."""

    def __init__(self, attract: npt.NDArray[np.float32], kind: IntArray, exposure: npt.NDArray[np.float64]) -> None:
        self.columns: list[IntArray] = []
        self.keys: list[npt.NDArray[np.float64]] = []
        for k in range(int(kind.max()) + 1):
            cols = np.flatnonzero(kind == k)
            weights = np.exp(attract[:, cols].astype(np.float64)) * exposure[cols][None, :]
            cdf = np.cumsum(weights, axis=1)
            cdf /= cdf[:, -1:]
            cdf[:, -1] = 1.0
            offsets = np.arange(attract.shape[0], dtype=np.float64)[:, None]
            self.columns.append(cols)
            self.keys.append((offsets + cdf).ravel())

    def draw(self, rng: np.random.Generator, users: IntArray, kinds: IntArray) -> IntArray:
        """One product per (user, kind) pair."""
        out = np.empty(users.shape[0], dtype=np.int64)
        for k, cols in enumerate(self.columns):
            rows = np.flatnonzero(kinds == k)
            flat = np.searchsorted(self.keys[k], users[rows] + rng.random(rows.shape[0]), side="right")
            out[rows] = cols[np.minimum(flat - users[rows] * cols.shape[0], cols.shape[0] - 1)]
        return out


def _session_starts(rng: np.random.Generator, n: int, days: int, start: int) -> IntArray:
    """Session start times (unix s) with weekly seasonality, a gentle upward trend and an evening peak."""
    day_index = np.arange(days)
    weekday = (day_index + _weekday(start)) % 7
    weights = np.array(WEEKDAY_TRAFFIC)[weekday] * (1.0 + 0.2 * day_index / max(days - 1, 1))
    day = rng.choice(days, size=n, p=weights / weights.sum())
    hours = np.array(HOUR_TRAFFIC)
    hour = rng.choice(24, size=n, p=hours / hours.sum())
    return (start + day * 86_400 + hour * 3_600 + rng.integers(0, 3_600, n)).astype(np.int64)


def _weekday(unix: int) -> int:
    """Monday = 0 for a unix time (1970-01-01 was a Thursday)."""
    return int((unix // 86_400 + 3) % 7)


def simulate(
    rng: np.random.Generator,
    tastes: Tastes,
    items: CatalogArrays,
    attract: npt.NDArray[np.float32],
    ok: npt.NDArray[np.bool_],
    *,
    days: int,
    start: int,
    target_events: int,
    tick: Callable[[int], None] | None = None,
) -> Events:
    """At least `target_events` events from sessions drawn in batches until the target is reached."""
    chooser = Chooser(attract, items.kind, tastes.item_exposure)
    activity = tastes.activity / tastes.activity.sum()
    parts: list[tuple[IntArray, ...]] = []
    session_users: list[IntArray] = []
    session_starts: list[IntArray] = []
    total = 0
    while total < target_events:
        batch = max(1_000, int((target_events - total) / (MEAN_VIEWS * 1.02)) + 1)
        users = rng.choice(activity.shape[0], size=batch, p=activity).astype(np.int64)
        starts = _session_starts(rng, batch, days, start)
        part = _session_events(rng, tastes, chooser, attract, ok, users, starts)
        parts.append(part)
        session_users.append(users)
        session_starts.append(starts)
        total += part[0].shape[0]
        if tick is not None:
            tick(part[0].shape[0])
    users, items_, actions, times = (np.concatenate(cols) for cols in zip(*parts, strict=True))
    order = np.lexsort((actions, times))
    returning = _returning(np.concatenate(session_users), np.concatenate(session_starts))
    return Events(users[order], items_[order], actions[order], times[order], len(np.concatenate(session_users)),
                  returning)  # fmt: skip


def _returning(users: IntArray, starts: IntArray) -> int:
    """Sessions that start after the same customer's first session."""
    first = np.full(int(users.max()) + 1, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, users, starts)
    return int((starts > first[users]).sum())


def _session_kinds(rng: np.random.Generator, tastes: Tastes, users: IntArray) -> IntArray:
    """What each session is about: eyeglasses (0), sunglasses (1) or accessories (2)."""
    u = rng.random(users.shape[0])
    sun = tastes.sun_share[users]
    return np.where(u < ACCESSORY_SESSION_SHARE, 2, np.where(u < ACCESSORY_SESSION_SHARE + sun, 1, 0)).astype(np.int64)


def _session_events(
    rng: np.random.Generator,
    tastes: Tastes,
    chooser: Chooser,
    attract: npt.NDArray[np.float32],
    ok: npt.NDArray[np.bool_],
    users: IntArray,
    starts: IntArray,
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Views, adds to cart, removals and purchases of a batch of sessions: (users, items, actions, times)."""
    n_views = 1 + rng.negative_binomial(2, 2 / (2 + MEAN_VIEWS - 1), users.shape[0])
    session = np.repeat(np.arange(users.shape[0]), n_views)
    v_user = users[session]
    v_item = chooser.draw(rng, v_user, _session_kinds(rng, tastes, users)[session])
    gaps = rng.exponential(45.0, session.shape[0]).astype(np.int64) + 5
    total, first_view = np.cumsum(gaps), np.r_[0, np.cumsum(n_views)[:-1]]
    offsets = total - np.repeat(total[first_view] - gaps[first_view], n_views)
    v_time = starts[session] + offsets
    session_end = np.zeros(users.shape[0], dtype=np.int64)
    np.maximum.at(session_end, session, v_time)
    a = attract[v_user, v_item]
    carted = rng.random(a.shape[0]) < response.p_add_to_cart(a)
    key = session[carted] * ok.shape[1] + v_item[carted]
    _, first = np.unique(key, return_index=True)
    c_rows = np.flatnonzero(carted)[np.sort(first)]
    c_user, c_item, c_sess = v_user[c_rows], v_item[c_rows], session[c_rows]
    bought = rng.random(c_rows.shape[0]) < response.p_buy(a[c_rows], ok[c_user, c_item])
    removed = ~bought & (rng.random(c_rows.shape[0]) < response.REMOVE_SHARE)
    end = session_end[c_sess]
    return (
        np.concatenate([v_user, c_user, c_user[removed], c_user[bought]]),
        np.concatenate([v_item, c_item, c_item[removed], c_item[bought]]),
        np.concatenate([np.full(v_user.shape[0], VIEW), np.full(c_rows.shape[0], ADD_TO_CART),
                        np.full(int(removed.sum()), REMOVE_FROM_CART), np.full(int(bought.sum()), PURCHASE)]),
        np.concatenate([v_time, v_time[c_rows] + 20, end[removed] + 60, end[bought] + 180]),
    )  # fmt: skip
