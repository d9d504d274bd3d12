"""The serving benchmark's own measurements."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import text

from benchmarks.http import LoadResult
from benchmarks.serve import _cpu_ms, _cpu_seconds
from optirec.store import Database


def test_cpu_time_of_processes_grows_with_their_work() -> None:
    before = _cpu_seconds([os.getpid()])
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # busy for 0.2 s of CPU
        pass
    used = _cpu_seconds([os.getpid()]) - before
    assert 0.1 <= used <= 1.0
    assert _cpu_seconds([2**22 + 17]) == 0.0  # a process that is gone counts nothing


def test_cpu_per_request_is_reported_only_where_measured() -> None:
    assert _cpu_ms(LoadResult(reported_requests=1000, server_cpu_s=2.5)) == "2.50"
    assert _cpu_ms(LoadResult(reported_requests=1000)) == "?"
    assert _cpu_ms(LoadResult(reported_requests=0, server_cpu_s=1.0)) == "?"


def test_a_loaded_postgresql_shop_is_vacuumed_and_analysed(db: Database) -> None:
    """As autovacuum would after a bulk load (this machine's server runs without it): statistics for the planner,
    and the visibility map that index-only scans need."""
    if db.backend_name == "sqlite":
        pytest.skip("PostgreSQL only")
    db.settle_after_bulk_load()
    with db.read() as session:  # the signals are partitioned (revision 0013): the partitions hold the rows
        rows = session.execute(
            text("SELECT relname, last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname LIKE 'signals%'")
        ).all()
    tables = {name: (vacuumed, analysed) for name, vacuumed, analysed in rows}
    assert tables["signals"][1] is not None  # the planner's statistics of the whole table
    assert tables["signals_default"][0] is not None and tables["signals_default"][1] is not None
    assert all(v is not None and a is not None for name, (v, a) in tables.items() if name != "signals")
