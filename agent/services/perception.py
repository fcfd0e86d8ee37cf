"""The perception services of one process — ingest, speech to text, the result cache — and the cached
transcript of an asset.

Transcripts are cached by content hash and model: in Redis (``studio:perception:<sha256>:transcript:<models>``)
when ``STUDIO_REDIS_URL`` is set, otherwise in the asset row's ``meta["transcripts"]``. A re-uploaded file
is the same asset (or the same hash), so it is never transcribed twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from agent.core.db import session_scope
from agent.core.errors import InputError, ToolFailed
from agent.core.models import Asset
from agent.core.repo import assets as asset_repo
from agent.core.settings import Settings
from agent.services.ingest import Ingestor
from integrations.media.cache import RedisPerceptionCache
from integrations.media.errors import MediaFailed, MediaRejected
from integrations.media.whisper import Progress, Transcriber, Transcript, WhisperConfig, WhisperTranscriber

log = logging.getLogger(__name__)

SPEECH_KINDS = frozenset({"audio", "video"})


def whisper_config(settings: Settings) -> WhisperConfig:
    return WhisperConfig(
        english_model=settings.whisper_model,
        multilingual_model=settings.whisper_multilingual_model,
        models_dir=settings.data_dir / "models",
        compute_type=settings.whisper_compute_type,
        threads=settings.whisper_threads,
        chunk_seconds=settings.whisper_chunk_s,
    )


@dataclass
class Perception:
    settings: Settings
    engine: Engine
    ingestor: Ingestor
    transcriber: Transcriber
    redis: RedisPerceptionCache | None = None

    @classmethod
    def build(cls, settings: Settings, engine: Engine) -> Perception:
        """Cheap: no model is loaded and no connection is opened until first use."""
        return cls(
            settings=settings,
            engine=engine,
            ingestor=Ingestor(settings, engine),
            transcriber=WhisperTranscriber(whisper_config(settings)),
            redis=RedisPerceptionCache(settings.redis_url) if settings.redis_url else None,
        )

    # -- the result cache ---------------------------------------------------------------------------------

    def cached(self, asset: Asset, key: str) -> dict[str, Any] | None:
        if self.redis is not None:
            return self.redis.get(asset.sha256, key)
        return ((asset.meta or {}).get("perception") or {}).get(key)

    def remember(self, *, user_id: str, asset: Asset, key: str, value: dict[str, Any]) -> None:
        if self.redis is not None:
            self.redis.put(asset.sha256, key, value)
            return
        with session_scope(self.engine) as session:
            fresh = asset_repo.get_asset(session, user_id=user_id, asset_id=asset.id or 0)
            results = dict((fresh.meta or {}).get("perception") or {})
            results[key] = value
            asset_repo.set_meta(
                session, user_id=user_id, asset_id=fresh.id or 0, key="perception", value=results
            )

    # -- transcripts --------------------------------------------------------------------------------------

    def transcript(
        self,
        *,
        user_id: str,
        asset_id: int,
        language: str | None = None,
        multilingual: bool = False,
        on_progress: Progress | None = None,
    ) -> tuple[Asset, Transcript, bool]:
        """(asset, transcript, came from the cache) for an audio or video asset of this user."""
        with session_scope(self.engine) as session:
            asset = asset_repo.get_asset(session, user_id=user_id, asset_id=asset_id)
        if asset.kind not in SPEECH_KINDS:
            raise InputError(
                f"Asset #{asset_id} is {asset.kind}, not audio or video: there is no speech to transcribe."
            )
        if asset.kind == "video" and not (asset.meta or {}).get("has_audio", True):
            raise InputError(f"Video #{asset_id} has no sound track, so there is nothing to transcribe.")
        language = (language or "").strip().lower()[:8] or None
        key = "transcript:" + self.transcriber.cache_key(language=language, multilingual=multilingual)
        hit = self.cached(asset, key)
        if hit is not None:
            return asset, Transcript.from_dict(hit), True
        try:
            result = self.transcriber.transcribe(
                Path(asset.storage_path),
                language=language,
                multilingual=multilingual,
                on_progress=on_progress,
            )
        except MediaRejected as exc:
            raise InputError(str(exc)) from None
        except MediaFailed as exc:
            raise ToolFailed(str(exc)) from None
        self.remember(user_id=user_id, asset=asset, key=key, value=result.to_dict())
        return asset, result, False

    def latest_transcript(self, asset: Asset) -> Transcript | None:
        """Any cached transcript of the asset (the default models' first)."""
        default = "transcript:" + self.transcriber.cache_key(language=None, multilingual=False)
        hit = self.cached(asset, default)
        if hit is None and self.redis is None:
            stored = (asset.meta or {}).get("perception") or {}
            hit = next((v for k, v in stored.items() if k.startswith("transcript:")), None)
        return Transcript.from_dict(hit) if hit else None

    def close(self) -> None:
        if self.redis is not None:
            self.redis.close()
