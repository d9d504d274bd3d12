"""Keeping what a worker builds once out of the cyclic garbage collector's way."""

from __future__ import annotations

import gc


def settle() -> None:
    """Move what the worker has built so far (catalog snapshot, model, caches) out of the cyclic collector's reach,
    after the warm-up, each new catalog snapshot and each model swap. It lives as long as the worker, and a full
    collection over it paused every request of the worker; once frozen, none does (`docs/benchmarks.md`). What is
    later dropped of it is still freed by reference counting; only reference cycles among it would stay."""
    gc.freeze()
