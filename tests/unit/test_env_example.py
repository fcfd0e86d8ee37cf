"""`.env.example` lists every setting, and copied as `.env` it is a valid configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.core.settings import Settings, load_settings

EXAMPLE = Path(__file__).parents[2] / ".env.example"


def test_env_example_lists_every_setting() -> None:
    text = EXAMPLE.read_text()
    missing = [name for name in Settings.model_fields if f"STUDIO_{name.upper()}=" not in text]
    assert missing == []


def test_env_example_as_dotenv_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(EXAMPLE.read_text())
    monkeypatch.chdir(tmp_path)
    settings = load_settings(_env_file=str(env))
    assert settings.database_url is None and settings.llm_model is None
    assert settings.planner == "auto"
    assert settings.sqlalchemy_url.endswith("/data/studio.db")
