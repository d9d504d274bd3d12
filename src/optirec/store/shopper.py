"""Who a list is for: profile, latest signals and purchases, read in one statement, prebuilt and run on the
driver's own connection by both backends (`Database.read_shopper`): this runs on every request. On PostgreSQL each
statement is a round trip, so there the customers asked for at about the same time are read together, by the batch
form of the same statement (`BATCH`, run by `store.batched.BatchedReads`)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from time import monotonic
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
from sqlalchemy.sql.expression import ClauseElement

from optirec.errors import NotFound, shown
from optirec.eyewear.wearer import Wearer
from optirec.store.base import UTCDateTime
from optirec.store.driver import Compiled
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
ANY_SIGNAL = select(Signal.id).where(_BY_CUSTOMER).limit(1)

# The time only orders the rows (neither a union nor a subquery promises an order): left as the driver returns it,
# which on SQLite is the stored fixed-width ISO text, whose order is the time order, and parsing 50 timestamps a
# request into datetimes cost more than the query.
_AT = type_coerce(Signal.occurred_at, String).label("at")
_NO_FLOAT = cast(null(), Float)
# The shopper's history starts at `since` (`ShopperStatements.since`: `STORED_TIMES`' start, or the window of
# `shopper_history_days`), which on PostgreSQL also spares the read the partitions before it. The end is
# `Signal.stored_in_window`'s as a literal, which the hot path's driver statements take on both backends: a time stored
# before optirec checked times (a year BC on PostgreSQL, which the driver cannot read) must not break a shopper's lists.
_SINCE = Signal.occurred_at >= bindparam("since", type_=UTCDateTime)
_READABLE_TIME = and_(_SINCE, Signal.occurred_at < literal_column(f"'{STORED_TIMES[1]:%Y-%m-%d}'"))


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
    intents = intents.where(Signal.customer_id == customer, text(INTENT_CONDITION), _SINCE)
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
    its customer's place in `ids`, from 1 (`store.batched.BatchedReads`)."""
    asked = func.unnest(bindparam("ids", type_=ARRAY(String))).table_valued("customer_id", with_ordinality="n")
    asked = asked.render_derived()
    rows = _statement(Signal.customer_id == asked.c.customer_id, asked.c.customer_id).subquery().lateral()
    return select(rows, asked.c.n).select_from(asked).join(rows, true())


# Built once, and compiled once for each backend's driver (`ShopperStatements`): constructing and compiling a statement
# cost more than running it on SQLite.
STATEMENTS = {
    "customer": _statement(_BY_CUSTOMER, bindparam("customer_id")),
    "session": _statement(_BY_SESSION, None),
    "both": _statement(or_(_BY_CUSTOMER, _BY_SESSION), bindparam("customer_id")),
}
BATCH = _batch()


def _json(value: str | None) -> Any:
    return None if value is None else orjson.loads(value)


# At most how long a serving process keeps what it read of a shopper's prescription (the wearers below, the lists'
# wearer views: `recommend.filters.WearerCache`) once it was read, whatever it hears: an erasure empties them at once in
# the process that made it (`forget_wearers`) and within seconds in every other (`privacy.watch.ErasureWatch`); this
# bounds what a process keeps where it cannot hear of one (the database unreadable, or the check switched off).
HELD_AT_MOST_SECONDS = 600.0


@lru_cache(maxsize=16_384)
def _wearer(prescription: str | None, pd_mm: float | None, face_width_mm: float | None) -> Wearer:
    """The wearer of a stored profile, from its prescription's JSON text (`Wearer.stored`): kept, as a shopper's
    profile stays the same from one list to the next (a wearer read again, with its needs and its segment, costs
    about 10 µs, kept 1 µs). Emptied every `HELD_AT_MOST_SECONDS` (`_wearer_of`) and on an erasure
    (`forget_wearers`)."""
    return Wearer.stored(_json(prescription), pd_mm, face_width_mm)


_wearers_since = monotonic()  # when `_wearer` was last emptied


def _wearer_of(prescription: str | None, pd_mm: float | None, face_width_mm: float | None) -> Wearer:
    """`_wearer`, emptied first where it is `HELD_AT_MOST_SECONDS` old."""
    if monotonic() - _wearers_since >= HELD_AT_MOST_SECONDS:
        forget_wearers()
    return _wearer(prescription, pd_mm, face_width_mm)


def forget_wearers() -> None:
    """Drop the wearers read from stored profiles (their prescriptions): after an erasure, in any process."""
    global _wearers_since
    _wearers_since = monotonic()
    _wearer.cache_clear()


