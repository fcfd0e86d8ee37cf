"""The Slack bot end to end: signed requests over real HTTP into the Bolt app (uvicorn on a free loopback
port), a real local fake of the Slack Web API, the real Studio (SQLite, rules planner, template writer)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest
from langchain_core.messages import HumanMessage
from slack_sdk.signature import SignatureVerifier
from sqlmodel import select

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.models import Approval, ChannelIdentity, Draft, Memory, ScheduledPost
from agent.core.settings import Settings, load_settings
from tests.fakes.slack_api import FakeSlackAPI
from ui.slack import blocks
from ui.slack.app import BotThread
from ui.slack.service import (
    APPROVED_WITH_BUTTON,
    EDITED_WITH_FORM,
    NOT_YOURS,
    command_thread_ts,
    graph_thread_id,
)

pytestmark = pytest.mark.integration

SECRET = "test-signing-secret-0123456789"
TOKEN = "xoxb-test-token"
TEAM = "T0TEST"
ALICE = "UALICE"


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(bot_token=TOKEN, team_id=TEAM) as api:
        yield api


def bot_settings(data_dir: Path, fake: FakeSlackAPI, **extra: Any) -> Settings:
    return load_settings(
        data_dir=data_dir,
        _env_file=None,
        slack_bot_token=TOKEN,
        slack_signing_secret=SECRET,
        slack_api_url=fake.api_url,
        slack_files_url=fake.files_url,
        scheduler="off",
        **extra,
    )


@pytest.fixture
def settings_(data_dir: Path, fake: FakeSlackAPI) -> Settings:
    return bot_settings(data_dir, fake)


@pytest.fixture
def bot(settings_: Settings) -> Iterator[BotThread]:
    with BotThread(settings_) as running:
        yield running


def signed_post(
    url: str, body: str, content_type: str, *, ts: int | None = None, secret: str = SECRET
) -> httpx.Response:
    stamp = str(int(time.time()) if ts is None else ts)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": str(SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)),
    }
    return httpx.post(url, content=body.encode(), headers=headers, timeout=60)


def command(
    bot: BotThread, text: str, *, response_url: str, user: str = ALICE, channel: str = "C0GENERAL", **kw: Any
) -> httpx.Response:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "studio-test",
            "channel_id": channel,
            "channel_name": "general",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/studio",
            "text": text,
            "api_app_id": "A0TEST",
            "response_url": response_url,
            "trigger_id": f"trig.{uuid.uuid4().hex[:8]}",
        }
    )
    return signed_post(bot.url, body, "application/x-www-form-urlencoded", **kw)


def event(bot: BotThread, ev: dict[str, Any], **kw: Any) -> httpx.Response:
    body = json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0TEST",
            "event": ev,
            "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10]}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT", "is_bot": True}],
        }
    )
    return signed_post(bot.url, body, "application/json", **kw)


def interaction(bot: BotThread, payload: dict[str, Any]) -> httpx.Response:
    return signed_post(
        bot.url, urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded"
    )


def click(
    bot: BotThread,
    action_id: str,
    value: str,
    *,
    channel: str,
    message_ts: str,
    thread_ts: str | None = None,
    user: str = ALICE,
) -> httpx.Response:
    return interaction(
        bot,
        {
            "type": "block_actions",
            "team": {"id": TEAM, "domain": "studio-test"},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "trigger_id": f"trig.{uuid.uuid4().hex[:8]}",
            "container": {
                "type": "message",
                "channel_id": channel,
                "message_ts": message_ts,
                "is_ephemeral": False,
            },
            "channel": {"id": channel},
            "message": {"ts": message_ts, "thread_ts": thread_ts or message_ts, "text": "…"},
            "response_url": "https://hooks.slack.com/actions/never-used",
            "actions": [{"action_id": action_id, "block_id": "b", "value": value, "type": "button"}],
        },
    )


def test_slash_caption_acks_at_once_then_posts_a_caption_with_hashtags(
    bot: BotThread, fake: FakeSlackAPI
) -> None:
    response = command(
        bot, "caption our new oat latte launch this friday", response_url=fake.response_url("cap")
    )

    assert response.status_code == 200
    ack = response.json()
    assert ack["response_type"] == "ephemeral"
    assert ack["text"].startswith("Working on it")
    posted = fake.wait_for("response_url")[0].args
    assert "oat latte" in posted["text"].lower()
    hashtags = [w for w in posted["text"].split() if w.startswith("#") and len(w) > 2]
    assert hashtags, posted["text"]
    buttons = [e["action_id"] for b in posted["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[:4] == list(blocks.DRAFT_ACTIONS)


def _draft_ids(message: dict[str, Any]) -> list[int]:
    return [
        blocks.read_value(e["value"])["d"]
        for b in message.get("blocks") or []
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == blocks.ACTION_APPROVE
    ]


def _engine(settings: Settings) -> Any:
    return make_engine(settings.sqlalchemy_url)


def _actions(bot: BotThread, thread_id: str) -> list[str]:
    """The UI actions in a graph thread's history (``Studio.run_action``), in order; typed words have none."""
    assert bot.bot is not None
    state = bot.run(bot.bot.studio.graph.aget_state({"configurable": {"thread_id": thread_id}}))
    return [
        str(m.additional_kwargs.get("action") or "")
        for m in state.values.get("messages", [])
        if isinstance(m, HumanMessage)
    ]


