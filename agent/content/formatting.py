"""Small formatting helpers shared by the writers, the tools and the replies."""

from __future__ import annotations


def clock(seconds: float) -> str:
    """Seconds as a media clock: 75.4 -> '1:15' (never negative)."""
    total = max(0, round(float(seconds)))
    return f"{total // 60}:{total % 60:02d}"


def clip(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word, with an ellipsis when cut."""
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
