"""`/api/recommendations/…`: personalized lists, similar products, complete the look."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import ValidationError

from optirec.auth.service import Principal, acting_customer, acting_session
from optirec.errors import InvalidInput
from optirec.gateway.caller import CurrentPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.direct import DirectRoute
from optirec.gateway.state import AppState, get_state
from optirec.recommend.schemas import (
    CompleteTheLookRequest,
    PersonalizedRequest,
    RecommendationFilters,
    RecommendationResponse,
    SimilarRequest,
    StatedWearer,
)
from optirec.recommend.service import ListSpec, ServedList
from optirec.signals.schemas import SessionId
from optirec.tabular import validation_reason

# The two JSON-body lists take the direct request path (`gateway.direct`); the similar-products list, whose options
# are query parameters, FastAPI's own. `router`, at the end, holds both. Each has the prefix itself: a route's own
# path is what the access log and the metrics name it by.
_direct = APIRouter(prefix="/api/recommendations", route_class=DirectRoute)
_plain = APIRouter(prefix="/api/recommendations", route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


def _who(principal: Principal, customer_id: str | None, session_id: str | None) -> tuple[str | None, str | None]:
    """A customer's token stands for that customer, an anonymous shopper's for their session; a service key names a
    customer, a session, or no one."""
    return acting_customer(principal, customer_id), acting_session(principal, session_id)


def _stated(customer: str | None, stated: StatedWearer | None) -> dict[str, Any]:
    """The `ListSpec` fields of a stated wearer: for a list that is for no customer (a customer's stored profile
    applies to theirs)."""
    if stated is None or customer is not None:
        return {}
    return {"wearer": stated.wearer(), "prescription_kind": stated.prescription_kind}


def _answer(served: ServedList) -> Response:
    """The answer as JSON bytes (`ServedList.to_json`). The routes still declare `RecommendationResponse` as their
    response model, for the OpenAPI schema."""
    return Response(content=served.to_json(), media_type="application/json")


@_direct.post("/personalized", summary="What this shopper should see now", response_model=RecommendationResponse)
async def personalized(body: PersonalizedRequest, principal: CurrentPrincipal, state: State) -> Response:
    customer, session = _who(principal, body.customer_id, body.session_id)
    context_items = [p for p in [body.context.product_id, *body.context.cart] if p]
    spec = ListSpec(
        surface=body.context.page,
        customer_id=customer,
        session_id=session,
        limit=body.limit,
        filters=body.filters,
        exclude=body.exclude,
        context_items=list(dict.fromkeys(context_items)),
        diversity=body.diversity,
        explain=body.explain,
        context={"page": body.context.page, "product_id": body.context.product_id, "cart": body.context.cart},
        **_stated(customer, body.wearer),
    )
    return _answer(await state.list_builder.build_async(spec))


@_plain.get(
    "/similar/{product_id}",
    summary="Products similar to this one, that fit the shopper",
    response_model=RecommendationResponse,
)
async def similar(
    product_id: str,
    principal: CurrentPrincipal,
    state: State,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    session_id: Annotated[SessionId | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 12,
    category: Annotated[str | None, Query(max_length=64)] = None,
    brand: Annotated[str | None, Query(max_length=100)] = None,
    shape: Annotated[str | None, Query(max_length=32)] = None,
    price_min: Annotated[Decimal | None, Query(ge=0)] = None,
    price_max: Annotated[Decimal | None, Query(ge=0)] = None,
    diversity: Annotated[float, Query(ge=0, le=1)] = 0.2,
    explain: bool = True,
) -> Response:
    try:  # a contradictory filter (price_min above price_max), a customer_id no customer can have
        filters = RecommendationFilters(
            category=category, brand=brand, shape=shape, price_min=price_min, price_max=price_max
        )
        body = SimilarRequest(
            customer_id=customer_id, session_id=session_id, limit=limit, filters=filters, diversity=diversity,
            explain=explain,
        )  # fmt: skip
    except ValidationError as error:
        raise InvalidInput(validation_reason(error)) from None
    return await _similar(product_id, body, principal, state)


@_plain.post(
    "/similar/{product_id}",
    summary="Products similar to this one, that fit the shopper (options as JSON; may carry a stated wearer)",
    response_model=RecommendationResponse,
)
async def similar_posted(product_id: str, body: SimilarRequest, principal: CurrentPrincipal, state: State) -> Response:
    return await _similar(product_id, body, principal, state)


async def _similar(product_id: str, body: SimilarRequest, principal: Principal, state: AppState) -> Response:
    customer, session = _who(principal, body.customer_id, body.session_id)
    spec = ListSpec(
        surface="similar",
        customer_id=customer,
        session_id=session,
        limit=body.limit,
        filters=body.filters,
        exclude=body.exclude,
        context_items=[product_id],
        diversity=body.diversity,
        explain=body.explain,
        use_history=False,
        context={"product_id": product_id},
        **_stated(customer, body.wearer),
    )
    return _answer(await state.list_builder.build_async(spec))


@_direct.post("/complete-the-look", summary="Products that go with a cart", response_model=RecommendationResponse)
async def complete_the_look(body: CompleteTheLookRequest, principal: CurrentPrincipal, state: State) -> Response:
    customer, session = _who(principal, body.customer_id, body.session_id)
    spec = ListSpec(
        surface="complete_the_look",
        customer_id=customer,
        session_id=session,
        limit=body.limit,
        filters=body.filters,
        exclude=body.exclude,
        context_items=list(dict.fromkeys(body.cart)),
        diversity=body.diversity,
        explain=body.explain,
        use_history=False,
        context={"cart": body.cart},
        **_stated(customer, body.wearer),
    )
    return _answer(await state.list_builder.build_async(spec))


router = APIRouter(tags=["recommendations"])
router.include_router(_direct)
router.include_router(_plain)
