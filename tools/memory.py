"""Long-term memory tools: what the user asks the studio to remember, and looking it up."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.content.writers.words import keywords
from agent.core import repo
from agent.core.errors import StudioError
from tools.common import user_session


@tool(response_format="content_and_artifact")
def remember(fact: str, runtime: ToolRuntime[Any]) -> tuple[str, dict[str, Any]]:
    """Store a lasting fact or rule about the user's brand, e.g. "we never use emojis on LinkedIn".

    Use when the user states a preference that should shape every later post. The fact is kept across
    conversations and channels (web and Slack) and goes into every later plan.
    """
    with user_session(runtime) as (session, ctx):
        try:
            memory = repo.add_memory(session, user_id=ctx.user_id, content=fact, kind="rule")
        except StudioError as exc:
            return str(exc), {"type": "error", "message": str(exc)}
        view = {"type": "memory", "id": memory.id, "content": memory.content}
    return f"Remembered (#{view['id']}): {view['content']}", view


@tool(response_format="content_and_artifact")
def recall(runtime: ToolRuntime[Any], query: str = "") -> tuple[str, dict[str, Any]]:
    """List what the user asked you to remember, most relevant to `query` first (all when empty)."""
    with user_session(runtime) as (session, ctx):
        memories = repo.list_memories(session, user_id=ctx.user_id)
        items: list[dict[str, Any]] = [{"id": m.id, "content": m.content} for m in memories]
    wanted = set(keywords(query))
    if wanted:
        scored = [(len(wanted & set(keywords(str(m["content"])))), i, m) for i, m in enumerate(items)]
        matching = [m for score, _, m in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        items = matching or items
    artifact = {"type": "memories", "items": items, "query": query}
    if not items:
        return "I have nothing remembered for you yet.", artifact
    return "What I remember:\n" + "\n".join(f"- (#{m['id']}) {m['content']}" for m in items), artifact
