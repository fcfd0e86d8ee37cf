"""The describe pipeline both model backends share: a classifier (CLIP zero-shot or ImageNet mapped onto the
vocabulary) + OCR + NSFW check + colours + crop advice + alt text. A backend supplies only ``_classify``.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable

from PIL import Image

from integrations.vision.analysis import (
    MEASURED_TERMS,
    alt_text,
    color_labels,
    crop_advice,
    dominant_colors,
    format_labels,
    light_labels,
    order_labels,
    prepare,
    subject_phrase,
)
from integrations.vision.base import Label, VisionBackend, VisionResult
from integrations.vision.readers import NsfwDetector, TextReader
from integrations.vision.vocabulary import Vocabulary, crop_rules, load_vocabulary


class ModelBackend(VisionBackend):
    """Shared pipeline. ``pixel_categories``: vocabulary categories measured from pixels, not classified."""

    pixel_categories: frozenset[str] = frozenset()

    def __init__(
        self,
        *,
        vocabulary: Vocabulary | None = None,
        ocr: TextReader | None = None,
        nsfw: NsfwDetector | None = None,
    ) -> None:
        self.vocabulary = vocabulary or load_vocabulary()
        self.ocr = ocr or TextReader()
        self.nsfw = nsfw or NsfwDetector()

    @abstractmethod
    def load(self) -> None:
        """Load the classifier's weights (idempotent, thread-safe)."""

    @abstractmethod
    def _classify(self, image: Image.Image) -> tuple[list[Label], list[float] | None]:
        """Vocabulary labels for the prepared image, and its embedding (or None)."""

    def warm_up(self) -> None:
        """Load every model now (the first describe would otherwise pay for it)."""
        self.load()
        self.ocr.load()
        self.nsfw.load()

    def describe(self, image: Image.Image) -> VisionResult:
        width, height = upright_size(image)
        prepared = prepare(image)
        classified, embedding = self._classify(prepared)
        labels: list[Label] = [lb for lb in classified if lb.label not in MEASURED_TERMS]
        reading = self.ocr.read(prepared)
        colors = dominant_colors(prepared, self.vocabulary.palette)
        labels += format_labels(width, height, reading.share, bool(reading.lines))
        if "colors" in self.pixel_categories:
            labels += color_labels(prepared, colors, self.vocabulary)
        if {"moods", "styles"} & self.pixel_categories:
            labels += light_labels(prepared, colors, self.vocabulary)
        ordered = order_labels(labels)
        verdict = self.nsfw.check(prepared)
        return VisionResult(
            labels=ordered,
            text=reading.text,
            alt_text=alt_text(ordered, reading.text, colors, self.vocabulary),
            subject=subject_phrase(ordered, self.vocabulary),
            colors=colors,
            crop=crop_advice(width, height, crop_rules()),
            nsfw=verdict.nsfw,
            nsfw_score=verdict.score,
            backend=self.name,
            width=width,
            height=height,
            embedding=embedding,
        )


def upright_size(image: Image.Image) -> tuple[int, int]:
    """The size of the image once upright (EXIF orientations 5-8 swap width and height)."""
    orientation = image.getexif().get(0x0112, 1)
    w, h = image.size
    return (h, w) if orientation in {5, 6, 7, 8} else (w, h)


def top_labels(scored: Iterable[tuple[str, str, float]], *, minimum: float, limit: int) -> list[Label]:
    """(label, category, score) triples above ``minimum``, best first, at most ``limit``."""
    chosen = sorted((s for s in scored if s[2] >= minimum), key=lambda s: -s[2])[:limit]
    return [Label(label, round(float(score), 3), category) for label, category, score in chosen]
