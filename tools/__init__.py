"""The tools the agent plans over. ``TOOLS`` is bound to the model and handed to the ToolNode."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.approval import approve_draft
from tools.memory import recall, remember
from tools.writing import suggest_hashtags, write_caption

TOOLS: list[BaseTool] = [write_caption, suggest_hashtags, remember, recall, approve_draft]

# The graph stops for the user's approval before running any of these (later: schedule_post, publish_now).
SENSITIVE_TOOLS: frozenset[str] = frozenset({"approve_draft"})

__all__ = ["SENSITIVE_TOOLS", "TOOLS"]
