"""`optirec export-impressions --out FILE`: the impressions table as JSON Lines, for learning and evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from optirec.console import console, load_settings, open_database


def export_impressions(
    out: Annotated[Path, typer.Option(help="The JSON Lines file to write (one impression a line).")],
    since: Annotated[datetime | None, typer.Option(help="Only lists served at or after this time (UTC).")] = None,
    until: Annotated[datetime | None, typer.Option(help="Only lists served before this time (UTC).")] = None,
    window_hours: Annotated[int, typer.Option(min=1, max=2160, help="Attribution window after each list.")] = 168,
    include_unrendered: Annotated[
        bool, typer.Option(help="Also the lists no signal refers to (which may never have been seen).")
    ] = False,
) -> None:
    """Export every item of the served lists and what followed it (docs/exploration.md)."""
    from optirec.recommend.impressions import iter_impressions

    db = open_database(load_settings())
    since = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=UTC) if until and until.tzinfo is None else until
    out.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with out.open("w", encoding="utf-8") as stream:
        for impression in iter_impressions(
            db, since=since, until=until, window=timedelta(hours=window_hours), include_unrendered=include_unrendered
        ):
            stream.write(impression.model_dump_json() + "\n")
            written += 1
    console.print(f"{written} impressions written to {out}")


def register(app: typer.Typer) -> None:
    from optirec.recommend.experiment_commands import experiments_app

    app.command("export-impressions")(export_impressions)
    app.add_typer(experiments_app, name="experiments")
