"""What the audit log shows: an event, and a page of them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str  # "customer:<id>" or "key:<id>"
    actor_label: str = ""  # the administrator's e-mail address or the key's name, when they still exist
    action: str
    target: str
    detail: dict[str, Any]


class AuditPage(BaseModel):
    events: list[AuditEventPublic]
    next_before: int | None  # pass as `before` for the next, older page; None on the last page
