"""Scheduling and publishing tools. ``schedule_post`` and ``publish_now`` run only after the user approves
(they are in SENSITIVE_TOOLS); the graph stops for the decision before either runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.models import ScheduledPost
from agent.core.timeparse import When, parse_when, zone
from agent.services.accounts import connect
from agent.services.results import AccountResult, PostResult, QueueResult, ToolOutput
from tools.common import tool_errors, user_session

_NEXT_SLOT = re.compile(r"^(?:the\s+)?next\s+(?:free\s+|open\s+|available\s+)?slot$", re.I)


def post_view(post: ScheduledPost) -> PostResult:
    tz = zone(post.timezone)
    local = post.run_at.astimezone(tz) if post.run_at else None
    assert post.id is not None
    return PostResult(
        id=post.id,
        draft_id=post.draft_id,
        platform=post.platform,
        account_id=post.account_id,
        state=post.state,
        run_at=post.run_at.isoformat() if post.run_at else None,
        local_time=f"{local:%a %d %b %Y %H:%M} {local.tzname()}" if local else None,
        attempts=post.attempts,
        external_url=post.external_url,
        last_error=post.last_error,
        text=str((post.content or {}).get("text", ""))[:200],
    )


def _line(view: PostResult) -> str:
    line = f"#{view.id} {view.platform} · {view.state}"
    if view.local_time and view.state in {"scheduled", "publishing"}:
        line += f" · {view.local_time}"
    if view.external_url:
        line += f" · {view.external_url}"
    if view.last_error and view.state in {"failed", "unconfirmed", "scheduled"}:
        line += f" · {view.last_error[:160]}"
    return line + f" — “{view.text[:60]}”"


def _resolve_when(
    session: Any, ctx: Any, when: str, *, platform: str, account_id: int | None
) -> tuple[When, str]:
    tz_name = repo.get_brand_profile(session, user_id=ctx.user_id).timezone or "UTC"
    now = datetime.now(UTC)
    if not when.strip() or _NEXT_SLOT.match(when.strip()):
        slot = sched.next_free_slot(
            session, user_id=ctx.user_id, platform=platform, account_id=account_id, tz=tz_name, after=now
        )
        return slot, tz_name
    return parse_when(when, now=now, tz=tz_name), tz_name


def _notify(ctx: Any, post: ScheduledPost) -> None:
    timer = ctx.services.timer
    if timer is not None and post.id is not None and post.run_at is not None:
        timer.notify(post.id, post.run_at)


def _queue_approved(
    session: Any, ctx: Any, tool_name: str, draft_id: int, *, run_at: datetime, tz_name: str, account: Any
) -> ScheduledPost:
    """Queue a draft the user approved (the interrupt ran before this tool) and record that approval."""
    what = "publish now, approved" if tool_name == "publish_now" else "approved"
    post = sched.schedule_draft(
        session,
        user_id=ctx.user_id,
        draft_id=draft_id,
        run_at=run_at,
        timezone=tz_name,
        account_id=account.id if account else None,
        approval=f"{what} by the user in conversation {ctx.thread_id}",
        max_attempts=ctx.services.settings.publish_max_attempts,
    )
    repo.record_approval(
        session,
        user_id=ctx.user_id,
        tool=tool_name,
        decision="approved",
        target=f"draft:{draft_id}",
        thread_id=ctx.thread_id,
    )
    return post


@tool(response_format="content_and_artifact")
@tool_errors
def schedule_post(
    draft_id: int, when: str, runtime: ToolRuntime[Any], account: str | None = None
) -> ToolOutput:
    """Schedule a draft to be published at a time. The user approves before this runs.

    `when` is the user's words: "tomorrow 9am", "friday 10:30", "in 2 hours", "next free slot", or ISO 8601;
    it is read in the user's timezone. `account` is a connected account's handle or id (default: the
    user's account for the draft's platform, else the local outbox).
    """
    with user_session(runtime) as (session, ctx):
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        acc = sched.choose_account(session, user_id=ctx.user_id, platform=draft.platform, account=account)
        resolved, tz_name = _resolve_when(
            session, ctx, when, platform=draft.platform, account_id=acc.id if acc else None
        )
        post = _queue_approved(
            session, ctx, "schedule_post", draft_id, run_at=resolved.at, tz_name=tz_name, account=acc
        )
        view = post_view(post)
        target = acc.handle if acc else "the local outbox"
    _notify(ctx, post)
    message = f"Post #{view.id} (draft #{draft_id}) will go to {target} on {resolved.describe()}."
    return message, view.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
async def publish_now(draft_id: int, runtime: ToolRuntime[Any], account: str | None = None) -> ToolOutput:
    """Publish a draft right away. The user approves before this runs. `account` as for schedule_post."""
    with user_session(runtime) as (session, ctx):
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        acc = sched.choose_account(session, user_id=ctx.user_id, platform=draft.platform, account=account)
        tz_name = repo.get_brand_profile(session, user_id=ctx.user_id).timezone or "UTC"
        post = _queue_approved(
            session, ctx, "publish_now", draft_id, run_at=datetime.now(UTC), tz_name=tz_name, account=acc
        )
        post_id = post.id
    assert post_id is not None
    await ctx.services.dispatcher.dispatch_due([post_id])
    with user_session(runtime) as (session, ctx):
        view = post_view(sched.get_post(session, user_id=ctx.user_id, post_id=post_id))
    artifact = view.model_dump(mode="json")
    if view.state == "published":
        where = f" at {view.external_url}" if view.external_url else ""
        return f"Post #{post_id} (draft #{draft_id}) is published{where}.", artifact
    if view.state == "scheduled":
        return (
            f"Post #{post_id} could not be published yet ({view.last_error}); I'll retry at {view.local_time}.",
            artifact,
        )
    return f"Post #{post_id} is {view.state}: {view.last_error or 'see the queue'}.", artifact


@tool(response_format="content_and_artifact")
@tool_errors
def list_queue(runtime: ToolRuntime[Any]) -> ToolOutput:
    """Show the user's publishing queue: scheduled posts (soonest first) and any needing attention
    (failed or unconfirmed)."""
    with user_session(runtime) as (session, ctx):
        views = [post_view(p) for p in sched.list_queue(session, user_id=ctx.user_id)]
    artifact = QueueResult(items=views).model_dump(mode="json")
    if not views:
        return "Your queue is empty.", artifact
    return "Your queue:\n" + "\n".join(_line(v) for v in views), artifact


@tool(response_format="content_and_artifact")
@tool_errors
def cancel_post(post_id: int, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Cancel a scheduled (or failed/unconfirmed) post by its post id (from the queue, not the draft id)."""
    with user_session(runtime) as (session, ctx):
        post = sched.cancel_post(session, user_id=ctx.user_id, post_id=post_id)
        view = post_view(post)
    if ctx.services.timer is not None:
        ctx.services.timer.forget(post_id)
    return f"Post #{post_id} is cancelled.", view.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def reschedule_post(post_id: int, when: str, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Move a queued post (by post id) to a new time; also retries a failed or unconfirmed post.
    `when` as for schedule_post."""
    with user_session(runtime) as (session, ctx):
        post = sched.get_post(session, user_id=ctx.user_id, post_id=post_id)
        resolved, _ = _resolve_when(session, ctx, when, platform=post.platform, account_id=post.account_id)
        post = sched.reschedule_post(session, user_id=ctx.user_id, post_id=post_id, run_at=resolved.at)
        view = post_view(post)
    _notify(ctx, post)
    return f"Post #{post_id} now goes out on {resolved.describe()}.", view.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def connect_account(
    platform: str,
    handle: str,
    runtime: ToolRuntime[Any],
    url: str | None = None,
    secret: str | None = None,
    verify_url: str | None = None,
) -> ToolOutput:
    """Connect a publishing account. `platform` "webhook" POSTs signed JSON to `url` (Zapier, Make, n8n);
    `secret` signs it (generated when omitted and shown once); `verify_url` lets the studio check delivery.
    "mastodon": `url` is the instance (https://mastodon.social), `secret` an access token with write:statuses
    and write:media. "bluesky": `handle` (you.bsky.social), `secret` an app password, `url` the PDS
    (default https://bsky.social). Credentials are stored encrypted."""

    with user_session(runtime) as (session, ctx):
        done = connect(
            session,
            user_id=ctx.user_id,
            box=ctx.services.box,
            platform=platform,
            handle=handle,
            url=url,
            secret=secret,
            verify_url=verify_url,
            allow_loopback=ctx.services.settings.url_allow_loopback,
        )
        account_id, platform, handle = done.account.id, done.account.platform, done.account.handle
    assert account_id is not None
    note = f" Signing secret (shown once): {done.generated_secret}" if done.generated_secret else ""
    artifact = AccountResult(id=account_id, platform=platform, handle=handle)
    return f"Connected {platform} account {handle} (#{account_id}).{note}", artifact.model_dump(mode="json")
