"""`make bench-signal-log`: the signals table on PostgreSQL, one table (revision 0012) against the table partitioned
by quarter (revision 0013), in the same run, with the same signals, alternating rounds:

- the read of a shopper that every list makes (`store.shopper`: profile, latest 50 signals, carts and purchases),
  one customer a statement (`Database.read_shopper_now`) and PostgreSQL's batch of 16 customers a statement (the
  statement `store.batched.BatchedReads` runs under load). Partitioned, each read probes every quarter's indexes;
- the insert of signals the API makes (`signals.service.store_rows`, batches of 100, this month's);
- the retention of the oldest quarter: archiving its signals to Parquet and deleting them by rows, against archiving
  its partition and dropping it (`training.maintain`).

The reads are also timed with a window (`--history-days`, `OPTIREC_SHOPPER_HISTORY_DAYS`), which spares them the
partitions before it. The signals span `--months` months up to now: the default, 24, is the two years of
partitions the migration and an import of history make, the most a read probes while the retention keeps them
(fewer with a shorter one).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.seed import load_large_shop
from benchmarks.server import bench_database
from optirec.migrate import downgrade
from optirec.store import Database, postgres_bulk_insert
from optirec.store.partitions import add_months, month_start, period_end, period_start
from optirec.store.postgres import PostgresBackend
from optirec.store.signals import COLUMNS
from optirec.training.maintain import archive_and_delete_signals, archive_and_drop_signal_months

BATCH = 16  # customers a batched read asks for
INSERT_BATCH = 100


def _say(message: str) -> None:
    print(message, flush=True)


def _timed(function: Callable[[], object], repeat: int) -> float:
    """Microseconds a call, over `repeat` calls."""
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) / repeat * 1e6


def _reader(db: Database, customers: list[str]) -> Callable[[], object]:
    picks = iter(customers * 1000)
    return lambda: db.read_shopper_now(customer_id=next(picks), session_id=None)


def _batch_reader(db: Database, customers: list[str]) -> Callable[[], object]:
    backend = db.backend
    statements = backend.shopper_statements
    assert isinstance(backend, PostgresBackend) and statements.batch is not None
    batch, groups = statements.batch, iter([customers[k : k + BATCH] for k in range(0, len(customers), BATCH)] * 1000)
    return lambda: backend.hot.fetch(batch, {"ids": next(groups), "since": statements.since()})


def _inserter(db: Database, key: str) -> Callable[[], object]:
    """The API's insert of `INSERT_BATCH` new signals (`store.postgres.insert_signals`'s statement), with the
    idempotency key of the layout (`key`: its columns)."""
    statement = postgres_bulk_insert("signals", COLUMNS, f"ON CONFLICT ({key}) DO NOTHING RETURNING product_known")
    now = datetime.now(UTC)

    def insert() -> None:
        rows = [{"event_id": uuid.uuid4().hex, "event_scope": f"c:L{k:06d}", "customer_id": f"L{k:06d}",
                 "session_id": None, "product_id": "FR-00001", "product_known": True, "action_type": "view",
                 "occurred_at": now, "received_at": now, "recommendation_id": None, "quantity": 1, "price": None,
                 "context": None} for k in random.sample(range(20_000), INSERT_BATCH)]  # fmt: skip
        with db.write() as session:
            session.execute(statement, {name: [row[name] for row in rows] for name, _ in COLUMNS}).all()

    return insert


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--months", type=int, default=24, help="months of signals, up to now")
    parser.add_argument("--signals", type=int, default=2_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--reads", type=int, default=2000, help="shopper reads a round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--history-days", type=int, default=365, help="the window of the third variant's reads")
    args = parser.parse_args()
    now = datetime.now(UTC)
    first = period_start("signals", add_months(month_start(now), 1 - args.months))  # a whole first partition
    with bench_database("postgres") as partitioned_url, bench_database("postgres") as plain_url:
        downgrade(plain_url, "0012")
        layouts = {"one table (0012)": Database(plain_url, pool_size=2),
                   "partitioned (0013)": Database(partitioned_url, pool_size=2)}  # fmt: skip
        keys = {"one table (0012)": "event_id, event_scope", "partitioned (0013)": "event_id, event_scope, occurred_at"}
        for name, db in layouts.items():
            started = time.perf_counter()
            end = now - timedelta(hours=1)
            load_large_shop(db, products=2000, customers=args.customers, signals=args.signals, seed=7,
                            say=lambda _: None, end=end, span=end - first)  # fmt: skip
            db.settle_after_bulk_load()
            _say(f"{name}: {args.signals:,} signals over {args.months} months loaded in "
                 f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        rng = random.Random(7)
        customers = [f"L{rng.randrange(args.customers):06d}" for _ in range(args.reads * args.rounds)]
        window = f"partitioned (0013), {args.history_days}-day window"
        variants = {**layouts, window: Database(partitioned_url, pool_size=2, shopper_history_days=args.history_days)}
        results: dict[str, dict[str, list[float]]] = {name: {} for name in variants}
        for round_ in range(args.rounds):
            order = list(variants.items()) if round_ % 2 == 0 else list(reversed(variants.items()))
            mine = customers[round_ * args.reads : (round_ + 1) * args.reads]
            for name, db in order:
                calls = [("read one shopper", _reader(db, mine), args.reads),
                         (f"read {BATCH} shoppers", _batch_reader(db, mine), args.reads // BATCH)]  # fmt: skip
                if name in keys:
                    calls.append((f"insert {INSERT_BATCH} signals", _inserter(db, keys[name]), 20))
                for what, call, repeat in calls:
                    results[name].setdefault(what, []).append(_timed(call, repeat))
        for name, measured in results.items():
            for what, values in measured.items():
                _say(f"{what}, {name}: median {statistics.median(values):,.0f} µs "
                     f"(rounds {', '.join(f'{v:,.0f}' for v in values)})")  # fmt: skip
        variants[window].dispose()
        cutoff = period_end("signals", first)
        with tempfile.TemporaryDirectory() as folder:
            plain, partitioned = layouts.values()
            started = time.perf_counter()
            archived, deleted = archive_and_delete_signals(plain, cutoff, Path(folder) / "rows.parquet")
            _say(f"retention, one table: {archived:,} signals archived and {deleted:,} deleted by rows in "
                 f"{time.perf_counter() - started:.2f} s")  # fmt: skip
            started = time.perf_counter()
            months = archive_and_drop_signal_months(partitioned, cutoff, Path(folder))
            names = ", ".join(name for name, _, _ in months)
            _say(f"retention, partitioned: {sum(rows for _, _, rows in months):,} signals archived, {names} "
                 f"dropped in {time.perf_counter() - started:.2f} s")  # fmt: skip
        for db in layouts.values():
            db.dispose()


if __name__ == "__main__":
    main()
