"""``auto``: CLIP when its weights are on this machine, else the offline default. The choice is made on
first use (it looks at files only), so building the services stays instant."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from integrations.vision.base import VisionBackend, VisionResult
from integrations.vision.offline import OfflineVision
from integrations.vision.openclip import DEFAULT_MODEL, DEFAULT_PRETRAINED, OpenClipVision, find_clip_weights

if TYPE_CHECKING:
    from PIL import Image


class AutoVision(VisionBackend):
    def __init__(
        self,
        *,
        clip_model: str = DEFAULT_MODEL,
        clip_pretrained: str | None = DEFAULT_PRETRAINED,
        clip_checkpoint: Path | None = None,
        cache_dir: Path | None = None,
        hf_cache_dir: str | None = None,
    ) -> None:
        self.clip_model = clip_model
        self.clip_pretrained = clip_pretrained
        self.clip_checkpoint = clip_checkpoint
        self.cache_dir = cache_dir
        self.hf_cache_dir = hf_cache_dir
        self._chosen: VisionBackend | None = None
        self._lock = threading.Lock()

    def chosen(self) -> VisionBackend:
        with self._lock:
            if self._chosen is None:
                weights = find_clip_weights(
                    self.clip_model,
                    self.clip_pretrained,
                    self.clip_checkpoint,
                    hf_cache_dir=self.hf_cache_dir,
                )
                if weights is not None:
                    self._chosen = OpenClipVision(
                        model_name=self.clip_model,
                        pretrained=self.clip_pretrained,
                        checkpoint=self.clip_checkpoint,
                        hf_cache_dir=self.hf_cache_dir,
                        cache_dir=self.cache_dir,
                    )
                else:
                    self._chosen = OfflineVision(cache_dir=self.cache_dir)
            return self._chosen

    @property
    def name(self) -> str:  # type: ignore[override]
        return self.chosen().name

    def describe(self, image: Image.Image) -> VisionResult:
        return self.chosen().describe(image)

    def describe_many(self, images: Sequence[Image.Image]) -> list[VisionResult]:
        return self.chosen().describe_many(images)

    def embed(self, image: Image.Image) -> list[float] | None:
        return self.chosen().embed(image)
