"""Who a list is for: profile, latest signals and purchases, read in one short transaction (plain Core queries:
this runs on every request)."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    bindparam,
    literal,
    null,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)

from optirec.customers.models import Customer, CustomerProfile
from optirec.errors import NotFound
from optirec.eyewear.wearer import Wearer
from optirec.signals.models import INTENT_CONDITION, Signal

HISTORY_LIMIT = 50


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None
    session_id: str | None
    wearer: Wearer
    history: list[tuple[str, str]] = field(default_factory=list)  # (product_id, action_type), oldest first
    bought: frozenset[str] = frozenset()
    personalise: bool = True  # the customer's consent to use their behaviour


# Built once: constructing a statement costs more than running it on SQLite, and a prebuilt one hits the
# compiled-statement cache at once.
_PROFILE = (
    select(
        Customer.id,
        CustomerProfile.prescription,
        CustomerProfile.pd_mm,
        CustomerProfile.face_width_mm,
        CustomerProfile.consent,
    )
    .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
    .where(Customer.id == bindparam("customer_id"))
)
_ANY_SIGNAL = select(Signal.id).where(Signal.customer_id == bindparam("customer_id")).limit(1)
_BY_CUSTOMER = Signal.customer_id == bindparam("customer_id")
_BY_SESSION = Signal.session_id == bindparam("session_id")


# The time only orders the rows (neither a union nor a subquery promises an order): left as the driver returns it,
# which on SQLite is the stored fixed-width ISO text, whose order is the time order, and parsing 50 timestamps a
# request into datetimes cost more than the query.
_AT = type_coerce(Signal.occurred_at, String).label("at")


def _signals(who: ColumnElement[bool], with_purchases: bool) -> Select[tuple[str, str, int, Any, int]]:
    """The latest signals (kind 0) and the customer's intent signals (kind 1: carts and purchases, read from their
    own small index; the caller keeps the purchases), in one round trip."""
    latest = (
        select(Signal.product_id, Signal.action_type, literal(0).label("kind"), _AT, Signal.id)
        .where(who)
        .order_by(Signal.occurred_at.desc(), Signal.id.desc())
        .limit(HISTORY_LIMIT)
        .subquery()
    )
    query = select(latest)
    if not with_purchases:
        return query
    bought = select(Signal.product_id, Signal.action_type, literal(1).label("kind"), null(), Signal.id)
    bought = bought.where(_BY_CUSTOMER, text(INTENT_CONDITION))
    return union_all(query, bought)  # type: ignore[return-value]


_SIGNALS = {
    "customer": _signals(_BY_CUSTOMER, True),
    "session": _signals(_BY_SESSION, False),
    "both": _signals(or_(_BY_CUSTOMER, _BY_SESSION), True),
}


def _profile(session: Connection, customer_id: str) -> tuple[Wearer, bool]:
    row = session.execute(_PROFILE, {"customer_id": customer_id}).one_or_none()
    if row is None:
        # A customer the shop has not loaded yet but who already sends signals is served without a profile.
        if session.execute(_ANY_SIGNAL, {"customer_id": customer_id}).first() is None:
            raise NotFound(f"No customer with id {customer_id!r}.")
        return Wearer(), True
    profile = SimpleNamespace(prescription=row.prescription, pd_mm=row.pd_mm, face_width_mm=row.face_width_mm)
    return Wearer.from_profile(profile), bool((row.consent or {}).get("personalization", True))


def load_shopper(*, session: Connection, customer_id: str | None, session_id: str | None) -> Shopper:
    """The shopper's profile and latest signals; `NotFound` for a customer id nobody registered."""
    wearer, personalise = _profile(session, customer_id) if customer_id is not None else (Wearer(), True)
    if not personalise or (customer_id is None and session_id is None):
        return Shopper(customer_id, session_id, wearer, personalise=personalise)
    which = ("customer" if session_id is None else "both") if customer_id is not None else "session"
    rows = session.execute(_SIGNALS[which], {"customer_id": customer_id, "session_id": session_id}).all()
    latest = sorted((at, key, product_id, action) for product_id, action, kind, at, key in rows if kind == 0)
    history = [(product_id, action) for _at, _id, product_id, action in latest]
    bought = frozenset(product_id for product_id, action, kind, _at, _id in rows if kind == 1 and action == "purchase")
    return Shopper(customer_id, session_id, wearer, history, bought, personalise)
