"""The `studio` command line, run as a real process (the contract scripts depend on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

STUDIO = str(Path(sys.executable).with_name("studio"))


def studio(
    data_dir: Path, *args: str, stdin: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    environ.update(
        {"STUDIO_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1", "STUDIO_LOCAL_MODEL": "off", **env}
    )
    return subprocess.run(
        [STUDIO, *args], input=stdin, capture_output=True, text=True, env=environ, timeout=120, check=False
    )


def ask_json(data_dir: Path, *args: str, **env: str) -> dict[str, Any]:
    proc = studio(data_dir, "ask", "--json", *args, **env)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_ask_json_prints_a_caption_with_hashtags(data_dir: Path) -> None:
    out = ask_json(data_dir, "write an Instagram caption about our new oat latte")
    assert set(out) >= {"reply", "tools", "drafts", "assets", "backend"}
    assert out["tools"] == ["write_caption"]  # the caption comes with its hashtags: one writer call
    assert out["backend"] == {"planner": "rules", "writer": "template"}
    [draft] = out["drafts"]
    assert draft["platform"] == "instagram"
    assert "oat latte" in draft["text"].lower()
    assert draft["hashtags"] and len(draft["hashtags"]) <= 5
    assert draft["length"] <= draft["limit"] == 2200


def test_ask_one_draft_per_requested_platform(data_dir: Path) -> None:
    out = ask_json(data_dir, "--platform", "x", "--platform", "linkedin", "announce our oat latte launch")
    assert sorted(d["platform"] for d in out["drafts"]) == ["linkedin", "x"]
    assert all(d["length"] <= d["limit"] for d in out["drafts"])


def test_ask_approval_is_pending_then_answered(data_dir: Path) -> None:
    first = ask_json(data_dir, "write a LinkedIn post about our hiring drive")
    thread = first["thread_id"]
    pending = ask_json(data_dir, "--thread", thread, "approve it")
    assert pending["approval"]["actions"][0]["tool"] == "approve_draft"
    done = ask_json(data_dir, "--thread", thread, "--approve")
    assert done["approval"] is None and done["tools"] == ["approve_draft"]
    assert "approved" in done["reply"]


def test_ask_reads_a_text_file(data_dir: Path, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("Our bakery opens a second shop on Main Street this Saturday.")
    out = ask_json(data_dir, "--file", str(notes), "write a Facebook post about this")
    assert out["drafts"][0]["platform"] == "facebook"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--platform", "myspace", "write a post"], "myspace"),
        (["--file", "/nonexistent/file.txt", "write a post"], "no such file"),
    ],
)
def test_ask_bad_input_gives_a_clear_error(data_dir: Path, args: list[str], message: str) -> None:
    proc = studio(data_dir, "ask", "--json", *args)
    assert proc.returncode == 1
    assert message in json.loads(proc.stdout)["error"]


def test_binary_file_is_refused_clearly(data_dir: Path, tmp_path: Path) -> None:
    blob = tmp_path / "photo.jpg"
    blob.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4)
    proc = studio(data_dir, "ask", "--json", "--file", str(blob), "caption this")
    assert proc.returncode == 1
    assert "photo.jpg looks like a JPEG image but can't be read" in json.loads(proc.stdout)["error"]


def test_invalid_configuration_names_the_setting(data_dir: Path) -> None:
    proc = studio(data_dir, "ask", "hello", STUDIO_PLANNER="smart")
    assert proc.returncode == 2
    assert "STUDIO_PLANNER" in proc.stderr


def test_user_add_and_db_upgrade(data_dir: Path) -> None:
    assert studio(data_dir, "db", "upgrade").returncode == 0
    added = studio(data_dir, "user", "add", "New@Example.com", "--password-stdin", stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    again = studio(data_dir, "user", "add", "new@example.com", "--password-stdin", stdin="correct horse\n")
    assert again.returncode == 1 and "already exists" in again.stderr
    listed = studio(data_dir, "user", "list")
    assert "new@example.com" in listed.stdout


def test_account_add_list_remove_keeps_the_token_out_of_sight(data_dir: Path) -> None:
    assert (
        studio(
            data_dir, "user", "add", "a@example.com", "--password-stdin", stdin="pw-long-enough\n"
        ).returncode
        == 0
    )
    add = [
        "account",
        "add",
        "a@example.com",
        "--platform",
        "mastodon",
        "--handle",
        "@a@social.example",
        "--url",
        "http://127.0.0.1:9",
        "--secret-stdin",
    ]
    refused = studio(data_dir, *add, stdin="tok-secret-123\n")
    assert refused.returncode != 0 and "loopback" in refused.stderr + refused.stdout
    added = studio(data_dir, *add, stdin="tok-secret-123\n", STUDIO_URL_ALLOW_LOOPBACK="true")
    assert added.returncode == 0, added.stderr
    assert "Connected mastodon account @a@social.example (#1)" in added.stdout
    again = studio(data_dir, *add, stdin="tok-secret-123\n", STUDIO_URL_ALLOW_LOOPBACK="true")
    assert again.returncode != 0 and "already connected" in again.stderr + again.stdout
    listed = studio(data_dir, "account", "list", "a@example.com")
    assert "#1 mastodon @a@social.example http://127.0.0.1:9" in listed.stdout
    assert "tok-secret-123" not in listed.stdout
    assert b"tok-secret-123" not in (data_dir / "studio.db").read_bytes()  # encrypted at rest
    assert studio(data_dir, "account", "remove", "a@example.com", "1").returncode == 0
    assert "#1" not in studio(data_dir, "account", "list", "a@example.com").stdout


def test_another_users_thread_is_not_found_from_the_command_line(data_dir: Path) -> None:
    """`studio ask --thread T --approve` read thread T whoever owned it (its drafts, its pending approval)."""
    alice = ("--user", "alice@example.com")
    draft = ask_json(data_dir, "write an Instagram caption about our oat latte", *alice)["drafts"][0]
    pending = ask_json(data_dir, f"schedule draft #{draft['id']} for tomorrow 9am", *alice)
    assert pending["approval"] is not None
    proc = studio(
        data_dir, "ask", "--json", "--thread", pending["thread_id"], "--approve", "--user", "bob@example.com"
    )
    assert proc.returncode == 1 and json.loads(proc.stdout) == {"error": "No such conversation."}
    done = ask_json(data_dir, "--thread", pending["thread_id"], "--approve", *alice)
    assert done["tools"] == ["schedule_post"]  # still Alice's to approve: Bob's attempt changed nothing
