"""A scripted vision backend for unit tests: no model, instant, and it counts its calls.

Labels, text and the NSFW flag are what the test scripts; colours, orientation, crop advice and alt text
are computed from the real image by the same pure functions the real backends use.
"""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from integrations.vision.analysis import (
    alt_text,
    crop_advice,
    dominant_colors,
    format_labels,
    order_labels,
    prepare,
    subject_phrase,
)
from integrations.vision.base import Label, VisionBackend, VisionResult, normalize
from integrations.vision.pipeline import upright_size
from integrations.vision.vocabulary import crop_rules, load_vocabulary


class FakeVision(VisionBackend):
    def __init__(
        self,
        labels: Sequence[tuple[str, float]] = (("coffee", 0.9), ("cafe", 0.6)),
        *,
        text: str = "",
        nsfw: bool = False,
        name: str = "fake",
        embedding_dim: int = 8,
    ) -> None:
        self.vocabulary = load_vocabulary()
        self.scripted = [Label(lb, score, self.vocabulary.term(lb).category) for lb, score in labels]
        self.text = text
        self.nsfw = nsfw
        self.name = name
        self.embedding_dim = embedding_dim
        self.calls = 0  # describe() calls
        self.images: list[tuple[int, int]] = []  # sizes of the images described

    def describe(self, image: Image.Image) -> VisionResult:
        self.calls += 1
        width, height = upright_size(image)
        self.images.append((width, height))
        prepared = prepare(image)
        colors = dominant_colors(prepared, self.vocabulary.palette)
        labels = order_labels([*self.scripted, *format_labels(width, height, 0.0, bool(self.text))])
        return VisionResult(
            labels=labels,
            text=self.text,
            alt_text=alt_text(labels, self.text, colors, self.vocabulary),
            subject=subject_phrase(labels, self.vocabulary),
            colors=colors,
            crop=crop_advice(width, height, crop_rules()),
            nsfw=self.nsfw,
            nsfw_score=0.9 if self.nsfw else 0.0,
            backend=self.name,
            width=width,
            height=height,
            embedding=self.embed(prepared),
        )

    def embed(self, image: Image.Image) -> list[float] | None:
        """A deterministic stand-in: the mean colour and size, spread over ``embedding_dim`` numbers."""
        small = image.convert("RGB").resize((1, 1))
        r, g, b = small.getpixel((0, 0))  # type: ignore[misc]
        base = [r + 1.0, g + 1.0, b + 1.0, float(image.width), float(image.height)]
        return normalize([base[i % len(base)] for i in range(self.embedding_dim)])
