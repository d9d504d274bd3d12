"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import optirec.store

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", optirec.store.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_customers_email")),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("artifact_path", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("metrics", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("data_window", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("promoted_at", optirec.store.UTCDateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_model_versions_status"), ["status"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("brand", sa.String(length=100), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("audience", sa.String(length=16), nullable=False),
        sa.Column("gender", sa.String(length=16), nullable=True),
        sa.Column("shape", sa.String(length=32), nullable=True),
        sa.Column("material", sa.String(length=64), nullable=True),
        sa.Column("colour", sa.String(length=64), nullable=True),
        sa.Column("rim_type", sa.String(length=16), nullable=True),
        sa.Column("lens_width_mm", sa.Float(), nullable=True),
        sa.Column("bridge_mm", sa.Float(), nullable=True),
        sa.Column("temple_length_mm", sa.Float(), nullable=True),
        sa.Column("lens_height_mm", sa.Float(), nullable=True),
        sa.Column("frame_width_mm", sa.Float(), nullable=True),
        sa.Column("rx_capable", sa.Boolean(), nullable=False),
        sa.Column("sphere_min", sa.Float(), nullable=True),
        sa.Column("sphere_max", sa.Float(), nullable=True),
        sa.Column("cylinder_max", sa.Float(), nullable=True),
        sa.Column("progressive", sa.Boolean(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("image_urls", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("attributes", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_active"), ["active"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_brand"), ["brand"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_category"), ["category"], unique=False)
        batch_op.create_index("ix_products_price", ["price"], unique=False)
        batch_op.create_index(batch_op.f("ix_products_shape"), ["shape"], unique=False)

    op.create_table(
        "served_recommendations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("surface", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("items", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("context", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("served_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_served_recommendations")),
    )
    with op.batch_alter_table("served_recommendations", schema=None) as batch_op:
        batch_op.create_index("ix_served_model_time", ["model_version", "served_at"], unique=False)

    op.create_table(
        "signals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.String(length=128), nullable=True),
        sa.Column("product_id", sa.String(length=64), nullable=False),
        sa.Column("product_known", sa.Boolean(), nullable=False),
        sa.Column("action_type", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("received_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.Column("recommendation_id", sa.String(length=64), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("price", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("context", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("event_id", name=op.f("uq_signals_event_id")),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index("ix_signals_customer_time", ["customer_id", "occurred_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signals_product_id"), ["product_id"], unique=False)
        batch_op.create_index(
            "ix_signals_recommendation",
            ["recommendation_id"],
            unique=False,
            sqlite_where=sa.text("recommendation_id IS NOT NULL"),
            postgresql_where=sa.text("recommendation_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_signals_session_time",
            ["session_id", "occurred_at"],
            unique=False,
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )

    op.create_table(
        "customer_profiles",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("prescription", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("pd_mm", sa.Float(), nullable=True),
        sa.Column("face_width_mm", sa.Float(), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("preferences", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("budget_min", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("budget_max", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("consent", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("updated_at", optirec.store.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_profiles_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profiles")),
    )


def downgrade() -> None:

    op.drop_table("customer_profiles")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_signals_session_time",
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_signals_recommendation",
            sqlite_where=sa.text("recommendation_id IS NOT NULL"),
            postgresql_where=sa.text("recommendation_id IS NOT NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_signals_product_id"))
        batch_op.drop_index("ix_signals_customer_time")

    op.drop_table("signals")
    with op.batch_alter_table("served_recommendations", schema=None) as batch_op:
        batch_op.drop_index("ix_served_model_time")

    op.drop_table("served_recommendations")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_shape"))
        batch_op.drop_index("ix_products_price")
        batch_op.drop_index(batch_op.f("ix_products_category"))
        batch_op.drop_index(batch_op.f("ix_products_brand"))
        batch_op.drop_index(batch_op.f("ix_products_active"))

    op.drop_table("products")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_status"))

    op.drop_table("model_versions")
    op.drop_table("customers")
    op.drop_table("api_keys")
