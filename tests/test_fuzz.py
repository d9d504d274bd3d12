"""A bounded schemathesis run against the app's own OpenAPI document: no operation answers 5xx, on either backend.

Both backends: they refuse different inputs (PostgreSQL a NUL character in text, for one), and a 500 that only one
backend gives was found there. Each operation is one test: valid and invalid examples generated from its schema,
sent with an admin API key.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optirec.gateway.state import AppState
from optirec.runtime.app import create_app
from optirec.settings import Settings
from tests.conftest import make_key, product_data

MAX_EXAMPLES = 20


def _operations() -> list[tuple[str, str]]:
    """Every (method, path) of the OpenAPI document; building the app touches no database."""
    offline = Settings(database_url="sqlite://", secret_key="x" * 48, _env_file=None)  # type: ignore[call-arg, arg-type]
    paths = create_app(offline).openapi()["paths"]
    return [(method.upper(), path) for path, item in paths.items() for method in item]


@pytest.fixture
def fuzzed_app(settings: Settings, state: AppState) -> Iterator[FastAPI]:
    # Login limits would turn most auth examples into 429s; the run wants to reach the handlers.
    relaxed = settings.model_copy(update={"login_rate_limit_per_minute": 1_000_000})
    app = create_app(relaxed, state)
    with TestClient(app) as client:  # the lifespan runs, as under a server
        # ready, as a load balancer would wait for it: `/readyz` answers 503 while the worker warms up, by design
        assert state.list_builder.serving_state.warmed.wait(60)
        client.post("/api/catalog/products", json=product_data("FR-1"), headers={"X-API-Key": make_key(state.db)})
        yield app


@pytest.mark.parametrize(("method", "path"), _operations(), ids=[f"{m} {p}" for m, p in _operations()])
def test_operation_never_answers_5xx(fuzzed_app: FastAPI, state: AppState, method: str, path: str) -> None:
    operation = schemathesis.openapi.from_asgi("/openapi.json", fuzzed_app)[path][method]
    modes = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
    cases = st.one_of(*(operation.as_strategy(mode) for mode in modes))
    headers = {"X-API-Key": make_key(state.db, "admin")}

    @given(case=cases)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def send(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:500]}"

    send()
