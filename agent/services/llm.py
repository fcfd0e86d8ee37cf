"""The one LLM client: ``ChatOpenAI`` against any OpenAI-compatible endpoint — a configured one, or the
local model server the studio starts when none is configured."""

from __future__ import annotations

import logging
import re

from langchain_openai import ChatOpenAI

from agent.core.settings import PlannerMode, Settings
from agent.services.llm_writer import LLMWriter
from integrations.llm_server.local import LocalModel, attach_running, expected_alias
from integrations.llm_server.models import LocalModelError

log = logging.getLogger(__name__)

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


def start_local_model(settings: Settings, *, reuse: bool = False) -> LocalModel | None:
    """The local model the settings ask for, started — or None (logged why) when it is off or cannot run.

    Called when no LLM endpoint is configured; the studio then writes with the template writer. With
    ``reuse`` (a one-shot command) a server another studio process runs on the same data dir is used when
    there is one, and a server started here is not published; otherwise the server started here is."""
    if settings.local_model == "off":
        return None
    if reuse:
        attached = attach_running(settings.data_dir, expected_alias(settings.local_model))
        if attached is not None:
            return attached
    try:
        local = LocalModel.start(
            settings.local_model,
            data_dir=settings.data_dir,
            threads=settings.local_model_threads,
            ctx=settings.local_model_ctx,
            port=settings.local_model_port,
        )
    except LocalModelError as exc:
        log.warning("Local model unavailable, writing with the template writer: %s", exc)
        return None
    except OSError as exc:  # e.g. no room in the data dir for the assembled model
        log.warning("Local model unavailable (%s), writing with the template writer", exc)
        return None
    if not reuse:
        local.publish(settings.data_dir)
    return local


def local_writer(local: LocalModel, *, timeout_s: float = 60.0) -> LLMWriter:
    """An :class:`LLMWriter` on the local server, asking for JSON constrained by the schema (grammar)."""
    return LLMWriter(local.chat_model(timeout_s=timeout_s), local.model.alias, structured="json_object")