def _approvals(settings: Settings, draft_id: int) -> list[tuple[str, str, str]]:
    eng = _engine(settings)
    with session_scope(eng) as session:
        rows = session.exec(
            select(Approval).where(Approval.target == f"draft:{draft_id}").order_by(Approval.id)
        ).all()
        out = [(a.tool, a.decision, a.note) for a in rows]
    eng.dispose()
    return out


def _web_user(settings: Settings) -> str:
    eng = _engine(settings)
    with session_scope(eng) as session:
        user_id = repo.create_user(session, email="owner@cafe.example", password="s3cret-pass").id
        repo.update_brand_profile(session, user_id=user_id, timezone="Europe/Berlin")
    eng.dispose()
    return user_id


def test_linked_user_approves_and_schedules_from_slack_and_the_web_user_sees_the_post(
    bot: BotThread, fake: FakeSlackAPI, settings_: Settings
) -> None:
    web_user = _web_user(settings_)
    assert bot.bot is not None
    studio = bot.bot.studio
    web = bot.run(
        studio.run_turn(user_id=web_user, thread_id=str(uuid.uuid4()), text="link my slack", channel="web")
    )
    code = next(
        w.strip(".`") for w in web.reply.split() if len(w.strip(".`")) == 9 and w.strip(".`")[4] == "-"
    )
    assert web.tools == ["link_slack"]

    linked = command(bot, f"link {code}", response_url=fake.response_url("link"))
    assert "Linked" in linked.json()["text"], linked.json()
    again = command(bot, f"link {code}", response_url=fake.response_url("link2"), user="UMALLORY")
    assert "not valid" in again.json()["text"]  # single use

    fake.user_tz[ALICE] = "America/New_York"
    dm, ts = "D0ALICE", "1700000100.000200"
    event(
        bot,
        {
            "type": "message",
            "channel_type": "im",
            "channel": dm,
            "user": ALICE,
            "ts": ts,
            "text": "write an instagram caption about our oat latte launch",
            "team": TEAM,
        },
    )
    first = fake.wait_for("chat.postMessage")[0].args
    assert first["channel"] == dm and first["thread_ts"] == ts
    (draft_id,) = _draft_ids(first)
    thread_id = graph_thread_id(TEAM, dm, ts)
    value = blocks.button_value(thread_id, draft_id=draft_id)

    click(bot, blocks.ACTION_APPROVE, value, channel=dm, message_ts="1700000100.000300", thread_ts=ts)
    approved = fake.wait_for("chat.postMessage", 2)[1].args
    assert f"Draft #{draft_id} is approved" in approved["text"]
    assert (approved["channel"], approved["thread_ts"]) == (dm, ts)
    assert not [
        b for b in approved["blocks"] if b.get("block_id") == "approval"
    ]  # the click was the approval
    # the button is an action (no words to parse), and the approval's record names the Slack button
    assert _actions(bot, thread_id) == ["", "approve_draft"]
    assert _approvals(settings_, draft_id) == [("approve_draft", "approved", APPROVED_WITH_BUTTON)]

    click(bot, blocks.ACTION_SCHEDULE, value, channel=dm, message_ts="1700000100.000300", thread_ts=ts)
    view = fake.wait_for("views.open")[0].args["view"]
    assert [c.args["user"] for c in fake.calls_to("users.info")] == [ALICE]
    time_picker = next(b for b in view["blocks"] if b.get("block_id") == blocks.TIME_BLOCK)["element"]
    assert time_picker["timezone"] == "America/New_York"
    day = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 86400))
    view["state"] = {
        "values": {
            blocks.DATE_BLOCK: {blocks.DATE_INPUT: {"type": "datepicker", "selected_date": day}},
            blocks.TIME_BLOCK: {blocks.TIME_INPUT: {"type": "timepicker", "selected_time": "10:30"}},
        }
    }
    submitted = interaction(
        bot,
        {
            "type": "view_submission",
            "team": {"id": TEAM},
            "user": {"id": ALICE, "team_id": TEAM},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "trigger_id": "t",
            "view": {**view, "id": "V1"},
        },
    )
    assert submitted.status_code == 200
    done = fake.wait_for("chat.postMessage", 3)[2].args
    assert (done["channel"], done["thread_ts"]) == (dm, ts)
    assert "will go to" in done["text"], done["text"]  # the scheduling tool's own words, not the help text
    assert _actions(bot, thread_id) == ["", "approve_draft", "schedule_post"]
    assert [a[:2] for a in _approvals(settings_, draft_id)] == [
        ("approve_draft", "approved"),
        ("schedule_post", "approved"),
    ]

    expected = datetime.fromisoformat(f"{day}T10:30").replace(tzinfo=ZoneInfo("America/New_York"))
    eng = _engine(settings_)
    with session_scope(eng) as session:
        posts = list(session.exec(select(ScheduledPost).where(ScheduledPost.user_id == web_user)))
        assert [(p.draft_id, p.state) for p in posts] == [(draft_id, "scheduled")]
        assert posts[0].run_at == expected
        assert repo.get_draft(session, user_id=web_user, draft_id=draft_id).status == "scheduled"
        ident = session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "slack")).one()
        assert (ident.external_id, ident.user_id) == (f"{TEAM}:{ALICE}", web_user)
    eng.dispose()


