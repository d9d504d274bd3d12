"""`/admin/…`: the operator's console: its pages, its files, and its charts drawn as SVG.

Every page is the same small shell (`static/shell.html`) naming its page; the browser's modules (`static/js/`) draw
it from the admin API with the administrator's access token, which they keep in `sessionStorage` (this tab only, gone
when it closes; never a cookie, so no request is sent with it unless the page's own code adds it). The pages hold no
data: they answer anyone. The charts are data, so they ask for an administrator as the admin API does.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from optirec.admin_console import charts
from optirec.errors import NotFound, shown
from optirec.gateway.caller import AdminPrincipal
from optirec.gateway.credentials import CredentialFirstRoute
from optirec.gateway.pages import RevalidatedStatic, page_headers, shell_page
from optirec.gateway.state import AppState, get_state
from optirec.recommend.attribution import DailyMetrics

STATIC = Path(__file__).parent / "static"
# Files, scripts, styles, pictures and API calls from this origin only; never framed.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
HEADERS = page_headers(POLICY)
# path under /admin/ → (page module, title until the page sets its own)
PAGES = {
    "": ("overview", "Overview"),
    "models": ("models", "Models"),
    "experiments": ("experiments", "Experiments"),
    "customers": ("customers", "Customers"),
    "products": ("products", "Products"),
    "coverage": ("coverage", "Fit coverage"),
    "intake": ("intake", "Signal intake"),
    "keys": ("keys", "API keys"),
    "audit": ("audit", "Audit log"),
    "sign-in": ("signin", "Sign in"),
}
# The per-day charts: metric → (title, how a value reads)
DAILY = {
    "click_through": ("Click-through: share of lists with a product viewed", "percent"),
    "add_to_cart_rate": ("Add-to-cart rate: share of lists with a product put in a cart", "percent"),
    "conversion": ("Conversion: share of lists followed by a purchase", "percent"),
    "revenue": ("Revenue attributed to the lists", "money"),
}
MOST_SERIES = 4  # model versions drawn on one chart: the ones that served the most lists

router = APIRouter(include_in_schema=False, route_class=CredentialFirstRoute)
State = Annotated[AppState, Depends(get_state)]


def page(name: str, title: str) -> HTMLResponse:
    return shell_page(STATIC, name, title, HEADERS)


def count(value: float) -> str:
    return f"{round(value):,}"


def percent(value: float) -> str:
    """A share with sensible precision: 12.3%, 0.45%, and 50% (not 50.0%) for a round one."""
    if round(value * 100, 6) == round(value * 100):
        return f"{value:.0%}"
    return f"{value:.1%}" if value >= 0.01 else f"{value:.2%}"


def money(value: float) -> str:
    """An amount: cents below 1,000 (876.50), whole above (1,235), none on a round axis value (500)."""
    return f"{value:,.0f}" if value >= 1000 or value == int(value) else f"{value:,.2f}"


FORMATS = {"count": count, "percent": percent, "money": money}


def svg(text: str) -> Response:
    return Response(text, media_type="image/svg+xml", headers={**HEADERS, "Cache-Control": "no-store"})


@router.get("/admin")
def admin_without_slash() -> RedirectResponse:
    return RedirectResponse("/admin/", status_code=302)


@router.get("/admin/charts/signals-per-hour.svg")
def signals_chart(state: State, _admin: AdminPrincipal) -> Response:
    hours = state.aggregates.activity().value.signals_per_hour
    labels = [h.hour.strftime("%H:00") for h in hours]
    empty = "No signals in the last 24 hours: send them to POST /api/recommendations/signals, or import events."
    drawn = charts.bar_chart(
        "signals-per-hour",
        "Signals per hour, last 24 hours (UTC)",
        labels,
        [h.count for h in hours],
        fmt=count,
        empty=empty,
    )
    return svg(drawn)


@router.get("/admin/charts/daily/{metric}.svg")
def daily_chart(
    metric: str, state: State, _admin: AdminPrincipal, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> Response:
    if metric not in DAILY:
        raise NotFound(f"No chart {shown(metric)}; there are {', '.join(DAILY)}.")
    title, kind = DAILY[metric]
    rows = state.aggregates.daily(days).value
    labels, series = daily_series(rows, metric)
    empty = f"No lists served in the last {days} days: the storefront's or shop's list requests fill this chart."
    return svg(charts.line_chart(f"daily-{metric}", title, labels, series, fmt=FORMATS[kind], empty=empty))


def daily_series(rows: list[DailyMetrics], metric: str) -> tuple[list[str], list[charts.Series]]:
    """The days (as `6 Dec`) and one series per model version, the versions that served most lists first."""
    days = sorted({row.day for row in rows})
    served: dict[str, int] = {}
    for row in rows:
        served[row.model_version] = served.get(row.model_version, 0) + row.lists_served
    versions = sorted(served, key=lambda v: -served[v])[:MOST_SERIES]
    value = {(row.model_version, row.day): float(getattr(row, metric)) for row in rows}
    series = [charts.Series(v, [value.get((v, day)) for day in days]) for v in versions]
    return [_day_label(day) for day in days], series


def _day_label(day: str) -> str:
    parsed = date.fromisoformat(day)
    return f"{parsed.day} {parsed:%b}"


@router.get("/admin/{path:path}")
def console_page(path: str) -> HTMLResponse:
    path = path.strip("/")
    found = PAGES.get(path)
    if found is None and path.startswith("products/") and path.count("/") == 1:
        found = ("product", "Product")  # the product inspector: its module reads the id from the address
    if found is None:
        raise NotFound("No such page in the console.")
    return page(*found)


def install(app: FastAPI) -> None:
    """Serve the console on `app` (the files first: `/admin/{path}` would take them otherwise)."""
    app.mount("/admin/static", RevalidatedStatic(directory=STATIC), name="admin-static")
    app.include_router(router)
