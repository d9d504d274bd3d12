"""The live engagement lift (`recommend.engagement`): impressions by rank from the served-list log, views from the
signals that carry a list's id, counted incrementally and decayed with the log's own time; and how it moves the
popularity term of the lists (`ServingState.popularity_vector`)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from optirec.catalog.schemas import ProductCreate
from optirec.catalog.service import create_product
from optirec.eyewear.config import RuleSettings
from optirec.recommend import engagement
from optirec.recommend.engagement import HOUR_MS, EngagementCounter
from optirec.recommend.live import ServingState
from optirec.settings import EngagementSettings
from optirec.signals.service import check_signals, record_signals
from optirec.store import Database
from optirec.store.tables import ServedRecommendation
from tests.conftest import product_data, signal_data

START = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(days=1)  # a worker's first count
# reads the last two half-lives of the log
ACTIONS = frozenset({"view", "favorite", "add_to_cart", "remove_from_cart", "purchase"})


def _list_id(moment: datetime, n: int) -> str:
    """An id as `service.recommendation_id` makes them: the serving time in milliseconds, then 80 bits."""
    return f"{int(moment.timestamp() * 1000):012x}{n:020x}"


def _serve(db: Database, moment: datetime, n: int, products: list[str]) -> str:
    list_id = _list_id(moment, n)
    items = [{"product_id": p, "rank": r, "score": 0.0, "propensity": 1.0} for r, p in enumerate(products, 1)]
    with db.write() as session:
        session.add(ServedRecommendation(id=list_id, customer_id="cust-1", surface="home", model_version="m",
                                         items=items, served_at=moment))  # fmt: skip
    return list_id


def _send(db: Database, *signals: tuple[str, str, str]) -> None:
    """(list id, product, action) each."""
    rows = [
        signal_data(product_id=p, action_type=a, recommendation_id=list_id, occurred_at=START.isoformat())
        for list_id, p, a in signals
    ]
    record_signals(db=db, checked=check_signals(rows, action_types=ACTIONS))


def _two_layouts(db: Database) -> None:
    """4 lists show A above B, 4 show B above A; A is opened in all 8, B in none."""
    for n in range(8):
        list_id = _serve(db, START + timedelta(seconds=n), n, ["A", "B"] if n < 4 else ["B", "A"])
        _send(db, (list_id, "A", "view"))


def test_a_product_opened_more_often_than_its_ranks_usually_are_gets_a_positive_lift(db: Database) -> None:
    _two_layouts(db)
    lifts = EngagementCounter(db, prior_views=5.0).update().lifts
    # each rank was opened in 4 of its 8 impressions (A's), so each product expects 4 × 0.5 + 4 × 0.5 = 4 views
    assert lifts["A"] == pytest.approx(math.log((8 + 5) / (4 + 5)))
    assert lifts["B"] == pytest.approx(math.log((0 + 5) / (4 + 5)))
    assert "C" not in lifts  # never shown: no lift (0)


def test_only_views_of_a_product_its_list_showed_count(db: Database) -> None:
    _two_layouts(db)
    first = _list_id(START, 0)
    _send(db, (first, "C", "view"), (first, "B", "purchase"), (first, "B", "add_to_cart"))
    lifts = EngagementCounter(db, prior_views=5.0).update().lifts
    assert lifts["B"] == pytest.approx(math.log(5 / 9)) and "C" not in lifts


def test_counted_step_by_step_as_from_scratch_each_list_once(db: Database) -> None:
    counter = EngagementCounter(db, prior_views=2.0)
    early = _serve(db, START, 0, ["A", "B", "C"])
    _send(db, (early, "B", "view"))
    counter.update()
    # served a second later (inside the overlap read again at each count), and a view of the first list arriving late
    late = _serve(db, START + timedelta(seconds=1), 1, ["C", "A"])
    _send(db, (late, "C", "view"), (early, "C", "view"))
    stepwise, scratch = counter.update(), EngagementCounter(db, prior_views=2.0).update()
    assert stepwise.lifts == pytest.approx(scratch.lifts) and stepwise.expected == pytest.approx(scratch.expected)
    assert counter.counts.rank_impressions[:3].tolist() == [2.0, 2.0, 1.0]  # five impressions, none twice


def test_counts_halve_over_the_half_life_of_the_logs_own_time(db: Database) -> None:
    counter = EngagementCounter(db, prior_views=1.0, half_life_days=1.0)
    old = _serve(db, START, 0, ["A"])
    _send(db, (old, "A", "view"))
    counter.update()
    _serve(db, START + timedelta(days=1, minutes=30), 1, ["B"])  # a day and a half hour later: decayed a whole day
    counter.update()
    assert counter.counts.impressions_of("A")[0] == pytest.approx(0.5)
    assert counter.counts.views_of("A") == pytest.approx(0.5)
    assert counter.counts.impressions_of("B")[0] == pytest.approx(1.0)
    assert counter._decayed_at_ms == int(START.timestamp() * 1000) + 24 * HOUR_MS


def test_the_lift_moves_the_popularity_term_by_its_weight(db: Database) -> None:
    with db.write() as session:
        for pid in ("A", "B", "C"):
            create_product(session=session, data=ProductCreate(**product_data(pid)))
    _two_layouts(db)
    rules = RuleSettings()
    plain = ServingState(db, rules)
    lifted = ServingState(db, rules, engagement=EngagementSettings(weight=2.0))
    assert plain.engagement is None  # weight 0: nothing counted, nothing added
    snapshot = lifted.snapshots.get()
    lifts = EngagementCounter(db).update().lifts
    expected = plain.popularity_vector(snapshot) + 2.0 * np.array([lifts.get(p, 0.0) for p in snapshot.ids])
    assert lifted.popularity_vector(snapshot) == pytest.approx(expected)
    assert lifted.popularity_vector(snapshot) is lifted.popularity_vector(snapshot)  # cached until a count
    generation = lifted.engagement.generation if lifted.engagement else -1
    _send(db, (_list_id(START + timedelta(seconds=4), 4), "B", "view"))  # B opened where it was first
    assert lifted.engagement is not None
    lifted.engagement.refresh()
    assert lifted.engagement.generation == generation + 1
    b = snapshot.ids.index("B")
    assert lifted.popularity_vector(snapshot)[b] > expected[b]


def test_a_logs_older_rows_with_random_ids_are_counted_once(db: Database) -> None:
    """Lists logged before ids began with their serving time have random ids, which may sort after today's; a first
    count reads the last two half-lives only."""
    items = [{"product_id": "A", "rank": 1, "score": 0.0, "propensity": 1.0}]
    with db.write() as session:
        for list_id, age in (("f" * 32, 2), ("e" * 32, 15)):  # two days old, and older than two half-lives (14 days)
            session.add(ServedRecommendation(id=list_id, customer_id="cust-1", surface="home", model_version="m",
                                             items=items, served_at=START - timedelta(days=age)))  # fmt: skip
    counter = EngagementCounter(db)
    _serve(db, START, 0, ["B"])
    counter.update()
    _serve(db, START + timedelta(minutes=5), 1, ["B"])
    counter.update()
    # read after today's first list (its id sorts last), undecayed (it is older), and not read again
    assert counter.counts.impressions_of("A").sum() == 1.0
    assert counter.counts.rank_impressions[0] == 3.0


def test_a_first_count_reads_the_newest_lists_only_and_no_view_of_an_older_one(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engagement, "FIRST_LISTS", 2)
    ids = [_serve(db, START + timedelta(minutes=n), n, ["A", "B"]) for n in range(4)]
    _send(db, (ids[0], "A", "view"), (ids[3], "B", "view"))
    counter = EngagementCounter(db)
    counter.update()
    assert counter.counts.rank_impressions[:2].tolist() == [2.0, 2.0]  # the newest two lists
    # the oldest list's view is not counted: its impressions were not
    assert counter.counts.views_of("B") == 1.0 and counter.counts.views_of("A") == 0.0


def test_a_first_count_reads_two_half_lives_back_from_its_clock(db: Database) -> None:
    """A simulation's clock (weeks in the past) sets the first count's window; the wall clock would see none of it."""
    then = START - timedelta(days=20)
    _serve(db, then, 0, ["A", "B"])
    _serve(db, then - timedelta(days=3), 1, ["C"])  # three days before: outside two half-lives of one day
    wall = EngagementCounter(db, half_life_days=1.0)
    wall.update()
    assert not wall.counts.rows  # twenty days old by the wall clock
    simulated = EngagementCounter(db, half_life_days=1.0, clock=lambda: then + timedelta(hours=1))
    simulated.update()
    assert set(simulated.counts.rows) == {"A", "B"}
