"""`make bench-loop` at a small size: the closed loop runs end to end (serving, signals, a retraining, new products)
under popularity, exploration (half of it near the list) and the split of popularity against exploration, the
off-policy estimates come out, and no shown product breaks a hard filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from benchmarks.loop import main
from benchmarks.loop_run import Budget, Loop, prepare
from benchmarks.loop_world import Shape, make_world
from optirec.settings import ExplorationSettings
from optirec.store import Database
from optirec.store.tables import ServedRecommendation, Signal

SMALL = ["--seeds", "1", "--days", "3", "--week", "2", "--products", "120", "--arrivals", "20", "--customers", "300",
         "--visits", "25", "--warmup-events", "3000", "--train-epochs", "2"]  # fmt: skip


def test_a_small_closed_loop_runs_every_policy(tmp_path: Path) -> None:
    png = tmp_path / "loop.png"
    results = main([*SMALL, "--png", str(png), "--policies", "popularity,explore,split", "--near-share", "0.5"])
    assert [r.policy for r in results] == ["popularity", "explore", "split"]
    for result in results:
        assert len(result.daily) == 3 and sum(result.daily) > 0
        assert result.violations == 0
        assert len(result.halftimes) == 1 and len(result.new_share) == 1  # the products that arrived on day 2
    explore = results[1]
    assert set(explore.ope) == {"logged, purchases", "greedy, purchases", "logged, clicks", "greedy, clicks"}
    for value, low, high, truth in explore.ope.values():
        assert low <= value <= high and truth > 0
    split = results[2]
    assert list(split.arms) == ["popularity", "explore"]  # control first
    for rates in split.arms.values():  # click-through, add-to-cart rate, conversion: each a share of lists
        assert len(rates) == 3 and all(0.0 <= r <= 1.0 for r in rates) and rates[0] >= rates[1] >= rates[2]
    assert set(split.ope) == {"logged, purchases", "logged, clicks"}  # popularity's lists say nothing of greedy's
    # each arm's truth: its chance of a view a list, near its measured click-through, and its expected purchases
    assert set(split.arm_truth) == {"popularity", "explore"}
    for arm, (click_through, purchases) in split.arm_truth.items():
        assert 0.0 < purchases < click_through < 1.0
        assert abs(click_through - split.arms[arm][0]) < 0.15
    assert png.stat().st_size > 10_000


def test_the_loop_stamps_its_lists_and_signals_with_simulated_days(tmp_path: Path) -> None:
    """Lists and the signals they led to carry the simulation's calendar (its days before today), each visit's at its
    list's time, so that what counts by the data's time (the engagement lift's half-life) sees simulated days."""
    shape = Shape(products=120, arrivals=20, customers=300, visits=25, days=3, week=2, warmup_events=3000)
    world, customers = make_world(1, shape, 1)
    (tmp_path / "start").mkdir()
    (tmp_path / "run").mkdir()
    budget = Budget(epochs=2)
    start = prepare(world, customers, shape, 1, tmp_path / "start", budget)
    Loop(world, shape, "greedy", 1, tmp_path / "run", start, ExplorationSettings(), budget).run()
    db = Database(f"sqlite:///{tmp_path / 'run' / 'loop.db'}")
    with db.read() as session:
        lists = session.execute(select(ServedRecommendation.id, ServedRecommendation.served_at))
        served = {list_id: at for list_id, at in lists}
        signals = [(i, at) for i, at in session.execute(select(Signal.recommendation_id, Signal.occurred_at))]
    db.dispose()
    first = start.first_day
    days = [(_utc(at) - first) / timedelta(days=1) for at in served.values()]
    assert len(served) == 3 * 25 and sorted(set(days)) == [0.0, 1.0, 2.0]  # 25 visits a day: one group, at midnight
    for list_id, at in served.items():  # a list's id starts with its serving time
        assert int(list_id[:12], 16) == int(_utc(at).timestamp() * 1000)
    led = [(list_id, at) for list_id, at in signals if list_id is not None]
    assert led and all(_utc(at) == _utc(served[list_id]) for list_id, at in led)
    assert all(_utc(at) < first for list_id, at in signals if list_id is None)  # the warm-up, before the first day


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
