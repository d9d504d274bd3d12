"""`import_events`: the uniform events.csv of the data sets (and JSON Lines), idempotently, bad rows by line."""

from __future__ import annotations

import io
import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from optirec.catalog.importer import import_products
from optirec.settings import BUILTIN_ACTION_TYPES
from optirec.signals.importer import import_events
from optirec.store import Database
from optirec.store.partitions import period_start
from optirec.store.tables import Signal
from tests.conftest import product_data

ACTIONS = frozenset(BUILTIN_ACTION_TYPES)
TAOBAO = Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets" / "taobao-sample" / "events.csv"

EVENTS = """user_id,item_id,action,timestamp,category_id
u1,FR-1,view,2026-11-01T10:00:00Z,cat-9
u1,FR-1,add_to_cart,2026-11-01T10:01:00Z,cat-9
u2,FR-2,teleport,2026-11-01T10:02:00Z,cat-9
u2,FR-2,view,last tuesday,cat-9
u3,FR-2,view,2026-11-01T10:03:00,cat-9
u 4,FR-2,view,2026-11-01T10:04:00Z,cat-9
u2,FR-2,purchase,2026-11-01T10:05:00+01:00
u1,FR-1,view,2026-11-01T10:00:00Z,cat-9
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(db: Database, path: Path, fmt: str = "csv", actions: frozenset[str] = ACTIONS):  # type: ignore[no-untyped-def]
    with path.open("rb") as stream:
        return import_events(db, stream, fmt, action_types=actions)  # type: ignore[arg-type]


def stored(db: Database) -> list[Signal]:
    with db.read() as session:
        return list(session.scalars(select(Signal).order_by(Signal.occurred_at, Signal.id)))


def test_events_csv_good_rows_land_and_bad_ones_are_reported_by_line(db: Database, tmp_path: Path) -> None:
    import_products(db, io.BytesIO(json.dumps(product_data("FR-1")).encode()), "jsonl")
    report = run(db, write(tmp_path, "events.csv", EVENTS))
    found = {e.line: e.reason for e in report.errors}
    assert sorted(found) == [4, 5, 6, 7, 8]
    assert "unknown action 'teleport'" in found[4]
    assert found[5].startswith("timestamp:") and "no time zone" in found[6]
    assert "user_id and item_id" in found[7] and "expected 5 fields, found 4" in found[8]
    # Two identical rows (lines 2 and 9) are two events: the second gets its own id.
    assert (report.created, report.duplicates, report.rejected) == (3, 0, 5)
    assert (report.unknown_products, report.by_action) == (0, {"view": 2, "add_to_cart": 1})
    rows = stored(db)
    assert [(s.customer_id, s.product_id, s.action_type) for s in rows] == [
        ("u1", "FR-1", "view"),
        ("u1", "FR-1", "view"),
        ("u1", "FR-1", "add_to_cart"),
    ]
    assert rows[0].context == {"category_id": "cat-9"} and rows[0].product_known is True
    assert rows[0].occurred_at == datetime(2026, 11, 1, 10, tzinfo=UTC)


def test_second_import_of_the_same_file_adds_nothing(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", EVENTS)
    first = run(db, path)
    second = run(db, path)
    assert (second.created, second.duplicates, second.rejected) == (0, first.created, first.rejected)
    assert len(stored(db)) == first.created


def test_missing_column_raises_before_anything_is_stored(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "user_id,item_id,timestamp\nu1,FR-1,2026-11-01T10:00:00Z\n")
    with pytest.raises(ValueError, match="action"):
        run(db, path)
    assert stored(db) == []


def test_extra_action_types_of_the_shop(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "events.csv", "user_id,item_id,action,timestamp\nu1,FR-1,try_on,2026-11-01T10:00:00Z\n")
    assert run(db, path).rejected == 1
    assert run(db, path, actions=ACTIONS | {"try_on"}).created == 1


@pytest.mark.parametrize(
    ("cells", "words"),
    [("lots,1", "price"), ("10.00,many", "quantity"), ("10.00,0", "quantity"), ("-4,1", "price")],
    ids=["price-text", "quantity-text", "quantity-zero", "price-negative"],
)
def test_bad_price_or_quantity_is_a_row_error_not_a_crash(db: Database, tmp_path: Path, cells: str, words: str) -> None:
    body = (
        "user_id,item_id,action,timestamp,price,quantity\n"
        "u1,FR-1,purchase,2026-11-01T10:00:00Z,10.00,1\n"
        f"u2,FR-1,purchase,2026-11-01T10:00:00Z,{cells}\n"
    )
    report = run(db, write(tmp_path, "events.csv", body))
    assert (report.created, report.rejected) == (1, 1)
    assert report.errors[0].line == 3 and words in report.errors[0].reason


def test_jsonl_events_with_their_own_ids_and_unix_times(db: Database, tmp_path: Path) -> None:
    lines = [
        {"event_id": "ev-1", "customer_id": "u1", "product_id": "P1", "action_type": "view", "occurred_at": 1762000000},
        {
            "event_id": "ev-2",
            "user_id": "u1",
            "item_id": "P1",
            "action": "purchase",
            "timestamp": "2026-11-01T10:00:00Z",
            "price": 12.5,
            "quantity": 2,
            "session_id": "s-1",
        },
        {"event_id": "ev-1", "user_id": "u1", "item_id": "P1", "action": "view", "timestamp": 1762000000},  # repeat
        {"user_id": "u1", "item_id": "P1", "action": "view"},
    ]
    path = write(tmp_path, "events.jsonl", "\n".join(json.dumps(line) for line in lines))
    report = run(db, path, "jsonl")
    assert (report.created, report.duplicates, report.rejected, report.unknown_products) == (2, 1, 1, 2)
    assert report.errors[0].line == 4 and "missing timestamp" in report.errors[0].reason
    purchase = next(s for s in stored(db) if s.event_id == "ev-2")
    assert (float(purchase.price or 0), purchase.quantity, purchase.session_id) == (12.5, 2, "s-1")


@pytest.mark.slow
@pytest.mark.skipif(not TAOBAO.is_file(), reason="the shared taobao-sample data set is not here")
def test_first_two_thousand_taobao_events(db: Database) -> None:
    with TAOBAO.open("rb") as source:
        head = b"".join(itertools.islice(source, 2001))
    report = import_events(db, io.BytesIO(head), "csv", action_types=ACTIONS)
    assert report.rejected == 0 and report.created + report.duplicates == 2000
    assert report.created == len(stored(db)) and report.unknown_products == report.created
    assert set(report.by_action) <= {"view", "add_to_cart", "favorite", "purchase"}
    again = import_events(db, io.BytesIO(head), "csv", action_types=ACTIONS)
    assert (again.created, again.duplicates) == (0, 2000)


def test_history_lands_in_its_own_months_partitions_on_postgresql(db: Database, tmp_path: Path) -> None:
    """An import of last year's signals makes their quarters' partitions first (PostgreSQL, migration 0013), so that
    they do not pile up in the default partition, which the retention could then only empty row by row. A signal
    older than the partitions' two years lands in the default one. SQLite keeps one table and stores them alike."""
    now = datetime.now(UTC)
    year_ago = now.replace(year=now.year - 1, day=1, hour=12)
    ancient = datetime(2005, 1, 1, tzinfo=UTC)
    rows = [f"u1,P1,view,{year_ago.isoformat()}", f"u1,P1,view,{ancient.isoformat()}"]
    report = run(db, write(tmp_path, "history.csv", "user_id,item_id,action,timestamp\n" + "\n".join(rows)))
    assert report.created == 2
    if db.backend_name != "postgresql":
        return
    with db.read() as session:
        where = select(text("tableoid::regclass::text"), Signal.occurred_at).select_from(Signal)
        homes = {at.year: home for home, at in session.execute(where)}
    assert homes == {year_ago.year: f"signals_p{period_start('signals', year_ago):%Y%m}", 2005: "signals_default"}
