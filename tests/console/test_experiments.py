"""The console's experiments page, in Chromium against a real server: an experiment created through the API is
started from the page, its results drawn per arm with their intervals, and an arm shipped; each change audited."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import AuditEvent
from tests.console.conftest import Console, call
from tests.console.test_console import confirm, sign_in, token_for

pytestmark = pytest.mark.slow


def test_an_experiment_is_started_read_and_shipped_from_the_console(console: Console, page: Any) -> None:
    headers = {"Authorization": f"Bearer {token_for(console, console.admin_email)}"}
    arms = [
        {"name": "control", "share": 0.5, "control": True},
        {"name": "varied", "share": 0.5, "policy": {"diversity": 0.8, "profile_weight": 4}},
    ]
    body = {"name": "More varied home lists", "placements": ["home"], "arms": arms}
    experiment = call(console.base, "POST", "/api/admin/experiments", headers, body)["id"]

    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/experiments")
    panel = f"section[data-experiment='{experiment}']"
    page.wait_for_selector(f"body[data-ready] {panel}[data-status=draft]")
    assert "diversity 0.8" in page.inner_text(panel) and "profile weight 4" in page.inner_text(panel)
    page.click(f"{panel} button[data-action=start]")
    confirm(page)
    page.wait_for_selector(f"{panel}[data-status=running]")

    page.click(f"{panel} button[data-action=results]")
    page.wait_for_selector(f"{panel} table.results")
    arms_shown = page.locator(f"{panel} table.results tbody tr[data-metric=conversion]").evaluate_all(
        "rows => rows.map(r => r.dataset.arm)"
    )
    assert arms_shown == ["control", "varied"]  # control first, each arm's four metrics
    assert page.locator(f"{panel} tr[data-arm=varied][data-metric=conversion] [data-verdict]").count() == 1

    page.click(f"{panel} button[data-action=ship]:has-text('control')")  # the default policy: the shop unchanged
    confirm(page)
    page.wait_for_selector(f"{panel}[data-status=shipped]")
    db = Database(console.database_url)
    with db.read() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.target == experiment))]
    db.dispose()
    assert actions == ["experiment.create", "experiment.start", "experiment.ship"]
