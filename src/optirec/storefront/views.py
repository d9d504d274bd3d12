"""`/shop/…`: the reference storefront's pages and files, and `/` sending a visitor there.

Every page is the same small shell (`static/shell.html`) naming its page; the browser's modules (`static/js/`) draw
it from the public API, as a shop's own frontend would. Nothing here reads the database: the pages hold no data.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

from optirec.errors import NotFound

STATIC = Path(__file__).parent / "static"
# Served files only from here; scripts and styles only from this origin; pictures also from a shop's own https
# image hosts (`image_urls`).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-cache",
}
# path under /shop/ → (page module, title until the page sets its own)
PAGES = {
    "": ("home", "For you"),
    "frames": ("listing", "Frames"),
    "cart": ("cart", "Your cart"),
    "checkout": ("checkout", "Checkout"),
    "sign-in": ("signin", "Sign in"),
    "register": ("register", "Create an account"),
    "profile": ("profile", "Your measurements"),
}

router = APIRouter(include_in_schema=False)


class StaticPolicy(StaticFiles):
    """The storefront's files, revalidated by each page load (ETag) so that a new release is seen at once."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update({"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
        return response


def page(name: str, title: str) -> HTMLResponse:
    shell = (STATIC / "shell.html").read_text(encoding="utf-8")
    body = shell.replace("{{page}}", name).replace("{{title}}", html.escape(title))
    return HTMLResponse(body, headers=HEADERS)


@router.get("/")
def root() -> RedirectResponse:
    return RedirectResponse("/shop/", status_code=302)


@router.get("/shop")
def shop_without_slash() -> RedirectResponse:
    return RedirectResponse("/shop/", status_code=302)


@router.get("/shop/frames/{product_id}")
def product_page(product_id: str) -> HTMLResponse:
    return page("product", "Frame")


@router.get("/shop/{path:path}")
def shop_page(path: str) -> HTMLResponse:
    found = PAGES.get(path.strip("/"))
    if found is None:
        raise NotFound("No such page in the shop.")
    return page(*found)


def install(app: FastAPI) -> None:
    """Serve the storefront on `app` (the files first: `/shop/{path}` would take them otherwise)."""
    app.mount("/shop/static", StaticPolicy(directory=STATIC), name="shop-static")
    app.include_router(router)
