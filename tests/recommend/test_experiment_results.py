"""The service's own guardrail check (`experiment_results.GuardrailWatch`): without anyone reading the results, a
running experiment's arm whose conversion is worse than control's is stopped, recorded as the schedule's."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient
from sqlalchemy import select

from optirec.audit.service import SCHEDULE_ACTOR
from optirec.recommend.experiment_results import GuardrailWatch, check_guardrails
from optirec.store import Database
from optirec.store.tables import AuditEvent, Experiment
from tests.api.test_experiments import harmful_experiment


def test_the_guardrail_is_checked_on_a_schedule(
    client: TestClient, db: Database, service_headers: dict[str, str], admin_headers: dict[str, str]
) -> None:
    experiment, _lists, _expected = harmful_experiment(client, db, service_headers, admin_headers)
    called = threading.Event()
    watch = GuardrailWatch(db, minutes=0.002, after=called.set)  # every 0.12 s
    watch.start()
    try:
        assert called.wait(timeout=30), "the guardrail was not checked"
    finally:
        watch.stop()
    with db.read() as session:
        row = session.get(Experiment, experiment)
        assert row is not None and row.status == "running"  # the other arms go on
        stopped = {arm["name"]: arm.get("stopped") for arm in row.arms}
        events = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "experiment.guardrail")))
    assert stopped["control"] is None and stopped["harmful"] and "conversion worse" in stopped["harmful"]
    assert [(e.actor, e.target, e.detail["arm"]) for e in events] == [(SCHEDULE_ACTOR, experiment, "harmful")]
    assert check_guardrails(db, actor=SCHEDULE_ACTOR) == {}  # stopped once: nothing more to stop
