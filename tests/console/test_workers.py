"""The console on a server of two worker processes: a training started from the page is followed to its end, whichever
worker answers each poll (only the worker that trains knows its stages; the others' answers fall back on the list of
versions)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from benchmarks.server import running_server
from optirec.store import Database
from optirec.store.tables import ModelVersion
from tests.console.conftest import Console
from tests.console.test_console import TRAINING_MS, confirm, sign_in

pytestmark = pytest.mark.slow


def test_a_training_is_followed_to_its_end_across_two_workers(console: Console, page: Any) -> None:
    with running_server(console.server.env, workers=2) as server:
        two = Console(server, console.database_url, console.admin_email, console.customer_email, console.password)
        sign_in(page, two, two.admin_email)
        page.wait_for_selector("body[data-ready] .stats")
        page.goto(f"{two.base}/admin/models")
        page.wait_for_selector("body[data-ready] table.versions")
        before = page.locator("table.versions tbody tr").count()
        page.click("#train")
        confirm(page)
        page.wait_for_selector(".training .progress[data-state=finished]", timeout=TRAINING_MS)
        assert page.locator("table.versions tbody tr").count() == before + 1
        db = Database(console.database_url, pool_size=1)
        with db.read() as session:
            newest = session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc())).first()
        db.dispose()
        assert newest is not None and newest.id in page.inner_text(".training")
