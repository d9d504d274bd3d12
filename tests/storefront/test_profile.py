"""The profile form: an impossible prescription gets the API's own message beside the field and in a GOV.UK-style
summary at the top, for an anonymous shopper (checked by POST /api/fit/wearer, kept in the tab) and for a signed-in
customer (PATCH /api/customers/me, stored)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.storefront.conftest import Shop

pytestmark = pytest.mark.slow
IMPOSSIBLE = "Sphere (SPH) must be between -20.00 and +20.00; yours reads -25.00"


def _enter_impossible_prescription(page: Any) -> None:
    page.wait_for_selector("form.profile")
    page.fill("#prescription\\.right\\.sph", "−25.00")  # typed with a real minus sign, as prescriptions print it
    page.fill("#prescription\\.left\\.sph", "-2.25")
    page.fill("#prescription\\.left\\.cyl", "-0.75")
    page.fill("#prescription\\.left\\.axis", "180")
    page.click("button:text('Save')")
    page.wait_for_selector(".error-summary")


def _sees_the_message(page: Any) -> None:
    summary = page.locator(".error-summary")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")  # focus moves to it
    assert IMPOSSIBLE in summary.inner_text()
    assert summary.locator("a").first.get_attribute("href") == "#prescription.right.sph"
    beside = page.locator("#prescription\\.right\\.sph-error")
    assert IMPOSSIBLE in beside.inner_text()
    field = page.locator("#prescription\\.right\\.sph")
    assert field.get_attribute("aria-invalid") == "true"
    assert "prescription.right.sph-error" in (field.get_attribute("aria-describedby") or "")


def test_an_anonymous_shopper_sees_the_apis_message_beside_the_field(shop: Shop, page: Any) -> None:
    page.goto(f"{shop.base}/shop/profile")
    _enter_impossible_prescription(page)
    _sees_the_message(page)
    assert page.evaluate("sessionStorage.getItem('optirec.wearer')") is None  # nothing kept that the API refused
    page.fill("#prescription\\.right\\.sph", "-2.50")
    page.click("button:text('Save')")
    page.wait_for_selector("text=Saved.")
    assert page.locator(".error-summary").count() == 0
    assert page.evaluate("JSON.parse(sessionStorage.getItem('optirec.wearer')).segment.prescription_kind") == "myopia"


def test_a_customer_sees_the_apis_message_beside_the_field(shop: Shop, page: Any) -> None:
    page.goto(f"{shop.base}/shop/register")
    page.fill("#email", f"shopper-{uuid.uuid4().hex[:8]}@example.com")
    page.fill("#password", "short")
    page.click("button[type=submit]")
    page.wait_for_selector(".error-summary")
    assert "String should have at least 10 characters" in page.inner_text("#password-error")
    page.fill("#password", "a long enough password")
    page.click("button[type=submit]")
    page.wait_for_url(f"{shop.base}/shop/")
    page.goto(f"{shop.base}/shop/profile")
    _enter_impossible_prescription(page)
    _sees_the_message(page)
