"""Image understanding behind one port (:class:`VisionBackend`); see ``base.py``.

``make_vision_backend`` builds the configured adapter without loading anything: models load on first use.
"""

from __future__ import annotations

from pathlib import Path

from integrations.vision.auto import AutoVision
from integrations.vision.base import Color, Crop, Label, VisionBackend, VisionResult, VisionUnavailable
from integrations.vision.offline import OfflineVision
from integrations.vision.openclip import OpenClipVision

BACKENDS = ("auto", "openclip", "offline")


def make_vision_backend(
    mode: str = "auto",
    *,
    clip_model: str = "ViT-B-32",
    clip_pretrained: str | None = "laion2b_s34b_b79k",
    clip_checkpoint: Path | None = None,
    cache_dir: Path | None = None,
) -> VisionBackend:
    """``auto`` (CLIP when its weights are present, else offline), ``openclip`` or ``offline``."""
    if mode == "offline":
        return OfflineVision(cache_dir=cache_dir)
    if mode == "openclip":
        return OpenClipVision(
            model_name=clip_model, pretrained=clip_pretrained, checkpoint=clip_checkpoint, cache_dir=cache_dir
        )
    if mode == "auto":
        return AutoVision(
            clip_model=clip_model,
            clip_pretrained=clip_pretrained,
            clip_checkpoint=clip_checkpoint,
            cache_dir=cache_dir,
        )
    raise ValueError(f"unknown vision backend {mode!r}; use one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "Color",
    "Crop",
    "Label",
    "VisionBackend",
    "VisionResult",
    "VisionUnavailable",
    "make_vision_backend",
]
