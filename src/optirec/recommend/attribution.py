"""Online metrics of served lists: the signals that carry a list's `recommendation_id` are its rewards."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from optirec.store import utcnow
from optirec.store.sessions import utc_day
from optirec.store.tables import ServedRecommendation, Signal


class DailyMetrics(BaseModel):
    model_version: str
    day: str
    lists_served: int
    click_through: float  # share of lists with at least one view of a listed product
    add_to_cart_rate: float
    conversion: float  # share of lists that led to a purchase
    revenue: float  # price × quantity of the purchases attributed to the lists


def daily_metrics(*, session: Session, days: int) -> list[DailyMetrics]:
    """Per model version and day (of serving), over the last `days` days."""
    since = utcnow() - timedelta(days=days)
    day = utc_day(session, ServedRecommendation.served_at)
    served = dict(
        ((version, str(when)), int(count))
        for version, when, count in session.execute(
            select(ServedRecommendation.model_version, day, func.count())
            .where(ServedRecommendation.served_at >= since)
            .group_by(ServedRecommendation.model_version, day)
        )
    )
    rewards: dict[tuple[str, str], dict[str, tuple[int, float]]] = {}
    query = (
        select(
            ServedRecommendation.model_version,
            day,
            Signal.action_type,
            func.count(distinct(ServedRecommendation.id)),
            func.coalesce(func.sum(Signal.price * Signal.quantity), 0),
        )
        .join(Signal, Signal.recommendation_id == ServedRecommendation.id)
        .where(ServedRecommendation.served_at >= since)
        .group_by(ServedRecommendation.model_version, day, Signal.action_type)
    )
    for version, when, action, lists, money in session.execute(query):
        rewards.setdefault((version, str(when)), {})[action] = (int(lists), float(money or 0))
    out = []
    for (version, when), count in sorted(served.items(), key=lambda item: (item[0][1], item[0][0])):
        got = rewards.get((version, when), {})
        out.append(
            DailyMetrics(
                model_version=version,
                day=when,
                lists_served=count,
                click_through=got.get("view", (0, 0.0))[0] / count,
                add_to_cart_rate=got.get("add_to_cart", (0, 0.0))[0] / count,
                conversion=got.get("purchase", (0, 0.0))[0] / count,
                revenue=round(got.get("purchase", (0, 0.0))[1], 2),
            )
        )
    return out
