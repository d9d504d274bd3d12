"""An experiment's results per arm, the difference of each arm to control, and the guardrail.

A list counts for its arm (`served_recommendations.arm`); its outcomes are the signals that carry its
`recommendation_id` within the attribution window after it (as `attribution` and `impressions` count them): a view
(click-through), an add-to-cart, a purchase (conversion) and the purchases' revenue (revenue per list, every list
counting, those without a purchase as 0). Each metric gets a 95 % interval per arm and, for every arm but control,
the always-valid interval and p-value of its difference to control (`sequential`).

**The guardrail**: an arm whose conversion is worse than control's by the always-valid test (its interval of the
difference lies wholly below 0) is stopped, its shoppers served the default policy from the next refresh on. It is
checked each time the results are read (API, CLI, console) and every `OPTIREC_EXPERIMENT_GUARDRAIL_MINUTES` by the
service (`check_guardrails`); the test being always valid, checking it often does not raise its error rate.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from optirec.audit import service as audit
from optirec.recommend import experiments
from optirec.recommend.assignment import RUNNING
from optirec.recommend.impressions import CLOCK_SKEW, DEFAULT_WINDOW
from optirec.recommend.sequential import (
    Sequential,
    mean_difference,
    mean_interval,
    rate_difference,
    sample_variance,
    wilson,
)
from optirec.store import Database
from optirec.store.tables import Experiment, ServedRecommendation, Signal

RATES = {"click_through": "view", "add_to_cart_rate": "add_to_cart", "conversion": "purchase"}
GUARDRAIL_METRIC = "conversion"
log = logging.getLogger("optirec.experiments")


class MetricResult(BaseModel):
    value: float
    low: float  # 95 % interval of the arm's value (one look)
    high: float
    difference: float | None = None  # this arm − control (None for control)
    difference_low: float | None = None  # always-valid 95 % interval of the difference (None: unbounded yet)
    difference_high: float | None = None
    p_value: float | None = None  # always-valid p-value of "no difference"
    verdict: str | None = None  # better | worse | undecided


class ArmResult(BaseModel):
    name: str
    control: bool
    share: float
    stopped: str | None
    lists: int
    metrics: dict[str, MetricResult]  # click_through, add_to_cart_rate, conversion, revenue_per_list


class ExperimentResults(BaseModel):
    experiment: experiments.ExperimentPublic
    window_hours: int
    arms: list[ArmResult]
    stopped_now: list[str]  # arms the guardrail stopped at this reading


@dataclass
class _Counts:
    lists: int = 0
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RATES.values(), 0))
    revenue: float = 0.0
    revenue_squares: float = 0.0


def _counts(session: Session, experiment: Experiment, window: timedelta) -> dict[str, _Counts]:
    """Per arm name: lists served, lists with each outcome, revenue and its sum of squares (per list)."""
    labels = {f"{experiment.id}/{arm['name']}": arm["name"] for arm in experiment.arms}
    counts = {name: _Counts() for name in labels.values()}
    served = ServedRecommendation
    for label, lists in session.execute(
        select(served.arm, func.count()).where(served.arm.in_(list(labels))).group_by(served.arm)
    ):
        counts[labels[str(label)]].lists = int(lists)
    query = (
        select(served.id, served.arm, served.served_at)
        .add_columns(Signal.action_type, Signal.occurred_at, Signal.price, Signal.quantity)
        .join(Signal, Signal.recommendation_id == served.id)
        .where(served.arm.in_(list(labels)), Signal.action_type.in_(list(RATES.values())))
    )  # fmt: skip
    per_list: dict[str, tuple[str, set[str], float]] = {}
    for list_id, label, served_at, action, when, price, quantity in session.execute(query):
        if not served_at - CLOCK_SKEW <= when <= served_at + window:
            continue
        name, actions, revenue = per_list.get(list_id, (labels[str(label)], set(), 0.0))
        actions.add(action)
        if action == "purchase" and price is not None:
            revenue += float(price) * quantity
        per_list[list_id] = (name, actions, revenue)
    for name, actions, revenue in per_list.values():
        arm = counts[name]
        for action in actions:
            arm.actions[action] += 1
        arm.revenue += revenue
        arm.revenue_squares += revenue * revenue
    return counts


def _bound(value: float) -> float | None:
    return None if math.isinf(value) else value


def _metric(value: float, low: float, high: float, test: Sequential | None) -> MetricResult:
    if test is None:
        return MetricResult(value=value, low=low, high=high)
    return MetricResult(
        value=value, low=low, high=high, difference=test.difference, difference_low=_bound(test.low),
        difference_high=_bound(test.high), p_value=test.p_value, verdict=test.verdict,
    )  # fmt: skip


def _metrics(arm: _Counts, control: _Counts | None) -> dict[str, MetricResult]:
    out: dict[str, MetricResult] = {}
    n = arm.lists
    for metric, action in RATES.items():
        hits = arm.actions[action]
        interval = wilson(hits, n)
        test = rate_difference((hits, n), (control.actions[action], control.lists)) if control is not None else None
        out[metric] = _metric(hits / n if n else 0.0, interval.low, interval.high, test)
    mean = arm.revenue / n if n else 0.0
    interval = mean_interval(mean, sample_variance(arm.revenue, arm.revenue_squares, n), n)
    test = None
    if control is not None:
        test = mean_difference(
            (arm.revenue, arm.revenue_squares, n), (control.revenue, control.revenue_squares, control.lists)
        )
    out["revenue_per_list"] = _metric(round(mean, 4), interval.low, interval.high, test)
    return out


def compute(*, session: Session, experiment: Experiment, window: timedelta = DEFAULT_WINDOW) -> list[ArmResult]:
    """The results of each arm, control first."""
    counts = _counts(session, experiment, window)
    control_arm = next(arm for arm in experiment.arms if arm.get("control"))
    control = counts[control_arm["name"]]
    out = []
    for arm in sorted(experiment.arms, key=lambda a: not a.get("control")):
        mine = counts[arm["name"]]
        out.append(
            ArmResult(
                name=arm["name"], control=bool(arm.get("control")), share=float(arm["share"]),
                stopped=arm.get("stopped"), lists=mine.lists,
                metrics=_metrics(mine, None if arm.get("control") else control),
            )
        )  # fmt: skip
    return out


def harmful(arms: list[ArmResult]) -> list[str]:
    """The arms, still serving, that the guardrail stops: conversion worse than control's by the always-valid test."""
    return [
        arm.name
        for arm in arms
        if not arm.control and arm.stopped is None and arm.metrics[GUARDRAIL_METRIC].verdict == "worse"
    ]


