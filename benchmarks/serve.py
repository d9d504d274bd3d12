"""`make bench-serve`: /personalized under load on the demo shop and a large shop, on SQLite and PostgreSQL.

For each backend and shop it prints p50, p99 and requests/s of `/api/recommendations/personalized` at a fixed rate
(200/s on the demo shop, 100/s on the large one; first as soon as the server is ready, as shoppers meet it after a
restart, then warmed up) and at saturation, `/healthz` at saturation on the same server in
the same run (before and after the lists; the better of the two), the server's CPU time per request at saturation
for both, the resident memory of each worker, and how steady the machine was (`benchmarks.steadiness`): a machine
that stalls every process now and then puts its stalls in the p99.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import orjson
from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console
from rich.table import Table

from benchmarks.http import LoadResult, build_request, open_loop, run_load
from benchmarks.ingest import parse_wrk
from benchmarks.seed import load_demo_shop, load_large_shop
from benchmarks.server import Server, bench_database, running_server, server_env
from benchmarks.steadiness import Steadiness, probe
from optirec.auth import service as auth_service
from optirec.settings import BUILTIN_ACTION_TYPES
from optirec.store import Database

console = Console(width=160)
PATH = "/api/recommendations/personalized"


@dataclass
class Changed:
    """The lists at the fixed rate beside a product changed every `WRITE_EVERY` seconds (`_CatalogChanges`)."""

    lists: LoadResult
    writes_ms: list[float]  # the changes' own latencies


@dataclass
class Loads:
    """What `measure` ran on one server."""

    first: LoadResult  # the fixed rate in the first seconds after /readyz, before anything else
    fixed: LoadResult
    saturation: LoadResult
    once: LoadResult  # at saturation, each list for a shopper not asked for before in the run
    healthz: LoadResult
    # the fixed rate while the shop changes a product every `WRITE_EVERY` seconds, by what it changes (`CHANGES`)
    changed: dict[str, Changed]


@dataclass
class Row:
    backend: str
    shop: str
    model: str
    fixed_rate: float
    loads: Loads
    worker_mb: list[float]
    steadiness: Steadiness  # of the machine, measured with the server up and idle


def _service_key(url: str) -> str:
    db = Database(url, pool_size=1)
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="bench", role="service")
    db.dispose()
    return secret


def _customer_ids(url: str, limit: int = 40_000) -> list[str]:
    """A random sample of the shop's customers (so that per-shopper caches are not all warm)."""
    from sqlalchemy import func, select

    from optirec.store.tables import Customer

    db = Database(url, pool_size=1)
    query = select(Customer.id).where(Customer.role == "customer").order_by(func.random()).limit(limit)
    with db.read() as session:
        ids = list(session.scalars(query))
    db.dispose()
    return ids


def _bodies(customers: list[str], count: int = 5000) -> list[bytes]:
    rng = random.Random(5)
    return [orjson.dumps({"customer_id": rng.choice(customers), "limit": 12}) for _ in range(count)]


WRITE_EVERY = 2.0  # seconds between two changes of a product beside the lists (`_CatalogChanges`)
# What a live shop changes all day, each in a run of its own: a product's stock (0 and 5 in turn), its price (one cent
# up and back); `snapshot.available` patches either into the catalog the lists read without reading it whole.
CHANGES = ("stock", "price")


def _product_id(url: str) -> str:
    from sqlalchemy import select

    from optirec.store.tables import Product

    db = Database(url, pool_size=1)
    with db.read() as session:
        found = session.scalars(select(Product.id).where(Product.active).order_by(Product.id).limit(1)).first()
    db.dispose()
    if found is None:
        raise SystemExit("the shop has no active product")
    return found


