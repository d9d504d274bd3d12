"""`/api/admin/models…`, `/api/admin/workers` and `/api/admin/metrics`: the model lifecycle, what each worker
serves, and the online metrics (admins only)."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from optirec.gateway.caller import AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.recommend.attribution import DailyMetrics, daily_metrics
from optirec.recommend.workers import WorkerPublic, list_workers, versions_served
from optirec.training import registry
from optirec.training.registry import ModelVersionPublic

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


@router.get("/models", summary="Model versions, newest first, with their metrics, status and serving workers")
def list_models(state: State, _admin: AdminPrincipal) -> list[ModelVersionPublic]:
    with state.db.read() as session:
        served = versions_served(session=session)
        return [
            ModelVersionPublic.model_validate(v).model_copy(update={"workers": served.get(v.id, 0)})
            for v in registry.list_versions(session=session)
        ]


@router.get("/workers", summary="Each worker process and what it serves: live, fallback (and why) or popularity")
def workers(state: State, _admin: AdminPrincipal) -> list[WorkerPublic]:
    with state.db.read() as session:
        return list_workers(session=session)


@router.post("/models/{version}/promote", summary="Serve this version (every worker picks it up within seconds)")
def promote_model(version: str, state: State, _admin: AdminPrincipal) -> ModelVersionPublic:
    with state.db.write() as session:
        row = registry.promote(session=session, version=version, note="promoted by an administrator")
        return ModelVersionPublic.model_validate(row)


@router.post("/models/rollback", summary="Serve again the version that was live before the current one")
def rollback_model(state: State, _admin: AdminPrincipal) -> ModelVersionPublic:
    with state.db.write() as session:
        return ModelVersionPublic.model_validate(registry.rollback(session=session))


@router.post("/models/train", status_code=202, summary="Train a new version now (in the background)")
async def train_model(
    state: State, _admin: AdminPrincipal, force: Annotated[bool, Query(description="Promote even if worse.")] = False
) -> dict[str, str]:
    started = await run_in_threadpool(partial(state.trainer.start, force=force))
    return {"status": "started" if started else "already running"}


@router.get(
    "/metrics", summary="Per model version and day: lists served, click-through, add-to-cart, conversion, revenue"
)
def metrics(state: State, _admin: AdminPrincipal, days: Annotated[int, Query(ge=1, le=365)] = 30) -> list[DailyMetrics]:
    with state.db.read() as session:
        return daily_metrics(session=session, days=days)
