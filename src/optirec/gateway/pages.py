"""What the storefront and the console share to serve their pages: one shell per page, with the same security
headers, and their static files revalidated by each page load (ETag), so that a new release is seen at once."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope


def page_headers(policy: str) -> dict[str, str]:
    """A page's headers under its Content-Security-Policy: no sniffing, the referrer kept to this origin, and
    revalidated on every load."""
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-cache",
    }


class RevalidatedStatic(StaticFiles):
    """Static files a browser revalidates on each page load (ETag), never sniffed for another type."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update({"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
        return response


def shell_page(static: Path, name: str, title: str, headers: dict[str, str]) -> HTMLResponse:
    """The shell `static/shell.html` naming its page's module and a title until the page sets its own."""
    shell = (static / "shell.html").read_text(encoding="utf-8")
    body = shell.replace("{{page}}", name).replace("{{title}}", html.escape(title))
    return HTMLResponse(body, headers=headers)
