"""`studio keys rotate`: stored credentials move to the newest key, and the old key can then be dropped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy.engine import Engine

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.migrate import upgrade
from agent.core.security import CredentialBox
from agent.core.settings import load_settings

pytestmark = pytest.mark.integration
STUDIO = str(Path(sys.executable).with_name("studio"))


def run(data_dir: Path, keys: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update({"STUDIO_DATA_DIR": str(data_dir), "STUDIO_SECRET_KEY": keys, "STUDIO_SCHEDULER": "off"})
    return subprocess.run([STUDIO, *args], capture_output=True, text=True, env=env, timeout=120, check=False)


def stored_account(data_dir: Path, key: str, credentials: dict[str, str]) -> tuple[Engine, str, int]:
    """A migrated studio database with one user and one account whose credentials are encrypted under ``key``."""
    settings = load_settings(data_dir=data_dir, _env_file=None)
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_scope(engine) as session:
        uid = repo.create_user(session, email="keys@example.com", password="long-enough-pw").id
        account = repo.add_platform_account(
            session,
            user_id=uid,
            platform="mastodon",
            handle="@me",
            credentials=credentials,
            box=CredentialBox([key]),
        )
        assert account.id is not None
    return engine, uid, account.id


def test_rotation_reencrypts_under_the_new_key(data_dir: Path) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine, uid, account_id = stored_account(data_dir, old, {"token": "t0p"})

    proc = run(data_dir, f"{new},{old}", "keys", "rotate")
    assert proc.returncode == 0, proc.stderr
    assert "Re-encrypted 1" in proc.stdout

    with session_scope(engine) as session:
        creds = repo.account_credentials(
            session, user_id=uid, account_id=account_id, box=CredentialBox([new])
        )
    assert creds == {"token": "t0p"}  # the new key alone now decrypts it
    engine.dispose()


def test_rotation_with_a_wrong_key_changes_nothing(data_dir: Path) -> None:
    old, stranger = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    engine, uid, account_id = stored_account(data_dir, old, {"secret": "s"})
    proc = run(data_dir, stranger, "keys", "rotate")
    assert proc.returncode == 1
    assert "cannot be decrypted" in proc.stderr
    with session_scope(engine) as session:
        assert repo.account_credentials(
            session, user_id=uid, account_id=account_id, box=CredentialBox([old])
        ) == {"secret": "s"}
    engine.dispose()
