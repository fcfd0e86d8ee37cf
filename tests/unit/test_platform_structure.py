"""Per-platform structure: YouTube and Pinterest drafts carry the title those platforms show above the text,
and every surface (the draft view, the web card, Slack's preview line) shows it."""

from __future__ import annotations

from agent.core.db import session_scope
from agent.runtime.studio import Studio
from agent.services.views.drafts import get_draft_view
from tests.tool_support import make_user, run_tool
from tools.writing import write_caption
from ui.slack.blocks import draft_summary
from ui.web.views import draft_card_content


async def test_youtube_and_pinterest_drafts_have_a_title_within_the_platforms_limit(studio: Studio) -> None:
    uid = make_user(studio, "yt@example.com")
    for platform in ("youtube", "pinterest"):
        _, view = run_tool(
            studio, uid, write_caption, brief="a video about our sourdough workshop", platform=platform
        )
        assert view["title"] and len(view["title"]) <= 100
        assert "#" not in view["title"] and "sourdough workshop" in view["title"].lower()
        with session_scope(studio.services.engine) as session:
            card = get_draft_view(session, user_id=uid, draft_id=view["id"])
        assert f"**Title:** {card.title}" in draft_card_content(card)
        assert card.title in draft_summary(card)


async def test_other_platforms_have_no_title(studio: Studio) -> None:
    uid = make_user(studio, "ig@example.com")
    _, view = run_tool(
        studio, uid, write_caption, brief="a post about our sourdough workshop", platform="instagram"
    )
    assert view["title"] is None
