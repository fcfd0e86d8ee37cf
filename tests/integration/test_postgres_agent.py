"""The agent on PostgreSQL: repositories and the LangGraph checkpointer on the same database."""

from __future__ import annotations

from typing import Any

import pytest

from agent.core import repo
from agent.core.db import session_scope
from agent.core.settings import load_settings
from agent.runtime.studio import Studio

pytestmark = pytest.mark.integration


async def test_turn_and_checkpoint_survive_a_restart_on_postgres(pg_url: str, data_dir: Any) -> None:
    settings = load_settings(data_dir=data_dir, database_url=pg_url, _env_file=None)
    assert settings.is_postgres
    async with Studio.open(settings) as studio:
        with session_scope(studio.services.engine) as session:
            uid = repo.create_user(session, email="pg@example.com", password="long-enough-pw").id
        first = await studio.run_turn(
            user_id=uid, thread_id="pg-thread", text="write a LinkedIn post about our oat latte"
        )
        assert first.drafts[0].platform == "linkedin"
    async with Studio.open(settings) as reopened:
        paused = await reopened.run_turn(user_id=uid, thread_id="pg-thread", text="approve it")
        assert paused.approval["actions"][0]["args"] == {"draft_id": first.drafts[0].id}
        done = await reopened.run_turn(user_id=uid, thread_id="pg-thread", resume={"approved": True})
        assert done.tools == ["approve_draft"]
        with session_scope(reopened.services.engine) as session:
            assert repo.get_draft(session, user_id=uid, draft_id=first.drafts[0].id).status == "approved"
