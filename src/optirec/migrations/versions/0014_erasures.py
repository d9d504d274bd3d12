"""erasures: one row per customer erased, naming no one

An erasure deletes the customer's rows at once; what the serving processes keep in memory of them (the lists made
lately, the wearer views and the wearers read from stored profiles: prescriptions) went at once only in the process
that took the erasure. `erasures` gets a row with each (its id and time only), and every worker watches the latest id
(`privacy.watch.ErasureWatch`) and drops what it keeps when it grows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optirec.store

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasures")),
    )


def downgrade() -> None:
    op.drop_table("erasures")
