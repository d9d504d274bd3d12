"""`make bench-console`: how fast each page of the operator's console answers on the large shop.

The large shop of `make bench-serve` (50,000 products, 200,000 customers, 10 million signals over the 90 days up to
now), with a month of console traffic on top: lists served over the last 30 days and the views, carts and purchases
that followed some of them. A real `optirec serve` (one worker) answers the admin API calls each page makes, in turn
(an admin API key in `X-API-Key`): each call once cold (the first since the server started), then `--repeat` times.
A page that makes several calls at once (the overview) is timed as the slowest of them, as the browser waits.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, insert, select

from benchmarks.seed import load_large_shop
from benchmarks.server import bench_database, running_server, server_env
from optirec.auth import service as auth_service
from optirec.store import Database, utcnow
from optirec.store.tables import Customer, Product, ServedRecommendation, Signal, event_scope

console = Console(width=160)
TARGET_MS = 500.0


@dataclass(frozen=True)
class Page:
    name: str
    calls: tuple[str, ...]  # the admin API paths (and chart images) the page asks for at once


def pages(customer: str, product: str) -> list[Page]:
    return [
        Page(
            "overview",
            (
                "/api/admin/overview",
                "/api/admin/metrics?days=30",
                "/api/admin/workers",
                "/admin/charts/signals-per-hour.svg",
                "/admin/charts/daily/click_through.svg",
                "/admin/charts/daily/revenue.svg",
            ),
        ),
        Page("models", ("/api/admin/models", "/api/admin/models/training")),
        Page("customers: search by id", (f"/api/admin/customers?q={customer}",)),
        Page("customers: search by e-mail", ("/api/admin/customers?q=nobody%40example",)),
        Page("customer", (f"/api/admin/customers/{customer}", f"/api/admin/customers/{customer}/list?limit=12")),
        Page("products: search", ("/api/admin/products?q=round",)),
        Page(
            "product",
            (
                f"/api/admin/products/{product}",
                f"/api/admin/products/{product}/similar",
                f"/api/admin/products/{product}/goes-with",
            ),
        ),
        Page("coverage", ("/api/admin/coverage",)),
        Page("intake", ("/api/admin/intake",)),
        Page("keys", ("/api/admin/keys",)),
        Page("audit", ("/api/admin/audit?limit=50",)),
    ]


def load_traffic(db: Database, *, lists: int, seed: int, say: Console) -> None:
    """Lists served over the last 30 days, and the views (a fifth of the lists), carts and purchases that followed."""
    rng = np.random.default_rng(seed)
    with db.read() as session:
        products = list(session.scalars(select(Product.id).order_by(Product.id).limit(5000)))
        customers = int(session.scalar(select(func.count()).select_from(Customer)) or 0)
    now = utcnow()
    versions = ("popularity", "bench-v1", "bench-v2")
    for start in range(0, lists, 20_000):
        served, signals = [], []
        for k in range(start, min(lists, start + 20_000)):
            customer = f"L{int(rng.integers(customers)):06d}"
            at = now - timedelta(seconds=float(rng.uniform(0, 30 * 86400)))
            shown = [products[int(i)] for i in rng.choice(len(products), 12, replace=False)]
            items = [{"product_id": p, "rank": r + 1, "score": 1.0} for r, p in enumerate(shown)]
            row = {"id": f"R{k:08d}", "customer_id": customer, "session_id": None, "surface": "home",
                   "model_version": versions[k % 3], "served_at": at, "context": None, "items": items}  # fmt: skip
            served.append(row)
            for action, share in (("view", 0.2), ("add_to_cart", 0.03), ("purchase", 0.01)):
                if rng.random() < share:
                    signals.append({"event_id": f"R{k}-{action}", "event_scope": event_scope(customer, None),
                                    "customer_id": customer, "product_id": shown[0], "product_known": True,
                                    "action_type": action, "occurred_at": at + timedelta(minutes=2), "received_at": at,
                                    "recommendation_id": f"R{k:08d}", "quantity": 1,
                                    "price": 120 if action == "purchase" else None})  # fmt: skip
        with db.write() as session:
            session.execute(insert(ServedRecommendation), served)
            if signals:
                session.execute(insert(Signal), signals)
    say.print(f"{lists:,} lists served over 30 days, with their signals")


def _get(base: str, path: str, key: str) -> float:
    request = urllib.request.Request(base + path, headers={"X-API-Key": key})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"{path}: {response.status}")
    return (time.perf_counter() - started) * 1000


def measure(url: str, data: Path, repeat: int, cache_seconds: float) -> list[tuple[str, float, float, float]]:
    db = Database(url, pool_size=1)
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="bench-console", role="admin")
    with db.read() as session:
        customer = session.scalar(select(Customer.id).where(Customer.role == "customer").order_by(Customer.id))
        product = session.scalar(
            select(Signal.product_id).group_by(Signal.product_id).order_by(func.count().desc()).limit(1)
        )  # the best seller: the most signals to count
    db.dispose()
    rows = []
    env = server_env(url, data, OPTIREC_CONSOLE_CACHE_SECONDS=str(cache_seconds))
    with running_server(env, workers=1) as server:
        time.sleep(30 if cache_seconds > 0 else 0)  # the start-up's own counts (`overview.cache`) are made
        for page in pages(str(customer), str(product)):
            try:
                cold = max(_get(server.base, path, secret) for path in page.calls)
                warm = [max(_get(server.base, path, secret) for path in page.calls) for _ in range(repeat)]
            except (urllib.error.URLError, RuntimeError) as error:
                console.print(f"[red]{page.name}: {error}[/red]")
                continue
            rows.append((page.name, cold, statistics.median(warm), max(warm)))
            console.print(f"{page.name}: cold {cold:,.0f} ms, median {statistics.median(warm):,.0f} ms")
    return rows


def report(rows: list[tuple[str, float, float, float]], title: str) -> None:
    table = Table(title=title)
    for column in ("page", "cold ms", "median ms", "max ms", f"within {TARGET_MS:.0f} ms"):
        table.add_column(column)
    for name, cold, median, worst in rows:
        verdict = "yes" if worst <= TARGET_MS else ("after the first" if median <= TARGET_MS else "no")
        table.add_row(name, f"{cold:,.0f}", f"{median:,.0f}", f"{worst:,.0f}", verdict)
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite", choices=("sqlite", "postgres"))
    parser.add_argument("--database-url", help="measure the shop in this database (loaded before, or with --load)")
    parser.add_argument("--load", action="store_true", help="load the large shop into --database-url first")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache-seconds", type=float, default=60.0, help="OPTIREC_CONSOLE_CACHE_SECONDS (0: none)")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--customers", type=int, default=200_000)
    parser.add_argument("--signals", type=int, default=10_000_000)
    parser.add_argument("--lists", type=int, default=300_000)
    args = parser.parse_args()
    title = f"console pages on {args.products:,} products, {args.customers:,} customers, {args.signals:,} signals"
    with tempfile.TemporaryDirectory() as data:
        if args.database_url:
            if args.load:
                from optirec.migrate import upgrade

                upgrade(args.database_url)
                load(args.database_url, args)
            report(
                measure(args.database_url, Path(data), args.repeat, args.cache_seconds),
                f"{title} ({args.database_url})",
            )
            return
        with bench_database(args.backend) as url:
            load(url, args)
            report(measure(url, Path(data), args.repeat, args.cache_seconds), f"{title} ({args.backend})")


def load(url: str, args: argparse.Namespace) -> None:
    db = Database(url, pool_size=2)
    load_large_shop(db, products=args.products, customers=args.customers, signals=args.signals, seed=3,
                    say=console.print, end=utcnow())  # fmt: skip
    load_traffic(db, lists=args.lists, seed=4, say=console)
    db.settle_after_bulk_load()
    db.dispose()


if __name__ == "__main__":
    main()
