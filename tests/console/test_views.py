"""The console's pages, files and charts as the app serves them; the charts only to administrators; the setting
that turns the console off."""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from optirec.admin_console.views import DAILY, PAGES, STATIC
from tests.conftest import auth_header, register

CHARTS = ["/admin/charts/signals-per-hour.svg", *(f"/admin/charts/daily/{m}.svg" for m in DAILY)]


def test_every_page_is_the_shell_naming_its_module(client: TestClient) -> None:
    bare = client.get("/admin", follow_redirects=False)
    assert bare.status_code == 302 and bare.headers["location"] == "/admin/"
    for path, (module, _title) in PAGES.items():
        response = client.get(f"/admin/{path}")
        assert response.status_code == 200, path
        assert f'data-page="{module}"' in response.text and (STATIC / "js" / "pages" / f"{module}.js").exists()
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert client.get("/admin/no-such-page").status_code == 404


def test_every_file_a_page_names_is_served(client: TestClient) -> None:
    shell = client.get("/admin/").text
    named = re.findall(r'(?:href|src)="(/admin/static/[^"]+)"', shell)
    modules = [f"/admin/static/js/{p.relative_to(STATIC / 'js')}" for p in (STATIC / "js").rglob("*.js")]
    for path in {*named, *modules}:
        response = client.get(path.replace("{{page}}", "overview"))
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-cache" and "etag" in response.headers
    for module in (STATIC / "js").rglob("*.js"):
        for name in re.findall(r'from "(\.[^"]+)"', module.read_text(encoding="utf-8")):
            assert (module.parent / name).resolve().exists(), (module, name)


def test_no_token_is_kept_in_local_storage_or_a_cookie() -> None:
    # OWASP's session guidance: the administrator's token lives in this tab's sessionStorage only.
    scripts = "\n".join(p.read_text(encoding="utf-8") for p in (STATIC / "js").rglob("*.js"))
    assert "sessionStorage" in scripts
    assert "localStorage." not in scripts and "document.cookie" not in scripts


def test_charts_are_svg_for_administrators_only(client: TestClient, admin_headers: dict[str, str]) -> None:
    _customer, token = register(client, "carol@example.com")
    for path in CHARTS:
        drawn = client.get(path, headers=admin_headers)
        assert drawn.status_code == 200 and drawn.headers["content-type"].startswith("image/svg+xml")
        svg = ElementTree.fromstring(drawn.text)  # well-formed, with an accessible name and description
        assert svg.get("role") == "img" and svg.find("{http://www.w3.org/2000/svg}title") is not None
        assert "No " in drawn.text  # an empty shop: the chart says what is missing
        assert client.get(path, headers=auth_header(token)).status_code == 403
        assert client.get(path).status_code == 401
    assert client.get("/admin/charts/daily/nonsense.svg", headers=admin_headers).status_code == 404
    assert client.get("/admin/charts/daily/revenue.svg?days=0", headers=admin_headers).status_code == 422


def test_the_console_can_be_turned_off(build_client: Callable[..., TestClient]) -> None:
    client = build_client(admin_console=False)
    assert client.get("/admin/").status_code == 404
    assert client.get("/admin/static/console.css").status_code == 404
    assert client.get("/admin/charts/signals-per-hour.svg").status_code == 404
    assert client.get("/shop/").status_code == 200
