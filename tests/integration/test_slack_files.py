"""Files shared with the Slack bot: a real voice note (espeak-ng + ffmpeg) in a DM is fetched through the
fake Slack Web API (files.info, then the bot-token download), ingested and transcribed, and the transcript
and a script come back in the thread; oversized, wrong-type and foreign-host files are refused, with nothing
stored. Also the per-user rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from agent.core.db import make_engine, session_scope
from agent.core.models import Asset, Draft
from agent.core.settings import Settings
from tests.fakes.slack_api import FakeSlackAPI
from tests.integration.media_fixtures import files_under, speak, voice_note
from tests.integration.test_slack_bot import ALICE, TEAM, TOKEN, bot_settings, command, event
from ui.slack.app import BotThread

pytestmark = pytest.mark.integration


@pytest.fixture
def fake() -> Iterator[FakeSlackAPI]:
    with FakeSlackAPI(bot_token=TOKEN, team_id=TEAM) as api:
        yield api


def _share(bot: BotThread, file_id: str, *, ts: str = "1700000200.000100", text: str = "") -> None:
    event(
        bot,
        {
            "type": "message",
            "subtype": "file_share",
            "channel_type": "im",
            "channel": "D0ALICE",
            "user": ALICE,
            "team": TEAM,
            "ts": ts,
            "text": text,
            "files": [{"id": file_id}],
        },
    )


def _stored(settings: Settings) -> tuple[list[Asset], list[Path]]:
    eng = make_engine(settings.sqlalchemy_url)
    with session_scope(eng) as session:
        assets = list(session.exec(select(Asset)))
    eng.dispose()
    return assets, files_under(settings.data_dir / "assets") + files_under(
        settings.data_dir / "slack-incoming"
    )


def test_a_voice_note_in_a_dm_gets_its_transcript_and_a_script_in_the_thread(
    tmp_path: Path, data_dir: Path, fake: FakeSlackAPI
) -> None:
    note = voice_note(speak(tmp_path), tmp_path / "audio_message.ogg")
    file_id = fake.add_file(note.read_bytes(), "audio_message.ogg", "audio/ogg")
    settings = bot_settings(data_dir, fake)

    with BotThread(settings) as bot:
        _share(bot, file_id)
        answer = fake.wait_for("chat.postMessage")[0].args

    assert (answer["channel"], answer["thread_ts"]) == ("D0ALICE", "1700000200.000100")
    text = answer["text"].lower()
    assert "transcript" in text and "vanilla latte" in text, answer["text"]
    downloads = fake.calls_to("download")
    assert [(c.args["file"], c.token) for c in downloads] == [(file_id, TOKEN)]
    eng = make_engine(settings.sqlalchemy_url)
    with session_scope(eng) as session:
        kinds = sorted(d.kind for d in session.exec(select(Draft)))
        (asset,) = session.exec(select(Asset)).all()
    eng.dispose()
    assert "script" in kinds and "caption" in kinds
    assert (asset.kind, asset.filename) == ("audio", "audio_message.ogg")
    assert files_under(data_dir / "slack-incoming") == []  # the download was only passed to ingest


@pytest.mark.parametrize(
    ("data", "name", "mimetype", "extra", "says"),
    [
        (b"\x00" * 64, "huge.m4a", "audio/mp4", {"size": 100_000_001}, "the most i take for audio"),
        (b"PK\x03\x04" + b"\x00" * 60, "archive.zip", "application/zip", {}, "i read voice notes"),
        (b"just some text, not a picture\n" * 4, "photo.png", "image/png", {}, "photo.png"),
        (
            b"\x89PNG....",
            "elsewhere.png",
            "image/png",
            {"url": "http://127.0.0.2:9/files-pri/x/elsewhere.png"},
            "only download from",
        ),
        (b"<html>login</html>", "page.png", "image/png", {"served_type": "text/html"}, "web page instead"),
    ],
    ids=["oversized", "wrong-type", "content-not-image", "foreign-host", "html-instead-of-file"],
)
def test_refused_files_get_a_clear_message_and_nothing_is_stored(
    data_dir: Path,
    fake: FakeSlackAPI,
    data: bytes,
    name: str,
    mimetype: str,
    extra: dict[str, Any],
    says: str,
) -> None:
    file_id = fake.add_file(data, name, mimetype, **extra)
    settings = bot_settings(data_dir, fake)

    with BotThread(settings) as bot:
        _share(bot, file_id, text="make a post from this")
        answer = fake.wait_for("chat.postMessage")[0].args
        bot.drain()

    assert says in answer["text"].lower(), answer["text"]
    assert "something went wrong" not in answer["text"].lower()
    assets, files = _stored(settings)
    assert (assets, files) == ([], [])
    if name in ("huge.m4a", "archive.zip", "elsewhere.png"):
        assert fake.calls_to("download") == []  # refused from files.info alone


def test_over_the_rate_limit_the_user_is_told_clearly(data_dir: Path, fake: FakeSlackAPI) -> None:
    settings = bot_settings(data_dir, fake, slack_rate_limit_per_minute=2)

    with BotThread(settings) as bot:
        answers = [
            command(bot, "queue", response_url=fake.response_url(f"q{i}")).json()["text"] for i in range(3)
        ]
        other = command(bot, "queue", response_url=fake.response_url("bob"), user="UBOB").json()["text"]
        bot.drain()

    assert answers[0].startswith("Working on it") and answers[1].startswith("Working on it")
    assert "2 requests a minute" in answers[2] and "Try again in" in answers[2]
    assert other.startswith("Working on it")  # the limit is per user
    assert len(fake.calls_to("response_url")) == 3  # the refused request did no work
