"""The multi-host test (`make test-cluster`): real traffic through HAProxy to three application hosts on one database
host (`benchmarks.cluster`), while a scenario kills, restarts or promotes. Each scenario reports requests sent, failed
(with the cause) and acknowledged signals lost (counted in the database afterwards; must be 0).

The scenarios run in this order on one cluster; each starts with every host serving again.
"""

from __future__ import annotations

import signal
import time
import urllib.request
from collections.abc import Callable

import pytest

from benchmarks.cluster.cluster import Cluster
from benchmarks.cluster.load import Outcome, Traffic
from benchmarks.cluster.report import ScenarioReport, summarise

pytestmark = pytest.mark.cluster

RATE = 40.0  # requests a second through the balancer (a quarter of them signal batches)
DOWN_AFTER = 3.0  # seconds the balancer may take to stop sending to a dead replica (2 failed checks, 1 s apart)
SWITCH_WITHIN = 5.0  # seconds every host may take to serve a promoted version
RECOVERED_WITHIN = 12.0  # seconds after the database is back by which every request succeeds again


@pytest.fixture(autouse=True)
def healed(cluster: Cluster) -> None:
    """Every scenario starts with the database up and every application host serving."""
    database = cluster.database
    if database.postgres is not None and not database.postgres.running:
        database.start_postgres()
    for app in cluster.apps:
        if not app.program.running:
            app.start()
    cluster.wait_serving()


def under_load(
    cluster: Cluster, report: ScenarioReport, seconds: float, act: Callable[[float], None] | None = None
) -> list[Outcome]:
    """Traffic for `seconds` while `act(start)` runs; the report filled in from it."""
    traffic = Traffic(*cluster.entry, cluster.shop, label=f"{report.name}-{time.time_ns()}", rate=RATE)
    traffic.start()
    start = time.monotonic()
    try:
        if act is not None:
            act(start)
        time.sleep(max(0.0, start + seconds - time.monotonic()))
    finally:
        outcomes = traffic.stop()
    summary = summarise(report.name, outcomes, cluster.database_url)
    for name in ("sent", "failed", "causes", "acknowledged_signals", "lost_signals"):
        setattr(report, name, getattr(summary, name))
    return outcomes


def test_steady_load(cluster: Cluster, scenario: ScenarioReport) -> None:
    outcomes = under_load(cluster, scenario, 12)
    served = {o.served_by for o in outcomes}
    scenario.notes.append(f"answered by {sorted(served)}")
    assert scenario.failed == 0, scenario.causes
    assert scenario.acknowledged_signals > 0 and scenario.lost_signals == 0
    assert served == {a.host for a in cluster.apps}


def test_sigkill_of_one_replica(cluster: Cluster, scenario: ScenarioReport) -> None:
    killed: dict[str, float] = {}

    def kill(start: float) -> None:
        time.sleep(max(0.0, start + 4 - time.monotonic()))
        cluster.app("app2").program.send(signal.SIGKILL)
        killed["at"] = time.monotonic()

    outcomes = under_load(cluster, scenario, 14, kill)
    at = killed["at"]
    later = [o for o in outcomes if o.failed and o.started > at + 0.05]
    after_down = [o for o in outcomes if o.started > at + DOWN_AFTER]
    scenario.notes.append(f"in flight at the kill: {sum(o.started <= at < o.ended for o in outcomes)}")
    assert not later, f"requests sent after the kill failed: {[o.cause for o in later][:5]}"
    assert not any(o.served_by == "app2" for o in after_down), "the balancer still sends to the dead replica"
    assert all(not o.failed for o in after_down)
    assert scenario.lost_signals == 0


