"""The console's browser tests: Debian's Chromium, driven by Playwright, against a real `optirec serve` on a small
generated demo shop with a trained model, some lists served through the API and the signals that followed them
(built once per test session, on SQLite). The same conventions as `tests/storefront/`: one Playwright per module.

Where Chromium is missing, these tests fail and say how to install it; they never skip.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from benchmarks.server import Server, running_server, server_env
from optirec.auth import service as auth_service
from optirec.runtime.state import build_state
from optirec.store.tables import Customer
from tests.storefront.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP, PHONE, chromium, page

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "DESKTOP", "PHONE", "Console", "chromium", "page"]
SECRET = "console-test-secret-of-sufficient-length-0123456789"
LISTS = 60  # lists served through the API before the tests, each followed by a view (some by a cart, a purchase)


@dataclass(frozen=True)
class Console:
    server: Server
    database_url: str
    admin_email: str
    customer_email: str
    password: str

    @property
    def base(self) -> str:
        return self.server.base


def call(base: str, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=headers)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"null")


def serve_lists(base: str, key: str, customers: list[str]) -> None:
    """Lists asked for as the shop's server asks (a service key naming the customer), and the signals a shopper
    sends after them, each carrying its list's `recommendation_id`."""
    headers = {"X-API-Key": key}
    signals = []
    now = datetime.now(UTC).isoformat()
    for k in range(LISTS):
        customer = customers[k % len(customers)]
        body = {"customer_id": customer, "limit": 8, "context": {"page": "home"}}
        answer = call(base, "POST", "/api/recommendations/personalized", headers, body)
        first = answer["items"][0]["product"]
        common = {"customer_id": customer, "product_id": first["id"], "recommendation_id": answer["recommendation_id"],
                  "occurred_at": now}  # fmt: skip
        signals.append({**common, "event_id": f"view-{k}", "action_type": "view"})
        if k % 3 == 0:
            signals.append({**common, "event_id": f"cart-{k}", "action_type": "add_to_cart"})
        if k % 6 == 0:
            signals.append({**common, "event_id": f"buy-{k}", "action_type": "purchase", "price": first["price"]})
    call(base, "POST", "/api/recommendations/signals", headers, {"signals": signals})
    # A shop's retries and mistakes, for the signal intake: five sent again (duplicates), two the API refuses.
    refused = [{**signals[0], "event_id": f"bad-{k}", "action_type": "stare"} for k in range(2)]
    call(base, "POST", "/api/recommendations/signals", headers, {"signals": signals[:5] + refused})


@pytest.fixture(scope="session")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A small demo shop (200 products, 400 customers, 20,000 events), loaded as `optirec demo` loads it (with its
    administrator account), a model trained on it, a real server, and lists served with their signals."""
    from optirec.demo.load import load_demo_shop
    from optirec.demo.shop import generate_demo_shop
    from optirec.migrate import upgrade
    from optirec.settings import Settings
    from optirec.training.pipeline import run_training

    root = tmp_path_factory.mktemp("console")
    generate_demo_shop(root / "shop", seed=11, products=200, customers=400, days=14, events=20_000, progress=False)
    url = f"sqlite:///{root / 'optirec.db'}"
    settings = Settings(
        database_url=url, data_dir=root / "var", secret_key=SECRET,  # type: ignore[arg-type]
        training_max_seconds=10, _env_file=None,  # type: ignore[call-arg]
    )  # fmt: skip
    upgrade(url)
    state = build_state(settings)
    loaded = load_demo_shop(settings, state.db, root / "shop", events=20_000, progress=False)
    outcome = run_training(settings, state.db)
    assert outcome.promoted, outcome.metrics
    with state.db.write() as session:
        _key, key = auth_service.create_api_key(session=session, name="shop server", role="service")
    with state.db.read() as session:
        customers = list(session.scalars(select(Customer.id).where(Customer.role == "customer").limit(20)))
    state.db.dispose()
    env = server_env(
        url, root / "var", OPTIREC_SECRET_KEY=SECRET, OPTIREC_LOGIN_RATE_LIMIT_PER_MINUTE="1000",
        OPTIREC_TRAINING_MAX_SECONDS="10",
        OPTIREC_CONSOLE_CACHE_SECONDS="0",  # the pages are compared with the database at once (the cache: overview/)
    )  # fmt: skip
    with running_server(env) as server:
        serve_lists(server.base, key, customers)
        yield Console(server, url, loaded.admin_email, loaded.customer_email, loaded.password)
