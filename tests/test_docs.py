"""The docs name every endpoint the app serves (a new endpoint without docs fails here)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

API_DOCS = Path(__file__).parent.parent / "docs" / "api.md"


def test_every_endpoint_is_documented(client: TestClient) -> None:
    documented = API_DOCS.read_text(encoding="utf-8")
    paths = client.get("/openapi.json").json()["paths"]
    missing = [
        f"{method.upper()} {path}" for path, operations in paths.items() for method in operations
        if f"`{method.upper()} {path}`" not in documented
    ]  # fmt: skip
    assert missing == []
