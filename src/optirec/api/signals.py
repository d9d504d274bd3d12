"""`POST /api/recommendations/signals`: one signal or a batch, answered only after the commit."""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from optirec.errors import BadRequest, InvalidInput, PayloadTooLarge
from optirec.gateway.caller import CurrentPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.signals import service
from optirec.signals.schemas import SIGNALS_REQUEST_SCHEMA, SignalReceipt

router = APIRouter(prefix="/api/recommendations", tags=["signals"], route_class=CredentialFirstRoute)


def _items(payload: Any, limit: int) -> list[Any]:
    """The signals of a body that is one signal, a list of them, or `{"signals": [...]}`."""
    if isinstance(payload, list):
        items = payload
    elif isinstance(payload, dict) and isinstance(payload.get("signals"), list) and "event_id" not in payload:
        items = payload["signals"]
    elif isinstance(payload, dict):
        items = [payload]
    else:
        raise BadRequest('The body must be a signal object, a list of signals, or {"signals": [...]}.')
    if not items:
        raise InvalidInput("The batch is empty: send at least one signal.")
    if len(items) > limit:
        raise PayloadTooLarge(f"A batch holds at most {limit:,} signals; this one has {len(items):,}.")
    return items


@router.post(
    "/signals",
    summary="Record behaviour signals (one, or a batch of up to 1,000)",
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": SIGNALS_REQUEST_SCHEMA}}}
    },
    responses={422: {"description": "Every signal of the request was rejected (see details)."}},
)
async def record_signals(
    request: Request, principal: CurrentPrincipal, state: Annotated[AppState, Depends(get_state)]
) -> SignalReceipt:
    try:
        payload = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        raise BadRequest("The request body is not valid JSON.") from None
    items = _items(payload, state.settings.signal_batch_max)
    checked = service.check_signals(items, action_types=state.settings.action_types, principal=principal)
    if not checked.signals:
        refused = len(checked.errors)
        state.intake.add(SignalReceipt(accepted=0, duplicates=checked.repeats, rejected=refused, unknown_products=0))
        details = [error.model_dump() for error in checked.errors]
        message = checked.errors[0].message if len(items) == 1 else "Every signal of the batch was rejected."
        raise InvalidInput(message, details=details)
    return await run_in_threadpool(_store, state, checked)


def _store(state: AppState, checked: service.Checked) -> SignalReceipt:
    receipt = service.record_signals(db=state.db, checked=checked)
    state.intake.add(receipt)
    return receipt
