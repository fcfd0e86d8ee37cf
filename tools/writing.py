"""Writing tools: captions and hashtags, through the writer port, always within the platform's limit."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.content.briefs import extract_subject
from agent.content.fitting import compose, dedupe_tags, fit, hashtag_block, within_limit
from agent.content.optimize.scorer import score_post
from agent.content.understand import parse
from agent.content.writers.base import HashtagRequest
from agent.content.writers.output import title_of
from agent.content.writers.voice import apply_voice
from agent.core import repo
from agent.core.errors import InputError
from agent.core.models import Draft
from agent.core.repo import assets
from agent.services import drafting
from agent.services.context import Context
from agent.services.drafting import caption_request
from agent.services.results import HashtagsResult, ToolOutput
from agent.services.views.drafts import draft_view
from prompts.counting import count
from prompts.languages import language_name, normalize_language, requested_language, strip_language_request
from prompts.platforms import rule_with
from prompts.threads import POST_SEPARATOR, THREAD_PLATFORMS, numbering
from prompts.threads import split_thread as split_posts
from tools.common import load_target, platform_rule, tool_errors, user_session
from tools.threads import within
from tools.voice import voice_for

THREAD_ROOM = 60  # a hook and a call to action around the user's words
THREAD_CHARS = 2_000  # what a thread written from a caption request may hold (split afterwards)
MAX_BRIEF_CHARS = 4000
MATERIAL_MIN_WORDS = 12  # a brief this long is material (pasted text) whose language the post keeps
MATERIAL_MIN_CONFIDENCE = 0.8


def draft_result(session: Session, draft: Draft) -> dict[str, Any]:
    """A draft as a tool result: the one draft view (:class:`DraftView`) as plain data."""
    return draft_view(session, draft).model_dump(mode="json")


def _human_text(runtime: ToolRuntime[Any]) -> str:
    """The user's message of this turn, when the tool runs inside the graph."""
    state = runtime.state if isinstance(runtime.state, dict) else {}
    for message in reversed(list(state.get("messages") or [])):
        if getattr(message, "type", "") == "human":
            content = message.content
            return content if isinstance(content, str) else ""
    return ""


def turn_material(runtime: ToolRuntime[Any]) -> str:
    """What this turn's perception tools found (transcripts, summaries, pages read, what photos show): the
    material a post may state facts from."""
    state = runtime.state if isinstance(runtime.state, dict) else {}
    found: list[str] = []
    for message in reversed(list(state.get("messages") or [])):
        if getattr(message, "type", "") == "human":
            break
        art = getattr(message, "artifact", None)
        if not isinstance(art, dict):
            continue
        kind = art.get("type")
        if kind == "transcript":
            found.append(str(art.get("text") or ""))
        elif kind == "summary":
            found += [
                str(art.get("title") or ""),
                str(art.get("summary") or ""),
                *map(str, art.get("key_points") or []),
            ]
        elif kind == "page":
            found += [str(art.get("title") or ""), str(art.get("text") or "")[:4000]]
        elif kind == "vision":
            found += [str(lb.get("label")) for lb in art.get("labels") or [] if lb.get("label")]
            found += [
                str(art.get("alt_text") or ""),
                str(art.get("subject") or ""),
                str(art.get("text") or ""),
            ]
    return " ".join(f for f in reversed(found) if f.strip())[:20_000]


def material_language(ctx: Context, texts: list[str], min_words: int = MATERIAL_MIN_WORDS) -> str | None:
    """The language of pasted material (a long brief or message), when it can be told confidently."""

    for text in texts:
        if len(text.split()) >= min_words:
            detected, confidence = ctx.services.perception.ingestor.detector.detect(text)
            if detected and confidence >= MATERIAL_MIN_CONFIDENCE:
                return detected
    return None


def caption_language(
    ctx: Context, runtime: ToolRuntime[Any], brief: str, language: str | None, profile_language: str
) -> str:
    """Asked for (the argument, or "in Spanish" in the brief) > the pasted material's > the brand profile's.
    Raises InputError on a language it does not know."""
    if language and language.strip():
        code = normalize_language(language)
        if code is None:
            raise InputError(f"I don't know the language {language!r}; name it like “Spanish” or “es”.")
        return code
    return (
        requested_language(brief)
        or material_language(ctx, [brief, _human_text(runtime)])
        or profile_language
        or "en"
    )


