"""Every table, in one place so that Alembic and `Base.metadata` see them all and the stores' operations can name
them, with the domain constants their SQL repeats (the intent actions of the partial index, the stored times)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from optirec.store.base import Base, JSONType, UTCDateTime, utcnow

__all__ = [
    "INTENT_ACTIONS",
    "INTENT_CONDITION",
    "STORED_TIMES",
    "ApiKey",
    "Base",
    "Customer",
    "CustomerProfile",
    "Experiment",
    "ModelArtifactChunk",
    "ModelVersion",
    "Product",
    "ServedRecommendation",
    "ServingPolicy",
    "Signal",
    "SignalIntakeCount",
    "Worker",
    "event_scope",
]

# ---- Behaviour signals: append-only, idempotent by the client's `event_id` within the shopper's own ids. ----

# The signals that say a shopper meant it (a cart, a purchase): a few per cent of all signals. Their own partial
# index serves the per-request "already bought" lookup and the segment counts without reading the views. Queries
# must repeat this exact condition (as SQL text, not bound values) for the planners to use the index.
INTENT_ACTIONS = ("add_to_cart", "purchase")
INTENT_CONDITION = f"action_type IN ({', '.join(repr(action) for action in INTENT_ACTIONS)})"

_LATEST = ("occurred_at", "id", "product_id", "action_type")


def event_scope(customer_id: str | None, session_id: str | None) -> str:
    """The namespace of a signal's `event_id`: the shopper it is about (a customer, else an anonymous session), fixed
    when it is stored. Event ids are unique within a shopper's own, so no caller can take another shopper's id, nor
    learn whether it exists; linking a session to an account later does not change it."""
    if customer_id is not None:
        return f"c:{customer_id}"
    if session_id is not None:
        return f"s:{session_id}"
    raise ValueError("a signal needs a customer_id or a session_id")


# The times a stored signal can have once the API checks them (`schemas.check_occurred_at`), with room for clocks
# ahead. Reads that turn stored times into datetimes keep to it (`Signal.stored_in_window`): a row stored before the
# check (a year 999 that SQLite's text form no longer parses, a year BC that PostgreSQL keeps and Python cannot read)
# must not break a training, an export or the popularity counts.
STORED_TIMES = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


class Signal(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128))
    event_scope: Mapped[str] = mapped_column(String(130))  # `event_scope(customer_id, session_id)`
    customer_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64))
    product_known: Mapped[bool] = mapped_column(Boolean)
    action_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recommendation_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        # Idempotency: one signal per event id, shopper and time (a retry sends all three again). The time is in the
        # key because PostgreSQL partitions the table by it (migration 0013), and a partitioned table's unique keys
        # must hold the partition key. The event id leads, so that a batch's ids are found by their own list
        # (`event_id IN (…)`) and their shoppers compared after.
        UniqueConstraint("event_id", "event_scope", "occurred_at", name="uq_signals_event_time"),
        # A shopper's signals in time order, holding what every list reads of its latest ones (the tie-break id, the
        # product, the action): the read is one range of the index, with no lookup in the table per signal.
        Index("ix_signals_customer_latest", "customer_id", *_LATEST),
        # A product's signals, with what the product inspector counts of them (the action, the list): its
        # performance is one range of the index, with no lookup in the table per signal.
        Index("ix_signals_product", "product_id", "action_type", "recommendation_id"),
        # Most signals carry no session or recommendation: partial indexes keep inserts cheap.
        Index(
            "ix_signals_session_latest",
            "session_id",
            *_LATEST,
            sqlite_where=text("session_id IS NOT NULL"),
            postgresql_where=text("session_id IS NOT NULL"),
        ),
        Index(
            "ix_signals_recommendation",
            "recommendation_id",
            sqlite_where=text("recommendation_id IS NOT NULL"),
            postgresql_where=text("recommendation_id IS NOT NULL"),
        ),
        Index(
            "ix_signals_customer_intent",
            "customer_id",
            "action_type",
            "product_id",
            sqlite_where=text(INTENT_CONDITION),
            postgresql_where=text(INTENT_CONDITION),
        ),
    )

    @classmethod
    def stored_in_window(cls, occurred_at: ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
        """Signals whose stored time (`occurred_at`: the table's own, or that of a copy of it) lies in `STORED_TIMES`
        (on SQLite too, where times are compared as text: a year not written with four digits sorts outside it)."""
        earliest, latest = STORED_TIMES
        moment = cls.occurred_at if occurred_at is None else occurred_at
        return and_(moment >= earliest, moment < latest)


# ---- Customers (accounts, with their role) and their fitting profile, which holds health data. ----


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="customer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    profile: Mapped[CustomerProfile | None] = relationship(
        back_populates="customer", cascade="all, delete-orphan", uselist=False, lazy="selectin"
    )


class CustomerProfile(Base):
    __tablename__ = "customer_profiles"

    customer_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    # {"right": {"sph": -2.25, "cyl": -0.5, "axis": 90, "add": null}, "left": {...}}: health data, never logged.
    prescription: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    pd_mm: Mapped[float | None] = mapped_column(Float)
    face_width_mm: Mapped[float | None] = mapped_column(Float)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    preferences: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    budget_min: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    budget_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    consent: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    customer: Mapped[Customer] = relationship(back_populates="profile")


# ---- The product table: eyewear frames with measurements and the prescription range they take. ----


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    brand: Mapped[str | None] = mapped_column(String(100), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    audience: Mapped[str] = mapped_column(String(16), default="adults")
    gender: Mapped[str | None] = mapped_column(String(16))
    shape: Mapped[str | None] = mapped_column(String(32), index=True)
    material: Mapped[str | None] = mapped_column(String(64))
    colour: Mapped[str | None] = mapped_column(String(64))
    rim_type: Mapped[str | None] = mapped_column(String(16))
    lens_width_mm: Mapped[float | None] = mapped_column(Float)
    bridge_mm: Mapped[float | None] = mapped_column(Float)
    temple_length_mm: Mapped[float | None] = mapped_column(Float)
    lens_height_mm: Mapped[float | None] = mapped_column(Float)
    frame_width_mm: Mapped[float | None] = mapped_column(Float)
    rx_capable: Mapped[bool] = mapped_column(Boolean, default=True)
    sphere_min: Mapped[float | None] = mapped_column(Float)
    sphere_max: Mapped[float | None] = mapped_column(Float)
    cylinder_max: Mapped[float | None] = mapped_column(Float)
    progressive: Mapped[bool] = mapped_column(Boolean, default=False)
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    image_urls: Mapped[list[str]] = mapped_column(JSONType, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_products_price", "price"),)


# ---- Served recommendation lists, logged under their `recommendation_id` for attribution; the worker processes
# that serve them, each with the model it serves. ----


class SignalIntakeCount(Base):
    """What the signal intake answered in one hour (UTC), kept by one source: a serving process (its counts since it
    started, replaced as they grow) or one run of an import. Duplicates and rejected signals are never stored as
    signals, so they are counted here; the console's intake page sums the sources of each hour."""

    __tablename__ = "signal_intake_counts"

    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)  # the start of the hour
    source: Mapped[str] = mapped_column(String(255), primary_key=True)  # host:pid:start, or import:<id>
    accepted: Mapped[int] = mapped_column(BigInteger)
    duplicates: Mapped[int] = mapped_column(BigInteger)
    rejected: Mapped[int] = mapped_column(BigInteger)
    unknown_products: Mapped[int] = mapped_column(BigInteger)


