"""The agent graph end to end with a scripted tool-calling model and with the rules planner."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langgraph.checkpoint.memory import InMemorySaver
from sqlmodel import select

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.models import Approval, Draft
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from tests.fakes.chat_model import ScriptedChatModel


def call(name: str, call_id: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def make_user(engine: Any, email: str) -> str:
    with session_scope(engine) as session:
        return repo.create_user(session, email=email, password="long-enough-pw").id


@pytest.fixture
def model() -> ScriptedChatModel:
    return ScriptedChatModel()


@pytest.fixture
async def llm_studio(settings: Any, model: ScriptedChatModel) -> Any:
    services = build_services(settings, writer=TemplateWriter(), chat_model=model)
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver()) as studio:
        yield studio


@pytest.fixture
async def rules_studio(settings: Any) -> Any:
    async with Studio.open(settings, checkpointer=InMemorySaver()) as studio:
        yield studio


def drafts_of(studio: Studio, user_id: str) -> list[Draft]:
    with session_scope(studio.services.engine) as session:
        return repo.list_drafts(session, user_id=user_id)


async def test_llm_planner_runs_tools_in_a_loop_and_answers(
    llm_studio: Studio, model: ScriptedChatModel
) -> None:
    uid = make_user(llm_studio.services.engine, "a@example.com")
    model.script = [
        AIMessage(
            "", tool_calls=[call("write_caption", "c1", brief="oat latte launch", platform="instagram")]
        ),
        lambda msgs: AIMessage(
            "", tool_calls=[call("suggest_hashtags", "c2", draft_id=msgs[-1].artifact["id"])]
        ),
        AIMessage("Here is your Instagram caption."),
    ]
    result = await llm_studio.run_turn(
        user_id=uid, thread_id="t1", text="write an Instagram caption about our oat latte"
    )

    assert result.tools == ["write_caption", "suggest_hashtags"]
    assert result.reply == "Here is your Instagram caption."
    assert result.backend["planner"] == "llm"
    assert len(result.drafts) == 1
    draft = result.drafts[0]
    assert draft.platform == "instagram" and draft.hashtags and draft.length <= draft.limit
    assert [d.id for d in drafts_of(llm_studio, uid)] == [draft.id]
    # the model saw the tools, and hidden arguments (the runtime) are not part of any tool schema
    assert {"write_caption", "suggest_hashtags", "remember", "recall", "approve_draft"} <= set(
        model.bound_tools
    )
    assert isinstance(model.calls[0][0], SystemMessage)


async def test_brand_profile_and_memories_reach_the_system_prompt(
    llm_studio: Studio, model: ScriptedChatModel
) -> None:
    engine = llm_studio.services.engine
    uid = make_user(engine, "b@example.com")
    other = make_user(engine, "other@example.com")
    with session_scope(engine) as session:
        repo.update_brand_profile(session, user_id=uid, tone="dry and witty", banned_words=["synergy"])
        repo.add_memory(session, user_id=uid, content="We never use emojis on LinkedIn")
        repo.add_memory(session, user_id=other, content="Other user's secret rule")
    model.script = [AIMessage("ok")]
    await llm_studio.run_turn(user_id=uid, thread_id="t2", text="hello there friend")
    system = model.calls[0][0].content
    assert "dry and witty" in system and "synergy" in system
    assert "We never use emojis on LinkedIn" in system
    assert "Other user's secret rule" not in system


async def test_remember_then_recall_across_threads(rules_studio: Studio) -> None:
    uid = make_user(rules_studio.services.engine, "c@example.com")
    first = await rules_studio.run_turn(
        user_id=uid, thread_id="t3", text="remember that we never use emojis on LinkedIn"
    )
    assert first.tools == ["remember"]
    assert "never use emojis on LinkedIn" in first.reply
    again = await rules_studio.run_turn(user_id=uid, thread_id="t4", text="what do you remember?")
    assert again.tools == ["recall"]
    assert "never use emojis on LinkedIn" in again.reply


async def test_remembered_rule_shapes_later_drafts(rules_studio: Studio) -> None:
    uid = make_user(rules_studio.services.engine, "d@example.com")
    await rules_studio.run_turn(
        user_id=uid, thread_id="t5", text="remember that we never use emojis on LinkedIn"
    )
    result = await rules_studio.run_turn(
        user_id=uid,
        thread_id="t5",
        text="write posts about our new oat latte",
        platforms=["instagram", "linkedin"],
    )
    by_platform = {d.platform: d for d in result.drafts}
    assert set(by_platform) == {"instagram", "linkedin"}
    assert "☕" in by_platform["instagram"].text
    assert not any(ord(ch) > 0x2000 and ch not in "—’“”…" for ch in by_platform["linkedin"].text)


async def test_rules_pipeline_writes_one_tagged_draft_per_platform(rules_studio: Studio) -> None:
    uid = make_user(rules_studio.services.engine, "e@example.com")
    result = await rules_studio.run_turn(
        user_id=uid, thread_id="t6", text="announce our oat latte launch", platforms=["x", "linkedin"]
    )
    assert result.backend == {"planner": "rules", "writer": "template"}
    # the writer's captions carry their hashtags: no second writer call to tag them
    assert result.tools == ["write_caption", "write_caption"]
    assert sorted(d.platform for d in result.drafts) == ["linkedin", "x"]
    for draft in result.drafts:
        assert draft.hashtags, draft
        assert draft.length <= draft.limit


class UntaggedWriter(TemplateWriter):
    """A writer whose captions come without hashtags (as a model's sometimes do)."""

    def caption(self, request: Any) -> Any:
        return super().caption(request).model_copy(update={"hashtags": []})


async def test_a_caption_short_of_hashtags_gets_a_hashtag_step(settings: Any) -> None:
    services = build_services(settings, writer=UntaggedWriter())
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver()) as studio:
        uid = make_user(studio.services.engine, "u@example.com")
        result = await studio.run_turn(
            user_id=uid, thread_id="t7", text="announce our oat latte launch", platforms=["x", "linkedin"]
        )
    assert result.tools.count("write_caption") == 2 and result.tools.count("suggest_hashtags") == 2
    for draft in result.drafts:
        assert draft.hashtags, draft
        assert draft.length <= draft.limit
        assert "oat latte" in draft.text.lower()
    assert "draft #" in result.reply


