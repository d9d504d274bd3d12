"""Time partitions of the served-list log on PostgreSQL: one partition a month (native declarative range
partitioning, migration `0009`), created ahead by the maintenance, and dropped whole once every list in it is past
its retention, instead of deleting its rows one by one (no dead rows for the vacuum, the space given back at once).

A list served outside every monthly partition (the maintenance did not run for months) lands in the default
partition, which the maintenance's deletion by rows reaches as any other. SQLite keeps one table and deletes by rows
(`Database.create_partitions` and `drop_partitions_before` do nothing there).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("optirec.store")
# The partitioned tables and their partition key; a partition is named `<table>_pYYYYMM` (the month it holds).
PARTITIONED = {"served_recommendations": "served_at"}
MONTHS_AHEAD = 2  # partitions ready beyond the current month


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
    created = []
    for table in PARTITIONED:
        existing = set(monthly_partitions(connection, table))
        month = month_start(now)
        for _ in range(MONTHS_AHEAD + 1):
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


def drop_partitions_before(connection: Connection, table: str, cutoff: datetime) -> list[str]:
    """Drop `table`'s monthly partitions whose every row is older than `cutoff`; the names dropped."""
    dropped = []
    for name, month in sorted(monthly_partitions(connection, table).items(), key=lambda item: item[1]):
        if next_month(month) <= cutoff:
            connection.execute(text(f"DROP TABLE {name}"))
            dropped.append(name)
    return dropped
