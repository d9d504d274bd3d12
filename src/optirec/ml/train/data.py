"""Interaction data: reading and validating events and items, id maps and per-user sequences.

The uniform format is `events.csv` (`user_id,item_id,action,timestamp[,extras]`) with an optional
`items.csv` (`item_id` plus metadata). MovieLens folders (`u.data`, `u.item`) are read too, every rating
taken as a purchase. Splits live in `splits.py`.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from optirec.arrays import IntArray
from optirec.errors import InvalidInput
from optirec.ml.model.actions import ACTION_CODE, ACTIONS, action_weights
from optirec.ml.model.content import ItemContent

REQUIRED_COLUMNS: tuple[str, ...] = ("user_id", "item_id", "action", "timestamp")
MAX_REPORTED_ERRORS = 20
TEXT_COLUMNS: tuple[str, ...] = ("name", "title", "description")


@dataclass(frozen=True)
class Interactions:
    """Events as integer arrays, sorted by user then time (ties keep file order).

    `users`, `items`, `actions`, `timestamps` all have shape (n_events,); `user_ids[u]` and `item_ids[i]`
    map the integer codes back to the external ids.
    """

    user_ids: list[str]
    item_ids: list[str]
    users: IntArray
    items: IntArray
    actions: IntArray
    timestamps: IntArray

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def __len__(self) -> int:
        return int(self.users.shape[0])

    def subset(self, mask: npt.NDArray[np.bool_]) -> Interactions:
        """The events where `mask` is true, with the same id maps."""
        return Interactions(
            self.user_ids,
            self.item_ids,
            self.users[mask],
            self.items[mask],
            self.actions[mask],
            self.timestamps[mask],
        )

    def user_bounds(self) -> IntArray:
        """Start offsets of each user's events, shape (n_users + 1,): user u spans [b[u], b[u+1])."""
        counts = np.bincount(self.users, minlength=self.n_users)
        return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)


def from_arrays(
    user_ids: list[str],
    item_ids: list[str],
    actions: list[str],
    timestamps: list[int] | IntArray,
    *,
    catalogue: list[str] | None = None,
) -> Interactions:
    """Build `Interactions` from parallel lists; `catalogue` fixes the item id order (extra items allowed)."""
    unknown = sorted({a for a in actions if a not in ACTION_CODE})
    if unknown:
        raise InvalidInput(f"unknown action types: {', '.join(unknown)}; expected one of {', '.join(ACTIONS)}")
    user_list = sorted(set(user_ids), key=_natural_key)
    item_list = list(catalogue) if catalogue is not None else []
    known = set(item_list)
    item_list += sorted({i for i in item_ids if i not in known}, key=_natural_key)
    user_code = {u: k for k, u in enumerate(user_list)}
    item_code = {i: k for k, i in enumerate(item_list)}
    users = np.fromiter((user_code[u] for u in user_ids), dtype=np.int64, count=len(user_ids))
    items = np.fromiter((item_code[i] for i in item_ids), dtype=np.int64, count=len(item_ids))
    codes = np.fromiter((ACTION_CODE[a] for a in actions), dtype=np.int64, count=len(actions))
    times = np.asarray(timestamps, dtype=np.int64)
    order = np.lexsort((np.arange(len(users)), times, users))
    return Interactions(user_list, item_list, users[order], items[order], codes[order], times[order])


def _natural_key(value: str) -> tuple[int, int | str]:
    """Sort numeric ids numerically, the rest after them alphabetically."""
    return (0, int(value)) if value.isdigit() else (1, value)


