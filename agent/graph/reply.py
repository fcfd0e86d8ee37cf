"""The turn's answer when the planner leaves it to the graph (the rules planner): the drafts, hashtags,
memories, approvals and errors of the turn's tool results, and what was heard, seen and read."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, AnyMessage

from agent.content.formatting import clip, clock
from agent.graph.turn import artifacts, by_tool, latest_drafts, message_text, results, tool_results
from prompts import render
from prompts.platforms import platform_names, rule

_SAY_IT_THEMSELVES = frozenset(
    {
        "schedule_post",
        "publish_now",
        "list_queue",
        "cancel_post",
        "reschedule_post",
        "link_slack",
        "connect_account",
    }
)
_OPTIMIZE = frozenset({"score", "variants", "best_time", "diagnosis", "metrics_import", "competitor"})
# the content tools that say it in their own words (tools/brand.py, tools/rewrite.py)
_CONTENT_REPLIES = frozenset({"voice_rules", "voice_rule_deleted", "alt_text", "notice"})


def compose_reply(turn: Sequence[AnyMessage]) -> str:
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
    for m in tool_results(turn):  # scheduling and linking say it in their own words
        if m.name in _SAY_IT_THEMSELVES and not (
            isinstance(m.artifact, dict) and m.artifact.get("type") == "error"
        ):
            parts.append(message_text(m))
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


def final_reply(turn: Sequence[AnyMessage]) -> str:
    """What was heard, seen and read in this turn, then the usual reply (drafts, hashtags, errors)."""
    parts: list[str] = []
    found = results(turn)
    for art in by_tool(found, "transcribe"):
        if art.get("type") != "transcript":
            continue
        if art.get("text"):
            text = clip(art["text"], 600)
            parts.append(
                f"🎙️ Transcript of “{art.get('filename') or 'your recording'}” "
                f"({clock(art.get('duration_s') or 0)}, {art.get('language')}, {art.get('model')}):\n{text}"
            )
        else:
            parts.append(f"🎙️ I heard no speech in “{art.get('filename') or 'your recording'}”.")
    for art in by_tool(found, "describe_image"):
        if art.get("type") == "vision":
            labels = ", ".join(str(lb.get("label")) for lb in (art.get("labels") or [])[:5])
            parts.append(
                f"🖼️ I see: {labels or 'nothing I recognise'}."
                + (f" Alt text: {art['alt_text']}" if art.get("alt_text") else "")
            )
    for art in by_tool(found, "read_url"):
        if art.get("type") == "page":
            parts.append(f"🔗 Read “{art.get('title') or art.get('final_url')}” ({art.get('words')} words).")
    for art in by_tool(found, "summarize"):
        if art.get("type") == "summary":
            points = "\n".join(f"- {p}" for p in art.get("key_points") or [])
            parts.append(
                f"📝 **{art.get('title')}**\n{art.get('summary')}"
                + (f"\n\nKey points:\n{points}" if points else "")
            )
    if latest_drafts(turn) or artifacts(turn, "error") or artifacts(turn, "hashtags") or not parts:
        parts.append(compose_reply(turn))
    return "\n\n".join(parts)


def _last_intent(turn: Sequence[AnyMessage]) -> str | None:
    for m in reversed(turn):
        if isinstance(m, AIMessage):
            return str(m.response_metadata.get("intent") or "") or None
    return None
