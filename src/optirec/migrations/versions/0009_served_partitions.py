"""served_recommendations: partitioned by month on PostgreSQL

The served-list log (one row per list) is the table that grows fastest. On PostgreSQL it becomes a partitioned table
(declarative range partitioning on `served_at`): a partition per UTC month, from the month of its oldest row to two
months ahead, and a default partition for what lies outside them. `optirec maintain` creates the next months'
partitions and drops those past `OPTIREC_SERVED_RETENTION_DAYS` (`store.partitions`). The partition key must be in
the primary key, which becomes (id, served_at). The rows are copied into the new table: on a large log, run it in a
quiet hour. SQLite: nothing changes (it keeps one table, and deletes by rows).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime

from alembic import op
from sqlalchemy import text

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "served_recommendations"
OLD = "served_recommendations_unpartitioned"


def _month(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next(month: datetime) -> datetime:
    return month.replace(year=month.year + 1, month=1) if month.month == 12 else month.replace(month=month.month + 1)


def _rename_old() -> None:
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
    op.execute(f"ALTER INDEX ix_served_model_time RENAME TO ix_{OLD}_model_time")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    _rename_old()
    op.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (served_at)")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY (id, served_at)")
    op.execute(f"CREATE INDEX ix_served_model_time ON {TABLE} (model_version, served_at)")
    op.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    oldest = op.get_bind().scalar(text(f"SELECT min(served_at) FROM {OLD}"))
    now = datetime.now(UTC)
    month = _month(now)
    if oldest is not None:  # monthly partitions for the last two years' rows; older ones go to the default
        month = max(_month(min(oldest, now)), month.replace(year=month.year - 2))
    last = _month(now)
    for _ in range(2):
        last = _next(last)
    while month <= last:
        op.execute(
            f"CREATE TABLE {TABLE}_p{month:%Y%m} PARTITION OF {TABLE} "
            f"FOR VALUES FROM ('{month.isoformat()}') TO ('{_next(month).isoformat()}')"
        )
        month = _next(month)
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    op.execute(f"ALTER INDEX ix_served_model_time RENAME TO ix_{OLD}_model_time")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS)")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY (id)")
    op.execute(f"CREATE INDEX ix_served_model_time ON {TABLE} (model_version, served_at)")
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    op.execute(f"DROP TABLE {OLD}")
