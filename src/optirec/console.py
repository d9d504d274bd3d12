"""What the CLI commands share: settings from the environment, the database, progress bars, reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from optirec.settings import Settings
from optirec.store import Database
from optirec.tabular import ImportReport

console = Console(stderr=True)


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        console.print(f"[red]Invalid settings:[/red] {error}")
        raise typer.Exit(2) from None


def open_database(settings: Settings) -> Database:
    return Database(settings.database_url, pool_size=2)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Progress]:
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    if total is not None:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        progress.add_task(description, total=total)
        yield progress


@contextmanager
def open_input(path: Path) -> Iterator[IO[bytes]]:
    if not path.is_file():
        console.print(f"[red]No such file:[/red] {path}")
        raise typer.Exit(2)
    with path.open("rb") as handle:
        yield handle


def count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def print_report(report: ImportReport, what: str) -> None:
    extra = {k: v for k, v in report.model_dump(exclude={"errors", "notes"}).items()}
    console.print(f"[bold]{what}[/bold]: " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    for error in report.errors[:50]:
        console.print(f"  line {error.line}" + (f" ({error.id})" if error.id else "") + f": {error.reason}")
    if len(report.errors) > 50:
        console.print(f"  … and {report.rejected - 50} more rejected rows")
    for note in report.notes[:10]:
        console.print(f"  [yellow]note[/yellow], {note.reason}")
