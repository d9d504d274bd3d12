"""axe-core (shipped inside `axe-playwright-python`, no network) on every page of the storefront, at phone and
desktop widths, anonymous and signed in, with an error shown: no serious or critical violation."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.storefront.conftest import DESKTOP, PHONE, Shop

pytestmark = pytest.mark.slow
SERIOUS = {"serious", "critical"}


def _settled(page: Any) -> None:
    """Every part of the page the API fills has been filled (the shell marks it)."""
    page.wait_for_selector("body[data-ready]")


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_no_serious_accessibility_violation_on_any_page(shop: Shop, chromium: Any, viewport: dict[str, int]) -> None:
    context = chromium.new_context(viewport=viewport)
    context.set_default_timeout(15_000)
    page = context.new_page()
    axe = Axe()
    found: dict[str, list[str]] = {}
    checked: list[str] = []

    def check(name: str) -> None:
        _settled(page)
        results = axe.run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
        checked.append(name)
        if bad:
            found[name] = [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad]

    page.goto(f"{shop.base}/shop/")
    check("home")
    page.goto(f"{shop.base}/shop/frames?category=eyeglasses")
    check("listing")
    with page.expect_navigation():
        page.locator(".results .card-link").first.click()
    check("product")
    page.click("text=Add to cart")
    page.goto(f"{shop.base}/shop/cart")
    page.wait_for_selector(".look .card")
    check("cart")
    page.goto(f"{shop.base}/shop/checkout")
    check("checkout")
    page.goto(f"{shop.base}/shop/register")
    check("register")
    page.goto(f"{shop.base}/shop/profile")
    page.fill("#prescription\\.right\\.sph", "-2.30")
    page.click("button:text('Save')")
    page.wait_for_selector(".error-summary")
    check("profile with an error")
    page.goto(f"{shop.base}/shop/sign-in")
    check("sign in")
    page.fill("#email", shop.demo_email)
    page.fill("#password", shop.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{shop.base}/shop/")
    check("home, signed in")
    page.goto(f"{shop.base}/shop/frames?category=eyeglasses&fits=1")
    check("listing, frames that fit me")
    with page.expect_navigation():
        page.locator(".results .card-link").first.click()
    page.wait_for_selector(".rules")
    check("product with its fit panel")
    page.goto(f"{shop.base}/shop/profile")
    check("profile, signed in")
    context.close()
    assert found == {}, found
    assert len(checked) == 12


def _tab_to(page: Any, selector: str, most: int = 40) -> None:
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_keyboard_alone_reaches_a_frame_and_puts_it_in_the_cart(shop: Shop, page: Any) -> None:
    page.goto(f"{shop.base}/shop/")
    page.wait_for_selector("body[data-ready]")
    _tab_to(page, ".skip-link")
    _tab_to(page, ".card-link")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_selector("body[data-ready]")
    assert "/shop/frames/" in page.url
    _tab_to(page, ".buy button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".added a")
    assert page.inner_text("[data-cart-count]") == "1"
