"""Reading events and items: valid files, bad rows reported by line number, MovieLens format."""

from __future__ import annotations

from pathlib import Path

import pytest

from optirec.errors import InvalidInput
from optirec.ml.model.actions import ACTION_CODE
from optirec.ml.train.data import load_dataset, parse_timestamp, read_events_csv


def test_reads_uniform_format_sorted_by_user_then_time(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,action,timestamp,category_id\n"
        "b,x,view,2024-01-02T00:00:00Z,7\n"
        "a,y,purchase,2024-01-03T00:00:00Z,8\n"
        "b,y,add_to_cart,2024-01-01T00:00:00Z,8\n"
    )
    data, extras = read_events_csv(path)
    assert data.user_ids == ["a", "b"]
    assert [data.item_ids[i] for i in data.items] == ["y", "y", "x"]
    assert data.actions.tolist() == [ACTION_CODE["purchase"], ACTION_CODE["add_to_cart"], ACTION_CODE["view"]]
    assert extras["x"] == {"category_id": "7"}


def test_bad_rows_are_reported_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "user_id,item_id,action,timestamp\n"
        "a,x,view,2024-01-01T00:00:00Z\n"
        "a,x,teleport,2024-01-01T00:00:00Z\n"
        "a,x,view,yesterday\n"
        "a,x,view\n"
    )
    with pytest.raises(InvalidInput) as err:
        read_events_csv(path)
    message = err.value.message
    assert "line 3: unknown action type 'teleport'" in message
    assert "line 4: bad timestamp 'yesterday'" in message
    assert "line 5: expected 4 fields, found 3" in message


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text("user_id,item_id,timestamp\na,x,2024-01-01T00:00:00Z\n")
    with pytest.raises(InvalidInput, match="line 1: missing column\\(s\\) action"):
        read_events_csv(path)


def test_items_give_tokens_and_text(chain_dir: Path) -> None:
    _, content = load_dataset(chain_dir)
    assert content.tokens["i3"] == ["attrA", "group1"]
    assert content.text["i3"] == "Frame i3"


def test_movielens_ratings_are_purchases(tmp_path: Path) -> None:
    (tmp_path / "u.data").write_text("1\t10\t5\t100\n1\t11\t3\t50\n2\t10\t4\t70\n")
    (tmp_path / "u.item").write_text("10|Heat (1995)|x||url|0|1\n11|Up (2009)|x||url|1|0\n")
    data, content = load_dataset(tmp_path)
    assert len(data) == 3 and set(data.actions.tolist()) == {ACTION_CODE["purchase"]}
    assert [data.item_ids[i] for i in data.items[:2]] == ["11", "10"]  # user 1 ordered by time
    assert content.text["10"] == "Heat (1995)" and content.tokens["10"] == ["genre1"]


def test_folder_without_events_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match=r"no events\.csv"):
        load_dataset(tmp_path)


def test_timestamps_accept_iso_and_unix() -> None:
    assert parse_timestamp("1970-01-02T00:00:00Z") == 86_400
    assert parse_timestamp("1970-01-02T00:00:00") == 86_400
    assert parse_timestamp("86400") == 86_400
