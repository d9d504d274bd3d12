"""Every table, imported in one place so that Alembic and `Base.metadata` see them all."""

from optirec.audit.models import AuditEvent
from optirec.auth.models import ApiKey
from optirec.catalog.models import Product
from optirec.customers.models import Customer, CustomerProfile
from optirec.db import Base
from optirec.recommend.models import ServedRecommendation, Worker
from optirec.signals.models import Signal
from optirec.training.models import ModelVersion

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Base",
    "Customer",
    "CustomerProfile",
    "ModelVersion",
    "Product",
    "ServedRecommendation",
    "Signal",
    "Worker",
]