def test_edit_modal_saves_the_text_and_approves_it_as_actions_then_regenerate_writes_afresh(
    bot: BotThread, fake: FakeSlackAPI, settings_: Settings
) -> None:
    command(bot, "caption spring menu tasting night", response_url=fake.response_url("c"))
    posted = fake.wait_for("response_url")[0].args
    (draft_id,) = _draft_ids(posted)
    thread_id = graph_thread_id(TEAM, "C0GENERAL", command_thread_ts(ALICE))

    def button(action_id: str, key: str, user: str = ALICE) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": user, "team_id": TEAM},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "trigger_id": f"trig.{key}",
            "container": {
                "type": "message",
                "channel_id": "C0GENERAL",
                "message_ts": "1.2",
                "is_ephemeral": True,
            },
            "response_url": fake.response_url(key),
            "actions": [
                {
                    "action_id": action_id,
                    "block_id": "b",
                    "type": "button",
                    "value": blocks.button_value(thread_id, draft_id=draft_id),
                }
            ],
        }

    # someone else's click on Alice's draft: the thread is not theirs, nothing is approved
    interaction(bot, button(blocks.ACTION_APPROVE, "mallory", user="UMALLORY"))
    refused_click = fake.wait_for("response_url", 2)[1]
    assert refused_click.path.endswith("/mallory") and refused_click.args["text"] == NOT_YOURS
    assert _approvals(settings_, draft_id) == []

    interaction(bot, button(blocks.ACTION_EDIT, "edit"))
    view = fake.wait_for("views.open")[0].args["view"]
    assert view["callback_id"] == blocks.VIEW_EDIT
    original = view["blocks"][0]["element"]["initial_value"]
    edited = "Spring menu tasting night, Thursday 7pm. Book a seat."  # no emoji, no exclamation mark
    view["state"] = {
        "values": {blocks.EDIT_BLOCK: {blocks.EDIT_INPUT: {"type": "plain_text_input", "value": edited}}}
    }
    empty = json.loads(json.dumps(view))
    empty["state"]["values"][blocks.EDIT_BLOCK][blocks.EDIT_INPUT]["value"] = "  "
    base = {
        "type": "view_submission",
        "team": {"id": TEAM},
        "user": {"id": ALICE, "team_id": TEAM},
        "api_app_id": "A0TEST",
        "token": "legacy",
        "trigger_id": "t",
    }

    refused = interaction(bot, {**base, "view": {**empty, "id": "V2"}})
    assert refused.json() == {
        "response_action": "errors",
        "errors": {blocks.EDIT_BLOCK: "The text is empty."},
    }
    # the text as it was: edit_draft refuses it, and the flow ends there (nothing approved)
    unchanged = json.loads(json.dumps(view))
    unchanged["state"]["values"][blocks.EDIT_BLOCK][blocks.EDIT_INPUT]["value"] = original
    interaction(bot, {**base, "view": {**unchanged, "id": "V2"}})
    same = fake.wait_for("response_url", 3)[2]
    assert same.path.endswith("/edit") and "nothing to save" in same.args["text"], same.args["text"]
    assert _approvals(settings_, draft_id) == []

    interaction(bot, {**base, "view": {**view, "id": "V2"}})
    answer = fake.wait_for("response_url", 4)[3]
    assert answer.path.endswith("/edit")
    assert f"Draft #{draft_id} is approved" in answer.args["text"]
    assert "Learned from your edit" in answer.args["text"]  # the draft's note, from the save
    # the save went through the agent as actions, recorded like any other: the edit, then the approval
    assert _actions(bot, thread_id)[-3:] == ["edit_draft", "edit_draft", "approve_draft"]
    assert _approvals(settings_, draft_id) == [("approve_draft", "approved", EDITED_WITH_FORM)]
    eng = _engine(settings_)
    with session_scope(eng) as session:
        draft = session.get(Draft, draft_id)
        assert draft is not None and (draft.text, draft.status) == (edited, "approved")
        assert draft.meta["versions"][0]["writer"] != "user"  # the generated version is kept
        learned = session.exec(select(Memory).where(Memory.user_id == draft.user_id)).all()
        assert any(m.kind == "rule" and m.source == "edit" for m in learned)  # the edit taught a voice rule
        platform = draft.platform
    eng.dispose()

    # Regenerate: a fresh draft of the same post for the same platform (write_caption, as an action)
    interaction(bot, button(blocks.ACTION_REGENERATE, "regen"))
    fresh = fake.wait_for("response_url", 5)[4]
    assert fresh.path.endswith("/regen")
    (new_id,) = _draft_ids(fresh.args)
    assert new_id != draft_id
    assert _actions(bot, thread_id)[-1] == "write_caption"
    eng = _engine(settings_)
    with session_scope(eng) as session:
        new = session.get(Draft, new_id)
        assert new is not None and new.platform == platform and "spring menu" in new.text.lower()
    eng.dispose()


