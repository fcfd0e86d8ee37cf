"""Threads: a long post split into numbered posts (1/n) for X, Threads, Bluesky or Mastodon."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.content.fitting import compose
from agent.content.writers.base import ThreadRequest
from agent.core import repo
from agent.core.errors import InputError
from agent.services.results import ThreadDraft, ToolOutput
from agent.services.views.drafts import draft_view
from prompts.counting import count, trim_to_limit
from prompts.threads import MAX_POSTS, POST_SEPARATOR, THREAD_PLATFORMS, ThreadTooLong, numbered
from prompts.threads import split_thread as split_posts
from tools.common import load_target, platform_rule, tool_errors, user_session
from tools.voice import voice_for

MAX_SOURCE_CHARS = 20_000


def within(posts: list[str], limit: int, counting: str) -> list[str]:
    """The posts numbered, each checked against the limit; a post still over it (never expected: a last
    resort) is trimmed at a word boundary so nothing leaves over its limit."""
    out = []
    for i, post in enumerate(numbered(posts), start=1):
        if count(post, counting) > limit:
            suffix = f" {i}/{len(posts)}" if len(posts) > 1 else ""
            post = (
                trim_to_limit(post.removesuffix(suffix), limit - count(suffix, counting), counting) + suffix
            )
        out.append(post)
    return out


@tool(response_format="content_and_artifact")
@tool_errors
def split_thread(
    runtime: ToolRuntime[Any],
    draft_id: int | None = None,
    text: str | None = None,
    platform: str | None = None,
) -> ToolOutput:
    """Split a long post into a numbered thread (" 1/5", " 2/5" …) for X, Threads, Bluesky or Mastodon.

    Pass `draft_id` of a saved draft (its hashtags go to the last post) or the `text` to split. `platform`
    is one of x, threads, bluesky, mastodon (default: the draft's platform when it is one of them, else x).
    Every post, numbering included, fits the platform's limit; posts are cut between sentences, then
    between words, never inside a link. Saves the thread as a draft of kind "thread".
    """
    with user_session(runtime) as (session, ctx):
        target = load_target(
            session,
            ctx,
            draft_id=draft_id,
            text=text,
            missing="the text to split into a thread",
            thread="Draft #{id} is already a thread.",
        )
        draft = target.draft
        source = compose(target.text, target.hashtags) if draft else target.text
        if len(source) > MAX_SOURCE_CHARS:  # a draft's hashtags count: they go to the last post
            raise InputError(f"The text is {len(source):,} characters; I split up to {MAX_SOURCE_CHARS:,}.")
        wanted = platform or (draft.platform if draft and draft.platform in THREAD_PLATFORMS else "x")
        r = platform_rule(ctx, wanted)
        if r.name not in THREAD_PLATFORMS:
            raise InputError(
                f"{r.label} has no threads; I split for {', '.join(THREAD_PLATFORMS)}. Name one of them."
            )
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        request = ThreadRequest(
            platform=r.name,
            platform_label=r.label,
            limit=r.limit,
            counting=r.counting,
            text=source,
            max_posts=MAX_POSTS,
            voice=voice,
        )
        try:
            result = ctx.services.writer.split_thread(request)
            posts = [p for p in result.posts if p.strip()] or split_posts(source, r.limit, r.counting)
        except ThreadTooLong as exc:  # a ValueError of the pure splitter: the user's text is at fault
            raise InputError(str(exc)) from exc
        published = within(posts, r.limit, r.counting)
        meta: dict[str, Any] = {"posts": published, "limit": r.limit}
        if draft is not None:
            meta["source_draft"] = draft.id
            meta["brief"] = (draft.meta or {}).get("brief")
        if result.fallback_reason:
            meta["fallback_reason"] = result.fallback_reason
        if len(published) == 1:
            meta["note"] = f"It fits in one {r.label} post: no thread needed."
        saved = repo.create_draft(
            session,
            user_id=ctx.user_id,
            thread_id=ctx.thread_id,
            platform=r.name,
            kind="thread",
            text=POST_SEPARATOR.join(published),
            writer=result.writer,
            media=list(draft.media) if draft else [],
            meta=meta,
        )
        view = ThreadDraft.of(draft_view(session, saved), posts=published).model_dump(mode="json")
    lengths = ", ".join(str(count(p, r.counting)) for p in published)
    summary = (
        f"Thread draft #{view['id']} for {r.label}: {len(published)} post(s), each within {r.limit} "
        f"characters ({lengths}):\n\n" + "\n\n".join(published)
    )
    return summary, view
