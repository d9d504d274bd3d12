"""`optirec serve` and `optirec migrate`."""

from __future__ import annotations

import os
import shutil
import signal
from typing import Annotated, Any

import typer

from optirec.console import console, load_settings
from optirec.runtime.drain import stopped_on_sigterm
from optirec.runtime.listen import SPREADS_CONNECTIONS, address_holder
from optirec.settings import Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (settings from OPTIREC_* variables or .env)."""
    import uvicorn

    from optirec.runtime.supervisor import Supervisor

    settings = load_settings()
    _require_signing_secret(settings)
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
    options["timeout_graceful_shutdown"] = settings.shutdown_timeout_seconds
    signal.signal(signal.SIGTERM, stopped_on_sigterm)  # a drained stop ends with status 0 (`runtime.drain`)
    if workers == 1:  # the process is the worker: it exits if the worker dies, for systemd to restart it
        uvicorn.run("optirec.runtime.asgi:create", **options)
        return
    # uvicorn's supervisor (gateway/supervisor.py), with a listening socket per worker (gateway/listen.py)
    config = uvicorn.Config("optirec.runtime.asgi:create", workers=workers, **options)
    try:
        listening = address_holder(host, port) if SPREADS_CONNECTIONS else config.bind_socket()
    except OSError as error:
        raise typer.BadParameter(f"cannot listen on {host}:{port}: {error.strerror}", param_hint="--port") from None
    with listening:
        supervisor = Supervisor(config, sockets=[listening])
        supervisor.run()
    if supervisor.exit_status:
        raise typer.Exit(supervisor.exit_status)


def _require_signing_secret(settings: Settings) -> None:
    """Refuse to start, with the reason, where no worker could (`runtime.state.require_explicit_secret`)."""
    from optirec.errors import OptirecError
    from optirec.runtime.state import require_explicit_secret

    try:
        require_explicit_secret(settings)
    except OptirecError as error:
        console.print(f"[red]cannot start:[/red] {error.message}")
        raise typer.Exit(2) from None


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


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)
    app.command()(settings)