@pytest.mark.parametrize("problem", ["bad signature", "stale timestamp"])
def test_unsigned_or_stale_requests_get_401_and_nothing_happens(
    bot: BotThread, fake: FakeSlackAPI, settings_: Settings, problem: str
) -> None:
    kw: dict[str, Any] = (
        {"secret": "not-the-secret"} if problem == "bad signature" else {"ts": int(time.time()) - 6 * 60}
    )

    slash = command(bot, "caption anything at all", response_url=fake.response_url(), **kw)
    ev = event(
        bot,
        {
            "type": "message",
            "channel_type": "im",
            "channel": "D1",
            "user": ALICE,
            "ts": "1.1",
            "text": "hi there friend",
        },
        **kw,
    )

    assert (slash.status_code, ev.status_code) == (401, 401)
    bot.drain()
    assert fake.calls == []
    eng = _engine(settings_)
    with session_scope(eng) as session:
        assert session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "slack")).all() == []
    eng.dispose()


def test_oauth_mode_serves_the_install_page_and_needs_no_bot_token(
    data_dir: Path, fake: FakeSlackAPI
) -> None:
    settings = load_settings(
        data_dir=data_dir,
        _env_file=None,
        slack_signing_secret=SECRET,
        slack_client_id="111.222",
        slack_client_secret="client-secret",
        slack_api_url=fake.api_url,
        slack_files_url=fake.files_url,
        scheduler="off",
    )

    with BotThread(settings) as running:
        page = httpx.get(running.url.replace("/slack/events", "/slack/install"), timeout=30)
        unknown_team = command(running, "queue", response_url=fake.response_url())
        running.drain()

    assert page.status_code == 200
    assert "client_id=111.222" in page.text and "state=" in page.text and "commands" in page.text
    assert unknown_team.status_code == 200
    # a workspace with no install is told to reinstall (by Bolt); the studio does no work for it
    (told,) = fake.calls_to("response_url")
    assert "reinstall" in told.args["text"]
    eng = _engine(settings)
    with session_scope(eng) as session:
        assert session.exec(select(ChannelIdentity).where(ChannelIdentity.channel == "slack")).all() == []
    eng.dispose()


