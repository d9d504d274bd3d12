"""`optirec import-events FILE` and `optirec export-events --out FILE`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from optirec.console import console, count_lines, load_settings, open_database, open_input, print_report, progress_bar
from optirec.tabular import detect_format


def import_events(
    file: Annotated[Path, typer.Argument(help="events.csv (user_id,item_id,action,timestamp[,…]) or JSON Lines.")],
    format: Annotated[str | None, typer.Option(help="csv or jsonl; default: from the file name.")] = None,
) -> None:
    """Import behaviour events as signals, at most once each (a second import of the same file adds nothing)."""
    from optirec.signals.importer import import_events as run

    settings = load_settings()
    try:
        fmt = detect_format(file.name, format)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    db = open_database(settings)
    with open_input(file) as stream, progress_bar("events", count_lines(file)) as bar:
        try:
            report = run(
                db, stream, fmt, action_types=settings.action_types, on_chunk=lambda n: bar.advance(bar.task_ids[0], n)
            )
        except ValueError as error:
            console.print(f"[red]{file}: {error}[/red]")
            raise typer.Exit(1) from None
    print_report(report, "events")


def export_events(
    out: Annotated[Path, typer.Option(help="The Parquet file to write.")],
    since: Annotated[datetime | None, typer.Option(help="Only signals at or after this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only signals before this time (UTC).")] = None,
) -> None:
    """Export stored signals to Parquet."""
    from datetime import UTC

    from optirec.signals.exporter import count_unreadable, export_signals

    db = open_database(load_settings())
    since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=UTC) if until and until.tzinfo is None else until
    with progress_bar("signals", None) as bar:
        total = export_signals(db, out, since=since, until=until, on_batch=lambda n: bar.advance(bar.task_ids[0], n))
    console.print(f"{total} signals written to {out}")
    unreadable = count_unreadable(db)
    if unreadable:
        console.print(
            f"[yellow]{unreadable} signals left out: their time lies outside 2000–2100 (stored before optirec "
            "checked times); `optirec export-events` cannot date them[/yellow]"
        )


def register(app: typer.Typer) -> None:
    app.command("import-events")(import_events)
    app.command("export-events")(export_events)
