"""Who a list is for: profile, latest signals and purchases, read in one short transaction."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from optirec.customers.models import Customer
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

    @property
    def has_measurements(self) -> bool:
        return self.wearer.rx is not None or self.wearer.face_width_mm is not None


def load_shopper(*, session: Session, customer_id: str | None, session_id: str | None) -> Shopper:
    """The shopper's profile and latest signals; `NotFound` for a customer id nobody registered."""
    wearer, personalise = Wearer(), True
    if customer_id is not None:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"No customer with id {customer_id!r}.")
        if customer.profile is not None:
            wearer = Wearer.from_profile(customer.profile)
            personalise = bool((customer.profile.consent or {}).get("personalization", True))
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
    history = [(row.product_id, row.action_type) for row in reversed(rows)]
    bought: frozenset[str] = frozenset()
    if customer_id is not None:
        bought = frozenset(
            session.scalars(
                select(Signal.product_id)
                .where(Signal.customer_id == customer_id, Signal.action_type == "purchase")
                .distinct()
            )
        )
    return Shopper(customer_id, session_id, wearer, history, bought, personalise)
