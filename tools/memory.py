"""Long-term memory tools: what the user asks the studio to remember, and looking it up."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.content.writers.words import keywords
from agent.core import repo
from agent.services.results import MemoriesResult, MemoryItem, MemoryResult, ToolOutput
from tools.common import tool_errors, user_session


@tool(response_format="content_and_artifact")
@tool_errors
def remember(fact: str, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Store a lasting fact or rule about the user's brand, e.g. "we never use emojis on LinkedIn".

    Use when the user states a preference that should shape every later post. The fact is kept across
    conversations and channels (web and Slack) and goes into every later plan.
    """
    with user_session(runtime) as (session, ctx):
        memory = repo.add_memory(session, user_id=ctx.user_id, content=fact, kind="rule")
        view = MemoryResult(id=memory.id or 0, content=memory.content)
    return f"Remembered (#{view.id}): {view.content}", view.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def recall(runtime: ToolRuntime[Any], query: str = "") -> ToolOutput:
    """List what the user asked you to remember, most relevant to `query` first (all when empty)."""
    with user_session(runtime) as (session, ctx):
        memories = repo.list_memories(session, user_id=ctx.user_id)
        items = [MemoryItem(id=m.id or 0, content=m.content) for m in memories]
    wanted = set(keywords(query))
    if wanted:
        scored = [(len(wanted & set(keywords(m.content))), i, m) for i, m in enumerate(items)]
        matching = [m for score, _, m in sorted(scored, key=lambda t: (-t[0], t[1])) if score > 0]
        items = matching or items
    artifact = MemoriesResult(items=items, query=query).model_dump(mode="json")
    if not items:
        return "I have nothing remembered for you yet.", artifact
    return "What I remember:\n" + "\n".join(f"- (#{m.id}) {m.content}" for m in items), artifact
