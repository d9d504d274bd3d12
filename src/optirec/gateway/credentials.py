"""`CredentialFirstRoute`: the caller is known before the request's body is read.

FastAPI reads and parses a route's body before it solves the route's dependencies, so an anonymous caller could make
the server parse a body that a credential check would have refused unread. For a route that depends on the caller
(`auth.deps.current_principal`, directly or through `require`), this route resolves the caller first, by the same code
(`auth.deps.principal_for`, which keeps the result on the request for the dependency); a refused credential is
answered before a byte of the body is read. Routes that need no caller (sign-in, the public catalog) are FastAPI's.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from optirec.gateway.caller import current_principal, principal_for, request_credential
from optirec.gateway.state import AppState

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def needs_caller(dependant: Dependant) -> bool:
    """Whether a route's dependencies reach `current_principal`."""
    return any(d.call is current_principal or needs_caller(d) for d in dependant.dependencies)


class CredentialFirstRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        if not needs_caller(self.dependant):
            return handler

        async def handle(request: Request) -> Response:
            state: AppState = request.app.state.optirec
            await principal_for(request, request_credential(request), state)
            return await handler(request)

        return handle
