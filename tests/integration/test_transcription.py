"""Speech to text with the packaged Whisper models on real speech (espeak-ng) in real containers (ffmpeg)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.core.errors import InputError
from agent.services.perception import Perception
from integrations.media.errors import MediaFailed
from integrations.media.whisper import BASE_SIZE, Transcript, WhisperConfig, WhisperTranscriber, assemble_base
from tests.integration.media_fixtures import (
    GERMAN,
    SCRIPT,
    m4a,
    mp4_with_speech,
    silent_video,
    speak,
    voice_note,
    wer,
    words,
)

pytestmark = pytest.mark.integration

CONTAINERS = ("wav", "ogg", "m4a", "mp4")


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("speech")
    wav = speak(folder)
    return {
        "wav": wav,
        "ogg": voice_note(wav, folder / "note.ogg"),
        "m4a": m4a(wav, folder / "note.m4a"),
        "mp4": mp4_with_speech(wav, folder / "clip.mp4"),
    }


@pytest.fixture(scope="module")
def transcriber(tmp_path_factory: pytest.TempPathFactory) -> WhisperTranscriber:
    return WhisperTranscriber(WhisperConfig(models_dir=tmp_path_factory.mktemp("models")))


@pytest.fixture(scope="module")
def transcripts(media: dict[str, Path], transcriber: WhisperTranscriber) -> dict[str, Transcript]:
    return {name: transcriber.transcribe(path) for name, path in media.items()}


@pytest.mark.parametrize("container", CONTAINERS)
def test_word_error_rate_is_at_most_ten_percent(container: str, transcripts: dict[str, Transcript]) -> None:
    result = transcripts[container]

    assert wer(SCRIPT, result.text) <= 0.10, result.text
    assert (result.language, result.model) == ("en", "tiny.en")
    assert result.duration == pytest.approx(13.5, abs=1.0)
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and all(s.end > s.start for s in result.segments)


def test_every_container_gives_the_same_transcript(transcripts: dict[str, Transcript]) -> None:
    reference = words(transcripts["wav"].text)
    for container in CONTAINERS[1:]:
        assert words(transcripts[container].text) == reference, container


def test_a_video_is_transcribed_from_its_sound_track(transcripts: dict[str, Transcript]) -> None:
    assert "launching" in words(transcripts["mp4"].text)


def test_long_audio_is_processed_in_chunks_with_progress(media: dict[str, Path], tmp_path: Path) -> None:
    chunked = WhisperTranscriber(WhisperConfig(models_dir=tmp_path, chunk_seconds=8.0))
    progress: list[tuple[float, float]] = []

    result = chunked.transcribe(media["wav"], language="en", on_progress=lambda d, t: progress.append((d, t)))

    assert wer(SCRIPT, result.text) <= 0.15, result.text
    done = [d for d, _ in progress]
    assert done == sorted(done) and done[-1] == pytest.approx(progress[-1][1])
    assert any(d < 8.5 for d in done) and any(s.start >= 6 for s in result.segments)  # both chunks reported


def test_german_speech_switches_to_the_multilingual_base_model(
    transcriber: WhisperTranscriber, tmp_path: Path
) -> None:
    german = speak(tmp_path, GERMAN, voice="de", name="deutsch")

    result = transcriber.transcribe(german)

    assert (result.language, result.model, result.language_detected) == ("de", "base", True)
    heard = set(words(result.text))
    assert {"morgen", "café", "kuchen"} & heard, result.text
    assert transcriber.loaded() == ["base", "tiny.en"]  # each loaded once, kept for the process


def test_the_packaged_base_model_is_assembled_once_and_verified(tmp_path: Path) -> None:
    first = assemble_base(tmp_path)
    assert first is not None
    assert (first / "model.bin").stat().st_size == BASE_SIZE
    assert {"config.json", "tokenizer.json", "vocabulary.txt", ".verified"} <= {
        p.name for p in first.iterdir()
    }
    stamp = (first / "model.bin").stat().st_mtime_ns

    assert assemble_base(tmp_path) == first
    assert (first / "model.bin").stat().st_mtime_ns == stamp  # not rebuilt


def test_a_base_model_with_the_wrong_checksum_is_refused_and_not_kept(tmp_path: Path) -> None:
    with pytest.raises(MediaFailed, match="not the expected file"):
        assemble_base(tmp_path, sha256="0" * 64)
    assert [p.name for p in tmp_path.iterdir()] == [".whisper-base.lock"]


def test_a_model_directory_or_name_can_be_configured(transcriber: WhisperTranscriber, tmp_path: Path) -> None:
    packaged = transcriber.model_source("tiny.en")
    custom = WhisperTranscriber(WhisperConfig(english_model=packaged, models_dir=tmp_path))
    assert custom.model_source(packaged) == packaged  # a CTranslate2 directory is used as it is
    assert custom.model_source("small") == "small"  # a name is left to faster-whisper (hub where reachable)
    with pytest.raises(MediaFailed, match="not a CTranslate2 Whisper model"):
        custom.model_source(str(tmp_path))


def test_a_video_without_sound_has_nothing_to_transcribe(
    settings: Any, engine: Any, user_id: str, tmp_path: Path
) -> None:
    perception = Perception.build(settings, engine)
    video = perception.ingestor.ingest(user_id=user_id, data=silent_video(tmp_path / "mute.mp4", audio=False))
    with pytest.raises(InputError, match="no sound track"):
        perception.transcript(user_id=user_id, asset_id=video.asset.id or 0)
