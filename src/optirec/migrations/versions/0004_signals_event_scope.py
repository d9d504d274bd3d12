"""signals: event ids are unique per shopper, not across every shopper

A signal's `event_id` was unique over the whole table, so a caller who sent another shopper's id first made that
shopper's own signal a silent duplicate, and learned that the id existed. Each signal now carries the namespace of
its id (`event_scope`: `c:<customer id>`, else `s:<session id>`, fixed when it is stored) and the pair is unique.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPE = "CASE WHEN customer_id IS NOT NULL THEN 'c:' || customer_id ELSE 's:' || COALESCE(session_id, '') END"


def upgrade() -> None:
    op.add_column("signals", sa.Column("event_scope", sa.String(length=130), nullable=True))
    op.execute(f"UPDATE signals SET event_scope = {SCOPE}")
    with op.batch_alter_table("signals") as batch:  # SQLite cannot drop a constraint in place: the table is rebuilt
        batch.alter_column("event_scope", existing_type=sa.String(length=130), nullable=False)
        batch.drop_constraint("uq_signals_event_id", type_="unique")
        batch.create_unique_constraint("uq_signals_event_id_scope", ["event_id", "event_scope"])


def downgrade() -> None:
    # Two shoppers' signals may now share an event id: the later ones give way to the first, as before the split.
    op.execute("DELETE FROM signals WHERE id NOT IN (SELECT MIN(id) FROM signals GROUP BY event_id)")
    with op.batch_alter_table("signals") as batch:
        batch.drop_constraint("uq_signals_event_id_scope", type_="unique")
        batch.create_unique_constraint("uq_signals_event_id", ["event_id"])
        batch.drop_column("event_scope")
