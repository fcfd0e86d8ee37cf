"""Block Kit builders and the /studio parser: pure functions, tested directly."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from agent.services.views.drafts import DraftView
from ui.slack import blocks
from ui.slack.commands import parse
from ui.slack.service import clean_text, command_thread_ts, graph_thread_id

DRAFT = DraftView(
    id=7,
    platform="instagram",
    platform_label="Instagram",
    kind="caption",
    text="Oat latte <launch> & more",
    hashtags=["oat"],
    length=2226,
    limit=2200,
    score=71.4,
    status="draft",
    writer="template",
)


def test_a_turn_with_drafts_has_the_reply_and_four_buttons_per_draft() -> None:
    msg = blocks.turn_message(
        reply="**Instagram**\nOat latte <launch> & more", drafts=[DRAFT], approval=None, thread_id="t-1"
    )

    assert msg["text"].startswith("**Instagram**")
    assert msg["blocks"][0]["text"]["text"] == "*Instagram*\nOat latte &lt;launch&gt; &amp; more"
    actions = [b for b in msg["blocks"] if b["type"] == "actions"]
    assert len(actions) == 1
    assert [e["action_id"] for e in actions[0]["elements"]] == list(blocks.DRAFT_ACTIONS)
    assert {blocks.read_value(e["value"])["d"] for e in actions[0]["elements"]} == {7}
    (summary,) = [b["elements"][0]["text"] for b in msg["blocks"] if b["type"] == "context"]
    assert summary == "*Draft #7* · Instagram · score 71/100 · 2,226 / 2,200 characters (over the limit)"


def test_the_preview_line_names_the_kind_and_a_status_other_than_draft() -> None:
    thread = DRAFT.model_copy(update={"kind": "thread", "status": "approved", "length": 226, "score": None})
    assert (
        blocks.draft_summary(thread) == "*Draft #7* · Instagram · thread · 226 / 2,200 characters · approved"
    )


def test_a_pending_approval_shows_approve_and_decline_only() -> None:
    approval = {
        "question": "May I do this: schedule_post(draft_id=7)?",
        "actions": [{"tool": "schedule_post"}],
    }
    msg = blocks.turn_message(reply="", drafts=[DRAFT], approval=approval, thread_id="t-1")

    (actions,) = [b for b in msg["blocks"] if b["type"] == "actions"]
    values = [blocks.read_value(e["value"]) for e in actions["elements"]]
    assert [e["action_id"] for e in actions["elements"]] == [blocks.ACTION_APPROVAL] * 2
    assert values == [{"t": "t-1", "a": True}, {"t": "t-1", "a": False}]
    assert msg["text"] == approval["question"]


def test_a_very_long_reply_is_split_and_stays_within_slacks_limits() -> None:
    reply = ("word " * 800 + "\n") * 20
    drafts = [DRAFT.model_copy(update={"id": i}) for i in range(1, 30)]
    msg = blocks.turn_message(reply=reply, drafts=drafts, approval=None, thread_id="t")

    assert len(msg["blocks"]) <= blocks.MAX_BLOCKS
    assert all(len(b["text"]["text"]) <= 3000 for b in msg["blocks"] if b["type"] == "section")
    assert len(msg["text"]) <= blocks.MAX_FALLBACK_CHARS
    assert sum(b["type"] == "actions" for b in msg["blocks"]) == blocks.MAX_DRAFT_PREVIEWS


@pytest.mark.parametrize(
    "value",
    [
        "",
        "nope",
        "[]",
        '{"t": 5}',
        '{"t": "x", "d": "3"}',
        '{"t": "x", "d": true}',
        '{"t": "' + "x" * 65 + '"}',
    ],
)
def test_foreign_button_values_are_refused(value: str) -> None:
    with pytest.raises(ValueError):
        blocks.read_value(value)


def test_schedule_modal_preselects_the_next_hour_in_the_users_timezone_and_reads_back() -> None:
    now = datetime(2026, 3, 8, 6, 20, tzinfo=UTC)  # 01:20 in New York, the night clocks spring forward
    view = blocks.schedule_modal(draft=DRAFT, tz="America/New_York", now=now, metadata={"t": "t", "d": 7})

    date_el = view["blocks"][1]["element"]
    time_el = view["blocks"][2]["element"]
    assert (date_el["initial_date"], time_el["initial_time"], time_el["timezone"]) == (
        "2026-03-08",
        "03:00",
        "America/New_York",
    )
    assert json.loads(view["private_metadata"])["tz"] == "America/New_York"
    state = {
        blocks.DATE_BLOCK: {blocks.DATE_INPUT: {"selected_date": "2026-03-08"}},
        blocks.TIME_BLOCK: {blocks.TIME_INPUT: {"selected_time": "02:30"}},
    }
    assert blocks.picked_time(state, "America/New_York") == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )  # gap → 03:30 EDT
    with pytest.raises(ValueError, match="Pick a day"):
        blocks.picked_time({blocks.DATE_BLOCK: {}}, "UTC")


def test_edit_modal_holds_the_draft_text() -> None:
    view = blocks.edit_modal(draft=DRAFT, metadata={"t": "t", "d": 7})
    element = view["blocks"][0]["element"]
    assert element["initial_value"] == DRAFT.text
    assert view["blocks"][0]["label"]["text"] == "Instagram text"
    assert (view["callback_id"], view["title"]["text"]) == (blocks.VIEW_EDIT, "Edit draft #7")
    with pytest.raises(ValueError):
        blocks.edit_modal(draft=DRAFT, metadata={"x": "y" * 4000})


@pytest.mark.parametrize(
    ("text", "name", "prompt"),
    [
        ("caption our oat latte", "caption", "write a caption about our oat latte"),
        ("hashtags  oat latte", "hashtags", "suggest hashtags for oat latte"),
        ("script morning routine at the cafe", "script", "write a reel script: morning routine at the cafe"),
        ("script", "script", ""),
        ("score Big news! Our latte is here.", "score", "score this: Big news! Our latte is here."),
        ("best-time", "best-time", "when is the best time to post"),
        ("best_time linkedin", "best-time", "when is the best time to post on linkedin"),
        ("schedule tomorrow 9am", "schedule", "schedule it for tomorrow 9am"),
        ("queue", "queue", "show my queue"),
        ("cancel #12", "cancel", "cancel post #12"),
        ("what should I post about our anniversary?", "ask", "what should I post about our anniversary?"),
    ],
)
def test_studio_subcommands_become_agent_requests(text: str, name: str, prompt: str) -> None:
    cmd = parse(text)
    assert (cmd.name, cmd.prompt, cmd.error) == (name, prompt, None)


@pytest.mark.parametrize(
    "text", ["caption", "hashtags", "score", "schedule", "cancel", "cancel twelve", "link"]
)
def test_missing_arguments_get_the_usage(text: str) -> None:
    cmd = parse(text)
    assert cmd.prompt is None and cmd.error is not None and cmd.error.startswith("Usage: /studio")


def test_help_and_link_are_answered_by_the_bot() -> None:
    assert parse("").name == parse("help").name == "help"
    assert (parse("link abcd-efgh").name, parse("link abcd-efgh").arg) == ("link", "abcd-efgh")
    assert "/studio caption" in blocks.help_message()["blocks"][0]["text"]["text"]
    assert parse("x" * 5000).error is not None


def test_thread_ids_are_stable_per_slack_thread_and_never_uuid4() -> None:
    a = graph_thread_id("T1", "C1", "1700000000.000100")
    assert a == graph_thread_id("T1", "C1", "1700000000.000100")
    assert a != graph_thread_id("T2", "C1", "1700000000.000100")
    assert a != graph_thread_id("T1", "C1", command_thread_ts("U1"))
    assert uuid.UUID(a).version == 5  # the web chat refuses to continue it


def test_mentions_and_link_markup_are_cleaned() -> None:
    assert (
        clean_text("<@UBOT> caption for <https://cafe.example|our site> &amp; more")
        == "caption for https://cafe.example & more"
    )
