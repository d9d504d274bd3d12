"""NUL characters and non-finite numbers are refused with 422 on both backends, wherever they hide.

Regression (review item 4): on PostgreSQL, `GET /api/catalog/products?q=%00`, `GET /api/catalog/products/p%00`,
registering `victim\\u0000x@example.com`, a NUL inside `preferences`, NaN or Infinity in product `attributes` each
answered 500, and the logged exception printed the statement's parameters (prescriptions, e-mails).
"""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from optirec.inputs import Input
from tests.conftest import PASSWORD, auth_header, product_data, register, signal_data

PRESCRIPTION = {"right": {"sph": -3.25}, "left": {"sph": -3.0}}


class Shape(Input):
    name: str
    tags: dict[str, list[str]] = {}
    weight: float = 0


@pytest.mark.parametrize(
    ("data", "where"),
    [
        ({"name": "a\x00b"}, "holds a NUL"),
        ({"name": "a", "tags": {"x": ["ok", "b\x00"]}}, "tags.x.1: holds a NUL"),
        ({"name": "a", "tags": {"k\x00": []}}, "holds a NUL"),
        ({"name": "a", "weight": float("nan")}, "weight: must be a finite number"),
        ({"name": "a", "weight": float("-inf")}, "weight: must be a finite number"),
    ],
)
def test_input_refuses_nul_and_non_finite_numbers_anywhere(data: dict[str, object], where: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Shape.model_validate(data)
    assert where in str(refused.value)


def test_input_takes_ordinary_values() -> None:
    assert Shape.model_validate({"name": "a", "tags": {"x": ["y"]}, "weight": 1.5}).weight == 1.5


def test_input_names_a_long_key_without_echoing_it() -> None:
    with pytest.raises(ValidationError) as refused:
        Shape.model_validate({"name": "a", "tags": {"k" * 10_000: ["\x00"]}})
    assert len(str(refused.value)) < 500


def _log_text(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_nul_and_nan_are_422_on_every_backend_and_nothing_is_logged(
    client: TestClient, service_headers: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    client.post("/api/catalog/products", json=product_data("FR-1"), headers=service_headers)
    _, token = register(client)
    client.patch("/api/customers/me", json={"prescription": PRESCRIPTION}, headers=auth_header(token))
    caplog.set_level(logging.INFO)
    attempts = [
        client.get("/api/catalog/products?q=%00"),
        client.get("/api/catalog/products/p%00"),
        client.get("/api/catalog/products", params={"brand": "a\x00"}),
        client.post("/api/auth/register", json={"email": "victim\x00x@example.com", "password": PASSWORD}),
        client.post("/api/auth/token", data={"username": "victim\x00x@example.com", "password": PASSWORD}),
        client.patch(
            "/api/customers/me",
            json={"prescription": PRESCRIPTION, "preferences": {"shapes": ["round\x00"]}},
            headers=auth_header(token),
        ),
        client.post(
            "/api/catalog/products",
            content=b'{"id": "FR-9", "name": "N", "category": "eyeglasses", "price": 1, "attributes": {"x": NaN}}',
            headers={**service_headers, "Content-Type": "application/json"},
        ),
        client.patch(
            "/api/catalog/products/FR-1",
            content=b'{"attributes": {"x": Infinity}}',
            headers={**service_headers, "Content-Type": "application/json"},
        ),
        client.post(
            "/api/recommendations/personalized",
            content=b'{"filters": {"attributes": {"weight": -Infinity}}}',
            headers={**service_headers, "Content-Type": "application/json"},
        ),
        client.post("/api/recommendations/signals", json=signal_data(product_id="FR-1\x00"), headers=service_headers),
        client.get("/api/recommendations/similar/FR-1%00", headers=service_headers),
    ]
    assert [response.status_code for response in attempts] == [422] * len(attempts), [r.text for r in attempts]
    logged = _log_text(caplog)
    assert "-3.25" not in logged and "victim" not in logged and "unhandled" not in logged


def test_a_bad_signal_in_a_batch_is_refused_alone(client: TestClient, service_headers: dict[str, str]) -> None:
    batch = [signal_data("ok-1"), signal_data("bad", session_id="s\x00"), signal_data("ok-2")]
    body = client.post("/api/recommendations/signals", json=batch, headers=service_headers).json()
    assert (body["accepted"], body["rejected"]) == (2, 1) and "session_id" in body["errors"][0]["message"]
