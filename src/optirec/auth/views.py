"""`/api/auth/…` and `/api/admin/keys`: register, sign in (OAuth2 password flow), manage API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.security import OAuth2PasswordRequestForm

from optirec.auth import service
from optirec.auth.deps import AdminPrincipal
from optirec.auth.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyPublic, RegisterRequest, TokenResponse
from optirec.auth.security import issue_token
from optirec.customers.models import Customer
from optirec.state import AppState, get_state

router = APIRouter(prefix="/api", tags=["auth"])
State = Annotated[AppState, Depends(get_state)]


def _token_for(state: AppState, customer: Customer) -> TokenResponse:
    token, seconds = issue_token(
        customer.id,
        "admin" if customer.role == "admin" else "customer",
        secret=state.secret,
        minutes=state.settings.access_token_minutes,
        issuer=state.settings.token_issuer,
    )
    return TokenResponse(access_token=token, expires_in=seconds, customer_id=customer.id)


@router.post("/auth/register", status_code=201, summary="Create a customer account and sign in")
def register(body: RegisterRequest, state: State) -> TokenResponse:
    with state.db.write() as session:
        customer = service.register_customer(session=session, email=body.email, password=body.password)
        if body.session_id:
            service.link_session(session=session, customer_id=customer.id, session_id=body.session_id)
    return _token_for(state, customer)


@router.post("/auth/token", summary="Sign in (OAuth2 password flow): e-mail as username")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    state: State,
    session_id: Annotated[str | None, Form(max_length=128, description="Anonymous session to link.")] = None,
) -> TokenResponse:
    with state.db.write() as session:
        customer = service.authenticate(session=session, email=form.username, password=form.password)
        if session_id:
            service.link_session(session=session, customer_id=customer.id, session_id=session_id)
    return _token_for(state, customer)


@router.post("/admin/keys", status_code=201, summary="Create an API key (shown once)")
def create_key(body: ApiKeyCreate, state: State, _admin: AdminPrincipal) -> ApiKeyCreated:
    with state.db.write() as session:
        api_key, secret = service.create_api_key(session=session, name=body.name, role=body.role)
        public = ApiKeyPublic.model_validate(api_key)
    return ApiKeyCreated(**public.model_dump(), key=secret)


@router.get("/admin/keys", summary="List API keys (never their secrets)")
def list_keys(state: State, _admin: AdminPrincipal) -> list[ApiKeyPublic]:
    with state.db.read() as session:
        return [ApiKeyPublic.model_validate(k) for k in service.list_api_keys(session=session)]


@router.delete("/admin/keys/{key_id}", summary="Revoke an API key")
def revoke_key(key_id: str, state: State, _admin: AdminPrincipal) -> ApiKeyPublic:
    with state.db.write() as session:
        revoked = ApiKeyPublic.model_validate(service.revoke_api_key(session=session, key_id=key_id))
    state.principals.clear()  # at once in this process
    return revoked
