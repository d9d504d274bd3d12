"""`/api/catalog/products…`: list, search, get (anyone); create, update, deactivate, import (servers, admins)."""

from __future__ import annotations

import io
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from optirec.catalog import service
from optirec.catalog.importer import import_products
from optirec.catalog.schemas import (
    ProductCreate,
    ProductFilter,
    ProductPage,
    ProductPublic,
    ProductUpdate,
)
from optirec.errors import BadRequest
from optirec.gateway.caller import ServicePrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.tabular import ImportReport, detect_format

router = APIRouter(prefix="/api/catalog/products", tags=["catalog"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


@router.get("", summary="List and search products")
def list_products(state: State, filters: Annotated[ProductFilter, Query()]) -> ProductPage:
    with state.db.read() as session:
        products, total = service.list_products(session=session, filters=filters)
        items = [ProductPublic.model_validate(p) for p in products]
    return ProductPage(items=items, total=total, limit=filters.limit, offset=filters.offset)


@router.get("/{product_id}", summary="Get one product")
def get_product(product_id: str, state: State) -> ProductPublic:
    with state.db.read() as session:
        return ProductPublic.model_validate(service.get_product(session=session, product_id=product_id))


@router.post("", status_code=201, summary="Create a product")
def create_product(body: ProductCreate, state: State, _who: ServicePrincipal) -> ProductPublic:
    with state.db.write() as session:
        created = ProductPublic.model_validate(service.create_product(session=session, data=body))
    state.catalog_changed()
    return created


@router.patch("/{product_id}", summary="Update some fields of a product")
def update_product(product_id: str, body: ProductUpdate, state: State, _who: ServicePrincipal) -> ProductPublic:
    with state.db.write() as session:
        updated = ProductPublic.model_validate(
            service.update_product(session=session, product_id=product_id, data=body)
        )
    state.catalog_changed()
    return updated


@router.delete("/{product_id}", summary="Deactivate a product (it is kept, but no longer listed or recommended)")
def deactivate_product(product_id: str, state: State, _who: ServicePrincipal) -> ProductPublic:
    with state.db.write() as session:
        product = ProductPublic.model_validate(service.deactivate_product(session=session, product_id=product_id))
    state.catalog_changed()
    return product


@router.post(
    "/import",
    summary="Bulk import from JSON Lines or CSV (the request body is the file)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_file(
    request: Request,
    state: State,
    _who: ServicePrincipal,
    format: Annotated[Literal["jsonl", "csv"] | None, Query(description="Default: from Content-Type.")] = None,
) -> ImportReport:
    content_type = request.headers.get("content-type", "")
    fmt = detect_format("upload", format or ("csv" if "csv" in content_type else "jsonl"))
    body = await request.body()
    try:
        report = await run_in_threadpool(import_products, state.db, io.BytesIO(body), fmt)
    except ValueError as error:  # an unusable header: nothing was imported
        raise BadRequest(str(error)) from None
    state.catalog_changed()
    return report
