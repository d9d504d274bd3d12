"""`optirec serve` and `optirec migrate`."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Annotated, Any

import typer

from optirec.console import console, load_settings, open_database, print_report
from optirec.gateway.listen import SPREADS_CONNECTIONS, address_holder
from optirec.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (settings from OPTIREC_* variables or .env)."""
    import uvicorn

    from optirec.gateway.supervisor import Supervisor

    settings = load_settings()
    if workers > 1:
        # Each worker keeps its own metrics; Prometheus' multi-process mode sums them on /metrics.
        metrics_dir = settings.data_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir.resolve())
    console.print(
        f"optirec serving on http://{host}:{port} ({workers} worker(s), {settings.database_url.split(':')[0]})"
    )
    if settings.storefront:
        console.print(f"[bold]storefront[/bold]: http://{host}:{port}/shop/")
    options: dict[str, Any] = dict(factory=True, host=host, port=port, access_log=False, log_level="warning",
                                   proxy_headers=False)  # fmt: skip
    if workers == 1:  # the process is the worker: it exits if the worker dies, for systemd to restart it
        uvicorn.run("optirec.asgi:create", **options)
        return
    # uvicorn's supervisor (gateway/supervisor.py), with a listening socket per worker (gateway/listen.py)
    config = uvicorn.Config("optirec.asgi:create", workers=workers, **options)
    try:
        listening = address_holder(host, port) if SPREADS_CONNECTIONS else config.bind_socket()
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}", param_hint="--port") from None
    with listening:
        supervisor = Supervisor(config, sockets=[listening])
        supervisor.run()
    if supervisor.exit_status:
        raise typer.Exit(supervisor.exit_status)


def migrate() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from optirec.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    console.print("database schema is up to date")


def settings() -> None:
    """Print every setting with its default and meaning (the table of docs/settings.md)."""
    from optirec.settings import settings_markdown

    typer.echo(settings_markdown(), nl=False)


def demo(
    folder: Annotated[Path, typer.Option(help="Where the generated demo shop is kept.")] = Path("var/demo"),
    events: Annotated[int, typer.Option(min=1000, help="Simulated events to generate (first run only).")] = 1_000_000,
) -> None:
    """Load the demo eyewear shop (generated on first use) and print the demo credentials. Safe to run again."""
    import time

    from optirec.demo.load import load_demo_shop
    from optirec.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    started = time.perf_counter()
    from optirec.demo.load import NotADemoDatabase

    try:
        with console.status("loading the demo shop (generated on first use)…"):
            loaded = load_demo_shop(settings, open_database(settings), folder, events=events, progress=True)
    except NotADemoDatabase as refused:
        console.print(f"[red]{refused.message}[/red]")
        raise typer.Exit(1) from None
    for name, report in (("products", loaded.products), ("customers", loaded.customers), ("events", loaded.events)):
        print_report(report, name)
    console.print(f"demo shop ready in {time.perf_counter() - started:.0f} s")
    _first_model(settings)
    console.print(f"[bold]demo customer[/bold]: {loaded.customer_email} / {loaded.password}")
    console.print(f"[bold]administrator[/bold]: {loaded.admin_email} / {loaded.password}")


def _first_model(settings: Settings) -> None:
    """Train the demo's first model unless one is live already (popularity serves until then)."""
    from optirec.state import AppState
    from optirec.training.registry import live_version
    from optirec.training.scheduler import train_once

    state = AppState.build(settings)
    with state.db.read() as session:
        live = live_version(session=session)
    if live is not None:
        console.print(f"model {live.id} is live")
        return
    console.print(f"training the first model (at most {settings.training_max_seconds:.0f} s of network training)…")
    train_once(state, progress=console.print)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)
    app.command()(settings)
    app.command()(demo)
