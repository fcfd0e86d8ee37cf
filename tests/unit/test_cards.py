"""Draft cards: counts by the platform's rule, score and suggestions from the scorer, owner only; the
best-time slot a card offers; the agent's reply without the drafts the cards show; and the cards' buttons,
each one tool call with typed arguments that reaches its tool without the planner."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from langchain_core.messages import AIMessage
from sqlmodel import select

from agent.content.optimize.scorer import score_post
from agent.content.optimize.timing import best_time
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError, NotFound
from agent.core.models import PostState, ScheduledPost
from agent.runtime.studio import Studio, TurnResult
from agent.services.views import web
from agent.services.views.drafts import (
    DraftMedia,
    DraftView,
    best_slot,
    draft_views,
    get_draft_view,
    regenerate_request,
    strip_draft_blocks,
)
from prompts import render
from prompts.counting import count
from tools import TOOLS
from ui.web import calls
from ui.web.views import DRAFT_OPS, draft_card_actions, draft_card_content


def test_a_card_counts_by_the_platforms_rule_and_carries_the_scorers_suggestions(
    engine: Any, user_id: str
) -> None:
    text = "Our oat latte is back ☕ https://example.com/" + "a" * 60
    with session_scope(engine) as session:
        draft = repo.create_draft(
            session,
            user_id=user_id,
            platform="x",
            text=text,
            hashtags=["oatlatte"],
            meta={"brief": "write a tweet about our oat latte"},
        )
        card = get_draft_view(session, user_id=user_id, draft_id=draft.id)
    expected = score_post(text, ["oatlatte"], "x", False)
    assert card.length == count(f"{text}\n\n#oatlatte", "weighted")  # the link weighs 23, the emoji 2
    assert card.length != len(f"{text}\n\n#oatlatte")
    assert card.limit == 280 and card.fits and card.count_label == f"{card.length} / 280"
    assert card.score == expected.total
    assert card.suggestions == list(expected.suggestions[:3]) and len(card.suggestions) >= 2
    content = draft_card_content(card)
    assert f"X · draft #{draft.id}" in content and f"{card.length} / 280" in content
    assert "#oatlatte" in content and expected.suggestions[0] in content
    ops = [a.payload["op"] for a in draft_card_actions(card)]
    assert (
        ops
        == ["approve", "edit", "regenerate", "variants", "improve", "schedule", "publish"]
        == list(DRAFT_OPS)
    )
    assert all(a.payload["draft_id"] == draft.id for a in draft_card_actions(card))
    assert card.model_dump(mode="json")["fits"] is True and "storage_path" not in str(card.model_dump())


def test_an_over_long_draft_says_so(engine: Any, user_id: str) -> None:
    with session_scope(engine) as session:
        draft = repo.create_draft(session, user_id=user_id, platform="bluesky", text="word " * 80)
        card = get_draft_view(session, user_id=user_id, draft_id=draft.id)
    assert not card.fits and card.length > card.limit == 300
    assert "over the limit by" in draft_card_content(card)
    assert "limit" in card.suggestions[0].lower() or "shorten" in card.suggestions[0].lower()


def test_cards_are_the_owners_only_and_capped(engine: Any, user_id: str) -> None:
    with session_scope(engine) as session:
        other = repo.create_user(session, email="eve@example.com", password="eve-pass-123").id
        theirs = repo.create_draft(session, user_id=other, platform="linkedin", text="secret plan").id
        mine = [
            repo.create_draft(session, user_id=user_id, platform="x", text=f"post {i}").id for i in range(25)
        ]
        with pytest.raises(NotFound):
            get_draft_view(session, user_id=user_id, draft_id=theirs)
        with pytest.raises(NotFound):
            draft_views(session, user_id=user_id, draft_ids=[mine[0], theirs])
        cards = draft_views(session, user_id=user_id, draft_ids=[mine[1], mine[0], mine[1], *mine])
    assert [c.id for c in cards[:2]] == [mine[1], mine[0]] and len(cards) == 20


def test_best_slot_is_best_times_first_slot_in_the_users_timezone(engine: Any, user_id: str) -> None:
    now = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        repo.update_brand_profile(session, user_id=user_id, timezone="Europe/Berlin")
        at, tz = best_slot(session, user_id=user_id, platform="linkedin", now=now)
    expected = best_time("linkedin", "Europe/Berlin", [], top=1, now=now).slots[0]
    assert tz == "Europe/Berlin" and at == expected.next_local and at > now
    assert at.tzinfo is not None and at.utcoffset() == ZoneInfo("Europe/Berlin").utcoffset(
        at.replace(tzinfo=None)
    )


def test_regenerate_asks_for_the_same_subject_without_other_platforms(engine: Any, user_id: str) -> None:
    with session_scope(engine) as session:
        draft = repo.create_draft(
            session,
            user_id=user_id,
            platform="linkedin",
            text="Introducing our oat latte",
            meta={"brief": "write Instagram and LinkedIn posts about our new oat latte"},
        )
        request, platform = regenerate_request(session, user_id=user_id, draft_id=draft.id)
    assert platform == "linkedin"
    assert request == "write a new post about our new oat latte"
    assert "instagram" not in request.lower()


def test_the_reply_loses_the_drafts_the_cards_show_but_keeps_its_notes() -> None:
    drafts = [
        {
            "id": 7,
            "platform_label": "Instagram",
            "length": 12,
            "limit": 2200,
            "score": 70.0,
            "text": "Hi **there**",
            "hashtags": ["a", "b"],
        },
        {
            "id": 8,
            "platform_label": "LinkedIn",
            "length": 9,
            "limit": 3000,
            "score": None,
            "text": "Hello",
            "hashtags": [],
        },
    ]
    listed = render("reply_drafts", drafts=drafts, notes=["template wrote this because no model is set"])
    reply = "I see: a latte.\n\n" + listed + "\n\nHashtags for X: #a"
    stripped = strip_draft_blocks(reply)
    assert "draft #7" not in stripped and "Hello" not in stripped and "Say “approve" not in stripped
    assert stripped.startswith("I see: a latte.")
    assert "_template wrote this because no model is set_" in stripped
    assert stripped.endswith("Hashtags for X: #a")
    assert strip_draft_blocks("  Draft #3 is approved.  ") == "Draft #3 is approved."
    assert strip_draft_blocks(listed) == "_template wrote this because no model is set_"
    assert strip_draft_blocks(listed, ["template wrote  this because no model is set"]) == ""


class NoPlanner:
    """A planner a button must never reach."""

    name = "none"

    async def plan(self, state: dict[str, Any], ctx: Any) -> Any:
        raise AssertionError("a button reached the planner")


def a_view() -> DraftView:
    """An Instagram draft in Spanish with a photo."""
    return DraftView(
        id=3,
        platform="instagram",
        platform_label="Instagram",
        kind="caption",
        text="Hola",
        hashtags=[],
        length=4,
        limit=2200,
        score=50.0,
        status="draft",
        writer="template",
        language="es",
        media=[DraftMedia(asset_id=5, kind="image", filename="latte.jpg", mime="image/jpeg")],
    )


def test_every_button_is_a_call_of_one_of_the_agents_tools_with_its_own_arguments() -> None:
    schemas = {t.name: t.tool_call_schema for t in TOOLS}
    draft = a_view()
    made = [
        calls.approve(3),
        calls.edit(3, "New text\n\n#tag"),
        calls.regenerate(draft, "write a new post about our oat latte"),
        calls.variants(3),
        calls.improve(3),
        calls.schedule(3, "  tomorrow 9am "),
        calls.publish(3),
        calls.cancel_post(4),
        calls.reschedule_post(4, "friday 10:30" + "x" * 200),
    ]
    for call in made:
        schema = schemas[call.tool]
        assert set(call.args) <= set(schema.model_json_schema()["properties"]), call
        assert schema.model_validate(call.args).model_dump(include=set(call.args)) == call.args, call
    assert calls.regenerate(draft, "b").args == {
        "brief": "b",
        "platform": "instagram",
        "media": [5],
        "language": "es",
    }
    assert calls.schedule(3, "  tomorrow 9am ").args["when"] == "tomorrow 9am"
    assert len(calls.reschedule_post(4, "friday " + "x" * 200).args["when"]) == calls.MAX_WHEN_CHARS
    assert calls.payload_id({"draft_id": "7"}, "draft_id") == 7
    for bad in ({}, {"draft_id": "x"}, {"draft_id": 0}, {"draft_id": -2}, {"draft_id": None}):
        with pytest.raises(InputError, match="not one of the studio's"):
            calls.payload_id(bad, "draft_id")


async def test_card_buttons_reach_their_tools_without_the_planner(studio: Studio) -> None:
    """What the web studio's buttons do, through Studio.run_action with a planner that fails if asked: the
    Approve and Schedule clicks are the approval (no question is left open); every call is the button's own."""
    studio.services.planner = NoPlanner()
    engine = studio.services.engine
    with session_scope(engine) as session:
        user = repo.create_user(session, email="cards@example.com", password="cards-pass-123").id
        draft = repo.create_draft(
            session,
            user_id=user,
            platform="linkedin",
            text="Our oat latte is here.",
            hashtags=["oatlatte"],
            meta={"brief": "write a LinkedIn post about our new oat latte"},
        ).id
    thread = str(uuid.uuid4())

    async def press(call: calls.ToolCall) -> TurnResult:
        return await studio.run_action(user_id=user, thread_id=thread, tool=call.tool, args=call.args)

    approved = await press(calls.approve(draft))
    assert approved.tools == ["approve_draft"] and approved.approval is None
    assert f"Draft #{draft} is approved" in approved.reply
    with session_scope(engine) as session:
        [approval] = repo.list_approvals(session, user_id=user)
        assert (approval.tool, approval.decision, approval.target, approval.note) == (
            "approve_draft",
            "approved",
            f"draft:{draft}",
            "approved with the web studio's button",
        )
    state = await studio.graph.aget_state({"configurable": {"thread_id": thread}})
    made = [m for m in state.values["messages"] if isinstance(m, AIMessage) and m.tool_calls]
    assert [(m.response_metadata.get("planner"), m.tool_calls[0]["name"]) for m in made] == [
        ("action", "approve_draft")
    ]
    assert made[0].tool_calls[0]["args"] == {
        "draft_id": draft,
        "note": "approved with the web studio's button",
    }

    edited = await press(calls.edit(draft, "Creamy and smooth, made with care.\n\n#oatlatte #coffee"))
    assert edited.tools == ["edit_draft"]
    assert [(d.id, d.text, d.hashtags) for d in edited.drafts] == [
        (draft, "Creamy and smooth, made with care.", ["oatlatte", "coffee"])
    ]

    assert (await press(calls.improve(draft))).tools == ["improve_post"]
    variants = await press(calls.variants(draft))
    assert variants.tools == ["ab_variants"] and len(variants.drafts) >= 2

    brief, _ = web.regenerate_request(engine, user_id=user, draft_id=draft)
    fresh = await press(calls.regenerate(web.draft_view(engine, user_id=user, draft_id=draft), brief))
    assert fresh.tools == ["write_caption"]
    assert [d.platform for d in fresh.drafts] == ["linkedin"] and fresh.drafts[0].id != draft

    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d 09:00")
    scheduled = await press(calls.schedule(draft, when))
    assert scheduled.tools == ["schedule_post"] and scheduled.approval is None
    with session_scope(engine) as session:
        [post] = session.exec(select(ScheduledPost).where(ScheduledPost.draft_id == draft)).all()
        assert post.state == PostState.SCHEDULED.value and post.user_id == user
    cancelled = await press(calls.cancel_post(post.id))
    assert cancelled.tools == ["cancel_post"]
    with session_scope(engine) as session:
        assert session.get(ScheduledPost, post.id).state == PostState.CANCELLED.value
        decisions = [(a.tool, a.decision) for a in repo.list_approvals(session, user_id=user)]
    assert ("schedule_post", "approved") in decisions
    state = await studio.graph.aget_state({"configurable": {"thread_id": thread}})
    planners = {
        m.response_metadata.get("planner")
        for m in state.values["messages"]
        if isinstance(m, AIMessage) and m.tool_calls
    }
    assert planners == {"action"}
