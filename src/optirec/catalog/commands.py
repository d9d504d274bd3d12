"""`optirec import-products FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optirec.console import console, count_lines, load_settings, open_database, open_input, print_report, progress_bar
from optirec.tabular import detect_format


def import_products(
    file: Annotated[Path, typer.Argument(help="Products as JSON Lines (.jsonl) or CSV (.csv).")],
    format: Annotated[str | None, typer.Option(help="jsonl or csv; default: from the file name.")] = None,
) -> None:
    """Import products: bad rows are reported with their line and skipped; importing again changes nothing."""
    from optirec.catalog.importer import import_products as run

    try:
        fmt = detect_format(file.name, format)
    except ValueError as error:
        console.print(f"[red]{error}[/red]")
        raise typer.Exit(2) from None
    db = open_database(load_settings())
    with open_input(file) as stream, progress_bar("products", count_lines(file)) as bar:
        try:
            report = run(db, stream, fmt, on_chunk=lambda n: bar.advance(bar.task_ids[0], n))
        except ValueError as error:
            console.print(f"[red]{file}: {error}[/red]")
            raise typer.Exit(1) from None
    print_report(report, "products")


def register(app: typer.Typer) -> None:
    app.command("import-products")(import_products)
