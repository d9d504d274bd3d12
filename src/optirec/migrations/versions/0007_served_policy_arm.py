"""served lists: the policy and experiment arm that served them

Each served list records its policy (`greedy`, or `explore` when exploration drew some of its slots) and the
experiment arm that served it (none yet). Each item's propensity lives in the list's `items` JSON beside its rank
and score, so the hot path's insert stays one row a list. Lists served before this revision have neither: read as
greedy, every propensity 1.0.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("served_recommendations") as batch:
        batch.add_column(sa.Column("policy", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("arm", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("served_recommendations") as batch:
        batch.drop_column("arm")
        batch.drop_column("policy")
