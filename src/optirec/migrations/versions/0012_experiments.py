"""experiments: arms between serving policies, and the shipped serving policy

`experiments` holds each experiment (its placements, its arms with their traffic shares and policy settings, its
state); a served list records the arm that served it as `<experiment id>/<arm>` in `served_recommendations.arm`
(revision 0007). `serving_policies` holds the serving policy's overrides of the settings that shipping an arm wrote
(one row, `default`).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import optirec.store

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=16), primary_key=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("placements", JSON, nullable=False),
        sa.Column("arms", JSON, nullable=False),
        sa.Column("created_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", optirec.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("stopped_at", optirec.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("shipped_arm", sa.String(length=32), nullable=True),
    )
    op.create_table(
        "serving_policies",
        sa.Column("name", sa.String(length=32), primary_key=True),
        sa.Column("policy", JSON, nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("updated_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_served_arm_time", "served_recommendations", ["arm", "served_at"])


def downgrade() -> None:
    op.drop_index("ix_served_arm_time", table_name="served_recommendations")
    op.drop_table("serving_policies")
    op.drop_table("experiments")