def test_rolling_restart(cluster: Cluster, scenario: ScenarioReport) -> None:
    taken_out_first: dict[str, bool] = {}

    def roll(_start: float) -> None:
        for app in cluster.apps:
            began = time.monotonic()
            taken_out_first[app.host] = _terminate(cluster, app.host)
            stopped = time.monotonic()
            cluster.restart(app.host)
            scenario.notes.append(
                f"{app.host}: exited {stopped - began:.1f} s after SIGTERM "
                f"({'out of' if taken_out_first[app.host] else 'still in'} the balancer by then), "
                f"serving again {time.monotonic() - stopped:.1f} s later"
            )

    under_load(cluster, scenario, 2, roll)
    assert scenario.failed == 0, scenario.causes
    assert scenario.lost_signals == 0
    # Draining: the replica's /readyz fails first, so the balancer stops sending before the replica exits (without
    # the balancer's retries, which not every balancer has, a replica that exits first fails requests).
    assert all(taken_out_first.values()), f"the balancer still counted these up when they exited: {taken_out_first}"


def _terminate(cluster: Cluster, name: str) -> bool:
    """SIGTERM a replica and wait for its exit; whether the balancer had taken it out (DOWN) before it exited."""
    program = cluster.app(name).program
    program.send(signal.SIGTERM)
    out = False
    deadline = time.monotonic() + 60
    while program.running and time.monotonic() < deadline:
        out = out or cluster.balancer.states().get(name, "").startswith(("DOWN", "NOLB", "MAINT", "DRAIN"))
        time.sleep(0.1)
    program.stop(signal.SIGKILL)
    return out


def test_promotion_under_load(cluster: Cluster, scenario: ScenarioReport) -> None:
    old, new = cluster.versions
    promoted: dict[str, float] = {}

    def promote(start: float) -> None:
        time.sleep(max(0.0, start + 3 - time.monotonic()))
        host, port = cluster.entry
        request = urllib.request.Request(f"http://{host}:{port}/api/admin/models/{new}/promote", method="POST",
                                         headers={"X-API-Key": cluster.admin_key})  # fmt: skip
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
        promoted["at"] = time.monotonic()

    outcomes = under_load(cluster, scenario, 12, promote)
    lists = [o for o in outcomes if o.kind == "list" and not o.failed]
    at = promoted["at"]
    switched = {app.host: _first(lists, app.host, new) for app in cluster.apps}
    scenario.notes.append("new version served after: " + ", ".join(
        f"{host} {'never' if t is None else f'{t - at:.1f} s'}" for host, t in switched.items()))  # fmt: skip
    scenario.notes.append(f"versions answered: {sorted({str(o.version) for o in lists})} (old {old}, new {new})")
    assert scenario.failed == 0, scenario.causes
    assert {o.version for o in lists if o.ended < at - 0.5} == {old}, "before the promotion every host serves the old"
    assert all(t is not None and t - at <= SWITCH_WITHIN for t in switched.values())
    for host, t in switched.items():  # once a host serves the new version it never answers with the old one again
        assert all(o.version == new for o in lists if o.served_by == host and t is not None and o.started > t)
    assert {o.version for o in lists if o.started > at + SWITCH_WITHIN} == {new}
    assert scenario.lost_signals == 0


def _first(lists: list[Outcome], host: str, version: str) -> float | None:
    return min((o.ended for o in lists if o.served_by == host and o.version == version), default=None)


def test_database_restart(cluster: Cluster, scenario: ScenarioReport) -> None:
    window: dict[str, float] = {}

    def restart(start: float) -> None:
        time.sleep(max(0.0, start + 4 - time.monotonic()))
        window["stop"] = time.monotonic()
        cluster.database.stop_postgres()
        time.sleep(4)
        cluster.database.start_postgres()
        window["back"] = time.monotonic()

    outcomes = under_load(cluster, scenario, 26, restart)
    stop, back = window["stop"], window["back"]
    failed = [o for o in outcomes if o.failed]
    late = [o for o in failed if o.started > back + RECOVERED_WITHIN or o.ended < stop]
    bad = [o for o in failed if o.status != 503 or o.retry_after is None]
    recovered = max((o.ended for o in failed), default=back) - back
    scenario.notes.append(f"database down {back - stop:.1f} s; last failure {recovered:.1f} s after it was back")
    assert not bad, f"failures other than 503 with Retry-After: {[o.cause for o in bad][:5]}"
    assert not late, f"failures outside the outage: {[o.cause for o in late][:5]}"
    assert any(not o.failed and o.kind == "signals" for o in outcomes if o.started > back + RECOVERED_WITHIN)
    assert scenario.lost_signals == 0
