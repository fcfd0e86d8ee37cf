"""The rules planner's optimization intents: which request means which optimization tool call.

"score draft #3", "improve draft #3", "give me 3 variants of draft #3", "when should I post on instagram",
"paste metrics csv …" (or any message carrying a metrics CSV), "compare us with Blue Bottle",
"why did post #4 underperform". ``agent/planner.py`` asks :func:`optimize_intent` before its writing
intents and turns :func:`optimize_calls` into tool calls.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from agent.content.briefs import detect_platforms
from agent.content.optimize.metrics_csv import map_columns

SCORE, IMPROVE, VARIANTS, BEST_TIME = "score", "improve", "variants", "best_time"
METRICS, COMPARE, DIAGNOSE = "metrics", "compare", "diagnose"
OPTIMIZE_INTENTS = frozenset({SCORE, IMPROVE, VARIANTS, BEST_TIME, METRICS, COMPARE, DIAGNOSE})

_POLITE = r"^\s*(?:(?:please|pls|can you|could you|would you|hey|ok|okay|now)[\s,]+)*"
_SCORE = re.compile(
    _POLITE + r"(?:score|rate|grade|evaluate|assess)\b|^\s*(?:what(?:'s| is)\s+the\s+score|how good is)\b",
    re.IGNORECASE,
)
_IMPROVE = re.compile(_POLITE + r"(?:improve|optimi[sz]e|punch up|polish)\b", re.IGNORECASE)
_VARIANT_WORD = re.compile(
    r"\b(?:a\s*/\s*b(?:\s+tests?)?|variants?|variations?|versions?|alternatives?)\b", re.I
)
_DRAFT_REF = re.compile(
    r"#\s*\d+|\bdraft\s*#?\s*\d+|\b(?:it|this|that|the draft|the post|the last one|the caption)\b", re.I
)
_COUNT = re.compile(
    r"\b(\d+|two|three|four|five|six)\s+(?:more\s+|different\s+|a\s*/\s*b\s+)*(?:variants?|variations?|versions?|alternatives?)",
    re.IGNORECASE,
)
_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_BEST_TIME = re.compile(
    _POLITE + r"(?:when\s+(?:should|do|can|shall|would)\s+(?:i|we)\s+(?:post|publish|share)"
    r"|when\s+is\s+the\s+best\s+time|what(?:'s| is)?\s+(?:the\s+)?best\s+(?:time|day|hour|slot)s?"
    r"|best\s+(?:time|day|hour|slot)s?\s+(?:to|for)\b|when\s+to\s+post|what\s+time\s+should)",
    re.IGNORECASE,
)
_METRICS = re.compile(
    _POLITE + r"(?:here (?:are|is)|paste|pasting|import|upload|record|add|save)\b[^\n]*"
    r"\b(?:metrics|stats|statistics|analytics|insights|csv|results|numbers)\b",
    re.IGNORECASE,
)
_COMPARE = re.compile(
    _POLITE + r"compare\b(?P<rest>.*)$|\bhow do (?:we|i) compare (?:with|to|against)\b(?P<rest2>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_DIAGNOSE = re.compile(
    r"\b(?:why did|diagnose|what went wrong|underperform\w*|low reach|flopp?(?:ed)?|did(?:n'?t| not) (?:do|perform) well|"
    r"perform(?:ed)? (?:badly|poorly)|do so (?:badly|poorly|well))\b",
    re.IGNORECASE,
)
_POST_REF = re.compile(r"\b(?:post|metrics?|row)\b|#\s*\d+", re.IGNORECASE)
_PLATFORM_TAIL = re.compile(
    r"\s+(?:on|for)\s+(?:instagram|insta|ig|linkedin|x|twitter|threads|bluesky|mastodon|facebook|fb|tiktok|youtube|pinterest)\b.*$",
    re.IGNORECASE,
)


def find_csv(text: str) -> str | None:
    """The CSV inside a message: from the first line that reads as a metrics header to the end."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        delimiter = next((d for d in (",", ";", "\t", "|") if line.count(d) >= 1), None)
        if delimiter is None:
            continue
        mapping, _ = map_columns(line.split(delimiter))
        known_metrics = {"impressions", "likes", "comments", "shares", "saves", "clicks"} & set(mapping)
        if known_metrics and ("date" in mapping or len(known_metrics) >= 2) and i + 1 < len(lines):
            return "\n".join(lines[i:]).strip()
    return None


