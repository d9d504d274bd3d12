"""The closed-loop simulation's shop: the demo generator's catalogue, customers and hidden tastes, loaded into a
fresh database through the real importers, with a warm-up history of organic shopping (the demo simulator).

Products are generated up front; the first `products` are in the catalogue at the start, the rest arrive week
after week (`arrive`, through the catalog service's upsert). The ground truth (`purchase_probability`) covers all.
"""

from __future__ import annotations

import dataclasses
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import numpy.typing as npt

from optirec.arrays import Float32Array
from optirec.catalog.schemas import ProductCreate
from optirec.catalog.service import upsert_products
from optirec.customers.importer import import_customers
from optirec.demo import response
from optirec.demo.catalog import arrays_from_products, generate_catalog
from optirec.demo.customers import generate_customers
from optirec.demo.fitting import fit_matrices
from optirec.demo.ground_truth import purchase_probability
from optirec.demo.shop import write_events_csv
from optirec.demo.simulator import simulate
from optirec.demo.tastes import Tastes, utility
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.wearer import Wearer
from optirec.migrate import upgrade
from optirec.signals.importer import import_events
from optirec.store import Database
from optirec.tabular import ImportReport


@dataclass(frozen=True)
class Shape:
    """How big the simulated shop is (the flags of `benchmarks.loop`)."""

    products: int = 400  # in the catalogue at the start
    arrivals: int = 40  # new products every week
    customers: int = 3000
    visits: int = 2000  # shopper visits a day, each shown one home list
    days: int = 28
    warmup_events: int = 30_000  # organic shopping before the first day (what the first model trains on)
    limit: int = 12  # products per list
    week: int = 7  # days between retrainings, and between arrivals of new products


@dataclass(frozen=True)
class World:
    product_ids: list[str]
    customer_ids: list[str]
    products: list[ProductCreate]
    tastes: Tastes
    ok: npt.NDArray[np.bool_]  # passes every hard rule, (customers, products): what the shopper can buy
    # the same rules on what the shop is told (the profile): a wish for prescription sunglasses is a hidden taste,
    # so a sunglass that takes no lenses breaks no filter the shop knows of, though that shopper will not buy it
    told_ok: npt.NDArray[np.bool_]
    probability: Float32Array  # P(bought | shown and examined), the ground truth
    attract: Float32Array
    prices: npt.NDArray[np.float64]
    arrival_day: npt.NDArray[np.int64]  # the day each product enters the catalogue (0: from the start)


def make_world(seed: int, shape: Shape, weeks: int) -> tuple[World, list[bytes]]:
    """The shop (its hidden truth) and the customers' import lines."""
    rng = np.random.default_rng(seed)
    total = shape.products + shape.arrivals * weeks
    catalog = generate_catalog(rng, total)
    products = catalog.products[:total]
    people = generate_customers(rng, shape.customers, catalog.arrays)
    ok, fit = fit_matrices(people.wearers, products, RuleSettings())
    told_ok, _ = fit_matrices([Wearer.from_profile(row) for row in people.rows], products, RuleSettings())
    attract = response.attractiveness(utility(people.tastes, catalog.arrays), fit)[:, :total]
    arrival = np.zeros(total, dtype=np.int64)
    for week in range(weeks):
        arrival[shape.products + week * shape.arrivals : shape.products + (week + 1) * shape.arrivals] = shape.week * (
            week + 1
        )
    world = World(
        product_ids=[p.id for p in products],
        customer_ids=[c.id for c in people.rows],
        products=products,
        tastes=people.tastes,
        ok=ok[:, :total],
        told_ok=told_ok,
        probability=purchase_probability(attract, ok[:, :total]),
        attract=attract,
        prices=np.array([float(p.price) for p in products]),
        arrival_day=arrival,
    )
    lines = [row.model_dump_json(exclude_none=True).encode() + b"\n" for row in people.rows]
    return world, lines


def first_day(shape: Shape) -> datetime:
    """The simulation's first day, at midnight UTC: its last day ends yesterday, so that every simulated signal lies
    in the past, as the signals API wants. The loop stamps its lists and signals with this calendar
    (`loop_run.SimClock`), so that what counts by the data's time (the engagement lift's half-life) sees the
    simulated days."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=shape.days + 1)


def open_shop(
    world: World, customers: list[bytes], shape: Shape, folder: Path, seed: int, url: str, action_types: frozenset[str],
    first: datetime,
) -> Database:  # fmt: skip
    """A fresh database at `url` with the starting catalogue, the customers and the warm-up history (14 days, ending
    the day before `first`, the simulation's first day)."""
    upgrade(url)
    db = Database(url)
    arrive(db, world.products[: shape.products])
    import_customers(db, io.BytesIO(b"".join(customers)))
    n0 = shape.products
    tastes = dataclasses.replace(world.tastes, item_exposure=world.tastes.item_exposure[:n0])
    items = arrays_from_products(world.products[:n0])
    start = int((first - timedelta(days=15)).timestamp())
    events = simulate(
        np.random.default_rng(seed + 1000), tastes, items, world.attract[:, :n0], world.ok[:, :n0],
        days=14, start=start, target_events=shape.warmup_events,
    )  # fmt: skip
    path = folder / "warmup.csv"
    write_events_csv(path, events, world.customer_ids, world.product_ids[:n0])
    with path.open("rb") as stream:
        import_events(db, stream, "csv", action_types=action_types)
    return db


def arrive(db: Database, products: list[ProductCreate]) -> None:
    """New products enter the catalogue through the catalog service."""
    with db.write() as session:
        upsert_products(session=session, rows=products, report=ImportReport())
