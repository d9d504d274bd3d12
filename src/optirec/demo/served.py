"""`demo-eval`'s served lists: the lists the shop would show, built by the real serving code.

The demo shop's catalogue, customers and training events are loaded into a fresh SQLite database through the normal
importers; the trained model is loaded as production loads it (`load_live_model`) and swapped into a `ServingState`;
each evaluated customer's home list is asked of `ListBuilder` (`preview_async`: built exactly as `build_async`
builds it, not logged). So the list has passed the hard filters on what the shop is told (the profile), is blended
with popularity, the fit score and the shopper's attribute profile, and re-ranked for diversity: what the shopper
would see.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from optirec.arrays import IntArray
from optirec.catalog.importer import import_products
from optirec.customers.importer import import_customers
from optirec.demo.shop import World
from optirec.migrate import upgrade
from optirec.ml.model.actions import ACTIONS
from optirec.ml.train.data import Interactions
from optirec.recommend.live import ServingState
from optirec.recommend.model_adapter import load_live_model
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import WEIGHTS, ListBuilder, ListSpec
from optirec.settings import Settings
from optirec.signals.importer import import_events
from optirec.store import Database


@dataclass(frozen=True)
class ServedShop:
    """A database holding the demo shop as of the end of the training period, and the model serving it."""

    db: Database
    state: ServingState
    settings: Settings

    def builder(self, weights: Mapping[str, float] | None = None) -> ListBuilder:
        """A list builder as the app makes one (`runtime.state.build_state`), with the blend's `weights`."""
        return ListBuilder(
            self.db, self.state, self.settings.rules, tuple(self.settings.rebuyable_categories),
            weights=dict(weights or WEIGHTS),
        )  # fmt: skip

    def close(self) -> None:
        self.db.dispose()


def open_served_shop(world: World, train: Interactions, model_dir: Path, folder: Path) -> ServedShop:
    """Load the catalogue, the customers and the training events into `folder/shop.db`; serve the model artifact in
    `model_dir` (its folder name is its version)."""
    settings = Settings(_env_file=None, database_url=f"sqlite:///{folder / 'shop.db'}", data_dir=folder / "data")
    upgrade(settings.database_url)
    db = Database(settings.database_url)
    products = b"".join(p.model_dump_json(exclude_none=True).encode() + b"\n" for p in world.products)
    import_products(db, io.BytesIO(products), "jsonl")
    customers = b"".join(c.model_dump_json(exclude_none=True).encode() + b"\n" for c in world.customers)
    import_customers(db, io.BytesIO(customers))
    import_events(db, io.BytesIO(events_csv(train)), "csv", action_types=settings.action_types)
    state = ServingState(
        db, settings.rules, approximate_from=settings.approximate_from_products, engagement=settings.engagement
    )
    model = load_live_model(model_dir, model_dir.name)
    state.prepare(model)
    state.swap_model(model)
    return ServedShop(db, state, settings)


def events_csv(train: Interactions) -> bytes:
    """The events in the uniform format (`user_id,item_id,action,timestamp`)."""
    users = np.array(train.user_ids)[train.users].tolist()
    items = np.array(train.item_ids)[train.items].tolist()
    actions = np.array(ACTIONS)[train.actions].tolist()
    stamps = np.datetime_as_string(train.timestamps.astype("datetime64[s]"), unit="s").tolist()
    rows = (f"{u},{i},{a},{t}Z\n" for u, i, a, t in zip(users, items, actions, stamps, strict=True))
    return ("user_id,item_id,action,timestamp\n" + "".join(rows)).encode()


def served_lists(
    builder: ListBuilder,
    customer_ids: Sequence[str],
    product_ids: Sequence[str],
    k: int,
    diversity: float | None = None,
) -> IntArray:
    """Each customer's k-item home list as the shop would serve it, as product rows (−1 for an empty slot);
    `diversity` as a request would ask it (None: the API's default)."""
    row = {pid: i for i, pid in enumerate(product_ids)}

    async def build() -> IntArray:
        out = np.full((len(customer_ids), k), -1, dtype=np.int64)
        for n, customer in enumerate(customer_ids):
            spec = ListSpec("home", customer, None, k, RecommendationFilters(), explain=False)
            if diversity is not None:
                spec = replace(spec, diversity=diversity)
            served = await builder.preview_async(spec)
            ids = served.snapshot.ids
            shown = [row[ids[item.position]] for item in served.items]
            out[n, : len(shown)] = shown
        return out

    return asyncio.run(build())
