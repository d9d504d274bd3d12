"""What a training reads from the database: signals as events and products as content, in plain lists."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from optirec.store import Database
from optirec.store.tables import Product, Signal


def export_events(db: Database, *, max_signals: int, action_types: tuple[str, ...]) -> dict[str, list[Any]]:
    """The newest `max_signals` signals about catalog products, oldest first, as parallel lists.

    The user is the customer, or `session:<id>` for anonymous sessions never linked to a customer.
    """
    query = (
        select(Signal.customer_id, Signal.session_id, Signal.product_id, Signal.action_type, Signal.occurred_at)
        .where(Signal.product_known.is_(True), Signal.action_type.in_(action_types), Signal.stored_in_window())
        .order_by(Signal.id.desc())
        .limit(max_signals)
    )
    users, items, actions, times = [], [], [], []
    with db.read() as session:
        for customer, session_id, product, action, when in session.execute(query.execution_options(yield_per=50_000)):
            users.append(customer if customer is not None else f"session:{session_id}")
            items.append(product)
            actions.append(action)
            times.append(int(when.timestamp()))
    for column in (users, items, actions, times):
        column.reverse()
    return {"users": users, "items": items, "actions": actions, "timestamps": times}


def keep_top_items(events: dict[str, list[Any]], max_items: int) -> dict[str, list[Any]]:
    """Only the events of the `max_items` products with the most signals (the item-to-item source is a dense
    item × item solve). The other products are served from their content vectors."""
    counts = Counter(events["items"])
    if len(counts) <= max_items:
        return events
    keep = {item for item, _ in counts.most_common(max_items)}
    rows = [k for k, item in enumerate(events["items"]) if item in keep]
    return {name: [column[k] for k in rows] for name, column in events.items()}


def export_products(db: Database) -> list[Product]:
    with db.read() as session:
        return list(session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)))


def count_signals(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Signal)) or 0)