def parse_timestamp(value: str) -> int:
    """Seconds since the epoch from ISO 8601 (a trailing Z or offset; naive means UTC) or a unix number."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        return int((stamp - datetime(1970, 1, 1)).total_seconds())
    return int(stamp.timestamp())


@dataclass
class _EventRows:
    users: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    extras: dict[str, dict[str, str]] = field(default_factory=dict)


def read_events_csv(path: Path) -> tuple[Interactions, dict[str, dict[str, str]]]:
    """Read and validate an events file; raise `InvalidInput` listing bad rows by line number.

    Returns the interactions and, per item, the extra columns seen with it (e.g. `category_id`).
    """
    rows = _EventRows()
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InvalidInput(f"{path}: the file is empty; expected a header {','.join(REQUIRED_COLUMNS)}")
        header = [name.strip() for name in header]
        missing = [name for name in REQUIRED_COLUMNS if name not in header]
        if missing:
            raise InvalidInput(
                f"{path}: line 1: missing column(s) {', '.join(missing)}; found {', '.join(header)}",
                details={"missing_columns": missing},
            )
        for row in reader:
            _read_event_row(row, header, reader.line_num, rows)
            if len(rows.errors) >= MAX_REPORTED_ERRORS:
                break
    if rows.errors:
        raise InvalidInput(
            f"{path}: {len(rows.errors)} bad row(s):\n" + "\n".join(rows.errors),
            details={"errors": rows.errors},
        )
    if not rows.users:
        raise InvalidInput(f"{path}: no events after the header")
    return from_arrays(rows.users, rows.items, rows.actions, rows.times), rows.extras


def _read_event_row(row: list[str], header: list[str], line: int, rows: _EventRows) -> None:
    """Validate one CSV row and append it to `rows`, or record why it is bad."""
    if not row:
        return
    if len(row) != len(header):
        rows.errors.append(f"line {line}: expected {len(header)} fields, found {len(row)}")
        return
    record = dict(zip(header, row, strict=True))
    user, item, action = record["user_id"].strip(), record["item_id"].strip(), record["action"].strip()
    if not user or not item:
        rows.errors.append(f"line {line}: empty user_id or item_id")
        return
    if action not in ACTION_CODE:
        rows.errors.append(f"line {line}: unknown action type {action!r}; expected one of {', '.join(ACTIONS)}")
        return
    try:
        stamp = parse_timestamp(record["timestamp"])
    except ValueError:
        rows.errors.append(f"line {line}: bad timestamp {record['timestamp']!r}; expected ISO 8601")
        return
    rows.users.append(user)
    rows.items.append(item)
    rows.actions.append(action)
    rows.times.append(stamp)
    for name in header:
        if name not in REQUIRED_COLUMNS and record[name].strip():
            rows.extras.setdefault(item, {})[name] = record[name].strip()


def read_items_csv(path: Path) -> ItemContent:
    """Read `items.csv`: text from name/title/description, tokens from `attributes` (a|b|c) and other columns."""
    text: dict[str, str] = {}
    tokens: dict[str, list[str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or "item_id" not in reader.fieldnames:
            raise InvalidInput(f"{path}: line 1: missing column item_id")
        for row in reader:
            item = (row.get("item_id") or "").strip()
            if not item:
                raise InvalidInput(f"{path}: line {reader.line_num}: empty item_id")
            parts = [row[c].strip() for c in TEXT_COLUMNS if (row.get(c) or "").strip()]
            if parts:
                text[item] = ". ".join(parts)
            tokens[item] = _row_tokens(row)
    return ItemContent(text=text, tokens=tokens)


def _row_tokens(row: dict[str, str]) -> list[str]:
    """Attribute tokens of one items.csv row: `attributes` split on `|`, other columns as `column=value`."""
    out: list[str] = []
    for name, value in row.items():
        if name in (None, "item_id", *TEXT_COLUMNS) or not value or not value.strip():
            continue
        if name == "attributes":
            out += [t.strip() for t in value.split("|") if t.strip()]
        else:
            out.append(f"{name}={value.strip()}")
    return out


def read_movielens(folder: Path) -> tuple[Interactions, ItemContent]:
    """Read MovieLens 100k (`u.data` tab-separated, `u.item` pipe-separated); every rating is a purchase."""
    users: list[str] = []
    items: list[str] = []
    times: list[int] = []
    with (folder / "u.data").open(encoding="latin-1") as handle:
        for line_no, line in enumerate(handle, start=1):
            fields = line.split()
            if len(fields) != 4 or not fields[3].isdigit():
                raise InvalidInput(f"{folder / 'u.data'}: line {line_no}: expected user item rating timestamp")
            users.append(fields[0])
            items.append(fields[1])
            times.append(int(fields[3]))
    content = _read_movielens_items(folder / "u.item")
    return from_arrays(users, items, ["purchase"] * len(users), times), content


def _read_movielens_items(path: Path) -> ItemContent:
    """Titles as text and genres as tokens from `u.item`."""
    genres = [f"genre{k}" for k in range(19)]
    genre_file = path.parent / "u.genre"
    if genre_file.exists():
        pairs = [ln.strip().split("|") for ln in genre_file.read_text(encoding="latin-1").splitlines() if ln.strip()]
        genres = [f"genre={name}" for name, _ in sorted(pairs, key=lambda p: int(p[1]))]
    text: dict[str, str] = {}
    tokens: dict[str, list[str]] = {}
    if not path.exists():
        return ItemContent()
    for line in path.read_text(encoding="latin-1").splitlines():
        fields = line.split("|")
        if len(fields) < 6:
            continue
        text[fields[0]] = fields[1]
        flags = fields[5:]
        tokens[fields[0]] = [g for g, flag in zip(genres, flags, strict=False) if flag == "1"]
    return ItemContent(text=text, tokens=tokens)


def load_dataset(folder: Path) -> tuple[Interactions, ItemContent]:
    """Read a data set folder in the uniform format or in MovieLens format."""
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: not a folder")
    if (folder / "events.csv").exists():
        interactions, extras = read_events_csv(folder / "events.csv")
        content = read_items_csv(folder / "items.csv") if (folder / "items.csv").exists() else ItemContent()
        return interactions, _merge_extras(content, extras)
    if (folder / "u.data").exists():
        return read_movielens(folder)
    raise InvalidInput(f"{folder}: no events.csv (uniform format) or u.data (MovieLens format)")


def _merge_extras(content: ItemContent, extras: dict[str, dict[str, str]]) -> ItemContent:
    """Add the extra event columns of each item (e.g. `category_id`) to its attribute tokens."""
    if not extras:
        return content
    tokens = {item: list(values) for item, values in content.tokens.items()}
    for item, columns in extras.items():
        tokens.setdefault(item, []).extend(f"{k}={v}" for k, v in sorted(columns.items()))
    return ItemContent(text=content.text, tokens=tokens)


def user_item_matrix(train: Interactions, *, binary: bool = True) -> sp.csr_matrix:
    """Sparse (n_users, n_items) matrix: 1 per interacted pair, or the strongest action weight."""
    values = np.ones(len(train), dtype=np.float32) if binary else action_weights(train.actions)
    coo = sp.coo_matrix((values, (train.users, train.items)), shape=(train.n_users, train.n_items))
    matrix = coo.tocsr()
    if binary:
        matrix.data[:] = 1.0
    else:
        # duplicates were summed; keep the strongest single weight instead, capped
        matrix.data = np.minimum(matrix.data, max(values.max(initial=1.0), 1.0)).astype(np.float32)
    return matrix
