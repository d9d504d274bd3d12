"""`make bench-served-log`: the served-list log's insert on PostgreSQL, one table (revision 0008) against the table
partitioned by month (revision 0009), in the same run, alternating rounds; and `optirec maintain`'s retention on
it: deleting a month of lists by rows against dropping its partition.

Each round inserts `--lists` lists in groups of 32 (the group commit of `recommend.servedlog`) through
`Database.append_served_lists`, the path every list takes; it prints the median microseconds per list.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

from benchmarks.server import bench_database
from optirec.migrate import downgrade
from optirec.store import Database
from optirec.training.maintain import delete_served_before

GROUP = 32


def _rows(count: int, start: datetime) -> list[dict[str, object]]:
    return [{"id": uuid.uuid4().hex, "customer_id": f"c-{k % 5000}", "session_id": None, "surface": "home",
             "model_version": "v1", "items": [{"product_id": f"FR-{k % 997}", "rank": r} for r in range(1, 11)],
             "context": None, "served_at": start + timedelta(seconds=k)} for k in range(count)]  # fmt: skip


def _insert_us(db: Database, rows: list[dict[str, object]]) -> float:
    started = time.perf_counter()
    for k in range(0, len(rows), GROUP):
        db.append_served_lists(rows[k : k + GROUP])
    return (time.perf_counter() - started) / len(rows) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lists", type=int, default=20_000, help="lists inserted per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with bench_database("postgres") as partitioned_url, bench_database("postgres") as plain_url:
        downgrade(plain_url, "0008")
        plain, partitioned = Database(plain_url, pool_size=2), Database(partitioned_url, pool_size=2)
        now = datetime.now(UTC)
        partitioned.create_partitions(now - timedelta(days=62))  # last months' partitions, as maintenance made them
        times: dict[str, list[float]] = {"one table (0008)": [], "partitioned (0009)": []}
        for round_ in range(args.rounds):
            start = now - timedelta(days=40) + timedelta(hours=round_)
            for name, db in (("one table (0008)", plain), ("partitioned (0009)", partitioned)):
                times[name].append(_insert_us(db, _rows(args.lists, start)))
        for name, values in times.items():
            print(f"insert, {name}: median {statistics.median(values):.1f} µs a list "
                  f"(rounds {', '.join(f'{v:.1f}' for v in values)})")  # fmt: skip
        cutoff = now - timedelta(days=30)
        started = time.perf_counter()
        deleted = delete_served_before(plain, cutoff)
        print(f"retention, one table: {deleted:,} lists deleted by rows in {time.perf_counter() - started:.2f} s")
        started = time.perf_counter()
        dropped = partitioned.drop_partitions_before("served_recommendations", cutoff)
        print(f"retention, partitioned: {', '.join(dropped)} dropped in {time.perf_counter() - started:.2f} s")
        plain.dispose()
        partitioned.dispose()


if __name__ == "__main__":
    main()
