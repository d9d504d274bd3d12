"""The product inspector: find a product, how it performs, and whom among the shop's customers it fits.

Whom it fits runs the hard rules for this one frame over every customer's profile at once
(`eyewear.population`). The profiles' columns are read and built once per version of the profiles (their count and
latest change), then reused by every product inspected until a profile changes.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from optirec.catalog.schemas import ProductPublic
from optirec.catalog.service import get_product
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays, failures_by_rule, frame_failures
from optirec.eyewear.wearer import Eye, Frame, Wearer
from optirec.inspector.schemas import FitShare, Performance, ProductFound, ProductInspected
from optirec.store.tables import Customer, CustomerProfile, Product, Signal

FOUND_AT_MOST = 20
ACTIONS = {"view": "views", "add_to_cart": "add_to_carts", "purchase": "purchases"}


def find_products(*, session: Session, q: str) -> list[ProductFound]:
    """The product whose id is `q`, then those whose name or brand holds it (at most 20, active or not)."""
    text = q.strip()
    words = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.scalars(
        select(Product)
        .where(
            or_(
                Product.id == text,
                func.lower(Product.name).like(words, escape="\\"),
                func.lower(Product.brand).like(words, escape="\\"),
            )
        )
        .order_by(Product.id != text, Product.name)
        .limit(FOUND_AT_MOST)
    )
    return [
        ProductFound(id=p.id, name=p.name, brand=p.brand, category=p.category, stock=p.stock, active=p.active)
        for p in rows
    ]


def inspect_product(*, session: Session, product_id: str, rules: RuleSettings) -> ProductInspected:
    product = get_product(session=session, product_id=product_id)
    return ProductInspected(
        product=ProductPublic.model_validate(product),
        performance=performance(session=session, product_id=product_id),
        fit=fit_share(session=session, frame=Frame.from_product(product, rules), rules=rules),
    )


def performance(*, session: Session, product_id: str) -> Performance:
    counted = dict(
        session.execute(
            select(Signal.action_type, func.count()).where(Signal.product_id == product_id).group_by(Signal.action_type)
        ).all()
    )
    lists = session.scalar(
        select(func.count(func.distinct(Signal.recommendation_id))).where(
            Signal.product_id == product_id, Signal.recommendation_id.is_not(None)
        )
    )
    named = {field: int(counted.get(action, 0)) for action, field in ACTIONS.items()}
    other = sum(int(n) for action, n in counted.items() if action not in ACTIONS)
    return Performance(**named, other=other, attributed_lists=int(lists or 0))


def fit_share(*, session: Session, frame: Frame, rules: RuleSettings) -> FitShare:
    """Among the customers with a prescription or a face width on file, those this frame suits."""
    customers = int(session.scalar(select(func.count()).select_from(Customer).where(Customer.role == "customer")) or 0)
    wearers = PROFILES.get(session, rules)
    failed = frame_failures(frame, wearers, rules)
    measured = wearers.measured
    fits = int(np.count_nonzero(measured & (failed == 0)))
    total = int(np.count_nonzero(measured))
    return FitShare(
        customers=customers,
        measured=total,
        fits=fits,
        share=fits / total if total else None,
        failing=failures_by_rule(failed, measured),
    )


class ProfileWearers:
    """Every customer's profile as `WearerArrays`, rebuilt when the profiles change (count or latest change)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: tuple[tuple[Any, ...], WearerArrays] | None = None

    def get(self, session: Session, rules: RuleSettings) -> WearerArrays:
        count, latest = session.execute(
            select(func.count(), func.max(CustomerProfile.updated_at)).join(Customer).where(Customer.role == "customer")
        ).one()
        version = (str(session.get_bind().engine.url), count, str(latest), id(rules))
        with self._lock:
            if self._held is not None and self._held[0] == version:
                return self._held[1]
        rows = session.execute(
            select(CustomerProfile.prescription, CustomerProfile.pd_mm, CustomerProfile.face_width_mm)
            .join(Customer)
            .where(Customer.role == "customer")
        )
        arrays = WearerArrays.from_wearers((_wearer(*row) for row in rows), rules)
        with self._lock:
            self._held = (version, arrays)
        return arrays


def _wearer(prescription: Mapping[str, Any] | None, pd_mm: float | None, face_width_mm: float | None) -> Wearer:
    """A stored profile as the rules see it, read from its JSON as stored (validated when it was written)."""
    right = left = None
    if prescription:
        right, left = _eye(prescription.get("right")), _eye(prescription.get("left"))
    return Wearer(right=right, left=left, pd_mm=pd_mm, face_width_mm=face_width_mm)


def _eye(eye: Mapping[str, Any] | None) -> Eye | None:
    if not eye:
        return None
    add = eye.get("add")
    return Eye(float(eye["sph"]), float(eye.get("cyl") or 0.0), eye.get("axis"), None if add is None else float(add))


PROFILES = ProfileWearers()  # per process: the profiles change rarely, products are inspected one after another
