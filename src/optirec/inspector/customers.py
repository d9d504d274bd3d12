"""The customer inspector: find a customer, see their profile with the prescription masked, reveal it (the caller
writes the reveal to the audit log), their latest signals."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from optirec.customers.service import get_customer, to_public
from optirec.inspector.schemas import (
    CustomerFound,
    CustomerInspected,
    MaskedProfile,
    PrescriptionRevealed,
    SignalSeen,
)
from optirec.store.tables import Base, Customer, Product, ServedRecommendation, Signal

FOUND_AT_MOST = 20
RECENT_SIGNALS = 20


def find_customers(*, session: Session, q: str) -> list[CustomerFound]:
    """The customer whose id is `q`, and the customers whose e-mail address is or begins with it (at most 20)."""
    text = q.strip()
    email = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = session.scalars(
        select(Customer)
        .where(or_(Customer.id == text, Customer.email.like(f"{email}%", escape="\\")))
        .order_by(Customer.id != text, Customer.email)
        .limit(FOUND_AT_MOST)
    )
    return [CustomerFound(id=c.id, email=c.email, role=c.role, created_at=c.created_at) for c in rows]


def inspect_customer(*, session: Session, customer_id: str) -> CustomerInspected:
    """The customer, their profile without the prescription, their signal and list counts, their latest signals."""
    customer = get_customer(session=session, customer_id=customer_id)
    profile = to_public(customer).profile
    prescription = profile.prescription
    masked = MaskedProfile.model_validate(
        {
            **profile.model_dump(exclude={"prescription"}),
            "prescription_on_file": prescription is not None,
        }
    )
    return CustomerInspected(
        id=customer.id,
        email=customer.email,
        role=customer.role,
        created_at=customer.created_at,
        profile=masked,
        signals=_count(session, Signal, Signal.customer_id == customer_id),
        lists_served=_count(session, ServedRecommendation, ServedRecommendation.customer_id == customer_id),
        recent_signals=_recent(session, customer_id),
    )


def reveal_prescription(*, session: Session, customer_id: str) -> PrescriptionRevealed:
    """The customer's prescription (health data: the caller records who asked, never what it says)."""
    profile = to_public(get_customer(session=session, customer_id=customer_id)).profile
    return PrescriptionRevealed(customer_id=customer_id, prescription=profile.prescription)


def _count(session: Session, table: type[Base], *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def _recent(session: Session, customer_id: str) -> list[SignalSeen]:
    rows = session.execute(
        select(Signal.occurred_at, Signal.action_type, Signal.product_id, Product.name, Signal.recommendation_id)
        .outerjoin(Product, Product.id == Signal.product_id)
        .where(Signal.customer_id == customer_id)
        .order_by(Signal.occurred_at.desc(), Signal.id.desc())
        .limit(RECENT_SIGNALS)
    )
    return [
        SignalSeen(occurred_at=at, action_type=action, product_id=pid, product_name=name, recommendation_id=rid)
        for at, action, pid, name, rid in rows
    ]
