"""Actions that need the user's approval. The graph interrupts before any tool named in SENSITIVE_TOOLS,
and asks the question :func:`propose` writes for each call (checked first: a call that cannot succeed is
refused at once, and no question is asked)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.models import DraftStatus
from agent.services.context import Context
from agent.services.results import ToolOutput
from agent.services.views.approvals import ApprovalAction, ApprovalRequest
from tools.common import tool_errors, user_session
from tools.scheduling import propose_cancel, propose_publish, propose_reschedule, propose_schedule
from tools.writing import draft_result

Proposer = Callable[[Context, str, dict[str, Any], dict[str, Any]], ApprovalAction]


@tool(response_format="content_and_artifact")
@tool_errors
def approve_draft(draft_id: int, runtime: ToolRuntime[Any], note: str = "") -> ToolOutput:
    """Mark a draft as approved for publishing. Only when the user asks to approve a specific draft.

    The user confirms before this runs; it records the approval and changes nothing else.
    """
    with user_session(runtime) as (session, ctx):
        draft = repo.update_draft(
            session, user_id=ctx.user_id, draft_id=draft_id, status=DraftStatus.APPROVED.value
        )
        repo.record_approval(
            session,
            user_id=ctx.user_id,
            tool="approve_draft",
            decision="approved",
            target=f"draft:{draft_id}",
            thread_id=ctx.thread_id,
            note=note,
        )
        view = draft_result(session, draft)
    return f"Draft #{draft_id} is approved.", view


def _propose_approve(
    ctx: Context, call_id: str, args: dict[str, Any], asked: dict[str, Any]
) -> ApprovalAction:
    """``approve_draft`` checked and said: "Approve draft #11 (Instagram) for publishing"."""
    try:
        draft_id = int(args["draft_id"])
    except (KeyError, TypeError, ValueError):
        draft_id = 0
    with session_scope(ctx.services.engine) as session:
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)  # NotFound: refused
        platform, text = draft.platform, " ".join(draft.text.split())
    return ApprovalAction(
        tool="approve_draft",
        args=dict(args),
        id=call_id,
        summary=f"Approve draft #{draft_id} ({sched.platform_label(platform)}) for publishing",
        draft_id=draft_id,
        platform=platform,
        preview=text[:140] or None,
    )


PROPOSERS: Mapping[str, Proposer] = {
    "approve_draft": _propose_approve,
    "schedule_post": propose_schedule,
    "publish_now": propose_publish,
    "reschedule_post": propose_reschedule,
    "cancel_post": propose_cancel,
}


def propose(ctx: Context, call: Mapping[str, Any], asked: Mapping[str, Any] | None = None) -> ApprovalAction:
    """What approving ``call`` (a tool call: name, args, id) would do, in words and pinned args. ``asked``:
    the call's args as first planned, when ``call`` holds them pinned (the words of a time, whether an
    account was named). Raises the :class:`~agent.core.errors.StudioError` that running it would meet (the
    question is then not asked)."""
    name, args, call_id = str(call["name"]), dict(call.get("args") or {}), str(call.get("id") or "")
    proposer = PROPOSERS.get(name)
    if proposer is not None:
        return proposer(ctx, call_id, args, dict(asked if asked is not None else args))
    described = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return ApprovalAction(tool=name, args=args, id=call_id, summary=f"Run {name}({described})")


def approval_question(actions: list[ApprovalAction]) -> dict[str, Any]:
    """The interrupt's value: the question and its actions (:class:`ApprovalRequest`, as plain data)."""
    return ApprovalRequest.of(actions).public()
