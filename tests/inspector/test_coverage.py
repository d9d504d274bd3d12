"""The coverage map's bands and representative wearers, on a tiny catalogue whose answer is known."""

from __future__ import annotations

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays
from optirec.eyewear.vectorized import FrameArrays
from optirec.eyewear.wearer import Eye, Frame, Wearer
from optirec.inspector.coverage import (
    CYLINDER_BANDS,
    FACE_WIDTH_BANDS,
    SPHERE_BANDS,
    compute_coverage,
    middle,
    with_customers,
)

RULES = RuleSettings()


def test_each_band_is_represented_by_its_middle_in_quarter_dioptres() -> None:
    assert middle((-2.0, 0.0)) == -1.0 and middle((-1.0, -0.25)) == -0.5 and middle((120.0, 126.0)) == 123.0


def test_a_catalogue_of_one_single_vision_frame_leaves_progressive_wearers_with_nothing() -> None:
    frame = Frame(category="eyeglasses", frame_width_mm=137.0, lens_width_mm=50.0, bridge_mm=18.0, lens_height_mm=40.0)
    coverage = compute_coverage(FrameArrays.from_frames([frame]), RULES, "v")
    single, progressive = coverage.tables
    assert len(single.rows) == len(SPHERE_BANDS) * len(CYLINDER_BANDS)
    assert all(len(row.cells) == len(FACE_WIDTH_BANDS) for row in single.rows)
    cells = {(r.sphere, r.cylinder, c.face_width_mm): c.frames for r in single.rows for c in r.cells}
    assert cells[(-1.0, 0.0, 135.0)] == 1  # within the default ±6 D and the face tolerances
    assert cells[(-1.0, 0.0, 153.0)] == 0  # the face is 16 mm wider than the frame
    assert cells[(-9.0, 0.0, 135.0)] == 0  # beyond the default sphere range
    assert all(c.frames == 0 for r in progressive.rows for c in r.cells)  # not a progressive frame
    assert coverage.empty_cells == sum(1 for t in coverage.tables for r in t.rows for c in r.cells if c.frames == 0)


def test_customers_are_counted_into_their_cell_and_those_left_without_a_choice() -> None:
    frame = Frame(category="eyeglasses", frame_width_mm=137.0, lens_width_mm=50.0, bridge_mm=18.0, lens_height_mm=40.0)
    coverage = compute_coverage(FrameArrays.from_frames([frame]), RULES, "v")
    myope = Eye(-2.25, -0.5, 90)
    population = [
        Wearer(right=myope, left=Eye(-2.0), face_width_mm=136.0),  # SPH −4 to −2, CYL −0.25 to −1.00, 132–138 mm
        Wearer(right=Eye(-2.0, add=2.0), left=Eye(-2.0, add=2.0), face_width_mm=136.0),  # progressive: nothing fits
        Wearer(right=myope, left=myope),  # no face width: not in the map
        Wearer(face_width_mm=140.0),  # no prescription: not in the map
        Wearer(right=Eye(-12.0), left=Eye(-12.0), face_width_mm=136.0),  # beyond the bands
    ]
    counted = with_customers(coverage, WearerArrays.from_wearers(population, RULES))
    rows = [(t.progressive, r) for t in counted.tables for r in t.rows]
    cells = {(progressive, r.sphere, r.cylinder, c.face_width_mm): c for progressive, r in rows for c in r.cells}
    assert cells[(False, -3.0, -0.5, 135.0)].customers == 1 and cells[(False, -3.0, -0.5, 135.0)].frames == 1
    assert cells[(True, -1.0, 0.0, 135.0)].customers == 1 and cells[(True, -1.0, 0.0, 135.0)].frames == 0
    assert counted.customers_placed == 2 and counted.customers_without_choice == 1
    assert sum(c.customers for c in cells.values()) == 2
    assert all(c.customers == 0 for t in coverage.tables for r in t.rows for c in r.cells)  # the cached map untouched
