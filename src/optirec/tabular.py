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
Note = Callable[[int, str], None]  # (line, what to tell) about a row that was read all the same


def detect_format(name: str, explicit: str | None = None) -> Format:
    """The format named explicitly, or the one the file name says."""
    choice = (explicit or Path(name).suffix.lstrip(".")).lower()
    if choice in ("jsonl", "ndjson", "json"):
        return "jsonl"
    if choice == "csv":
        return "csv"
    raise ValueError(f"cannot tell the format of {name!r}: use a .jsonl or .csv file, or name the format")


def read_rows(
    stream: IO[bytes], fmt: Format, *, required: tuple[str, ...] = (), on_note: Note | None = None
) -> Iterator[Row]:
    """Rows of a binary stream; for CSV, `required` columns missing from the header raise `ValueError`, and a record
    that spans several lines (a quoted field holding line breaks) is told to `on_note` with its line numbers."""
    if fmt == "jsonl":
        yield from _jsonl_rows(stream)
    else:
        yield from _csv_rows(stream, required, on_note)


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
_UNCLOSED = (
    "a quoted field opened on the first of these lines is never closed: every line after it was read into that field, "
    "and none of them was imported (close the quote)"
)
_SPANS = "a quote that is never closed joins lines into one field"


def _is_utf8(fields: list[str]) -> bool:
    return not any(map(_NOT_UTF8.search, fields))


def _spanned(first: int, last: int) -> str:
    """The lines of a record that spans several, as a reason's prefix (a one-line record's line is the row's own)."""
    return f"lines {first}–{last}: " if last > first else ""


def _records(reader: Any) -> Iterator[tuple[int, int, list[str] | RowError]]:
    """The reader's records with their first and last line; a record the csv module cannot parse (a field over its
    size limit, a quote never closed) becomes a `RowError` naming its lines, and reading goes on after it."""
    while True:
        first = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            last = reader.line_num
            reason = _UNCLOSED if "unexpected end of data" in str(error) else f"not readable as CSV ({error})"
            yield first, last, RowError(first, f"{_spanned(first, last)}{reason}")
            continue
        yield first, reader.line_num, fields


def _csv_rows(stream: IO[bytes], required: tuple[str, ...], on_note: Note | None) -> Iterator[Row]:
    # Bytes that are not UTF-8 become lone surrogates, so that only their row is refused, not the file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    try:
        # Strict: a quote never closed is an error at the end of the file, not a last field holding the rest of it.
        yield from _csv_text_rows(csv.reader(text, strict=True), required, on_note)
    finally:
        if not text.closed:
            text.detach()  # the caller owns the stream; a dropped wrapper would close it (and warn)


def _csv_text_rows(reader: Any, required: tuple[str, ...], on_note: Note | None) -> Iterator[Row]:
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        return
    except csv.Error as error:
        raise ValueError(f"the CSV header cannot be read ({error})") from None
    missing = [name for name in required if name not in header]
    if missing:
        raise ValueError(f"the CSV header lacks the column(s) {', '.join(missing)}; it has {', '.join(header)}")
    for first, last, fields in _records(reader):
        if isinstance(fields, RowError):
            yield first, fields
            continue
        if not fields or all(not f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            hint = f" ({_SPANS})" if last > first else ""
            found = f"expected {len(header)} fields, found {len(fields)}{hint}"
            yield first, RowError(first, f"{_spanned(first, last)}{found}")
            continue
        if not _is_utf8(fields):
            yield first, RowError(first, "not valid UTF-8 text (save the file as UTF-8)")
            continue
        if last > first and on_note is not None:
            on_note(first, f"lines {first}–{last} were read as one record: a quoted field holds line breaks")
        yield first, {name: value for name, value in zip(header, fields, strict=True) if value.strip() != ""}


MAX_REPORTED_ERRORS = 1000


class ImportRowError(BaseModel):
    line: int
    id: str | None
    reason: str


class ImportReport(BaseModel):
    """What an import did: rows created, updated, unchanged, rejected, and why each rejected row was; and `notes`
    on rows read all the same that deserve a look (a CSV record spanning several lines)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[ImportRowError] = Field(default_factory=list)
    notes: list[ImportRowError] = Field(default_factory=list)

    def reject(self, line: int, row_id: Any, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(ImportRowError(line=line, id=None if row_id is None else str(row_id), reason=reason))

    def note(self, line: int, reason: str) -> None:
        if len(self.notes) < MAX_REPORTED_ERRORS:
            self.notes.append(ImportRowError(line=line, id=None, reason=reason))


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
