"""The audit log's table: one row per administrator's action, never updated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from optirec.db import Base, JSONType, UTCDateTime, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(80))  # "customer:<id>" (an administrator's account) or "key:<id>"
    action: Mapped[str] = mapped_column(String(32))  # `audit.service.ACTIONS`
    target: Mapped[str] = mapped_column(String(128), default="")  # a model version, an API key's id
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
