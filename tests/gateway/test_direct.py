"""`DirectRoute` answers exactly as FastAPI's own route would: the same endpoints mounted both ways, the same requests,
the same answers (good and bad)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

import pytest
from fastapi import Depends, Query, Response
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from optirec.gateway.caller import CurrentPrincipal
from optirec.gateway.direct import DirectRoute
from optirec.gateway.state import AppState, get_state
from optirec.recommend import views
from optirec.recommend.schemas import PersonalizedRequest, RecommendationResponse
from optirec.runtime.app import create_app
from optirec.settings import Settings
from tests.conftest import auth_header, product_data, register

LISTS = {
    "/api/recommendations/personalized": views.personalized,
    "/api/recommendations/complete-the-look": views.complete_the_look,
}


@pytest.fixture
def twin_client(settings: Settings, state: AppState) -> Iterator[TestClient]:
    """The app, plus each direct list endpoint again under `/twin…` on FastAPI's own route class."""
    app = create_app(settings, state)
    for path, endpoint in LISTS.items():
        app.router.add_api_route("/twin" + path, endpoint, methods=["POST"], route_class_override=APIRoute)
    with TestClient(app) as client:
        yield client


def test_the_json_lists_take_the_direct_route() -> None:
    direct = {route.path for route in views._direct.routes if isinstance(route, DirectRoute)}
    assert direct == set(LISTS)  # the whole path: the access log and the metrics name a route by it


def _same(client: TestClient, path: str, **request: Any) -> Any:
    direct = client.post(path, **request)
    plain = client.post("/twin" + path, **request)
    assert direct.status_code == plain.status_code, (direct.text, plain.text)
    assert direct.headers["content-type"] == plain.headers["content-type"]
    direct_body, plain_body = direct.json(), plain.json()
    if direct.status_code == 200:  # two lists: two ids; the rest is the same
        assert direct_body.pop("recommendation_id") != plain_body.pop("recommendation_id")
    assert direct_body == plain_body
    return direct.status_code, direct_body


def test_bad_requests_get_the_same_answers_as_on_fastapis_own_route(
    twin_client: TestClient, service_headers: dict[str, str]
) -> None:
    client = twin_client
    key = service_headers["X-API-Key"]
    json_key = {"X-API-Key": key, "Content-Type": "application/json"}
    path = "/api/recommendations/personalized"
    cases: list[tuple[dict[str, Any], int]] = [
        ({"json": {"limit": 3}}, 401),  # no credential
        ({"json": {"limit": 3}, "headers": {"Authorization": f"Basic {key}"}}, 401),  # not a bearer
        ({"json": {"limit": 3}, "headers": {"Authorization": "Bearer "}}, 401),  # an empty one
        ({"json": {"limit": 3}, "headers": {"Authorization": "Bearer not-a-token"}}, 401),
        ({"json": {"limit": 3}, "headers": {"X-API-Key": "ork_" + "0" * 40}}, 401),  # no such key
        ({"content": b"", "headers": json_key}, 422),  # no body
        ({"content": b'{"limit": 3', "headers": json_key}, 400),  # malformed JSON
        ({"content": b"[1, 2]", "headers": json_key}, 422),  # not an object
        ({"content": b'{"limit": 3}', "headers": {"X-API-Key": key}}, 422),  # no content type: not read as JSON
        ({"content": b'{"limit": 3}', "headers": {"X-API-Key": key, "Content-Type": "text/plain"}}, 422),
        ({"json": {"limit": 0}, "headers": service_headers}, 422),
        ({"json": {"limit": 10_000}, "headers": service_headers}, 422),
        ({"json": {"limit": 3, "colour": "red"}, "headers": service_headers}, 422),  # unknown field
        ({"json": {"filters": {"price_min": 90, "price_max": 10}}, "headers": service_headers}, 422),
        ({"json": {"context": {"page": "attic"}}, "headers": service_headers}, 422),
        ({"json": {"customer_id": "nobody"}, "headers": service_headers}, 404),
    ]
    for request, status in cases:
        found, body = _same(client, path, **request)
        assert found == status, (request, body)
        assert set(body) == {"error"} and body["error"]["message"], body
    _found, body = _same(client, path, json={"limit": 0}, headers=service_headers)
    assert body["error"]["details"][0]["field"] == "limit"
    _found, body = _same(client, "/api/recommendations/complete-the-look", json={"cart": []}, headers=service_headers)
    assert body["error"]["details"][0]["field"] == "cart"


def test_lists_get_the_same_answers_as_on_fastapis_own_route(
    twin_client: TestClient, service_headers: dict[str, str]
) -> None:
    client = twin_client
    for product in (product_data("A"), product_data("B", shape="square", price="99.50"), product_data("C", stock=0)):
        assert client.post("/api/catalog/products", json=product, headers=service_headers).status_code == 201
    customer, token = register(client)
    for path, request, shown in (
        ("/api/recommendations/personalized", {"json": {"limit": 5}, "headers": auth_header(token)}, {"A", "B"}),
        ("/api/recommendations/personalized", {"json": {"customer_id": customer, "context": {"product_id": "A"}},
                                               "headers": service_headers}, {"B"}),
        ("/api/recommendations/complete-the-look", {"json": {"cart": ["A"]}, "headers": service_headers}, {"B"}),
    ):  # fmt: skip
        status, body = _same(client, path, **request)
        assert status == 200 and {item["product"]["id"] for item in body["items"]} == shown
        # The answer's JSON, written by orjson, is what the documented model writes for the same list.
        body["recommendation_id"] = "0" * 32
        assert RecommendationResponse.model_validate(body).model_dump(mode="json") == body
    other, _ = register(client, "grace@example.com")
    status, body = _same(client, "/api/recommendations/personalized", json={"customer_id": other},
                         headers=auth_header(token))  # fmt: skip
    assert status == 403


State = Annotated[AppState, Depends(get_state)]


def test_endpoints_of_another_shape_are_refused_when_declared() -> None:
    async def with_query(
        body: PersonalizedRequest, principal: CurrentPrincipal, limit: Annotated[int, Query()]
    ) -> Response:
        raise AssertionError

    async def without_state(body: PersonalizedRequest, principal: CurrentPrincipal) -> Response:
        raise AssertionError

    async def reordered(state: State, body: PersonalizedRequest, principal: CurrentPrincipal) -> Response:
        raise AssertionError

    for endpoint in (with_query, without_state):
        with pytest.raises(TypeError, match="DirectRoute"):
            DirectRoute("/x", endpoint, methods=["POST"])
    with pytest.raises(TypeError, match="runs no dependencies"):
        DirectRoute("/x", reordered, methods=["POST"], dependencies=[Depends(get_state)])
    assert DirectRoute("/x", reordered, methods=["POST"]).path == "/x"  # any order, any names
