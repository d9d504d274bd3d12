"""Hypothesis strategies for random frames and wearers, spanning the schemas' ranges and the missing cases."""

from __future__ import annotations

from hypothesis import strategies as st

from optirec.eyewear.wearer import Eye, Frame, Wearer


def quarter(lo: float, hi: float) -> st.SearchStrategy[float]:
    """Quarter-dioptre powers in [lo, hi]."""
    return st.integers(int(lo * 4), int(hi * 4)).map(lambda k: k / 4)


def eyes() -> st.SearchStrategy[Eye]:
    """One eye of a prescription, cylinder in either sign with its axis, sometimes an ADD."""

    @st.composite
    def build(draw: st.DrawFn) -> Eye:
        cyl = draw(quarter(-6, 6))
        axis = draw(st.integers(1, 180)) if cyl else None
        add = draw(st.none() | quarter(0.75, 3.5))
        return Eye(draw(quarter(-20, 20)), cyl, axis, add)

    return build()


def wearers() -> st.SearchStrategy[Wearer]:
    """A wearer with or without a prescription, PD and face width."""
    eye = eyes()
    return st.builds(
        Wearer,
        right=st.none() | eye,
        left=st.none() | eye,
        pd_mm=st.none() | st.floats(50, 80),
        face_width_mm=st.none() | st.floats(100, 175),
        rx_sunglasses=st.booleans(),
    )


@st.composite
def frames(draw: st.DrawFn) -> Frame:
    """A product as the rules see it: any category, rim, measurements and range, some left unlisted."""
    width = draw(st.none() | st.floats(30, 75))
    bridge = draw(st.none() | st.floats(10, 30))
    lo = draw(st.none() | quarter(-20, 20))
    hi = draw(st.none() | quarter(-20, 20))
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    return Frame(
        category=draw(st.sampled_from(["eyeglasses", "sunglasses", "accessories"])),
        rim_type=draw(st.sampled_from([None, "full-rim", "semi-rimless", "rimless"])),
        lens_width_mm=width,
        bridge_mm=bridge,
        lens_height_mm=draw(st.none() | st.floats(15, 70)),
        frame_width_mm=draw(st.none() | st.floats(90, 175)),
        rx_capable=draw(st.booleans()),
        sphere_min=lo,
        sphere_max=hi,
        cylinder_max=draw(st.none() | quarter(0, 6)),
        progressive=draw(st.booleans()),
    )
