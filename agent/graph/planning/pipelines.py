"""The rules planner's per-input pipelines: what to run for an image, a voice note, a video, a document or a
link. Each step is derived from the tool results already in this turn, like the text pipelines.

* image      -> describe_image -> write_caption (subject from the labels / alt text, the image as media)
                [+ suggest_hashtags for a caption short of its platform's hashtag norm]
* voice note -> transcribe -> write_script + write_caption
* video      -> transcribe + describe_image (keyframes) -> write_script + write_caption (the video as media)
* document   -> summarize -> write_caption
* link       -> read_url -> summarize -> write_caption (a link to an image/audio/video runs that pipeline)

``describe_image`` runs only when that tool is offered (``TOOL_NAMES``). When every step has run, the planner's
answer says what was heard, read and seen, then the drafts.
"""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage

from agent.content.briefs import extract_subject
from agent.content.writers.longform import topic_of
from agent.graph.reply import final_reply
from agent.graph.turn import by_tool, call, drafts_short_of_tags, results
from prompts.languages import requested_language
from tools import TOOL_NAMES

SKIP_INTENTS = frozenset(
    {"remember", "recall", "approve", "schedule", "publish_now", "queue", "cancel_post", "reschedule"}
)
VIDEO_PLATFORMS = ("tiktok", "instagram", "youtube", "facebook", "linkedin")
_TRANSCRIBE_ONLY = re.compile(r"\b(transcri\w*|what (?:does|did) (?:it|he|she|they|this) say)\b", re.I)
_SUMMARY_ONLY = re.compile(r"\b(summar\w*|tl;?dr|key points|gist)\b", re.I)
_WRITE = re.compile(
    r"\b(caption|post|tweet|thread|write|draft|script|reel|tiktok|short|video|story|turn (?:this|it) into)\w*",
    re.I,
)


def script_platform(text: str, platforms: list[str]) -> str:
    lowered = text.lower()
    if "tiktok" in lowered:
        return "tiktok"
    if re.search(r"\b(reels?|instagram|insta)\b", lowered):
        return "instagram"
    if re.search(r"\b(shorts?|youtube)\b", lowered):
        return "youtube"
    return next((p for p in platforms if p in VIDEO_PLATFORMS), "instagram")


def vision_subject(art: dict[str, Any]) -> str:
    for key in ("subject", "alt_text"):
        value = str(art.get(key) or "").strip().rstrip(".")
        if value:
            return value[:200]
    labels = [str(lb.get("label")) for lb in art.get("labels") or [] if lb.get("label")]
    return ", ".join(labels[:3])


def vision_visuals(art: dict[str, Any]) -> list[str]:
    labels = [str(lb.get("label")) for lb in art.get("labels") or [] if lb.get("label")][:6]
    for frame in art.get("keyframes") or []:
        for lb in frame.get("labels") or []:
            if lb.get("label") and lb["label"] not in labels:
                labels.append(str(lb["label"]))
    return labels[:8]


def media_step(
    state: dict[str, Any],
    *,
    text: str,
    platforms: list[str],
    intent: str,
    turn: list[AnyMessage],
) -> AIMessage | None:
    """The next step of this turn's media/link pipeline; None when the turn has no such input."""
    if intent in SKIP_INTENTS:
        return None
    assets = list(state.get("assets") or [])
    urls = list(state.get("urls") or [])
    if not assets and not urls:
        return None
    calls = _next(assets, urls, text, platforms, results(turn), TOOL_NAMES)
    meta = {"planner": "rules", "intent": intent, "pipeline": "media"}
    if calls:
        return AIMessage(content="", tool_calls=calls, response_metadata=meta)
    return AIMessage(content=final_reply(turn), response_metadata=meta)


