"""Bulk load of customers and their profiles from JSON Lines (one `CustomerImport` object a line)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import IO

from optirec.customers import service
from optirec.customers.schemas import CustomerImport
from optirec.store import Database
from optirec.tabular import ImportReport, Row, chunked, read_rows, validate_rows

CHUNK = 500


def import_customers(
    db: Database,
    stream: IO[bytes],
    *,
    roles: frozenset[str] | None = None,
    on_chunk: Callable[[int], None] | None = None,
) -> ImportReport:
    """Create or update every valid customer; bad lines are reported and skipped; a re-import changes nothing. With
    `roles`, a line naming an account of another role is refused (a shop's server manages its customers only)."""
    report = ImportReport()
    line = [0]

    def numbered(rows: Iterator[Row]) -> Iterator[Row]:
        for number, row in rows:
            line[0] = number
            yield number, row

    # `validate_rows` yields each customer right after reading its row, so `line[0]` is that row's line.
    customers = ((line[0], c) for c in validate_rows(numbered(read_rows(stream, "jsonl")), CustomerImport, report))
    for chunk in chunked(customers, CHUNK):
        with db.write() as session:
            service.import_customers(session=session, rows=chunk, report=report, roles=roles)
        if on_chunk:
            on_chunk(len(chunk))
    return report
