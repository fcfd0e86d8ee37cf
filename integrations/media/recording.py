"""A voice note recorded in the browser: 16-bit mono PCM chunks (Chainlit's audio stream) collected under a
duration cap and written out as a WAV file, which then goes through the normal ingest like an upload."""

from __future__ import annotations

import wave
from pathlib import Path

MIN_SECONDS = 0.5


class RecordingTooLong(Exception):
    pass


class VoiceRecording:
    def __init__(self, *, sample_rate: int, max_seconds: float) -> None:
        if not 8_000 <= sample_rate <= 48_000:
            raise ValueError(f"unsupported sample rate {sample_rate}")
        self.sample_rate = sample_rate
        self.max_seconds = max_seconds
        self._max_bytes = int(max_seconds * sample_rate) * 2
        self._pcm = bytearray()
        self.overflowed = False

    @property
    def seconds(self) -> float:
        return len(self._pcm) / 2 / self.sample_rate

    def add(self, chunk: bytes, mime: str = "pcm16") -> None:
        """Append a chunk; past the cap the rest is dropped and ``overflowed`` is set."""
        if mime != "pcm16":
            raise ValueError(f"unexpected audio format {mime!r} (expected 16-bit PCM)")
        room = self._max_bytes - len(self._pcm)
        if len(chunk) > room:
            self.overflowed = True
            chunk = chunk[: max(0, room)]
        self._pcm.extend(chunk)

    def write_wav(self, path: Path) -> Path:
        """The recording as a WAV file; ValueError when there is (almost) nothing in it."""
        if self.seconds < MIN_SECONDS:
            raise ValueError(f"The recording is {self.seconds:.1f} s long; I need at least {MIN_SECONDS} s.")
        pcm = bytes(self._pcm[: len(self._pcm) - len(self._pcm) % 2])
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(self.sample_rate)
            out.writeframes(pcm)
        return path
