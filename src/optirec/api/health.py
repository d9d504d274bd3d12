"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import os
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess

from optirec.errors import Unavailable
from optirec.gateway.state import AppState, get_state
from optirec.recommend.workers import WorkerReport

router = APIRouter(tags=["operations"])
PROOF_WAIT_SECONDS = 2.0  # how long a readiness check waits for the worker's write


class NotReady(Unavailable):
    code = "not_ready"


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The process can serve: warmed up, and the database takes its writes")
async def readyz(state: Annotated[AppState, Depends(get_state)]) -> dict[str, Any]:
    if state.draining.is_set():  # first thing: the load balancer must stop sending before the worker stops
        raise NotReady("Draining: this worker is stopping and finishes the requests it has.")
    if not state.list_builder.serving_state.warmed.is_set():
        # Popularity and segment counts are GROUP BY queries over every signal: seconds on a large shop. A load
        # balancer that waits for this keeps the first shoppers from waiting for them.
        raise NotReady(
            "Warming up: building the catalog snapshot, popularity, segment counts, the lists' kernels and the "
            "console's counts."
        )
    await _proven_writable(state.worker)
    serving = state.worker.serving
    return {
        "status": "ready",
        "database": state.db.backend_name,
        "serving": {"model_version": serving.model_version, "state": serving.state, "reason": serving.reason},
    }


async def _proven_writable(report: WorkerReport) -> None:
    """The worker's latest write of its row (`WorkerReport.proof`: one in flight per process, its outcome reused
    for a second) succeeded; `NotReady` when it failed, or has not finished within `PROOF_WAIT_SECONDS` (a write
    lock held all that time). The event loop never waits on it: no thread piles up behind a held lock."""
    try:
        await asyncio.wait_for(asyncio.wrap_future(report.proof()), PROOF_WAIT_SECONDS)
    except TimeoutError:
        raise NotReady(f"The database has not taken this worker's write within {PROOF_WAIT_SECONDS:g} s.") from None
    except Exception:  # what it was is in the worker's log (`WorkerReport`)
        raise NotReady("The database does not take this worker's writes.") from None


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
