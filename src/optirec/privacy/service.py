"""A customer's rights over their data: everything held on them, exported; everything held on them, erased. Above the
domains that hold it (the account and profile, the signals, the lists served), so that none of them depends on the
others for it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Text, cast, delete, select
from sqlalchemy.orm import Session

from optirec.customers.service import get_customer, to_public
from optirec.privacy.schemas import CustomerExport
from optirec.store import utcnow
from optirec.store.tables import Erasure, ServedRecommendation, Signal

_SIGNAL_FIELDS = (
    Signal.event_id,
    Signal.session_id,
    Signal.product_id,
    Signal.action_type,
    cast(Signal.occurred_at, Text).label("occurred_at"),  # as stored: a time no reader can parse is still exported
    Signal.recommendation_id,
    Signal.quantity,
    Signal.price,
    Signal.context,
)


def _signal_dict(row: Any) -> dict[str, Any]:
    return {
        "event_id": row.event_id,
        "session_id": row.session_id,
        "product_id": row.product_id,
        "action_type": row.action_type,
        "occurred_at": _stored_time(row.occurred_at),
        "recommendation_id": row.recommendation_id,
        "quantity": row.quantity,
        "price": float(row.price) if row.price is not None else None,
        "context": row.context,
    }


def _stored_time(text: str) -> str:
    """A stored time in ISO 8601 (UTC), or the stored text itself where it is no time Python can read."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    return (moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)).isoformat()


def export_customer(*, session: Session, customer_id: str, roles: frozenset[str] | None = None) -> CustomerExport:
    """Everything held on the customer: account, profile, signals, the lists served to them."""
    customer = get_customer(session=session, customer_id=customer_id, roles=roles)
    signals = session.execute(
        select(*_SIGNAL_FIELDS).where(Signal.customer_id == customer_id).order_by(Signal.occurred_at, Signal.id)
    )
    served = session.scalars(
        select(ServedRecommendation)
        .where(ServedRecommendation.customer_id == customer_id)
        .order_by(ServedRecommendation.served_at)
    )
    return CustomerExport(
        customer=to_public(customer),
        signals=[_signal_dict(row) for row in signals],
        recommendations_served=[
            {
                "recommendation_id": r.id,
                "served_at": r.served_at.isoformat(),
                "surface": r.surface,
                "items": r.items,
            }
            for r in served
        ],
        exported_at=utcnow(),
    )


def delete_customer(*, session: Session, customer_id: str, roles: frozenset[str] | None = None) -> dict[str, int]:
    """Erase the customer, their profile, their signals and the lists served to them, and note that a customer was
    erased (`Erasure`, naming no one) for the other processes (`privacy.watch.ErasureWatch`)."""
    customer = get_customer(session=session, customer_id=customer_id, roles=roles)
    signals = session.execute(delete(Signal).where(Signal.customer_id == customer_id)).rowcount  # type: ignore[attr-defined]
    served = session.execute(
        delete(ServedRecommendation).where(ServedRecommendation.customer_id == customer_id)
    ).rowcount  # type: ignore[attr-defined]
    session.delete(customer)
    session.add(Erasure())  # naming no one: every worker drops what it keeps in memory (`privacy.watch`)
    session.flush()
    return {"signals": int(signals), "recommendations_served": int(served), "customers": 1}
