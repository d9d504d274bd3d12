"""`make bench-ingest`: signal ingestion on SQLite and PostgreSQL, through a real server on loopback.

For each backend it prints single-signal latency (p50, p99) at a fixed 300 requests/s and at saturation, batch
throughput in signals/s (batches of 1,000), and the time of `optirec import-events` on amazon-beauty.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
from rich.console import Console
from rich.table import Table

from benchmarks.http import LoadResult, build_request, closed_loop, open_loop, run_load
from benchmarks.server import Server, bench_database, running_server, server_env
from optirec.auth import service as auth_service
from optirec.catalog import service as catalog_service
from optirec.catalog.schemas import ProductCreate
from optirec.store import Database
from optirec.tabular import ImportReport

console = Console(width=150)
PATH = "/api/recommendations/signals"
CATALOG = 1000


@dataclass
class Figures:
    backend: str
    fixed: LoadResult
    saturation: LoadResult
    batch: LoadResult
    batch_size: int
    import_seconds: float | None

    @property
    def batch_signals_per_second(self) -> float:
        return self.batch.ok * self.batch_size / self.batch.seconds if self.batch.seconds else 0.0


def prepare(url: str) -> str:
    """A service key and a small catalog, so that signals hit known products."""
    db = Database(url, pool_size=1)
    with db.write() as session:
        _key, secret = auth_service.create_api_key(session=session, name="bench", role="service")
        rows = [
            ProductCreate(id=f"P{i:05d}", name=f"Frame {i}", category="eyeglasses", price=100 + i % 50)
            for i in range(CATALOG)
        ]
        catalog_service.upsert_products(session=session, rows=rows, report=ImportReport())
    db.dispose()
    return secret


def signal(run: str, index: int) -> dict[str, object]:
    return {
        "event_id": f"{run}-{index}",
        "customer_id": f"c{index % 5000}",
        "product_id": f"P{index % CATALOG:05d}",
        "action_type": ("view", "view", "view", "add_to_cart", "purchase")[index % 5],
        "occurred_at": "2026-11-01T10:00:00Z",
    }


def single_factory(key: str, run: str):  # type: ignore[no-untyped-def]
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    return lambda i: build_request("POST", PATH, orjson.dumps(signal(run, i)), headers)


def batch_factory(key: str, run: str, size: int):  # type: ignore[no-untyped-def]
    headers = {"X-API-Key": key, "Content-Type": "application/json"}
    return lambda i: build_request(
        "POST", PATH, orjson.dumps([signal(run, i * size + j) for j in range(size)]), headers
    )


WRK_SCRIPT = """
counter = 0
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function request()
  counter = counter + 1
  local actions = {"view", "view", "view", "add_to_cart", "purchase"}
  local body = string.format('{"event_id":"%s-%d-%d","customer_id":"c%d","product_id":"P%05d",'
    .. '"action_type":"%s","occurred_at":"2026-11-01T10:00:00Z"}', RUN, tid, counter, counter % 5000,
    counter % 1000, actions[counter % 5 + 1])
  return wrk.format("POST", "/api/recommendations/signals",
    {["Content-Type"] = "application/json", ["X-API-Key"] = KEY}, body)
end
"""


def wrk_saturation(server: Server, key: str, seconds: int, connections: int) -> LoadResult:
    """Closed-loop saturation with wrk (C, so the load generator takes little of the two cores)."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'RUN = "sat{uuid.uuid4().hex[:8]}"\nKEY = "{key}"\n' + WRK_SCRIPT)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{int(seconds)}s", "--latency", "-s", script.name, server.base]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse_wrk(output, int(seconds))


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def parse_wrk(output: str, seconds: int) -> LoadResult:
    result = LoadResult(seconds=float(seconds))
    total = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result.statuses = {200: total - (int(bad.group(1)) if bad else 0)}
    if bad:
        result.statuses[0] = int(bad.group(1))
    result.errors = sum(int(g) for g in errors.groups()) if errors else 0
    # wrk reports percentiles, not samples (its 50 % row, not a mean of neighbours, is the p50). Each row of the
    # latency distribution starts its line: "75%" alone would also match the end of "89.75%" in the stats above.
    result.reported_requests = total
    for q in (50, 75, 90, 99):
        row = re.search(rf"^\s*{q}%\s+(\S+)", output, re.MULTILINE)
        result.reported_percentiles[q] = _ms(row.group(1))  # type: ignore[union-attr]
    return result


