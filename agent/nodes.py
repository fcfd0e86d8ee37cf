"""The graph's nodes: ingest -> plan -> (approve) -> tools -> plan ... -> respond."""

from __future__ import annotations

from typing import Any, Literal

from langchain_core.messages import AIMessage, ToolMessage
from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt

from agent import repo
from agent.context import Context
from agent.db import session_scope
from agent.ingest import turn_inputs
from agent.planner import artifacts, message_text, tool_results, turn_messages
from agent.state import StudioState
from prompts import render
from prompts.platforms import platform_names, rule
from tools import SENSITIVE_TOOLS
from tools.briefs import detect_platforms


def ingest(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Validate the new input and resolve the turn's target platforms."""
    ctx = runtime.context
    human, _ = turn_messages(state.get("messages", []))
    text = message_text(human)
    limit = ctx.services.settings.max_message_chars
    if len(text) > limit:
        reply = f"That message is {len(text):,} characters; the most I take is {limit:,}. Please shorten it."
        return {"messages": [AIMessage(content=reply)], "rejected": True}
    inputs = turn_inputs(ctx.services, user_id=ctx.user_id, text=text, assets=state.get("assets") or [])
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


async def after_ingest(state: StudioState) -> Literal["plan", "__end__"]:
    return "__end__" if state.get("rejected") else "plan"


async def plan(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    message = await runtime.context.services.planner.plan(dict(state), runtime.context)
    return {"messages": [message]}


async def after_plan(state: StudioState) -> Literal["approve", "tools", "respond"]:
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and last.tool_calls:
        if any(call["name"] in SENSITIVE_TOOLS for call in last.tool_calls):
            return "approve"
        return "tools"
    return "respond"


def approval_request(calls: list[dict[str, Any]]) -> dict[str, Any]:
    actions = [{"tool": c["name"], "args": c["args"], "id": c["id"]} for c in calls]
    described = "; ".join(
        f"{a['tool']}({', '.join(f'{k}={v!r}' for k, v in a['args'].items())})" for a in actions
    )
    return {"type": "approval", "question": f"May I do this: {described}?", "actions": actions}


def is_approved(decision: Any) -> tuple[bool, str]:
    """Accepts True/False, "approve"/"decline", or {"approved": bool, "note": str}."""
    if isinstance(decision, dict):
        return bool(decision.get("approved")), str(decision.get("note", ""))
    if isinstance(decision, str):
        return decision.strip().lower() in {"approve", "approved", "yes", "y", "ok"}, ""
    return bool(decision), ""


def approve(state: StudioState, runtime: Runtime[Context]) -> Command[Literal["tools", "plan"]]:
    """Stop for the user's decision before a sensitive tool. Nothing here runs twice with side effects:
    LangGraph re-runs this node from the top on resume, so all writes come after ``interrupt``."""
    last = state["messages"][-1]
    assert isinstance(last, AIMessage)
    sensitive: list[dict[str, Any]] = [dict(c) for c in last.tool_calls if c["name"] in SENSITIVE_TOOLS]
    approved, note = is_approved(interrupt(approval_request(sensitive)))
    if approved:
        return Command(goto="tools")
    ctx = runtime.context
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
    return Command(goto="plan", update={"messages": declined})


async def respond(state: StudioState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Finish the turn. A model's own answer stands; the rules planner's empty answer is written here."""
    last = state["messages"][-1]
    if isinstance(last, AIMessage) and message_text(last).strip():
        return {}
    _, turn = turn_messages(state["messages"])
    reply = compose_reply(turn, runtime.context)
    return {"messages": [AIMessage(content=reply, id=last.id)]}


_OPTIMIZE = frozenset({"score", "variants", "best_time", "diagnosis", "metrics_import", "competitor"})
# the content tools that say it in their own words (tools/brand.py, tools/rewrite.py)
_CONTENT_REPLIES = frozenset({"voice_rules", "voice_rule_deleted", "alt_text", "notice"})


def compose_reply(turn: list[Any], ctx: Context) -> str:
    parts: list[str] = []
    drafts = latest_drafts(turn)
    if drafts:
        notes = sorted(
            {
                f"{d['writer']} wrote this because {d['fallback_reason']}"
                for d in drafts
                if d.get("fallback_reason")
            }
            | {str(d["note"]) for d in drafts if d.get("note")}
        )
        parts.append(render("reply_drafts", drafts=drafts, notes=notes))
    for art in artifacts(turn, "hashtags"):
        tags = " ".join(f"#{t}" for t in art["hashtags"])
        parts.append(f"Hashtags for {rule(art['platform']).label}: {tags}")
    for art in artifacts(turn, "memory"):
        parts.append(f"Got it — I'll remember: “{art['content']}” (memory #{art['id']}).")
    for art in artifacts(turn, "memories"):
        items = art["items"]
        if items:
            parts.append(
                "Here is what I remember:\n" + "\n".join(f"- #{m['id']}: {m['content']}" for m in items)
            )
        else:
            parts.append("I don't have anything remembered for you yet. Tell me “remember that …”.")
    approved = [m for m in tool_results(turn, "approve_draft") if (m.artifact or {}).get("type") == "draft"]
    for m in approved:
        parts.append(f"✅ Draft #{m.artifact['id']} is approved.")
    for art in artifacts(turn, "declined"):
        parts.append(f"OK — I did not run {art['tool']}.")
    for m in tool_results(turn):  # the optimization tools say it in their own words
        said = getattr(m, "artifact", None)
        if (
            isinstance(said, dict)
            and said.get("reply")
            and (
                said.get("type") in _OPTIMIZE or said.get("type") in _CONTENT_REPLIES or "improvement" in said
            )
        ):
            parts.append(str(said["reply"]))
    for art in artifacts(turn, "error"):
        parts.append(f"⚠️ {art['message']}")
    if not parts:
        human_intent = _last_intent(turn)
        if human_intent in {"score", "improve", "variants"}:
            parts.append("Which draft? There is none in this conversation yet: name one (“draft #3”).")
        elif human_intent == "approve":
            parts.append("There is no draft to approve yet. Ask me for a post first.")
        else:
            parts.append(render("help", platforms=platform_names(), example_draft_id=1))
    return "\n\n".join(parts)


def latest_drafts(turn: list[Any]) -> list[dict[str, Any]]:
    """The final version of each draft touched in this turn, in creation order."""
    latest: dict[int, dict[str, Any]] = {}
    for art in artifacts(turn, "draft"):
        latest[art["id"]] = art
    for art in artifacts(turn, "variants"):  # A/B variants are drafts too
        for draft in art.get("drafts", []):
            latest[draft["id"]] = draft
    return [latest[k] for k in sorted(latest)]


def _last_intent(turn: list[Any]) -> str | None:
    for m in reversed(turn):
        if isinstance(m, AIMessage):
            return str(m.response_metadata.get("intent") or "") or None
    return None
