"""Shared fixtures. No test reaches the network: only loopback and unix sockets may be connected to."""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
for _key in [k for k in os.environ if k.startswith("STUDIO_")]:
    del os.environ[_key]  # a developer's own settings must not leak into the tests
# No test starts the local model server (~1 GB) unless it asks for it (tests/integration/test_local_model.py).
# An environment variable, so subprocesses (`studio ask`, the web app) inherit it too.
os.environ["STUDIO_LOCAL_MODEL"] = "off"

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = ipaddress.ip_address(socket.gethostbyname(host))
        if not ip.is_loopback:
            raise ConnectionRefusedError(f"tests may not reach the network ({host})")
    return _real_connect(self, address)


socket.socket.connect = _guarded_connect  # type: ignore[method-assign]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def settings(data_dir: Path) -> Any:
    from agent.core.settings import load_settings

    return load_settings(data_dir=data_dir, _env_file=None)


@pytest.fixture
def engine(settings: Any) -> Iterator[Any]:
    from agent.core.db import make_engine
    from agent.core.migrate import upgrade

    eng = make_engine(settings.sqlalchemy_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    name = f"studio_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_engine(pg_url: str) -> Iterator[Any]:
    """An engine on that fresh PostgreSQL database, migrated."""
    from agent.core.db import make_engine
    from agent.core.migrate import upgrade
    from agent.core.settings import normalize_db_url

    eng = make_engine(normalize_db_url(pg_url))
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def user_id(engine: Any) -> str:
    from agent.core import repo
    from agent.core.db import session_scope

    with session_scope(engine) as session:
        return repo.create_user(
            session, email=f"u{uuid.uuid4().hex[:6]}@example.com", password="s3cret-pass"
        ).id
