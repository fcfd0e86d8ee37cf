"""Speech-to-text benchmark, measured side by side in one run.

* Real-time factor (seconds of compute per second of audio, lower is better) of the packaged tiny.en and
  multilingual base models (int8, 2 threads) on a 60-second voice note made with espeak-ng (Ogg/Opus).
* The same note ingested a second time, as a ratio to the first: ingest alone (hash + probe + store + row,
  then hash + lookup), and ingest + transcript (the second time the transcript comes from the cache).

Targets (issue 3): tiny.en RTF <= 0.07; a re-upload >= 100x faster.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.migrate import upgrade
from agent.core.settings import Settings, load_settings
from agent.services.perception import Perception
from integrations.media.whisper import WhisperTranscriber

SECONDS = 60
TEXT = (  # about 170 words, none repeated in a row: Whisper's fallback decoding kicks in on looping text
    "Good morning everyone, and welcome back to the channel. "
    "Today we are launching our new vanilla latte at the corner cafe on Main Street. "
    "It is creamy, smooth and made with organic coffee beans from a small farm in Colombia. "
    "We roast the beans ourselves every Tuesday, so the flavour stays fresh and a little sweet. "
    "The milk is steamed slowly until it is silky, and then we add a spoon of real vanilla syrup. "
    "If you prefer something lighter, ask for oat milk or almond milk at no extra cost. "
    "This weekend the first one hundred guests get their first cup for free. "
    "Bring a friend, bring your own mug, and you will also get ten percent off any pastry. "
    "Our bakers start at five in the morning, so the croissants are still warm when we open at seven. "
    "On Saturday afternoon a local band plays acoustic music in the garden behind the shop. "
    "Parking is easy on Elm Road, and the bus stops right in front of the door. "
    "Tell us in the comments which drink we should add to the menu next month. "
    "Thank you for watching, and see you at the cafe."
)


def voice_note(folder: Path) -> Path:
    """About 60 seconds of espeak-ng speech as an Ogg/Opus voice note."""
    wav, note = folder / "speech.wav", folder / "voice-note.ogg"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), TEXT], check=True)
    subprocess.run(
        [
            "ffmpeg",
            "-y",
            "-loglevel",
            "error",
            "-i",
            str(wav),
            "-t",
            str(SECONDS),
            "-c:a",
            "libopus",
            "-b:a",
            "24k",
            str(note),
        ],
        check=True,
    )
    return note


def timed(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def studio_for(
    folder: Path, transcriber: WhisperTranscriber | None = None
) -> tuple[Settings, Perception, str]:
    settings = load_settings(data_dir=folder, _env_file=None, whisper_threads=2, whisper_compute_type="int8")
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    upgrade(engine)
    with session_scope(engine) as session:
        user_id = repo.create_user(session, email="bench@example.com").id
    perception = Perception.build(settings, engine)
    if transcriber is not None:
        perception.transcriber = transcriber  # models already loaded: the first run pays transcription only
    return settings, perception, user_id


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        note = voice_note(root)
        _, perception, user_id = studio_for(root / "data")
        transcriber = perception.transcriber
        assert isinstance(transcriber, WhisperTranscriber)
        print(f"voice note: {note.stat().st_size / 1000:.0f} KB Ogg/Opus, {SECONDS} s of espeak-ng speech")
        _, assemble_s = timed(transcriber.model_source, "base")
        print(f"packaged base model assembled and checked (size + sha256) in {assemble_s:.2f} s")

        print(f"\n{'model':<8} {'load s':>7} {'transcribe s':>13} {'RTF':>7} {'words':>6}")
        rtf: dict[str, float] = {}
        for name, kwargs in (
            ("tiny.en", {"language": "en"}),
            ("base", {"language": "en", "multilingual": True}),
        ):
            _, load_s = timed(transcriber.model, name)
            result, run_s = timed(transcriber.transcribe, note, **kwargs)
            rtf[name] = run_s / result.duration
            print(f"{name:<8} {load_s:>7.2f} {run_s:>13.2f} {rtf[name]:>7.3f} {len(result.text.split()):>6}")
        print(f"base is {rtf['base'] / rtf['tiny.en']:.1f}x slower than tiny.en")

        ingest = perception.ingestor.ingest
        first, first_s = timed(ingest, user_id=user_id, data=note)
        again, again_s = timed(ingest, user_id=user_id, data=note)
        assert again.reused and again.asset.id == first.asset.id

        _, fresh, fresh_user = studio_for(root / "fresh", transcriber)

        def upload_and_transcribe() -> bool:
            done = fresh.ingestor.ingest(user_id=fresh_user, data=note)
            return fresh.transcript(user_id=fresh_user, asset_id=done.asset.id or 0)[2]

        cached_first, full_first_s = timed(upload_and_transcribe)
        cached_again, full_again_s = timed(upload_and_transcribe)
        assert (cached_first, cached_again) == (False, True)

        print(f"\n{'the same note again':<34} {'first s':>8} {'second s':>9} {'ratio':>8}")
        print(
            f"{'ingest (hash, probe, store, row)':<34} {first_s:>8.4f} {again_s:>9.4f} {first_s / again_s:>7.0f}x"
        )
        print(
            f"{'ingest + transcript (tiny.en)':<34} {full_first_s:>8.3f} {full_again_s:>9.4f} "
            f"{full_first_s / full_again_s:>7.0f}x"
        )


if __name__ == "__main__":
    main()
