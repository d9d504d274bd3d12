"""`import_products`: every good row lands, every bad row is reported by line and reason, a re-import is a no-op."""

from __future__ import annotations

import io
import json
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from optirec.catalog.importer import import_products
from optirec.store import Database
from optirec.store.tables import Product
from optirec.tabular import ImportReport
from tests.conftest import product_data


def jsonl(*rows: dict[str, Any] | str) -> io.BytesIO:
    lines = [row if isinstance(row, str) else json.dumps(row) for row in rows]
    return io.BytesIO("\n".join(lines).encode())


def stored(db: Database) -> dict[str, tuple[int, datetime]]:
    with db.read() as session:
        return {
            pid: (stock, at)
            for pid, stock, at in session.execute(select(Product.id, Product.stock, Product.updated_at))
        }


def reasons(report: ImportReport) -> dict[int, str]:
    return {error.line: error.reason for error in report.errors}


def test_jsonl_bad_rows_are_reported_by_line_and_good_rows_land(db: Database) -> None:
    stream = jsonl(
        product_data("G-1"),
        product_data("B-1", lens_width_mm=-50),
        product_data("B-2", lens_height_mm=61, lens_width_mm=50),
        "",
        product_data("B-3", sphere_min=2, sphere_max=-2),
        "{not json",
        "[1, 2]",
        product_data("G-2", extra_field=1),
        product_data("G-3"),
    )
    report = import_products(db, stream, "jsonl")
    assert (report.created, report.rejected) == (2, 6)
    found = reasons(report)
    assert sorted(found) == [2, 3, 5, 6, 7, 8]  # the blank line 4 counts, and is no error
    assert "lens_width_mm" in found[2] and "greater than or equal to 30" in found[2]
    assert "1.2 × the lens width" in found[3]
    assert "sphere_min (+2.00) is above sphere_max (-2.00)" in found[5]
    assert "not valid JSON" in found[6] and "JSON object" in found[7] and "extra_field" in found[8]
    assert {e.line: e.id for e in report.errors}[2] == "B-1"
    assert set(stored(db)) == {"G-1", "G-3"}


CSV_HEADER = "id,name,category,price,lens_width_mm,lens_height_mm,sphere_min,sphere_max\n"


def test_csv_bad_rows_are_reported_by_line(db: Database) -> None:
    body = (
        CSV_HEADER
        + "C-1,Alpha,eyeglasses,100,50,40,-4,4\n"
        + "C-2,Beta,eyeglasses,100,50,40,-4\n"  # a field short
        + "C-3,Gamma,eyeglasses,100,50,40,-4,4,extra\n"  # a field too many
        + "\n"
        + "C-4,Delta,eyeglasses,100,-1,40,-4,4\n"
        + "C-5,Eps,eyeglasses,100,50,40,5,4\n"
        + "C-6,Zeta,eyeglasses,lots,50,40,-4,4\n"
        + "C-7,Eta,eyeglasses,100,50,40,-4,4\n"
    )
    report = import_products(db, io.BytesIO(body.encode()), "csv")
    found = reasons(report)
    assert (report.created, report.rejected) == (2, 5)
    assert sorted(found) == [3, 4, 6, 7, 8]
    assert found[3] == "expected 8 fields, found 7" and found[4] == "expected 8 fields, found 9"
    assert "lens_width_mm" in found[6] and "sphere_min" in found[7] and "price" in found[8]
    assert set(stored(db)) == {"C-1", "C-7"}


def test_csv_with_an_unknown_column_rejects_each_row_naming_it(db: Database) -> None:
    body = "id,name,category,price,colour_code\nC-1,Alpha,eyeglasses,100,red\n"
    report = import_products(db, io.BytesIO(body.encode()), "csv")
    assert report.rejected == 1 and "colour_code" in report.errors[0].reason and report.errors[0].line == 2


def test_csv_without_a_required_column_raises_before_anything_lands(db: Database) -> None:
    body = "id,name,price\nC-1,Alpha,100\n"
    with pytest.raises(ValueError, match="category"):
        import_products(db, io.BytesIO(body.encode()), "csv")
    assert stored(db) == {}


