"""`optirec import-customers FILE`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optirec.console import count_lines, load_settings, open_database, open_input, print_report, progress_bar


def import_customers(
    file: Annotated[Path, typer.Argument(help="Customers as JSON Lines, one CustomerImport a line.")],
) -> None:
    """Import customers and their profiles: bad lines are reported and skipped; importing again changes nothing."""
    from optirec.customers.importer import import_customers as run

    db = open_database(load_settings())
    with open_input(file) as stream, progress_bar("customers", count_lines(file)) as bar:
        report = run(db, stream, on_chunk=lambda n: bar.advance(bar.task_ids[0], n))
    print_report(report, "customers")


def register(app: typer.Typer) -> None:
    app.command("import-customers")(import_customers)
