"""Time partitions of the growing tables on PostgreSQL, the served-list log (migration `0009`) and the signals
(`0013`): one partition a month (native declarative range partitioning), created ahead by the maintenance, and
dropped whole once every row in it is past its retention (a signal partition after its archive), instead of deleting
its rows one by one (no dead rows for the vacuum, the space given back at once).

A row outside every monthly partition (a signal older than the partitions, or the maintenance did not run for months)
lands in the default partition, which the maintenance's deletion by rows reaches as any other. SQLite keeps one table
and deletes by rows (`Database.create_partitions` and `drop_partitions_before` do nothing there).

Dropping a partition takes a lock on its parent table that waits for the statements reading it and makes new ones
wait behind it: it waits at most `LOCK_TIMEOUT`, and a partition it could not drop is left for the next run.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("optirec.store")
# The partitioned tables and their partition key; a partition is named `<table>_pYYYYMM` (the month it holds).
PARTITIONED = {"served_recommendations": "served_at", "signals": "occurred_at"}
MONTHS_AHEAD = 2  # partitions ready beyond the current month
HISTORY_YEARS = 2  # partitions made for an import of history at most this far back; older rows go to the default
LOCK_TIMEOUT = "2s"


def month_start(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month(month: datetime) -> datetime:
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y%m}"


def create_partition_sql(table: str, month: datetime) -> str:
    """The statement that creates `table`'s partition of `month` unless it exists (the bounds are UTC months)."""
    return (
        f"CREATE TABLE IF NOT EXISTS {partition_name(table, month)} PARTITION OF {table} "
        f"FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')"
    )


def create_partitions(connection: Connection, now: datetime) -> list[str]:
    """Every partitioned table's partitions from the month of `now` to `MONTHS_AHEAD` months after it, where missing;
    the names created. One the default partition already holds rows for cannot be created: it is skipped, said in
    the log, and its rows stay where they are."""
    return [name for table in PARTITIONED for name in create_month_partitions(connection, table, now, now)]


def create_month_partitions(connection: Connection, table: str, first: datetime, last: datetime) -> list[str]:
    """`table`'s partitions of the months from `first` to `last`, where missing, within `HISTORY_YEARS` before this
    month and `MONTHS_AHEAD` after it (a row outside them goes to the default partition); the names created. An import
    of history calls it before its rows arrive, so that they land in their months rather than in the default."""
    partitioned = "SELECT relkind = 'p' FROM pg_class WHERE relname = :table AND pg_table_is_visible(oid)"
    if not connection.scalar(text(partitioned), {"table": table}):
        return []  # a database not migrated that far
    this_month = month_start(datetime.now(UTC))
    earliest = this_month.replace(year=this_month.year - HISTORY_YEARS)
    latest = this_month
    for _ in range(MONTHS_AHEAD):
        latest = next_month(latest)
    month, last = max(month_start(first), earliest), min(month_start(last), latest)
    existing = set(monthly_partitions(connection, table)) if month <= last else set()
    created = []
    while month <= last:
        name = partition_name(table, month)
        if name not in existing:
            try:
                with connection.begin_nested():
                    connection.execute(text(create_partition_sql(table, month)))
                created.append(name)
            except DBAPIError as error:  # rows of that month in the default partition already
                log.warning("partition %s not created: %s", name, type(error.orig).__name__)
        month = next_month(month)
    return created


def monthly_partitions(connection: Connection, table: str) -> dict[str, datetime]:
    """`table`'s monthly partitions and the month each holds."""
    names = connection.scalars(
        text(
            "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
            "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = :table"
        ),
        {"table": table},
    )
    pattern = re.compile(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})")
    months = {}
    for name in names:
        found = pattern.fullmatch(name)
        if found:
            months[name] = datetime(int(found[1]), int(found[2]), 1, tzinfo=UTC)
    return months


def partitions_before(connection: Connection, table: str, cutoff: datetime) -> list[tuple[str, datetime]]:
    """`table`'s monthly partitions whose every row is older than `cutoff`, oldest first, with their months."""
    months = sorted(monthly_partitions(connection, table).items(), key=lambda item: item[1])
    return [(name, month) for name, month in months if next_month(month) <= cutoff]


def drop_partition(connection: Connection, name: str) -> bool:
    """Drop the partition `name` in the connection's transaction, waiting at most `LOCK_TIMEOUT` for its parent's
    readers; False (said in the log) when they held it longer."""
    try:
        with connection.begin_nested():
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            connection.execute(text(f"DROP TABLE {name}"))
        return True
    except DBAPIError as error:
        log.warning("partition %s not dropped, left for the next run: %s", name, type(error.orig).__name__)
        return False


def detached_months(connection: Connection, table: str) -> dict[str, datetime]:
    """Monthly partitions of `table` detached by `detach_partition` and not yet dropped (their archive failed, or the
    process stopped between the two), with their months."""
    names = connection.scalars(
        text("SELECT relname FROM pg_class WHERE relkind = 'r' AND NOT relispartition AND relname LIKE :prefix"),
        {"prefix": f"{table}\\_p%"},
    )
    pattern = re.compile(rf"{re.escape(table)}_p(\d{{4}})(\d{{2}})")
    return {name: datetime(int(m[1]), int(m[2]), 1, tzinfo=UTC) for name in names if (m := pattern.fullmatch(name))}


def detach_partition(connection: Connection, table: str, name: str) -> bool:
    """Detach the partition `name` from `table` in the connection's transaction, waiting at most `LOCK_TIMEOUT`;
    False (said in the log) when its readers held it longer. Rows of its month that arrive afterwards go to the
    default partition."""
    try:
        with connection.begin_nested():
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
            connection.execute(text(f"ALTER TABLE {table} DETACH PARTITION {name}"))
        return True
    except DBAPIError as error:
        log.warning("partition %s not detached, left for the next run: %s", name, type(error.orig).__name__)
        return False


def drop_partitions_before(connection: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop `table`'s monthly partitions whose every row is older than `cutoff`; the names dropped."""
    return [name for name, _ in partitions_before(connection, table, cutoff) if drop_partition(connection, name)]
