"""Who a list is for: profile, latest signals and purchases, read in one statement, prebuilt and run on the
driver's own connection (`Database.hot_fetch`, or `hot_fetch_async` from the event loop on PostgreSQL): this runs on
every request, and on PostgreSQL each statement is a round trip, so there the customers asked for at about the same
time are read together (`BatchedReads`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    CompoundSelect,
    Float,
    Select,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    or_,
    select,
    text,
    true,
    type_coerce,
    union_all,
)

from optirec.errors import NotFound, shown
from optirec.eyewear.wearer import Wearer
from optirec.recommend.sendoff import SendOff
from optirec.store import Database
from optirec.store.tables import INTENT_CONDITION, STORED_TIMES, Customer, CustomerProfile, Signal

HISTORY_LIMIT = 50
LATEST, INTENT, PROFILE = 0, 1, 2  # the kinds of row the shopper statement returns


@dataclass(frozen=True)
class Shopper:
    customer_id: str | None
    session_id: str | None
    wearer: Wearer
    history: list[tuple[str, str]] = field(default_factory=list)  # (product_id, action_type), oldest first
    bought: frozenset[str] = frozenset()
    personalise: bool = True  # the customer's consent to use their behaviour


_BY_CUSTOMER = Signal.customer_id == bindparam("customer_id")
_BY_SESSION = Signal.session_id == bindparam("session_id")
_ANY_SIGNAL = select(Signal.id).where(_BY_CUSTOMER).limit(1)

# The time only orders the rows (neither a union nor a subquery promises an order): left as the driver returns it,
# which on SQLite is the stored fixed-width ISO text, whose order is the time order, and parsing 50 timestamps a
# request into datetimes cost more than the query.
_AT = type_coerce(Signal.occurred_at, String).label("at")
_NO_FLOAT = cast(null(), Float)
# `Signal.stored_in_window` as literals, which the hot path's driver statements take on both backends: a time stored
# before optirec checked times (a year BC on PostgreSQL, which the driver cannot read) must not break a shopper's lists.
_READABLE_TIME = and_(
    Signal.occurred_at >= literal_column(f"'{STORED_TIMES[0]:%Y-%m-%d}'"),
    Signal.occurred_at < literal_column(f"'{STORED_TIMES[1]:%Y-%m-%d}'"),
)


def _latest(who: ColumnElement[bool]) -> Select[Any]:
    """The latest signals, newest first."""
    latest = (
        select(Signal.product_id.label("a"), Signal.action_type.label("b"), literal(LATEST).label("kind"), _AT,
               Signal.id.label("id"), _NO_FLOAT.label("pd_mm"), _NO_FLOAT.label("face_width_mm"))
        .where(who, _READABLE_TIME)
        .correlate_except(Signal)  # a batch's lateral subquery names its shopper from outside (`_batch`)
        .order_by(Signal.occurred_at.desc(), Signal.id.desc())
        .limit(HISTORY_LIMIT)
        .subquery()
    )  # fmt: skip
    return select(latest)


def _statement(who: ColumnElement[bool], customer: ColumnElement[Any] | None) -> Select[Any] | CompoundSelect[Any]:
    """One round trip: the latest signals; with a customer (their id: a bound value, or a batch's column) also their
    intent signals (carts and purchases, from their own small index; the caller keeps the purchases) and their
    profile (one row, the JSON columns as text)."""
    if customer is None:
        return _latest(who)
    intents = select(Signal.product_id, Signal.action_type, literal(INTENT), null(), Signal.id, _NO_FLOAT, _NO_FLOAT)
    intents = intents.where(Signal.customer_id == customer, text(INTENT_CONDITION))
    profile = (
        select(cast(CustomerProfile.prescription, Text), cast(CustomerProfile.consent, Text), literal(PROFILE),
               null(), null(), CustomerProfile.pd_mm, CustomerProfile.face_width_mm)
        .select_from(Customer)
        .outerjoin(CustomerProfile, CustomerProfile.customer_id == Customer.id)
        .where(Customer.id == customer)
    )  # fmt: skip
    return union_all(_latest(who), intents, profile)


def _batch() -> Select[Any]:
    """PostgreSQL: the "customer" statement for several customers (`ids`) in one round trip, each row followed by
    its customer's place in `ids`, from 1 (`BatchedReads`)."""
    asked = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("customer_id", with_ordinality="n")
    asked = asked.render_derived()
    rows = _statement(Signal.customer_id == asked.c.customer_id, asked.c.customer_id).subquery().lateral()
    return select(rows, asked.c.n).select_from(asked).join(rows, true())


# Built once: constructing a statement costs more than running it on SQLite, and a prebuilt one hits the
# compiled-statement cache at once.
_STATEMENTS = {
    "customer": _statement(_BY_CUSTOMER, bindparam("customer_id")),
    "session": _statement(_BY_SESSION, None),
    "both": _statement(or_(_BY_CUSTOMER, _BY_SESSION), bindparam("customer_id")),
}
_BATCH = _batch()


def _json(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


@lru_cache(maxsize=16_384)
def _wearer(prescription: str | None, pd_mm: float | None, face_width_mm: float | None) -> Wearer:
    """The wearer of a stored profile, from its prescription's JSON text: validating the prescription cost more
    than the rest of the shopper's parsing, and a shopper's profile stays the same from one list to the next."""
    found = SimpleNamespace(prescription=_json(prescription), pd_mm=pd_mm, face_width_mm=face_width_mm)
    return Wearer.from_profile(found)


def load_shopper(db: Database, *, customer_id: str | None, session_id: str | None) -> Shopper:
    """The shopper's profile and latest signals; `NotFound` for a customer id nobody registered."""
    which = _which(customer_id, session_id)
    if which is None:
        return Shopper(None, None, Wearer())
    rows = db.hot_fetch(_STATEMENTS[which], {"customer_id": customer_id, "session_id": session_id})
    if _unprofiled(rows, customer_id) and not db.hot_fetch(_ANY_SIGNAL, {"customer_id": customer_id}):
        raise NotFound(f"No customer with id {shown(customer_id)}.")
    return _shopper(rows, customer_id, session_id)


async def load_shopper_async(db: Database, *, customer_id: str | None, session_id: str | None) -> Shopper:
    """`load_shopper` from the event loop on PostgreSQL (`Database.hot_fetch_async`)."""
    which = _which(customer_id, session_id)
    if which is None:
        return Shopper(None, None, Wearer())
    rows = await db.hot_fetch_async(_STATEMENTS[which], {"customer_id": customer_id, "session_id": session_id})
    return await _checked_async(db, rows, customer_id, session_id)


async def _checked_async(db: Database, rows: list[Any], customer_id: str | None, session_id: str | None) -> Shopper:
    if _unprofiled(rows, customer_id) and not await db.hot_fetch_async(_ANY_SIGNAL, {"customer_id": customer_id}):
        raise NotFound(f"No customer with id {shown(customer_id)}.")
    return _shopper(rows, customer_id, session_id)


class BatchedReads:
    """PostgreSQL's shopper reads from the event loop, customers read together: one batch statement in flight at a
    time (`_batch`), and the customers asked for meanwhile make the next one, as the served-list log's groups do.
    At saturation lists arrive together (their answers left together, in one group), and a read's round trip is
    mostly fixed cost: about 0.1 ms of the worker's CPU and 0.05 ms of the database's for one customer, against
    0.045 and 0.03 a customer for eight (measured on the demo shop, `docs/benchmarks.md`). A list alone is read at
    once. A batch in flight for longer than `READ_WAIT` no longer holds the next one back (it goes on another
    connection), so one slow read delays the lists behind it by that much at most. Anonymous sessions, and a customer
    named with a session, are read on their own (`load_shopper_async`)."""

    BATCH_MAX = 64
    READ_WAIT = 0.005  # seconds a customer waits at most for the batch in flight before theirs goes out regardless

    def __init__(self, db: Database) -> None:
        self._db = db
        self._waiting: list[tuple[str, asyncio.Future[list[Any]]]] = []
        self._send_off = SendOff(self._read, self._consider)
        self._reading: set[asyncio.Task[list[Any]]] = set()  # the batches in flight, kept from the collector

    async def load(self, *, customer_id: str | None, session_id: str | None) -> Shopper:
        """As `load_shopper_async`."""
        if customer_id is None or session_id is not None:
            return await load_shopper_async(self._db, customer_id=customer_id, session_id=session_id)
        loop = asyncio.get_running_loop()
        found: asyncio.Future[list[Any]] = loop.create_future()
        if not self._waiting:
            self._send_off.started(loop)
        self._waiting.append((customer_id, found))
        self._consider(loop)
        return await _checked_async(self._db, await found, customer_id, None)

    def _consider(self, loop: asyncio.AbstractEventLoop) -> None:
        """Send the next batch off, or wait (`SendOff`): at once when none is in flight, else when the one in flight
        is done, or at `READ_WAIT`."""
        if self._waiting:
            self._send_off.decide(loop, ready=not self._reading, wait=self.READ_WAIT)

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        batch, self._waiting = self._waiting[: self.BATCH_MAX], self._waiting[self.BATCH_MAX :]
        self._send_off.started(loop)  # for those left beyond `BATCH_MAX`
        task = loop.create_task(self._db.hot_fetch_async(_BATCH, {"ids": [customer for customer, _ in batch]}))
        self._reading.add(task)

        def finished(task: asyncio.Task[list[Any]]) -> None:
            self._reading.discard(task)
            _answer(batch, task)
            self._consider(loop)

        task.add_done_callback(finished)


def _answer(batch: list[tuple[str, asyncio.Future[list[Any]]]], task: asyncio.Task[list[Any]]) -> None:
    """Each customer of the batch gets their own rows, or the batch's error."""
    error = asyncio.CancelledError() if task.cancelled() else task.exception()
    rows: list[list[Any]] = [[] for _ in batch]
    if error is None:
        for row in task.result():
            rows[row[-1] - 1].append(row)
    for (_customer, found), own in zip(batch, rows, strict=True):
        if found.done() or found.get_loop().is_closed():  # its request went away meanwhile
            continue
        if error is None:
            found.set_result(own)
        else:
            found.set_exception(error)


def _which(customer_id: str | None, session_id: str | None) -> str | None:
    if customer_id is None:
        return None if session_id is None else "session"
    return "customer" if session_id is None else "both"


def _profile(rows: list[Any]) -> Any:
    return next((row for row in reversed(rows) if row[2] == PROFILE), None)  # the statement's last part


def _unprofiled(rows: list[Any], customer_id: str | None) -> bool:
    """A customer id without a registered customer: served all the same if it already sends signals (a customer
    the shop has not loaded yet), otherwise unknown."""
    return customer_id is not None and _profile(rows) is None


def _shopper(rows: list[Any], customer_id: str | None, session_id: str | None) -> Shopper:
    wearer, personalise = Wearer(), True
    profile = _profile(rows) if customer_id is not None else None
    if profile is not None:
        prescription, consent, _kind, _at, _id, pd_mm, face_width_mm = profile[:7]  # a batch's rows have one more
        wearer = _wearer(prescription, pd_mm, face_width_mm)
        personalise = bool((_json(consent) or {}).get("personalization", True))
    if not personalise:
        return Shopper(customer_id, session_id, wearer, personalise=False)
    latest = sorted((at, key, product_id, action) for product_id, action, kind, at, key, *_ in rows if kind == LATEST)
    history = [(product_id, action) for _at, _id, product_id, action in latest]
    bought = frozenset(row[0] for row in rows if row[2] == INTENT and row[1] == "purchase")
    return Shopper(customer_id, session_id, wearer, history, bought, personalise)
