"""The tools the agent plans over. ``TOOLS`` is bound to the model and handed to the ToolNode."""

from __future__ import annotations

from langchain_core.tools import BaseTool

from tools.approval import approve_draft
from tools.brand import delete_voice_rule, edit_draft, list_voice_rules
from tools.linking import link_slack
from tools.memory import recall, remember
from tools.optimize import OPTIMIZE_TOOLS
from tools.perception import read_url, transcribe
from tools.rewrite import rewrite_tone, translate, write_alt_text
from tools.scheduling import (
    cancel_post,
    connect_account,
    list_queue,
    publish_now,
    reschedule_post,
    schedule_post,
)
from tools.scripts import summarize, write_script
from tools.threads import split_thread
from tools.vision import describe_image
from tools.writing import suggest_hashtags, write_caption

TOOLS: list[BaseTool] = [write_caption, suggest_hashtags, remember, recall, approve_draft]
TOOLS += [schedule_post, publish_now, list_queue, cancel_post, reschedule_post, connect_account]
TOOLS += [describe_image]
TOOLS += [transcribe, read_url, write_script, summarize]
TOOLS += OPTIMIZE_TOOLS
TOOLS += [split_thread, translate, rewrite_tone, write_alt_text]
TOOLS += [edit_draft, list_voice_rules, delete_voice_rule]
TOOLS += [link_slack]

TOOL_NAMES: frozenset[str] = frozenset(t.name for t in TOOLS)
TOOL_ARGS: dict[str, frozenset[str]] = {t.name: frozenset(t.args) for t in TOOLS}  # what each tool takes

# The graph stops for the user's approval before running any of these.
SENSITIVE_TOOLS: frozenset[str] = frozenset({"approve_draft", "schedule_post", "publish_now"})

__all__ = ["SENSITIVE_TOOLS", "TOOLS", "TOOL_ARGS", "TOOL_NAMES"]
