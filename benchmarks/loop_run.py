"""One closed-loop run: a policy serves the simulated shop day after day through the real serving code.

Each visit asks `ListBuilder.build_async` (the code behind `/api/recommendations`, in-process, logging the list) for
a home list; the ground truth decides what the shopper examines (1 / log2(rank + 1)), opens, carts and buys; the
day's signals go back through `signals.service.record_signals`, each carrying its list's id. Lists and signals carry
simulated time (`SimClock`: each group of visits at its share of the day), not the wall clock. Every 7 days the model
retrains (`training.pipeline.run_training`, a short budget) and is swapped in, then new products arrive (the catalog
service's upsert). Popularity serves without a model. The split policy assigns each shopper to one of two arms
(by default popularity, the control, and the model with exploration) by a stable hash, and reads the experiment
every day with the experiments' always-valid test (`loop_stats.SplitTest`).
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from benchmarks.loop_stats import SplitTest
from benchmarks.loop_world import Shape, World, arrive, first_day, open_shop
from optirec.demo.ground_truth import position_weights
from optirec.demo.response import p_add_to_cart, p_buy, p_click
from optirec.eyewear.config import RuleSettings
from optirec.recommend.impressions import iter_impressions
from optirec.recommend.live import ServingState
from optirec.recommend.model_adapter import TrainedModel, load_live_model
from optirec.recommend.policy_eval import evaluate_policy
from optirec.recommend.schemas import RecommendationFilters
from optirec.recommend.service import ListBuilder, ListSpec, ServedList
from optirec.settings import EngagementSettings, ExplorationSettings, Settings
from optirec.signals.service import check_signals, record_signals
from optirec.store import Database
from optirec.training.pipeline import run_training

POLICIES = ("popularity", "greedy", "explore", "split")
GROUP = 64  # visits served at once (their lists' rows committed together)


@dataclass
class RunResult:
    policy: str
    seed: int
    daily: list[float] = field(default_factory=list)  # expected purchases a day (ground truth of the shown lists)
    realised: int = 0  # purchases the shoppers made
    violations: int = 0  # shown products that break a hard rule for their shopper
    halftimes: list[float] = field(default_factory=list)  # per new-product cohort, days to half its true share
    censored: int = 0  # cohorts that had not reached half by the end (counted at the days they had)
    new_views: list[float] = field(default_factory=list)  # per cohort, views a product in its first week
    new_share: list[float] = field(
        default_factory=list
    )  # per cohort, its share of sales ÷ its true share, after arrival
    ope: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)  # name: (est, low, high, truth)
    # split: its arms (control first), each arm's click-through, add-to-cart rate and conversion, and per rate the
    # first day (1-based) the experiment's always-valid test declared the treatment better or worse
    arms: dict[str, list[float]] = field(default_factory=dict)
    decided: dict[str, tuple[int, str]] = field(default_factory=dict)
    # split: per arm, the ground truth's click-through (the chance that a list is followed by a view) and expected
    # purchases, a list on average: which arm is the better one, for the test to declare
    arm_truth: dict[str, list[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Budget:
    """A training's budget in the simulation: its epochs (None: early stopping decides) and a wall-clock safety net.
    Bounded by epochs, the same data train the same model on any machine, at any load (a time budget that runs out
    first trains more or fewer epochs as the machine is faster or busier)."""

    epochs: int | None = 6
    seconds: float = 120.0


class SimClock:
    """The simulation's time, set by the loop visit by visit; the serving code reads it (`ListBuilder.clock`)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def loop_settings(folder: Path, budget: Budget) -> Settings:
    """The settings of a run whose database and models live in `folder`."""
    url = f"sqlite:///{folder / 'loop.db'}"
    settings = Settings(_env_file=None, database_url=url, data_dir=folder / "data", training_min_signals=100)
    # the setting's floor (10 s) is for a shop; the simulation retrains many times on a small one
    return settings.model_copy(update={"training_max_seconds": budget.seconds, "training_max_epochs": budget.epochs})


