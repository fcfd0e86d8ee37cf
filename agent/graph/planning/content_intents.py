"""The rules planner's content intents: threads, tone, translation, alt text, the user's edits and voice rules.

"split this into a thread", "make draft #3 a Bluesky thread", "translate draft #3 to French",
"rewrite this more casual", "make it sound more professional", "alt text for this image",
"edit draft #3: <new text>", "list my voice rules", "delete rule 3". ``agent/planner.py`` asks
:func:`content_intent` first and runs :func:`content_step` for these intents.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from agent.content.briefs import detect_platforms
from agent.content.understand import body_of, parse
from agent.graph.turn import call, ran_tools
from prompts.languages import language_name, normalize_language, requested_language
from prompts.threads import THREAD_PLATFORMS

THREAD, TONE, TRANSLATE, ALT_TEXT = "thread", "tone", "translate", "alt_text"
VOICE_RULES, DELETE_RULE, EDIT = "voice_rules", "delete_rule", "edit"
CONTENT_INTENTS = frozenset({THREAD, TONE, TRANSLATE, ALT_TEXT, VOICE_RULES, DELETE_RULE, EDIT})

_POLITE = r"^\s*(?:(?:please|pls|can you|could you|would you|hey|ok|okay|now)[\s,]+)*"
_REF = r"(?:this|it|that|draft\s*#?\s*\d+|#\s*\d+|the\s+(?:draft|post|caption|text|last one))"
_THREAD = re.compile(
    _POLITE + r"(?:split|break|chop|cut)\b[^\n]*\bthread"
    r"|"
    + _POLITE
    + rf"(?:turn|make|convert)\s+{_REF}\s+(?:in(?:to)?\s+|as\s+)?(?:an?\s+)?[^\n]{{0,30}}\bthread"
    r"|" + _POLITE + rf"thread\s+{_REF}",
    re.IGNORECASE,
)
_TONES = (
    "casual|formal|professional|playful|friendly|friendlier|relaxed|serious|fun|funnier|funny|witty|warm|"
    "warmer|bold|bolder|confident|informal|conversational|punchy|punchier|excited|enthusiastic|calm|polite|"
    "upbeat|luxurious|premium|humble|direct|gen z|corporate|chatty"
)
_TONE_REWRITE = re.compile(_POLITE + r"(?:rewrite|rephrase|reword|redo|re-write)\b(?P<rest>.*)$", re.I | re.S)
_TONE_MAKE = re.compile(
    _POLITE + rf"(?:make|have)\s+(?P<ref>{_REF})\s+(?:sound\s+|feel\s+|read\s+)?(?P<rest>(?:more|less)\b.*|"
    rf"(?:{_TONES})\b.*)$",
    re.IGNORECASE | re.DOTALL,
)
_TONE_IN = re.compile(r"\bin\s+an?\s+(?P<t>[\w ,-]{2,40}?)\s+(?:tone|voice|style|way)\b", re.I)
_TONE_MORE = re.compile(rf"\b(?P<dir>more|less)\s+(?P<t>{_TONES})\b", re.I)
_TONE_WORD = re.compile(rf"\b(?P<t>{_TONES})\b", re.I)
_COMPARATIVE = {
    "friendlier": "friendly",
    "funnier": "funny",
    "warmer": "warm",
    "bolder": "bold",
    "punchier": "punchy",
}
_OPPOSITE = {
    "formal": "casual",
    "professional": "casual",
    "corporate": "casual",
    "serious": "playful",
    "casual": "professional",
    "informal": "professional",
    "playful": "serious",
    "chatty": "professional",
}
_TRANSLATE = re.compile(_POLITE + r"(?:translate|translation of)\b", re.IGNORECASE)
_ALT = re.compile(
    r"\balt(?:ernative)?[\s-]?text\b|\bimage descriptions?\b|\bdescribe\b[^\n]*\bfor (?:a |the )?(?:blind|screen readers?)",
    re.IGNORECASE,
)
_ASSET_REF = re.compile(r"\b(?:asset|image|photo|picture|video)\s*#?\s*(\d+)", re.IGNORECASE)
_LIST_RULES = re.compile(
    r"\b(?:list|show|see|view|what are|which are|tell me)\b[^\n]*\b(?:voice|brand|style|writing|learned)\s+rules\b"
    r"|^\s*(?:my\s+)?(?:voice|brand)\s+rules\s*\??\s*$|\bwhat (?:rules )?have you learned\b",
    re.IGNORECASE,
)
_DELETE_RULE = re.compile(
    _POLITE
    + r"(?:delete|remove|drop|forget|cancel)\s+(?:(?:my|the|this|that|voice|brand|style)\s+)*rule\s*#?\s*(?P<id>\d+)",
    re.IGNORECASE,
)
_EDIT = re.compile(
    _POLITE + r"(?:(?:edit|change|update|replace|set)\s+(?:the\s+text\s+of\s+)?"
    r"|(?:here(?:'s| is)\s+)?my\s+(?:edit|version)\s+of\s+)"
    r"(?:draft\s*#?\s*|#\s*)(?P<id>\d+)\s*(?:to|with|as|into)?\s*[:\n]\s*(?P<text>\S.*)$",
    re.IGNORECASE | re.DOTALL,
)
_DRAFT_ID = re.compile(r"(?:\bdraft\s*#?\s*|#\s*)(\d+)", re.IGNORECASE)


def content_intent(text: str) -> str | None:
    """One of :data:`CONTENT_INTENTS`, or None."""
    first = text.strip().split("\n", 1)[0]
    if _EDIT.match(text):
        return EDIT
    if _DELETE_RULE.match(first):
        return DELETE_RULE
    if _LIST_RULES.search(first):
        return VOICE_RULES
    if _TRANSLATE.match(first):
        return TRANSLATE
    if _THREAD.match(first):
        return THREAD
    if _ALT.search(first):
        return ALT_TEXT
    if (_TONE_REWRITE.match(first) and tone_of(first)) or _TONE_MAKE.match(first):
        return TONE
    return None


def tone_of(text: str) -> str | None:
    """'rewrite this more casual' -> 'casual'; 'less formal' -> 'casual'; 'in a warm, witty tone' -> 'warm, witty'."""
    if m := _TONE_IN.search(text):
        return m["t"].strip()
    if m := _TONE_MORE.search(text):
        tone = _COMPARATIVE.get(m["t"].lower(), m["t"].lower())
        return _OPPOSITE.get(tone, f"less {tone}") if m["dir"].lower() == "less" else tone
    if m := _TONE_WORD.search(text):
        return _COMPARATIVE.get(m["t"].lower(), m["t"].lower())
    return None


_NAMES_A_POST = re.compile(
    r"#\s*\d+|\b(?:draft|post)\s*#?\s*\d+|\b(?:this|it|that|these)\b|\bthe\s+(?:draft|post|caption|text|last one)\b",
    re.IGNORECASE,
)


def _source_args(text: str, latest: Callable[[], int | None]) -> dict[str, Any] | None:
    body = body_of(text)
    if body:
        return {"text": body}
    m = _DRAFT_ID.search(text.strip().split("\n", 1)[0])
    draft = int(m.group(1)) if m else latest()
    return {"draft_id": draft} if draft else None


def content_calls(
    intent: str,
    text: str,
    *,
    platforms: Sequence[str],
    assets: Sequence[dict[str, Any]],
    latest_draft: Callable[[], int | None],
    latest_visual_asset: Callable[[], int | None],
) -> tuple[list[dict[str, Any]], str]:
    """The tool calls for a content intent, or ("", a question) when something is missing."""
    first = text.strip().split("\n", 1)[0]
    if intent == EDIT and (m := _EDIT.match(text)):
        return [call("edit_draft", draft_id=int(m["id"]), text=m["text"].strip())], ""
    if intent == DELETE_RULE and (m := _DELETE_RULE.match(first)):
        return [call("delete_voice_rule", rule_id=int(m["id"]))], ""
    if intent == VOICE_RULES:
        return [call("list_voice_rules")], ""
    if intent == ALT_TEXT:
        ids = [int(a["id"]) for a in assets if a.get("kind") in ("image", "video")]
        if not ids and (m := _ASSET_REF.search(first)):
            ids = [int(m.group(1))]
        if not ids and (latest := latest_visual_asset()):
            ids = [latest]
        if not ids:
            return [], "Attach the image (or name it: “alt text for image #12”) and I'll write its alt text."
        return [call("write_alt_text", asset_id=i) for i in ids], ""
    if intent == THREAD and not body_of(text) and not _NAMES_A_POST.search(first):
        # "write a thread about 5 lessons from …": the points are the user's to give, never made up
        about = parse(first).subject
        return [], (
            f"For a thread{f' about {about}' if about else ''}, give me what each post should say — one per "
            "line, or after a colon (“thread: first point. Second point. …”) — and I'll number them into a "
            "thread. I don't make up the points. To split a draft, name it: “split draft #3 into a thread”."
        )
    source = _source_args(text, latest_draft)
    if source is None:
        return [], "Which post? Name a draft (“draft #3”) or put the text after a colon."
    named = detect_platforms(first)
    if intent == THREAD:
        target = next((p for p in named if p in THREAD_PLATFORMS), None)
        return [call("split_thread", **source, **({"platform": target} if target else {}))], ""
    if "text" in source and platforms:
        source["platform"] = (named or list(platforms))[0]
    if intent == TRANSLATE:
        code = requested_language(first) or _any_language(first)
        if code is None:
            return [], "Into which language? E.g. “translate draft #3 to French”."
        return [call("translate", language=language_name(code), **source)], ""
    if intent == TONE:
        tone = tone_of(first)
        if tone is None:
            return [], "Which tone? E.g. “rewrite this more casual” or “… in a professional tone”."
        return [call("rewrite_tone", tone=tone, **source)], ""
    return [], ""


def _any_language(text: str) -> str | None:
    for word in re.findall(r"[^\W\d_]+", text):
        if len(word) > 3 and (code := normalize_language(word)):
            return code
    return None


def content_step(
    intent: str,
    text: str,
    *,
    turn: Sequence[AnyMessage],
    platforms: Sequence[str],
    assets: Sequence[dict[str, Any]],
    latest_draft: Callable[[], int | None],
    latest_visual_asset: Callable[[], int | None],
) -> AIMessage:
    """The planner's next message for a content intent: the tool calls, then (once they ran) an empty
    answer that the respond node turns into the reply."""
    meta = {"planner": "rules", "intent": intent}
    if ran_tools(turn):
        return AIMessage(content="", response_metadata=meta)
    calls, question = content_calls(
        intent,
        text,
        platforms=platforms,
        assets=assets,
        latest_draft=latest_draft,
        latest_visual_asset=latest_visual_asset,
    )
    return AIMessage(content=question, tool_calls=calls, response_metadata=meta)
