"""One frame's rules over a population of wearers give exactly the scalar rules' answers, wearer by wearer."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from optirec.eyewear.config import RuleSettings
from optirec.eyewear.population import WearerArrays, failures_by_rule, frame_failures
from optirec.eyewear.rules import RULE_NAMES, check_frame
from optirec.eyewear.wearer import Eye, Frame, Wearer

from .strategies import frames, wearers

RULES = RuleSettings()


@settings(max_examples=300, deadline=None)
@given(frame=frames(), population=st.lists(wearers(), min_size=1, max_size=25))
def test_population_equals_scalar(frame: Frame, population: list[Wearer]) -> None:
    population = [dataclasses.replace(w, rx_sunglasses=False) for w in population]  # a profile never asks for them
    failed = frame_failures(frame, WearerArrays.from_wearers(population, RULES), RULES)
    for k, wearer in enumerate(population):
        verdict = check_frame(frame, wearer, RULES)
        for bit, result in enumerate(verdict.results):
            assert result.rule == RULE_NAMES[bit]
            assert bool(failed[k] & (1 << bit)) == (not result.passed), (result, frame, wearer)


def test_a_narrow_frame_suits_the_narrow_face_and_not_the_wide_one() -> None:
    frame = Frame(category="eyeglasses", frame_width_mm=128.0, lens_width_mm=48.0, bridge_mm=18.0)
    population = [Wearer(face_width_mm=130.0), Wearer(face_width_mm=150.0), Wearer()]
    arrays = WearerArrays.from_wearers(population, RULES)
    failed = frame_failures(frame, arrays, RULES)
    assert failed.tolist() == [0, 1 << RULE_NAMES.index("face_width"), 0]
    assert arrays.measured.tolist() == [True, True, False]  # nothing known of the third: the rules tell nothing
    counts = failures_by_rule(failed, arrays.measured)
    assert counts["face_width"] == 1 and sum(counts.values()) == 1


def test_a_progressive_wearer_needs_a_tall_enough_lens() -> None:
    reader = Wearer(right=Eye(-1.0, add=2.0), left=Eye(-1.0, add=2.0))
    short = Frame(category="eyeglasses", lens_height_mm=24.0, progressive=True)
    tall = Frame(category="eyeglasses", lens_height_mm=34.0, progressive=True)
    arrays = WearerArrays.from_wearers([reader], RULES)
    multifocal = np.uint8(1 << RULE_NAMES.index("multifocal"))
    assert frame_failures(short, arrays, RULES)[0] & multifocal
    assert not frame_failures(tall, arrays, RULES)[0] & multifocal
