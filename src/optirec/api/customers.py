"""`/api/customers/me…` for customers; `/api/customers/{id}…` for the shop's servers and admins."""

from __future__ import annotations

import io
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool

from optirec.auth.service import Principal
from optirec.customers import service
from optirec.customers.importer import import_customers
from optirec.customers.schemas import CustomerId, CustomerPublic, CustomerUpsert, ProfileUpdate
from optirec.errors import Forbidden
from optirec.gateway.caller import CurrentPrincipal, ServicePrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.state import AppState, get_state
from optirec.privacy import service as privacy
from optirec.privacy.schemas import CustomerExport
from optirec.tabular import ImportReport

router = APIRouter(prefix="/api/customers", tags=["customers"], route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


def _own_id(principal: CurrentPrincipal) -> str:
    if principal.customer_id is None:
        raise Forbidden("/api/customers/me is for a signed-in customer; servers use /api/customers/{customer_id}.")
    return principal.customer_id


Me = Annotated[str, Depends(_own_id)]


def _managed(principal: Principal) -> frozenset[str] | None:
    """The account roles the caller may manage: a service key, customers only; an administrator, any."""
    return service.SERVICE_MANAGES if principal.role == "service" else None


@router.get("/me", summary="My account and fitting profile")
def get_me(me: Me, state: State) -> CustomerPublic:
    with state.db.read() as session:
        return service.to_public(service.get_customer(session=session, customer_id=me))


@router.patch("/me", summary="Change my profile: prescription, measurements, preferences, budget, consent")
def update_me(body: ProfileUpdate, me: Me, state: State) -> CustomerPublic:
    with state.db.write() as session:
        return service.to_public(service.update_profile(session=session, customer_id=me, changes=body))


@router.get("/me/export", summary="Everything optirec holds on me")
def export_me(me: Me, state: State) -> CustomerExport:
    with state.db.read() as session:
        return privacy.export_customer(session=session, customer_id=me)


@router.delete("/me", summary="Erase my account, profile and signals")
def delete_me(me: Me, state: State) -> dict[str, int]:
    with state.db.write(erasing=True) as session:
        erased = privacy.delete_customer(session=session, customer_id=me)
    state.customer_erased()  # the erased customer's token stops working at once in this process
    return erased


@router.post("/import", summary="Bulk load customers from JSON Lines (one CustomerImport a line)")
async def import_file(request: Request, state: State, who: ServicePrincipal) -> ImportReport:
    body = await request.body()
    return await run_in_threadpool(partial(import_customers, state.db, io.BytesIO(body), roles=_managed(who)))


@router.put("/{customer_id}", summary="Create or update a customer the shop knows by its own id")
def upsert_customer(
    customer_id: CustomerId, body: CustomerUpsert, state: State, who: ServicePrincipal
) -> CustomerPublic:
    with state.db.write() as session:
        customer, _created = service.upsert_customer(
            session=session, customer_id=customer_id, data=body, roles=_managed(who)
        )
        return service.to_public(customer)


@router.get("/{customer_id}", summary="One customer and their profile")
def get_customer(customer_id: CustomerId, state: State, who: ServicePrincipal) -> CustomerPublic:
    with state.db.read() as session:
        return service.to_public(service.get_customer(session=session, customer_id=customer_id, roles=_managed(who)))


@router.get("/{customer_id}/export", summary="Everything held on a customer (an access request the shop received)")
def export_customer(customer_id: CustomerId, state: State, who: ServicePrincipal) -> CustomerExport:
    with state.db.read() as session:
        return privacy.export_customer(session=session, customer_id=customer_id, roles=_managed(who))


@router.delete("/{customer_id}", summary="Erase a customer (a deletion request the shop received)")
def delete_customer(customer_id: CustomerId, state: State, who: ServicePrincipal) -> dict[str, int]:
    with state.db.write(erasing=True) as session:
        erased = privacy.delete_customer(session=session, customer_id=customer_id, roles=_managed(who))
    state.customer_erased()
    return erased
