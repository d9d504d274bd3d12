"""`/api/admin/experiments`: experiments between serving policies (docs/experiments.md), admins only.

Each change is written to the audit log in the same transaction, and reaches this worker at once (its book of running
experiments is read again) and the other workers within `OPTIREC_EXPERIMENT_REFRESH_SECONDS`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from optirec.gateway.caller import AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.recommend import experiment_results, experiments
from optirec.recommend.experiment_results import ExperimentResults
from optirec.recommend.experiments import ExperimentCreate, ExperimentPublic

router = APIRouter(prefix="/api/admin/experiments", tags=["admin"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]
ExperimentId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[0-9a-f]+$")]


class ShipRequest(BaseModel):
    arm: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="The arm whose policy becomes the default.")


@router.get("", summary="Every experiment, newest first, with its arms and state")
def list_experiments(state: State, _admin: AdminPrincipal) -> list[ExperimentPublic]:
    with state.db.read() as session:
        return [ExperimentPublic.model_validate(row) for row in experiments.list_all(session=session)]


@router.post(
    "", status_code=201, summary="Create an experiment (a draft): its placements and arms, one of them control"
)
def create_experiment(body: ExperimentCreate, state: State, admin: AdminPrincipal) -> ExperimentPublic:
    with state.db.write() as session:
        return ExperimentPublic.model_validate(experiments.create(session=session, body=body, principal=admin))


@router.get("/{experiment_id}", summary="One experiment")
def get_experiment(experiment_id: ExperimentId, state: State, _admin: AdminPrincipal) -> ExperimentPublic:
    with state.db.read() as session:
        return ExperimentPublic.model_validate(experiments.get(session=session, experiment_id=experiment_id))


@router.post("/{experiment_id}/start", summary="Start assigning shoppers to the arms (a draft only)")
def start_experiment(experiment_id: ExperimentId, state: State, admin: AdminPrincipal) -> ExperimentPublic:
    with state.db.write() as session:
        row = ExperimentPublic.model_validate(
            experiments.start(session=session, experiment_id=experiment_id, principal=admin)
        )
    state.list_builder.book.refresh()
    return row


@router.post("/{experiment_id}/stop", summary="Stop assigning: every shopper gets the default policy again")
def stop_experiment(experiment_id: ExperimentId, state: State, admin: AdminPrincipal) -> ExperimentPublic:
    with state.db.write() as session:
        row = ExperimentPublic.model_validate(
            experiments.stop(session=session, experiment_id=experiment_id, principal=admin)
        )
    state.list_builder.book.refresh()
    return row


@router.post(
    "/{experiment_id}/ship", summary="Write an arm's policy as the default serving policy; ends the experiment"
)
def ship_experiment(
    experiment_id: ExperimentId, body: ShipRequest, state: State, admin: AdminPrincipal
) -> ExperimentPublic:
    with state.db.write() as session:
        row = ExperimentPublic.model_validate(
            experiments.ship(session=session, experiment_id=experiment_id, arm=body.arm, principal=admin)
        )
    state.list_builder.book.refresh()
    return row


@router.get(
    "/{experiment_id}/results",
    summary="Per arm: lists, click-through, add-to-cart, conversion, revenue per list with 95 % intervals, and the "
    "always-valid difference to control; checks the guardrail",
)
def results(
    experiment_id: ExperimentId,
    state: State,
    admin: AdminPrincipal,
    window_hours: Annotated[int, Query(ge=1, le=2160, description="Attribution window after each list.")] = 168,
) -> ExperimentResults:
    answer = experiment_results.results(
        db=state.db, experiment_id=experiment_id, window=timedelta(hours=window_hours), principal=admin
    )
    if answer.stopped_now:
        state.list_builder.book.refresh()
    return answer