@dataclass(frozen=True)
class Start:
    """A seed's shop before its first day: its database (catalogue, customers, warm-up history, the first model
    trained on it), copied for each policy, so that every policy starts from the same state."""

    folder: Path
    model: Path
    version: str
    first_day: datetime  # the simulation's first day (`loop_world.first_day`), which the warm-up ends before


def prepare(world: World, customers: list[bytes], shape: Shape, seed: int, folder: Path, budget: Budget) -> Start:
    settings = loop_settings(folder, budget)
    first = first_day(shape)  # once: every policy's run starts on it, even one that starts after midnight
    db = open_shop(world, customers, shape, folder, seed, settings.database_url, settings.action_types, first)
    outcome = run_training(settings, db, force=True, progress=lambda _m: None)
    db.dispose()
    return Start(folder, settings.models_dir / outcome.version, outcome.version, first)


class Loop:
    def __init__(self, world: World, shape: Shape, policy: str, seed: int, folder: Path, start: Start,
                 exploring: ExplorationSettings, budget: Budget,
                 split: tuple[str, str] = ("popularity", "explore"),
                 engagement: EngagementSettings | None = None) -> None:  # fmt: skip
        self.world, self.shape, self.policy, self.seed = world, shape, policy, seed
        for name in ("loop.db", "loop.db-wal", "loop.db-shm"):
            if (start.folder / name).exists():
                shutil.copy(start.folder / name, folder / name)
        self.settings = loop_settings(folder, budget)
        self.db = Database(self.settings.database_url)
        rules = RuleSettings()
        self.start_day = start.first_day
        self.clock = SimClock(self.start_day)
        # the model's (greedy and exploring lists), and popularity's (no model)
        self.state = ServingState(self.db, rules, engagement=engagement, clock=self.clock)
        self.plain = ServingState(self.db, rules, engagement=engagement, clock=self.clock)
        self.split = SplitTest(*split)
        self.modelled = any(arm != "popularity" for arm in (split if policy == "split" else (policy,)))
        if self.modelled:
            self._serve(load_live_model(start.model, start.version))
        explore = exploring.model_copy(update={"seed": seed})
        self.builders = {
            "popularity": ListBuilder(self.db, self.plain, rules, ("accessories",), clock=self.clock),
            "greedy": ListBuilder(self.db, self.state, rules, ("accessories",), clock=self.clock),
            "explore": ListBuilder(self.db, self.state, rules, ("accessories",), exploration=explore, clock=self.clock),
        }
        self.rng = np.random.default_rng(seed + 7)
        n_c, n_p = world.ok.shape
        self.bought = np.zeros((n_c, n_p), dtype=np.bool_)
        self.earned = np.zeros((shape.days, n_p))  # expected purchases per day and product, shown lists
        self.views = np.zeros((shape.days, n_p))  # the shoppers' views per day and product
        self.oracle = np.zeros((shape.days, n_p))  # the same under each visitor's best possible list
        self.index = {pid: i for i, pid in enumerate(world.product_ids)}
        self.result = RunResult(policy, seed)
        # the ground truth's expected purchases and clicks per list: of the shown list, and of the greedy list
        self.truth: dict[tuple[str, str], list[float]] = {
            (c, r): [] for c in ("logged", "greedy") for r in ("purchase", "click")
        }

    def run(self) -> RunResult:
        """The whole run in one event loop (the served-list log's group commit lives in it)."""
        return asyncio.run(self._run())

    async def _run(self) -> RunResult:
        activity = self.world.tastes.activity / self.world.tastes.activity.sum()
        for day in range(self.shape.days):
            if day and day % self.shape.week == 0:
                if self.modelled:
                    self._retrain()
                arrive(
                    self.db, [p for p, d in zip(self.world.products, self.world.arrival_day, strict=True) if d == day]
                )
                for state in (self.state, self.plain):
                    state.snapshots.invalidate()
            for state in (self.state, self.plain):
                state.popularity.refresh()
                if state.engagement is not None:  # what yesterday's lists showed and what was opened
                    state.engagement.refresh()
            visitors = self.rng.choice(activity.size, size=self.shape.visits, p=activity)
            signals = await self._day(day, visitors)
            self._send(signals)
            self._decide(day)
        self._finish()
        self.db.dispose()
        return self.result

    def _retrain(self) -> None:
        outcome = run_training(self.settings, self.db, force=True, progress=lambda _m: None)
        self._serve(load_live_model(self.settings.models_dir / outcome.version, outcome.version))

    def _serve(self, model: TrainedModel) -> None:
        self.state.prepare(model)
        self.state.swap_model(model)

    def _arm(self, customer: str) -> str:
        """The builder that serves this shopper: the policy's, or in the split an arm by a stable hash (half each)."""
        if self.policy != "split":
            return self.policy
        digest = hashlib.sha256(f"loop-split:{customer}".encode()).digest()
        return self.split.treatment if digest[0] % 2 else self.split.control

    async def _day(self, day: int, visitors: np.ndarray) -> list[dict[str, object]]:
        signals: list[dict[str, object]] = []
        daily = 0.0
        users = visitors.tolist()
        spacing = timedelta(days=1) / max(len(users), 1)
        for first in range(0, len(users), GROUP):  # served together, as a busy worker does: one commit a group
            group = users[first : first + GROUP]
            self.clock.now = self.start_day + timedelta(days=day) + first * spacing
            arms = [self._arm(self.world.customer_ids[user]) for user in group]
            served = await asyncio.gather(*(self._build(user, arm) for user, arm in zip(group, arms, strict=True)))
            for user, arm, answer in zip(group, arms, served, strict=True):
                daily += self._visit(day, user, arm, answer, signals)
        self.result.daily.append(daily)
        return signals

    async def _build(self, user: int, arm: str) -> ServedList:
        customer = self.world.customer_ids[user]
        spec = ListSpec("home", customer, None, self.shape.limit, RecommendationFilters(), explain=False)
        return await self.builders[arm].build_async(spec)

    def _visit(self, day: int, user: int, arm: str, served: ServedList, signals: list[dict[str, object]]) -> float:
        ids = served.snapshot.ids
        shown = np.array([self.index[ids[i.position]] for i in served.items], dtype=np.int64)
        greedy = np.array([self.index[ids[i.greedy if i.greedy >= 0 else i.position]] for i in served.items])
        broken = ~self.world.told_ok[user, shown] | (self.world.arrival_day[shown] > day)
        self.result.violations += int(broken.sum())
        weights = position_weights(self.shape.limit)[: shown.size]
        fresh = ~self.bought[user]
        value = self.world.probability[user, shown] * fresh[shown] * weights
        expected = float(value.sum())  # the list's expected purchases
        self.earned[day, shown] += value
        self._oracle(day, user, fresh)
        self.truth["logged", "purchase"].append(expected)
        self.truth["greedy", "purchase"].append(
            float((self.world.probability[user, greedy] * fresh[greedy] * weights).sum())
        )
        a = self.world.attract[user, shown].astype(np.float64)
        click = p_click(a)  # the chance that a shown product is opened, once examined
        self.truth["logged", "click"].append(float((click * weights).sum()))
        greedy_clicks = p_click(self.world.attract[user, greedy].astype(np.float64)) * weights
        self.truth["greedy", "click"].append(float(greedy_clicks.sum()))
        examined = self.rng.random(shown.size) < weights
        clicked = examined & (self.rng.random(shown.size) < click)
        np.add.at(self.views[day], shown[clicked], 1.0)
        carted = clicked & (self.rng.random(shown.size) < p_add_to_cart(a))
        bought = carted & fresh[shown] & (self.rng.random(shown.size) < p_buy(a, self.world.ok[user, shown]))
        for action, mask in (("view", clicked), ("add_to_cart", carted), ("purchase", bought)):
            for product in shown[mask].tolist():
                signals.append(self._signal(user, product, action, served.recommendation_id))
        self.bought[user, shown[bought]] = True
        self.result.realised += int(bought.sum())
        if self.policy == "split":
            view_chance = 1.0 - float(np.prod(1.0 - weights * click))
            self.split.add(arm, bool(clicked.any()), bool(carted.any()), bool(bought.any()), view_chance, expected)
        return expected

    def _oracle(self, day: int, user: int, fresh: np.ndarray) -> None:
        p = np.where(self.world.ok[user] & fresh & (self.world.arrival_day <= day), self.world.probability[user], 0.0)
        top = np.argsort(-p, kind="stable")[: self.shape.limit]
        self.oracle[day, top] += p[top] * position_weights(self.shape.limit)[: top.size]

    def _signal(self, user: int, product: int, action: str, list_id: str) -> dict[str, object]:
        return {
            "event_id": uuid.uuid4().hex, "customer_id": self.world.customer_ids[user],
            "product_id": self.world.product_ids[product], "action_type": action,
            "occurred_at": self.clock().isoformat(), "recommendation_id": list_id,
            "price": f"{self.world.prices[product]:.2f}" if action == "purchase" else None,
        }  # fmt: skip

    def _send(self, signals: list[dict[str, object]]) -> None:
        if signals:
            record_signals(db=self.db, checked=check_signals(signals, action_types=self.settings.action_types))

    def _decide(self, day: int) -> None:
        if self.policy == "split":
            self.split.look(day + 1)

    def _finish(self) -> None:
        self.result.halftimes, self.result.censored = halftimes(self.earned, self.oracle, self.world.arrival_day)
        self.result.new_share = shares(self.earned, self.oracle, self.world.arrival_day)
        arrival = self.world.arrival_day
        self.result.new_views = [
            float(self.views[start : start + self.shape.week, arrival == start].sum(axis=0).mean())
            for start in sorted(set(arrival.tolist()) - {0})
            if start < self.shape.days
        ]
        if self.policy == "split":
            self.result.arms, self.result.decided = self.split.rates(), dict(self.split.decided)
            self.result.arm_truth = self.split.truth()
        if "explore" not in (self.policy, self.split.treatment if self.policy == "split" else ""):
            return
        impressions = list(iter_impressions(self.db, include_unrendered=True))  # the simulated shoppers see every list
        # the greedy candidate is read from the exploring lists' greedy products: only where every list is the
        # model's, greedy or exploring (popularity's lists are neither)
        greedy_known = self.policy == "explore" or self.split.control == "greedy"
        for candidate, reward in self.truth:
            if candidate == "greedy" and not greedy_known:
                continue
            evaluation = evaluate_policy(impressions, candidate=candidate, reward=reward, level="list")
            s = evaluation.snips
            truth = float(np.mean(self.truth[candidate, reward]))
            self.result.ope[f"{candidate}, {reward}s"] = (s.value, s.low, s.high, truth)


