"""The one LLM client: ``ChatOpenAI`` against any OpenAI-compatible endpoint."""

from __future__ import annotations

import re

from langchain_openai import ChatOpenAI

from agent.settings import PlannerMode, Settings

# Model families known to plan reliably by tool calling. Small local models (0.5B-3B) are left out on
# purpose: they do not fire tools on "auto" (see FIELD_NOTES). STUDIO_LLM_TOOL_CALLING overrides the guess.
_TOOL_CALLING = re.compile(
    r"(^|[/:_-])(gpt-4|gpt-4o|gpt-4\.1|gpt-5|o[134](-|$)|claude|gemini|mistral-(large|medium|small)|"
    r"mixtral|command-r|qwen2\.5-(7|14|32|72)b|qwen3-(8|14|30|32|235)b|llama-?3\.[1-3]-(8|70|405)b|"
    r"llama3\.[1-3]:(8|70|405)b|llama-?4|deepseek-(v3|chat)|gpt-oss)",
    re.IGNORECASE,
)


def supports_tool_calling(settings: Settings) -> bool:
    if not settings.llm_configured:
        return False
    if settings.llm_tool_calling is not None:
        return settings.llm_tool_calling
    return bool(_TOOL_CALLING.search(settings.llm_model or ""))


def choose_planner(settings: Settings) -> str:
    """'llm' or 'rules', from the planner setting and what the configured model can do."""
    if settings.planner is PlannerMode.RULES:
        return "rules"
    if settings.planner is PlannerMode.LLM:
        return "llm"
    return "llm" if supports_tool_calling(settings) else "rules"


def make_chat_model(settings: Settings) -> ChatOpenAI | None:
    if not settings.llm_configured:
        return None
    return ChatOpenAI(
        model=settings.llm_model or "",
        base_url=settings.llm_base_url,
        api_key=settings.llm_api_key or "not-needed",
        timeout=settings.llm_timeout_s,
        max_retries=2,
        temperature=0.7,
    )