def import_seconds(url: str, events: Path) -> float | None:
    if not events.is_file():
        console.print(f"[yellow]{events} not found: import time skipped[/yellow]")
        return None
    with tempfile.TemporaryDirectory() as data:
        env = server_env(url, Path(data))
        started = time.perf_counter()
        command = [sys.executable, "-m", "optirec.runtime.cli", "import-events", str(events)]
        subprocess.run(command, env=env, check=True, capture_output=True)
        return time.perf_counter() - started


def run_backend(backend: str, args: argparse.Namespace) -> Figures:
    run = uuid.uuid4().hex[:8]
    with bench_database(backend) as url, tempfile.TemporaryDirectory() as data:
        key = prepare(url)
        with running_server(server_env(url, Path(data)), workers=args.workers) as server:
            run_load(open_loop("127.0.0.1", server.port, single_factory(key, "warm" + run), rate=100, seconds=2))
            fixed = run_load(
                open_loop("127.0.0.1", server.port, single_factory(key, run), rate=args.rate, seconds=args.seconds)
            )
            saturation = wrk_saturation(server, key, args.seconds, args.connections)
            batch = run_load(
                closed_loop(
                    "127.0.0.1",
                    server.port,
                    batch_factory(key, "b" + run, args.batch),
                    connections=args.batch_connections,
                    seconds=args.seconds,
                )
            )
        imported = import_seconds(url, args.events)
    return Figures(backend, fixed, saturation, batch, args.batch, imported)


def report(results: list[Figures], args: argparse.Namespace) -> None:
    table = Table(title=f"Signal ingestion ({args.workers} worker(s), {args.seconds:g} s per load)")
    for column in ("backend", "load", "requests/s", "signals/s", "p50 ms", "p99 ms", "non-2xx", "errors"):
        table.add_column(column, justify="right" if column not in ("backend", "load") else "left")
    for f in results:
        sat_rate = f.saturation.rate
        rows = [
            (f"single @ {args.rate:g}/s", f.fixed, f.fixed.rate, f.fixed.rate),
            (f"single, saturation (wrk, {args.connections} conn)", f.saturation, sat_rate, sat_rate),
            (f"batch of {f.batch_size}", f.batch, f.batch.rate, f.batch_signals_per_second),
        ]
        for label, result, rate, signals in rows:
            table.add_row(
                f.backend,
                label,
                f"{rate:,.0f}",
                f"{signals:,.0f}",
                f"{result.percentile(50):.1f}",
                f"{result.percentile(99):.1f}",
                str(
                    result.requests - result.ok
                    if label.startswith("single @") or "batch" in label
                    else sum(n for s, n in result.statuses.items() if s != 200)
                ),
                str(result.errors),
            )
        if f.import_seconds is not None:
            table.add_row(f.backend, f"import-events {args.events.parent.name}", "", "", "", "", "", "")
            table.add_row("", f"  → {f.import_seconds:.1f} s", "", "", "", "", "", "")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rate", type=float, default=300.0, help="fixed rate of single signals, requests/s")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=16, help="wrk connections at saturation")
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--batch-connections", type=int, default=2)
    parser.add_argument("--events", type=Path, default=Path("../shared/datasets/amazon-beauty/events.csv"))
    args = parser.parse_args()
    results = [run_backend(backend, args) for backend in args.backends.split(",")]
    report(results, args)


if __name__ == "__main__":
    main()
