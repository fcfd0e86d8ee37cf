"""Migration 0002: the tables of Chainlit's SQLAlchemy data layer, on SQLite and on PostgreSQL.

Each database is migrated by our Alembic chain, then driven through Chainlit's own ``SQLAlchemyDataLayer``
the way the web chat uses it. That layer swallows SQL errors (it logs a warning and returns None), so the
tests also fail on any warning it logs.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from agent.core.db import async_url
from agent.core.migrate import alembic_config, current_revision, head_revision, upgrade

pytestmark = pytest.mark.integration

CHAINLIT_TABLES = {"users", "threads", "steps", "elements", "feedbacks"}


@pytest.fixture(scope="module", autouse=True)
def chainlit_app_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Chainlit writes a config and a files dir under its app root when first imported: keep them in tmp."""
    root = tmp_path_factory.mktemp("chainlit-root")
    previous = os.environ.get("CHAINLIT_APP_ROOT")
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    yield root
    if previous is None:
        os.environ.pop("CHAINLIT_APP_ROOT", None)
    else:
        os.environ["CHAINLIT_APP_ROOT"] = previous


@pytest.fixture
def chainlit_warnings(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The warnings Chainlit logged so far (it reports failed SQL only this way), minus the expected one."""
    caplog.set_level(logging.WARNING, logger="chainlit")

    def collected() -> list[str]:
        return [
            r.getMessage()
            for r in caplog.records
            if r.name == "chainlit"
            and r.levelno >= logging.WARNING
            and "storage client" not in r.getMessage()
        ]

    return collected


@asynccontextmanager
async def _data_layer(engine: sa.Engine) -> AsyncIterator[Any]:
    from chainlit.data.sql_alchemy import SQLAlchemyDataLayer

    url = async_url(engine.url.render_as_string(hide_password=False))
    layer = SQLAlchemyDataLayer(conninfo=url)
    try:
        yield layer
    finally:
        await layer.close()


def _columns(engine: sa.Engine, table: str) -> dict[str, Any]:
    return {c["name"]: c for c in sa.inspect(engine).get_columns(table)}


async def _round_trip(engine: sa.Engine, *, with_tags: bool) -> None:
    """What the web chat does: users, a thread, a message, a tool step, feedback, listing, deleting."""
    from chainlit.context import init_http_context
    from chainlit.message import Message
    from chainlit.step import Step
    from chainlit.types import Feedback, Pagination, ThreadFilter
    from chainlit.user import User

    async with _data_layer(engine) as layer:
        ana = await layer.create_user(
            User(identifier="ana@example.com", metadata={"studio_user_id": "u-ana"})
        )
        ben = await layer.create_user(User(identifier="ben@example.com", metadata={}))
        assert ana is not None and ben is not None
        assert ana.metadata == {"studio_user_id": "u-ana"}
        again = await layer.create_user(
            User(identifier="ana@example.com", metadata={"studio_user_id": "u-2"})
        )
        assert again is not None and again.id == ana.id and again.metadata == {"studio_user_id": "u-2"}

        thread_id = str(uuid.uuid4())
        init_http_context(thread_id=thread_id)
        await layer.update_thread(
            thread_id, name="oat latte", user_id=ana.id, tags=["web"] if with_tags else None
        )
        message = Message(content="write an Instagram caption about our new oat latte", type="user_message")
        await layer.create_step(message.to_dict())
        tool = Step(name="write_caption", type="tool", parent_id=message.id, auto_collapse=True)
        tool.input = {"topic": "oat latte"}
        await layer.create_step(tool.to_dict())
        tool.output = "Introducing our new oat latte #oatlatte"
        await layer.update_step(tool.to_dict())
        await layer.upsert_feedback(Feedback(forId=tool.id, value=1, threadId=thread_id, comment="good"))
        await layer.update_thread(thread_id, metadata={"chat_settings": {"platforms": ["instagram"]}})

        thread = await layer.get_thread(thread_id)
        assert thread is not None
        assert thread["userIdentifier"] == "ana@example.com"
        assert await layer.get_thread_author(thread_id) == "ana@example.com"
        steps = {s["name"]: s for s in thread["steps"]}
        assert steps["write_caption"]["output"] == "Introducing our new oat latte #oatlatte"
        assert steps["write_caption"]["feedback"]["value"] == 1
        assert "oat latte" in next(s["output"] for s in thread["steps"] if s["type"] == "user_message")
        if with_tags:
            assert thread["tags"] == ["web"]
        stored = await layer.get_step(tool.id)
        assert stored is not None and stored["parentId"] == message.id

        mine = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=ana.id))
        theirs = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=ben.id))
        assert [t["id"] for t in mine.data] == [thread_id]
        assert theirs.data == []
        found = await layer.list_threads(
            Pagination(first=20), ThreadFilter(userId=ana.id, search="#oatlatte")
        )
        assert [t["id"] for t in found.data] == [thread_id]

        await layer.delete_thread(thread_id)
        assert await layer.get_thread(thread_id) is None


def test_sqlite_has_the_tables_chainlit_writes(engine: sa.Engine) -> None:
    assert current_revision(engine) == head_revision(str(engine.url))
    assert set(sa.inspect(engine).get_table_names()) >= CHAINLIT_TABLES
    steps = _columns(engine, "steps")
    for column in ("autoCollapse", "defaultOpen", "command", "modes", "showInput", "generation"):
        assert column in steps, column
    assert not steps["threadId"]["nullable"]


async def test_sqlite_round_trip_through_chainlits_data_layer(
    engine: sa.Engine, chainlit_warnings: Callable[[], list[str]]
) -> None:
    await _round_trip(engine, with_tags=False)
    assert chainlit_warnings() == []


def test_postgres_uses_the_documented_types(pg_engine: sa.Engine) -> None:
    assert current_revision(pg_engine) == head_revision(str(pg_engine.url))
    steps = _columns(pg_engine, "steps")
    assert steps["id"]["type"].__class__.__name__ == "UUID"
    assert steps["metadata"]["type"].__class__.__name__ == "JSONB"
    assert steps["tags"]["type"].__class__.__name__ == "ARRAY"
    assert steps["autoCollapse"]["type"].__class__.__name__ == "BOOLEAN"
    assert _columns(pg_engine, "users")["metadata"]["type"].__class__.__name__ == "JSONB"


async def test_postgres_round_trip_through_chainlits_data_layer(
    pg_engine: sa.Engine, chainlit_warnings: Callable[[], list[str]]
) -> None:
    await _round_trip(pg_engine, with_tags=True)
    assert chainlit_warnings() == []


def test_downgrade_and_upgrade_again(pg_engine: sa.Engine, engine: sa.Engine) -> None:
    for eng in (pg_engine, engine):
        downgrade_to(eng, "0001")
        assert not CHAINLIT_TABLES & set(sa.inspect(eng).get_table_names())
        assert "studio_user" in sa.inspect(eng).get_table_names()
        upgrade(eng)
        assert set(sa.inspect(eng).get_table_names()) >= CHAINLIT_TABLES


def downgrade_to(engine: sa.Engine, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


def test_autogenerate_leaves_chainlit_tables_alone(engine: sa.Engine) -> None:
    """``alembic check`` compares agent.models with the database: Chainlit's tables are not in the models
    and must not show up as tables to drop."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.check(cfg)