class ServedRecommendation(Base):
    __tablename__ = "served_recommendations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(128))
    surface: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    # [{"product_id", "rank", "score", "propensity"}]: the propensity is the probability with which the policy put
    # the product in its slot (absent in lists served before exploration: 1.0)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    served_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    policy: Mapped[str | None] = mapped_column(String(32))  # greedy | explore; NULL before exploration: greedy
    arm: Mapped[str | None] = mapped_column(String(64))  # the experiment arm that served it, if any

    __table_args__ = (
        Index("ix_served_model_time", "model_version", "served_at"),
        Index("ix_served_arm_time", "arm", "served_at"),  # an experiment's results (`recommend.experiment_results`)
    )


class Experiment(Base):
    """An experiment between serving policies (`recommend.experiments`): its arms, their traffic shares, its state."""

    __tablename__ = "experiments"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)  # 12 hex digits
    name: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | running | stopped | shipped
    placements: Mapped[list[str]] = mapped_column(JSONType, default=list)  # where it runs; empty: every placement
    # [{"name", "share", "control", "policy": {"shares", "diversity", "fit_weight", "profile_weight"},
    #   "stopped": reason | None}]
    arms: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stopped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_arm: Mapped[str | None] = mapped_column(String(32))


class ServingPolicy(Base):
    """The serving policy's overrides of the settings, written by shipping an experiment's arm: one row, `default`."""

    __tablename__ = "serving_policies"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    policy: Mapped[dict[str, Any]] = mapped_column(JSONType)  # {"shares", "diversity", "fit_weight", "profile_weight"}
    source: Mapped[str] = mapped_column(String(64), default="")  # the experiment and arm it was shipped from
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Worker(Base):
    """A serving process and what it serves, written by the process itself (`recommend.workers.WorkerReport`)."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)  # host:pid
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)  # its latest write: a heartbeat, a readiness check
    model_version: Mapped[str] = mapped_column(String(64))  # the version it serves; "popularity" when none
    state: Mapped[str] = mapped_column(String(16))  # live | fallback | popularity
    reason: Mapped[str | None] = mapped_column(Text)  # why a fallback: the live version it could not load, and why
    warmed: Mapped[bool] = mapped_column(Boolean)


# ---- API keys for servers: shown once, stored as a SHA-256 digest, revocable. ----


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# ---- Registered model versions: metrics, data window, checksum, and which one is live. ----


class ModelVersion(Base):
    __tablename__ = "model_versions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # candidate | live | retired | rejected | failed
    artifact_path: Mapped[str] = mapped_column(Text)
    checksum: Mapped[str] = mapped_column(String(64))
    metrics: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    data_window: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    promoted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")


class ModelArtifactChunk(Base):
    """A model artifact's files in the database, in chunks (`training.artifacts`): a replica on any host loads the
    live model from here, checked against its version's checksum, and keeps it under `<data_dir>/models`."""

    __tablename__ = "model_artifact_chunks"

    version: Mapped[str] = mapped_column(
        String(64), ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True
    )
    file: Mapped[str] = mapped_column(String(128), primary_key=True)  # a file of the artifact's folder
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)  # its order within the file, from 0
    data: Mapped[bytes] = mapped_column(LargeBinary)


# ---- Erasures: one row per customer erased, naming no one; every worker watches the latest (`privacy.watch`). ----


class Erasure(Base):
    __tablename__ = "erasures"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# ---- The audit log: one row per administrator's action, never updated. ----


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "customer:<id>" (an administrator's account) or "key:<id>"
    action: Mapped[str] = mapped_column(String(32))  # `audit.service.ACTIONS`
    target: Mapped[str] = mapped_column(String(128), default="")  # a model version, an API key's id
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
