"""open_clip: zero-shot labels over the vocabulary, and the CLIP image embedding.

Weights come from a checkpoint path (a checkpoint file for a built-in model name, or an open_clip model
folder with ``open_clip_config.json``) or from the local Hugging Face cache for a model name + pretrained
tag (``ViT-B-32`` + ``laion2b_s34b_b79k``); they are never downloaded here (:func:`find_clip_weights`
resolves the files first and open_clip gets their paths). Content terms share one softmax (what is in the
picture competes); moods, styles, colours and formats each get their own. Text, NSFW, colours and crop
advice come from the shared pipeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from integrations.vision.analysis import MEASURED_TERMS, prepare
from integrations.vision.base import Label, VisionUnavailable, normalize
from integrations.vision.pipeline import ModelBackend, top_labels
from integrations.vision.readers import NsfwDetector, TextReader
from integrations.vision.vocabulary import ATTRIBUTE_CATEGORIES, CONTENT_CATEGORIES, Vocabulary

DEFAULT_MODEL = "ViT-B-32"
DEFAULT_PRETRAINED = "laion2b_s34b_b79k"
WEIGHT_FILES = (
    "open_clip_model.safetensors",
    "open_clip_pytorch_model.safetensors",
    "open_clip_pytorch_model.bin",
)
MIN_CONTENT_PROB = 0.05
MAX_CONTENT_LABELS = 6
MAX_ATTRIBUTE_LABELS = 2


@dataclass(frozen=True)
class ClipWeights:
    model_name: str  # what open_clip is given: a built-in name or "local-dir:/path"
    checkpoint: str | None  # a weights file for a built-in name; None for a local-dir model
    source: str  # where they were found, for messages and the backend name
    preprocess: dict[str, Any] = field(default_factory=dict)  # image_mean, image_std... of the tag
    quick_gelu: bool = False


def _hf_cached(repo_id: str, filenames: tuple[str, ...], cache_dir: str | None) -> str | None:
    from huggingface_hub import try_to_load_from_cache

    for name in filenames:
        found = try_to_load_from_cache(repo_id, name, cache_dir=cache_dir)
        if isinstance(found, str) and os.path.isfile(found):
            return found
    return None


def _tag_cfg(model_name: str, pretrained: str) -> dict[str, Any]:
    from open_clip.pretrained import get_pretrained_cfg

    return dict(get_pretrained_cfg(model_name, pretrained) or {})


def _preprocess(cfg: dict[str, Any]) -> dict[str, Any]:
    keys = {"mean": "image_mean", "std": "image_std", "interpolation": "image_interpolation"}
    out = {dst: cfg[src] for src, dst in keys.items() if cfg.get(src)}
    if cfg.get("resize_mode"):
        out["image_resize_mode"] = cfg["resize_mode"]
    return out


def find_clip_weights(
    model_name: str = DEFAULT_MODEL,
    pretrained: str | None = DEFAULT_PRETRAINED,
    checkpoint: Path | str | None = None,
    *,
    hf_cache_dir: str | None = None,
) -> ClipWeights | None:
    """Where the CLIP weights are on this machine, or None. Looks at files only: nothing is downloaded."""
    if checkpoint:
        path = Path(checkpoint).expanduser()
        if path.is_dir():
            if (path / "open_clip_config.json").is_file() and any((path / f).is_file() for f in WEIGHT_FILES):
                return ClipWeights(f"local-dir:{path}", None, f"folder {path}")
            return None
        if path.is_file():
            cfg = _tag_cfg(model_name, pretrained) if pretrained else {}
            return ClipWeights(
                model_name, str(path), f"file {path}", _preprocess(cfg), bool(cfg.get("quick_gelu"))
            )
        return None
    if model_name.startswith("hf-hub:"):
        repo = model_name.removeprefix("hf-hub:")
        config = _hf_cached(repo, ("open_clip_config.json",), hf_cache_dir)
        if config and _hf_cached(repo, WEIGHT_FILES, hf_cache_dir):
            folder = Path(config).parent  # the snapshot folder holds the config and the weights
            return ClipWeights(f"local-dir:{folder}", None, f"Hugging Face cache {repo}")
        return None
    if not pretrained:
        return None
    cfg = _tag_cfg(model_name, pretrained)
    found: str | None = None
    if cfg.get("file") and os.path.isfile(cfg["file"]):
        found = cfg["file"]
    elif cfg.get("hf_hub"):
        # open_clip's convention: "org/repo/" (default file names) or "org/repo/file.bin"
        repo, filename = os.path.split(cfg["hf_hub"])
        names: tuple[str, ...] = WEIGHT_FILES
        if filename:
            stem, ext = os.path.splitext(filename)
            names = (stem + ".safetensors", filename) if ext in {".bin", ".pth"} else (filename,)
        found = _hf_cached(repo, names, hf_cache_dir)
    elif cfg.get("url"):
        candidate = Path("~/.cache/clip").expanduser() / os.path.basename(cfg["url"])
        found = str(candidate) if candidate.is_file() else None
    if found is None:
        return None
    return ClipWeights(
        model_name, found, f"{model_name}/{pretrained}", _preprocess(cfg), bool(cfg.get("quick_gelu"))
    )


class OpenClipVision(ModelBackend):
    """Zero-shot CLIP over the vocabulary. ``random_weights=True`` builds the model untrained: for
    benchmarks of speed only, never for answers."""

    pixel_categories = frozenset({"formats"})

    def __init__(
        self,
        *,
        model_name: str = DEFAULT_MODEL,
        pretrained: str | None = DEFAULT_PRETRAINED,
        checkpoint: Path | str | None = None,
        hf_cache_dir: str | None = None,
        random_weights: bool = False,
        cache_dir: Path | None = None,
        vocabulary: Vocabulary | None = None,
        ocr: TextReader | None = None,
        nsfw: NsfwDetector | None = None,
    ) -> None:
        super().__init__(vocabulary=vocabulary, ocr=ocr, nsfw=nsfw)
        self.cache_dir = cache_dir  # the vocabulary's text embeddings are cached here per weights file
        self.model_name = model_name
        self.pretrained = pretrained
        self.checkpoint = checkpoint
        self.hf_cache_dir = hf_cache_dir
        self.random_weights = random_weights
        if random_weights:
            self.name = f"openclip:{model_name}:random-weights"
        elif checkpoint:
            self.name = f"openclip:{Path(checkpoint).name}"
        else:
            self.name = f"openclip:{model_name}:{pretrained}"
        self._model: Any = None
        self._lock = threading.Lock()
        self._terms = [t for t in self.vocabulary.terms if t.label not in MEASURED_TERMS]

    def weights(self) -> ClipWeights | None:
        return find_clip_weights(
            self.model_name, self.pretrained, self.checkpoint, hf_cache_dir=self.hf_cache_dir
        )

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import open_clip
            import torch

            weights: ClipWeights | None = None
            if self.random_weights:
                model, _, preprocess = open_clip.create_model_and_transforms(self.model_name, pretrained=None)
                tokenizer = open_clip.get_tokenizer(self.model_name)
            else:
                weights = self.weights()
                if weights is None:
                    where = (
                        f"at {self.checkpoint}"
                        if self.checkpoint
                        else f"for {self.model_name} / {self.pretrained} in the local Hugging Face cache"
                    )
                    raise VisionUnavailable(
                        f"No CLIP weights {where}. Set STUDIO_VISION_CLIP_CHECKPOINT to a checkpoint file or "
                        "an open_clip model folder, or use STUDIO_VISION_BACKEND=offline."
                    )
                model, _, preprocess = open_clip.create_model_and_transforms(
                    weights.model_name,
                    pretrained=weights.checkpoint,
                    force_quick_gelu=weights.quick_gelu,
                    **weights.preprocess,
                )
                tokenizer = open_clip.get_tokenizer(weights.model_name)
            model.eval()
            key = None if self.random_weights else self._text_cache_key(weights)
            cached = self._cached_text(key)
            if cached is not None:
                text_features = torch.from_numpy(cached)
            else:
                with torch.inference_mode():
                    prompts = [t.prompt for t in self._terms]
                    chunks = [
                        model.encode_text(tokenizer(prompts[i : i + 64])) for i in range(0, len(prompts), 64)
                    ]
                    text_features = torch.cat(chunks)
                    text_features = text_features / text_features.norm(dim=-1, keepdim=True)
                self._store_text(key, text_features.numpy())
            self._scale = float(model.logit_scale.detach().exp())
            self._torch = torch
            self._preprocess = preprocess
            self._text = text_features.numpy()
            self._model = model

    def _text_cache_key(self, weights: ClipWeights | None) -> str | None:
        """Keyed by the weights file (path, size, mtime) and the prompts: a new file or vocabulary misses."""
        if weights is None or self.cache_dir is None:
            return None
        if weights.checkpoint:
            files = [Path(weights.checkpoint)]
        else:
            folder = Path(weights.model_name.removeprefix("local-dir:"))
            files = [folder / f for f in ("open_clip_config.json", *WEIGHT_FILES) if (folder / f).is_file()]
        stats = [[str(f.resolve()), f.stat().st_size, f.stat().st_mtime_ns] for f in files]
        blob = json.dumps([weights.model_name, stats, [t.prompt for t in self._terms]])
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def _cached_text(self, key: str | None) -> np.ndarray | None:
        if key is None or self.cache_dir is None:
            return None
        path = self.cache_dir / f"clip-text-{key}.npy"
        try:
            found: np.ndarray = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            return None
        return found if found.shape[0] == len(self._terms) else None

    def _store_text(self, key: str | None, features: np.ndarray) -> None:
        if key is None or self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".npy.tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                np.save(fh, features, allow_pickle=False)
            os.replace(tmp, self.cache_dir / f"clip-text-{key}.npy")
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)

    def _image_features(self, image: Image.Image) -> np.ndarray:
        torch = self._torch
        with torch.inference_mode():
            features = self._model.encode_image(self._preprocess(image).unsqueeze(0))
            features = features / features.norm(dim=-1, keepdim=True)
        return np.asarray(features[0].numpy(), dtype=np.float64)

    def _classify(self, image: Image.Image) -> tuple[list[Label], list[float] | None]:
        self.load()
        features = self._image_features(image)
        logits = self._scale * (self._text @ features)
        labels: list[Label] = []
        for group in [CONTENT_CATEGORIES, *((c,) for c in ATTRIBUTE_CATEGORIES)]:
            idx = [i for i, t in enumerate(self._terms) if t.category in group]
            if not idx:
                continue
            z = logits[idx] - logits[idx].max()
            probs = np.exp(z) / np.exp(z).sum()
            scored = [
                (self._terms[i].label, self._terms[i].category, float(p))
                for i, p in zip(idx, probs, strict=True)
            ]
            if group is CONTENT_CATEGORIES:
                labels += top_labels(scored, minimum=MIN_CONTENT_PROB, limit=MAX_CONTENT_LABELS)
            else:
                labels += top_labels(scored, minimum=max(0.2, 1.5 / len(idx)), limit=MAX_ATTRIBUTE_LABELS)
        return labels, normalize(features.tolist())

    def embed(self, image: Image.Image) -> list[float] | None:
        self.load()
        return normalize(self._image_features(prepare(image)).tolist())
