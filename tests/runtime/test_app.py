"""`create_app(settings)`: CORS only when configured, OpenAPI and docs served."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi.testclient import TestClient

SHOP = "https://shop.example"


def test_no_cors_headers_without_configured_origins(client: TestClient) -> None:
    response = client.get("/api/catalog/products", headers={"Origin": SHOP})
    assert response.status_code == 200
    assert not [h for h in response.headers if h.startswith("access-control-")]


def test_cors_headers_for_a_configured_origin_only(build_client: Callable[..., TestClient]) -> None:
    shop = build_client(cors_origins=[SHOP])
    allowed = shop.get("/api/catalog/products", headers={"Origin": SHOP})
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
    other = shop.get("/api/catalog/products", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def test_cors_preflight_allows_the_api_headers(build_client: Callable[..., TestClient]) -> None:
    shop = build_client(cors_origins=[SHOP])
    preflight = shop.options(
        "/api/recommendations/signals",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Authorization, Content-Type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "authorization" in preflight.headers["access-control-allow-headers"].lower()


def test_openapi_document_lists_every_api_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert document["info"]["title"] == "optirec"
    for path in (
        "/api/auth/register",
        "/api/auth/token",
        "/api/admin/keys",
        "/api/catalog/products",
        "/api/catalog/products/import",
        "/api/customers/me",
        "/api/customers/me/export",
        "/api/recommendations/signals",
        "/healthz",
        "/readyz",
    ):
        assert path in document["paths"], path
    schemes = document["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schemes)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_reference_in_the_openapi_document_resolves(client: TestClient) -> None:
    # Regression: the signals body pointed at #/components/schemas/SignalIn, which the document did not hold,
    # so Swagger UI and generated clients could not read the most used endpoint (and fuzzing sent no body).
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    dangling = {ref for ref in _refs(document) if ref.removeprefix("#/components/schemas/") not in components}
    assert dangling == set()
    body = document["paths"]["/api/recommendations/signals"]["post"]["requestBody"]["content"]["application/json"]
    assert len(body["schema"]["oneOf"]) == 3


def test_interactive_docs_are_served(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200 and "swagger" in response.text.lower()


def test_the_hot_routes_are_tried_first(client: TestClient) -> None:
    """FastAPI tries routes in order, at a few µs each: a list, a signal and /healthz are found before the rest."""
    from starlette.routing import Match

    app = client.app
    tried: dict[str, int] = {}
    for path, method in (("/healthz", "GET"), ("/api/recommendations/personalized", "POST"),
                         ("/api/recommendations/signals", "POST"), ("/api/admin/metrics", "GET")):  # fmt: skip
        scope = {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "app": app}
        for position, route in enumerate(app.router.routes):  # type: ignore[attr-defined]
            if route.matches(scope)[0] == Match.FULL:
                tried[path] = position
                break
    assert tried["/healthz"] < tried["/api/recommendations/personalized"] < tried["/api/recommendations/signals"]
    assert tried["/api/recommendations/signals"] < tried["/api/admin/metrics"]
    docs = sum(
        1 for route in app.router.routes if getattr(route, "path", "").startswith(("/docs", "/redoc", "/openapi"))
    )  # type: ignore[attr-defined]
    assert tried["/api/recommendations/personalized"] == docs + 1  # right after the health routes
