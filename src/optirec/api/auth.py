"""`/api/auth/…` and `/api/admin/keys`: register, sign in (OAuth2 password flow), manage API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordRequestForm

from optirec.audit import service as audit
from optirec.auth import service
from optirec.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    RegisterRequest,
    SessionResponse,
    TokenResponse,
)
from optirec.auth.security import decode_session_token, issue_session_token, issue_token, new_session_id
from optirec.errors import Forbidden, InvalidInput, Unauthorized
from optirec.gateway.caller import SESSION_HEADER, AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.ratelimit import AccountThrottle
from optirec.gateway.state import AppState, get_state
from optirec.signals.service import link_session
from optirec.store.tables import Customer

router = APIRouter(prefix="/api", tags=["auth"], route_class=CredentialFirstRoute)
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


def _linked_session(request: Request, state: AppState, named: str | None) -> str | None:
    """The anonymous session a sign-in links: the one whose token came with it (`X-Session-Token`). A `session_id`
    named without its token is refused: anyone could name another shopper's session and take their history."""
    token = request.headers.get(SESSION_HEADER)
    session_id = decode_session_token(token, secret=state.secret, issuer=state.settings.token_issuer) if token else None
    if named is not None and named != session_id:
        raise Forbidden("Linking an anonymous session needs its session token in the X-Session-Token header.")
    return session_id


@router.post("/auth/session", status_code=201, summary="Start (or renew) an anonymous shopper's session")
def start_session(request: Request, state: State) -> SessionResponse:
    token = request.headers.get(SESSION_HEADER)
    settings = state.settings
    if token:  # renewal: the same session, a fresh token
        session_id = decode_session_token(token, secret=state.secret, issuer=settings.token_issuer)
    else:
        session_id = new_session_id()
    issued, seconds = issue_session_token(
        session_id, secret=state.secret, days=settings.session_token_days, issuer=settings.token_issuer
    )
    return SessionResponse(session_id=session_id, session_token=issued, expires_in=seconds)


@router.post("/auth/register", status_code=201, summary="Create a customer account and sign in")
def register(body: RegisterRequest, request: Request, state: State) -> TokenResponse:
    session_id = _linked_session(request, state, body.session_id)
    with state.db.write() as session:
        customer = service.register_customer(session=session, email=body.email, password=body.password)
        if session_id:
            link_session(session=session, customer_id=customer.id, session_id=session_id)
    return _token_for(state, customer)


@router.post("/auth/token", summary="Sign in (OAuth2 password flow): e-mail as username")
def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    state: State,
    session_id: Annotated[
        str | None, Form(max_length=128, description="The session of the X-Session-Token sent, to link.")
    ] = None,
) -> TokenResponse:
    if "\x00" in form.username or "\x00" in form.password:
        raise InvalidInput("The e-mail address and the password may not contain a NUL character.")
    linked = _linked_session(request, state, session_id)
    throttle = AccountThrottle(state.limiter, state.settings.login_failures_per_account_per_minute)
    throttle.check(form.username)
    try:
        with state.db.write() as session:
            customer = service.authenticate(session=session, email=form.username, password=form.password)
            if linked:
                link_session(session=session, customer_id=customer.id, session_id=linked)
    except Unauthorized:
        throttle.failed(form.username)
        raise
    return _token_for(state, customer)


@router.post("/admin/keys", status_code=201, summary="Create an API key (shown once)")
def create_key(body: ApiKeyCreate, state: State, admin: AdminPrincipal) -> ApiKeyCreated:
    with state.db.write() as session:
        api_key, secret = service.create_api_key(session=session, name=body.name, role=body.role)
        public = ApiKeyPublic.model_validate(api_key)
        detail = {"name": public.name, "role": public.role}
        audit.record(session=session, principal=admin, action=audit.KEY_CREATE, target=public.id, detail=detail)
    return ApiKeyCreated(**public.model_dump(), key=secret)


@router.get("/admin/keys", summary="List API keys (never their secrets)")
def list_keys(state: State, _admin: AdminPrincipal) -> list[ApiKeyPublic]:
    with state.db.read() as session:
        return [ApiKeyPublic.model_validate(k) for k in service.list_api_keys(session=session)]


@router.delete("/admin/keys/{key_id}", summary="Revoke an API key")
def revoke_key(key_id: str, state: State, admin: AdminPrincipal) -> ApiKeyPublic:
    with state.db.write() as session:
        revoked = ApiKeyPublic.model_validate(service.revoke_api_key(session=session, key_id=key_id))
        detail = {"name": revoked.name, "role": revoked.role}
        audit.record(session=session, principal=admin, action=audit.KEY_REVOKE, target=revoked.id, detail=detail)
    state.principals.clear()  # at once in this process
    return revoked