def _next(
    assets: list[dict[str, Any]],
    urls: list[str],
    text: str,
    platforms: list[str],
    found: list[tuple[str, dict[str, Any]]],
    tools: AbstractSet[str],
) -> list[dict[str, Any]]:
    ran = {name for name, _ in found}
    # links are read first; what they turn out to be joins the turn's assets
    if urls and "read_url" not in ran:
        return [call("read_url", url=u) for u in urls]
    for art in by_tool(found, "read_url"):
        if art.get("type") == "asset":
            assets.append(art)
        elif art.get("type") == "page":
            assets.append({"id": art["asset_id"], "kind": "url", "meta": {"title": art.get("title")}})
    if not assets:
        return []
    wants_write = bool(_WRITE.search(text)) or not text.strip()
    only_transcript = bool(_TRANSCRIBE_ONLY.search(text)) and not wants_write
    only_summary = bool(_SUMMARY_ONLY.search(text)) and not wants_write

    images = [a["id"] for a in assets if a.get("kind") == "image"]
    videos = [a for a in assets if a.get("kind") == "video"]
    audios = [a["id"] for a in assets if a.get("kind") == "audio"]
    documents = [a["id"] for a in assets if a.get("kind") in ("text", "url")]
    visual_ids = images + [v["id"] for v in videos]
    speech_ids = audios + [v["id"] for v in videos if (v.get("meta") or {}).get("has_audio", True)]

    # 1. perceive: hear, see, read
    heard = {a.get("asset_id") for a in by_tool(found, "transcribe")}
    seen = {a.get("asset_id") for a in by_tool(found, "describe_image")}
    summarized = {a.get("asset_id") for a in by_tool(found, "summarize")}
    calls = [call("transcribe", asset_id=i) for i in speech_ids if i not in heard]
    if "describe_image" in tools and not only_transcript and not only_summary:
        calls += [call("describe_image", asset_id=i) for i in visual_ids if i not in seen]
    if calls:
        return calls
    if only_transcript:
        return []
    calls = [call("summarize", asset_id=i) for i in documents if i not in summarized]
    if not calls and only_summary:
        calls = [call("summarize", asset_id=i) for i in speech_ids if i not in summarized]
    if calls:
        return calls
    if only_summary:
        return []

    # 2. create
    transcripts = [a for a in by_tool(found, "transcribe") if a.get("type") == "transcript" and a.get("text")]
    visions = [a for a in by_tool(found, "describe_image") if a.get("type") == "vision"]
    summaries = [a for a in by_tool(found, "summarize") if a.get("type") == "summary"]
    brief = text.strip() or _default_brief(assets)
    if (videos or audios) and transcripts and "write_script" not in ran:
        source = next((t for t in transcripts if t["asset_id"] in [v["id"] for v in videos]), transcripts[0])
        visuals = [v for art in visions for v in vision_visuals(art)]
        args: dict[str, Any] = {
            "asset_id": source["asset_id"],
            "platform": script_platform(text, platforms),
            "brief": brief,
        }
        if visuals:
            args["visuals"] = visuals
        calls.append(call("write_script", **args))
    if "write_caption" not in ran:
        subject = _subject(transcripts, visions, summaries, text)
        # the material's language (a voice note, a document, a page) unless the request names one
        languages = [str(a.get("language") or "") for a in [*transcripts, *summaries] if a.get("language")]
        if subject and not text.strip():
            brief = f"{_default_brief(assets)}: {subject}"
        elif subject and visions and not transcripts:
            # "write a caption for this photo": a text model cannot see it (a small one says so)
            brief = f"{brief} (it shows {subject})"
        if subject or (videos or audios or images or documents):
            media = visual_ids[:10]
            for platform in platforms:
                args = {"brief": brief[:4000], "platform": platform}
                if subject:
                    args["subject"] = subject
                if media:
                    args["media"] = media
                if languages and not requested_language(text):
                    args["language"] = languages[0]
                calls.append(call("write_caption", **args))
    if calls:
        return calls
    # 3. tag the photo captions the writer left short of hashtags
    if images and "suggest_hashtags" not in ran:
        drafts = drafts_short_of_tags(
            [a for a in by_tool(found, "write_caption") if a.get("type") == "draft"]
        )
        return [call("suggest_hashtags", draft_id=d["id"]) for d in drafts]
    return []


def _default_brief(assets: list[dict[str, Any]]) -> str:
    kinds = {a.get("kind") for a in assets}
    if "video" in kinds:
        return "a post for this video"
    if "audio" in kinds:
        return "a post from my voice note"
    if "image" in kinds:
        return "a post for this photo"
    return "a post about this"


def _subject(
    transcripts: list[dict[str, Any]],
    visions: list[dict[str, Any]],
    summaries: list[dict[str, Any]],
    text: str,
) -> str:
    for art in transcripts:
        topic = topic_of(art["text"])
        if topic:
            return topic[:300]
    for art in visions:
        subject = vision_subject(art)
        if subject:
            return subject[:300]
    for art in summaries:
        title = str(art.get("title") or "").strip()
        if title:
            return title[:300]
    if text.strip():
        return extract_subject(text)[:300]
    return ""
