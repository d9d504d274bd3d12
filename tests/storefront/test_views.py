"""The storefront's pages and files as the app serves them, and the setting that turns them off."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from optirec.storefront.views import PAGES, STATIC


def test_every_page_is_the_shell_naming_its_module(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 302 and root.headers["location"] == "/shop/"
    for path, (module, _title) in {**PAGES, "frames/FR-1": ("product", "")}.items():
        response = client.get(f"/shop/{path}")
        assert response.status_code == 200, path
        assert f'data-page="{module}"' in response.text and (STATIC / "js" / "pages" / f"{module}.js").exists()
        assert "script-src 'self'" in response.headers["content-security-policy"]
    assert client.get("/shop/no-such-page").status_code == 404


def test_every_file_a_page_names_is_served(client: TestClient) -> None:
    shell = client.get("/shop/").text
    named = re.findall(r'(?:href|src)="(/shop/static/[^"]+)"', shell)
    modules = [f"/shop/static/js/{p.relative_to(STATIC / 'js')}" for p in (STATIC / "js").rglob("*.js")]
    for path in {*named, *modules}:
        response = client.get(path.replace("{{page}}", "home"))
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache" and "etag" in response.headers
    # every module a module imports exists: no build step resolves them
    for module in (STATIC / "js").rglob("*.js"):
        for name in re.findall(r'from "(\.[^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / name).resolve().exists(), (module, name)


def test_the_storefront_can_be_turned_off(build_client: Callable[..., TestClient]) -> None:
    client = build_client(storefront=False)
    assert client.get("/", follow_redirects=False).status_code == 404
    assert client.get("/shop/").status_code == 404
    assert client.get("/shop/static/shop.css").status_code == 404
    assert client.get("/healthz").status_code == 200
