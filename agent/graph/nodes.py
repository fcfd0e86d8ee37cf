"""The graph's nodes: ingest -> plan -> (approve) -> tools -> plan ... -> respond."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent.content.briefs import detect_platforms
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import StudioError
from agent.graph.reply import compose_reply
from agent.graph.state import StudioState
from agent.graph.turn import message_text, turn_messages
from agent.services.context import Context
from agent.services.ingest import turn_inputs
from agent.services.results import ErrorResult
from tools import SENSITIVE_TOOLS
from tools.approval import approval_question, propose


def ingest(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Validate the new input and resolve the turn's target platforms."""
    ctx = runtime.context
    human, _ = turn_messages(state.get("messages", []))
    text = message_text(human)
    limit = ctx.services.settings.max_message_chars
    if len(text) > limit:
        reply = f"That message is {len(text):,} characters; the most I take is {limit:,}. Please shorten it."
        return {"messages": [AIMessage(content=reply)], "rejected": True}
    inputs = turn_inputs(
        ctx.services.engine, user_id=ctx.user_id, text=text, assets=state.get("assets") or []
    )
    if inputs.problem:
        return {"messages": [AIMessage(content=inputs.problem)], "rejected": True}
    platforms = list(dict.fromkeys([*ctx.platforms, *detect_platforms(text)]))
    if not platforms:
        with session_scope(ctx.services.engine) as session:
            profile = repo.get_brand_profile(session, user_id=ctx.user_id)
            platforms = list(profile.default_platforms)
    if not platforms:
        platforms = list(ctx.services.settings.default_platforms)
    return {"platforms": platforms, "rejected": False, "assets": inputs.assets, "urls": inputs.urls}


async def entry(state: StudioState) -> Literal["ingest", "approve", "tools"]:
    """A message is ingested, then planned. A UI action (``Studio.run_action``) arrives with its tool call
    already made: it goes straight to the approval (a sensitive tool) or to the tools."""
    if state.get("action"):
        return "approve" if _sensitive(state) else "tools"
    return "ingest"


async def after_tools(state: StudioState) -> Literal["plan", "respond"]:
    """After the tools, the planner decides the next step; an action's turn ends with its result."""
    return "respond" if state.get("action") else "plan"


def _sensitive(state: StudioState) -> bool:
    last = state["messages"][-1]
    return isinstance(last, AIMessage) and any(call["name"] in SENSITIVE_TOOLS for call in last.tool_calls)


async def after_ingest(state: StudioState) -> Literal["plan", "__end__"]:
    return "__end__" if state.get("rejected") else "plan"


async def plan(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    message = await runtime.context.services.planner.plan(dict(state), runtime.context)
    return {"messages": [message]}


async def after_plan(state: StudioState) -> Literal["approve", "tools", "respond"]:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        return "approve" if _sensitive(state) else "tools"
    return "respond"


def is_approved(decision: Any) -> tuple[bool, str]:
    """Accepts True/False, "approve"/"decline", or {"approved": bool, "note": str}."""
    if isinstance(decision, dict):
        return bool(decision.get("approved")), str(decision.get("note", ""))
    if isinstance(decision, str):
        return decision.strip().lower() in {"approve", "approved", "yes", "y", "ok"}, ""
    return bool(decision), ""


def approve(
    state: StudioState, runtime: Runtime[Context]
) -> Command[Literal["approve", "tools", "plan", "respond"]]:
    """Stop for the user's decision before a sensitive tool. Nothing here runs twice with side effects:
    LangGraph re-runs this node from the top on resume, so all writes come after ``interrupt``.

    Each call is checked first (:func:`tools.approval.propose`, read-only): one that cannot succeed is
    refused at once, with no question. The question names what will happen — the draft, where it goes, the
    resolved local time — and the call's arguments are pinned to exactly that before it is asked (one pass
    back through this node), so an approval given later runs what the question said."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    ctx = runtime.context
    sensitive: list[dict[str, Any]] = [dict(c) for c in last.tool_calls if c["name"] in SENSITIVE_TOOLS]
    asked: dict[str, Any] = dict(last.response_metadata.get("asked") or {})  # the args before pinning
    actions, refused = [], {}
    for call in sensitive:
        try:
            actions.append(propose(ctx, call, asked.get(call["id"])))
        except StudioError as exc:
            refused[call["id"]] = str(exc)
    after: Literal["plan", "respond"] = "respond" if state.get("action") else "plan"
    if refused:
        return Command(goto=after, update={"messages": _refusals(last, refused)})
    pinned = {a.id: a.args for a in actions}
    if any(c["args"] != pinned[c["id"]] for c in sensitive):
        calls = [{**c, "args": pinned.get(str(c["id"]), c["args"])} for c in last.tool_calls]
        kwargs = {k: v for k, v in last.additional_kwargs.items() if k != "tool_calls"}
        meta = {**last.response_metadata, "asked": {c["id"]: c["args"] for c in sensitive} | asked}
        update = last.model_copy(
            update={"tool_calls": calls, "additional_kwargs": kwargs, "response_metadata": meta}
        )
        return Command(goto="approve", update={"messages": [update]})
    approved, note = is_approved(interrupt(approval_question(actions)))
    if approved:
        return Command(goto="tools")
    with session_scope(ctx.services.engine) as session:
        for call in sensitive:
            repo.record_approval(
                session,
                user_id=ctx.user_id,
                tool=call["name"],
                decision="declined",
                target=",".join(f"{k}:{v}" for k, v in call["args"].items())[:200],
                thread_id=ctx.thread_id,
                note=note,
            )
    declined = [
        ToolMessage(
            content=f"The user declined {call['name']}; it was not run.",
            tool_call_id=call["id"],
            name=call["name"],
            artifact={"type": "declined", "tool": call["name"], "args": call["args"]},
        )
        for call in last.tool_calls
    ]
    return Command(goto=after, update={"messages": declined})


def _refusals(last: AIMessage, refused: dict[str, str]) -> list[ToolMessage]:
    """The answers to a planned step with a call that cannot succeed: that call's error (as the tool itself
    would give it), and no other call of the step runs either."""
    messages = []
    for call in last.tool_calls:
        reason = refused.get(str(call["id"]))
        if reason is None:
            names = ", ".join(sorted({c["name"] for c in last.tool_calls if c["id"] in refused}))
            reason = f"Not run: it was asked together with {names}, which cannot be done as asked."
        messages.append(
            ToolMessage(
                content=reason,
                tool_call_id=call["id"],
                name=call["name"],
                artifact=ErrorResult(message=reason).model_dump(mode="json"),
                status="error",
            )
        )
    return messages


async def respond(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Finish the turn. A model's own answer stands; the rules planner's empty answer is written here (in
    its place), and so is an action's answer (after its tool results)."""
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and message_text(last).strip():
        return {}
    _, turn = turn_messages(state["messages"])
    reply = compose_reply(turn)
    return {"messages": [AIMessage(content=reply, id=last.id if isinstance(last, AIMessage) else None)]}
