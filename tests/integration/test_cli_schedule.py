"""`studio ask` scheduling, run as real processes: a refusal is an error of the command (exit 1 and
``{"error": …}``, nothing left waiting), the account a request names is the one used, several accounts for a
platform make the studio ask which, the approval question names the destination and the local time, and a
draft that is already scheduled is not scheduled again without saying so (issue 14, items 5 and 6)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_cli import studio

pytestmark = pytest.mark.integration

OWNER = "owner@studio.local"  # whose studio `studio ask` is without --user
LOOPBACK = {"STUDIO_URL_ALLOW_LOOPBACK": "true"}


def ask(data_dir: Path, *args: str, code: int = 0) -> dict[str, Any]:
    proc = studio(data_dir, "ask", "--json", *args)
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    out: dict[str, Any] = json.loads(proc.stdout)
    return out


def first_draft(data_dir: Path, platform: str = "instagram") -> int:
    out = ask(data_dir, "--platform", platform, "write a caption about our oat latte")
    draft_id: int = out["drafts"][0]["id"]
    return draft_id


def connect(data_dir: Path, platform: str, handle: str, url: str) -> None:
    add = ["account", "add", OWNER, "--platform", platform, "--handle", handle, "--url", url]
    proc = studio(data_dir, *add, "--secret-stdin", stdin="token-123\n", **LOOPBACK)
    assert proc.returncode == 0, proc.stderr


def scheduled(data_dir: Path) -> list[tuple[int, int, int | None, str]]:
    """(post id, draft id, account id, state) of every post, straight from the database."""
    with sqlite3.connect(data_dir / "studio.db") as db:
        rows = db.execute("SELECT id, draft_id, account_id, state FROM scheduled_post ORDER BY id").fetchall()
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def tomorrow_9am() -> str:
    day = datetime.now(UTC) + timedelta(days=1)
    return f"{day:%a} {day.day} {day:%b}, 09:00 UTC"


def test_a_schedule_for_yesterday_is_an_error_and_leaves_nothing_waiting(data_dir: Path) -> None:
    draft_id = first_draft(data_dir)
    out = ask(data_dir, f"schedule draft #{draft_id} for yesterday", code=1)
    assert out["error"] == "'yesterday' is in the past; I can only schedule ahead (e.g. “tomorrow 9am”)."
    assert out["approval"] is None and out["tools"] == []
    late = ask(data_dir, "--thread", out["thread_id"], "--approve", code=1)
    assert late == {"error": "There is nothing waiting for your approval in this conversation."}
    assert scheduled(data_dir) == []

    past = ask(data_dir, f"schedule draft #{draft_id} for 2020-01-01 10:00", code=1)
    assert "Wed 1 Jan 2020, 10:00 UTC, which has passed" in past["error"]
    unknown = ask(data_dir, "schedule draft #99 for tomorrow 9am", code=1)
    assert unknown["error"] == "No draft #99." and unknown["approval"] is None
    plain = studio(data_dir, "ask", f"schedule draft #{draft_id} for yesterday")
    assert plain.returncode == 1 and "in the past" in plain.stderr


def test_via_hook1_goes_to_the_webhook_account_named_hook1(data_dir: Path) -> None:
    draft_id = first_draft(data_dir)
    connect(data_dir, "webhook", "hook1", "http://127.0.0.1:9/hook")
    out = ask(data_dir, f"schedule draft #{draft_id} for tomorrow 9am via hook1")
    question = f"Schedule draft #{draft_id} (Instagram) for {tomorrow_9am()}, to your webhook account hook1?"
    assert out["reply"] == out["approval"]["question"] == question
    [action] = out["approval"]["actions"]
    assert action["destination"] == "webhook hook1" and action["when"] == "tomorrow 9am"
    done = ask(data_dir, "--thread", out["thread_id"], "--approve")
    assert done["tools"] == ["schedule_post"] and "error" not in done
    assert "will go to your webhook account hook1" in done["reply"]
    [(_, draft, account_id, state)] = scheduled(data_dir)
    assert (draft, account_id, state) == (draft_id, action["account_id"], "scheduled")
    assert account_id is not None


def test_two_mastodon_accounts_make_the_studio_ask_which(data_dir: Path) -> None:
    draft_id = first_draft(data_dir, "mastodon")
    connect(data_dir, "mastodon", "@cafe@one.example", "http://127.0.0.1:9")
    connect(data_dir, "mastodon", "@cafe@two.example", "http://127.0.0.1:9")
    out = ask(data_dir, f"schedule draft #{draft_id} for tomorrow 9am", code=1)
    assert out["error"].startswith("Which account should it go to? You have 2 Mastodon accounts")
    assert "@cafe@one.example" in out["error"] and "@cafe@two.example" in out["error"]
    assert out["approval"] is None and scheduled(data_dir) == []
    chosen = ask(data_dir, f"schedule draft #{draft_id} for tomorrow 9am via @cafe@two.example")
    assert chosen["reply"].endswith("to your Mastodon account @cafe@two.example?")


def test_a_draft_without_an_account_says_outbox_and_a_second_schedule_asks_first(data_dir: Path) -> None:
    draft_id = first_draft(data_dir)
    out = ask(data_dir, f"schedule draft #{draft_id} for tomorrow 9am")
    assert out["reply"] == (
        f"Schedule draft #{draft_id} (Instagram) for {tomorrow_9am()}, "
        "to the local outbox (no Instagram account is connected)?"
    )
    ask(data_dir, "--thread", out["thread_id"], "--approve")
    [(post_id, _, _, _)] = scheduled(data_dir)

    again = ask(data_dir, f"schedule draft #{draft_id} for tomorrow 5pm")
    assert again["reply"].startswith(
        f"Draft #{draft_id} is already scheduled for {tomorrow_9am()} (post #{post_id}, to the local outbox); "
        "schedule another copy for "
    )
    assert again["approval"]["actions"][0]["live_posts"][0]["id"] == post_id
    declined = ask(data_dir, "--thread", again["thread_id"], "--decline")
    assert "error" not in declined
    assert len(scheduled(data_dir)) == 1
