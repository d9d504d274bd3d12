"""Shops for the serving benchmark: the demo shop through the real importers, and a large synthetic shop
(50,000 products, 200,000 customers, 10 million signals) loaded in bulk.

The large shop's signals are a load, not a taste model: customers of Zipf-like activity browse products of
log-normal appeal in sessions, with the funnel of the demo simulator (views, fewer carts, fewer purchases).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert

from optirec.arrays import IntArray
from optirec.catalog import service as catalog_service
from optirec.store import Database, utcnow
from optirec.store.sessions import load_signals
from optirec.store.tables import Customer, CustomerProfile, event_scope
from optirec.tabular import ImportReport, chunked

Say = Callable[[str], None]
START = datetime(2026, 8, 1, tzinfo=UTC)
SPAN = timedelta(days=90)


def load_demo_shop(db: Database, folder: Path, *, events: int, action_types: frozenset[str], say: Say) -> None:
    """Generate (once) and import the demo shop with the same importers `optirec demo` uses."""
    from optirec.catalog.importer import import_products
    from optirec.customers.importer import import_customers
    from optirec.demo.shop import generate_demo_shop
    from optirec.signals.importer import import_events

    if not (folder / "shop.json").exists():
        generate_demo_shop(folder, events=events, progress=False)
    started = time.perf_counter()
    with (folder / "products.jsonl").open("rb") as stream:
        import_products(db, stream, "jsonl")
    with (folder / "customers.jsonl").open("rb") as stream:
        import_customers(db, stream)
    with (folder / "events.csv").open("rb") as stream:
        import_events(db, stream, "csv", action_types=action_types)
    say(f"demo shop loaded in {time.perf_counter() - started:.0f} s")


def load_large_shop(
    db: Database, *, products: int, customers: int, signals: int, seed: int, say: Say, end: datetime | None = None,
    span: timedelta = SPAN,
) -> None:  # fmt: skip
    """The large shop; its signals span the `span` (90 days) up to `end` (default: up to `START` + `span`, a fixed
    past)."""
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    product_ids = _products(db, rng, products)
    say(f"{len(product_ids):,} products in {time.perf_counter() - started:.0f} s")
    _customers(db, rng, customers)
    say(f"{customers:,} customers in {time.perf_counter() - started:.0f} s")
    first = (end - span) if end is not None else START
    _signals(db, rng, product_ids, customers, signals, say, first, span)
    say(f"{signals:,} signals in {time.perf_counter() - started:.0f} s")


def _products(db: Database, rng: np.random.Generator, n: int) -> list[str]:
    from optirec.demo.catalog import generate_catalog

    catalog = generate_catalog(rng, n)
    report = ImportReport()
    for chunk in chunked(catalog.products, 2000):
        with db.write() as session:
            catalog_service.upsert_products(session=session, rows=chunk, report=report)
    return [p.id for p in catalog.products]


def _customers(db: Database, rng: np.random.Generator, n: int) -> None:
    from optirec.demo.prescriptions import prescriptions

    age = rng.integers(8, 85, n)
    rx = prescriptions(rng, age)
    wears = rng.random(n) < 0.65
    pd = np.round(rng.normal(63, 3.5, n).clip(52, 76) * 2) / 2
    face = np.round(rng.normal(138, 6, n).clip(112, 160))
    now = utcnow()
    for start in range(0, n, 10_000):
        rows, profiles = [], []
        for k in range(start, min(n, start + 10_000)):
            rows.append({"id": f"L{k:06d}", "role": "customer", "created_at": now})
            profiles.append(
                {
                    "customer_id": f"L{k:06d}",
                    "prescription": _prescription(rx, k) if wears[k] else None,
                    "pd_mm": float(pd[k]) if k % 3 else None,
                    "face_width_mm": float(face[k]) if k % 2 else None,
                    "birth_year": int(2026 - age[k]),
                    "preferences": {},
                    "consent": {"personalization": True},
                    "updated_at": now,
                }
            )
        with db.write() as session:
            session.execute(insert(Customer), rows)
            session.execute(insert(CustomerProfile), profiles)


def _prescription(rx: dict[str, Any], k: int) -> dict[str, dict[str, float | int | None]]:
    def eye(side: str) -> dict[str, float | int | None]:
        cyl = float(rx[f"{side}_cyl"][k])
        add = float(rx[f"{side}_add"][k])
        return {"sph": float(rx[f"{side}_sph"][k]), "cyl": cyl, "axis": int(rx[f"{side}_axis"][k]) if cyl else None,
                "add": add or None}  # fmt: skip

    return {"right": eye("r"), "left": eye("l")}


def _signals(
    db: Database, rng: np.random.Generator, product_ids: list[str], customers: int, n: int, say: Say, first: datetime,
    span: timedelta = SPAN,
) -> None:  # fmt: skip
    appeal = rng.lognormal(0, 1.2, len(product_ids))
    appeal /= appeal.sum()
    activity = 1.0 / np.arange(1, customers + 1) ** 0.6
    activity /= activity.sum()
    seconds = int(span.total_seconds())
    db.prepare_partitions("signals", first, first + span)  # PostgreSQL: the months' own partitions, as an import makes
    batch = 500_000
    for start in range(0, n, batch):
        size = min(batch, n - start)
        users = rng.choice(customers, size, p=activity)
        items = rng.choice(len(product_ids), size, p=appeal)
        u = rng.random(size)
        actions = np.where(u < 0.9, 0, np.where(u < 0.96, 1, np.where(u < 0.98, 2, 3)))
        times = int(first.timestamp()) + np.sort(rng.integers(0, seconds, size))
        _bulk_signals(db, start, users, items, actions, times, product_ids)
        say(f"  signals {start + size:,}/{n:,}")


ACTIONS = ("view", "add_to_cart", "remove_from_cart", "purchase")


@dataclass(frozen=True)
class _Batch:
    offset: int
    users: IntArray
    items: IntArray
    actions: IntArray
    times: IntArray
    product_ids: list[str]
    received: datetime


def _bulk_signals(
    db: Database, offset: int, users: IntArray, items: IntArray, actions: IntArray, times: IntArray,
    product_ids: list[str],
) -> None:  # fmt: skip
    customers = [f"L{user:06d}" for user in users]
    rows = [
        (f"L-{offset + i}", event_scope(customers[i], None), customers[i], product_ids[items[i]], ACTIONS[actions[i]],
         datetime.fromtimestamp(float(times[i]), UTC))
        for i in range(len(users))
    ]  # fmt: skip
    with db.write() as session:
        load_signals(session, rows, utcnow())
