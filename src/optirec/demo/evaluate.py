"""`demo-eval`: popularity against a personalised model, scored by the simulator's ground truth.

Each customer's events are split by time (train on the first `train_days` days); every customer active after
the split gets a `k`-item list from each model, drawn only from products that pass the hard rules for them
and that they have not already bought; the ground truth gives the expected purchases of each list. The project's
model is also scored as the shop serves it (`demo.served`: the list builder's own lists), beside EASE.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.arrays import IntArray
from optirec.demo.ground_truth import expected_purchases, oracle_lists, purchase_probability
from optirec.demo.personalised import personalised_scorer
from optirec.demo.shop import World
from optirec.ml.model.actions import ACTION_CODE
from optirec.ml.train.data import Interactions

Scorer = Callable[[IntArray], npt.NDArray[np.float32]]
SIM_ACTIONS = ("view", "add_to_cart", "remove_from_cart", "purchase")


@dataclass(frozen=True)
class EventArrays:
    """events.csv as integer arrays aligned with the world's customers and products."""

    users: IntArray
    items: IntArray
    actions: IntArray  # codes of `optirec.ml.train.data.ACTION_CODE`
    times: IntArray


def read_events(path: Path, customer_ids: list[str], product_ids: list[str]) -> EventArrays:
    """Read the demo's events.csv fast (pyarrow), mapping ids to the world's row numbers."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types={
        "user_id": pa.string(), "item_id": pa.string(), "action": pa.string(), "timestamp": pa.timestamp("s", "UTC"),
    }))  # fmt: skip

    def codes(column: str, values: list[str]) -> IntArray:
        index = pc.index_in(table[column], value_set=pa.array(values))
        if index.null_count:
            raise ValueError(f"{path}: {index.null_count} rows with an unknown {column}")
        return np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int64)

    action_codes = np.array([ACTION_CODE[a] for a in SIM_ACTIONS], dtype=np.int64)
    return EventArrays(
        users=codes("user_id", customer_ids),
        items=codes("item_id", product_ids),
        actions=action_codes[codes("action", list(SIM_ACTIONS))],
        times=np.asarray(table["timestamp"].cast(pa.int64()).to_numpy(), dtype=np.int64),
    )


def to_interactions(events: EventArrays, mask: npt.NDArray[np.bool_], customer_ids: list[str],
                    product_ids: list[str]) -> Interactions:  # fmt: skip
    """The selected events as `optirec.ml` interactions, sorted by user then time."""
    users, items, actions, times = events.users[mask], events.items[mask], events.actions[mask], events.times[mask]
    order = np.lexsort((np.arange(users.shape[0]), times, users))
    return Interactions(customer_ids, product_ids, users[order], items[order], actions[order], times[order])


def top_lists(scores: npt.NDArray[np.float32], allowed: npt.NDArray[np.bool_], k: int) -> IntArray:
    """The k best allowed products per row (−1 where fewer are allowed), ties broken by product order."""
    masked = np.where(allowed, scores.astype(np.float64), -np.inf)
    top = np.argsort(-masked, axis=1, kind="stable")[:, :k]
    return np.where(np.take_along_axis(allowed, top, axis=1), top, -1).astype(np.int64)


@dataclass(frozen=True)
class DemoEvalResult:
    """Mean expected purchases per k-item list for each list (`expected`, by name), on `users` customers.

    Names: `random`, `popularity`, `best sellers`, `personalised` (the model's own ranking, raw), `ease` (beside the
    project's model), `served` (the project's model through the serving code; `served, <name>=<weight> …` for each
    other blend asked for) and `oracle`."""

    k: int
    users: int
    train_events: int
    expected: dict[str, float]
    personalised_name: str

    @property
    def ratio(self) -> float:
        """Personalised ÷ popularity."""
        return self.expected["personalised"] / self.expected["popularity"]


def split_by_time(
    world: World, events: EventArrays, train_days: int, eval_days: int | None = None
) -> tuple[Interactions, IntArray, npt.NDArray[np.bool_]]:
    """Training events (the first `train_days` days), the customers active in the `eval_days` days after them (all
    the days after when None), and what each bought."""
    start = int(datetime.fromisoformat(str(world.manifest["start"]).replace("Z", "+00:00")).timestamp())
    split = start + train_days * 86_400
    train_mask = events.times < split
    after = ~train_mask if eval_days is None else ~train_mask & (events.times < split + eval_days * 86_400)
    customer_ids, product_ids = [c.id for c in world.customers], [p.id for p in world.products]
    train = to_interactions(events, train_mask, customer_ids, product_ids)
    bought = np.zeros(world.ok.shape, dtype=np.bool_)
    purchases = train_mask & (events.actions == ACTION_CODE["purchase"])
    bought[events.users[purchases], events.items[purchases]] = True
    return train, np.unique(events.users[after]), bought


def evaluate_world(
    world: World,
    events: EventArrays,
    *,
    k: int = 12,
    train_days: int = 80,
    eval_days: int | None = None,
    personalised: str = "ease",
    train_seconds: float = 120.0,
    blends: Sequence[Mapping[str, float]] = (),
    progress: Callable[[str], None] | None = None,
) -> DemoEvalResult:
    """Score popularity (all interactions, as `optirec.ml`'s baseline), best sellers (purchases), the personalised
    model, random lists and the oracle (each customer's best possible list) on the ground truth. With the project's
    model, also EASE and the model as served (`demo.served`), at the default blend and with each of `blends` (weights
    of `recommend.service.WEIGHTS` changed)."""
    train, users, bought = split_by_time(world, events, train_days, eval_days)
    product_ids = train.item_ids
    probability = purchase_probability(world.attract, world.ok)
    allowed = world.ok[users] & ~bought[users]
    popularity = np.bincount(train.items, minlength=len(product_ids)).astype(np.float32)
    sold = np.bincount(train.items[train.actions == ACTION_CODE["purchase"]], minlength=len(product_ids))
    best_sellers = (sold + 1e-3 * popularity / max(float(popularity.max()), 1.0)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        scorers: dict[str, Scorer] = {
            "random": lambda u: np.random.default_rng(0).random((u.shape[0], len(product_ids))).astype(np.float32),
            "popularity": lambda u: np.tile(popularity, (u.shape[0], 1)),
            "best sellers": lambda u: np.tile(best_sellers, (u.shape[0], 1)),
            "personalised": personalised_scorer(
                personalised, train, world.products, popularity, train_seconds=train_seconds, progress=progress,
                model_dir=Path(folder) / "models",
            ),
        }  # fmt: skip
        lists = {name: top_lists(score(users), allowed, k) for name, score in scorers.items()}
        if personalised == "optirec":
            ease = personalised_scorer("ease", train, world.products, popularity)
            lists["ease"] = top_lists(ease(users), allowed, k)
            lists.update(_served(world, train, users, Path(folder), k, blends))
    expected = {name: float(expected_purchases(probability, users, top, bought).mean()) for name, top in lists.items()}
    best = oracle_lists(probability, users, k, bought)
    expected["oracle"] = float(expected_purchases(probability, users, best, bought).mean())
    return DemoEvalResult(k, int(users.shape[0]), len(train), expected, personalised)


def _served(world: World, train: Interactions, users: IntArray, folder: Path, k: int,
            blends: Sequence[Mapping[str, float]]) -> dict[str, IntArray]:  # fmt: skip
    """The lists the shop serves (`demo.served`) with the saved model: at the default blend, and with each of
    `blends`."""
    from optirec.demo.served import open_served_shop, served_lists
    from optirec.recommend.service import WEIGHTS

    (model_dir,) = (folder / "models").iterdir()
    shop = open_served_shop(world, train, model_dir, folder)
    customer_ids = [world.customers[int(u)].id for u in users]
    product_ids = [p.id for p in world.products]
    try:
        out = {"served": served_lists(shop.builder(), customer_ids, product_ids, k)}
        for changed in blends:
            label = "served, " + " ".join(f"{name}={weight:g}" for name, weight in changed.items())
            weights = {name: w for name, w in changed.items() if name != "diversity"}
            builder = shop.builder({**WEIGHTS, **weights})
            out[label] = served_lists(builder, customer_ids, product_ids, k, changed.get("diversity"))
    finally:
        shop.close()
    return out