async def test_approval_interrupts_then_runs_once_on_approve(
    llm_studio: Studio, model: ScriptedChatModel
) -> None:
    engine = llm_studio.services.engine
    uid = make_user(engine, "f@example.com")
    with session_scope(engine) as session:
        draft_id = repo.create_draft(session, user_id=uid, platform="x", text="Hello").id
    model.script = [
        AIMessage("", tool_calls=[call("approve_draft", "a1", draft_id=draft_id)]),
        AIMessage("Approved."),
    ]
    paused = await llm_studio.run_turn(user_id=uid, thread_id="t7", text=f"approve draft #{draft_id}")
    assert paused.approval is not None
    assert paused.approval["actions"][0]["tool"] == "approve_draft"
    assert paused.tools == []
    with session_scope(engine) as session:
        assert repo.get_draft(session, user_id=uid, draft_id=draft_id).status == "draft"
        assert session.exec(select(Approval)).all() == []

    done = await llm_studio.run_turn(user_id=uid, thread_id="t7", resume={"approved": True})
    assert done.approval is None
    assert done.tools == ["approve_draft"]
    assert done.reply == "Approved."
    with session_scope(engine) as session:
        assert repo.get_draft(session, user_id=uid, draft_id=draft_id).status == "approved"
        approvals = session.exec(select(Approval)).all()
    assert [(a.decision, a.target) for a in approvals] == [("approved", f"draft:{draft_id}")]


async def test_declined_approval_runs_nothing(rules_studio: Studio) -> None:
    engine = rules_studio.services.engine
    uid = make_user(engine, "g@example.com")
    first = await rules_studio.run_turn(
        user_id=uid, thread_id="t8", text="write a LinkedIn post about hiring"
    )
    draft_id = first.drafts[0].id
    paused = await rules_studio.run_turn(user_id=uid, thread_id="t8", text="approve it")
    assert paused.approval["actions"][0]["args"] == {"draft_id": draft_id}
    done = await rules_studio.run_turn(
        user_id=uid, thread_id="t8", resume={"approved": False, "note": "not yet"}
    )
    assert done.tools == []
    assert "did not run approve_draft" in done.reply
    with session_scope(engine) as session:
        assert repo.get_draft(session, user_id=uid, draft_id=draft_id).status == "draft"
        assert [a.decision for a in session.exec(select(Approval)).all()] == ["declined"]


async def test_resume_without_pending_approval_is_refused(rules_studio: Studio) -> None:
    from agent.core.errors import InputError

    uid = make_user(rules_studio.services.engine, "h@example.com")
    with pytest.raises(InputError, match="nothing waiting"):
        await rules_studio.run_turn(user_id=uid, thread_id="t9", resume={"approved": True})


async def test_a_user_cannot_touch_another_users_draft(llm_studio: Studio, model: ScriptedChatModel) -> None:
    engine = llm_studio.services.engine
    owner = make_user(engine, "owner@example.com")
    intruder = make_user(engine, "intruder@example.com")
    with session_scope(engine) as session:
        draft_id = repo.create_draft(session, user_id=owner, platform="x", text="Mine").id
    model.script = [
        AIMessage("", tool_calls=[call("suggest_hashtags", "s1", draft_id=draft_id)]),
        AIMessage("", tool_calls=[call("approve_draft", "s2", draft_id=draft_id)]),
        AIMessage("done"),
    ]
    result = await llm_studio.run_turn(user_id=intruder, thread_id="t10", text="tag and approve that draft")
    assert result.approval is None  # refused before asking: the draft is not the intruder's
    assert result.drafts == []
    with session_scope(engine) as session:
        draft = repo.get_draft(session, user_id=owner, draft_id=draft_id)
    assert draft.status == "draft" and draft.hashtags == []


