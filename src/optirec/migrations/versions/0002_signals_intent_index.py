"""signals: partial index on intent signals (carts and purchases) per customer

Serves the per-request "already bought" lookup (it read every signal of the customer) and the per-segment intent
counts (they scanned the whole table).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONDITION = "action_type IN ('add_to_cart', 'purchase')"


def upgrade() -> None:
    op.create_index(
        "ix_signals_customer_intent",
        "signals",
        ["customer_id", "action_type", "product_id"],
        unique=False,
        sqlite_where=sa.text(CONDITION),
        postgresql_where=sa.text(CONDITION),
    )


def downgrade() -> None:
    op.drop_index("ix_signals_customer_intent", table_name="signals")
