"""The coverage map's bands and representative wearers, on a tiny catalogue whose answer is known."""

from __future__ import annotations

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.vectorized import FrameArrays
from optirec.eyewear.wearer import Frame
from optirec.inspector.coverage import CYLINDER_BANDS, FACE_WIDTH_BANDS, SPHERE_BANDS, compute_coverage, middle

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
