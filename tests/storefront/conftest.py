"""The storefront's browser tests: Debian's Chromium, driven by Playwright, against a real `optirec serve` on a small
generated demo shop with a trained model (built once per test session, on SQLite).

Where Chromium is missing, these tests fail and say how to install it; they never skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchmarks.server import Server, running_server, server_env
from optirec.runtime.state import build_state

CHROMIUM = os.environ.get("OPTIREC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]  # fmt: skip
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
SECRET = "storefront-test-secret-of-sufficient-length-0123456789"


@dataclass(frozen=True)
class Shop:
    server: Server
    database_url: str
    demo_email: str
    password: str

    @property
    def base(self) -> str:
        return self.server.base


@pytest.fixture(scope="session")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    """A small demo shop (300 frames and accessories, 600 customers, 40,000 events), loaded as `optirec demo` loads
    it, a model trained on it, and a real server."""
    from optirec.demo.load import load_demo_shop
    from optirec.demo.shop import generate_demo_shop
    from optirec.migrate import upgrade
    from optirec.settings import Settings
    from optirec.training.pipeline import run_training

    root = tmp_path_factory.mktemp("storefront")
    generate_demo_shop(root / "shop", seed=7, products=300, customers=600, days=30, events=40_000, progress=False)
    url = f"sqlite:///{root / 'optirec.db'}"
    settings = Settings(
        database_url=url, data_dir=root / "var", secret_key=SECRET,  # type: ignore[arg-type]
        training_max_seconds=10, _env_file=None,  # type: ignore[call-arg]
    )  # fmt: skip
    upgrade(url)
    state = build_state(settings)
    loaded = load_demo_shop(settings, state.db, root / "shop", events=40_000, progress=False)
    outcome = run_training(settings, state.db)
    assert outcome.promoted, outcome.metrics
    state.db.dispose()
    env = server_env(url, root / "var", OPTIREC_SECRET_KEY=SECRET, OPTIREC_LOGIN_RATE_LIMIT_PER_MINUTE="1000")
    with running_server(env) as server:
        yield Shop(server, url, loaded.customer_email, loaded.password)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright (never a browser Playwright would download). Per module: Playwright's
    synchronous API runs an event loop in this thread while it is open, and later tests run their own
    (`asyncio.run` refuses to start inside another)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the storefront's browser tests need Debian's package. Install it with "
            "`apt-get install chromium` (as root; .ci/run does), or point OPTIREC_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Any) -> Iterator[Any]:
    """A fresh desktop browser context (no cookies, storage or session), failing the test on a script error."""
    context = chromium.new_context(viewport=DESKTOP)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert errors == [], errors