def thread_posts(text: str, tags: list[str], limit: int, counting: str) -> list[str]:
    """The caption as a numbered thread: the text split between sentences, the hashtags on the last post
    when they fit there (a post of hashtags alone is no post), else left out."""
    posts = split_posts(text, limit, counting)
    n = len(posts)
    if tags and n > 1 and count(compose(posts[-1], tags) + numbering(n, n), counting) <= limit:
        posts[-1] = compose(posts[-1], tags)
    return within(posts, limit, counting)


@tool(response_format="content_and_artifact")
@tool_errors
def write_caption(
    brief: str,
    platform: str,
    runtime: ToolRuntime[Any],
    subject: str | None = None,
    media: list[int] | None = None,
    language: str | None = None,
    variant: int = 0,
    variants: int = 1,
) -> ToolOutput:
    """Write a ready-to-post caption for ONE platform and save it as a draft.

    Call once per target platform. `brief` is the user's request in their words (its facts, tone, hashtag
    count and emoji wishes are read from it); `subject` is what the post is about (derived from the brief
    when omitted). `media`: ids of the user's image/video assets to post with the caption (e.g. the photo it
    describes). `language`: the language to write in when the user asks for one ("in Spanish" -> "es"); by
    default the language of pasted material, else the brand's. For several different captions on one
    platform call it once per `variant` (0, 1, …) with `variants` the number asked.
    The draft states only facts from the brief, this turn's material and the brand profile, and always fits
    the platform's character limit; the result says which checks it passed.
    """
    brief = brief.strip()
    if not brief:
        raise InputError("The brief is empty: tell me what the post is about.")
    if len(brief) > MAX_BRIEF_CHARS:
        raise InputError(f"The brief is {len(brief)} characters; the most I take is {MAX_BRIEF_CHARS}.")
    ctx: Context = runtime.context
    r = platform_rule(ctx, platform)
    wanted = parse(brief)
    with user_session(runtime) as (session, ctx):
        media_ids = assets.postable_media(session, user_id=ctx.user_id, asset_ids=media or [])
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        lang = caption_language(ctx, runtime, brief, language, voice.language)
        voice = voice.model_copy(
            update={
                "language": lang,
                "tone": wanted.tone or voice.tone,
                "emoji_allowed": voice.emoji_allowed and wanted.constraints.emoji is not False,
            }
        )
        material = turn_material(runtime)
        about = subject or wanted.subject or extract_subject(strip_language_request(brief))
        request = caption_request(
            r, wanted, request=brief, subject=about.strip()[:300], voice=voice, material=material
        ).model_copy(update={"variant": min(variant, 9), "variants": max(1, min(variants, 10))})
        # X, Threads, Bluesky, Mastodon: what the user gave that one post cannot hold becomes a thread
        threaded = r.name in THREAD_PLATFORMS and count(request.details, r.counting) + THREAD_ROOM > r.limit
        write_rule = rule_with(r.name, {r.name: THREAD_CHARS}) if threaded else r
        request = request.model_copy(update={"limit": write_rule.limit})
        profile = " ".join([voice.brand_name, voice.audience, *voice.example_posts])
        drafted = drafting.write_caption(
            ctx.services.writer,
            request,
            write_rule,
            constraints=wanted.constraints,
            sources=" ".join([brief, _human_text(runtime), material, profile]),
            detect=ctx.services.perception.ingestor.detector.detect,
        )
        text, tags = drafted.text, drafted.hashtags
        posts = thread_posts(text, tags, r.limit, r.counting) if threaded else []
        if len(posts) > 1 and count(request.details, r.counting) <= r.limit:
            # the user's own words fit one post: they are the post, not a thread whose second post is only
            # the call to action
            text, posts = request.details, []
        while threaded and len(posts) <= 1 and tags and not within_limit(text, tags, r):
            tags = tags[:-1]  # one post after all: it keeps the hashtags that fit
        meta: dict[str, Any] = {"brief": brief, "language": lang, "limit": r.limit, "checks": drafted.passed}
        kind = "caption"
        if len(posts) > 1:  # saved as split_thread saves one: the posts apart, the hashtags in the last post
            kind, text, tags = "thread", POST_SEPARATOR.join(posts), []
            meta["posts"] = posts
            drafted.notes.append(
                f"What you gave does not fit one {r.label} post, so it is a thread of {len(posts)} posts."
            )
        if r.title_limit:  # YouTube and Pinterest show a title above the description
            meta["title"] = title_of(text, about, r.title_limit)
        if drafted.failed:
            meta["failed_checks"] = drafted.failed
        if drafted.fallback_reason:
            meta["fallback_reason"] = drafted.fallback_reason
        if drafted.notes:
            meta["note"] = " ".join(drafted.notes)
        draft = repo.create_draft(
            session,
            user_id=ctx.user_id,
            thread_id=ctx.thread_id,
            platform=r.name,
            kind=kind,
            text=text,
            hashtags=tags,
            writer=drafted.writer,
            media=media_ids,
            score=score_post(
                posts[0] if posts else text, tags, r, bool(media_ids), emoji_allowed=voice.emoji_allowed
            ).total,
            meta=meta,
        )
        view = draft_result(session, draft)
    summary = (
        f"Draft #{view['id']} for {r.label} in {language_name(lang)} ({view['length']}/{r.limit} characters):"
        f"\n{compose(text, tags)}"
    )
    if view.get("note"):
        summary += f"\n\nNote: {view['note']}"
    return summary, view


