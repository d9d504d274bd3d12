"""Impressions and their outcomes, as one table for learning and evaluation.

A served list is logged as one row (`ServedRecommendation`: its placement, model version, policy, arm, and per item
the product, rank, score and propensity), so that serving writes one row a list. Here each list is expanded into one
row per item shown, with what followed it: a view, an add-to-cart, a purchase (and its revenue) of that product by a
signal carrying the list's `recommendation_id`, within the attribution window after the list was served (its start
a few minutes early: a signal's time is the client's clock).

A list counts as rendered when any signal carries its `recommendation_id`. A list nobody sent a signal about may
never have been shown (rendered below the fold, a page closed before it loaded): its items are no rejections, so the
table leaves such lists out unless asked (`include_unrendered`, which marks them `rendered: false`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from optirec.recommend.exploration import GREEDY
from optirec.store import Database
from optirec.store.tables import ServedRecommendation, Signal

OUTCOMES = ("view", "add_to_cart", "purchase")
DEFAULT_WINDOW = timedelta(days=7)
CLOCK_SKEW = timedelta(minutes=5)  # a signal's time is the client's: one stamped a little before the list still counts


class Impression(BaseModel):
    """One item of a served list, and what followed it."""

    recommendation_id: str
    served_at: datetime
    placement: str  # home, product, cart, checkout, search, category, similar, complete_the_look
    model_version: str
    policy: str  # greedy | explore
    arm: str | None  # the experiment arm that served the list, if any
    customer_id: str | None
    session_id: str | None
    position: int  # the rank in the list, 1 first
    product_id: str
    score: float
    propensity: float  # the probability with which the policy put this product in this slot (docs/exploration.md)
    # a slot drawn by exploration: the product the greedy list had there (None for a greedy slot, or an older row)
    greedy_product_id: str | None = None
    rendered: bool  # whether any signal carries the list's recommendation_id
    viewed: bool
    carted: bool
    purchased: bool
    revenue: float  # price × quantity of the attributed purchases of this product


class ImpressionPage(BaseModel):
    impressions: list[Impression]
    lists: int  # served lists read for this page (rendered or not)
    next_after: str | None  # pass as `after` for the next page; None on the last one


def list_impressions(
    *,
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    after: str | None = None,
    lists: int = 500,
    window: timedelta = DEFAULT_WINDOW,
    include_unrendered: bool = False,
) -> ImpressionPage:
    """The impressions of up to `lists` served lists, oldest first: those served in [`since`, `until`) whose id
    comes after `after` (a list's id starts with its serving time, so the ids page through the log in order)."""
    query = select(ServedRecommendation).order_by(ServedRecommendation.id).limit(lists)
    if since is not None:
        query = query.where(ServedRecommendation.served_at >= since)
    if until is not None:
        query = query.where(ServedRecommendation.served_at < until)
    if after is not None:
        query = query.where(ServedRecommendation.id > after)
    served = list(session.scalars(query))
    outcomes = _outcomes(session, [row.id for row in served])
    impressions: list[Impression] = []
    for row in served:
        followed = outcomes.get(row.id)
        if followed is None and not include_unrendered:
            continue
        impressions.extend(_expand(row, followed or {}, window, rendered=followed is not None))
    next_after = served[-1].id if len(served) == lists else None
    return ImpressionPage(impressions=impressions, lists=len(served), next_after=next_after)


def iter_impressions(db: Database, *, lists_per_page: int = 500, **options: Any) -> Iterator[Impression]:
    """Every impression `list_impressions` reads with these options, page after page (one read each)."""
    after: str | None = options.pop("after", None)
    while True:
        with db.read() as session:
            page = list_impressions(session=session, after=after, lists=lists_per_page, **options)
        yield from page.impressions
        if page.next_after is None:
            return
        after = page.next_after


_Followed = dict[str, list[tuple[str, datetime, Decimal | None, int]]]  # product -> (action, when, price, quantity)


def _outcomes(session: Session, ids: list[str]) -> dict[str, _Followed]:
    """Per list id that any signal carries, that list's signals by product."""
    out: dict[str, _Followed] = {}
    if not ids:
        return out
    query = select(
        Signal.recommendation_id, Signal.product_id, Signal.action_type, Signal.occurred_at, Signal.price,
        Signal.quantity,
    ).where(Signal.recommendation_id.in_(ids))  # fmt: skip
    for list_id, product_id, action, when, price, quantity in session.execute(query):
        assert list_id is not None  # selected by it
        out.setdefault(list_id, {}).setdefault(product_id, []).append((action, when, price, quantity))
    return out


def _expand(row: ServedRecommendation, followed: _Followed, window: timedelta, *, rendered: bool) -> list[Impression]:
    """A served list's row as one impression per item, each with its outcomes within the window."""
    starts, ends = row.served_at - CLOCK_SKEW, row.served_at + window
    out = []
    for item in row.items:
        actions: set[str] = set()
        revenue = 0.0
        for action, when, price, quantity in followed.get(item["product_id"], []):
            if not starts <= when <= ends:
                continue
            actions.add(action)
            if action == "purchase" and price is not None:
                revenue += float(price) * quantity
        out.append(
            Impression(
                recommendation_id=row.id,
                served_at=row.served_at,
                placement=row.surface,
                model_version=row.model_version,
                policy=row.policy or GREEDY,
                arm=row.arm,
                customer_id=row.customer_id,
                session_id=row.session_id,
                position=int(item["rank"]),
                product_id=item["product_id"],
                score=float(item.get("score", 0.0)),
                propensity=float(item.get("propensity", 1.0)),
                greedy_product_id=item.get("greedy"),
                rendered=rendered,
                viewed="view" in actions,
                carted="add_to_cart" in actions,
                purchased="purchase" in actions,
                revenue=round(revenue, 2),
            )
        )
    return out
