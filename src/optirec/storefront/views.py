"""`/shop/…`: the reference storefront's pages and files, and `/` sending a visitor there.

Every page is the same small shell (`static/shell.html`) naming its page; the browser's modules (`static/js/`) draw
it from the public API, as a shop's own frontend would. Nothing here reads the database: the pages hold no data.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, RedirectResponse

from optirec.errors import NotFound
from optirec.gateway.pages import RevalidatedStatic, page_headers, shell_page

STATIC = Path(__file__).parent / "static"
# Served files only from here; scripts and styles only from this origin; pictures also from a shop's own https
# image hosts (`image_urls`).
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = page_headers(POLICY)
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


def page(name: str, title: str) -> HTMLResponse:
    return shell_page(STATIC, name, title, HEADERS)


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
    app.mount("/shop/static", RevalidatedStatic(directory=STATIC), name="shop-static")
    app.include_router(router)
