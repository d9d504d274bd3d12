"""Reading JSON Lines and CSV row by row, each row with its line number, for the importers.

A row that cannot be read at all (broken JSON, a CSV row with too many fields) comes back as a `RowError`
instead of a dict, so an importer reports it and carries on with the next row.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, TypeVar

import orjson
from pydantic import BaseModel, Field, ValidationError

from optirec.errors import clipped

Format = Literal["jsonl", "csv"]
M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


Row = tuple[int, dict[str, Any] | RowError]


def detect_format(name: str, explicit: str | None = None) -> Format:
    """The format named explicitly, or the one the file name says."""
    choice = (explicit or Path(name).suffix.lstrip(".")).lower()
    if choice in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if choice == "csv":
        return "csv"
    raise ValueError(f"cannot tell the format of {name!r}: use a .jsonl or .csv file, or name the format")


def read_rows(stream: IO[bytes], fmt: Format, *, required: tuple[str, ...] = ()) -> Iterator[Row]:
    """Rows of a binary stream; for CSV, `required` columns missing from the header raise `ValueError`."""
    if fmt == "jsonl":
        yield from _jsonl_rows(stream)
    else:
        yield from _csv_rows(stream, required)


def _jsonl_rows(stream: IO[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            yield number, RowError(number, f"not valid JSON ({error.msg})")
            continue
        if not isinstance(value, dict):
            yield number, RowError(number, "each line must be a JSON object")
            continue
        yield number, value


_NOT_UTF8 = re.compile("[\udc80-\udcff]")  # what `surrogateescape` makes of bytes that are not UTF-8


def _is_utf8(fields: list[str]) -> bool:
    return not any(map(_NOT_UTF8.search, fields))


def _records(reader: Any) -> Iterator[tuple[int, list[str] | RowError]]:
    """The reader's records with their line; a record the csv module cannot parse (a field over its size limit)
    becomes a `RowError`, and reading goes on with the next line."""
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, RowError(reader.line_num, f"not readable as CSV ({error})")
            continue
        yield reader.line_num, fields


def _csv_rows(stream: IO[bytes], required: tuple[str, ...]) -> Iterator[Row]:
    # Bytes that are not UTF-8 become lone surrogates, so that only their row is refused, not the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        yield from _csv_text_rows(csv.reader(text), required)
    finally:
        if not text.closed:
            text.detach()  # the caller owns the stream; a dropped wrapper would close it (and warn)


def _csv_text_rows(reader: Any, required: tuple[str, ...]) -> Iterator[Row]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as error:
        raise ValueError(f"the CSV header cannot be read ({error})") from None
    missing = [name for name in required if name not in header]
    if missing:
        raise ValueError(f"the CSV header lacks the column(s) {', '.join(missing)}; it has {', '.join(header)}")
    for number, fields in _records(reader):
        if isinstance(fields, RowError):
            yield number, fields
            continue
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            yield number, RowError(number, f"expected {len(header)} fields, found {len(fields)}")
            continue
        if not _is_utf8(fields):
            yield number, RowError(number, "not valid UTF-8 text (save the file as UTF-8)")
            continue
        yield number, {name: value for name, value in zip(header, fields, strict=True) if value.strip() != ""}


MAX_REPORTED_ERRORS = 1000


class ImportRowError(BaseModel):
    line: int
    id: str | None
    reason: str


class ImportReport(BaseModel):
    """What an import did: rows created, updated, unchanged, rejected, and why each rejected row was."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[ImportRowError] = Field(default_factory=list)

    def reject(self, line: int, row_id: Any, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportRowError(line=line, id=None if row_id is None else str(row_id), reason=reason))


def validation_reason(error: ValidationError) -> str:
    """One line a person can act on: `field: message; field: message`."""
    parts = []
    for item in error.errors():
        field = ".".join(clipped(str(p)) for p in item["loc"]) or "row"
        parts.append(f"{field}: {clipped(str(item['msg']).removeprefix('Value error, '), 300)}")
    return clipped("; ".join(parts), 1000)


def validate_rows(
    rows: Iterable[Row],
    model: type[M],
    report: ImportReport,
    transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[M]:
    """The rows that validate as `model`; every other row is reported with its line number and reason."""
    for line, row in rows:
        if isinstance(row, RowError):
            report.reject(line, None, row.reason)
            continue
        try:
            yield model.model_validate(transform(row) if transform else row)
        except ValidationError as error:
            report.reject(line, row.get("id"), validation_reason(error))
        except ValueError as error:
            report.reject(line, row.get("id"), str(error))


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