Fetch = Callable[[Compiled, dict[str, Any]], list[Any]]
AsyncFetch = Callable[[Compiled, dict[str, Any]], Coroutine[Any, Any, list[Any]]]


@dataclass(frozen=True)
class ShopperStatements:
    """The shopper statements compiled for one backend's driver (`HotPath.compile`), once, when it starts, and the
    start of the history they read (`since`)."""

    by_which: dict[str, Compiled]  # "customer", "session", "both"
    any_signal: Compiled
    batch: Compiled | None  # PostgreSQL's (`BATCH`)
    history: timedelta | None  # how far back a shopper's signals are read (`shopper_history_days`); None: all
    stored_time: Callable[[datetime], Any]  # a time as the driver takes it for a stored one (SQLite's text)
    first: Any  # `STORED_TIMES`' start as the driver takes it: every list's `since` without a history window

    @classmethod
    def compiled(
        cls,
        compile: Callable[[ClauseElement], Compiled],
        *,
        batch: bool,
        history: timedelta | None,
        stored_time: Callable[[datetime], Any],
    ) -> ShopperStatements:
        by_which = {which: compile(statement) for which, statement in STATEMENTS.items()}
        batched = compile(BATCH) if batch else None
        return cls(by_which, compile(ANY_SIGNAL), batched, history, stored_time, stored_time(STORED_TIMES[0]))

    def since(self) -> Any:
        """The `since` of a read now: the oldest signal time it takes, as the driver takes it."""
        if self.history is None:
            return self.first
        return self.stored_time(max(STORED_TIMES[0], datetime.now(UTC) - self.history))

    def params(self, customer_id: str | None, session_id: str | None) -> dict[str, Any]:
        return {"customer_id": customer_id, "session_id": session_id, "since": self.since()}


def read_shopper(
    fetch: Fetch, statements: ShopperStatements, *, customer_id: str | None, session_id: str | None
) -> Shopper:
    """The shopper's profile and latest signals, by `fetch` (a backend's driver read of a prebuilt statement);
    `NotFound` for a customer id nobody registered."""
    which = _which(customer_id, session_id)
    if which is None:
        return Shopper(None, None, Wearer())
    rows = fetch(statements.by_which[which], statements.params(customer_id, session_id))
    if _unprofiled(rows, customer_id) and not fetch(statements.any_signal, {"customer_id": customer_id}):
        raise NotFound(f"No customer with id {shown(customer_id)}.")
    return shopper_of(rows, customer_id, session_id)


async def read_shopper_async(
    fetch: AsyncFetch, statements: ShopperStatements, *, customer_id: str | None, session_id: str | None
) -> Shopper:
    """`read_shopper` by an asynchronous `fetch` (PostgreSQL's from the event loop)."""
    which = _which(customer_id, session_id)
    if which is None:
        return Shopper(None, None, Wearer())
    rows = await fetch(statements.by_which[which], statements.params(customer_id, session_id))
    return await checked_async(fetch, statements, rows, customer_id, session_id)


async def checked_async(
    fetch: AsyncFetch, statements: ShopperStatements, rows: list[Any], customer_id: str | None, session_id: str | None
) -> Shopper:
    """The shopper of `rows`, the statement's for them; `NotFound` for a customer id nobody registered."""
    if _unprofiled(rows, customer_id) and not await fetch(statements.any_signal, {"customer_id": customer_id}):
        raise NotFound(f"No customer with id {shown(customer_id)}.")
    return shopper_of(rows, customer_id, session_id)


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


def shopper_of(rows: list[Any], customer_id: str | None, session_id: str | None) -> Shopper:
    wearer, personalise = Wearer(), True
    profile = _profile(rows) if customer_id is not None else None
    if profile is not None:
        prescription, consent, _kind, _at, _id, pd_mm, face_width_mm = profile[:7]  # a batch's rows have one more
        wearer = _wearer_of(prescription, pd_mm, face_width_mm)
        personalise = bool((_json(consent) or {}).get("personalization", True))
    if not personalise:
        return Shopper(customer_id, session_id, wearer, personalise=False)
    latest = sorted((at, key, product_id, action) for product_id, action, kind, at, key, *_ in rows if kind == LATEST)
    history = [(product_id, action) for _at, _id, product_id, action in latest]
    bought = frozenset(row[0] for row in rows if row[2] == INTENT and row[1] == "purchase")
    return Shopper(customer_id, session_id, wearer, history, bought, personalise)