async def test_llm_failure_falls_back_to_rules(llm_studio: Studio, model: ScriptedChatModel) -> None:
    uid = make_user(llm_studio.services.engine, "i@example.com")
    model.script = [ConnectionError("endpoint down")] * 5
    result = await llm_studio.run_turn(
        user_id=uid, thread_id="t11", text="write a tweet about our new oat latte"
    )
    assert result.drafts and result.drafts[0].platform == "x"
    assert "write_caption" in result.tools


async def test_overlong_message_is_refused_with_the_limit(rules_studio: Studio) -> None:
    uid = make_user(rules_studio.services.engine, "j@example.com")
    limit = rules_studio.services.settings.max_message_chars
    result = await rules_studio.run_turn(user_id=uid, thread_id="t12", text="a" * (limit + 1))
    assert f"{limit:,}" in result.reply and result.tools == []


async def test_unknown_platform_is_an_input_error(rules_studio: Studio) -> None:
    from agent.core.errors import InputError

    uid = make_user(rules_studio.services.engine, "k@example.com")
    with pytest.raises(InputError, match="myspace"):
        await rules_studio.run_turn(user_id=uid, thread_id="t13", text="write a post", platforms=["myspace"])


async def test_conversation_survives_a_restart_on_sqlite(settings: Any) -> None:
    async with Studio.open(settings) as studio:
        uid = make_user(studio.services.engine, "l@example.com")
        await studio.run_turn(
            user_id=uid, thread_id="persist", text="write an Instagram caption about sunrise yoga"
        )
    async with Studio.open(settings) as reopened:
        state = await reopened.graph.aget_state({"configurable": {"thread_id": "persist"}})
        messages = state.values["messages"]
        assert isinstance(messages[0], HumanMessage)
        assert "sunrise yoga" in messages[0].content
        follow_up = await reopened.run_turn(user_id=uid, thread_id="persist", text="approve it")
        assert follow_up.approval is not None


async def test_dangling_tool_calls_are_not_sent_to_the_model() -> None:
    from langchain_core.messages import ToolMessage

    from agent.graph.planning.llm import _bounded_history

    history = [
        HumanMessage("hi"),
        AIMessage("", tool_calls=[call("recall", "x1")]),  # crashed before its result
        HumanMessage("again"),
        AIMessage("", tool_calls=[call("recall", "x2")]),
        ToolMessage("ok", tool_call_id="x2", name="recall"),
    ]
    cleaned = _bounded_history(history, 10)
    ids = [c["id"] for m in cleaned if isinstance(m, AIMessage) for c in m.tool_calls]
    assert ids == ["x2"]
    assert _bounded_history(history, 1) == []  # a lone tool result is never sent without its call


async def test_a_thread_belongs_to_the_user_who_started_it(rules_studio: Studio) -> None:
    from agent.core.errors import NotFound

    engine = rules_studio.services.engine
    owner = make_user(engine, "thread-owner@example.com")
    intruder = make_user(engine, "thread-intruder@example.com")
    first = await rules_studio.run_turn(
        user_id=owner, thread_id="owned", text="write a tweet about our oat latte"
    )
    await rules_studio.run_turn(user_id=owner, thread_id="owned", text="approve it")
    with pytest.raises(NotFound):
        await rules_studio.run_turn(user_id=intruder, thread_id="owned", text="what do you remember?")
    with pytest.raises(NotFound):
        await rules_studio.run_turn(user_id=intruder, thread_id="owned", resume={"approved": True})
    done = await rules_studio.run_turn(user_id=owner, thread_id="owned", resume={"approved": True})
    assert done.tools == ["approve_draft"]
    with session_scope(engine) as session:
        assert repo.get_draft(session, user_id=owner, draft_id=first.drafts[0].id).status == "approved"


async def test_the_llm_planner_plans_with_what_the_parser_read(
    llm_studio: Studio, model: ScriptedChatModel
) -> None:
    uid = make_user(llm_studio.services.engine, "brief@example.com")
    model.script = [AIMessage("Which flavour first?")]
    await llm_studio.run_turn(
        user_id=uid,
        thread_id="t-brief",
        text="give me 3 different TikTok captions about our vegan donuts, no emojis",
    )
    system = model.calls[0][0]
    assert isinstance(system, SystemMessage)
    assert "Read from the user's last message" in system.content
    assert "3 different drafts per platform" in system.content and "vegan donuts" in system.content
    assert "'emoji': False" in system.content
