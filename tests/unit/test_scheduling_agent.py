"""The agent schedules, publishes, lists, cancels and reschedules posts — behind the approval interrupt."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.timeparse import localize, zone
from agent.graph.planning.rules import Intent, classify
from agent.runtime.studio import Studio


def new_user(studio: Studio, tz: str = "America/New_York") -> str:
    with session_scope(studio.services.engine) as session:
        uid = repo.create_user(session, email="sched@example.com").id
        repo.update_brand_profile(session, user_id=uid, timezone=tz)
    return uid


def queue(studio: Studio, uid: str) -> list[Any]:
    with session_scope(studio.services.engine) as session:
        return sched.list_queue(session, user_id=uid)


def tomorrow_9am(tz: str) -> set[datetime]:
    now = datetime.now(UTC).astimezone(zone(tz))
    return {
        localize(
            datetime.combine(now.date() + timedelta(days=1), datetime.min.time().replace(hour=9)), zone(tz)
        ).at
    }


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("schedule this for tomorrow 9am", Intent.SCHEDULE),
        ("Schedule draft #12 for friday 10am", Intent.SCHEDULE),
        ("publish draft #4 now", Intent.PUBLISH_NOW),
        ("show my queue", Intent.QUEUE),
        ("cancel post #3", Intent.CANCEL_POST),
        ("reschedule post #5 to friday 10am", Intent.RESCHEDULE),
        ("write a post about our launch now", Intent.CAPTION),
    ],
)
def test_scheduling_intents(text: str, intent: Intent) -> None:
    assert classify(text) == intent


async def test_schedule_this_for_tomorrow_9am_asks_then_queues_at_the_right_instant(studio: Studio) -> None:
    uid = new_user(studio)
    first = await studio.run_turn(
        user_id=uid, thread_id="s1", text="write a tweet about our oat latte launch"
    )
    draft_id = first.drafts[0].id
    expected = tomorrow_9am("America/New_York")

    paused = await studio.run_turn(user_id=uid, thread_id="s1", text="schedule this for tomorrow 9am")
    assert paused.approval is not None
    [action] = paused.approval["actions"]
    assert action["tool"] == "schedule_post" and action["when"] == "tomorrow 9am"
    # what runs once approved is pinned: the instant the question names, and the outbox it names
    [at] = expected
    local = at.astimezone(zone("America/New_York"))
    assert action["args"] == {"draft_id": draft_id, "when": local.isoformat(), "account": "outbox"}
    assert paused.approval["question"] == (
        f"Schedule draft #{draft_id} (X) for {local:%a} {local.day} {local:%b}, 09:00 New York time, "
        "to the local outbox (no X account is connected)?"
    )
    assert queue(studio, uid) == []  # nothing happens before the user says yes

    done = await studio.run_turn(user_id=uid, thread_id="s1", resume={"approved": True})
    assert done.tools == ["schedule_post"]
    [post] = queue(studio, uid)
    assert post.state == "scheduled" and post.draft_id == draft_id
    assert post.run_at in expected
    assert post.timezone == "America/New_York"
    assert f"Post #{post.id}" in done.reply and "09:00" in done.reply
    assert f"post:{post.id}" in studio.services.timer.job_ids()  # the embedded timer is armed


async def test_declining_the_schedule_queues_nothing(studio: Studio) -> None:
    uid = new_user(studio)
    await studio.run_turn(user_id=uid, thread_id="s2", text="write a tweet about our oat latte launch")
    await studio.run_turn(user_id=uid, thread_id="s2", text="schedule this for tomorrow 9am")
    done = await studio.run_turn(user_id=uid, thread_id="s2", resume={"approved": False})
    assert done.tools == [] and "declined" in done.reply
    assert queue(studio, uid) == []


async def test_publish_now_writes_to_the_outbox(studio: Studio, settings: Any) -> None:
    uid = new_user(studio)
    first = await studio.run_turn(
        user_id=uid, thread_id="s3", text="write a tweet about our oat latte launch"
    )
    draft_id = first.drafts[0].id
    paused = await studio.run_turn(user_id=uid, thread_id="s3", text=f"publish draft #{draft_id} now")
    assert paused.approval["actions"][0]["tool"] == "publish_now"
    done = await studio.run_turn(user_id=uid, thread_id="s3", resume=True)
    assert "is published" in done.reply
    feed = settings.data_dir / "outbox" / uid / "feed.jsonl"
    [line] = feed.read_text().splitlines()
    assert json.loads(line)["text"] == first.drafts[0].text
    assert (settings.data_dir / "outbox" / uid / "feed.html").exists()


async def test_queue_cancel_and_reschedule_by_chat(studio: Studio) -> None:
    uid = new_user(studio, tz="Europe/Berlin")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(session, user_id=uid, platform="linkedin", text="Hiring!")
        post = sched.schedule_draft(
            session,
            user_id=uid,
            draft_id=draft.id,
            run_at=datetime.now(UTC) + timedelta(days=2),
            timezone="Europe/Berlin",
        )
    shown = await studio.run_turn(user_id=uid, thread_id="s4", text="show my queue")
    assert shown.tools == ["list_queue"] and f"#{post.id} linkedin · scheduled" in shown.reply

    moved = await studio.run_turn(
        user_id=uid, thread_id="s4", text=f"reschedule post #{post.id} to friday 10am"
    )
    assert moved.tools == ["reschedule_post"]
    [queued] = queue(studio, uid)
    local = queued.run_at.astimezone(zone("Europe/Berlin"))
    assert (local.strftime("%A %H:%M")) == "Friday 10:00"

    cancelled = await studio.run_turn(user_id=uid, thread_id="s4", text=f"cancel post #{post.id}")
    assert cancelled.tools == ["cancel_post"] and "cancelled" in cancelled.reply
    assert queue(studio, uid) == []
    again = await studio.run_turn(user_id=uid, thread_id="s4", text=f"cancel post #{post.id}")
    assert "cannot go from cancelled" in again.reply


async def test_another_users_post_cannot_be_cancelled(studio: Studio) -> None:
    owner = new_user(studio)
    with session_scope(studio.services.engine) as session:
        intruder = repo.create_user(session, email="intruder@example.com").id
        draft = repo.create_draft(session, user_id=owner, platform="x", text="Mine")
        post = sched.schedule_draft(
            session, user_id=owner, draft_id=draft.id, run_at=datetime.now(UTC) + timedelta(days=1)
        )
    result = await studio.run_turn(user_id=intruder, thread_id="s5", text=f"cancel post #{post.id}")
    assert f"No post #{post.id}" in result.reply
    assert [p.id for p in queue(studio, owner)] == [post.id]
