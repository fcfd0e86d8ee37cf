"""Scheduling and publishing tools. ``schedule_post`` and ``publish_now`` run only after the user approves
(they are in SENSITIVE_TOOLS); the graph stops for the decision before either runs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.models import Draft, PlatformAccount, PostState, ScheduledPost
from agent.core.timeparse import When, parse_when, zone
from agent.services.accounts import connect
from agent.services.context import Context
from agent.services.results import AccountResult, PostResult, QueueResult, ToolOutput
from agent.services.views.approvals import ApprovalAction, LivePost
from tools.common import tool_errors, user_session

_NEXT_SLOT = re.compile(r"^(?:the\s+)?next\s+(?:free\s+|open\s+|available\s+)?slot$", re.I)
PAST_GRACE = timedelta(seconds=60)  # a time just gone (approved a moment after "in 1 minute") still goes out
_PAST = re.compile(r"\b(?:yesterday|ago|last\s+(?:night|week|month|year|[a-z]+day))\b", re.I)


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
    if _PAST.search(when):
        raise InputError(f"{when.strip()!r} is in the past; I can only schedule ahead (e.g. “tomorrow 9am”).")
    if not when.strip() or _NEXT_SLOT.match(when.strip()):
        slot = sched.next_free_slot(
            session, user_id=ctx.user_id, platform=platform, account_id=account_id, tz=tz_name, after=now
        )
        return slot, tz_name
    resolved = parse_when(when, now=now, tz=tz_name, allow_past=True)
    if resolved.at < now - PAST_GRACE:
        raise InputError(
            f"{when.strip()!r} is {sched.local_label(resolved.at, tz_name)}, which has passed; "
            "I can only schedule ahead (e.g. “tomorrow 9am”)."
        )
    return resolved, tz_name


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
    it is read in the user's timezone. `account` is the account the user named: a connected account's handle
    or id, a platform ("mastodon", "webhook") or "outbox" (default: the user's account on the draft's
    platform, else the local outbox; with several there, the user is asked which).
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
        target = _yours(acc) if acc else "the local outbox"
    _notify(ctx, post)
    when = sched.local_label(resolved.at, tz_name) + (f" ({resolved.note})" if resolved.note else "")
    message = f"Post #{view.id} (draft #{draft_id}) will go to {target} on {when}."
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
        target = _yours(acc) if acc else "the local outbox"
    assert post_id is not None
    await ctx.services.dispatcher.dispatch_due([post_id])
    with user_session(runtime) as (session, ctx):
        view = post_view(sched.get_post(session, user_id=ctx.user_id, post_id=post_id))
    artifact = view.model_dump(mode="json")
    if view.state == "published":
        where = f" at {view.external_url}" if view.external_url else ""
        return f"Post #{post_id} (draft #{draft_id}) is published to {target}{where}.", artifact
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
        when = sched.local_label(resolved.at, post.timezone)
    _notify(ctx, post)
    return f"Post #{post_id} now goes out on {when}.", view.model_dump(mode="json")


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


# -- what an approval question says, checked before it is asked -----------------------------------------
# The graph's approval step calls these before it stops for the user's decision (nothing is written here).
# A call that cannot succeed — a time that has passed, a draft or post that is not the user's, an account
# that does not exist or is not clear — raises its StudioError at once, and no question is asked. What
# would run is pinned in the action's ``args``: the resolved time (ISO 8601 with the user's offset) and the
# account ("#id" or "outbox"), so approving later does not move the post.

PREVIEW_CHARS = 140


def _number(args: dict[str, Any], key: str) -> int:
    try:
        return int(args[key])
    except (KeyError, TypeError, ValueError):
        raise InputError(f"Which {key.split('_')[0]}? Give its number (#N).") from None


def _account_ref(account: PlatformAccount | None) -> str:
    return f"#{account.id}" if account is not None else "outbox"


def _yours(account: PlatformAccount) -> str:
    return f"your {sched.platform_label(account.platform)} account {account.handle}"


def _to(account: PlatformAccount | None, *, platform: str, named: bool) -> str:
    """Where a post goes, as the question says it."""
    if account is not None:
        return f"to {_yours(account)}"
    if named:
        return "to the local outbox"
    return f"to the local outbox (no {sched.platform_label(platform)} account is connected)"


def _destination(session: Any, user_id: str, account_id: int | None) -> tuple[PlatformAccount | None, str]:
    account = session.get(PlatformAccount, account_id) if account_id is not None else None
    if account is not None and account.user_id != user_id:
        account = None
    return account, (sched.account_label(account) if account else "the local outbox")


def _preview(draft: Draft) -> str:
    text = " ".join(draft.text.split())
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"


def _live(session: Any, user_id: str, draft_id: int) -> list[LivePost]:
    states = (*sched.LIVE_STATES, PostState.PUBLISHED)
    posts = sched.draft_posts(session, user_id=user_id, draft_id=draft_id, states=states)
    out = []
    for post in posts:
        assert post.id is not None
        at = post.published_at if post.state == PostState.PUBLISHED.value else post.run_at
        _, where = _destination(session, user_id, post.account_id)
        local = sched.local_label(at, post.timezone) if at is not None else None
        out.append(LivePost(id=post.id, state=post.state, local_time=local, destination=where))
    return out


def _live_note(draft_id: int, live: list[LivePost]) -> str | None:
    clauses = []
    for p in live:
        if p.state == PostState.SCHEDULED.value:
            clauses.append(f"scheduled for {p.local_time} (post #{p.id}, to {p.destination})")
        elif p.state == PostState.PUBLISHING.value:
            clauses.append(f"being published to {p.destination} right now (post #{p.id})")
        elif p.state == PostState.UNCONFIRMED.value:
            clauses.append(f"sent to {p.destination} and not confirmed yet (post #{p.id})")
        else:
            when = f" on {p.local_time}" if p.local_time else ""
            clauses.append(f"published to {p.destination}{when} (post #{p.id})")
    return f"Draft #{draft_id} is already " + " and ".join(clauses) if clauses else None


def propose_schedule(
    ctx: Context, call_id: str, args: dict[str, Any], asked: dict[str, Any]
) -> ApprovalAction:
    """``schedule_post`` checked and said: "Schedule draft #11 (Instagram) for Tue 8 Dec, 09:00 New York
    time, to the local outbox"."""
    draft_id = _number(args, "draft_id")
    words = str(args.get("when") or "")
    named = asked.get("account") not in (None, "")
    with session_scope(ctx.services.engine) as session:
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        account = sched.choose_account(
            session, user_id=ctx.user_id, platform=draft.platform, account=args.get("account")
        )
        resolved, tz_name = _resolve_when(
            session, ctx, words, platform=draft.platform, account_id=account.id if account else None
        )
        live = _live(session, ctx.user_id, draft_id)
        preview = _preview(draft)
    local = sched.local_label(resolved.at, tz_name)
    label = sched.platform_label(draft.platform)
    to = _to(account, platform=draft.platform, named=named)
    what = "another copy" if live else f"draft #{draft_id} ({label})"
    summary = f"Schedule {what} for {local}, {to}"
    if resolved.note:
        summary += f" ({resolved.note})"
    pinned = {**args, "when": resolved.local.isoformat(timespec="seconds"), "account": _account_ref(account)}
    return ApprovalAction(
        tool="schedule_post",
        args=pinned,
        id=call_id,
        summary=summary,
        note=_live_note(draft_id, live),
        draft_id=draft_id,
        platform=draft.platform,
        account_id=account.id if account else None,
        destination=sched.account_label(account) if account else "the local outbox",
        run_at=resolved.at.isoformat(),
        local_time=local,
        timezone=tz_name,
        when=str(asked.get("when") or "") or None,
        preview=preview,
        live_posts=live,
    )


