"""`make bench-storefront`: how fast the storefront's home page shows its recommendations, in Chromium, and how much
the storefront's own JavaScript and CSS weigh.

On the demo shop (loaded and trained as `make bench-serve` does, or a database given with `--database-url`), a real
server with one worker on loopback; Debian's Chromium opens the home page `--loads` times and reads when the list was
on screen (the page's `optirec:recommendations-visible` mark, milliseconds from the start of the navigation): for a
first visit (a new browser profile each time: no cache, a new anonymous session), for a returning anonymous shopper,
and for the signed-in demo customer (a personalized list). It prints the median and the slowest, and the gzip size of
every file under `storefront/static` (level 9, as a server or CDN would send them).
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from benchmarks.server import Server, bench_database, running_server, server_env
from optirec.store import Database
from optirec.storefront.views import STATIC

console = Console(width=140)
CHROMIUM = os.environ.get("OPTIREC_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]  # fmt: skip
MARK = "optirec:recommendations-visible"
TARGET_MS = 300.0


def asset_sizes() -> dict[str, tuple[int, int]]:
    """Per kind of file (js, css, html, svg): bytes as written and gzipped."""
    sizes: dict[str, tuple[int, int]] = {}
    for path in sorted(STATIC.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            kind = path.suffix.lstrip(".")
            before, after = sizes.get(kind, (0, 0))
            sizes[kind] = (before + len(raw), after + len(gzip.compress(raw, compresslevel=9)))
    return sizes


def _visible_ms(page: Any, url: str) -> float:
    page.goto(url)
    # The list's section gets its recommendation_id in the same step as the mark (a selector, not a polled script:
    # the pages' Content-Security-Policy forbids the `eval` that Playwright's polling would need).
    page.wait_for_selector("section[data-recommendation-id]", timeout=15_000)
    return float(page.evaluate(f"performance.getEntriesByName('{MARK}')[0].startTime"))


def measure(server: Server, loads: int, email: str, password: str) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    home = f"{server.base}/shop/"
    found: dict[str, list[float]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        first = []
        for _ in range(loads):
            context = browser.new_context()
            first.append(_visible_ms(context.new_page(), home))
            context.close()
        found["first visit (new profile each load)"] = first
        context = browser.new_context()
        page = context.new_page()
        _visible_ms(page, home)
        found["returning anonymous shopper"] = [_visible_ms(page, home) for _ in range(loads)]
        page.goto(f"{server.base}/shop/sign-in")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("button[type=submit]")
        page.wait_for_url(home)
        found["signed-in demo customer"] = [_visible_ms(page, home) for _ in range(loads)]
        context.close()
        browser.close()
    return found


def report(found: dict[str, list[float]], loads: int) -> None:
    table = Table(
        title=f"home page: recommendations visible, ms from navigation start (Chromium, loopback, {loads} loads)"
    )
    for column in ("shopper", "median", "p90", "slowest", f"under {TARGET_MS:g} ms"):
        table.add_column(column)
    for name, values in found.items():
        ordered = sorted(values)
        median = statistics.median(ordered)
        table.add_row(name, f"{median:.0f}", f"{ordered[int(0.9 * (len(ordered) - 1))]:.0f}", f"{ordered[-1]:.0f}",
                      "yes" if median < TARGET_MS else "NO")  # fmt: skip
    console.print(table)


def report_sizes() -> None:
    sizes = asset_sizes()
    table = Table(title="the storefront's own files (src/optirec/storefront/static)")
    for column in ("kind", "bytes", "gzip -9 bytes"):
        table.add_column(column)
    for kind, (raw, packed) in sizes.items():
        table.add_row(kind, f"{raw:,}", f"{packed:,}")
    code = [sizes.get(k, (0, 0)) for k in ("js", "css")]
    total = sum(p for _, p in code)
    table.add_row("js + css", f"{sum(r for r, _ in code):,}", f"{total:,} ({total / 1024:.1f} KB; target < 100 KB)")
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument(
        "--demo-dir", type=Path, default=Path(os.environ.get("OPTIREC_BENCH_DEMO_DIR", "var/bench/demo"))
    )
    parser.add_argument("--demo-events", type=int, default=1_000_000)
    parser.add_argument("--train-seconds", type=float, default=60.0, help="network training budget")
    parser.add_argument("--train-signals", type=int, default=1_000_000)
    parser.add_argument("--database-url", help="measure a demo shop already loaded (and trained) in this database")
    parser.add_argument("--sizes-only", action="store_true", help="print the files' sizes only")
    args = parser.parse_args()
    report_sizes()
    if args.sizes_only:
        return
    if not Path(CHROMIUM).exists():
        parser.error(f"Chromium is missing at {CHROMIUM}: install it with `apt-get install chromium`")
    with tempfile.TemporaryDirectory() as data:
        if args.database_url:
            found = _serve_and_measure(args.database_url, Path(data), args.loads)
        else:
            with bench_database("sqlite") as url:
                _load_and_train(url, Path(data), args)
                found = _serve_and_measure(url, Path(data), args.loads)
    report(found, args.loads)


def _load_and_train(url: str, data: Path, args: argparse.Namespace) -> None:
    """The demo shop as `make demo` loads it (the demo login included), and its first model."""
    from optirec.demo.load import load_demo_shop
    from optirec.settings import Settings
    from optirec.training.pipeline import run_training

    settings = Settings(
        database_url=url, data_dir=data, training_max_seconds=args.train_seconds,
        training_max_signals=args.train_signals, _env_file=None,
    )  # fmt: skip
    db = Database(url, pool_size=2)
    load_demo_shop(settings, db, args.demo_dir, events=args.demo_events, progress=False)
    console.print("demo shop loaded; training its model…")
    run_training(settings, db)
    db.dispose()


def _serve_and_measure(url: str, data: Path, loads: int) -> dict[str, list[float]]:
    from optirec.demo.customers import DEMO_EMAIL
    from optirec.demo.load import DEMO_PASSWORD

    with running_server(server_env(url, data)) as server:
        return measure(server, loads, DEMO_EMAIL, DEMO_PASSWORD)


if __name__ == "__main__":
    main()
