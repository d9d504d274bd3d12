"""`optirec.tabular`: rows of JSON Lines and CSV with their line numbers; unreadable rows become `RowError`s."""

from __future__ import annotations

import io

import pytest

from optirec.tabular import ImportReport, RowError, chunked, detect_format, read_rows


def rows(body: bytes, fmt: str = "csv", required: tuple[str, ...] = ()) -> list[tuple[int, object]]:
    return list(read_rows(io.BytesIO(body), fmt, required=required))  # type: ignore[arg-type]


def test_csv_row_that_is_not_utf8_is_refused_alone() -> None:
    # Regression: one Latin-1 byte raised UnicodeDecodeError, so the whole file failed and no good row landed.
    found = rows(b"id,name\n1,Caf\xe9\n2,Cafe\n")
    assert found == [
        (2, RowError(2, "not valid UTF-8 text (save the file as UTF-8)")),
        (3, {"id": "2", "name": "Cafe"}),
    ]


def test_csv_field_over_the_csv_modules_limit_is_a_row_error() -> None:
    # Regression: `_csv.Error` escaped the importers, so the API answered 500.
    body = b'id,name\n1,"' + b"x" * 200_000 + b'"\n2,ok\n'
    found = rows(body)
    assert isinstance(found[0][1], RowError) and "field limit" in found[0][1].reason and found[0][0] == 2
    assert found[1] == (3, {"id": "2", "name": "ok"})


def test_csv_line_numbers_count_blank_lines_and_the_header() -> None:
    found = rows(b"id,name\n\n1,a\n  ,  \n2,b\n")
    assert found == [(3, {"id": "1", "name": "a"}), (5, {"id": "2", "name": "b"})]


def test_csv_empty_cells_are_left_out_and_a_bom_is_ignored() -> None:
    assert rows("\ufeffid,name,brand\n1,a,\n".encode()) == [(2, {"id": "1", "name": "a"})]


def test_csv_missing_required_column_raises_value_error() -> None:
    with pytest.raises(ValueError, match="lacks the column"):
        rows(b"id\n1\n", required=("id", "name"))


def test_empty_csv_has_no_rows() -> None:
    assert rows(b"", required=("id",)) == []


def test_jsonl_rows_and_errors_keep_their_line() -> None:
    found = rows(b'{"a": 1}\n\n{oops\n"text"\n{"b": "\xff"}\n', "jsonl")
    assert found[0] == (1, {"a": 1})
    assert [(line, type(row).__name__) for line, row in found[1:]] == [
        (3, "RowError"),
        (4, "RowError"),
        (5, "RowError"),
    ]


@pytest.mark.parametrize(
    ("name", "explicit", "expected"),
    [("a.jsonl", None, "jsonl"), ("a.ndjson", None, "jsonl"), ("a.CSV", None, "csv"), ("upload", "csv", "csv")],
)
def test_detect_format(name: str, explicit: str | None, expected: str) -> None:
    assert detect_format(name, explicit) == expected


def test_detect_format_refuses_an_unknown_one() -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        detect_format("a.xlsx")


def test_report_keeps_at_most_a_thousand_errors_but_counts_all() -> None:
    report = ImportReport()
    for line in range(1500):
        report.reject(line, None, "bad")
    assert report.rejected == 1500 and len(report.errors) == 1000


def test_chunked_yields_full_chunks_then_the_rest() -> None:
    assert list(chunked(range(7), 3)) == [[0, 1, 2], [3, 4, 5], [6]]
