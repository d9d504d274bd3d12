"""Time partitions of the growing tables on PostgreSQL (native declarative range partitioning): the served-list log
by month (migration `0009`), the signals by quarter (`0013`). They are created ahead by the maintenance, and dropped
whole once every row in one is past its retention (a signal partition after its archive), instead of deleting its
rows one by one (no dead rows for the vacuum, the space given back at once).

The signals' partitions are a quarter long, not a month, because every list reads its shopper's signals and that read
probes each partition's indexes (`make bench-signal-log`: about 15 µs a partition): three times fewer partitions for
the same years of signals, at the price of a retention that drops a quarter at a time.

A row outside every partition (a signal older than the partitions, or the maintenance did not run for months) lands in
the default partition, which the maintenance's deletion by rows reaches as any other. SQLite keeps one table and
deletes by rows (`Database.create_partitions` and `drop_partitions_before` do nothing there).

Dropping or detaching a partition takes a lock on its parent table that waits for the statements reading it and makes
new ones wait behind it: it waits at most `LOCK_TIMEOUT`, and a partition it could not drop is left for the next run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("optirec.store")
# The partitioned tables and the months each partition spans; a partition is named `<table>_pYYYYMM` (the first
# month it holds), and its bounds are UTC months.
PARTITIONED = {"served_recommendations": 1, "signals": 3}
MONTHS_AHEAD = 2  # partitions ready for the rows of this many months beyond the current one
HISTORY_YEARS = 2  # partitions made for an import of history at most this far back; older rows go to the default
LOCK_TIMEOUT = "2s"


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(month: datetime, months: int) -> datetime:
    """The first of the month `months` after `month` (a first of a month)."""
    index = month.year * 12 + month.month - 1 + months
    return month.replace(year=index // 12, month=index % 12 + 1)


def next_month(month: datetime) -> datetime:
    return add_months(month, 1)


def period_start(table: str, moment: datetime) -> datetime:
    """The first month of `table`'s partition that holds `moment` (partitions start in January and every span after)."""
    month = month_start(moment)
    return month.replace(month=(month.month - 1) // PARTITIONED[table] * PARTITIONED[table] + 1)


def period_end(table: str, start: datetime) -> datetime:
    """The end (exclusive) of `table`'s partition that starts at `start`."""
    return add_months(start, PARTITIONED[table])


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def create_partition_sql(table: str, month: datetime) -> str:
    """The statement that creates `table`'s partition starting at `month` unless it exists."""
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(table, month)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{period_end(table, month).isoformat()}')"
    )


def create_partitions(connection: Connection, now: datetime) -> list[str]:
    """Every partitioned table's partitions for the month of `now` to `MONTHS_AHEAD` months after it, where missing;
    the names created. One the default partition already holds rows for cannot be created: it is skipped, said in
    the log, and its rows stay where they are."""
    ahead = add_months(month_start(now), MONTHS_AHEAD)
    return [name for table in PARTITIONED for name in create_month_partitions(connection, table, now, ahead)]


def create_month_partitions(connection: Connection, table: str, first: datetime, last: datetime) -> list[str]:
    """`table`'s partitions for the months from `first` to `last`, where missing, within `HISTORY_YEARS` before this
    month and `MONTHS_AHEAD` after it (a row outside them goes to the default partition); the names created. An import
    of history calls it before its rows arrive, so that they land in their partitions rather than in the default. One
    the default partition already holds rows for cannot be created: it is skipped, said in the log, and its rows stay
    where they are."""
    partitioned = "SELECT relkind = 'p' FROM pg_class WHERE relname = :table AND pg_table_is_visible(oid)"
    if not connection.scalar(text(partitioned), {"table": table}):
        return []  # a database not migrated that far
    this_month = month_start(datetime.now(UTC))
    earliest, latest = add_months(this_month, -12 * HISTORY_YEARS), add_months(this_month, MONTHS_AHEAD)
    start, last = period_start(table, max(first, earliest)), min(last, latest)
    existing = set(monthly_partitions(connection, table)) if start <= last else set()
    created = []
    while start <= last:
        name = partition_name(table, start)
        if name not in existing:
            try:
                with connection.begin_nested():
                    connection.execute(text(create_partition_sql(table, start)))
                created.append(name)
            except DBAPIError as error:  # rows of that period in the default partition already
                log.warning("partition %s not created: %s", name, type(error.orig).__name__)
        start = period_end(table, start)
    return created


def monthly_partitions(connection: Connection, table: str) -> dict[str, datetime]:
    """`table`'s partitions and the first month each holds."""
    names = connection.scalars(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = :table"
        ),
        {"table": table},
    )
    return _first_months(table, names)


def _first_months(table: str, names: Iterable[str]) -> dict[str, datetime]:
    """The names among `names` of `table`'s partitions (`<table>_pYYYYMM`), each with the first month it holds."""
    pattern = re.compile(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})")
    return {name: datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) for name in names if (m := pattern.fullmatch(name))}


def partitions_before(connection: Connection, table: str, cutoff: datetime) -> list[tuple[str, datetime]]:
    """`table`'s partitions whose every row is older than `cutoff`, oldest first, with their first months."""
    months = sorted(monthly_partitions(connection, table).items(), key=lambda item: item[1])
    return [(name, month) for name, month in months if period_end(table, month) <= cutoff]


def drop_partition(connection: Connection, name: str) -> bool:
    """Drop the partition `name` in the connection's transaction, waiting at most `LOCK_TIMEOUT` for its parent's
    readers; False (said in the log) when they held it longer."""
    return _within_lock_timeout(connection, f"DROP TABLE {name}", f"partition {name} not dropped")


def _within_lock_timeout(connection: Connection, statement: str, failure: str) -> bool:
    """Run `statement` in a savepoint of the connection's transaction, waiting at most `LOCK_TIMEOUT` for its locks;
    False, and `failure` in the log, when they were held longer (or it failed otherwise)."""
    try:
        with connection.begin_nested():
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            connection.execute(text(statement))
        return True
    except DBAPIError as error:
        log.warning("%s, left for the next run: %s", failure, type(error.orig).__name__)
        return False


def detached_months(connection: Connection, table: str) -> dict[str, datetime]:
    """Partitions of `table` detached by `detach_partition` and not yet dropped (their archive failed, or the
    process stopped between the two), with their first months."""
    names = connection.scalars(
        text("SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition AND relname LIKE :prefix"),
        {"prefix": f"{table}\\_p%"},
    )
    return _first_months(table, names)


def detach_partition(connection: Connection, table: str, name: str) -> bool:
    """Detach the partition `name` from `table` in the connection's transaction, waiting at most `LOCK_TIMEOUT`;
    False (said in the log) when its readers held it longer. Rows of its months that arrive afterwards go to the
    default partition."""
    return _within_lock_timeout(
        connection, f"ALTER TABLE {table} DETACH PARTITION {name}", f"partition {name} not detached"
    )


def drop_partitions_before(connection: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop `table`'s partitions whose every row is older than `cutoff`; the names dropped."""
    return [name for name, _ in partitions_before(connection, table, cutoff) if drop_partition(connection, name)]