def test_csv_with_a_byte_order_mark_and_quoted_cells(db: Database) -> None:
    body = '\ufeffid,name,category,price,description\nC-1,"Alpha, the first",eyeglasses,100,"Says ""hi"""\n'
    report = import_products(db, io.BytesIO(body.encode()), "csv")
    assert report.created == 1 and report.rejected == 0
    with db.read() as session:
        product = session.get(Product, "C-1")
        assert product is not None and (product.name, product.description) == ("Alpha, the first", 'Says "hi"')


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_reimport_changes_nothing_and_a_changed_row_counts_as_updated(db: Database, fmt: str) -> None:
    def body(stock_of_c2: int) -> bytes:
        if fmt == "csv":
            return (
                CSV_HEADER + f"C-1,A,eyeglasses,100.00,50,40,-4,4\nC-2,B,eyeglasses,90,50,40,-4,{stock_of_c2}\n"
            ).encode()
        rows = [product_data("C-1"), product_data("C-2", sphere_max=stock_of_c2)]
        return jsonl(*rows).getvalue()

    first = import_products(db, io.BytesIO(body(4)), fmt)  # type: ignore[arg-type]
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    before = stored(db)
    second = import_products(db, io.BytesIO(body(4)), fmt)  # type: ignore[arg-type]
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 0)
    assert stored(db) == before  # updated_at untouched
    third = import_products(db, io.BytesIO(body(3)), fmt)  # type: ignore[arg-type]
    assert (third.created, third.updated, third.unchanged) == (0, 1, 1)
    after = stored(db)
    assert after["C-1"] == before["C-1"] and after["C-2"][1] > before["C-2"][1]


def test_import_over_several_chunks_counts_every_row(db: Database) -> None:
    rows = [product_data(f"P-{i:04d}") for i in range(1203)]
    chunks: list[int] = []
    report = import_products(db, jsonl(*rows), "jsonl", on_chunk=chunks.append)
    assert report.created == 1203 and chunks == [1000, 203]
    assert import_products(db, jsonl(*rows), "jsonl").unchanged == 1203


def test_import_can_deactivate_a_product(db: Database) -> None:
    import_products(db, jsonl(product_data("C-1")), "jsonl")
    report = import_products(db, jsonl(product_data("C-1", active=False)), "jsonl")
    assert report.updated == 1
    with db.read() as session:
        product = session.get(Product, "C-1")
        assert product is not None and product.active is False


DESCRIBED_HEADER = "id,name,category,price,description\n"


def test_csv_quote_never_closed_swallows_nothing_silently(db: Database) -> None:
    """Regression (review item 11): a CSV row with an unterminated quote swallowed the rows after it into one field
    and reported them as created. Now the record is refused, with the lines it spans."""
    text = (
        DESCRIBED_HEADER
        + 'A-1,Alpha,eyeglasses,10,fine\nA-2,Beta,eyeglasses,10,"broken\n'
        + "A-3,Gamma,eyeglasses,10,x\nA-4,Delta,eyeglasses,10,y\n"
    )
    report = import_products(db, io.BytesIO(text.encode()), "csv")
    assert (report.created, report.rejected) == (1, 1)
    [error] = report.errors
    assert error.line == 3 and error.reason.startswith("lines 3–5:") and "never closed" in error.reason
    assert sorted(stored(db)) == ["A-1"]


def test_csv_quote_closed_lines_later_is_noted_with_its_lines(db: Database) -> None:
    """A quote closed by a later row joins the rows between into one field: CSV cannot tell that from a description
    holding line breaks, so the record is imported and the report names the lines it joined."""
    text = (
        DESCRIBED_HEADER + 'B-1,Alpha,eyeglasses,10,"open\nB-2,Beta,eyeglasses,10,closed"\nB-3,Gamma,eyeglasses,10,z\n'
    )
    report = import_products(db, io.BytesIO(text.encode()), "csv")
    assert (report.created, report.rejected) == (2, 0)
    assert [(note.line, note.reason[:9]) for note in report.notes] == [(2, "lines 2–3")]


def test_csv_rows_joined_into_a_record_of_the_wrong_width_are_refused_with_their_lines(db: Database) -> None:
    text = DESCRIBED_HEADER + 'D-1,Alpha,eyeglasses,10,"open\nD-2,Beta,eyeglasses,10,x\nD-3,Gamma",eyeglasses,10,z\n'
    report = import_products(db, io.BytesIO(text.encode()), "csv")
    assert (report.created, report.rejected) == (0, 1)
    reason = report.errors[0].reason
    assert reason.startswith("lines 2–4: expected 5 fields, found 8") and "never closed" in reason


def test_csv_field_with_line_breaks_is_imported_and_noted_with_its_lines(db: Database) -> None:
    text = DESCRIBED_HEADER + 'C-1,Alpha,eyeglasses,10,"two\nlines"\nC-2,Beta,eyeglasses,10,one\n'
    report = import_products(db, io.BytesIO(text.encode()), "csv")
    assert (report.created, report.rejected) == (2, 0)
    assert [(note.line, note.reason) for note in report.notes] == [
        (2, "lines 2–3 were read as one record: a quoted field holds line breaks")
    ]
    with db.read() as session:
        assert session.get(Product, "C-1").description == "two\nlines"  # type: ignore[union-attr]
