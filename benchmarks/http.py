"""A small HTTP/1.1 load generator on raw asyncio streams: cheap enough to share two cores with the server.

`open_loop` sends at a fixed rate and measures each latency from the moment the request was *due*, so a stalled
server cannot hide its queueing (no coordinated omission). `closed_loop` keeps N connections busy (saturation).
Run them with `run_load`, on uvloop: the standard loop wakes a timer up to a millisecond late (epoll's timeout is
rounded up to whole milliseconds), and from the due time that lateness counted in every latency (measured at
200 requests/s: p50 0.63 ms late on asyncio's loop, 0.11 ms on uvloop).
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import uvloop

RequestFactory = Callable[[int], bytes]
T = TypeVar("T")


def run_load(load: Coroutine[Any, Any, T]) -> T:
    """Run a load (`open_loop`, `closed_loop`) on a fresh uvloop event loop, with this process's cyclic garbage
    collector off meanwhile: a full collection of the benchmark's own heap (about 100,000 objects: 50–60 ms, seen
    in the PostgreSQL runs) stalled every request due meanwhile, and counted in their latency as if the server had
    been slow. What the load allocates is freed by reference counting."""
    gc.collect()
    gc.disable()
    try:
        return uvloop.run(load)
    finally:
        gc.enable()


@dataclass
class LoadResult:
    """Every latency of a load run, or (from a tool that reports only a summary, such as wrk) the request count
    and percentiles it reported."""

    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    reported_requests: int | None = None
    reported_percentiles: dict[float, float] = field(default_factory=dict)
    server_cpu_s: float | None = None  # CPU time the server's processes used meanwhile, where measured
    reused: float | None = None  # the share of personal lists that reused a shopper vector, where measured
    repeated: float | None = None  # the share of lists repeated from one made lately (`recommend.memo`), where measured

    def count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1

    @property
    def requests(self) -> int:
        return self.reported_requests if self.reported_requests is not None else len(self.latencies_ms)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if self.reported_requests is not None:
            return self.reported_percentiles.get(q, float("nan"))
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


def build_request(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


class _Connection:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def send(self, payload: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write(payload)
        await self.writer.drain()
        return await _read_response(self.reader)

    def reset(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def open_loop(host: str, port: int, make: RequestFactory, *, rate: float, seconds: float) -> LoadResult:
    """Send `rate` requests a second for `seconds`, each on a free pooled connection, timed from when it was due."""
    result = LoadResult()
    idle: list[_Connection] = []
    start = time.perf_counter()
    total = int(rate * seconds)
    tasks = []

    async def one(index: int, due: float) -> None:
        reused = bool(idle)
        connection = idle.pop() if idle else _Connection(host, port)
        try:
            try:
                status = await connection.send(make(index))
            except (asyncio.IncompleteReadError, ConnectionResetError):
                if not reused:
                    raise
                # The server closed this idle keep-alive connection as we reused it: resend on a new one,
                # as HTTP clients do (the time lost counts in the latency).
                connection.reset()
                status = await connection.send(make(index))
            result.count(status)
            idle.append(connection)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as error:
            result.errors += 1
            result.error_kinds[type(error).__name__] = result.error_kinds.get(type(error).__name__, 0) + 1
            connection.reset()
            return
        result.latencies_ms.append((time.perf_counter() - due) * 1000)

    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, due)))
    await asyncio.gather(*tasks)
    result.seconds = time.perf_counter() - start
    return result


async def closed_loop(
    host: str, port: int, make: RequestFactory, *, connections: int, seconds: float, limit: int | None = None
) -> LoadResult:
    """Keep `connections` requests in flight for `seconds` (or until `limit` requests were sent)."""
    result = LoadResult()
    counter = iter(range(limit if limit is not None else 10**12))
    start = time.perf_counter()
    deadline = start + seconds

    async def worker() -> None:
        connection = _Connection(host, port)
        while time.perf_counter() < deadline:
            index = next(counter, None)
            if index is None:
                return
            sent = time.perf_counter()
            try:
                status = await connection.send(make(index))
            except (OSError, asyncio.IncompleteReadError, ValueError):
                result.errors += 1
                connection.reset()
                continue
            result.count(status)
            result.latencies_ms.append((time.perf_counter() - sent) * 1000)
        connection.reset()

    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds = time.perf_counter() - start
    return result
