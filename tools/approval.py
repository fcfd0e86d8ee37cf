"""Actions that need the user's approval. The graph interrupts before any tool named in SENSITIVE_TOOLS."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.core import repo
from agent.core.models import DraftStatus
from agent.services.results import ToolOutput
from tools.common import tool_errors, user_session
from tools.writing import draft_result


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
