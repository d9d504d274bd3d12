"""Counts for the console's overview and its signal intake; the slow ones are reused by `overview.cache`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from optirec.overview.schemas import Activity, HourCount, IntakeHour, Overview, SignalIntake
from optirec.signals.intake import Counts, intake_per_hour
from optirec.store.base import utcnow
from optirec.store.sessions import utc_hour
from optirec.store.tables import Base, Customer, Product, ServedRecommendation, Signal
from optirec.training import registry
from optirec.training.registry import ModelVersionPublic

HOURS = 24


def get_overview(*, session: Session, activity: Activity, counted_at: datetime) -> Overview:
    """The overview: the catalog, the customers and the live model as they are now; `activity` as counted at
    `counted_at` (`activity_counts`, reused by `overview.cache`)."""
    live = registry.live_version(session=session)
    return Overview(
        **activity.model_dump(),
        products=_count(session, Product, Product.active.is_(True)),
        products_in_stock=_count(session, Product, Product.active.is_(True), Product.stock > 0),
        customers=_count(session, Customer, Customer.role == "customer"),
        live_model=ModelVersionPublic.model_validate(live) if live is not None else None,
        counted_at=counted_at,
    )


def activity_counts(*, session: Session, now: datetime | None = None) -> Activity:
    """The counts that read the signals and the served lists: on a large shop, seconds."""
    now = now or utcnow()
    since = now - timedelta(hours=HOURS)
    by_action = session.execute(
        select(Signal.action_type, func.count()).where(Signal.occurred_at >= since).group_by(Signal.action_type)
    )
    return Activity(
        signals=_count(session, Signal),
        signals_last_24h={str(action): int(count) for action, count in by_action},
        signals_per_hour=signals_per_hour(session=session, now=now),
        last_signal_at=session.scalar(select(func.max(Signal.occurred_at)).where(Signal.stored_in_window())),
        lists_served=_count(session, ServedRecommendation),
        lists_served_last_24h=_count(session, ServedRecommendation, ServedRecommendation.served_at >= since),
    )


def _count(session: Session, table: type[Base], *where: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(table).where(*where)) or 0)


def signals_per_hour(*, session: Session, now: datetime | None = None) -> list[HourCount]:
    """Signals that occurred in each of the last 24 hours (UTC), oldest first; an hour without any counts 0."""
    now = (now or utcnow()).astimezone(UTC)
    last = now.replace(minute=0, second=0, microsecond=0)
    first = last - timedelta(hours=HOURS - 1)
    hour = utc_hour(session, Signal.occurred_at)
    counted = {
        str(when): int(count)
        for when, count in session.execute(
            select(hour, func.count()).where(Signal.occurred_at >= first, Signal.occurred_at <= now).group_by(hour)
        )
    }
    hours = [first + timedelta(hours=k) for k in range(HOURS)]
    return [HourCount(hour=h, count=counted.get(h.strftime("%Y-%m-%dT%H"), 0)) for h in hours]


def signal_intake(*, session: Session, now: datetime | None = None) -> SignalIntake:
    """What the signal intake answered in each of the last 24 hours (UTC), oldest first, an hour without any signal
    counting 0: a few rows of `signal_intake_counts` (every source's counts of the hour), not the signals table."""
    now = (now or utcnow()).astimezone(UTC)
    first = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=HOURS - 1)
    counted = intake_per_hour(session=session, since=first)
    rows = [
        IntakeHour(hour=start, **vars(counted.get(start, Counts())))
        for start in (first + timedelta(hours=k) for k in range(HOURS))
    ]
    return SignalIntake(
        hours=rows,
        accepted=sum(r.accepted for r in rows),
        duplicates=sum(r.duplicates for r in rows),
        rejected=sum(r.rejected for r in rows),
        unknown_products=sum(r.unknown_products for r in rows),
    )
