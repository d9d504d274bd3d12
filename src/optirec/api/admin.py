"""`/api/admin/…`: the model lifecycle, what each worker serves, the online metrics, the overview and the audit log
(admins only). Every change an administrator makes here is written to the audit log in the same transaction."""

from __future__ import annotations

from datetime import timedelta
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime
from starlette.concurrency import run_in_threadpool

from optirec.audit import service as audit
from optirec.audit.schemas import AuditPage
from optirec.audit.service import MAX_EVENT_ID
from optirec.auth.service import Principal
from optirec.gateway.caller import AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.overview.schemas import Overview, SignalIntake
from optirec.overview.service import get_overview, signal_intake
from optirec.recommend.attribution import DailyMetrics
from optirec.recommend.impressions import ImpressionPage, list_impressions
from optirec.recommend.workers import WorkerPublic, list_workers, versions_served
from optirec.training import registry
from optirec.training.registry import ModelVersionPublic
from optirec.training.scheduler import TrainingRun

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


@router.get("/overview", summary="Counts of products, customers, signals (last 24 h, per hour), lists; the live model")
def overview(state: State, _admin: AdminPrincipal) -> Overview:
    activity = state.aggregates.activity()  # counted at most a minute ago (OPTIREC_CONSOLE_CACHE_SECONDS)
    with state.db.read() as session:
        return get_overview(session=session, activity=activity.value, counted_at=activity.at)


@router.get(
    "/intake",
    summary="What the signal intake answered per hour of the last 24: accepted, duplicates, rejected, unknown products",
)
def intake(state: State, _admin: AdminPrincipal) -> SignalIntake:
    state.intake.flush()  # this process's latest counts (the others' are at most a few seconds old)
    with state.db.read() as session:
        return signal_intake(session=session)


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
def promote_model(version: str, state: State, admin: AdminPrincipal) -> ModelVersionPublic:
    with state.db.write() as session:
        before = registry.live_version(session=session)
        was = before.id if before is not None else None
        row = registry.promote(session=session, version=version, note="promoted by an administrator")
        audit.record(session=session, principal=admin, action=audit.PROMOTE, target=row.id, detail={"was_live": was})
        return ModelVersionPublic.model_validate(row)


@router.post("/models/rollback", summary="Serve again the version that was live before the current one")
def rollback_model(state: State, admin: AdminPrincipal) -> ModelVersionPublic:
    with state.db.write() as session:
        before = registry.live_version(session=session)
        row = registry.rollback(session=session)
        detail = {"rolled_back": before.id if before is not None else None}
        audit.record(session=session, principal=admin, action=audit.ROLLBACK, target=row.id, detail=detail)
        return ModelVersionPublic.model_validate(row)


@router.post("/models/train", status_code=202, summary="Train a new version now (in the background)")
async def train_model(
    state: State, admin: AdminPrincipal, force: Annotated[bool, Query(description="Promote even if worse.")] = False
) -> dict[str, str]:
    started = await run_in_threadpool(partial(state.trainer.start, force=force, actor=audit.actor_of(admin)))
    status = "started" if started else "already running"
    await run_in_threadpool(partial(_record_training, state, admin, force, status))
    return {"status": status}


def _record_training(state: AppState, admin: Principal, force: bool, status: str) -> None:
    with state.db.write() as session:
        audit.record(session=session, principal=admin, action=audit.TRAIN, detail={"force": force, "status": status})


@router.get(
    "/models/training",
    summary="The training this worker started on demand: its stage while it runs, then the version or the error",
)
def training(state: State, _admin: AdminPrincipal) -> TrainingRun | None:
    return state.trainer.last


@router.get(
    "/metrics", summary="Per model version and day: lists served, click-through, add-to-cart, conversion, revenue"
)
def metrics(state: State, _admin: AdminPrincipal, days: Annotated[int, Query(ge=1, le=365)] = 30) -> list[DailyMetrics]:
    return state.aggregates.daily(days).value


@router.get(
    "/impressions",
    summary="Every item of the served lists (placement, policy, arm, propensity) and what followed it, oldest first",
)
def impressions(
    state: State,
    _admin: AdminPrincipal,
    since: Annotated[AwareDatetime | None, Query(description="Lists served at or after this time (ISO 8601).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Lists served before this time (ISO 8601).")] = None,
    after: Annotated[
        str | None, Query(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$", description="`next_after` of a page.")
    ] = None,
    lists: Annotated[int, Query(ge=1, le=1000, description="Served lists read for one page.")] = 500,
    window_hours: Annotated[int, Query(ge=1, le=2160, description="Attribution window after each list.")] = 168,
    include_unrendered: Annotated[bool, Query(description="Also the lists no signal refers to.")] = False,
) -> ImpressionPage:
    with state.db.read() as session:
        return list_impressions(
            session=session, since=since, until=until, after=after, lists=lists,
            window=timedelta(hours=window_hours), include_unrendered=include_unrendered,
        )  # fmt: skip


@router.get("/audit", summary="The audit log, newest first: promotions, rollbacks, trainings, API key changes")
def audit_log(
    state: State,
    _admin: AdminPrincipal,
    limit: Annotated[int, Query(ge=1, le=500, description="Events on one page.")] = 50,
    before: Annotated[
        int | None, Query(ge=1, le=MAX_EVENT_ID, description="Only events older than this one (the next page).")
    ] = None,
) -> AuditPage:
    with state.db.read() as session:
        return audit.list_events(session=session, limit=limit, before=before)
