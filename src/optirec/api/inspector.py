"""`/api/admin/customers…`, `/api/admin/products…`, `/api/admin/coverage`: the console's inspectors (admins only).

A prescription revealed, a customer's data exported and a customer erased are each written to the audit log in the
same transaction (who and which customer; never the prescription). The lists shown ("what they would see now",
similar products, what goes with it) are built as a shopper's are, and not logged as served.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response
from starlette.concurrency import run_in_threadpool

from optirec.audit import service as audit
from optirec.customers.schemas import CustomerId
from optirec.gateway.caller import AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.inspector import customers, products
from optirec.inspector.coverage import get_coverage
from optirec.inspector.schemas import (
    Coverage,
    CustomerFound,
    CustomerInspected,
    PrescriptionRevealed,
    ProductFound,
    ProductInspected,
)
from optirec.privacy import service as privacy
from optirec.privacy.schemas import CustomerExport
from optirec.recommend.schemas import RecommendationFilters, RecommendationResponse
from optirec.recommend.service import ListSpec

router = APIRouter(prefix="/api/admin", tags=["admin"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]
Search = Annotated[str, Query(min_length=1, max_length=254, description="An id, or the start of an e-mail address.")]
Limit = Annotated[int, Query(ge=1, le=50, description="Products in the list.")]
ProductId = Annotated[str, Path(min_length=1, max_length=64, description="The product's id.")]
CUSTOMERS_ONLY = frozenset({"customer"})  # the console erases customers' accounts, never an administrator's


@router.get("/customers", summary="Find customers by id or e-mail address (an exact id, or the start of an address)")
def find_customers(q: Search, state: State, _admin: AdminPrincipal) -> list[CustomerFound]:
    with state.db.read() as session:
        return customers.find_customers(session=session, q=q)


@router.get("/customers/{customer_id}", summary="A customer: profile (prescription masked), counts, latest signals")
def inspect_customer(customer_id: CustomerId, state: State, _admin: AdminPrincipal) -> CustomerInspected:
    with state.db.read() as session:
        return customers.inspect_customer(session=session, customer_id=customer_id)


@router.post(
    "/customers/{customer_id}/prescription/reveal",
    summary="The customer's prescription; the reveal (who, when, which customer) is written to the audit log",
)
def reveal_prescription(customer_id: CustomerId, state: State, admin: AdminPrincipal) -> PrescriptionRevealed:
    with state.db.write() as session:
        revealed = customers.reveal_prescription(session=session, customer_id=customer_id)
        audit.record(session=session, principal=admin, action=audit.REVEAL, target=customer_id)
        return revealed


@router.get(
    "/customers/{customer_id}/list",
    summary="What the customer would see now on the home page: the live list with reasons and filter counts "
    "(not logged as served)",
    response_model=RecommendationResponse,
)
async def customer_list(customer_id: CustomerId, state: State, _admin: AdminPrincipal, limit: Limit = 12) -> Response:
    spec = ListSpec(
        surface="home", customer_id=customer_id, session_id=None, limit=limit, filters=RecommendationFilters()
    )
    served = await state.list_builder.preview_async(spec)
    return Response(content=served.to_json(), media_type="application/json")


@router.get("/customers/{customer_id}/export", summary="Everything held on the customer, as a download (audited)")
def export_customer(customer_id: CustomerId, state: State, admin: AdminPrincipal) -> CustomerExport:
    with state.db.write() as session:
        exported = privacy.export_customer(session=session, customer_id=customer_id, roles=CUSTOMERS_ONLY)
        detail = {"signals": len(exported.signals), "recommendations_served": len(exported.recommendations_served)}
        audit.record(session=session, principal=admin, action=audit.EXPORT, target=customer_id, detail=detail)
        return exported


@router.delete("/customers/{customer_id}", summary="Erase a customer and everything held on them (audited)")
def erase_customer(customer_id: CustomerId, state: State, admin: AdminPrincipal) -> dict[str, int]:
    with state.db.write(erasing=True) as session:
        erased = privacy.delete_customer(session=session, customer_id=customer_id, roles=CUSTOMERS_ONLY)
        audit.record(session=session, principal=admin, action=audit.ERASE, target=customer_id, detail=erased)
    state.customer_erased()  # the erased customer's token stops working at once in this process
    return erased


@router.get("/products", summary="Find products by id, or by words of their name or brand")
def find_products(
    q: Annotated[str, Query(min_length=1, max_length=100, description="An id, or words of a name or brand.")],
    state: State,
    _admin: AdminPrincipal,
) -> list[ProductFound]:
    with state.db.read() as session:
        return products.find_products(session=session, q=q)


@router.get("/products/{product_id}", summary="A product: attributes, how it performs, and whom it fits")
def inspect_product(product_id: ProductId, state: State, _admin: AdminPrincipal) -> ProductInspected:
    with state.db.read() as session:
        population = state.inspector.profiles.get()  # built at start, checked again in the background
        return products.inspect_product(
            session=session, product_id=product_id, rules=state.settings.rules, population=population
        )


@router.get(
    "/products/{product_id}/similar",
    summary="Products similar to this one, as a shopper with no profile would see them (not logged as served)",
    response_model=RecommendationResponse,
)
async def similar(product_id: ProductId, state: State, _admin: AdminPrincipal, limit: Limit = 8) -> Response:
    return await _context_list(state, "similar", product_id, limit)


@router.get(
    "/products/{product_id}/goes-with",
    summary="What goes with this product in a cart (complete the look; not logged as served)",
    response_model=RecommendationResponse,
)
async def goes_with(product_id: ProductId, state: State, _admin: AdminPrincipal, limit: Limit = 8) -> Response:
    return await _context_list(state, "complete_the_look", product_id, limit)


async def _context_list(state: AppState, surface: str, product_id: str, limit: int) -> Response:
    spec = ListSpec(
        surface=surface, customer_id=None, session_id=None, limit=limit, filters=RecommendationFilters(),
        context_items=[product_id], use_history=False,
    )  # fmt: skip
    served = await state.list_builder.preview_async(spec)
    return Response(content=served.to_json(), media_type="application/json")


@router.get(
    "/coverage",
    summary="Catalog fit coverage: in-stock frames that fit each prescription and face-width band (cached per "
    "catalog version)",
)
async def coverage(state: State, _admin: AdminPrincipal) -> Coverage:
    return await run_in_threadpool(partial(_coverage, state))


def _coverage(state: AppState) -> Coverage:
    with state.db.read() as session:
        population = state.inspector.profiles.get()
        return get_coverage(
            session=session, rules=state.settings.rules, cache=state.inspector.coverage, population=population
        )
