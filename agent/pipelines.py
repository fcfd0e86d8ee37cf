"""The rules planner's per-input pipelines: what to run for an image, a voice note, a video, a document or a
link. Each step is derived from the tool results already in this turn, like the text pipelines.

* image      -> describe_image -> write_caption (subject from the labels / alt text, the image as media)
                [+ suggest_hashtags for a caption short of its platform's hashtag norm]
* voice note -> transcribe -> write_script + write_caption
* video      -> transcribe + describe_image (keyframes) -> write_script + write_caption (the video as media)
* document   -> summarize -> write_caption
* link       -> read_url -> summarize -> write_caption (a link to an image/audio/video runs that pipeline)

``describe_image`` runs only when that tool is offered (``TOOLS``). When every step has run, the planner's
answer says what was heard, read and seen, then the drafts.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage

from agent.context import Context
from integrations.writers.longform import topic_of
from prompts.languages import requested_language

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


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": f"call_{uuid.uuid4().hex[:16]}", "type": "tool_call"}


def offered_tools() -> set[str]:
    from tools import TOOLS

    return {t.name for t in TOOLS}


def _results(turn: Sequence[AnyMessage]) -> list[tuple[str, dict[str, Any]]]:
    from langchain_core.messages import ToolMessage

    out = []
    for m in turn:
        if isinstance(m, ToolMessage):
            art = getattr(m, "artifact", None)
            out.append((m.name or "", art if isinstance(art, dict) else {}))
    return out


def _by(results: list[tuple[str, dict[str, Any]]], tool: str) -> list[dict[str, Any]]:
    return [art for name, art in results if name == tool]


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
    ctx: Context,
) -> AIMessage | None:
    """The next step of this turn's media/link pipeline; None when the turn has no such input."""
    if intent in SKIP_INTENTS:
        return None
    assets = list(state.get("assets") or [])
    urls = list(state.get("urls") or [])
    if not assets and not urls:
        return None
    calls = _next(assets, urls, text, platforms, _results(turn), offered_tools())
    meta = {"planner": "rules", "intent": intent, "pipeline": "media"}
    if calls:
        return AIMessage(content="", tool_calls=calls, response_metadata=meta)
    return AIMessage(content=final_reply(turn, ctx), response_metadata=meta)


def _next(
    assets: list[dict[str, Any]],
    urls: list[str],
    text: str,
    platforms: list[str],
    results: list[tuple[str, dict[str, Any]]],
    tools: set[str],
) -> list[dict[str, Any]]:
    ran = {name for name, _ in results}
    # links are read first; what they turn out to be joins the turn's assets
    if urls and "read_url" not in ran:
        return [_call("read_url", url=u) for u in urls]
    for art in _by(results, "read_url"):
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
    heard = {a.get("asset_id") for a in _by(results, "transcribe")}
    seen = {a.get("asset_id") for a in _by(results, "describe_image")}
    summarized = {a.get("asset_id") for a in _by(results, "summarize")}
    calls = [_call("transcribe", asset_id=i) for i in speech_ids if i not in heard]
    if "describe_image" in tools and not only_transcript and not only_summary:
        calls += [_call("describe_image", asset_id=i) for i in visual_ids if i not in seen]
    if calls:
        return calls
    if only_transcript:
        return []
    calls = [_call("summarize", asset_id=i) for i in documents if i not in summarized]
    if not calls and only_summary:
        calls = [_call("summarize", asset_id=i) for i in speech_ids if i not in summarized]
    if calls:
        return calls
    if only_summary:
        return []

    # 2. create
    transcripts = [a for a in _by(results, "transcribe") if a.get("type") == "transcript" and a.get("text")]
    visions = [a for a in _by(results, "describe_image") if a.get("type") == "vision"]
    summaries = [a for a in _by(results, "summarize") if a.get("type") == "summary"]
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
        calls.append(_call("write_script", **args))
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
                calls.append(_call("write_caption", **args))
    if calls:
        return calls
    # 3. tag the photo captions the writer left short of hashtags
    if images and "suggest_hashtags" not in ran:
        from agent.planner import drafts_short_of_tags

        drafts = drafts_short_of_tags([a for a in _by(results, "write_caption") if a.get("type") == "draft"])
        return [_call("suggest_hashtags", draft_id=d["id"]) for d in drafts]
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
        from tools.briefs import extract_subject

        return extract_subject(text)[:300]
    return ""


