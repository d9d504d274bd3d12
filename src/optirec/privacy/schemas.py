"""What an export of everything held on a customer looks like."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from optirec.customers.schemas import CustomerPublic


class CustomerExport(BaseModel):
    """Everything optirec holds on one customer (a data-subject access request)."""

    customer: CustomerPublic
    signals: list[dict[str, Any]]
    recommendations_served: list[dict[str, Any]]
    exported_at: datetime
