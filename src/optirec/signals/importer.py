"""Loading events files (the uniform `events.csv` of the data sets, or JSON Lines) as signals, idempotently.

A row without an `event_id` gets one derived from its content (user, item, action, time, and how many identical
rows came before it in the file), so importing the same file again stores nothing new.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import IO, Any

from pydantic import Field

from optirec.catalog.service import all_product_ids
from optirec.errors import shown
from optirec.signals.intake import ImportTally
from optirec.signals.schemas import OutsideWindow, SignalReceipt, check_occurred_at
from optirec.signals.service import store_rows
from optirec.store import Database, utcnow
from optirec.store.tables import Signal
from optirec.tabular import Format, ImportReport, RowError, chunked, read_rows

CHUNK = 5000
REQUIRED_COLUMNS = ("user_id", "item_id", "action", "timestamp")
_ID = re.compile(r"^[A-Za-z0-9._:@\-]{1,64}$")
_CORE = {"user_id", "customer_id", "item_id", "product_id", "action", "action_type", "timestamp", "occurred_at"}
_KEPT = {"event_id", "session_id", "recommendation_id", "quantity", "price"}


class EventsReport(ImportReport):
    """An import report that also counts duplicates and signals about products the catalog lacks."""

    duplicates: int = 0
    unknown_products: int = 0
    by_action: dict[str, int] = Field(default_factory=dict)


def _pick(row: dict[str, Any], *names: str) -> Any:
    for name in names:
        if row.get(name) not in (None, ""):
            return row[name]
    return None


def _timestamp(value: Any) -> datetime:
    """A moment in the signals' window (`check_occurred_at`), in UTC; `ValueError` says what is wrong with it."""
    try:
        if isinstance(value, int | float):
            moment = datetime.fromtimestamp(value, UTC)
        else:
            moment = datetime.fromisoformat(str(value))
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"timestamp: {shown(value)} is not an ISO 8601 time such as 2026-11-01T10:00:00Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"timestamp: {shown(value)} has no time zone (end it with Z for UTC)")
    try:
        return check_occurred_at(moment).astimezone(UTC)
    except OutsideWindow as error:
        raise ValueError(f"timestamp: {shown(value)}: {error}") from None


def _quantity(value: Any) -> int:
    """1 when absent; the same range as the API's (1–1000)."""
    if value is None:
        return 1
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"quantity {shown(value)} is not a whole number") from None
    if not 1 <= quantity <= 1000:
        raise ValueError(f"quantity {quantity} is outside 1–1000")
    return quantity


def _price(value: Any) -> Decimal | None:
    """A non-negative amount (checked here: the database would refuse the whole chunk instead)."""
    if value is None:
        return None
    try:
        price = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"price {shown(value)} is not a number") from None
    if not price.is_finite() or not 0 <= price < 10**10:
        raise ValueError(f"price {shown(value)} must be an amount of 0 or more")
    return price


def to_signal_row(row: dict[str, Any], action_types: frozenset[str], seen: Counter[str]) -> dict[str, Any]:
    """A `signals` row from one events-file row; `ValueError` says what is wrong with it."""
    user, item, action = (
        _pick(row, "user_id", "customer_id"),
        _pick(row, "item_id", "product_id"),
        _pick(row, "action", "action_type"),
    )
    when = _pick(row, "timestamp", "occurred_at")
    missing = [
        n for n, v in (("user_id", user), ("item_id", item), ("action", action), ("timestamp", when)) if v is None
    ]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    user, item, action = str(user), str(item), str(action)
    if not _ID.match(user) or not _ID.match(item):
        raise ValueError("user_id and item_id must be 1–64 letters, digits or ._:@-")
    if action not in action_types:
        raise ValueError(f"unknown action {shown(action)}; expected one of {', '.join(sorted(action_types))}")
    occurred_at = _timestamp(when)
    event_id = _pick(row, "event_id")
    if event_id is None:
        key = f"{user}|{item}|{action}|{occurred_at.isoformat()}"
        seen[key] += 1
        event_id = "imp-" + hashlib.blake2b(f"{key}|{seen[key]}".encode(), digest_size=16).hexdigest()
    extra = {k: v for k, v in row.items() if k not in _CORE and k not in _KEPT}
    return {
        "event_id": str(event_id)[:128],
        "customer_id": user,
        "session_id": _pick(row, "session_id"),
        "product_id": item,
        "action_type": action,
        "occurred_at": occurred_at,
        "recommendation_id": _pick(row, "recommendation_id"),
        "quantity": _quantity(_pick(row, "quantity")),
        "price": _price(_pick(row, "price")),
        "context": extra or None,
    }


def _rows(
    stream: IO[bytes], fmt: Format, action_types: frozenset[str], report: EventsReport
) -> Iterator[dict[str, Any]]:
    seen: Counter[str] = Counter()
    for line, row in read_rows(stream, fmt, required=REQUIRED_COLUMNS, on_note=report.note):
        if isinstance(row, RowError):
            report.reject(line, None, row.reason)
            continue
        try:
            yield to_signal_row(row, action_types, seen)
        except (ValueError, TypeError) as error:
            report.reject(line, row.get("event_id"), str(error))


def import_events(
    db: Database,
    stream: IO[bytes],
    fmt: Format,
    *,
    action_types: frozenset[str],
    on_chunk: Callable[[int], None] | None = None,
) -> EventsReport:
    """Store every valid row as a signal (at most once); bad rows are reported by line and skipped."""
    report = EventsReport()
    tally = ImportTally()
    with db.read() as session:
        known = all_product_ids(session=session)
    rejected = 0
    for chunk in chunked(_rows(stream, fmt, action_types, report), CHUNK):
        received_at = utcnow()
        for row in chunk:
            row["product_known"] = row["product_id"] in known
            row["received_at"] = received_at
            report.by_action[row["action_type"]] = report.by_action.get(row["action_type"], 0) + 1
        times = [row["occurred_at"] for row in chunk]  # history lands in its own partitions, not the default
        db.prepare_partitions(Signal.__tablename__, min(times), max(times))
        with db.write() as session:
            stored, unknown = store_rows(session, chunk)
            counted = SignalReceipt(accepted=stored, duplicates=len(chunk) - stored,
                                    rejected=report.rejected - rejected, unknown_products=unknown)  # fmt: skip
            tally.record_chunk(session, counted, received_at)
        rejected = report.rejected
        report.created += stored
        report.duplicates += len(chunk) - stored
        report.unknown_products += unknown
        if on_chunk:
            on_chunk(len(chunk))
    if report.rejected > rejected:  # rows refused after the last chunk stored (or in a file with none to store)
        with db.write() as session:
            late = SignalReceipt(accepted=0, duplicates=0, rejected=report.rejected - rejected, unknown_products=0)
            tally.record_chunk(session, late, utcnow())
    return report
