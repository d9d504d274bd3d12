"""Recording behaviour signals: validate each, store the good ones once, report the rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from optirec.auth.service import Principal, acting_customer, acting_session
from optirec.catalog.service import known_product_ids
from optirec.errors import Forbidden
from optirec.signals.schemas import SignalError, SignalIn, SignalReceipt
from optirec.store import Database, utcnow
from optirec.store.sessions import insert_signals
from optirec.store.tables import Signal, event_scope
from optirec.tabular import validation_reason


@dataclass
class Checked:
    """A batch after validation: the signals to store and the errors of the others."""

    signals: list[SignalIn]
    errors: list[SignalError]
    repeats: int = 0  # signals whose event_id came earlier in the same batch


def check_signals(items: Sequence[Any], *, action_types: frozenset[str], principal: Principal | None = None) -> Checked:
    """Validate every item on its own, so that a bad one never blocks the good ones. A customer's token fills in
    its own `customer_id`, an anonymous shopper's session token its `session_id`."""
    good: list[SignalIn] = []
    errors: list[SignalError] = []
    seen: set[tuple[str | None, str | None, str, datetime]] = set()
    for index, item in enumerate(items):
        event_id = item.get("event_id") if isinstance(item, dict) else None
        try:
            signal = SignalIn.model_validate(_filled_in(item, principal))
        except ValidationError as error:
            errors.append(SignalError(index=index, event_id=_text(event_id), message=validation_reason(error)))
            continue
        if signal.action_type not in action_types:
            known = ", ".join(sorted(action_types))
            message = f"action_type: unknown action {signal.action_type!r}; this shop accepts {known}"
            errors.append(SignalError(index=index, event_id=signal.event_id, message=message))
            continue
        if principal is not None:
            _act_for(signal, principal)
        key = (
            signal.customer_id,
            signal.session_id if signal.customer_id is None else None,
            signal.event_id,
            signal.occurred_at,
        )
        if key in seen:  # a repeat inside the batch (same shopper, id and time) is a duplicate like any other
            continue
        seen.add(key)
        good.append(signal)
    return Checked(good, errors, repeats=len(items) - len(errors) - len(good))


def _filled_in(item: Any, principal: Principal | None) -> Any:
    """The item with the caller's own shopper filled in where it names none (a copy; the item is left as sent)."""
    if principal is None or principal.role not in ("customer", "session") or not isinstance(item, dict):
        return item
    if principal.role == "customer" and item.get("customer_id") is None:
        return {**item, "customer_id": principal.customer_id}
    if principal.role == "session" and item.get("session_id") is None:
        return {**item, "session_id": principal.session_id}
    return item


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 128 else None


def _act_for(signal: SignalIn, principal: Principal) -> None:
    try:
        customer = acting_customer(principal, signal.customer_id)
        session = acting_session(principal, signal.session_id)
    except Forbidden as refused:  # the whole request is refused: it names someone the caller may not act for
        raise Forbidden(refused.message, details={"event_id": signal.event_id}) from None
    if customer != signal.customer_id:  # assigned only when changed: a model's assignment costs a validator's call
        signal.customer_id = customer
    if session != signal.session_id:
        signal.session_id = session


def _row(signal: SignalIn, known: set[str], received_at: Any) -> dict[str, Any]:
    return {
        "event_id": signal.event_id,
        "event_scope": event_scope(signal.customer_id, signal.session_id),
        "customer_id": signal.customer_id,
        "session_id": signal.session_id,
        "product_id": signal.product_id,
        "product_known": signal.product_id in known,
        "action_type": signal.action_type,
        "occurred_at": signal.occurred_at,
        "received_at": received_at,
        "recommendation_id": signal.recommendation_id,
        "quantity": signal.quantity,
        "price": signal.price,
        "context": signal.context.model_dump(exclude_none=True) if signal.context else None,
    }


def store_rows(session: Session, rows: list[dict[str, Any]]) -> tuple[int, int]:
    """Insert rows, skipping event ids their shopper already stored; (new rows, new rows about unknown products)."""
    if not rows:
        return 0, 0
    for row in rows:
        if "event_scope" not in row:
            row["event_scope"] = event_scope(row["customer_id"], row["session_id"])
    return insert_signals(session, rows)


def record_signals(*, db: Database, checked: Checked) -> SignalReceipt:
    """Store the checked signals (idempotent by event_id) and say what happened to each.

    On SQLite the catalog is read before the writing transaction starts, so the write lock is held only for the
    insert and the commit (a product created in between is counted unknown; the signal is stored all the same).
    On PostgreSQL, which has no such lock, one transaction does both: one connection, one commit.
    """
    product_ids = {s.product_id for s in checked.signals}
    received_at = utcnow()
    if db.one_writer_at_a_time:
        with db.read() as session:
            known = known_product_ids(session=session, product_ids=product_ids)
        with db.write() as session:
            accepted, unknown = store_rows(session, [_row(s, known, received_at) for s in checked.signals])
    else:
        with db.write() as session:
            known = known_product_ids(session=session, product_ids=product_ids)
            accepted, unknown = store_rows(session, [_row(s, known, received_at) for s in checked.signals])
    return SignalReceipt(
        accepted=accepted,
        duplicates=len(checked.signals) - accepted + checked.repeats,
        rejected=len(checked.errors),
        unknown_products=unknown,
        errors=checked.errors,
    )


def link_session(*, session: Session, customer_id: str, session_id: str) -> int:
    """Give the anonymous session's signals to the customer who just signed in; returns how many moved. Their event
    ids keep the session's namespace (`event_scope`), so they never collide with the customer's own."""
    result = session.execute(
        update(Signal)
        .where(Signal.session_id == session_id, Signal.customer_id.is_(None))
        .values(customer_id=customer_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def latest_signals(*, session: Session, customer_id: str, limit: int = 50) -> list[Signal]:
    query = select(Signal).where(Signal.customer_id == customer_id).order_by(Signal.occurred_at.desc()).limit(limit)
    return list(session.scalars(query))
