"""axe-core (shipped inside `axe-playwright-python`, no network) on every page of the console, at phone and desktop
widths: no serious or critical violation, and no page wider than the screen. With `OPTIREC_SCREENSHOTS=<folder>` it
also saves a screenshot of each page there (docs/admin/ holds the ones docs/admin.md shows)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select

from optirec.store import Database
from optirec.store.tables import Product
from tests.console.conftest import DESKTOP, PHONE, Console
from tests.console.test_console import sign_in
from tests.console.test_inspectors import with_prescription

pytestmark = pytest.mark.slow


def inspected(console: Console) -> tuple[str, str, str]:
    """A customer with a prescription and signals, and a frame: (customer id, product id, the product's brand)."""
    db = Database(console.database_url, pool_size=1)
    customer_id, _email, _rx = with_prescription(db, email=False)
    with db.read() as session:
        frame = session.scalars(select(Product).where(Product.category == "eyeglasses").order_by(Product.id)).first()
    db.dispose()
    assert frame is not None and frame.brand is not None
    return customer_id, frame.id, frame.brand


SERIOUS = {"serious", "critical"}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_serious_accessibility_violation_on_any_page(
    console: Console, chromium: Any, viewport: dict[str, int]
) -> None:
    context = chromium.new_context(viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    axe = Axe()
    found: dict[str, list[str]] = {}
    checked: list[str] = []
    folder = os.environ.get("OPTIREC_SCREENSHOTS")
    width = "phone" if viewport == PHONE else "desktop"

    def check(name: str) -> None:
        page.wait_for_selector("body[data-ready]")
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
        checked.append(name)
        if page.evaluate("document.documentElement.scrollWidth > innerWidth"):  # nothing wider than the screen
            found.setdefault(name, []).append("the page scrolls sideways")
        if bad:
            found[name] = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad]
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name.replace(' ', '-')}-{width}.png"), full_page=True)

    page.goto(f"{console.base}/admin/")
    page.wait_for_selector("#email")
    check("sign-in")
    sign_in(page, console, console.admin_email)
    page.wait_for_selector("body[data-ready] .stats")
    check("overview")
    page.goto(f"{console.base}/admin/models")
    page.wait_for_selector("table.versions")
    check("models")
    page.click("#train")
    page.wait_for_selector("dialog[open]")
    check("models confirm")
    page.click("dialog[open] button[value=no]")
    page.goto(f"{console.base}/admin/keys")
    page.wait_for_selector("#key-name")
    page.click("form.panel button[type=submit]")  # no name: the form says what to do
    page.wait_for_selector(".created .notice-error")
    check("keys")
    customer_id, product_id, brand = inspected(console)
    page.goto(f"{console.base}/admin/customers?id={customer_id}")
    page.wait_for_selector(".would-see .items, .would-see .notice")
    check("customer")
    page.click("#reveal")
    page.wait_for_selector("#prescription[data-revealed]")
    check("customer revealed")
    page.click("#erase")
    page.wait_for_selector("dialog[open]")
    check("customer erase confirm")
    page.click("dialog[open] button[value=no]")
    page.goto(f"{console.base}/admin/products?q={brand}")
    check("products")
    page.goto(f"{console.base}/admin/products/{product_id}")
    page.wait_for_selector("#fit-share")
    check("product")
    page.goto(f"{console.base}/admin/coverage")
    page.wait_for_selector("table.heat")
    check("coverage")
    page.goto(f"{console.base}/admin/intake")
    page.wait_for_selector("table.intake")
    check("intake")
    page.goto(f"{console.base}/admin/audit")
    check("audit")
    page.goto(f"{console.base}/admin/experiments")
    check("experiments")
    page.click("button.link-button")  # sign out
    page.wait_for_url(f"{console.base}/admin/sign-in")
    sign_in(page, console, console.customer_email)
    page.wait_for_selector("body[data-refused]")
    check("administrators only")
    context.close()
    assert errors == [], errors
    assert found == {}, found
    assert len(checked) == 15
