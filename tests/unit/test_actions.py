"""UI actions (Studio.run_action): a button's tool call enters the graph as it is — no sentence is written for
the planner to parse — with the same approval step and records as a planned call."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlmodel import select

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError, NotFound
from agent.core.models import Approval, Draft
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from agent.services.context import Context


class NoPlanner:
    """A planner that fails the test if it is ever asked: actions must not need one."""

    name = "none"

    async def plan(self, state: dict[str, Any], ctx: Context) -> AIMessage:
        raise AssertionError(f"the planner was asked to plan an action: {state['messages'][-1]!r}")


@pytest.fixture
async def studio(settings: Any) -> AsyncIterator[Studio]:
    services = build_services(settings, writer=TemplateWriter())
    services.planner = NoPlanner()
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver()) as opened:
        yield opened


def new_draft(studio: Studio, user_id: str, text: str = "Our oat latte is back this week.") -> int:
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(
            session, user_id=user_id, platform="instagram", text=text, hashtags=["latte"]
        )
        assert draft.id is not None
        return draft.id


async def test_a_button_approves_its_draft_without_planning_or_asking_again(
    studio: Studio, user_id: str
) -> None:
    draft_id = new_draft(studio, user_id)
    result = await studio.run_action(
        user_id=user_id, thread_id="t-approve", tool="approve_draft", args={"draft_id": draft_id}
    )
    assert result.approval is None  # the click was the approval: nothing waits
    assert result.tools == ["approve_draft"]
    assert f"Draft #{draft_id} is approved." in result.reply
    assert [d.id for d in result.drafts] == [draft_id] and result.drafts[0].status == "approved"
    with session_scope(studio.services.engine) as session:
        assert repo.get_draft(session, user_id=user_id, draft_id=draft_id).status == "approved"
        [record] = session.exec(select(Approval).where(Approval.user_id == user_id)).all()
    assert (record.tool, record.decision, record.target) == ("approve_draft", "approved", f"draft:{draft_id}")
    assert record.note == "approved with the web studio's button"


async def test_the_thread_records_the_call_itself_not_a_sentence(studio: Studio, user_id: str) -> None:
    draft_id = new_draft(studio, user_id)
    await studio.run_action(
        user_id=user_id, thread_id="t-history", tool="improve_post", args={"draft_id": draft_id}
    )
    state = await studio.graph.aget_state({"configurable": {"thread_id": "t-history"}})
    human, asked, done, answer = state.values["messages"]
    assert isinstance(human, HumanMessage) and human.additional_kwargs == {"action": "improve_post"}
    assert isinstance(asked, AIMessage) and asked.response_metadata["planner"] == "action"
    assert [(c["name"], c["args"]) for c in asked.tool_calls] == [("improve_post", {"draft_id": draft_id})]
    assert isinstance(done, ToolMessage) and done.tool_call_id == asked.tool_calls[0]["id"]
    assert isinstance(answer, AIMessage) and f"#{draft_id}" in answer.content


async def test_an_action_on_someone_elses_draft_changes_nothing(studio: Studio, user_id: str) -> None:
    with session_scope(studio.services.engine) as session:
        other = repo.create_user(session, email="eve@example.com", password="eve-pass-123").id
    theirs = new_draft(studio, other)
    result = await studio.run_action(
        user_id=user_id, thread_id="t-theirs", tool="approve_draft", args={"draft_id": theirs}
    )
    assert f"No draft #{theirs}" in result.reply and result.drafts == []
    with session_scope(studio.services.engine) as session:
        assert session.get(Draft, theirs).status == "draft"
        assert session.exec(select(Approval)).all() == []


async def test_unknown_actions_and_other_users_threads_are_refused(studio: Studio, user_id: str) -> None:
    with pytest.raises(InputError, match="Unknown action"):
        await studio.run_action(user_id=user_id, thread_id="t1", tool="drop_tables", args={})
    draft_id = new_draft(studio, user_id)
    await studio.run_action(user_id=user_id, thread_id="mine", tool="score_post", args={"draft_id": draft_id})
    with session_scope(studio.services.engine) as session:
        other = repo.create_user(session, email="mallory@example.com", password="mallory-pass-1").id
    with pytest.raises(NotFound):
        await studio.run_action(
            user_id=other, thread_id="mine", tool="score_post", args={"draft_id": draft_id}
        )


async def test_a_message_after_an_action_is_planned_again(settings: Any, user_id: str) -> None:
    async with Studio.open(settings, checkpointer=InMemorySaver()) as studio:  # the rules planner
        draft_id = new_draft(studio, user_id)
        await studio.run_action(
            user_id=user_id, thread_id="t-mixed", tool="approve_draft", args={"draft_id": draft_id}
        )
        result = await studio.run_turn(
            user_id=user_id, thread_id="t-mixed", text="write a LinkedIn post about our hiring drive"
        )
    assert result.tools and result.tools[0] == "write_caption"
    assert [d.platform for d in result.drafts] == ["linkedin"]
