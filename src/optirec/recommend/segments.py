"""Popularity among shoppers like this one: by the kind of prescription and the size of face.

A first-time visitor has no signals, but often a profile. Products that shoppers of the same segment carted and
bought are a better first list than what everyone views. Segments: prescription (none, myopia, hyperopia,
multifocal) × face (narrow, medium, wide, unknown). Only add-to-cart and purchase signals are counted: they are a
few per cent of all signals, so the per-customer aggregate stays small even on a large shop.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from optirec.eyewear.wearer import Wearer
from optirec.recommend.refresh import Refreshing
from optirec.store import Database
from optirec.store.base import LATE_COMMIT, utcnow
from optirec.store.tables import INTENT_ACTIONS, INTENT_CONDITION, CustomerProfile, Signal

INTENT_WEIGHTS = {"add_to_cart": 1.0, "purchase": 2.0}
assert set(INTENT_WEIGHTS) == set(INTENT_ACTIONS)  # the counts read the intent signals' own index
NARROW_FACE_MM, WIDE_FACE_MM = 132.0, 144.0
MIN_SEGMENT_WEIGHT = 20.0  # below this, a segment's counts are too thin to trust
UNKNOWN_SEGMENT = ("none", "unknown")  # nothing known of the shopper's prescription or face


def segment_of(wearer: Wearer, kind: str | None = None) -> tuple[str, str]:
    """The wearer's (prescription kind, face size); `kind` stands for the prescription when there is none (a
    shopper who said only "I wear progressives")."""
    rx = wearer.rx
    if rx is None:
        power = kind or "none"
    elif rx.add is not None:
        power = "multifocal"
    else:
        power = "myopia" if rx.strongest < 0 else "hyperopia"
    face = wearer.face_width_mm
    size = (
        "unknown"
        if face is None
        else "narrow"
        if face < NARROW_FACE_MM
        else "wide"
        if face > WIDE_FACE_MM
        else "medium"
    )
    return power, size


class CustomerSegments:
    """Each customer's segment, kept between counts: after the first read, only the profiles changed since the last
    read are read again (from `OVERLAP` before it: a change stamped before a read may commit after it), and the
    customers removed (erased) dropped. Reading and placing 200,000 profiles took 4.8 s of a worker's CPU, in a
    thread beside its lists, at every count. Called by one count at a time (`Refreshing`)."""

    OVERLAP = LATE_COMMIT

    def __init__(self) -> None:
        self._of: dict[str, tuple[str, str]] = {}
        self._read_at: datetime | None = None

    def read(self, session: Session) -> dict[str, tuple[str, str]]:
        read_at = utcnow()
        count = int(session.scalar(select(func.count()).select_from(CustomerProfile)) or 0)
        query = select(CustomerProfile.customer_id, CustomerProfile.prescription, CustomerProfile.face_width_mm)
        if self._read_at is not None:
            query = query.where(CustomerProfile.updated_at >= self._read_at - self.OVERLAP)
        of = self._of if self._read_at is not None else {}
        for customer_id, rx, face in session.execute(query):
            of[customer_id] = segment_of(Wearer.stored(rx, None, face))
        if len(of) != count:  # profiles were removed: which ones, their customers' ids tell
            present = set(session.scalars(select(CustomerProfile.customer_id)))
            of = {customer: segment for customer, segment in of.items() if customer in present}
        self._of, self._read_at = of, read_at
        return of


def segment_counts(db: Database, segments: CustomerSegments | None = None) -> dict[tuple[str, str], dict[str, float]]:
    """Per segment, the intent-weighted counts of each product (each customer's segment from `segments`, kept
    between counts, where given)."""
    with db.read() as session:
        profiles = (segments or CustomerSegments()).read(session)
        query = (
            select(Signal.customer_id, Signal.product_id, Signal.action_type, func.count())
            .where(text(INTENT_CONDITION), Signal.customer_id.is_not(None))
            .group_by(Signal.customer_id, Signal.product_id, Signal.action_type)
        )
        counts: dict[tuple[str, str], dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for customer_id, product_id, action, count in session.execute(query.execution_options(yield_per=50_000)):
            segment = profiles.get(customer_id) if customer_id else None
            if segment is not None:
                counts[segment][product_id] += INTENT_WEIGHTS[action] * count
    # Segments too thin to trust are left out, so that their shoppers get everyone's popularity.
    return {s: dict(products) for s, products in counts.items() if sum(products.values()) >= MIN_SEGMENT_WEIGHT}


class SegmentCache:
    """Segment counts, recomputed in the background every `ttl_seconds`; `generation` grows with each."""

    def __init__(self, db: Database, *, ttl_seconds: float = 900.0) -> None:
        segments = CustomerSegments()
        self._value = Refreshing(lambda: segment_counts(db, segments), ttl_seconds=ttl_seconds, name="segments")

    @property
    def generation(self) -> int:
        return self._value.generation

    def warm(self) -> None:
        """Compute the counts now if they never were (at start-up, beside the serving path)."""
        self._value.get()

    def refresh(self) -> None:
        """Count again now, in the caller."""
        self._value.refresh()

    def known(self) -> list[tuple[str, str]]:
        """The segments with counts enough to trust (as last counted)."""
        return list(self._value.get())

    def get(self, segment: tuple[str, str]) -> dict[str, float] | None:
        """The segment's counts, or None when the segment is too thin to trust (checked once per recomputation)."""
        return self._value.get().get(segment)
