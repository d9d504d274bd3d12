"""Keeping what a worker builds once out of the cyclic garbage collector's way."""

from __future__ import annotations

import gc

# Collections of the middle generation between two full ones (Python's default: 10). What a worker keeps for a while
# and then drops (the lists made lately, the wearers and their views: thousands of objects each, bounded) reaches the
# oldest generation between two settles, and every full collection walks it: 30-50 ms a collection on the large shop,
# every two seconds at saturation, each one a pause of every request of the worker (`docs/benchmarks.md`).
FULL_COLLECTION_EVERY = 100


def settle() -> None:
    """Move what the worker has built so far (catalog snapshot, model, caches) out of the cyclic collector's reach,
    after the warm-up, each new catalog snapshot and each model swap. It lives as long as the worker, and a full
    collection over it paused every request of the worker; once frozen, none does (`docs/benchmarks.md`). What is
    later dropped of it is still freed by reference counting; only reference cycles among it would stay. Full
    collections of what comes after are made rarer (`FULL_COLLECTION_EVERY`): garbage in reference cycles that
    reached the oldest generation waits a little longer to be freed."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
