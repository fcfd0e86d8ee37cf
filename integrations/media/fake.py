"""A scripted transcriber for unit tests: no model, instant; it reports progress and counts its calls."""

from __future__ import annotations

from pathlib import Path

from integrations.media.whisper import Progress, Segment, Transcript


class FakeTranscriber:
    def __init__(
        self,
        text: str = "Today we are launching our new oat latte. It is creamy and smooth.",
        *,
        language: str = "en",
        duration: float = 6.0,
    ) -> None:
        self.text = text
        self.language = language
        self.duration = duration
        self.calls: list[Path] = []

    def cache_key(self, *, language: str | None, multilingual: bool) -> str:
        return f"fake|{language or 'auto'}|{multilingual}"

    def transcribe(
        self,
        path: Path,
        *,
        language: str | None = None,
        multilingual: bool = False,
        on_progress: Progress | None = None,
    ) -> Transcript:
        self.calls.append(path)
        parts = [p.strip() + "." for p in self.text.split(".") if p.strip()]
        step = self.duration / max(len(parts), 1)
        segments = [Segment(round(i * step, 2), round((i + 1) * step, 2), p) for i, p in enumerate(parts)]
        for seg in segments:
            if on_progress:
                on_progress(seg.end, self.duration)
        return Transcript(
            text=" ".join(s.text for s in segments),
            language=language or self.language,
            language_probability=1.0,
            duration=self.duration,
            model="fake",
            segments=segments,
            language_detected=language is None,
        )
