"""A shopper's journey through the storefront in Chromium, then what the database holds of it.

Anonymous browse → product page (from "For you") → a similar frame → three round tortoise frames → sign in →
"For you" reflects the viewed frames → add to cart → complete the look → checkout. Then: every step's signal is stored
once, attributed to the list it came from, the anonymous ones now the customer's; and no frame recommended to the
signed-in shopper, nor any listed with "frames that fit me" on, breaks their prescription or fit (the project's own
rule code decides).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.rules import check_frame
from optirec.eyewear.wearer import Frame, Wearer
from optirec.store import Database
from optirec.store.tables import Customer, Product, ServedRecommendation, Signal
from tests.storefront.conftest import Shop

pytestmark = pytest.mark.slow


def _for_you(page: Any) -> tuple[str, list[str], list[list[str]]]:
    """The home page's list: its recommendation_id, product ids and each item's reasons."""
    page.wait_for_selector("body[data-ready] section[data-recommendation-id] .cards")
    section = page.locator("section[data-recommendation-id]")
    cards = section.locator(".card")
    ids = [cards.nth(k).get_attribute("data-product-id") or "" for k in range(cards.count())]
    reasons = [cards.nth(k).locator(".reasons li").all_inner_texts() for k in range(cards.count())]
    return section.get_attribute("data-recommendation-id") or "", ids, reasons


def _round_tortoise(db: Database, count: int) -> list[tuple[str, str]]:
    with db.read() as session:
        rows = session.execute(
            select(Product.id, Product.name).where(
                Product.shape == "round", Product.colour == "tortoise", Product.category == "eyeglasses",
                Product.active.is_(True), Product.stock > 0,
            ).order_by(Product.id)
        ).all()  # fmt: skip
    assert len(rows) >= count, "the generated shop should hold a few round tortoise glasses"
    return [(pid, name) for pid, name in rows[:count]]


def _open_product(page: Any, href: str | None = None, *, click: str | None = None) -> str:
    """Open a product page by its address or by clicking a link; its id once every part of it is filled."""
    if click is not None:
        with page.expect_navigation():
            page.locator(click).first.click()
    else:
        page.goto(href)
    page.wait_for_selector("body[data-ready] .fit h2")
    return page.url.rsplit("/", 1)[-1]


def test_journey_signals_attribution_and_fit(shop: Shop, page: Any) -> None:
    db = Database(shop.database_url, pool_size=1)
    started = datetime.now(UTC)
    tortoise = _round_tortoise(db, 3)

    # anonymous: home, then the first frame of "For you"
    page.goto(f"{shop.base}/shop/")
    home_list, home_ids, _ = _for_you(page)
    first = _open_product(page, click=".card-link")
    assert first == home_ids[0] and "rec=" not in page.url  # the list's id travels off the address
    similar_list = page.locator("section[data-recommendation-id]").get_attribute("data-recommendation-id")
    similar = _open_product(page, click="section[data-recommendation-id] .card-link")
    for product_id, _name in tortoise:  # three round tortoise frames
        _open_product(page, f"{shop.base}/shop/frames/{product_id}")
    session_id = page.evaluate("JSON.parse(localStorage.getItem('optirec.session')).id")

    # sign in: the anonymous browsing becomes the customer's
    page.goto(f"{shop.base}/shop/sign-in")
    page.fill("#email", shop.demo_email)
    page.fill("#password", shop.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{shop.base}/shop/")
    customer_list, customer_ids, reasons = _for_you(page)
    names = [name for _pid, name in tortoise]
    said = [reason for item in reasons for reason in item]
    assert any(name in reason for name in names for reason in said), said  # "Similar to …, which you viewed"
    assert customer_ids != home_ids

    # add to cart from "For you", complete the look, checkout
    bought = _open_product(page, click="section[data-recommendation-id] .card-link")
    page.click("text=Add to cart")
    page.wait_for_selector(".added a")
    page.goto(f"{shop.base}/shop/cart")
    page.wait_for_selector("body[data-ready] .look[data-recommendation-id] .card")
    look = page.locator(".look")
    look_list = look.get_attribute("data-recommendation-id")
    extra = look.locator(".card").first.get_attribute("data-product-id")
    look.locator(".card button").first.click()
    page.wait_for_selector(f".cart-line[data-product-id='{extra}']")
    page.goto(f"{shop.base}/shop/checkout")
    page.click("text=Place order")
    page.wait_for_selector("text=Thank you: your order is placed")

    # "frames that fit me", signed in
    page.goto(f"{shop.base}/shop/frames?category=eyeglasses&fits=1")
    page.wait_for_selector("body[data-ready] .results .card")
    listed = page.locator(".results .card").evaluate_all("cards => cards.map(c => c.dataset.productId)")
    assert "hidden:" in page.inner_text("[data-fit-counts]")

    with db.read() as session:
        customer = session.scalar(select(Customer).where(Customer.email == shop.demo_email))
        assert customer is not None
        signals = session.scalars(select(Signal).where(Signal.session_id == session_id)).all()
        served = session.scalars(select(ServedRecommendation).where(ServedRecommendation.served_at >= started)).all()
        profile = customer.profile
        products = {p.id: p for p in session.scalars(select(Product))}
    steps = sorted((s.action_type, s.product_id, s.recommendation_id) for s in signals)
    expected = sorted([
        ("view", first, home_list), ("view", similar, similar_list),
        *[("view", product_id, None) for product_id, _ in tortoise],
        ("view", bought, customer_list), ("add_to_cart", bought, customer_list), ("add_to_cart", extra, look_list),
        ("purchase", bought, customer_list), ("purchase", extra, look_list),
    ])  # fmt: skip
    assert steps == expected  # each step stored once, attributed to the list it came from
    assert {s.customer_id for s in signals} == {customer.id}  # the anonymous ones became the customer's
    for purchase in (s for s in signals if s.action_type == "purchase"):
        assert purchase.quantity == 1 and purchase.price == products[purchase.product_id].price
    lists = {row.id: row for row in served}
    for signal in signals:
        if signal.recommendation_id is not None:  # the list existed and showed that product
            assert signal.product_id in {item["product_id"] for item in lists[signal.recommendation_id].items}

    rules = RuleSettings()
    wearer = Wearer.from_profile(profile)
    assert wearer.rx is not None and wearer.face_width_mm is not None  # the demo login has both on file
    shown = {item["product_id"] for row in served if row.customer_id == customer.id for item in row.items}
    assert shown and listed
    for product_id in shown | set(listed):
        verdict = check_frame(Frame.from_product(products[product_id], rules), wearer, rules)
        assert verdict.passed, (product_id, [r.reason for r in verdict.failures])
    db.dispose()
