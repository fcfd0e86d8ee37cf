"""Settings: defaults, fail-fast validation that names the setting, URL normalisation, generated secrets."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from agent.core.errors import ConfigError
from agent.core.security import CredentialBox
from agent.core.settings import PlannerMode, Settings, load_settings, normalize_db_url


def test_defaults_use_a_sqlite_file_in_the_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)

    settings = load_settings(_env_file=None)

    assert settings.planner is PlannerMode.AUTO
    assert settings.database_url is None
    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'data' / 'studio.db').resolve()}"
    assert not settings.is_postgres
    assert settings.default_platforms == ["instagram"]
    assert settings.llm_configured is False
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000


def test_data_dir_from_the_environment_moves_the_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STUDIO_DATA_DIR", str(tmp_path / "elsewhere"))

    settings = load_settings(_env_file=None)

    assert settings.sqlalchemy_url == f"sqlite:///{(tmp_path / 'elsewhere' / 'studio.db').resolve()}"


def test_environment_values_are_read_and_cleaned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_DEFAULT_PLATFORMS", " LinkedIn , x,bluesky ")
    monkeypatch.setenv("STUDIO_PLANNER", "llm")
    monkeypatch.setenv("STUDIO_LLM_MODEL", "qwen2.5")
    monkeypatch.setenv("STUDIO_LLM_BASE_URL", "http://127.0.0.1:11434/v1/")
    monkeypatch.setenv("STUDIO_PORT", "9001")

    settings = load_settings(_env_file=None)

    assert settings.default_platforms == ["linkedin", "x", "bluesky"]
    assert settings.planner is PlannerMode.LLM
    assert settings.llm_configured is True
    assert settings.llm_base_url == "http://127.0.0.1:11434/v1"
    assert settings.port == 9001


def test_default_platforms_accept_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_DEFAULT_PLATFORMS", '["threads", "Mastodon"]')

    assert load_settings(_env_file=None).default_platforms == ["threads", "mastodon"]


@pytest.mark.parametrize(
    ("env", "setting"),
    [
        ({"STUDIO_DATABASE_URL": "mysql://root@127.0.0.1/studio"}, "STUDIO_DATABASE_URL"),
        ({"STUDIO_DATABASE_URL": "just-a-path.db"}, "STUDIO_DATABASE_URL"),
        ({"STUDIO_PLANNER": "smart"}, "STUDIO_PLANNER"),
        ({"STUDIO_PORT": "0"}, "STUDIO_PORT"),
        ({"STUDIO_PORT": "70000"}, "STUDIO_PORT"),
        ({"STUDIO_PORT": "eighty"}, "STUDIO_PORT"),
        ({"STUDIO_DEFAULT_PLATFORMS": "myspace"}, "STUDIO_DEFAULT_PLATFORMS"),
        ({"STUDIO_DEFAULT_PLATFORMS": "instagram,myspace"}, "STUDIO_DEFAULT_PLATFORMS"),
        ({"STUDIO_DEFAULT_PLATFORMS": " , "}, "STUDIO_DEFAULT_PLATFORMS"),
        ({"STUDIO_SECRET_KEY": "notbase64"}, "STUDIO_SECRET_KEY"),
        ({"STUDIO_SECRET_KEY": "c2hvcnQ="}, "STUDIO_SECRET_KEY"),  # valid base64, but 5 bytes
        ({"STUDIO_REDIS_URL": "http://127.0.0.1:6379"}, "STUDIO_REDIS_URL"),
        ({"STUDIO_LLM_BASE_URL": "127.0.0.1:11434"}, "STUDIO_LLM_BASE_URL"),
        ({"STUDIO_LLM_TIMEOUT_S": "0"}, "STUDIO_LLM_TIMEOUT_S"),
        ({"STUDIO_PLANNER": "llm"}, "STUDIO_PLANNER"),
        ({"STUDIO_PLANNER": "llm", "STUDIO_LLM_BASE_URL": "http://127.0.0.1:8080/v1"}, "STUDIO_LLM_MODEL"),
        ({"STUDIO_LLM_MODEL": "gpt-4o-mini"}, "STUDIO_LLM_BASE_URL"),
    ],
)
def test_an_invalid_value_raises_config_error_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], setting: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)

    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)

    assert setting in str(info.value)


def test_a_config_error_lists_every_bad_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_PORT", "0")
    monkeypatch.setenv("STUDIO_PLANNER", "smart")

    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)

    assert "STUDIO_PORT" in str(info.value)
    assert "STUDIO_PLANNER" in str(info.value)


def test_a_model_with_an_api_key_only_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_LLM_MODEL", "gpt-4o-mini")
    monkeypatch.setenv("STUDIO_LLM_API_KEY", "sk-test")

    settings = load_settings(_env_file=None)

    assert settings.llm_configured
    assert "sk-test" not in repr(settings)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "postgres://studio:pw@127.0.0.1:5432/studio",
            "postgresql+psycopg://studio:pw@127.0.0.1:5432/studio",
        ),
        ("postgresql://studio@db/studio", "postgresql+psycopg://studio@db/studio"),
        ("postgresql+psycopg://studio@db/studio", "postgresql+psycopg://studio@db/studio"),
        ("sqlite:////tmp/studio.db", "sqlite:////tmp/studio.db"),
    ],
)
def test_normalize_db_url(url: str, expected: str) -> None:
    assert normalize_db_url(url) == expected


def test_a_postgres_database_url_is_normalised_for_psycopg(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_DATABASE_URL", "postgres://studio@127.0.0.1:5432/studio")

    settings = load_settings(_env_file=None)

    assert settings.sqlalchemy_url == "postgresql+psycopg://studio@127.0.0.1:5432/studio"
    assert settings.is_postgres


def test_resolved_secrets_are_generated_once_with_mode_0600(settings: Settings, data_dir: Path) -> None:
    keys, auth = settings.resolved_secrets()

    path = data_dir / "secrets.json"
    assert path.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(keys) == 1
    assert len(auth) >= 32
    box = CredentialBox(keys)  # the generated key is a working Fernet key
    assert box.decrypt(box.encrypt({"token": "t"})) == {"token": "t"}
    stored = json.loads(path.read_text())

    again = load_settings(data_dir=data_dir, _env_file=None).resolved_secrets()

    assert again == (keys, auth)
    assert json.loads(path.read_text()) == stored


def test_resolved_secrets_prefer_configured_keys(monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("STUDIO_SECRET_KEY", f"{new}, {old}")
    monkeypatch.setenv("STUDIO_AUTH_SECRET", "a-long-session-signing-secret")

    keys, auth = load_settings(data_dir=data_dir, _env_file=None).resolved_secrets()

    assert keys == [new, old]
    assert auth == "a-long-session-signing-secret"
    assert not (data_dir / "secrets.json").exists()
