"""Writing tools: captions and hashtags, through the writer port, always within the platform's limit."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent import assets, repo
from agent.errors import StudioError
from agent.models import Draft
from agent.optimize.scorer import score_post
from integrations.writers.base import CaptionRequest, HashtagRequest
from prompts.counting import count, trim_to_limit
from prompts.platforms import rule
from tools.briefs import extract_subject
from tools.common import user_session
from tools.voice import voice_for

MAX_BRIEF_CHARS = 4000


def hashtag_block(hashtags: list[str]) -> str:
    return " ".join(f"#{t}" for t in hashtags)


def compose(text: str, hashtags: list[str]) -> str:
    """The text as it will be posted: caption, a blank line, the hashtags."""
    block = hashtag_block(hashtags)
    return f"{text}\n\n{block}" if block else text


def dedupe_tags(tags: list[str], limit: int) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for tag in tags:
        key = tag.lower()
        if tag and key not in seen:
            seen.add(key)
            out.append(tag)
    return out[:limit]


def fit(text: str, hashtags: list[str], platform: str) -> tuple[str, list[str]]:
    """Hashtags capped to the platform's maximum, then the caption trimmed so the whole post fits."""
    r = rule(platform)
    tags = dedupe_tags(hashtags, r.hashtags_max)
    while tags and count(hashtag_block(tags), r.counting) > r.limit // 3:
        tags = tags[:-1]
    room = r.limit - (count("\n\n" + hashtag_block(tags), r.counting) if tags else 0)
    return trim_to_limit(text.strip(), room, r.counting), tags


def draft_view(draft: Draft) -> dict[str, Any]:
    r = rule(draft.platform)
    return {
        "type": "draft",
        "id": draft.id,
        "platform": draft.platform,
        "platform_label": r.label,
        "kind": draft.kind,
        "text": draft.text,
        "hashtags": list(draft.hashtags),
        "length": count(compose(draft.text, list(draft.hashtags)), r.counting),
        "limit": r.limit,
        "score": draft.score,
        "writer": draft.writer,
        "status": draft.status,
        "fallback_reason": (draft.meta or {}).get("fallback_reason"),
        "media": list(draft.media or []),
    }


def _error(message: str) -> tuple[str, dict[str, Any]]:
    return message, {"type": "error", "message": message}


@tool(response_format="content_and_artifact")
def write_caption(
    brief: str,
    platform: str,
    runtime: ToolRuntime[Any],
    subject: str | None = None,
    media: list[int] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Write a ready-to-post caption for ONE platform and save it as a draft.

    Call once per target platform. `brief` is the user's request in their words; `subject` is what the
    post is about (derived from the brief when omitted). `media`: ids of the user's image/video assets to
    post with the caption (e.g. the photo it describes). Returns the draft id, its text and hashtags; the
    text always fits the platform's character limit.
    """
    brief = brief.strip()
    if not brief:
        return _error("The brief is empty: tell me what the post is about.")
    if len(brief) > MAX_BRIEF_CHARS:
        return _error(f"The brief is {len(brief)} characters; the most I take is {MAX_BRIEF_CHARS}.")
    try:
        r = rule(platform)
    except ValueError as exc:
        return _error(str(exc))
    with user_session(runtime) as (session, ctx):
        try:
            media_ids = assets.postable_media(session, user_id=ctx.user_id, asset_ids=media or [])
        except StudioError as exc:
            return _error(str(exc))
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        request = CaptionRequest(
            brief=brief,
            subject=(subject or extract_subject(brief)).strip()[:300],
            platform=r.name,
            platform_label=r.label,
            limit=r.limit,
            hashtags_norm=r.hashtags_norm,
            hashtags_max=r.hashtags_max,
            style=r.style,
            voice=voice,
        )
        result = ctx.services.writer.caption(request)
        text, tags = fit(result.text, result.hashtags, r.name)
        draft = repo.create_draft(
            session,
            user_id=ctx.user_id,
            thread_id=ctx.thread_id,
            platform=r.name,
            text=text,
            hashtags=tags,
            writer=result.writer,
            media=media_ids,
            score=score_post(text, tags, r.name, bool(media_ids), emoji_allowed=voice.emoji_allowed).total,
            meta={"brief": brief, "fallback_reason": result.fallback_reason}
            if result.fallback_reason
            else {"brief": brief},
        )
        view = draft_view(draft)
    summary = (
        f"Draft #{view['id']} for {r.label} ({view['length']}/{r.limit} characters):\n{compose(text, tags)}"
    )
    return summary, view


@tool(response_format="content_and_artifact")
def suggest_hashtags(
    runtime: ToolRuntime[Any],
    platform: str = "instagram",
    text: str | None = None,
    draft_id: int | None = None,
    count_wanted: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Suggest hashtags for a post on one platform, as many as work well there unless `count_wanted` says.

    Pass `draft_id` to tag a saved draft (its hashtags are replaced and the draft stays within the
    platform's limit), or `text` to tag any text.
    """
    with user_session(runtime) as (session, ctx):
        try:
            draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id) if draft_id else None
            r = rule(draft.platform if draft else platform)
        except (StudioError, ValueError) as exc:
            return _error(str(exc))
        source = draft.text if draft else (text or "").strip()
        if not source:
            return _error("Give me a draft_id or some text to find hashtags for.")
        wanted = r.hashtags_norm if count_wanted is None else max(0, min(count_wanted, r.hashtags_max))
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        subject = (draft.meta.get("brief") if draft else None) or source
        result = ctx.services.writer.hashtags(
            HashtagRequest(text=extract_subject(subject)[:2000], platform=r.name, count=wanted, voice=voice)
        )
        if draft is not None:
            merged = dedupe_tags(result.hashtags + list(draft.hashtags), wanted)
            new_text, tags = fit(draft.text, merged, r.name)
            new_score = score_post(
                new_text, tags, r.name, bool(draft.media), emoji_allowed=voice.emoji_allowed
            ).total
            draft = repo.update_draft(
                session,
                user_id=ctx.user_id,
                draft_id=draft.id or 0,
                text=new_text,
                hashtags=tags,
                score=new_score,
            )
            view = draft_view(draft)
            return f"Draft #{draft.id} hashtags: {hashtag_block(tags)}", view
        tags = dedupe_tags(result.hashtags, wanted)
    return f"Hashtags for {r.label}: {hashtag_block(tags)}", {
        "type": "hashtags",
        "platform": r.name,
        "hashtags": tags,
        "writer": result.writer,
    }
