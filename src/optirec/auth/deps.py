"""FastAPI dependencies that say who is calling and what they may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from optirec.auth import service
from optirec.auth.security import API_KEY_PREFIX, Role, decode_token, digest_api_key
from optirec.auth.service import Principal
from optirec.errors import Forbidden, Unauthorized
from optirec.state import AppState, get_state

_bearer = HTTPBearer(auto_error=False, description="A customer's access token, or a server's API key.")
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="A server's API key.")


async def current_principal(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    api_key: Annotated[str | None, Depends(_api_key)],
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
    """Who sends `credential`: an API key's server or a token's customer (401 for none or a bad one)."""
    if not credential:
        raise Unauthorized("Sign in, or send an API key, to use this endpoint.")
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
    request.state.principal_kind = "key" if principal.is_server else "customer"
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


def acting_customer(principal: Principal, customer_id: str | None) -> str | None:
    """The customer a request acts for: a customer token stands for that customer only."""
    if principal.customer_id is not None and principal.role == "customer":
        if customer_id is not None and customer_id != principal.customer_id:
            raise Forbidden("A customer may act only for themselves.")
        return principal.customer_id
    return customer_id
