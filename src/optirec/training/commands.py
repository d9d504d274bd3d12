"""`optirec train`, `optirec maintain` and `optirec models list|promote|rollback`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from optirec.audit import service as audit
from optirec.console import console, load_settings, open_database
from optirec.errors import OptirecError
from optirec.training import registry

models_app = typer.Typer(help="Model versions: list, promote, roll back.", no_args_is_help=True)


def train(
    force: Annotated[bool, typer.Option(help="Promote the new version even if it evaluates worse.")] = False,
) -> None:
    """Train a model on the stored signals and catalog, evaluate it against the live one, register, promote."""
    from optirec.training.scheduler import train_once

    settings = load_settings()
    db, actor = open_database(settings), audit.command_line_actor()
    with db.write() as session:
        audit.record(session=session, actor=actor, action=audit.TRAIN, detail={"force": force, "status": "started"})
    try:
        version = train_once(db, settings, force=force, progress=console.print, actor=actor)
    except OptirecError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    if version is None:
        console.print("[yellow]another training is running; nothing done[/yellow]")
        raise typer.Exit(1)


def maintain() -> None:
    """Apply the retention settings (served lists deleted, old signals archived to Parquet then deleted) and store
    in the database the model artifacts it lacks; safe to run again. The service runs it on its own too
    (OPTIREC_MAINTAIN_INTERVAL_MINUTES)."""
    from optirec.training.scheduler import maintain_once

    settings = load_settings()
    report = maintain_once(open_database(settings), settings)
    if report is None:
        console.print("[yellow]a training or maintenance is running; nothing done[/yellow]")
        raise typer.Exit(1)
    files = f" ({', '.join(map(str, report.archives))})" if report.archives else ""
    console.print(
        f"served lists deleted {report.served_deleted}, signals archived {report.signals_archived} and deleted "
        f"{report.signals_deleted}{files}, model artifacts stored {report.artifacts_stored}, erasures' rows deleted "
        f"{report.erasures_deleted}"
    )
    if report.partitions_created or report.partitions_dropped:
        console.print(
            f"partitions created {list(report.partitions_created)}, dropped {list(report.partitions_dropped)}"
        )


@models_app.command("list")
def list_models() -> None:
    """Model versions, newest first."""
    db = open_database(load_settings())
    table = Table("version", "status", "valid ndcg@10", "live ndcg@10 (same split)", "created", "note")
    with db.read() as session:
        for row in registry.list_versions(session=session):
            metrics = row.metrics or {}
            table.add_row(
                row.id,
                row.status,
                _fmt(metrics.get("candidate", {}).get("ndcg@10")),
                _fmt(metrics.get("live", {}).get("ndcg@10")),
                row.created_at.isoformat(timespec="seconds"),
                row.note,
            )
    console.print(table)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else "—"


@models_app.command("promote")
def promote(version: Annotated[str, typer.Argument(help="The version to serve.")]) -> None:
    """Serve this version; every worker picks it up within seconds."""
    db = open_database(load_settings())
    try:
        with db.write() as session:
            before = registry.live_version(session=session)
            registry.promote(session=session, version=version, note="promoted by hand")
            detail = {"was_live": before.id if before is not None else None}
            audit.record(session=session, actor=audit.command_line_actor(), action=audit.PROMOTE, target=version,
                         detail=detail)  # fmt: skip
    except OptirecError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{version} is live")


@models_app.command("rollback")
def rollback() -> None:
    """Serve again the version that was live before the current one."""
    db = open_database(load_settings())
    try:
        with db.write() as session:
            before = registry.live_version(session=session)
            row = registry.rollback(session=session)
            detail = {"rolled_back": before.id if before is not None else None}
            audit.record(session=session, actor=audit.command_line_actor(), action=audit.ROLLBACK, target=row.id,
                         detail=detail)  # fmt: skip
    except OptirecError as error:
        console.print(f"[red]{error.message}[/red]")
        raise typer.Exit(1) from None
    console.print(f"{row.id} is live again")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(maintain)
    app.add_typer(models_app, name="models")
