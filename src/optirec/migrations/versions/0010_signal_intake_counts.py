"""signal_intake_counts: what the signal intake answered, per hour and source

Accepted, duplicate, rejected and unknown-product signals per hour (UTC), one row per serving process or import run
and hour, so that the console's intake page reads a few rows instead of the signals table, and counts what is never
stored (duplicates, rejected signals).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optirec.store

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "signal_intake_counts",
        sa.Column("hour", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("accepted", sa.BigInteger(), nullable=False),
        sa.Column("duplicates", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("unknown_products", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hour", "source", name=op.f("pk_signal_intake_counts")),
    )


def downgrade() -> None:
    op.drop_table("signal_intake_counts")
