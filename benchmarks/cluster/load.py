"""Shop traffic through the balancer, in a thread of its own while a scenario acts on the hosts: lists
(`/personalized` for a random customer) and signal batches (unique event ids), at a fixed rate (open loop), each
answer kept as an `Outcome` (when, which replica, which model version, the signals it acknowledged, or why it
failed)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random

import orjson

from benchmarks.http import build_request

LIST_PATH = "/api/recommendations/personalized"
SIGNALS_PATH = "/api/recommendations/signals"
SIGNALS_EVERY = 4  # one request in four is a signal batch
BATCH = 5  # signals a batch
TIMEOUT = 15.0  # seconds an answer may take


@dataclass
class Outcome:
    kind: str  # "list" or "signals"
    started: float  # time.monotonic()
    ended: float
    status: int  # 0: no HTTP answer (`cause` says why)
    served_by: str = ""  # the replica (HAProxy's X-Served-By), "" when the balancer answered itself
    version: str | None = None  # a list's model_version
    cause: str | None = None  # why it failed (None: it did not)
    retry_after: str | None = None
    acknowledged: tuple[str, ...] = ()  # event ids the answer acknowledged

    @property
    def failed(self) -> bool:
        return self.cause is not None


@dataclass
class Shop:
    """What the traffic needs of the shop: a service key, customers and products."""

    service_key: str
    customers: list[str]
    products: list[str]


@dataclass
class Traffic:
    """`start()` sends `rate` requests a second to `host:port` until `stop()`; `outcomes` holds the answers."""

    host: str
    port: int
    shop: Shop
    label: str  # prefix of the event ids: unique per scenario
    rate: float = 40.0
    outcomes: list[Outcome] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()), name=f"traffic-{self.label}")
        self._thread.start()

    def stop(self) -> list[Outcome]:
        """Stop sending, wait for the answers in flight, return every outcome."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(TIMEOUT + 10)
        return self.outcomes

    async def _run(self) -> None:
        rng = Random(self.label)
        idle: list[_Connection] = []
        tasks: set[asyncio.Task[None]] = set()
        start = time.monotonic()
        index = 0
        while not self._stop.is_set():
            delay = start + index / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(self._one(index, rng, idle))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            index += 1
        if tasks:
            await asyncio.gather(*tasks)
        for connection in idle:
            connection.close()

    def _request(self, index: int, rng: Random) -> tuple[str, bytes, tuple[str, ...]]:
        headers = {"X-API-Key": self.shop.service_key, "Content-Type": "application/json"}
        customer = rng.choice(self.shop.customers)
        if index % SIGNALS_EVERY != SIGNALS_EVERY - 1:
            body = orjson.dumps({"customer_id": customer, "limit": 8})
            return "list", build_request("POST", LIST_PATH, body, headers), ()
        now = datetime.now(UTC).isoformat()
        ids = tuple(f"{self.label}-{index}-{k}" for k in range(BATCH))
        signals = [{"event_id": event_id, "customer_id": customer, "product_id": rng.choice(self.shop.products),
                    "action_type": "view", "occurred_at": now} for event_id in ids]  # fmt: skip
        return "signals", build_request("POST", SIGNALS_PATH, orjson.dumps({"signals": signals}), headers), ids

    async def _one(self, index: int, rng: Random, idle: list[_Connection]) -> None:
        kind, payload, ids = self._request(index, rng)
        started = time.monotonic()
        try:
            status, headers, body = await asyncio.wait_for(_exchange(self.host, self.port, payload, idle), TIMEOUT)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as error:
            cause = f"no answer: {type(error).__name__}"
            self.outcomes.append(Outcome(kind, started, time.monotonic(), 0, cause=cause))
            return
        outcome = Outcome(kind, started, time.monotonic(), status, served_by=headers.get("x-served-by", ""),
                          retry_after=headers.get("retry-after"))  # fmt: skip
        _read_answer(outcome, body, ids)
        self.outcomes.append(outcome)


def _read_answer(outcome: Outcome, body: bytes, ids: tuple[str, ...]) -> None:
    try:
        answer = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        answer = {}
    if not isinstance(answer, dict):
        answer = {}
    if 200 <= outcome.status < 300:
        if outcome.kind == "list":
            outcome.version = answer.get("model_version")
            return
        refused = {e.get("event_id") for e in answer.get("errors") or []}
        outcome.acknowledged = tuple(i for i in ids if i not in refused)
        if refused:
            outcome.cause = f"{len(refused)} signals refused"
        return
    code = (answer.get("error") or {}).get("code", "no JSON error") if answer else "no JSON error"
    where = f"from {outcome.served_by}" if outcome.served_by else "from the balancer"
    outcome.cause = f"{outcome.status} {code} {where}"


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    def close(self) -> None:
        self.writer.close()


async def _exchange(host: str, port: int, payload: bytes, idle: list[_Connection]) -> tuple[int, dict[str, str], bytes]:
    """Send on an idle keep-alive connection (or a new one) and read the answer. An idle connection the balancer
    closed meanwhile is replaced once, as HTTP clients do."""
    while True:
        reused = bool(idle)
        connection = idle.pop() if idle else _Connection(*await asyncio.open_connection(host, port))
        try:
            connection.writer.write(payload)
            await connection.writer.drain()
            answer = await _read(connection.reader)
        except (OSError, asyncio.IncompleteReadError):
            connection.close()
            if reused:
                continue
            raise
        except BaseException:
            connection.close()
            raise
        if answer[1].get("connection", "").lower() == "close":
            connection.close()
        else:
            idle.append(connection)
        return answer


async def _read(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0][9:12])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    return status, headers, await reader.readexactly(length) if length else b""
