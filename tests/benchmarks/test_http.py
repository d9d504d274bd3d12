"""The benchmarks' load generator."""

from __future__ import annotations

import gc

import pytest

from benchmarks.http import run_load


def test_the_collector_is_off_while_a_load_runs_and_back_on_after() -> None:
    """A full collection of the benchmark's own heap would stall every request due meanwhile and count as server
    latency."""

    async def load() -> bool:
        return gc.isenabled()

    assert gc.isenabled()
    assert run_load(load()) is False
    assert gc.isenabled()


def test_the_collector_is_back_on_after_a_load_that_fails() -> None:
    async def load() -> None:
        raise RuntimeError("the server went away")

    with pytest.raises(RuntimeError, match="went away"):
        run_load(load())
    assert gc.isenabled()
