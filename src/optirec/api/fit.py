"""`/api/fit/…`: does a product fit this shopper, and which products do. Anyone may ask: a customer's token (or a
service key naming a customer) fits their stored profile, anyone else what they state in the body."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool

from optirec.auth.service import acting_customer
from optirec.catalog.schemas import ProductPublic
from optirec.catalog.service import products_by_id, search_product_ids
from optirec.errors import Unauthorized
from optirec.eyewear.wearer import Wearer
from optirec.fitting import service
from optirec.fitting.schemas import BrowsePage, BrowseRequest, FitPanel, FitRequest, WearerCheck, WearerSource
from optirec.gateway.caller import principal_for, request_credential
from optirec.gateway.state import AppState, get_state
from optirec.recommend.schemas import StatedWearer
from optirec.recommend.segments import segment_of

router = APIRouter(prefix="/api/fit", tags=["fit"])
State = Annotated[AppState, Depends(get_state)]


async def _customer(request: Request, state: AppState, named: str | None) -> str | None:
    """The customer whose stored profile applies: a customer token's own, or the one a service key names."""
    credential = request_credential(request)
    if credential is None:
        if named is not None:
            raise Unauthorized("Naming a customer_id needs a service key or that customer's own token.")
        return None
    return acting_customer(await principal_for(request, credential, state), named)


def _wearer(state: AppState, customer: str | None, body: FitRequest) -> tuple[Wearer, WearerSource]:
    if customer is not None:
        with state.db.read() as session:
            return service.stored_wearer(session=session, customer_id=customer), "profile"
    if body.wearer is not None:
        return body.wearer.wearer(), "stated"
    return Wearer(), "none"


@router.post("/products/{product_id}", summary="Does this product fit the shopper: each hard rule, and why")
async def product_fit(product_id: str, request: Request, state: State, body: FitRequest | None = None) -> FitPanel:
    body = body or FitRequest()
    customer = await _customer(request, state, body.customer_id)
    return await run_in_threadpool(_panel, state, product_id, customer, body)


def _panel(state: AppState, product_id: str, customer: str | None, body: FitRequest) -> FitPanel:
    wearer, source = _wearer(state, customer, body)
    snapshot = state.list_builder.serving_state.snapshots.get()
    panel = service.fit_panel(snapshot, product_id, wearer, state.settings.rules)
    return panel.model_copy(update={"wearer": source})


@router.post("/products", summary="List products, or only those that fit the shopper, with what each rule hid")
async def browse(body: BrowseRequest, request: Request, state: State) -> BrowsePage:
    customer = await _customer(request, state, body.customer_id)
    return await run_in_threadpool(_browse, state, customer, body)


def _browse(state: AppState, customer: str | None, body: BrowseRequest) -> BrowsePage:
    wearer, source = _wearer(state, customer, body)
    builder = state.list_builder
    snapshot = builder.serving_state.snapshots.get()
    found = None
    if body.filters.q:
        with state.db.read() as session:
            found = search_product_ids(session=session, q=body.filters.q)
    listing = service.browse(
        snapshot,
        view=builder.wearers.view(snapshot, wearer, state.settings.rules),
        filters=body.filters,
        found=found,
        fits_me=body.fits_me,
        order=body.sort,
        popularity=builder.serving_state.popularity_vector(snapshot),
        limit=body.limit,
        offset=body.offset,
    )
    with state.db.read() as session:
        ids = [snapshot.ids[p] for p in listing.positions.tolist()]
        items = [ProductPublic.model_validate(p) for p in products_by_id(session=session, product_ids=ids)]
    return BrowsePage(
        items=items, total=listing.total, limit=body.limit, offset=body.offset, fits_me=body.fits_me, wearer=source,
        fit=listing.counts, facets=service.facets(snapshot),
    )  # fmt: skip


@router.post("/wearer", summary="Check what a shopper states (as a profile is checked; never stored)")
def check_wearer(body: StatedWearer) -> WearerCheck:
    kind, size = segment_of(body.wearer(), body.prescription_kind)
    return WearerCheck.model_validate({"prescription_kind": kind, "face_size": size})
