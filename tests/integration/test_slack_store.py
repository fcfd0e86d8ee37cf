"""What the Slack bot keeps: OAuth installs (bot tokens encrypted at rest), one-time link codes (hashed,
single use, expiring), and the rate limit in a real Redis."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy.engine import Engine

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.errors import InputError
from agent.core.migrate import upgrade
from agent.core.models import SlackLinkCode
from agent.core.security import CredentialBox
from agent.core.settings import normalize_db_url
from integrations.ratelimit import RedisRateLimiter
from tests.conftest import REDIS_URL
from ui.slack.installation_store import SQLInstallationStore

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = request.getfixturevalue("engine")
        yield eng
        return
    eng = make_engine(normalize_db_url(request.getfixturevalue("pg_url")))
    upgrade(eng)
    yield eng
    eng.dispose()


def _user(eng: Engine, email: str) -> str:
    with session_scope(eng) as session:
        return repo.create_user(session, email=email, password="s3cret-pass").id


def test_oauth_installs_are_stored_per_workspace_with_the_token_encrypted(db: Engine) -> None:
    box = CredentialBox([Fernet.generate_key().decode()])
    store = SQLInstallationStore(db, box)

    async def scenario() -> tuple[Any, Any, Any, Any]:
        for team, token in (("T1", "xoxb-one"), ("T2", "xoxb-two"), ("T1", "xoxb-one-renewed")):
            await store.async_save(
                Installation(
                    app_id="A1",
                    team_id=team,
                    team_name=f"Team {team}",
                    bot_token=token,
                    bot_id="B1",
                    bot_user_id="UB",
                    bot_scopes=["chat:write", "commands"],
                    user_id="UINSTALLER",
                )
            )
        one = await store.async_find_bot(enterprise_id=None, team_id="T1")
        two = await store.async_find_installation(enterprise_id=None, team_id="T2")
        missing = await store.async_find_bot(enterprise_id=None, team_id="T3")
        await store.async_delete_all(enterprise_id=None, team_id="T2")
        gone = await store.async_find_bot(enterprise_id=None, team_id="T2")
        return one, two, missing, gone

    one, two, missing, gone = asyncio.run(scenario())

    assert (one.bot_token, one.bot_scopes, one.team_name) == (
        "xoxb-one-renewed",
        ["chat:write", "commands"],
        "Team T1",
    )
    assert (two.bot_token, two.user_id) == ("xoxb-two", "UINSTALLER")
    assert missing is None and gone is None
    with db.connect() as conn:
        stored = conn.execute(sa.text("SELECT team_id, bot_token_encrypted FROM slack_installation")).all()
    assert [row[0] for row in stored] == ["T1"]
    assert "xoxb" not in stored[0][1]
    assert box.decrypt(stored[0][1]) == {"bot_token": "xoxb-one-renewed"}


def test_link_codes_are_hashed_single_use_and_expire(db: Engine) -> None:
    web = _user(db, "owner@cafe.example")
    with session_scope(db) as session:
        slack_only = repo.slack_user(session, team_id="T1", slack_user_id="U1").id
        first, _ = repo.issue_slack_link_code(session, user_id=web)
        code, expires = repo.issue_slack_link_code(session, user_id=web)  # the first stops working
    assert slack_only != web
    assert expires > datetime.now(UTC) + timedelta(minutes=9)
    with db.connect() as conn:
        hashes = [r[0] for r in conn.execute(sa.text("SELECT code_hash FROM slack_link_code"))]
    assert len(hashes) == 1 and code not in hashes[0] and len(hashes[0]) == 64

    with session_scope(db) as session, pytest.raises(InputError, match="not valid"):
        repo.redeem_slack_link_code(session, code=first, team_id="T1", slack_user_id="U1")
    with session_scope(db) as session:
        linked = repo.redeem_slack_link_code(
            session, code=code.lower().replace("-", " "), team_id="T1", slack_user_id="U1"
        )
        assert linked.id == web
        assert repo.slack_user(session, team_id="T1", slack_user_id="U1").id == web
        assert repo.slack_user(session, team_id="T2", slack_user_id="U1").id not in {
            web,
            slack_only,
        }  # per workspace
    with session_scope(db) as session, pytest.raises(InputError, match="not valid"):
        repo.redeem_slack_link_code(session, code=code, team_id="T1", slack_user_id="U9")

    with session_scope(db) as session:
        late, _ = repo.issue_slack_link_code(session, user_id=web)
        session.execute(sa.update(SlackLinkCode).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with session_scope(db) as session, pytest.raises(InputError, match="not valid"):
        repo.redeem_slack_link_code(session, code=late, team_id="T1", slack_user_id="U5")


def test_redis_rate_limit_is_shared_between_limiters_and_per_user() -> None:
    import redis.asyncio as aioredis

    async def scenario() -> list[Any]:
        prefix = f"test:slack:{uuid.uuid4().hex}:"
        a = RedisRateLimiter(aioredis.from_url(REDIS_URL), 3, prefix=prefix)
        b = RedisRateLimiter(aioredis.from_url(REDIS_URL), 3, prefix=prefix)  # another bot process
        results = [
            await a.hit("T1:U1"),
            await b.hit("T1:U1"),
            await a.hit("T1:U1"),
            await b.hit("T1:U1"),
            await a.hit("T1:U2"),
        ]
        await a.aclose()
        await b.aclose()
        return results

    results = asyncio.run(scenario())

    assert results[:3] == [None, None, None]
    assert 59 < results[3] <= 60
    assert results[4] is None


def test_a_redis_that_is_down_falls_back_to_counting_in_the_process() -> None:
    import redis.asyncio as aioredis

    async def scenario() -> list[Any]:
        limiter = RedisRateLimiter(aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1), 1)
        out = [await limiter.hit("k"), await limiter.hit("k")]
        await limiter.aclose()
        return out

    first, second = asyncio.run(scenario())
    assert first is None and second is not None and second > 0