def optimize_intent(text: str) -> str | None:
    """One of :data:`OPTIMIZE_INTENTS`, or None when the request is something else."""
    first_line = text.strip().split("\n", 1)[0]
    if find_csv(text) is not None or _METRICS.match(first_line):
        return METRICS
    if _BEST_TIME.match(first_line):
        return BEST_TIME
    if _SCORE.match(first_line):
        return SCORE
    if _IMPROVE.match(first_line) and not _VARIANT_WORD.search(first_line):
        return IMPROVE
    if _VARIANT_WORD.search(first_line) and _DRAFT_REF.search(first_line):
        return VARIANTS
    if _COMPARE.search(first_line):
        return COMPARE
    if _DIAGNOSE.search(first_line) and _POST_REF.search(first_line):
        return DIAGNOSE
    return None


def competitor_name(first_line: str) -> str | None:
    """'paste competitor metrics for Blue Bottle:' -> 'Blue Bottle'."""
    m = re.search(r"\bcompetitors?(?:'s)?\b(?P<rest>.*)$", first_line, re.IGNORECASE)
    if not m:
        return None
    rest = m["rest"]
    rest = re.sub(
        r"^(?:\s*(?:metrics|posts|csv|data|stats|numbers|results|for|of|from|named|called|is|are|:|-|–))+\s*",
        "",
        rest,
        flags=re.IGNORECASE,
    )
    name = re.split(r"[:\n(]|\s+(?:on|for)\s+(?:instagram|linkedin|x|twitter|facebook|tiktok)\b", rest)[0]
    name = name.strip(" .,;\"“”'")
    if not name:
        before = re.search(r"\bfor\s+(?P<name>[^:,(\n]+?)\s*(?:,|\(|:|$)", first_line[: m.start()], re.I)
        name = before["name"].strip(" .,;\"“”'") if before else ""
    return name[:100] or None


def _draft_id(text: str, latest: Callable[[], int | None]) -> int | None:
    m = re.search(r"(?:\bdraft\s*#?\s*|#\s*)(\d+)", text, re.IGNORECASE)
    return int(m.group(1)) if m else latest()


def optimize_calls(
    intent: str,
    text: str,
    platforms: Sequence[str],
    explicit_platforms: Sequence[str],
    latest_draft: Callable[[], int | None],
) -> list[tuple[str, dict[str, Any]]]:
    """The tool calls for an optimization intent (name, arguments)."""
    first_line = text.strip().split("\n", 1)[0]
    if intent == SCORE:
        m = re.search(r"[:\n]\s*(?P<body>\S.*)$", text, re.DOTALL)
        if m and not re.search(r"#\s*\d+|\bdraft\s*\d+", first_line, re.I):
            return [("score_post", {"text": m["body"].strip(), "platform": platforms[0]})]
        draft = _draft_id(first_line, latest_draft)
        return [("score_post", {"draft_id": draft})] if draft else []
    if intent == IMPROVE:
        draft = _draft_id(first_line, latest_draft)
        return [("improve_post", {"draft_id": draft})] if draft else []
    if intent == VARIANTS:
        draft = _draft_id(first_line, latest_draft)
        m = _COUNT.search(first_line)
        n = (int(m.group(1)) if m.group(1).isdigit() else _NUMBERS[m.group(1).lower()]) if m else 3
        return [("ab_variants", {"draft_id": draft, "n": n})] if draft else []
    if intent == BEST_TIME:
        return [("best_time", {"platform": p}) for p in platforms]
    if intent == METRICS:
        named = list(dict.fromkeys([*explicit_platforms, *detect_platforms(first_line)]))
        args: dict[str, Any] = {"csv_text": find_csv(text) or ""}
        if named:
            args["platform"] = named[0]
        name = competitor_name(first_line)
        if name:
            args["competitor"] = name
        return [("record_metrics", args)]
    if intent == COMPARE:
        m = _COMPARE.search(first_line)
        rest = ((m["rest"] or m["rest2"] or "") if m else "").strip()
        rest = re.sub(
            r"^(?:us|me|my posts|our posts|ourselves|my account|our account)\s+", "", rest, flags=re.I
        )
        rest = re.sub(r"^(?:with|to|against|vs\.?|versus)\s+", "", rest, flags=re.I)
        rest = re.sub(r"^(?:the\s+)?competitor\s+", "", rest, flags=re.I)
        name = _PLATFORM_TAIL.sub("", rest).strip(" ?.!\"“”'")
        args = {"name": name}
        named = list(dict.fromkeys([*explicit_platforms, *detect_platforms(first_line)]))
        if named:
            args["platform"] = named[0]
        return [("compare_competitor", args)]
    if intent == DIAGNOSE:
        m = re.search(r"\b(?P<kind>post|metrics?|row)?\s*#\s*(?P<id>\d+)", first_line, re.IGNORECASE)
        if m and (m["kind"] or "post").lower().startswith(("metric", "row")):
            return [("diagnose_reach", {"metric_id": int(m["id"])})]
        if m:
            return [("diagnose_reach", {"post_id": int(m["id"])})]
        return [("diagnose_reach", {})]
    return []
