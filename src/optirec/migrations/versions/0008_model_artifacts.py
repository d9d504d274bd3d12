"""model_artifact_chunks: model artifacts in the database

Every replica, on any host, loads the live model from the database (`training.artifacts`): the files of a version's
artifact folder, in chunks, checked against the version's checksum. Versions trained before this revision keep
their folder on the training host only; `optirec maintain` stores those it finds there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "model_artifact_chunks",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=128), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["version"],
            ["model_versions.id"],
            name=op.f("fk_model_artifact_chunks_version_model_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version", "file", "chunk", name=op.f("pk_model_artifact_chunks")),
    )


def downgrade() -> None:
    op.drop_table("model_artifact_chunks")