def results(*, db: Database, experiment_id: str, window: timedelta = DEFAULT_WINDOW, **who: Any) -> ExperimentResults:
    """The results, after the guardrail's check: a running experiment's harmful arms are stopped first (recorded as
    `who`, the reader)."""
    with db.read() as session:
        experiment = experiments.get(session=session, experiment_id=experiment_id)
        arms = compute(session=session, experiment=experiment, window=window)
        public = experiments.ExperimentPublic.model_validate(experiment)
    stopped = harmful(arms) if public.status == RUNNING else []
    if stopped:
        public = _stop(db, experiment_id, stopped, arms, **who)
        arms = [
            arm.model_copy(update={"stopped": next(a.stopped for a in public.arms if a.name == arm.name)})
            for arm in arms
        ]
    return ExperimentResults(
        experiment=public, window_hours=int(window.total_seconds() // 3600), arms=arms, stopped_now=stopped
    )


def _stop(db: Database, experiment_id: str, names: list[str], arms: list[ArmResult], **who: Any) -> Any:
    with db.write() as session:
        row = None
        for name in names:
            test = next(a for a in arms if a.name == name).metrics[GUARDRAIL_METRIC]
            reason = (
                f"conversion worse than control's by the always-valid test (difference {test.difference:+.4f}, "
                f"p = {test.p_value:.4f})"
            )
            row = experiments.stop_arm(session=session, experiment_id=experiment_id, arm=name, reason=reason, **who)
        return experiments.ExperimentPublic.model_validate(row)


def check_guardrails(db: Database, **who: Any) -> dict[str, list[str]]:
    """Every running experiment's guardrail; per experiment id, the arms stopped now."""
    with db.read() as session:
        ids = list(session.scalars(select(Experiment.id).where(Experiment.status == RUNNING)))
    out = {}
    for experiment_id in ids:
        stopped = results(db=db, experiment_id=experiment_id, **who).stopped_now
        if stopped:
            out[experiment_id] = stopped
    return out


class GuardrailWatch:
    """Checks every running experiment's guardrail every `minutes` in a thread of the worker (0: never), as the
    schedule (`audit.SCHEDULE_ACTOR`), then runs `after` (the list builder reads its book again)."""

    def __init__(self, db: Database, minutes: float, after: Callable[[], None]) -> None:
        self._db, self._seconds, self._after = db, minutes * 60, after
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._seconds > 0:
            self._thread = threading.Thread(target=self._run, name="optirec-guardrail", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self._seconds):
            try:
                if check_guardrails(self._db, actor=audit.SCHEDULE_ACTOR):
                    self._after()
            except Exception:  # the check must outlive a database hiccup
                log.exception("guardrail check failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
