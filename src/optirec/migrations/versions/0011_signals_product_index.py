"""signals: the product's index holds the action and the list

`ix_signals_product_id` (product) becomes `ix_signals_product` (product, action, recommendation id): the product
inspector counts a product's signals by action and the lists they were attributed to from the index alone, where it
read every one of the product's rows (a best seller's tens of thousands) before. What used the old index (a product's
signals) uses the new one's first column.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_signals_product", "signals", ["product_id", "action_type", "recommendation_id"])
    op.drop_index("ix_signals_product_id", table_name="signals")


def downgrade() -> None:
    op.create_index("ix_signals_product_id", "signals", ["product_id"])
    op.drop_index("ix_signals_product", table_name="signals")
