"""Behaviour signals: append-only, idempotent by the client's `event_id`."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from optirec.db import Base, JSONType, UTCDateTime, utcnow

# The signals that say a shopper meant it (a cart, a purchase): a few per cent of all signals. Their own partial
# index serves the per-request "already bought" lookup and the segment counts without reading the views. Queries
# must repeat this exact condition (as SQL text, not bound values) for the planners to use the index.
INTENT_ACTIONS = ("add_to_cart", "purchase")
INTENT_CONDITION = f"action_type IN ({', '.join(repr(action) for action in INTENT_ACTIONS)})"

_LATEST = ("occurred_at", "id", "product_id", "action_type")


class Signal(Base):
    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(128))
    product_id: Mapped[str] = mapped_column(String(64), index=True)
    product_known: Mapped[bool] = mapped_column(Boolean)
    action_type: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recommendation_id: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)

    __table_args__ = (
        # A shopper's signals in time order, holding what every list reads of its latest ones (the tie-break id, the
        # product, the action): the read is one range of the index, with no lookup in the table per signal.
        Index("ix_signals_customer_latest", "customer_id", *_LATEST),
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
