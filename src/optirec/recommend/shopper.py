"""Who a list is for: profile, latest signals and purchases, read in one short transaction (plain Core queries:
this runs on every request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from sqlalchemy import Connection, or_, select

from optirec.customers.models import Customer, CustomerProfile
from optirec.errors import NotFound
from optirec.eyewear.wearer import Wearer
from optirec.signals.models import Signal

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None
    session_id: str | None
    wearer: Wearer
    history: list[tuple[str, str]] = field(default_factory=list)  # (product_id, action_type), oldest first
    bought: frozenset[str] = frozenset()
    personalise: bool = True  # the customer's consent to use their behaviour


def _profile(session: Connection, customer_id: str) -> tuple[Wearer, bool]:
    row = session.execute(
        select(
            Customer.id,
            CustomerProfile.prescription,
            CustomerProfile.pd_mm,
            CustomerProfile.face_width_mm,
            CustomerProfile.consent,
        )
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .where(Customer.id == customer_id)
    ).one_or_none()
    if row is None:
        # A customer the shop has not loaded yet but who already sends signals is served without a profile.
        if session.execute(select(Signal.id).where(Signal.customer_id == customer_id).limit(1)).first() is None:
            raise NotFound(f"No customer with id {customer_id!r}.")
        return Wearer(), True
    profile = SimpleNamespace(prescription=row.prescription, pd_mm=row.pd_mm, face_width_mm=row.face_width_mm)
    return Wearer.from_profile(profile), bool((row.consent or {}).get("personalization", True))


def load_shopper(*, session: Connection, customer_id: str | None, session_id: str | None) -> Shopper:
    """The shopper's profile and latest signals; `NotFound` for a customer id nobody registered."""
    wearer, personalise = _profile(session, customer_id) if customer_id is not None else (Wearer(), True)
    if not personalise or (customer_id is None and session_id is None):
        return Shopper(customer_id, session_id, wearer, personalise=personalise)
    who = Signal.customer_id == customer_id if customer_id is not None else Signal.session_id == session_id
    if customer_id is not None and session_id is not None:
        who = or_(who, Signal.session_id == session_id)
    rows = session.execute(
        select(Signal.product_id, Signal.action_type)
        .where(who)
        .order_by(Signal.occurred_at.desc(), Signal.id.desc())
        .limit(HISTORY_LIMIT)
    ).all()
    history = [(product_id, action) for product_id, action in reversed(rows)]
    bought: frozenset[str] = frozenset()
    if customer_id is not None:
        purchases = select(Signal.product_id).where(Signal.customer_id == customer_id, Signal.action_type == "purchase")
        bought = frozenset(session.execute(purchases).scalars())
    return Shopper(customer_id, session_id, wearer, history, bought, personalise)