class _CatalogChanges:
    """A product's stock or price (`what`) changed every `WRITE_EVERY` seconds through the shop's API (`PATCH
    /api/catalog/products/{id}`), in a thread, while the lists run: the catalog writes of a live shop, which each
    worker reads (the one that took the write at once, the others within their 5-second check). The value is put
    back as it was at the end."""

    def __init__(self, server: Server, key: str, product: str, what: str) -> None:
        self.url = f"{server.base}/api/catalog/products/{product}"
        self.headers = {"X-API-Key": key, "Content-Type": "application/json"}
        self.what = what
        self.latencies_ms: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"bench-{what}-changes", daemon=True)

    def _send(self, body: dict[str, object] | None) -> bytes:
        data = None if body is None else orjson.dumps(body)
        request = urllib.request.Request(self.url, data=data, method="GET" if body is None else "PATCH",
                                         headers=self.headers)  # fmt: skip
        with urllib.request.urlopen(request, timeout=60) as answer:
            return bytes(answer.read())

    def _run(self) -> None:
        original = orjson.loads(self._send(None))[self.what]
        values = (0, 5) if self.what == "stock" else (f"{float(original) + 0.01:.2f}", original)
        turn = 0
        while not self._stop.wait(WRITE_EVERY):
            started = time.perf_counter()
            self._send({self.what: values[turn % 2]})
            self.latencies_ms.append((time.perf_counter() - started) * 1000)
            turn += 1
        self._send({self.what: original})

    def __enter__(self) -> _CatalogChanges:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=120)


def _lua(key: str, bodies: list[bytes], request: str) -> str:
    lua_bodies = ", ".join("[[" + b.decode() + "]]" for b in bodies)
    return f'KEY = "{key}"\nBODIES = {{{lua_bodies}}}\n' + request


def _server_pids(server: Server) -> list[int]:
    """The server's processes: the supervisor and its children (the workers and the multiprocessing helper)."""
    pids = [server.process.pid]
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    return pids


def _worker_memory_mb(server: Server) -> list[float]:
    """Resident memory of every process of the server (the supervisor and its workers)."""
    out = []
    for pid in _server_pids(server):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
        out.append(kb / 1024)
    return out


