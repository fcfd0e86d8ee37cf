"""Checks before asking (issue 14, items 5 and 6): a schedule that cannot be done is refused at once, with no
approval question; a request naming an account uses it; several accounts for a platform make the studio
ask which; the question names the draft, the destination and the resolved local time; a draft that is
already scheduled is not scheduled again without saying so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.errors import InputError, NotFound
from agent.core.timeparse import zone
from agent.graph.planning.rules import split_account
from agent.runtime.studio import Studio
from agent.services.context import Context
from tools.approval import propose
from ui.slack import blocks

TZ = "America/New_York"


def new_user(studio: Studio, email: str = "checks@example.com", tz: str = TZ) -> str:
    with session_scope(studio.services.engine) as session:
        uid = repo.create_user(session, email=email).id
        repo.update_brand_profile(session, user_id=uid, timezone=tz)
    return uid


def new_draft(studio: Studio, uid: str, platform: str = "instagram", text: str = "Oat latte is back!") -> int:
    with session_scope(studio.services.engine) as session:
        draft_id = repo.create_draft(session, user_id=uid, platform=platform, text=text).id
    assert draft_id is not None
    return draft_id


def add_account(studio: Studio, uid: str, platform: str, handle: str) -> int:
    with session_scope(studio.services.engine) as session:
        account = repo.add_platform_account(
            session,
            user_id=uid,
            platform=platform,
            handle=handle,
            credentials={"url": "https://hooks.example.com/x", "secret": "s"},
            box=studio.services.box,
        )
        assert account.id is not None
        return account.id


def posts(studio: Studio, uid: str) -> list[Any]:
    with session_scope(studio.services.engine) as session:
        return sched.list_queue(session, user_id=uid)


def tomorrow_9am_label() -> tuple[datetime, str]:
    local = datetime.now(UTC).astimezone(zone(TZ)) + timedelta(days=1)
    at = local.replace(hour=9, minute=0, second=0, microsecond=0)
    return at, f"{at:%a} {at.day} {at:%b}, 09:00 New York time"


async def ask(studio: Studio, uid: str, thread: str, text: str) -> Any:
    result = await studio.run_turn(user_id=uid, thread_id=thread, text=text)
    pending = await studio.result(thread_id=thread, user_id=uid)
    return result, pending.approval


# -- refused at once ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "said"),
    [
        ("yesterday", "'yesterday' is in the past"),
        ("2020-01-01 10:00", "Wed 1 Jan 2020, 10:00 New York time, which has passed"),
        ("last friday", "is in the past"),
        ("someday soon", "can't read"),
    ],
)
async def test_an_impossible_time_is_refused_without_a_question(studio: Studio, when: str, said: str) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    result, pending = await ask(studio, uid, "t1", f"schedule draft #{draft_id} for {when}")
    assert result.approval is None and pending is None  # nothing is waiting for an answer
    assert said in result.reply
    assert posts(studio, uid) == []
    with pytest.raises(InputError, match="nothing waiting"):
        await studio.run_turn(user_id=uid, thread_id="t1", resume={"approved": True})


async def test_an_unknown_or_anothers_draft_is_refused_without_a_question(studio: Studio) -> None:
    uid = new_user(studio)
    other = new_user(studio, "other@example.com")
    theirs = new_draft(studio, other)
    for n, draft_id in enumerate((theirs, 999)):
        result, pending = await ask(studio, uid, f"t2-{n}", f"schedule draft #{draft_id} for tomorrow 9am")
        assert pending is None and f"No draft #{draft_id}." in result.reply
    result, pending = await ask(studio, uid, "t2-3", f"publish draft #{theirs} now")
    assert pending is None and f"No draft #{theirs}." in result.reply
    assert posts(studio, uid) == [] and posts(studio, other) == []


async def test_an_unknown_account_is_refused_without_a_question(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    add_account(studio, uid, "webhook", "hook1")
    result, pending = await ask(studio, uid, "t3", f"schedule draft #{draft_id} for tomorrow 9am via hook9")
    assert pending is None
    assert "No connected account 'hook9'. Yours: webhook hook1 (#" in result.reply
    result, pending = await ask(studio, uid, "t3b", f"schedule draft #{draft_id} tomorrow 9am on my Mastodon")
    assert pending is None and "You have no connected Mastodon account" in result.reply


# -- the account asked for --------------------------------------------------------------------------------


async def test_via_hook1_goes_to_that_webhook_account(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    hook1 = add_account(studio, uid, "webhook", "hook1")
    at, label = tomorrow_9am_label()
    result, pending = await ask(studio, uid, "t4", f"schedule draft #{draft_id} for tomorrow 9am via hook1")
    assert result.reply == (
        f"Schedule draft #{draft_id} (Instagram) for {label}, to your webhook account hook1?"
    )
    [action] = pending["actions"]
    assert action["args"] == {"draft_id": draft_id, "when": at.isoformat(), "account": f"#{hook1}"}
    assert action["account_id"] == hook1 and action["destination"] == "webhook hook1"
    assert action["local_time"] == label and action["when"] == "tomorrow 9am"
    assert action["run_at"] == at.astimezone(UTC).isoformat() and action["timezone"] == TZ
    assert action["preview"] == "Oat latte is back!"

    done = await studio.run_turn(user_id=uid, thread_id="t4", resume={"approved": True})
    [post] = posts(studio, uid)
    assert post.account_id == hook1 and post.run_at == at
    assert f"will go to your webhook account hook1 on {label}." in done.reply


@pytest.mark.parametrize(
    "phrase", ["via webhook", "through my webhook", "using account #{id}", "with the hook1 account"]
)
async def test_other_ways_to_name_the_account(studio: Studio, phrase: str) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    hook1 = add_account(studio, uid, "webhook", "hook1")
    named = phrase.format(id=hook1)
    _, pending = await ask(studio, uid, "t5", f"schedule draft #{draft_id} {named} for friday 10am")
    assert pending["actions"][0]["account_id"] == hook1


async def test_two_accounts_for_the_platform_make_the_studio_ask_which(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid, platform="mastodon")
    add_account(studio, uid, "mastodon", "@cafe@mastodon.social")
    second = add_account(studio, uid, "mastodon", "@cafe@fosstodon.org")
    result, pending = await ask(studio, uid, "t6", f"schedule draft #{draft_id} for tomorrow 9am")
    assert pending is None and posts(studio, uid) == []
    assert result.reply.startswith("Which account should it go to? You have 2 Mastodon accounts:")
    assert "“via @cafe@mastodon.social”" in result.reply and "“via @cafe@fosstodon.org”" in result.reply
    # "on my Mastodon" fits both as well
    result, pending = await ask(
        studio, uid, "t6b", f"schedule draft #{draft_id} for tomorrow 9am on my Mastodon"
    )
    assert pending is None and "Which account" in result.reply
    # naming one settles it
    _, pending = await ask(
        studio, uid, "t6c", f"schedule draft #{draft_id} for tomorrow 9am via @cafe@fosstodon.org"
    )
    assert pending["actions"][0]["account_id"] == second


async def test_a_draft_with_no_account_for_its_platform_says_it_goes_to_the_outbox(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    add_account(studio, uid, "webhook", "hook1")  # another kind of account is not chosen silently
    _, label = tomorrow_9am_label()
    result, pending = await ask(studio, uid, "t7", f"schedule draft #{draft_id} for tomorrow 9am")
    assert result.reply == (
        f"Schedule draft #{draft_id} (Instagram) for {label}, "
        "to the local outbox (no Instagram account is connected)?"
    )
    assert pending["actions"][0]["args"]["account"] == "outbox"
    await studio.run_turn(user_id=uid, thread_id="t7", resume={"approved": True})
    [post] = posts(studio, uid)
    assert post.account_id is None


async def test_the_one_account_of_the_drafts_platform_is_the_default(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid, platform="bluesky")
    account = add_account(studio, uid, "bluesky", "cafe.bsky.social")
    result, pending = await ask(studio, uid, "t8", f"publish draft #{draft_id} now")
    assert (
        result.reply == f"Publish draft #{draft_id} (Bluesky) now, to your Bluesky account cafe.bsky.social?"
    )
    assert pending["actions"][0]["args"] == {"draft_id": draft_id, "account": f"#{account}"}


# -- a draft that is already scheduled -----------------------------------------------------------------


async def test_scheduling_a_scheduled_draft_again_says_so_first(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    _, label = tomorrow_9am_label()
    await ask(studio, uid, "t9", f"schedule draft #{draft_id} for tomorrow 9am")
    await studio.run_turn(user_id=uid, thread_id="t9", resume={"approved": True})
    [first] = posts(studio, uid)

    result, pending = await ask(studio, uid, "t9b", f"schedule draft #{draft_id} for tomorrow 5pm")
    assert result.reply.startswith(
        f"Draft #{draft_id} is already scheduled for {label} (post #{first.id}, to the local outbox); "
        "schedule another copy for "
    )
    assert pending["actions"][0]["live_posts"] == [
        {"id": first.id, "state": "scheduled", "local_time": label, "destination": "the local outbox"}
    ]
    declined = await studio.run_turn(user_id=uid, thread_id="t9b", resume={"approved": False})
    assert "declined" in declined.reply or "did not run" in declined.reply
    assert len(posts(studio, uid)) == 1

    result, _ = await ask(studio, uid, "t9c", f"publish draft #{draft_id} now")
    assert result.reply.startswith(f"Draft #{draft_id} is already scheduled for {label}")
    assert "publish another copy now, to the local outbox" in result.reply


async def test_the_approved_time_is_the_one_the_question_named(studio: Studio) -> None:
    """The call is pinned before it is asked: "in 2 hours" approved later still means the time shown."""
    uid = new_user(studio)
    draft_id = new_draft(studio, uid)
    _, pending = await ask(studio, uid, "t10", f"schedule draft #{draft_id} in 2 hours")
    [action] = pending["actions"]
    assert action["when"] == "in 2 hours" and action["args"]["when"] != "in 2 hours"
    await studio.run_turn(user_id=uid, thread_id="t10", resume={"approved": True})
    [post] = posts(studio, uid)
    assert post.run_at == datetime.fromisoformat(action["run_at"])


# -- the other questions ------------------------------------------------------------------------------------


def context(studio: Studio, uid: str) -> Context:
    return Context(services=studio.services, user_id=uid, thread_id="t")


async def test_reschedule_and_cancel_are_said_and_checked(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid, platform="linkedin")
    at, label = tomorrow_9am_label()
    with session_scope(studio.services.engine) as session:
        post = sched.schedule_draft(session, user_id=uid, draft_id=draft_id, run_at=at, timezone=TZ)
        post_id = post.id
    ctx = context(studio, uid)

    move = propose(
        ctx, {"name": "reschedule_post", "args": {"post_id": post_id, "when": "in 3 days"}, "id": "c1"}
    )
    assert move.sentence().startswith(f"Move post #{post_id} (draft #{draft_id}, LinkedIn) from {label} to ")
    assert move.sentence().endswith(", to the local outbox?")
    cancel = propose(ctx, {"name": "cancel_post", "args": {"post_id": post_id}, "id": "c2"})
    assert cancel.sentence() == (
        f"Cancel post #{post_id} (draft #{draft_id}, LinkedIn), due {label}, which would go to the local outbox?"
    )
    with pytest.raises(InputError, match="in the past"):
        propose(
            ctx, {"name": "reschedule_post", "args": {"post_id": post_id, "when": "yesterday"}, "id": "c3"}
        )
    with pytest.raises(NotFound):
        propose(ctx, {"name": "cancel_post", "args": {"post_id": 999}, "id": "c4"})
    with session_scope(studio.services.engine) as session:
        sched.cancel_post(session, user_id=uid, post_id=post_id)
    with pytest.raises(InputError, match="already cancelled"):
        propose(ctx, {"name": "cancel_post", "args": {"post_id": post_id}, "id": "c5"})


async def test_approving_a_draft_is_said_in_words(studio: Studio) -> None:
    uid = new_user(studio)
    draft_id = new_draft(studio, uid, platform="x")
    result, pending = await ask(studio, uid, "t11", f"approve draft #{draft_id}")
    assert result.reply == f"Approve draft #{draft_id} (X) for publishing?"
    assert pending["actions"][0]["args"] == {"draft_id": draft_id}


# -- pieces ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rest", "account"),
    [
        ("schedule draft #1 for tomorrow 9am via hook1", "schedule draft #1 for tomorrow 9am", "hook1"),
        ("schedule draft #1 via webhook for friday 10am", "schedule draft #1 for friday 10am", "webhook"),
        ("schedule draft #1 on my Mastodon tomorrow 9am", "schedule draft #1 tomorrow 9am", "Mastodon"),
        ("publish draft #3 now via hook1", "publish draft #3 now", "hook1"),
        (
            "schedule draft #2 to @me@mastodon.social at 5pm",
            "schedule draft #2 at 5pm",
            "@me@mastodon.social",
        ),
        ("queue up draft #4 for monday 9am through hook1.", "queue up draft #4 for monday 9am", "hook1"),
        ("schedule it for tomorrow 9am to the outbox", "schedule it for tomorrow 9am", "outbox"),
        ("schedule draft #1 using account #3 tomorrow", "schedule draft #1 tomorrow", "#3"),
        # a day, a duration or the draft's own platform is no account
        ("schedule draft #1 on friday 9am", "schedule draft #1 on friday 9am", None),
        ("schedule draft #1 in 2 hours", "schedule draft #1 in 2 hours", None),
        ("schedule draft #1 on instagram tomorrow", "schedule draft #1 on instagram tomorrow", None),
    ],
)
def test_the_account_phrase_is_read_out_of_the_request(text: str, rest: str, account: str | None) -> None:
    assert split_account(text) == (rest, account)


def test_local_times_read_as_people_say_them() -> None:
    at = datetime(2026, 12, 8, 14, 0, tzinfo=UTC)
    now = datetime(2026, 12, 7, tzinfo=UTC)
    assert sched.local_label(at, TZ, now=now) == "Tue 8 Dec, 09:00 New York time"
    assert sched.local_label(at, "UTC", now=now) == "Tue 8 Dec, 14:00 UTC"
    assert sched.local_label(at, "Europe/Berlin", now=now - timedelta(days=400)) == (
        "Tue 8 Dec 2026, 15:00 Berlin time"
    )
    assert sched.zone_label("America/Argentina/Buenos_Aires") == "Buenos Aires time"


def test_slack_shows_the_question_and_the_drafts_start() -> None:
    approval = {
        "type": "approval",
        "question": "Schedule draft #7 (Instagram) for Tue 8 Dec, 09:00 New York time, to the local outbox?",
        "actions": [
            {"tool": "schedule_post", "args": {}, "id": "c", "summary": "…", "preview": "Oat latte <3"}
        ],
    }
    msg = blocks.turn_message(reply=approval["question"], drafts=[], approval=approval, thread_id="t")
    texts = [b["elements"][0]["text"] for b in msg["blocks"] if b["type"] == "context"]
    assert texts == ["“Oat latte &lt;3”"]
    assert msg["blocks"][0]["text"]["text"].endswith("to the local outbox?")
