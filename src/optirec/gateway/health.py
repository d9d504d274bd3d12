"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from optirec.errors import OptirecError
from optirec.state import AppState, get_state

router = APIRouter(tags=["operations"])


class NotReady(OptirecError):
    status_code = 503
    code = "not_ready"


@router.get("/healthz", summary="The process is alive")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The process can serve: warmed up, and the database answers")
def readyz(state: Annotated[AppState, Depends(get_state)]) -> dict[str, str]:
    recommender = state.extras.get("recommender")
    if recommender is not None and not recommender.engine.warmed.is_set():
        # Popularity and segment counts are GROUP BY queries over every signal: seconds on a large shop. A load
        # balancer that waits for this keeps the first shoppers from waiting for them.
        raise NotReady("Warming up: building the catalog snapshot, popularity and segment counts.")
    try:
        with state.db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        raise NotReady("The database does not answer.") from None
    return {"status": "ready", "database": state.db.engine.dialect.name}


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics() -> Response:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        payload = generate_latest(registry)
    else:
        payload = generate_latest()
    return Response(payload, media_type=CONTENT_TYPE_LATEST)
