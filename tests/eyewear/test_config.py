"""Every rule threshold is documented: a description in the settings and a mention in docs/eyewear.md."""

from __future__ import annotations

from pathlib import Path

import pytest

from optirec.eyewear.config import RuleSettings

DOC = Path(__file__).parents[2] / "docs" / "eyewear.md"


@pytest.mark.parametrize("name", sorted(RuleSettings.model_fields))
def test_threshold_has_a_description_and_is_in_the_docs(name: str) -> None:
    field = RuleSettings.model_fields[name]
    assert field.description and len(field.description) > 20
    assert f"`{name}`" in DOC.read_text(encoding="utf-8")