def _cpu_seconds(pids: list[int]) -> float:
    """CPU time (user and system) the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


WRK_PERSONALIZED = """
math.randomseed(7)
function request()
  local body = BODIES[math.random(#BODIES)]
  return wrk.format("POST", "/api/recommendations/personalized",
    {["Content-Type"] = "application/json", ["X-API-Key"] = KEY}, body)
end
"""
# Each body once, in order (one wrk thread: one counter)
WRK_ONCE = """
local sent = 0
function request()
  sent = sent % #BODIES + 1
  return wrk.format("POST", "/api/recommendations/personalized",
    {["Content-Type"] = "application/json", ["X-API-Key"] = KEY}, BODIES[sent])
end
"""


def _wrk(server: Server, seconds: int, connections: int, script: str | None = None) -> LoadResult:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    path = "/healthz"
    if script is not None:
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
            handle.write(script)
        command += ["-s", handle.name]
        path = "/"
    pids = _server_pids(server)
    before = _cpu_seconds(pids)
    output = subprocess.run([*command, server.base + path], capture_output=True, text=True, check=True).stdout
    result = parse_wrk(output, seconds)
    result.server_cpu_s = _cpu_seconds(pids) - before
    return result


def measure(
    server: Server, key: str, customers: list[str], product: str, rate: float, args: argparse.Namespace
) -> Loads:
    # The bench's shoppers: 5,000 requests drawn from half the sample, so that some ask again (as a shopper who
    # reloads a page), each with nothing new; the other half, each asked for once (`once`), is what first visits cost.
    shared = len(customers) // 2
    bodies = _bodies(customers[:shared])
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    make = lambda i: build_request("POST", PATH, bodies[i % len(bodies)], headers)  # noqa: E731
    # The first lists, as soon as every worker says it is ready: what a shop's shoppers meet after a restart (a
    # worker still building something beside them, or compiling a kernel in a request, shows here).
    first = run_load(open_loop("127.0.0.1", server.port, make, rate=rate, seconds=args.seconds))
    # /healthz before and after the lists; the better of the two is the reference (this machine's throughput
    # varies by half from one 10-second window to the next, and the ratio should not flatter the lists).
    healthz_before = _wrk(server, int(args.seconds), args.connections)
    run_load(open_loop("127.0.0.1", server.port, make, rate=50, seconds=3))  # warm caches
    before = _counts(server)
    fixed = run_load(open_loop("127.0.0.1", server.port, make, rate=rate, seconds=args.seconds))
    fixed.reused, fixed.repeated = _reused(before, before := _counts(server))
    saturation = _wrk(server, int(args.seconds), args.connections, _lua(key, bodies, WRK_PERSONALIZED))
    saturation.reused, saturation.repeated = _reused(before, before := _counts(server))
    once_bodies = [orjson.dumps({"customer_id": customer, "limit": 12}) for customer in customers[shared:]]
    # no longer than the shoppers last at the saturation's rate (a small shop's: the demo's 2,500 in about a second);
    # past them the run asks again, and says so in its share of lists repeated
    once_seconds = max(1, min(int(args.seconds), int(len(once_bodies) / max(saturation.rate, 1.0))))
    once = _wrk(server, once_seconds, args.connections, _lua(key, once_bodies, WRK_ONCE))
    once.reused, once.repeated = _reused(before, before := _counts(server))
    healthz_after = _wrk(server, int(args.seconds), args.connections)
    healthz = max(healthz_before, healthz_after, key=lambda r: r.rate)
    changed = {}
    for what in CHANGES:  # the fixed rate again, beside a live shop's writes
        with _CatalogChanges(server, key, product, what) as changes:
            written = run_load(open_loop("127.0.0.1", server.port, make, rate=rate, seconds=args.seconds))
        written.reused, written.repeated = _reused(before, before := _counts(server))
        changed[what] = Changed(written, changes.latencies_ms)
    return Loads(first, fixed, saturation, once, healthz, changed)


def _counts(server: Server) -> dict[str, float]:
    """The server's count of personal lists by how their shopper vector was had (`optirec_user_vectors_total`) and
    of lists by whether they were made or repeated (`optirec_list_answers_total`), every worker's, from /metrics."""
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    names = {"optirec_user_vectors_total": "vector", "optirec_list_answers_total": "list"}
    return {
        f"{names[sample.name]} {sample.labels['result']}": sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name in names
    }


def _reused(before: dict[str, float], after: dict[str, float]) -> tuple[float | None, float | None]:
    """Between two counts: the share of the personal lists made that reused a shopper vector, and the share of the
    lists repeated from one made lately (`recommend.memo`): the bench's shoppers recur (5,000 request bodies), so some
    ask again with the same signals."""

    def share(kind: str, hit: str, miss: str) -> float | None:
        hits = after.get(f"{kind} {hit}", 0.0) - before.get(f"{kind} {hit}", 0.0)
        total = hits + after.get(f"{kind} {miss}", 0.0) - before.get(f"{kind} {miss}", 0.0)
        return hits / total if total else None

    return share("vector", "reused", "encoded"), share("list", "repeated", "made")


def _train(url: str, data_dir: Path, args: argparse.Namespace) -> str:
    """Train and promote a model on the shop, as `optirec train` would; returns its version."""
    env = server_env(
        url,
        data_dir,
        OPTIREC_TRAINING_MAX_SECONDS=str(args.train_seconds),
        OPTIREC_TRAINING_MAX_SIGNALS=str(args.train_signals),
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "optirec.runtime.cli", "train", "--force"], env=env, check=True, capture_output=True
    )
    console.print(f"  model trained in {time.perf_counter() - started:.0f} s")
    db = Database(url, pool_size=1)
    from optirec.training.registry import live_version

    with db.read() as session:
        row = live_version(session=session)
        version = row.id if row else "popularity"
    db.dispose()
    return version


def _live_version(url: str) -> str:
    from optirec.training.registry import live_version

    db = Database(url, pool_size=1)
    with db.read() as session:
        row = live_version(session=session)
    db.dispose()
    return row.id if row else "popularity"


def serve_and_measure(url: str, data: Path, backend: str, shop: str, version: str, args: argparse.Namespace) -> Row:
    key = _service_key(url)
    customers = _customer_ids(url)
    rate = args.demo_rate if shop == "demo" else args.large_rate
    extra = {"OPTIREC_MODEL_POLL_SECONDS": "2"}
    if args.approximate_from is not None:
        extra["OPTIREC_APPROXIMATE_FROM_PRODUCTS"] = str(args.approximate_from)
    env = server_env(url, data, **extra)
    with running_server(env, workers=args.workers) as server:
        loads = measure(server, key, customers, _product_id(url), rate, args)
        steadiness = probe(5.0)
        memory = _worker_memory_mb(server)
    return Row(backend, shop, version, rate, loads, memory, steadiness)


def run(backend: str, shop: str, args: argparse.Namespace) -> Row:
    console.print(f"[bold]{backend} / {shop}[/bold]")
    if args.database_url:  # a shop loaded (and trained) before: measure only
        with tempfile.TemporaryDirectory() as data:
            return serve_and_measure(args.database_url, Path(data), backend, shop, _live_version(args.database_url),
                                     args)  # fmt: skip
    with bench_database(backend) as url, tempfile.TemporaryDirectory() as data:
        db = Database(url, pool_size=2)
        if shop == "demo":
            load_demo_shop(db, args.demo_dir, events=args.demo_events, action_types=frozenset(BUILTIN_ACTION_TYPES),
                           say=console.print)  # fmt: skip
        else:
            load_large_shop(db, products=args.large_products, customers=args.large_customers,
                            signals=args.large_signals, seed=3, say=console.print)  # fmt: skip
        db.settle_after_bulk_load()
        db.dispose()
        version = _train(url, Path(data), args) if args.train else "popularity"
        return serve_and_measure(url, Path(data), backend, shop, version, args)


def report(rows: list[Row], args: argparse.Namespace) -> None:
    table = Table(title=f"/api/recommendations/personalized ({args.workers} workers, {args.seconds:g} s per load)")
    for column in ("backend", "shop", "model", "load", "requests/s", "p50 ms", "p99 ms", "non-2xx", "memory MB"):
        table.add_column(column)
    for r in rows:
        loads = r.loads
        sat_rate = loads.saturation.rate
        health_rate = loads.healthz.rate
        memory = " / ".join(f"{m:.0f}" for m in r.worker_mb)
        bad_health = loads.healthz.statuses.get(0, 0) + loads.healthz.errors
        lines = [
            (
                f"personalized @ {r.fixed_rate:g}/s, first after ready",
                loads.first,
                loads.first.rate,
                loads.first.requests - loads.first.ok + loads.first.errors,
            ),
            (
                f"personalized @ {r.fixed_rate:g}/s",
                loads.fixed,
                loads.fixed.rate,
                loads.fixed.requests - loads.fixed.ok + loads.fixed.errors,
            ),
            (
                "personalized, saturation",
                loads.saturation,
                sat_rate,
                loads.saturation.statuses.get(0, 0) + loads.saturation.errors,
            ),
            (
                "personalized, saturation, each shopper once",
                loads.once,
                loads.once.rate,
                loads.once.statuses.get(0, 0) + loads.once.errors,
            ),
            *(
                (
                    f"personalized @ {r.fixed_rate:g}/s, a {what} change every {WRITE_EVERY:g} s",
                    c.lists,
                    c.lists.rate,
                    c.lists.requests - c.lists.ok + c.lists.errors,
                )
                for what, c in loads.changed.items()
            ),
            ("/healthz, saturation, best of 2", loads.healthz, health_rate, bad_health),
        ]
        for label, result, rate, bad in lines:
            table.add_row(r.backend, r.shop, r.model, label, f"{rate:,.0f}", f"{result.percentile(50):.1f}",
                          f"{result.percentile(99):.1f}", str(bad), memory)  # fmt: skip
        table.add_row("", "", "", f"  personalized / healthz = {sat_rate / health_rate:.0%} "
                      f"(each shopper once: {loads.once.rate / health_rate:.0%})", "", "", "", "", "")  # fmt: skip
        table.add_row("", "", "", f"  server CPU per request: {_cpu_ms(loads.saturation)} / "
                      f"{_cpu_ms(loads.healthz)} ms "
                      f"(each shopper once: {_cpu_ms(loads.once)})", "", "", "", "", "")  # fmt: skip
        table.add_row("", "", "", f"  lists repeated: {_share(loads.fixed.repeated)} at {r.fixed_rate:g}/s, "
                      f"{_share(loads.saturation.repeated)} at saturation, {_share(loads.once.repeated)} each "
                      "shopper once",
                      "", "", "", "", "")  # fmt: skip
        table.add_row("", "", "", f"  shopper vectors reused (of the lists made): {_share(loads.fixed.reused)} at "
                      f"{r.fixed_rate:g}/s, {_share(loads.saturation.reused)} at saturation",
                      "", "", "", "", "")  # fmt: skip
        for what, c in loads.changed.items():
            if c.writes_ms:
                writes = np.array(c.writes_ms)
                table.add_row("", "", "", f"  the {writes.size} {what} changes: p50 {np.percentile(writes, 50):.1f} "
                              f"ms, max {writes.max():.1f} ms; lists repeated {_share(c.lists.repeated)}",
                              "", "", "", "", "")  # fmt: skip
    console.print(table)
    for r in rows:
        console.print(f"{r.backend} / {r.shop}: {r.steadiness.summary()}")


def _share(value: float | None) -> str:
    return "?" if value is None else f"{value:.0%}"


def _cpu_ms(result: LoadResult) -> str:
    """The server's CPU time per request of a saturation run (all its processes; on one machine with the load
    generator, which takes the rest): what the ratio of two throughputs comes down to."""
    if result.server_cpu_s is None or not result.requests:
        return "?"
    return f"{result.server_cpu_s * 1000 / result.requests:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--shops", default="demo,large")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--demo-rate", type=float, default=200.0)
    parser.add_argument("--large-rate", type=float, default=100.0)
    parser.add_argument(
        "--demo-dir", type=Path, default=Path(os.environ.get("OPTIREC_BENCH_DEMO_DIR", "var/bench/demo"))
    )
    parser.add_argument("--demo-events", type=int, default=1_000_000)
    parser.add_argument("--large-products", type=int, default=50_000)
    parser.add_argument("--large-customers", type=int, default=200_000)
    parser.add_argument("--large-signals", type=int, default=10_000_000)
    parser.add_argument("--train", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--train-seconds", type=float, default=120.0, help="network training budget per shop")
    parser.add_argument("--train-signals", type=int, default=1_000_000, help="newest signals a training reads")
    parser.add_argument(
        "--database-url",
        help="measure a shop already loaded (and trained) in this database instead of loading one; give exactly one "
        "backend and one shop, to label the row",
    )
    parser.add_argument(
        "--approximate-from", type=int,
        help="the server's OPTIREC_APPROXIMATE_FROM_PRODUCTS (default: the setting's own): 1 takes every list's "
        "candidates from the approximate index, 0 scores every product",
    )  # fmt: skip
    args = parser.parse_args()
    if args.database_url and ("," in args.backends or "," in args.shops):
        parser.error("--database-url measures one database: give exactly one --backends and one --shops")
    rows = [run(b, s, args) for b in args.backends.split(",") for s in args.shops.split(",")]
    report(rows, args)


if __name__ == "__main__":
    main()
