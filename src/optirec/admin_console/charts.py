"""Charts drawn on the server as SVG text: a bar per hour, a line per model version. Pure functions of the numbers.

The drawing carries classes only (`chart-bar`, `series-0`…); the console's stylesheet colours them, so the page's
Content-Security-Policy needs no inline style. Each series also has its own dash and marker, and every point its own
`<title>`, so colour is never the only way to tell them apart.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

HEIGHT = 240
LEFT, RIGHT, BOTTOM = 64, 16, 40  # room for the value labels and the day or hour labels
DASHES = ("", "6 4", "2 3", "10 3 2 3", "1 5", "12 6")
MARKERS = ("circle", "square", "diamond", "triangle", "circle", "square")
LEGEND_ROW, LEGEND_ITEM = 18, 220  # a legend line's height; the width one series' name takes
Format = Callable[[float], str]


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]  # one per x label; None: no value that day


@dataclass(frozen=True)
class Box:
    """Where the plot lies in the SVG: its width, the top of the plot (below any legend) and the axis' top value."""

    width: int
    top: float
    most: float

    def y(self, value: float) -> float:
        return self.top + (HEIGHT - self.top - BOTTOM) * (1 - value / self.most)

    def xs(self, n: int) -> list[float]:
        slot = (self.width - LEFT - RIGHT) / n
        return [LEFT + slot * (k + 0.5) for k in range(n)]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10ⁿ at least `value` (a round top for the axis); 1 for nothing."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value * (1 - 1e-9):
            return float(step * power)
    return float(10 * power)  # unreachable: 10 × power ≥ value


def _frame(chart_id: str, title: str, description: str, box: Box, fmt: Format) -> list[str]:
    """The SVG's opening, its accessible name and description, and the value axis with three grid lines."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {HEIGHT}" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    for share in (0.0, 0.5, 1.0):
        y = box.y(share * box.most)
        label = escape(fmt(share * box.most))
        parts.append(f'<line class="chart-grid" x1="{LEFT}" x2="{box.width - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="chart-label" x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    return parts


def _x_labels(labels: Sequence[str], xs: Sequence[float], most: int = 8) -> list[str]:
    every = max(1, math.ceil(len(labels) / most))
    return [
        f'<text class="chart-label" x="{x:.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle">{escape(label)}</text>'
        for k, (label, x) in enumerate(zip(labels, xs, strict=True))
        if k % every == 0 or k == len(labels) - 1
    ]


def _empty(chart_id: str, title: str, message: str, width: int) -> str:
    box = Box(width, 16, 1.0)
    return "".join(
        [
            *_frame(chart_id, title, message, box, lambda _v: ""),
            f'<text class="chart-empty" x="{width / 2}" y="{HEIGHT / 2}" text-anchor="middle">{escape(message)}</text>',
            "</svg>",
        ]
    )


def bar_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    fmt: Format,
    empty: str,
    width: int = 720,
) -> str:
    """One bar per label (the hours of a day); `empty` is said instead when every value is 0."""
    if not any(values):
        return _empty(chart_id, title, empty, width)
    box = Box(width, 16, nice_ceiling(max(values)))
    peak = max(range(len(values)), key=lambda k: values[k])
    description = f"{fmt(sum(values))} in all; the most, {fmt(values[peak])}, at {labels[peak]}."
    parts = _frame(chart_id, title, description, box, fmt)
    xs = box.xs(len(values))
    slot = (width - LEFT - RIGHT) / len(values)
    for label, value, x in zip(labels, values, xs, strict=True):
        y = box.y(value)
        parts.append(
            f'<rect class="chart-bar" x="{x - slot * 0.4:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" '
            f'height="{box.y(0) - y:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
        )
    parts += _x_labels(labels, xs)
    parts.append("</svg>")
    return "".join(parts)


def _marker(kind: str, x: float, y: float, css: str, tip: str) -> str:
    title = f"<title>{escape(tip)}</title>"
    if kind == "square":
        return f'<rect class="{css}" x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8">{title}</rect>'
    if kind == "diamond":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
        return f'<polygon class="{css}" points="{points}">{title}</polygon>'
    if kind == "triangle":
        points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y + 4:.1f} {x - 5:.1f},{y + 4:.1f}"
        return f'<polygon class="{css}" points="{points}">{title}</polygon>'
    return f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="4">{title}</circle>'


def _legend(series: Sequence[Series], width: int) -> tuple[list[str], float]:
    """The series' names, as many to a line as fit; the parts and the height they take."""
    per_line = max(1, (width - LEFT) // LEGEND_ITEM)
    parts = []
    for k, one in enumerate(series):
        css, marker = f"series-{k % len(DASHES)}", MARKERS[k % len(MARKERS)]
        x, y = LEFT + (k % per_line) * LEGEND_ITEM, 12 + (k // per_line) * LEGEND_ROW
        parts.append(_marker(marker, x, y, f"chart-point chart-key {css}", one.name))
        parts.append(f'<text class="chart-legend" x="{x + 10}" y="{y + 4}">{escape(one.name)}</text>')
    lines = math.ceil(len(series) / per_line)
    return parts, lines * LEGEND_ROW + 12


def line_chart(
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    fmt: Format,
    empty: str,
    width: int = 480,
) -> str:
    """One line per series over the labels (the days), each with its own dash and marker, and a legend above."""
    values = [v for s in series for v in s.values if v is not None]
    if not labels or not values:
        return _empty(chart_id, title, empty, width)
    legend, legend_height = _legend(series, width)
    box = Box(width, legend_height + 8, nice_ceiling(max(values)))
    latest = "; ".join(f"{s.name}: {fmt(v)}" for s in series if (v := _last(s.values)) is not None)
    description = f"From {labels[0]} to {labels[-1]}. Latest day of each: {latest}."
    parts = [*_frame(chart_id, title, description, box, fmt), *legend]
    xs = box.xs(len(labels))
    for k, one in enumerate(series):
        css, dash, marker = f"series-{k % len(DASHES)}", DASHES[k % len(DASHES)], MARKERS[k % len(MARKERS)]
        known = zip(xs, one.values, labels, strict=True)
        points = [(x, box.y(v), label, v) for x, v, label in known if v is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _label, _v in points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline class="chart-line {css}" points="{path}"{dashed}/>')
        for x, y, label, v in points:
            parts.append(_marker(marker, x, y, f"chart-point {css}", f"{one.name}, {label}: {fmt(v)}"))
    parts += _x_labels(labels, xs, most=6)
    parts.append("</svg>")
    return "".join(parts)


def _last(values: Sequence[float | None]) -> float | None:
    return next((v for v in reversed(values) if v is not None), None)