@tool(response_format="content_and_artifact")
@tool_errors
def suggest_hashtags(
    runtime: ToolRuntime[Any],
    platform: str = "instagram",
    text: str | None = None,
    draft_id: int | None = None,
    count_wanted: int | None = None,
) -> ToolOutput:
    """Suggest hashtags for a post on one platform, as many as work well there unless `count_wanted` says.

    Pass `draft_id` to tag a saved draft (its hashtags are replaced and the draft stays within the
    platform's limit), or `text` to tag any text.
    """
    with user_session(runtime) as (session, ctx):
        target = load_target(
            session,
            ctx,
            draft_id=draft_id,
            text=text,
            platform=platform,
            missing="some text to find hashtags for",
            thread="Draft #{id} is a thread; add hashtags to the post they belong in.",
        )
        draft, source, r = target.draft, target.text, target.rule
        wanted = r.hashtags_norm if count_wanted is None else max(0, min(count_wanted, r.hashtags_max))
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        subject = (draft.meta.get("brief") if draft else None) or source
        result = ctx.services.writer.hashtags(
            HashtagRequest(text=extract_subject(subject)[:2000], platform=r.name, count=wanted, voice=voice)
        )
        if draft is not None:
            merged = dedupe_tags(list(draft.hashtags) + result.hashtags, max(wanted, len(draft.hashtags)))
            new_text, tags = fit(draft.text, apply_voice("", merged, voice)[1], r)
            if within_limit(draft.text, draft.hashtags, r):  # the draft's words stay; only tags that fit join
                new_text = draft.text
                while tags and not within_limit(new_text, tags, r):
                    tags = tags[:-1]
            new_score = score_post(
                new_text, tags, r, bool(draft.media), emoji_allowed=voice.emoji_allowed
            ).total
            draft = repo.update_draft(
                session,
                user_id=ctx.user_id,
                draft_id=draft.id or 0,
                text=new_text,
                hashtags=tags,
                score=new_score,
            )
            view = draft_result(session, draft)
            return f"Draft #{draft.id} hashtags: {hashtag_block(tags)}", view
        tags = dedupe_tags(result.hashtags, wanted)
    artifact = HashtagsResult(platform=r.name, hashtags=tags, writer=result.writer)
    return f"Hashtags for {r.label}: {hashtag_block(tags)}", artifact.model_dump(mode="json")
