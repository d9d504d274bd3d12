"""Several workers on one port, each with its own listening socket (`SO_REUSEPORT`), so the kernel spreads new
connections across them.

uvicorn's own multi-worker mode binds one socket in the supervisor and every worker accepts from it. A worker that
wakes first accepts every waiting connection at once, so a client that opens its keep-alive pool in one burst (a
storefront's HTTP client, or `wrk`) can find all its connections on one worker while the others idle: measured on
two workers, 16 connections all on one worker in 3 of 12 runs, at half the throughput. With a socket per worker,
the kernel assigns each connection to a worker by a hash of its addresses.

uvicorn's supervisor is kept (restarts of dead workers, signals, health checks): it hands each worker a
`ReusePortSocket`, which pickles (for the worker's process) as "open your own socket on this address".
"""

from __future__ import annotations

import socket
import sys
from typing import Any, TypeVar

# Linux spreads connections over the listening sockets of one port; other systems give them all to one socket.
SPREADS_CONNECTIONS = sys.platform.startswith("linux") and hasattr(socket, "SO_REUSEPORT")
S = TypeVar("S", bound=socket.socket)


class ReusePortSocket(socket.socket):
    """A socket bound with `SO_REUSEPORT` that never listens (it holds the address and reports it); each process
    it is handed to opens its own socket on the same address instead of sharing this one."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (bind_reuse_port, (self.family, self.getsockname()))


def bind_reuse_port(family: socket.AddressFamily, address: tuple[Any, ...]) -> socket.socket:
    """A TCP socket bound to `address` with `SO_REUSEADDR` and `SO_REUSEPORT` (not yet listening)."""
    return _reuse_port(socket.socket(family, socket.SOCK_STREAM), address)


def _reuse_port(sock: S, address: tuple[Any, ...]) -> S:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    return sock


def address_holder(host: str, port: int) -> ReusePortSocket:
    """The supervisor's socket: binds `host:port`, never listens. Raises `OSError` when something listens on the
    address already, another optirec server included (whose workers would otherwise share the traffic)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:  # a plain bind: refused while anyone holds the port
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        address = probe.getsockname()  # port 0 becomes a free port
    return _reuse_port(ReusePortSocket(family, socket.SOCK_STREAM), address)