def test_slash_schedule_stops_for_approval_and_the_approve_button_resumes_it(
    bot: BotThread, fake: FakeSlackAPI, settings_: Settings
) -> None:
    command(bot, "caption harvest festival weekend", response_url=fake.response_url("c1"))
    fake.wait_for("response_url")
    command(bot, "schedule tomorrow 9am", response_url=fake.response_url("c2"))
    asked = fake.wait_for("response_url", 2)[1].args
    (actions,) = [b for b in asked["blocks"] if b["type"] == "actions"]
    approve = next(e for e in actions["elements"] if blocks.read_value(e["value"]).get("a") is True)
    assert asked["text"].startswith("Schedule draft #")  # the question in words, not the tool call
    assert "09:00 UTC, to the local outbox" in asked["text"]

    interaction(
        bot,
        {
            "type": "block_actions",
            "team": {"id": TEAM},
            "user": {"id": ALICE, "team_id": TEAM},
            "api_app_id": "A0TEST",
            "token": "legacy",
            "trigger_id": "t",
            "container": {
                "type": "message",
                "channel_id": "C0GENERAL",
                "message_ts": "9.9",
                "is_ephemeral": True,
            },
            "response_url": fake.response_url("approve"),
            "actions": [
                {
                    "action_id": blocks.ACTION_APPROVAL,
                    "block_id": "approval",
                    "type": "button",
                    "value": approve["value"],
                }
            ],
        },
    )
    replaced, answered = fake.wait_for("response_url", 4)[2:4]

    assert replaced.args["replace_original"] is True and "Approved by <@UALICE>" in replaced.args["text"]
    assert "will go to" in answered.args["text"]
    eng = _engine(settings_)
    with session_scope(eng) as session:
        assert [p.state for p in session.exec(select(ScheduledPost))] == ["scheduled"]
    eng.dispose()
