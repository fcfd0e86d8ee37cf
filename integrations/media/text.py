"""Text inputs: decoding with a clear refusal, and the language of a text (py3langid, loaded on first use)."""

from __future__ import annotations

import codecs
import re
import threading
from typing import Any

from integrations.media.errors import MediaRejected

MIN_LANGUAGE_CONFIDENCE = 0.5
_URL = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)


def looks_like_text(head: bytes) -> bool:
    """The first bytes of a file decode as text (UTF-8 or UTF-16 with a BOM) with few control characters."""
    if not head:
        return False
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if b"\x00" in head:
        return False
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    return controls <= max(1, len(text) // 100)


def decode_text(data: bytes, name: str) -> tuple[str, str]:
    """(text, encoding) or :class:`MediaRejected` saying the file is not UTF-8 text."""
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MediaRejected(
            f"{name} is not UTF-8 text (and not an image, audio or video file I know). Save it as UTF-8."
        ) from None
    if "\x00" in text:
        raise MediaRejected(f"{name} holds binary data, not text.")
    return text, "utf-8"


def find_urls(text: str) -> list[str]:
    """The http(s) URLs in a text, in order, without trailing punctuation, each once."""
    urls = [u.rstrip(".,;:!?)]}'\"") for u in _URL.findall(text)]
    return list(dict.fromkeys(u for u in urls if len(u) > len("https://")))


class LanguageDetector:
    """The language of a text (ISO 639-1) with a confidence; the model loads on the first call."""

    def __init__(self) -> None:
        self._identifier: Any = None
        self._lock = threading.Lock()

    def _model(self) -> Any:
        with self._lock:
            if self._identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            return self._identifier

    def detect(self, text: str) -> tuple[str | None, float]:
        """('de', 0.99); (None, confidence) when the text is too short or mixed to tell."""
        sample = _URL.sub(" ", text)[:5000]
        if len(re.findall(r"\w{2,}", sample)) < 3:
            return None, 0.0
        language, confidence = self._model().classify(sample)
        confidence = float(confidence)
        return (str(language) if confidence >= MIN_LANGUAGE_CONFIDENCE else None), round(confidence, 3)


def text_meta(text: str, encoding: str, detector: LanguageDetector) -> dict[str, Any]:
    language, confidence = detector.detect(text)
    return {
        "encoding": encoding,
        "chars": len(text),
        "words": len(text.split()),
        "lines": text.count("\n") + 1,
        "language": language,
        "language_confidence": confidence,
    }
