"""A listening socket per worker on one port (`SO_REUSEPORT`): the kernel spreads connections across them."""

from __future__ import annotations

import socket
from multiprocessing.reduction import ForkingPickler

import pytest

from optirec.runtime.listen import SPREADS_CONNECTIONS, ReusePortSocket, address_holder

pytestmark = pytest.mark.skipif(not SPREADS_CONNECTIONS, reason="Linux spreads connections over SO_REUSEPORT sockets")


def _in_a_worker(holder: ReusePortSocket) -> socket.socket:
    """What a worker process receives: the holder pickled as the supervisor hands it over."""
    received: socket.socket = ForkingPickler.loads(bytes(ForkingPickler.dumps(holder)))
    return received


def test_each_worker_opens_its_own_socket_on_the_holders_address() -> None:
    with address_holder("127.0.0.1", 0) as holder:
        first, second = _in_a_worker(holder), _in_a_worker(holder)
        with first, second:
            assert first.getsockname() == second.getsockname() == holder.getsockname()
            assert len({first.fileno(), second.fileno(), holder.fileno()}) == 3
            assert first.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1


def test_connections_are_spread_over_the_workers_sockets() -> None:
    with address_holder("127.0.0.1", 0) as holder:
        workers = [_in_a_worker(holder) for _ in range(2)]
        clients = []
        try:
            for sock in workers:
                sock.listen(64)
                sock.setblocking(False)
            clients = [socket.create_connection(holder.getsockname()) for _ in range(32)]
            accepted = []
            for sock in workers:
                count = 0
                while True:
                    try:
                        sock.accept()[0].close()
                    except BlockingIOError:
                        break
                    count += 1
                accepted.append(count)
        finally:
            for client in clients:
                client.close()
            for sock in workers:
                sock.close()
    # Every connection reached a listening worker, and both got some (all 32 on one: a 1 in 2 billion chance).
    assert sum(accepted) == 32 and min(accepted) > 0, accepted


def test_a_taken_address_is_refused() -> None:
    with socket.socket() as other:  # another program listening on the port
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError):
            address_holder("127.0.0.1", other.getsockname()[1])
    with address_holder("127.0.0.1", 0) as holder, _in_a_worker(holder) as worker:  # another optirec server
        worker.listen()
        with pytest.raises(OSError):
            address_holder("127.0.0.1", holder.getsockname()[1])
