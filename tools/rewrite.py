"""Rewriting tools: a post in another language or another tone, and alt text for an image.

Each rewrite is a NEW draft in the original's variant group (the original stays), fitted to the platform
by the same rules as every other output (voice rules, hashtag cap, condense, last-resort trim). Beside the
template writer, translations and tone rewrites go to the rewrite model (the packaged local model, started on
the first rewrite: ``agent.services.rewriting``), behind the same checks; a writer that cannot do a task says
so (the template writer does not translate), and the reply tells the user.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.tools import StructuredTool, tool
from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.content.fitting import compose, room_for
from agent.content.grounding import unsupported_facts
from agent.content.optimize.scorer import score_post
from agent.content.writers.base import AltTextRequest, ToneRequest, TranslateRequest
from agent.content.writers.output import fit_output
from agent.core import repo
from agent.core.errors import InputError, ToolFailed
from agent.core.models import Draft
from agent.core.repo import assets as asset_repo
from agent.services.context import Context
from agent.services.results import AltTextResult, NoticeResult, ToolOutput
from agent.services.rewriting import rewrite_writer
from prompts.languages import language_name, normalize_language
from prompts.platforms import PlatformRule
from tools.common import Target, load_target, tool_errors, user_session
from tools.vision import describe_image
from tools.voice import voice_for
from tools.writing import draft_result, material_language

MAX_TEXT_CHARS = 10_000
MAX_TONE_CHARS = 100


def _notice(message: str) -> ToolOutput:
    return message, NoticeResult(message=message, reply=message).model_dump(mode="json")


def _source(
    session: Session, ctx: Context, draft_id: int | None, text: str | None, platform: str | None
) -> Target:
    """The draft (or text) to rewrite, its hashtags and its platform's rule."""
    return load_target(
        session,
        ctx,
        draft_id=draft_id,
        text=text,
        platform=platform,
        missing="the text to rewrite",
        max_chars=MAX_TEXT_CHARS,
        verb="rewrite",
        thread="Draft #{id} is a thread; rewrite the draft it was split from, then split it.",
    )


def _save(
    session: Session,
    ctx: Context,
    draft: Draft | None,
    r: PlatformRule,
    *,
    text: str,
    hashtags: list[str],
    writer: str,
    meta: dict[str, Any],
    emoji_allowed: bool,
) -> Draft:
    group = None
    if draft is not None:
        group = repo.variant_group_of(session, user_id=ctx.user_id, draft=draft)
        meta = {"source_draft": draft.id, "brief": (draft.meta or {}).get("brief"), **meta}
    media = list(draft.media) if draft else []
    return repo.create_draft(
        session,
        user_id=ctx.user_id,
        thread_id=ctx.thread_id,
        platform=r.name,
        kind=draft.kind if draft else "caption",
        text=text,
        hashtags=hashtags,
        writer=writer,
        media=media,
        variant_group=group,
        score=score_post(text, hashtags, r, bool(media), emoji_allowed=emoji_allowed).total,
        meta={**meta, "limit": r.limit},
    )


def _save_result(
    session: Session,
    ctx: Context,
    draft: Draft | None,
    r: PlatformRule,
    result: Any,
    tags: list[str],
    voice: Any,
    meta: dict[str, Any],
    note: str | None = None,
) -> tuple[dict[str, Any], str, list[str]]:
    """A rewritten text fitted to the platform (voice rules, limit, hashtags) and saved as a new draft: its
    view, text and hashtags. ``meta`` says what was done; notes and a writer fallback are added to it."""
    new_text, new_tags, notes = fit_output(ctx.services.writer, result.text, tags, r, voice)
    meta = dict(meta)
    if result.fallback_reason:
        meta["fallback_reason"] = result.fallback_reason
    if note or notes:
        meta["note"] = " ".join([*([note] if note else []), *notes])
    saved = _save(
        session,
        ctx,
        draft,
        r,
        text=new_text,
        hashtags=new_tags,
        writer=result.writer,
        meta=meta,
        emoji_allowed=voice.emoji_allowed,
    )
    return draft_result(session, saved), new_text, new_tags


def _check_translation(ctx: Any, translated: str, source: str, writer: str, code: str) -> None:
    """A translation is saved only when it is in the language asked and states nothing the original does
    not (the same prices, days and times); otherwise the user is told, and nothing is saved."""
    detected, confidence = ctx.services.perception.ingestor.detector.detect(translated)
    if detected and detected != code and confidence >= 0.8 and len(translated.split()) >= 4:
        raise ToolFailed(
            f"{writer} answered in {language_name(detected)}, not {language_name(code)}, so I saved nothing. "
            "A larger model (STUDIO_LLM_MODEL) translates more reliably."
        )
    added = unsupported_facts(translated, source)
    if added:
        raise ToolFailed(
            f"{writer}'s translation states what the original does not ({', '.join(added)}), so I saved nothing."
        )


