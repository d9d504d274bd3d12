"""FastAPI dependencies that say who is calling and what they may do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from optirec.auth import service
from optirec.auth.security import API_KEY_PREFIX, Role, decode_session_token, decode_token, digest_api_key
from optirec.auth.service import Principal
from optirec.errors import Forbidden, Unauthorized
from optirec.gateway.state import AppState, get_state

_bearer = HTTPBearer(auto_error=False, description="A customer's access token, or a server's API key.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A server's API key.")
SESSION_HEADER = "x-session-token"
_session = APIKeyHeader(
    name="X-Session-Token",
    auto_error=False,
    scheme_name="SessionToken",
    description="An anonymous shopper's session token (POST /api/auth/session): alone, or beside a customer's "
    "access token to reach that session.",
)


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
    _session_token: Annotated[str | None, Depends(_session)],  # read by `principal_for`; declared for the docs
    state: Annotated[AppState, Depends(get_state)],
) -> Principal:
    return await principal_for(request, api_key or (bearer.credentials if bearer else None), state)


def request_credential(request: Request) -> str | None:
    """The credential as the `current_principal` dependency reads it (FastAPI's `APIKeyHeader` and `HTTPBearer`
    without auto-errors), for routes that resolve the caller without the dependency graph (`gateway.direct`):
    the `X-API-Key` header, else the `Authorization` header's bearer credential."""
    headers = request.headers
    api_key = headers.get("x-api-key")
    if api_key:
        return api_key
    scheme, _, credential = (headers.get("authorization") or "").partition(" ")
    credential = credential.strip()
    return credential if credential and scheme.lower() == "bearer" else None


async def principal_for(request: Request, credential: str | None, state: AppState) -> Principal:
    """Who sends `credential` (an API key's server or a token's customer) and, with `X-Session-Token`, which
    anonymous session they hold; an anonymous shopper sends the session token alone. 401 for none or a bad one."""
    found: Principal | None = getattr(request.state, "principal", None)
    if found is not None:  # resolved once per request (`CredentialFirstRoute`, before the body is read)
        return found
    session_token = request.headers.get(SESSION_HEADER)
    if credential:
        principal = await _account(credential, state)
        if session_token:
            principal = replace(principal, session_id=_session_of(session_token, state))
    elif session_token:
        principal = Principal(role="session", session_id=_session_of(session_token, state))
    else:
        raise Unauthorized(
            "Sign in, send an API key, or start an anonymous session (POST /api/auth/session) to use this endpoint."
        )
    request.state.principal = principal
    request.state.principal_kind = principal.kind
    return principal


def _session_of(token: str, state: AppState) -> str:
    return decode_session_token(token, secret=state.secret, issuer=state.settings.token_issuer)


async def _account(credential: str, state: AppState) -> Principal:
    if credential.startswith(API_KEY_PREFIX):
        key, customer_id = "key:" + digest_api_key(credential), None
    else:  # signature and expiry are checked on every request; only the account's existence is cached
        customer_id = decode_token(credential, secret=state.secret, issuer=state.settings.token_issuer).customer_id
        key = "customer:" + customer_id
    principal = state.principals.get(key)
    if principal is None:
        principal = await state.principals.resolve(
            key, lambda: run_in_threadpool(_look_up, state, credential, customer_id)
        )
    return principal


def _look_up(state: AppState, credential: str, customer_id: str | None) -> Principal:
    with state.db.read() as session:
        if customer_id is None:
            return service.principal_for_api_key(session=session, key=credential)
        return service.principal_for_customer(session=session, customer_id=customer_id)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(*roles: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only the given roles through."""

    def check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in roles:
            raise Forbidden(f"This needs the role {' or '.join(roles)}; you have {principal.role}.")
        return principal

    return check


AdminPrincipal = Annotated[Principal, Depends(require("admin"))]
ServicePrincipal = Annotated[Principal, Depends(require("service", "admin"))]
