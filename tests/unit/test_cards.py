"""Draft cards: counts by the platform's rule, score and suggestions from the scorer, owner only; the
best-time slot a card offers; the agent's reply without the drafts the cards show."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.content.optimize.scorer import score_post
from agent.content.optimize.timing import best_time
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import NotFound
from agent.services.views.drafts import (
    best_slot,
    draft_views,
    get_draft_view,
    regenerate_request,
    strip_draft_blocks,
)
from prompts import render
from prompts.counting import count
from ui.web.views import draft_card_actions, draft_card_content


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
    assert card.suggestions == expected.suggestions[:3] and len(card.suggestions) >= 2
    content = draft_card_content(card)
    assert f"X · draft #{draft.id}" in content and f"{card.length} / 280" in content
    assert "#oatlatte" in content and expected.suggestions[0] in content
    ops = [a.payload["op"] for a in draft_card_actions(card)]
    assert ops == ["approve", "edit", "regenerate", "variants", "improve", "schedule", "publish"]
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