@tool(response_format="content_and_artifact")
@tool_errors
def translate(
    language: str,
    runtime: ToolRuntime[Any],
    draft_id: int | None = None,
    text: str | None = None,
    platform: str | None = None,
) -> ToolOutput:
    """Translate a post into another language and save it as a new draft (the original stays).

    `language`: the language wanted, as a name or code ("French", "fr", "Deutsch"). Pass `draft_id` of a
    saved draft, or `text` (+ `platform`). Needs a language model: without one, it says so and changes
    nothing.
    """
    code = normalize_language(language)
    if code is None:
        raise InputError(f"I don't know the language {language!r}; name it like “French” or “fr”.")
    name = language_name(code)
    with user_session(runtime) as (session, ctx):
        target = _source(session, ctx, draft_id, text, platform)
        draft, body, tags, r = target.draft, target.text, target.hashtags, target.rule
        stored = (draft.meta or {}).get("language") if draft else None
        source_language = material_language(ctx, [body], min_words=4) or stored
        if source_language == code:
            return _notice(f"That post is already in {name}.")
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name).model_copy(update={"language": code})
        result = rewrite_writer(ctx.services.writer, ctx.services.rewriter).translate(
            TranslateRequest(
                platform=r.name,
                platform_label=r.label,
                limit=room_for(r, tags),
                counting=r.counting,
                text=body,
                target_language=code,
                target_language_name=name,
                source_language=source_language,
                voice=voice,
            )
        )
        if not result.changed:
            if result.fallback_reason:  # a model was asked and failed: the template's "no model" is not it
                raise ToolFailed(
                    f"The model could not translate it into {name} ({result.fallback_reason}), so I saved nothing."
                )
            raise ToolFailed(result.note or f"{result.writer} could not translate it.")
        _check_translation(ctx, result.text, body, result.writer, code)
        view, new_text, new_tags = _save_result(
            session,
            ctx,
            draft,
            r,
            result,
            tags,
            voice,
            {"language": code, "translated_from": source_language},
        )
    origin = f"draft #{draft_id}" if draft_id else "your text"
    return f"Draft #{view['id']}: {origin} in {name} for {r.label}:\n{compose(new_text, new_tags)}", view


@tool(response_format="content_and_artifact")
@tool_errors
def rewrite_tone(
    tone: str,
    runtime: ToolRuntime[Any],
    draft_id: int | None = None,
    text: str | None = None,
    platform: str | None = None,
) -> ToolOutput:
    """Rewrite a post in another tone ("casual", "professional", "playful", "more formal") and save it as a
    new draft (the original stays). Pass `draft_id` of a saved draft, or `text` (+ `platform`). The facts,
    links and language are kept; the result fits the platform's limit.
    """
    tone = " ".join(tone.split())[:MAX_TONE_CHARS]
    if not tone:
        raise InputError("Which tone? E.g. “casual”, “professional” or “playful”.")
    with user_session(runtime) as (session, ctx):
        target = _source(session, ctx, draft_id, text, platform)
        draft, body, tags, r = target.draft, target.text, target.hashtags, target.rule
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        if draft is not None and (draft.meta or {}).get("language"):
            voice = voice.model_copy(update={"language": draft.meta["language"]})
        request = ToneRequest(
            platform=r.name,
            platform_label=r.label,
            limit=room_for(r, tags),
            counting=r.counting,
            text=body,
            tone=tone,
            voice=voice,
        )
        writer = rewrite_writer(ctx.services.writer, ctx.services.rewriter)
        result = writer.rewrite_tone(request)
        added = unsupported_facts(result.text, body) if writer is not ctx.services.writer else []
        if added:  # the rewrite model said what the post does not: the template writer's small rewrite
            result = ctx.services.writer.rewrite_tone(request)
            result = result.model_copy(
                update={
                    "fallback_reason": f"the local model added what the post does not say ({', '.join(added)})"
                }
            )
        if not result.changed:
            return _notice(f"I found nothing to change for a {tone} tone. " + (result.note or ""))
        view, new_text, new_tags = _save_result(
            session,
            ctx,
            draft,
            r,
            result,
            tags,
            voice,
            {"tone": tone, "language": voice.language},
            result.note,
        )
    return f"Draft #{view['id']} in a {tone} tone for {r.label}:\n{compose(new_text, new_tags)}", view


@tool(response_format="content_and_artifact")
@tool_errors
def write_alt_text(asset_id: int, runtime: ToolRuntime[Any], max_chars: int = 250) -> ToolOutput:
    """Write alt text (for screen readers) for an uploaded image or video by its asset id, from what image
    understanding sees (subject, labels, text in the picture). Stored with the asset; at most `max_chars`
    characters (20–1000, 250 by default).
    """

    limit = max(20, min(int(max_chars), 1000))
    see = cast(StructuredTool, describe_image).func
    assert see is not None
    _said, seen = see(asset_id=asset_id, runtime=runtime)
    if seen.get("type") != "vision":  # describe_image's error, said as it is
        raise ToolFailed(str(seen.get("message") or f"I could not look at asset #{asset_id}."))
    with user_session(runtime) as (session, ctx):
        voice = voice_for(session, user_id=ctx.user_id, platform=(ctx.platforms or ("instagram",))[0])
        labels = [str(lb.get("label")) for lb in seen.get("labels") or [] if lb.get("label")][:8]
        result = ctx.services.writer.alt_text(
            AltTextRequest(
                subject=str(seen.get("subject") or "")[:300],
                labels=labels,
                ocr_text=str(seen.get("text") or "")[:500],
                draft_alt_text=str(seen.get("alt_text") or "")[:500],
                max_chars=limit,
                language=voice.language,
                voice=voice,
            )
        )
        asset_repo.set_meta(
            session,
            user_id=ctx.user_id,
            asset_id=asset_id,
            key="alt_text",
            value={"text": result.alt_text, "writer": result.writer},
        )
    reply = f"Alt text for #{asset_id} ({len(result.alt_text)} characters): {result.alt_text}"
    artifact = AltTextResult(
        asset_id=asset_id,
        alt_text=result.alt_text,
        writer=result.writer,
        fallback_reason=result.fallback_reason,
        reply=reply,
    )
    return reply, artifact.model_dump(mode="json")
