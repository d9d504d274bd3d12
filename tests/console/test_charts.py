"""The SVG charts as pure functions: known numbers in, the right bars, lines, labels and words out."""

from __future__ import annotations

from xml.etree import ElementTree

from optirec.admin_console.charts import Series, bar_chart, line_chart, nice_ceiling
from optirec.admin_console.views import money, percent

SVG = "{http://www.w3.org/2000/svg}"


def test_nice_ceiling_rounds_the_axis_up() -> None:
    assert [nice_ceiling(v) for v in (0, 0.031, 1, 7, 12, 240, 2600)] == [1, 0.05, 1, 10, 20, 250, 5000]


def test_a_bar_per_value_each_with_its_own_title() -> None:
    drawn = bar_chart("c", "Signals", ["00:00", "01:00", "02:00"], [10, 0, 40], fmt=lambda v: f"{v:,.0f}", empty="-")
    svg = ElementTree.fromstring(drawn)
    bars = svg.findall(f"{SVG}rect")
    assert [b.find(f"{SVG}title").text for b in bars] == ["00:00: 10", "01:00: 0", "02:00: 40"]  # type: ignore[union-attr]
    heights = [float(b.get("height", "0")) for b in bars]
    assert heights[1] == 0 and abs(heights[2] - 4 * heights[0]) < 0.2  # 40 is four times 10 (axis from 0 to 50)
    assert svg.find(f"{SVG}desc").text == "50 in all; the most, 40, at 02:00."  # type: ignore[union-attr]


def test_a_line_per_series_with_gaps_and_a_legend() -> None:
    series = [Series("v2", [0.1, None, 0.3]), Series("v1", [0.2, 0.2, None])]
    drawn = line_chart("d", "Click-through", ["1 Dec", "2 Dec", "3 Dec"], series, fmt=percent, empty="-")
    svg = ElementTree.fromstring(drawn)
    lines = svg.findall(f"{SVG}polyline")
    assert [len(line.get("points", "").split()) for line in lines] == [2, 2]  # a missing day draws no point
    assert lines[0].get("stroke-dasharray") is None and lines[1].get("stroke-dasharray")  # told apart without colour
    legend = [t.text for t in svg.findall(f"{SVG}text") if t.get("class") == "chart-legend"]
    assert legend == ["v2", "v1"]
    assert "v2: 30%" in (svg.find(f"{SVG}desc").text or "")  # type: ignore[union-attr]


def test_nothing_to_draw_says_what_to_do() -> None:
    drawn = line_chart("e", "Revenue", [], [], fmt=money, empty="No lists served yet.")
    assert "No lists served yet." in drawn and "<polyline" not in drawn


def test_numbers_read_as_people_write_them() -> None:
    assert [percent(v) for v in (0, 0.0045, 0.123, 0.5, 1)] == ["0%", "0.45%", "12.3%", "50%", "100%"]
    assert [money(v) for v in (3.5, 500.0, 1234.567)] == ["3.50", "500", "1,235"]
