"""Served recommendation lists, logged under their `recommendation_id` for attribution; the worker processes that
serve them, each with the model it serves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from optirec.db import Base, JSONType, UTCDateTime, utcnow


class ServedRecommendation(Base):
    __tablename__ = "served_recommendations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[str | None] = mapped_column(String(128))
    surface: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    served_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (Index("ix_served_model_time", "model_version", "served_at"),)


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