def propose_publish(
    ctx: Context, call_id: str, args: dict[str, Any], asked: dict[str, Any]
) -> ApprovalAction:
    """``publish_now`` checked and said: "Publish draft #11 (Instagram) now, to the local outbox"."""
    draft_id = _number(args, "draft_id")
    named = asked.get("account") not in (None, "")
    with session_scope(ctx.services.engine) as session:
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        account = sched.choose_account(
            session, user_id=ctx.user_id, platform=draft.platform, account=args.get("account")
        )
        live = _live(session, ctx.user_id, draft_id)
        preview = _preview(draft)
    label = sched.platform_label(draft.platform)
    what = "another copy" if live else f"draft #{draft_id} ({label})"
    return ApprovalAction(
        tool="publish_now",
        args={**args, "account": _account_ref(account)},
        id=call_id,
        summary=f"Publish {what} now, {_to(account, platform=draft.platform, named=named)}",
        note=_live_note(draft_id, live),
        draft_id=draft_id,
        platform=draft.platform,
        account_id=account.id if account else None,
        destination=sched.account_label(account) if account else "the local outbox",
        preview=preview,
        live_posts=live,
    )


def _post_for_change(session: Any, ctx: Context, post_id: int, verb: str) -> ScheduledPost:
    post = sched.get_post(session, user_id=ctx.user_id, post_id=post_id)
    if post.state == PostState.PUBLISHING.value:
        raise InputError(f"Post #{post_id} is being published right now; it cannot be {verb}.")
    if post.state in (PostState.PUBLISHED.value, PostState.CANCELLED.value):
        raise InputError(f"Post #{post_id} is already {post.state}; it cannot be {verb}.")
    return post


