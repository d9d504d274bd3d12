"""signals: partitioned by quarter on PostgreSQL; an event is its id, its shopper and its time

The signals table grows with every view. On PostgreSQL it becomes a partitioned table (declarative range
partitioning on `occurred_at`): a partition per UTC quarter (`store.partitions`: fewer partitions for the read every
list makes of its shopper), from the quarter of its oldest row (two years back at most) to two months ahead, and a
default partition for what lies outside them. `optirec maintain` creates the next quarters' partitions, and archives
to Parquet and then drops those past `OPTIREC_SIGNAL_RETENTION_DAYS`.

A unique key on a partitioned table must hold the partition key, so the idempotency key becomes (event id, shopper,
time) on both engines: a retry (the same event sent again, with its time) is still acknowledged and not stored twice;
an event id sent again with another time is a new signal. The primary key becomes (id, occurred_at) on PostgreSQL.
Rows are copied into the new table and its indexes built after them: on a large table, run it in a quiet hour.
SQLite keeps one table; its unique key is rebuilt with the time.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from alembic import op
from sqlalchemy import text

from optirec.store.partitions import MONTHS_AHEAD, create_month_partitions

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "signals"
OLD = "signals_unpartitioned"
OLD_KEY, NEW_KEY = "uq_signals_event_id_scope", "uq_signals_event_time"
INTENT = "action_type IN ('add_to_cart', 'purchase')"
# The table's indexes as revisions 0001-0011 left them (name: columns and condition).
INDEXES = {
    "ix_signals_customer_latest": "(customer_id, occurred_at, id, product_id, action_type)",
    "ix_signals_session_latest": "(session_id, occurred_at, id, product_id, action_type) WHERE session_id IS NOT NULL",
    "ix_signals_recommendation": "(recommendation_id) WHERE recommendation_id IS NOT NULL",
    "ix_signals_customer_intent": f"(customer_id, action_type, product_id) WHERE {INTENT}",
    "ix_signals_product": "(product_id, action_type, recommendation_id)",
}


def _rename_old() -> None:
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
    for name in INDEXES:
        op.execute(f"ALTER INDEX {name} RENAME TO {name.replace(TABLE, OLD, 1)}")


def _build_keys_and_indexes(*, partitioned: bool) -> None:
    """The primary key, the idempotency key and the indexes, built after the rows are in (faster than row by row)."""
    key = "(id, occurred_at)" if partitioned else "(id)"
    unique = f"{NEW_KEY} UNIQUE (event_id, event_scope, occurred_at)"
    if not partitioned:
        unique = f"{OLD_KEY} UNIQUE (event_id, event_scope)"
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY {key}")
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {unique}")
    for name, definition in INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {TABLE} {definition}")


def _move_rows(rows: str) -> None:
    """The old table's `rows` into the new one, and the id sequence with them (it would go with the old table)."""
    op.execute(f"INSERT INTO {TABLE} {rows}")
    op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    op.execute(f"DROP TABLE {OLD}")


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        with op.batch_alter_table(TABLE) as batch:  # SQLite cannot change a constraint in place: the table is rebuilt
            batch.drop_constraint(OLD_KEY, type_="unique")
            batch.create_unique_constraint(NEW_KEY, ["event_id", "event_scope", "occurred_at"])
        return
    _rename_old()
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {OLD_KEY} TO {OLD_KEY}_old")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS) PARTITION BY RANGE (occurred_at)")
    op.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
    now = datetime.now(UTC)
    oldest = op.get_bind().scalar(text(f"SELECT min(occurred_at) FROM {OLD} WHERE occurred_at >= '2000-01-01'"))
    # partitions from the oldest signal's quarter (two years back at most: older ones go to the default)
    create_month_partitions(op.get_bind(), TABLE, min(oldest or now, now), now + timedelta(days=31 * MONTHS_AHEAD))
    _move_rows(f"SELECT * FROM {OLD}")
    _build_keys_and_indexes(partitioned=True)


def downgrade() -> None:
    # Signals that share an event id and shopper at different times give way to the first, as before.
    if op.get_bind().dialect.name != "postgresql":
        op.execute(f"DELETE FROM {TABLE} WHERE id NOT IN (SELECT MIN(id) FROM {TABLE} GROUP BY event_id, event_scope)")
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_constraint(NEW_KEY, type_="unique")
            batch.create_unique_constraint(OLD_KEY, ["event_id", "event_scope"])
        return
    _rename_old()
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {NEW_KEY} TO {NEW_KEY}_old")
    op.execute(f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS)")
    _move_rows(f"SELECT * FROM {OLD} WHERE id IN (SELECT MIN(id) FROM {OLD} GROUP BY event_id, event_scope)")
    _build_keys_and_indexes(partitioned=False)
