"""Settings: every field documented, the docs in step with the code, and the environment read as documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from optirec.settings import Settings, settings_markdown

DOCS = Path(__file__).parent.parent / "docs" / "settings.md"


def test_every_setting_has_a_description() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not field.description]
    assert undocumented == []


def test_docs_settings_md_is_generated_from_the_code() -> None:
    # Guards against a setting added or changed without `optirec settings > docs/settings.md`.
    assert DOCS.read_text(encoding="utf-8") == settings_markdown()


def test_environment_variables_and_nested_fields_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIREC_SIGNAL_BATCH_MAX", "250")
    monkeypatch.setenv("OPTIREC_EXTRA_ACTION_TYPES", '["try_on"]')
    monkeypatch.setenv("OPTIREC_RULES__MIN_MULTIFOCAL_HEIGHT_MM", "30")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.signal_batch_max == 250
    assert "try_on" in settings.action_types and "view" in settings.action_types
    assert settings.rules.min_multifocal_height_mm == 30


def test_bad_action_type_names_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPTIREC_EXTRA_ACTION_TYPES", '["Try On"]')
    with pytest.raises(ValueError, match="lower-case"):
        Settings(_env_file=None)  # type: ignore[call-arg]


def test_a_short_secret_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Regression (review item 11): any `OPTIREC_SECRET_KEY` was taken, however short (HS256 wants 32 bytes)."""
    monkeypatch.setenv("OPTIREC_SECRET_KEY", "x" * 31)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings(_env_file=None)  # type: ignore[call-arg]
    monkeypatch.setenv("OPTIREC_SECRET_KEY", "x" * 32)
    assert Settings(_env_file=None).secret_key is not None  # type: ignore[call-arg]