def _post_title(session: Any, ctx: Context, post: ScheduledPost) -> tuple[str, str, str | None]:
    """("post #4 (draft #11, Instagram)", destination, preview)."""
    _, where = _destination(session, ctx.user_id, post.account_id)
    label = sched.platform_label(post.platform)
    of = f"draft #{post.draft_id}, {label}" if post.draft_id else label
    text = " ".join(str((post.content or {}).get("text", "")).split())
    preview = text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1].rstrip() + "…"
    return f"post #{post.id} ({of})", where, preview or None


def propose_reschedule(
    ctx: Context, call_id: str, args: dict[str, Any], asked: dict[str, Any]
) -> ApprovalAction:
    """``reschedule_post`` checked and said: "Move post #4 (draft #11, Instagram) from Tue 8 Dec, 09:00 New
    York time to Wed 9 Dec, 10:30 New York time, to the local outbox"."""
    post_id = _number(args, "post_id")
    words = str(args.get("when") or "")
    with session_scope(ctx.services.engine) as session:
        post = _post_for_change(session, ctx, post_id, "moved")
        resolved, tz_name = _resolve_when(
            session, ctx, words, platform=post.platform, account_id=post.account_id
        )
        title, where, preview = _post_title(session, ctx, post)
        before = sched.local_label(post.run_at, tz_name) if post.run_at else None
        state, draft_id, platform, account_id = post.state, post.draft_id, post.platform, post.account_id
    local = sched.local_label(resolved.at, tz_name)
    if state == PostState.SCHEDULED.value and before:
        summary = f"Move {title} from {before} to {local}, to {where}"
    else:
        summary = f"Try {title} again on {local}, to {where} (it is {state})"
    return ApprovalAction(
        tool="reschedule_post",
        args={**args, "when": resolved.local.isoformat(timespec="seconds")},
        id=call_id,
        summary=summary[:1].upper() + summary[1:],
        post_id=post_id,
        draft_id=draft_id,
        platform=platform,
        account_id=account_id,
        destination=where,
        run_at=resolved.at.isoformat(),
        local_time=local,
        timezone=tz_name,
        when=str(asked.get("when") or "") or None,
        preview=preview,
    )


def propose_cancel(ctx: Context, call_id: str, args: dict[str, Any], asked: dict[str, Any]) -> ApprovalAction:
    """``cancel_post`` checked and said: "Cancel post #4 (draft #11, Instagram), due Tue 8 Dec, 09:00 New
    York time, to the local outbox"."""
    post_id = _number(args, "post_id")
    with session_scope(ctx.services.engine) as session:
        post = _post_for_change(session, ctx, post_id, "cancelled")
        title, where, preview = _post_title(session, ctx, post)
        local = sched.local_label(post.run_at, post.timezone) if post.run_at else None
        state, draft_id, platform, account_id = post.state, post.draft_id, post.platform, post.account_id
    due = f", due {local}" if local and state == PostState.SCHEDULED.value else f" ({state})"
    return ApprovalAction(
        tool="cancel_post",
        args=dict(args),
        id=call_id,
        summary=f"Cancel {title}{due}, which would go to {where}",
        post_id=post_id,
        draft_id=draft_id,
        platform=platform,
        account_id=account_id,
        destination=where,
        local_time=local,
        preview=preview,
    )
