"""Bulk import of products from JSON Lines or CSV: bad rows are reported by line and skipped, good rows land."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any

import orjson

from optirec.catalog import service
from optirec.catalog.schemas import ProductCreate
from optirec.store import Database
from optirec.tabular import Format, ImportReport, chunked, read_rows, validate_rows

CHUNK = 1000
REQUIRED_COLUMNS = ("id", "name", "category", "price")


def _from_csv(row: dict[str, Any]) -> dict[str, Any]:
    """CSV cells are text: image URLs are `|`-separated, attributes a JSON object."""
    if "image_urls" in row:
        row["image_urls"] = [url.strip() for url in row["image_urls"].split("|") if url.strip()]
    if "attributes" in row:
        try:
            row["attributes"] = orjson.loads(row["attributes"])
        except orjson.JSONDecodeError:
            raise ValueError("attributes: must be a JSON object") from None
    return row


def import_products(
    db: Database, stream: IO[bytes], fmt: Format, *, on_chunk: Callable[[int], None] | None = None
) -> ImportReport:
    """Upsert every valid row of `stream`; identical rows change nothing, so importing twice is a no-op."""
    report = ImportReport()
    rows = read_rows(stream, fmt, required=REQUIRED_COLUMNS, on_note=report.note)
    products = validate_rows(rows, ProductCreate, report, _from_csv if fmt == "csv" else None)
    for chunk in chunked(products, CHUNK):
        with db.write() as session:
            service.upsert_products(session=session, rows=chunk, report=report)
        if on_chunk:
            on_chunk(len(chunk))
    return report
