"""Reading wrk's report: its own percentiles and request count, never a blend of them."""

from __future__ import annotations

import math

from benchmarks.http import LoadResult
from benchmarks.ingest import parse_wrk

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:34181/
  1 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    31.33ms    5.75ms  93.93ms   89.75%
    Req/Sec   513.53     46.16   575.00     12.50%
  Latency Distribution
     50%   30.44ms
     75%   31.59ms
     90%  833.45us
     99%    1.20s
  5116 requests in 10.01s, 24.55MB read
  Non-2xx or 3xx responses: 16
Requests/sec:    511.06
Transfer/sec:      2.45MB
"""


def test_wrk_percentiles_and_rate_are_read_as_reported() -> None:
    """Regression: the stats' "89.75%" and "12.50%" once passed for the 75 % and 50 % rows."""
    result = parse_wrk(WRK_OUTPUT, 10)
    assert result.percentile(50) == 30.44  # the 50 % row itself (a two-point stand-in once gave the p50-p99 mean)
    assert result.percentile(90) == 0.83345 and result.percentile(99) == 1200.0
    assert result.requests == 5116 and result.rate == 511.6
    assert result.statuses == {200: 5100, 0: 16} and result.errors == 0


def test_measured_latencies_give_their_percentiles() -> None:
    result = LoadResult(latencies_ms=[float(v) for v in range(1, 101)], seconds=2.0)
    assert result.requests == 100 and result.rate == 50.0
    assert result.percentile(50) == 50.5 and result.percentile(100) == 100.0
    assert math.isnan(LoadResult().percentile(50))
