"""The product inspector: find a product, how it performs, and whom among the shop's customers it fits.

Whom it fits runs the hard rules for this one frame over every customer's profile at once
(`eyewear.population`). The profiles' columns are read and built once per version of the profiles (their count and
latest change), checked at most every `OPTIREC_CONSOLE_CACHE_SECONDS` in the background (`ProfileWearers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from optirec.catalog.schemas import ProductPublic
from optirec.catalog.service import get_product
from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays, failures_by_rule, frame_failures
from optirec.eyewear.wearer import Frame, Wearer
from optirec.inspector.schemas import FitShare, Performance, ProductFound, ProductInspected
from optirec.recent import Recent
from optirec.store import Database
from optirec.store.base import LATE_COMMIT, utcnow
from optirec.store.tables import Customer, CustomerProfile, Product, Signal

FOUND_AT_MOST = 20
ACTIONS = {"view": "views", "add_to_cart": "add_to_carts", "purchase": "purchases"}


def find_products(*, session: Session, q: str) -> list[ProductFound]:
    """The product whose id is `q`, then those whose name or brand holds it (at most 20, active or not)."""
    text = q.strip()
    words = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = session.scalars(
        select(Product)
        .where(
            or_(
                Product.id == text,
                func.lower(Product.name).like(words, escape="\\"),
                func.lower(Product.brand).like(words, escape="\\"),
            )
        )
        .order_by(Product.id != text, Product.name)
        .limit(FOUND_AT_MOST)
    )
    return [
        ProductFound(id=p.id, name=p.name, brand=p.brand, category=p.category, stock=p.stock, active=p.active)
        for p in rows
    ]


def inspect_product(
    *, session: Session, product_id: str, rules: RuleSettings, population: Population
) -> ProductInspected:
    product = get_product(session=session, product_id=product_id)
    return ProductInspected(
        product=ProductPublic.model_validate(product),
        performance=performance(session=session, product_id=product_id),
        fit=fit_share(frame=Frame.from_product(product, rules), population=population, rules=rules),
    )


def performance(*, session: Session, product_id: str) -> Performance:
    """The product's signals by action and the distinct lists they were attributed to, in one read of the index
    `ix_signals_product` (product, action, list): no row of the signals table is read."""
    counted: dict[str, int] = {}
    lists: set[str] = set()
    query = (
        select(Signal.action_type, Signal.recommendation_id, func.count())
        .where(Signal.product_id == product_id)
        .group_by(Signal.action_type, Signal.recommendation_id)
    )
    for action, recommendation, n in session.execute(query):
        counted[action] = counted.get(action, 0) + int(n)
        if recommendation is not None:
            lists.add(recommendation)
    named = {field: counted.get(action, 0) for action, field in ACTIONS.items()}
    other = sum(n for action, n in counted.items() if action not in ACTIONS)
    return Performance(**named, other=other, attributed_lists=len(lists))


def fit_share(*, frame: Frame, population: Population, rules: RuleSettings) -> FitShare:
    """Among the customers with a prescription or a face width on file, those this frame suits."""
    wearers = population.wearers
    failed = frame_failures(frame, wearers, rules)
    measured = wearers.measured
    fits = int(np.count_nonzero(measured & (failed == 0)))
    total = int(np.count_nonzero(measured))
    return FitShare(
        customers=population.customers,
        measured=total,
        fits=fits,
        share=fits / total if total else None,
        failing=failures_by_rule(failed, measured),
    )


@dataclass(frozen=True)
class Population:
    """The shop's customers as the rules see them: every profile's columns, and how many customers there are."""

    version: tuple[Any, ...]  # the profiles' count and latest change
    customers: int
    wearers: WearerArrays
    rows: Mapping[str, int]  # each profile's customer id -> its row in `wearers`
    read_at: datetime | None = None  # when the profiles were last read (by the clock that stamps their changes)


class ProfileWearers:
    """Every customer's profile as `WearerArrays`, for the product inspector and the coverage map. Reading and
    building 200,000 profiles takes seconds, so the last build is answered at once; at most every `seconds` the
    profiles' version (their count and latest change) is read again, in the background (`optirec.recent`), and
    when it changed, only the profiles changed since the last read are read and written into a copy of the arrays,
    and those removed (a customer erased: their prescription leaves the arrays) dropped from it. A serving process
    holds the arrays: a full build there, beside its lists, took the interpreter from them for seconds (lists of 1 to
    3 s) each time the arrays were made again while an operator had the console open on a shop whose customers edit
    their profiles. A full build only at a process's start (`warm`) and where more than `REBUILD_SHARE` of the
    profiles changed since the last read."""

    REBUILD_SHARE = 0.1  # more of the profiles changed than this: read them all again
    OVERLAP = LATE_COMMIT  # changes stamped this long before the last read are read again

    def __init__(self, db: Database, rules: RuleSettings, seconds: float) -> None:
        self._db, self._rules = db, rules
        self._held: Population | None = None
        self._recent = Recent(self._check, seconds)

    def get(self) -> Population:
        return self._recent.get().value

    def _check(self) -> Population:
        read_at = utcnow()
        with self._db.read() as session:
            count, latest = session.execute(
                select(func.count(), func.max(CustomerProfile.updated_at))
                .join(Customer)
                .where(Customer.role == "customer")
            ).one()
            accounts = select(func.count()).select_from(Customer).where(Customer.role == "customer")
            customers = int(session.scalar(accounts) or 0)
            version = (int(count), str(latest))
            held = self._held
            if held is not None and held.version == version:
                population = Population(version, customers, held.wearers, held.rows, held.read_at)
            else:
                changed = self._changed(session, held, int(count)) if held is not None else None
                wearers, rows = changed if changed is not None else self._build(session)
                population = Population(version, customers, wearers, rows, read_at)
        self._held = population
        return population

    def _build(self, session: Session) -> tuple[WearerArrays, dict[str, int]]:
        """Every profile's columns, and each one's row by its customer's id."""
        rows = session.execute(
            select(Customer.id, CustomerProfile.prescription, CustomerProfile.pd_mm, CustomerProfile.face_width_mm)
            .join(Customer)
            .where(Customer.role == "customer")
        ).all()
        wearers = WearerArrays.from_wearers((Wearer.stored(*row[1:]) for row in rows), self._rules)
        return wearers, {row[0]: i for i, row in enumerate(rows)}

    def _changed(self, session: Session, held: Population, count: int) -> tuple[WearerArrays, dict[str, int]] | None:
        """`held` with the profiles changed since it was read written again (from `OVERLAP` before: those read again
        are written again, to the same values) and those removed dropped; None where a full build is needed (too
        many changed, or the profiles changed between this read's statements)."""
        if held.read_at is None:
            return None
        most = int(count * self.REBUILD_SHARE) + 1
        changed = session.execute(
            select(Customer.id, CustomerProfile.prescription, CustomerProfile.pd_mm, CustomerProfile.face_width_mm)
            .join(Customer)
            .where(Customer.role == "customer", CustomerProfile.updated_at >= held.read_at - self.OVERLAP)
            .limit(most)
        ).all()
        if len(changed) >= most:
            return None
        rows = dict(held.rows)
        positions = np.array([rows.setdefault(row[0], len(rows)) for row in changed], dtype=np.int64)
        written = WearerArrays.from_wearers((Wearer.stored(*row[1:]) for row in changed), self._rules)
        wearers = held.wearers.with_rows(positions, written)
        if len(rows) != count:  # profiles were removed: which ones, their customers' ids tell
            current = set(
                session.scalars(select(CustomerProfile.customer_id).join(Customer).where(Customer.role == "customer"))
            )
            kept = [(customer, row) for customer, row in rows.items() if customer in current]
            if len(kept) != count:
                return None
            wearers = wearers.at(np.array([row for _, row in kept], dtype=np.int64))
            rows = {customer: i for i, (customer, _) in enumerate(kept)}
        return wearers, rows
