"""`DirectRoute`: a leaner request path for the hot JSON endpoints (the recommendation lists).

FastAPI's own handler solves the endpoint's dependency graph on every request (the credential's two security
schemes, the app state, the principal: five sub-dependencies, each looked up, cached and called), parses the body
with the standard `json` module and then validates the Python objects it made. For an endpoint of one fixed shape,
`(body: SomeModel, principal: CurrentPrincipal, state: State)`, this route does the same work directly: the
credential is read as the `CurrentPrincipal` dependency reads it and resolved by the same code
(`auth.deps.principal_for`), before the body is read, and pydantic-core validates the body from its bytes in one
step.

Everything else is FastAPI's: the route is declared with a router's decorator (`APIRouter(route_class=...)`), so the
OpenAPI schema, the middlewares, the exception handlers and the error shapes (422 with the `body` location, 400
for malformed JSON) are those of every other route.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.params import Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

from optirec.gateway.caller import current_principal, principal_for, request_credential
from optirec.gateway.state import AppState, get_state

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_JSON = ("application/json", "+json")


class DirectRoute(APIRoute):
    """A route for `async def endpoint(body: Model, principal: CurrentPrincipal, state: State) -> Response` (the
    parameters in any order, under any names); any other endpoint is refused when the route is declared, and so is
    a route given `dependencies=`, which this path would not run. Nor would it run dependencies given to
    `include_router` (FastAPI keeps those outside the route): include its router without any."""

    def get_route_handler(self) -> Handler:
        if self.dependencies:
            raise TypeError(f"DirectRoute runs no dependencies; {self.path} was given {self.dependencies}")
        endpoint = self.endpoint
        order, model = _shape(endpoint)
        validator = model.__pydantic_validator__

        async def handle(request: Request) -> Response:
            state: AppState = request.app.state.optirec
            # The credential first, as on every route that needs one (`gateway.credentials`): a refused caller's
            # body is never read. Then malformed JSON, then the body's fields, in FastAPI's order.
            principal = await principal_for(request, request_credential(request), state)
            raw = await request.body()
            body, invalid = _validated(validator, raw, request.headers.get("content-type"))
            if invalid is not None:
                raise invalid
            given = {"body": body, "principal": principal, "state": state}
            call: Awaitable[Response] = endpoint(*(given[part] for part in order))
            return await call

        return handle


def _validated(validator: Any, raw: bytes, content_type: str | None) -> tuple[Any, RequestValidationError | None]:
    """The body as FastAPI's handler validates it for a required body model, or the error to answer with: JSON
    bytes straight to the model in one step; a missing body as a missing field; a body not sent as JSON as what it
    is (bytes, which no model takes). Malformed JSON raises at once."""
    if not raw:
        return None, RequestValidationError([{"type": "missing", "loc": ("body",), "msg": "Field required"}])
    media = (content_type or "").split(";", 1)[0].strip().lower()
    is_json = media.startswith("application/") and media.endswith(_JSON)
    try:
        return (validator.validate_json(raw) if is_json else validator.validate_python(raw, from_attributes=True)), None
    except ValidationError as error:
        errors = error.errors(include_url=False)
    if is_json:
        try:  # the errors FastAPI reports: of the parsed JSON, validated as Python objects
            validator.validate_python(orjson.loads(raw), from_attributes=True)
        except orjson.JSONDecodeError:
            raise RequestValidationError(_in_body(errors), body=raw) from None
        except ValidationError as error:
            errors = error.errors(include_url=False)
    return None, RequestValidationError(_in_body(errors), body=raw)


def _in_body(errors: list[Any]) -> list[dict[str, Any]]:
    return [{**error, "loc": ("body", *error["loc"])} for error in errors]


def _shape(endpoint: Callable[..., Any]) -> tuple[list[str], type[BaseModel]]:
    """For each parameter of `endpoint`, which of body, principal and state it takes; and the body's model."""
    hints = typing.get_type_hints(endpoint, include_extras=True)
    order: list[str] = []
    model: type[BaseModel] | None = None
    for name in inspect.signature(endpoint).parameters:
        hint = hints.get(name)
        depends = [m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Depends)]
        if depends and depends[0].dependency is current_principal:
            order.append("principal")
        elif depends and depends[0].dependency is get_state:
            order.append("state")
        elif not depends and inspect.isclass(hint) and issubclass(hint, BaseModel):
            order.append("body")
            model = hint
        else:
            raise TypeError(f"DirectRoute cannot supply {endpoint.__name__}'s parameter {name!r} ({hint!r})")
    if model is None or sorted(order) != ["body", "principal", "state"]:
        raise TypeError(f"DirectRoute takes (body, principal, state) endpoints; {endpoint.__name__} takes {order}")
    return order, model
