"""What both backends' signal statements share: the columns of the signals' bulk insert, the popularity count and the
columns of a bulk load."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, TextualSelect, bindparam, text

from optirec.store.base import UTCDateTime

COLUMNS = (
    ("event_id", "varchar"),
    ("event_scope", "varchar"),
    ("customer_id", "varchar"),
    ("session_id", "varchar"),
    ("product_id", "varchar"),
    ("product_known", "boolean"),
    ("action_type", "varchar"),
    ("occurred_at", "timestamptz"),
    ("received_at", "timestamptz"),
    ("recommendation_id", "varchar"),
    ("quantity", "integer"),
    ("price", "numeric"),
    ("context", "jsonb"),
)


def count_statement(sqlite: bool) -> TextualSelect:
    """Signals per (product, action) among ids `after` < id <= `upto`, in the window `since` <= time < `latest`."""
    # SQLite's planner walks the product_id index to group without sorting, then reads every row from the table in
    # product order (31 s for 10 million signals); NOT INDEXED makes it scan the table, or the primary key's range
    # for an update (7 s, 0.2 s for 200,000 new signals).
    table = "signals NOT INDEXED" if sqlite else "signals"
    statement = text(
        f"SELECT product_id, action_type, count(*) AS n FROM {table} "
        "WHERE id > :after AND id <= :upto AND occurred_at >= :since AND occurred_at < :latest "
        "GROUP BY product_id, action_type"
    )
    statement = statement.bindparams(bindparam("since", type_=UTCDateTime), bindparam("latest", type_=UTCDateTime))
    return statement.columns(product_id=String, action_type=String, n=Integer)


# A bulk load of plain signals (the benchmarks' seed): no session, no price, no context, the product known.
LOADED = (
    "event_id, event_scope, customer_id, product_id, product_known, action_type, occurred_at, received_at, quantity"
)
LoadedSignal = tuple[str, str, str, str, str, datetime]  # event_id, event_scope, customer_id, product_id, action, time
