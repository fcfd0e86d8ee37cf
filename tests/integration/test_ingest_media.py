"""Ingest of real media made by ffmpeg and espeak-ng, the perception cache in Redis, and the CLI's voice
note → reel script contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.repo.assets import count_assets
from agent.core.settings import load_settings
from agent.services.ingest import Ingestor
from agent.services.perception import Perception
from integrations.media.cache import RedisPerceptionCache
from integrations.media.fake import FakeTranscriber
from tests.conftest import REDIS_URL
from tests.integration.media_fixtures import (
    convert,
    files_under,
    m4a,
    mp4_with_speech,
    speak,
    truncated,
    voice_note,
)

pytestmark = pytest.mark.integration

STUDIO = str(Path(sys.executable).with_name("studio"))


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speak(tmp_path_factory.mktemp("speech"))


@pytest.fixture
def ingestor(settings: Any, engine: Any) -> Ingestor:
    return Ingestor(settings, engine)


def assert_nothing_stored(ingestor: Ingestor) -> None:
    assert files_under(ingestor.store.root) == []
    with session_scope(ingestor.engine) as session:
        assert count_assets(session) == 0


@pytest.mark.parametrize(
    ("name", "make", "kind", "mime", "codec"),
    [
        ("note.ogg", voice_note, "audio", "audio/ogg", "opus"),
        ("note.m4a", m4a, "audio", "audio/mp4", "aac"),
        ("note.webm", lambda w, t: convert(w, t, "-c:a", "libopus", "-vn"), "audio", "audio/webm", "opus"),
        ("clip.mp4", mp4_with_speech, "video", "video/mp4", "h264"),
    ],
)
def test_containers_are_told_apart_by_their_streams(
    ingestor: Ingestor,
    user_id: str,
    speech: Path,
    tmp_path: Path,
    name: str,
    make: Any,
    kind: str,
    mime: str,
    codec: str,
) -> None:
    path = make(speech, tmp_path / name)

    asset = ingestor.ingest(user_id=user_id, data=path).asset

    assert (asset.kind, asset.mime) == (kind, mime)  # an audio-only WebM is audio, not video
    assert codec in asset.meta["codecs"]
    assert asset.meta["duration_s"] == pytest.approx(13.5, abs=1.0)


def test_a_truncated_mp4_from_ffmpeg_is_refused(
    ingestor: Ingestor, user_id: str, speech: Path, tmp_path: Path
) -> None:
    video = mp4_with_speech(speech, tmp_path / "full.mp4")
    with pytest.raises(InputError, match="corrupt or truncated"):
        ingestor.ingest(user_id=user_id, data=truncated(video, tmp_path / "cut.mp4", 0.7))
    assert_nothing_stored(ingestor)


def test_speech_over_the_duration_cap_is_refused(
    data_dir: Path, engine: Any, user_id: str, speech: Path
) -> None:
    capped = Ingestor(load_settings(data_dir=data_dir, _env_file=None, max_media_seconds=5), engine)
    with pytest.raises(
        InputError, match=r"speech\.wav is 0:1[34] long; audio and video are limited to 5\.0 s"
    ):
        capped.ingest(user_id=user_id, data=speech)
    assert_nothing_stored(capped)


def test_a_voice_note_named_like_an_mp3_is_refused(
    ingestor: Ingestor, user_id: str, speech: Path, tmp_path: Path
) -> None:
    note = voice_note(speech, tmp_path / "note.ogg")
    with pytest.raises(InputError, match=r"note\.mp3 is named like MP3 audio, but its content is Ogg audio"):
        ingestor.ingest(user_id=user_id, data=note.read_bytes(), filename="note.mp3")
    assert_nothing_stored(ingestor)


def test_transcripts_are_cached_in_redis_by_content_hash(
    data_dir: Path, engine: Any, user_id: str, speech: Path
) -> None:
    settings = load_settings(data_dir=data_dir, _env_file=None, redis_url=REDIS_URL)
    perception = Perception.build(settings, engine)
    fake = FakeTranscriber()
    perception.transcriber = fake
    asset = perception.ingestor.ingest(user_id=user_id, data=speech).asset
    key = RedisPerceptionCache.key(
        asset.sha256, "transcript:" + fake.cache_key(language=None, multilingual=False)
    )
    client = perception.redis._redis() if perception.redis else None
    assert client is not None
    client.delete(key)
    try:
        _, first, cached_first = perception.transcript(user_id=user_id, asset_id=asset.id or 0)
        _, second, cached_second = perception.transcript(user_id=user_id, asset_id=asset.id or 0)

        assert (cached_first, cached_second) == (False, True)
        assert second.text == first.text and len(fake.calls) == 1
        assert client.exists(key) and client.ttl(key) > 0
        with session_scope(engine) as session:
            from agent.core.repo.assets import get_asset

            assert "perception" not in get_asset(session, user_id=user_id, asset_id=asset.id or 0).meta
    finally:
        client.delete(key)
        perception.close()


def test_without_redis_transcripts_are_cached_in_the_asset_row(
    settings: Any, engine: Any, user_id: str, speech: Path
) -> None:
    perception = Perception.build(settings, engine)
    fake = FakeTranscriber()
    perception.transcriber = fake
    asset = perception.ingestor.ingest(user_id=user_id, data=speech).asset

    perception.transcript(user_id=user_id, asset_id=asset.id or 0)
    _, again, cached = perception.transcript(user_id=user_id, asset_id=asset.id or 0)

    assert cached and len(fake.calls) == 1
    with session_scope(engine) as session:
        from agent.core.repo.assets import get_asset

        stored = get_asset(session, user_id=user_id, asset_id=asset.id or 0).meta["perception"]
    assert stored["transcript:fake|auto|False"]["text"] == again.text


def studio_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    environ.update(
        {
            "STUDIO_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "STUDIO_SCHEDULER": "off",
            "STUDIO_LOCAL_MODEL": "off",
        }
    )
    return subprocess.run(
        [STUDIO, *args], capture_output=True, text=True, env=environ, timeout=300, check=False
    )


def test_cli_turns_a_voice_note_into_a_reel_script(data_dir: Path, speech: Path, tmp_path: Path) -> None:
    note = voice_note(speech, tmp_path / "note.ogg")

    proc = studio_cli(
        data_dir, "ask", "--json", "--file", str(note), "turn this voice note into a reel script"
    )

    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert "transcribe" in out["tools"] and "write_script" in out["tools"]
    script = next(d for d in out["drafts"] if d["text"].startswith("HOOK"))
    assert "vanilla latte" in script["text"] and "Visual:" in script["text"] and "CTA:" in script["text"]
    assert script["platform"] == "instagram"
    [asset] = out["assets"]
    assert (asset["kind"], asset["mime"], asset["filename"]) == ("audio", "audio/ogg", "note.ogg")
    assert "Transcript of “note.ogg”" in out["reply"]


def test_cli_refuses_a_text_file_named_jpg_and_stores_nothing(data_dir: Path, tmp_path: Path) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_text("this is not a photo")

    proc = studio_cli(data_dir, "ask", "--json", "--file", str(fake), "caption this")

    assert proc.returncode == 1
    assert "photo.jpg is named like a JPEG image, but its content is text" in json.loads(proc.stdout)["error"]
    assert files_under(data_dir / "assets") == []