def halftimes(earned: np.ndarray, oracle: np.ndarray, arrival: np.ndarray) -> tuple[list[float], int]:
    """Per cohort of new products: the days from its arrival until its share of the day's expected purchases first
    reaches half its share under the best possible lists (its true share); a cohort that never does counts the days
    it had (censored)."""
    out: list[float] = []
    censored = 0
    days = earned.shape[0]
    for start in sorted(set(arrival.tolist()) - {0}):
        if start >= days:
            continue
        cohort = arrival == start
        reached = None
        for day in range(start, days):
            share = earned[day, cohort].sum() / max(earned[day].sum(), 1e-12)
            true = oracle[day, cohort].sum() / max(oracle[day].sum(), 1e-12)
            if share >= 0.5 * true:
                reached = day - start + 1
                break
        if reached is None:
            censored += 1
            reached = days - start
        out.append(float(reached))
    return out, censored


def shares(earned: np.ndarray, oracle: np.ndarray, arrival: np.ndarray) -> list[float]:
    """Per cohort of new products: its share of the expected purchases from its arrival to the end, over its share
    under the best possible lists (1: as much as its true share)."""
    out = []
    for start in sorted(set(arrival.tolist()) - {0}):
        if start < earned.shape[0]:
            cohort = arrival == start
            share = earned[start:, cohort].sum() / max(earned[start:].sum(), 1e-12)
            true = oracle[start:, cohort].sum() / max(oracle[start:].sum(), 1e-12)
            out.append(float(share / max(true, 1e-12)))
    return out