# -- the final answer --------------------------------------------------------------------------------------


def final_reply(turn: list[AnyMessage], ctx: Context) -> str:
    """What was heard, seen and read in this turn, then the usual reply (drafts, hashtags, errors)."""
    from agent.nodes import compose_reply, latest_drafts
    from agent.planner import artifacts

    parts: list[str] = []
    results = _results(turn)
    for art in _by(results, "transcribe"):
        if art.get("type") != "transcript":
            continue
        if art.get("text"):
            text = art["text"] if len(art["text"]) <= 600 else art["text"][:600].rsplit(" ", 1)[0] + " …"
            parts.append(
                f"🎙️ Transcript of “{art.get('filename') or 'your recording'}” "
                f"({_clock(art.get('duration_s') or 0)}, {art.get('language')}, {art.get('model')}):\n{text}"
            )
        else:
            parts.append(f"🎙️ I heard no speech in “{art.get('filename') or 'your recording'}”.")
    for art in _by(results, "describe_image"):
        if art.get("type") == "vision":
            labels = ", ".join(str(lb.get("label")) for lb in (art.get("labels") or [])[:5])
            parts.append(
                f"🖼️ I see: {labels or 'nothing I recognise'}."
                + (f" Alt text: {art['alt_text']}" if art.get("alt_text") else "")
            )
    for art in _by(results, "read_url"):
        if art.get("type") == "page":
            parts.append(f"🔗 Read “{art.get('title') or art.get('final_url')}” ({art.get('words')} words).")
    for art in _by(results, "summarize"):
        if art.get("type") == "summary":
            points = "\n".join(f"- {p}" for p in art.get("key_points") or [])
            parts.append(
                f"📝 **{art.get('title')}**\n{art.get('summary')}"
                + (f"\n\nKey points:\n{points}" if points else "")
            )
    if latest_drafts(turn) or artifacts(turn, "error") or artifacts(turn, "hashtags") or not parts:
        parts.append(compose_reply(turn, ctx))
    return "\n\n".join(parts)


def _clock(seconds: float) -> str:
    total = round(float(seconds))
    return f"{total // 60}:{total % 60:02d}"


# -- what the LLM planner is told about the attachments ---------------------------------------------------


def with_attachment_note(history: list[AnyMessage], state: dict[str, Any]) -> list[AnyMessage]:
    """The history with the turn's attachments named in the last user message (ids the tools take)."""
    assets = state.get("assets") or []
    if not assets:
        return history
    from agent.assets import PUBLIC_META_KEYS

    lines = []
    for a in assets:
        meta = {k: v for k, v in (a.get("meta") or {}).items() if k in PUBLIC_META_KEYS and k != "exif"}
        described = ", ".join(
            f"{k}={v}" for k, v in meta.items() if k in ("duration_s", "width", "height", "language", "title")
        )
        lines.append(
            f"- asset_id={a['id']}: {a['kind']} “{a.get('filename')}”"
            + (f" ({described})" if described else "")
        )
    note = "\n\n[Attached to this message:\n" + "\n".join(lines) + "]"
    for i in range(len(history) - 1, -1, -1):
        message = history[i]
        if isinstance(message, HumanMessage):
            content = message.content if isinstance(message.content, str) else str(message.content)
            return [*history[:i], HumanMessage(content=content + note, id=message.id), *history[i + 1 :]]
    return history
