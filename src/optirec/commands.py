"""`optirec serve` and `optirec migrate`."""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer

from optirec.console import console, load_settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Serve the API (settings from OPTIREC_* variables or .env)."""
    import uvicorn

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
    uvicorn.run(
        "optirec.asgi:create",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
        proxy_headers=False,
    )


def migrate() -> None:
    """Create or upgrade the database schema (safe to run again)."""
    from optirec.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    console.print("database schema is up to date")


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(migrate)
