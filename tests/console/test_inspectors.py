"""The console's inspectors in Chromium against a real optirec: a customer found by e-mail, their prescription masked
until revealed and the reveal in the audit log; what they would see now (not logged as served); their data exported
and erased; a product's performance and whom it fits; the catalog's fit coverage. What the pages say is checked
against the database and against the scalar eyewear rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import check_frame
from optirec.eyewear.wearer import Eye, Frame, Wearer
from optirec.store import Database
from optirec.store.tables import Customer, CustomerProfile, Product, ServedRecommendation, Signal
from tests.console.conftest import Console
from tests.console.test_console import confirm, sign_in

pytestmark = pytest.mark.slow
RULES = RuleSettings()


def signed(value: float | None) -> str:
    """As the console writes a power: +1.25, −2.00."""
    if value is None:
        return "—"
    return f"{'+' if value > 0 else '−' if value < 0 else ''}{abs(value):.2f}"


def with_prescription(db: Database, *, email: bool) -> tuple[str, str | None, dict[str, Any]]:
    """A demo customer with a prescription and signals, with an e-mail address (the demo's customer account) or
    without one (one the shop loaded): (id, e-mail, prescription as stored)."""
    with db.read() as session:
        row = session.execute(
            select(Customer.id, Customer.email, CustomerProfile.prescription)
            .join(CustomerProfile)
            .where(Customer.role == "customer", CustomerProfile.prescription.is_not(None))
            .where(Customer.email.is_not(None) if email else Customer.email.is_(None))
            .where(select(Signal.id).where(Signal.customer_id == Customer.id).exists())
            .order_by(Customer.id)
            .limit(1)
        ).one()
    return row[0], row[1], row[2]


def test_a_customer_is_inspected_the_prescription_revealed_and_the_reveal_audited(console: Console, page: Any) -> None:
    db = Database(console.database_url, pool_size=1)
    customer_id, email, prescription = with_prescription(db, email=True)
    assert email is not None
    with db.read() as session:
        served_before = session.scalar(select(func.count()).select_from(ServedRecommendation))
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/customers")
    page.wait_for_selector("body[data-ready] #customer-q")
    page.fill("#customer-q", email.upper())  # e-mail addresses are found whatever their case
    page.press("#customer-q", "Enter")
    page.wait_for_selector("body[data-ready] #prescription")
    assert page.inner_text("h1") == email

    masked = page.inner_text("#prescription")
    right = prescription["right"]
    assert signed(right["sph"]) not in masked and "Reveal the prescription" in masked
    items = page.locator(".would-see .items > li")
    assert items.count() > 0 and all(item.locator(".reasons li").count() > 0 for item in items.all())
    assert page.locator(".would-see table.filters tbody tr").count() > 0  # the filter counts
    with db.read() as session:
        signals = session.scalar(select(func.count()).select_from(Signal).where(Signal.customer_id == customer_id))
        assert session.scalar(select(func.count()).select_from(ServedRecommendation)) == served_before  # not logged
    assert page.locator("table.signals tbody tr").count() == min(20, signals or 0)

    page.click("#reveal")
    page.wait_for_selector("#prescription[data-revealed] table")
    cells = page.locator("#prescription tbody tr").first.locator("td").all_inner_texts()
    assert cells[1] == signed(right["sph"]) and cells[2] == signed(right.get("cyl") or 0.0)

    page.goto(f"{console.base}/admin/audit")
    page.wait_for_selector("body[data-ready] table.audit")
    newest = page.locator("table.audit tbody tr").first.inner_text()
    assert f"Revealed the prescription of customer {customer_id}" in newest and console.admin_email in newest
    assert signed(right["sph"]) not in newest
    db.dispose()


def test_a_customer_is_exported_then_erased_after_a_confirmation(console: Console, page: Any, tmp_path: Path) -> None:
    db = Database(console.database_url, pool_size=1)
    customer_id, email, _rx = with_prescription(db, email=False)
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/customers?id={customer_id}")
    page.wait_for_selector("body[data-ready] #erase")
    with page.expect_download() as download:
        page.click("#export")
    saved = tmp_path / "export.json"
    download.value.save_as(saved)
    exported = json.loads(saved.read_text())
    assert exported["customer"]["id"] == customer_id and exported["customer"]["email"] == email

    page.click("#erase")
    page.wait_for_selector("dialog[open]")
    page.click("dialog[open] button[value=no]")  # Cancel erases nothing
    with db.read() as session:
        assert session.get(Customer, customer_id) is not None
    page.click("#erase")
    confirm(page)
    page.wait_for_selector("#erased")
    with db.read() as session:
        assert session.get(Customer, customer_id) is None
        assert not session.scalar(select(func.count()).select_from(Signal).where(Signal.customer_id == customer_id))

    page.goto(f"{console.base}/admin/audit")
    page.wait_for_selector("body[data-ready] table.audit")
    newest = page.locator("table.audit tbody tr").all_inner_texts()[:2]
    assert f"Erased customer {customer_id}" in newest[0]
    assert f"Exported everything held on customer {customer_id}" in newest[1]
    db.dispose()


def _wearer(profile: CustomerProfile) -> Wearer:
    return Wearer.from_profile(profile)


def test_a_product_shows_its_performance_and_whom_it_fits(console: Console, page: Any) -> None:
    db = Database(console.database_url, pool_size=1)
    with db.read() as session:
        product = session.scalars(
            select(Product).where(Product.category == "eyeglasses", Product.active.is_(True)).order_by(Product.id)
        ).first()
        assert product is not None
        frame = Frame.from_product(product, RULES)
        views = session.scalar(
            select(func.count())
            .select_from(Signal)
            .where(Signal.product_id == product.id, Signal.action_type == "view")
        )
        profiles = list(session.scalars(select(CustomerProfile).join(Customer).where(Customer.role == "customer")))
        wearers = [_wearer(p) for p in profiles if p.prescription is not None or p.face_width_mm is not None]
    fits = sum(1 for w in wearers if check_frame(frame, w, RULES).passed)  # the scalar rules, one customer at a time

    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/products")
    page.wait_for_selector("body[data-ready] #product-q")
    page.fill("#product-q", product.id)
    page.press("#product-q", "Enter")
    page.wait_for_selector("body[data-ready] #fit-share")
    assert page.inner_text("h1").startswith(product.name)
    assert page.locator(".frame-box svg").count() == 1  # the storefront's drawing
    names = page.locator(".stat dt").all_inner_texts()
    values = page.locator(".stat-value").all_inner_texts()
    assert dict(zip(names, values, strict=True))["Views"] == f"{views:,}"
    share = page.inner_text("#fit-share")
    assert f"{fits:,} of {len(wearers):,}" in share
    assert page.locator("section[aria-labelledby=similar-products] .items > li").count() > 0
    db.dispose()


def test_coverage_shows_where_the_catalog_leaves_customers_nothing(console: Console, page: Any) -> None:
    db = Database(console.database_url, pool_size=1)
    with db.read() as session:
        products = session.scalars(
            select(Product).where(Product.category == "eyeglasses", Product.active.is_(True), Product.stock > 0)
        )
        frames = [Frame.from_product(p, RULES) for p in products]
    db.dispose()
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/coverage")
    page.wait_for_selector("body[data-ready] table.heat")
    assert page.locator("table.heat").count() == 2
    cells = page.locator("table.heat td")
    assert cells.count() == 2 * 9 * 4 * 6
    zeros = page.locator("table.heat td[data-frames='0']").count()
    assert page.inner_text("#empty-cells") == f"{zeros:,}"
    empty = page.locator("table.heat td[data-frames='0']").all()
    stranded = sum(int(cell.get_attribute("data-customers") or 0) for cell in empty)
    assert page.inner_text("#without-choice") == f"{stranded:,}"

    eye = Eye(-3.0, -0.5, 180)  # one cell, counted with the scalar rules
    wearer = Wearer(right=eye, left=eye, pd_mm=63.0, face_width_mm=135.0)
    expected = sum(1 for f in frames if check_frame(f, wearer, RULES).passed)
    cell = page.locator(
        "table.heat[data-progressive=false] td[data-sphere='-3'][data-cylinder='-0.5'][data-face='135']"
    )
    assert cell.get_attribute("data-frames") == str(expected)


def test_signal_intake_shows_what_arrived_per_hour(console: Console, page: Any) -> None:
    db = Database(console.database_url, pool_size=1)
    since = datetime.now(UTC) - timedelta(hours=23)
    since = since.replace(minute=0, second=0, microsecond=0)
    with db.read() as session:
        stored = session.scalar(select(func.count()).select_from(Signal).where(Signal.received_at >= since)) or 0
    db.dispose()
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    page.goto(f"{console.base}/admin/intake")
    page.wait_for_selector("body[data-ready] table.intake")
    names = page.locator(".stat dt").all_inner_texts()
    values = page.locator(".stat-value").all_inner_texts()
    stats = dict(zip(names, values, strict=True))
    accepted = int(stats["Accepted, last 24 hours"].replace(",", ""))
    # What arrived is counted as it arrived: the signals of a customer erased since (another test erases one) are
    # gone from the table but were accepted all the same.
    assert stored <= accepted <= stored + 200 and accepted > 20_000
    hours = page.locator("table.intake tbody tr")
    assert hours.count() == 24
    assert sum(int(row.get_attribute("data-accepted") or 0) for row in hours.all()) == accepted
    header = page.locator("table.intake thead").inner_text()
    assert "Duplicates" in header and "Rejected" in header
    assert (stats["Duplicates"], stats["Rejected"]) == ("5", "2")  # the fixture's retries and refused signals
