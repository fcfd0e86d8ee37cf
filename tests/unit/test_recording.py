"""Browser voice notes: PCM chunks → a WAV file that ingest accepts, under the duration cap."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from integrations.media.recording import VoiceRecording


def tone(seconds: float, rate: int = 24_000) -> bytes:
    n = int(seconds * rate)
    return b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(n))


def test_chunks_become_a_wav_with_the_same_samples(tmp_path: Path) -> None:
    rec = VoiceRecording(sample_rate=24_000, max_seconds=60)
    pcm = tone(1.2)
    for i in range(0, len(pcm), 4800):
        rec.add(pcm[i : i + 4800])
    out = rec.write_wav(tmp_path / "note.wav")
    with wave.open(str(out)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 24_000)
        assert wav.readframes(wav.getnframes()) == pcm
    assert rec.seconds == pytest.approx(1.2)


def test_the_cap_drops_the_rest_and_says_so(tmp_path: Path) -> None:
    rec = VoiceRecording(sample_rate=16_000, max_seconds=1)
    rec.add(tone(0.8, 16_000))
    rec.add(tone(0.8, 16_000))
    assert rec.overflowed and rec.seconds == pytest.approx(1.0)


def test_too_short_or_wrong_format_is_refused(tmp_path: Path) -> None:
    rec = VoiceRecording(sample_rate=24_000, max_seconds=60)
    rec.add(tone(0.1))
    with pytest.raises(ValueError, match="at least"):
        rec.write_wav(tmp_path / "x.wav")
    assert not (tmp_path / "x.wav").exists()
    with pytest.raises(ValueError, match="16-bit PCM"):
        rec.add(b"\x00\x00", mime="audio/webm")
