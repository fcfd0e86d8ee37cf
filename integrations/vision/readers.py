"""Text in images (RapidOCR, ONNX models shipped in its wheel) and the NSFW check (nudenet, ONNX model shipped
in its wheel). Both load lazily on first use, once per instance, and are shared by every backend.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from integrations.vision.base import VisionUnavailable

# nudenet classes that make an image not safe for work (the *_COVERED and FACE_* classes do not).
NSFW_CLASSES = frozenset(
    {
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    box: tuple[int, int, int, int]  # x, y, width, height


@dataclass(frozen=True)
class TextReading:
    lines: list[TextLine]
    share: float  # of the image area covered by text boxes

    @property
    def text(self) -> str:
        return " ".join(line.text for line in self.lines)


class TextReader:
    """OCR with RapidOCR (PP-OCRv4 detection + recognition, ONNX Runtime, CPU)."""

    name = "rapidocr"

    def __init__(self, *, min_score: float = 0.5) -> None:
        self.min_score = min_score
        self._engine: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._engine is None:
                try:
                    from rapidocr_onnxruntime import RapidOCR
                except ImportError as exc:  # pragma: no cover - a dependency of the package
                    raise VisionUnavailable("Text reading needs rapidocr-onnxruntime installed.") from exc
                self._engine = RapidOCR()

    def read(self, image: Image.Image) -> TextReading:
        self.load()
        result, _ = self._engine(image.convert("RGB"))
        lines: list[TextLine] = []
        covered = 0.0
        for quad, text, score in result or []:
            if float(score) < self.min_score or not str(text).strip():
                continue
            pts = np.asarray(quad, dtype=np.float64)
            x0, y0 = pts.min(axis=0)
            x1, y1 = pts.max(axis=0)
            box = (round(x0), round(y0), round(x1 - x0), round(y1 - y0))
            covered += box[2] * box[3]
            lines.append(TextLine(str(text).strip(), round(float(score), 3), box))
        lines = _reading_order(lines)
        share = min(1.0, covered / float(image.width * image.height)) if lines else 0.0
        return TextReading(lines, round(share, 3))


def _reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Top to bottom, and left to right within a row (boxes whose centres are within half a line height)."""
    if not lines:
        return lines
    ordered = sorted(lines, key=lambda ln: ln.box[1] + ln.box[3] / 2)
    rows: list[list[TextLine]] = []
    for line in ordered:
        centre = line.box[1] + line.box[3] / 2
        if rows:
            last = rows[-1][0]
            if abs(centre - (last.box[1] + last.box[3] / 2)) <= max(last.box[3], line.box[3]) / 2:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [ln for row in rows for ln in sorted(row, key=lambda ln: ln.box[0])]


@dataclass(frozen=True)
class NsfwVerdict:
    nsfw: bool
    score: float  # the highest score among the NSFW classes found (0 when none)
    classes: list[str]


class NsfwDetector:
    """nudenet's detector (YOLO-based, 320 px, ONNX Runtime)."""

    name = "nudenet"

    def __init__(self, *, threshold: float = 0.5) -> None:
        self.threshold = threshold
        self._detector: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        with self._lock:
            if self._detector is None:
                try:
                    from nudenet import NudeDetector
                except ImportError as exc:  # pragma: no cover - a dependency of the package
                    raise VisionUnavailable("The NSFW check needs nudenet installed.") from exc
                self._detector = NudeDetector()

    def check(self, image: Image.Image) -> NsfwVerdict:
        self.load()
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        found = [d for d in self._detector.detect(bgr) if d["class"] in NSFW_CLASSES]
        score = max((float(d["score"]) for d in found), default=0.0)
        classes = sorted({d["class"] for d in found if float(d["score"]) >= self.threshold})
        return NsfwVerdict(nsfw=score >= self.threshold, score=round(score, 3), classes=classes)
