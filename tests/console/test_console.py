"""The console in Chromium against a real optirec: an administrator signs in, reads the overview's charts, trains a
model and sees it finish, promotes a version and rolls back, and finds both in the audit log; a customer's account
opens nothing. What the pages say is checked against the database and the API."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from sqlalchemy import func, select

from optirec.store import Database
from optirec.store.tables import AuditEvent, ModelVersion, Product, ServedRecommendation
from tests.console.conftest import LISTS, Console

pytestmark = pytest.mark.slow
TRAINING_MS = 240_000  # a training of the small shop, on a machine shared with other work


def sign_in(page: Any, console: Console, email: str) -> None:
    page.goto(f"{console.base}/admin/")
    page.wait_for_selector("body[data-ready] #email")
    page.fill("#email", email)
    page.fill("#password", console.password)
    page.click("button[type=submit]")


def confirm(page: Any) -> None:
    page.wait_for_selector("dialog[open]")
    page.click("dialog[open] button[value=yes]")


def token_for(console: Console, email: str) -> str:
    form = urllib.parse.urlencode({"username": email, "password": console.password}).encode()
    with urllib.request.urlopen(f"{console.base}/api/auth/token", data=form, timeout=30) as response:
        return str(json.loads(response.read())["access_token"])


def status_of(console: Console, method: str, path: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    request = urllib.request.Request(f"{console.base}{path}", method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_an_administrator_signs_in_and_the_overview_draws_its_charts(console: Console, page: Any) -> None:
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    db = Database(console.database_url, pool_size=1)
    with db.read() as session:
        products = session.scalar(select(func.count()).select_from(Product).where(Product.active.is_(True)))
        served = session.scalar(select(func.count()).select_from(ServedRecommendation))
    names, values = page.locator(".stat dt").all_inner_texts(), page.locator(".stat-value").all_inner_texts()
    stats = dict(zip(names, values, strict=True))
    assert stats["Products"] == f"{products:,}" and served is not None and served >= LISTS
    assert stats["Lists served, last 24 hours"] == f"{served:,}"
    with db.read() as session:
        live = session.scalar(select(ModelVersion.id).where(ModelVersion.status == "live"))
    db.dispose()
    assert stats["Live model"] == live  # the version the fixture trained

    bars = page.locator("svg.chart rect.chart-bar")  # signals per hour: the lists' signals were sent just now
    assert bars.count() == 24 and max(float(b.get_attribute("height") or 0) for b in bars.all()) > 0
    lines = page.locator("svg.chart polyline.chart-line")  # click-through, cart rate, conversion, revenue
    assert lines.count() >= 4 and all(line.get_attribute("points") for line in lines.all())
    click_through = page.locator("svg.chart circle.chart-point:not(.chart-key) title").first.text_content() or ""
    assert "%" in click_through  # a share, formatted for people
    assert page.locator("table").filter(has_text="Each worker process").locator("tbody tr").count() >= 1

    # the token is this tab's only: nothing in localStorage, no cookie
    assert page.evaluate("sessionStorage.getItem('optirec.console')") is not None
    assert page.evaluate("localStorage.length") == 0 and page.context.cookies() == []


def test_train_promote_and_roll_back_and_find_them_in_the_audit_log(console: Console, page: Any) -> None:
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/models")
    page.wait_for_selector("body[data-ready] table.versions")
    before = page.locator("table.versions tbody tr").count()

    page.click("#train")
    confirm(page)
    page.wait_for_selector(".training .progress[data-state=running]")
    page.wait_for_selector(".training .progress[data-state=finished]", timeout=TRAINING_MS)
    assert page.locator("table.versions tbody tr").count() == before + 1
    db = Database(console.database_url, pool_size=1)
    with db.read() as session:
        newest = session.scalars(select(ModelVersion).order_by(ModelVersion.created_at.desc())).first()
    assert newest is not None and newest.id in page.inner_text(".training")
    shown = page.locator(f"tr[data-version='{newest.id}']")
    assert shown.get_attribute("data-status") == newest.status

    # promote a version that is not live, after the confirmation; then roll back
    button = page.locator("button[data-promote]").first
    version = button.get_attribute("data-promote")
    button.click()
    confirm(page)
    page.wait_for_selector(f"tr[data-version='{version}'][data-status=live]")
    with db.read() as session:
        assert session.scalar(select(ModelVersion.id).where(ModelVersion.status == "live")) == version
    page.click("#rollback")
    confirm(page)
    page.wait_for_selector(f"tr[data-version='{version}'][data-status=rejected]")
    with db.read() as session:
        live = session.scalar(select(ModelVersion.id).where(ModelVersion.status == "live"))
        recorded = [(e.action, e.target) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        metrics = {v.id: v.metrics for v in session.scalars(select(ModelVersion))}
    db.dispose()
    assert live != version
    assert recorded[-3:] == [("model.train", ""), ("model.promote", version), ("model.rollback", live)]

    # compare the two: each version's own held-out metrics, side by side
    page.select_option("#compare-a", live)
    page.select_option("#compare-b", version)
    rows = page.locator(".compare tbody tr")
    cells = [rows.nth(k).locator("td").all_inner_texts() for k in range(rows.count())]
    compared = {row[0]: row[1:3] for row in cells}
    a, b = (metrics[v]["candidate"]["ndcg@10"] for v in (live, version))
    assert compared["NDCG@10"] == [f"{a:.3f}", f"{b:.3f}"]

    page.goto(f"{console.base}/admin/audit")
    page.wait_for_selector("body[data-ready] table.audit")
    rows = page.locator("table.audit tbody tr")
    newest_first = [rows.nth(k).inner_text() for k in range(3)]
    assert f"Rolled back to model version {live} (from {version})" in newest_first[0]
    assert f"Promoted model version {version}" in newest_first[1]
    assert "Started a training" in newest_first[2]
    assert all(console.admin_email in row for row in newest_first)


def test_a_customer_opens_neither_the_console_nor_any_admin_endpoint(console: Console, page: Any) -> None:
    sign_in(page, console, console.customer_email)
    page.wait_for_selector("body[data-refused]")
    assert page.inner_text("h1") == "Administrators only"
    assert console.customer_email in page.inner_text("main")
    assert page.evaluate("sessionStorage.length") == 0  # the customer's token is dropped at once

    # a customer's token put where the console keeps its own still opens nothing
    token = token_for(console, console.customer_email)
    held = json.dumps({"token": token, "email": console.customer_email, "expires": 4102444800000})
    pages = ("/admin/", "/admin/models", "/admin/audit", "/admin/customers", "/admin/customers?id=x", "/admin/products",
             "/admin/products/x", "/admin/coverage", "/admin/intake", "/admin/keys")  # fmt: skip
    for path in pages:
        page.evaluate("held => sessionStorage.setItem('optirec.console', held)", held)
        page.goto(f"{console.base}{path}")
        page.wait_for_selector("body[data-refused]")
        assert page.inner_text("h1") == "Administrators only", path

    with urllib.request.urlopen(f"{console.base}/openapi.json", timeout=30) as response:
        paths = json.loads(response.read())["paths"]
    operations = [
        (method.upper(), re.sub(r"\{[a-z_]+\}", "x", path))
        for path, methods in paths.items() if path.startswith("/api/admin") for method in methods
    ]  # fmt: skip
    operations += [("GET", "/admin/charts/signals-per-hour.svg"), ("GET", "/admin/charts/daily/revenue.svg")]
    refused = {f"{method} {path}": status_of(console, method, path, token) for method, path in operations}
    assert len(refused) >= 25 and set(refused.values()) == {403}, refused  # the inspectors' endpoints included


def test_an_api_key_is_created_shown_once_revoked_and_audited(console: Console, page: Any) -> None:
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/keys")
    page.wait_for_selector("body[data-ready] #key-name")
    page.fill("#key-name", "checkout server")
    page.select_option("#key-role", "service")
    page.click("form.panel button[type=submit]")
    secret = page.inner_text("#new-key")
    key_id = page.locator("tr", has_text="checkout server").get_attribute("data-key")
    assert status_of(console, "GET", "/api/admin/models", secret) == 403  # a working key, a server's: not an admin's

    page.click(f"button[data-revoke='{key_id}']")
    confirm(page)
    page.wait_for_selector(f"tr[data-key='{key_id}'][data-state=revoked]")
    assert status_of(console, "GET", "/api/admin/models", secret) == 401  # refused from now on
    page.reload()
    page.wait_for_selector("body[data-ready] table.keys")
    assert secret not in page.content()  # shown that once

    page.goto(f"{console.base}/admin/audit")
    page.wait_for_selector("body[data-ready] table.audit")
    newest = page.locator("table.audit tbody tr").all_inner_texts()[:2]
    assert "Revoked the service API key “checkout server”" in newest[0]
    assert "Created the service API key “checkout server”" in newest[1]
    assert all(console.admin_email in row for row in newest)
