"""Voice notes recorded in the browser (Chainlit's audio stream: 16-bit mono PCM): kept as a WAV file and
sent through the same ingest as an upload, then turned into a reel script and a caption."""

from __future__ import annotations

import logging
import uuid

import chainlit as cl
from chainlit.config import config as cl_config

from integrations.media.recording import VoiceRecording
from ui.web.chat_settings import selected_platforms
from ui.web.runtime import settings
from ui.web.turns import run_turn

log = logging.getLogger(__name__)

RECORDING_KEY = "voice_recording"
RECORDING_MAX_S = 600.0  # one browser recording; uploads may be longer (STUDIO_MAX_MEDIA_SECONDS)
VOICE_NOTE_PROMPT = "Turn this voice note into a reel script and a caption."


async def start_recording() -> bool:
    sample_rate = int(getattr(cl_config.features.audio, "sample_rate", 24_000))
    limit = min(RECORDING_MAX_S, settings().max_media_seconds)
    cl.user_session.set(RECORDING_KEY, VoiceRecording(sample_rate=sample_rate, max_seconds=limit))
    return True


async def add_chunk(chunk: cl.InputAudioChunk) -> None:
    recording: VoiceRecording | None = cl.user_session.get(RECORDING_KEY)
    if recording is None:
        return
    try:
        recording.add(chunk.data, chunk.mimeType)
    except ValueError as exc:
        log.warning("Voice note chunk refused: %s", exc)


async def end_recording() -> None:
    """The recording as a WAV file through the same ingest as an upload, then a script and a caption."""
    recording: VoiceRecording | None = cl.user_session.get(RECORDING_KEY)
    cl.user_session.set(RECORDING_KEY, None)
    if recording is None:
        return
    folder = settings().data_dir / "web-recordings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"voice-note-{uuid.uuid4().hex}.wav"
    try:
        recording.write_wav(path)
    except ValueError as exc:
        await cl.Message(content=f"I didn't get a voice note: {exc}").send()
        return
    try:
        note = f"Voice note received ({recording.seconds:.1f} s)."
        if recording.overflowed:
            note += f" Only the first {recording.max_seconds / 60:.0f} minutes were kept."
        await cl.Message(content=note).send()
        await run_turn(
            text=VOICE_NOTE_PROMPT, attachments=[(path, "voice-note.wav")], platforms=selected_platforms()
        )
    finally:
        path.unlink(missing_ok=True)  # ingest keeps its own copy
