"""What tools and nodes receive at run time: the services (built once at the edge) and who is asking.

Tools never read environment variables or build clients; they get everything from :class:`Context`
through LangGraph's runtime (``ToolRuntime[Context]`` / ``Runtime[Context]``), hidden from the model.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage
from sqlalchemy.engine import Engine

from agent.content.brief import Intent
from agent.content.writers.base import Writer
from agent.core.security import CredentialBox
from agent.core.settings import Settings
from agent.services.dispatcher import Dispatcher
from agent.services.perception import Perception
from agent.services.rewriting import RewriteModel
from integrations.llm_server.local import LocalModel
from integrations.timer import SchedulerTimer
from integrations.vision.base import VisionBackend


class Planner(Protocol):
    """Given the graph state, the next step: an AIMessage with tool_calls, or without them when done."""

    name: str

    async def plan(self, state: dict[str, Any], ctx: Context) -> AIMessage: ...


@dataclass
class Services:
    """Everything a tool or node may use, built once per process by ``agent.runtime.build_services``."""

    settings: Settings
    engine: Engine
    writer: Writer
    planner: Planner
    box: CredentialBox  # platform credentials, encrypted at rest
    dispatcher: Dispatcher  # publishes due posts
    perception: Perception  # ingest, speech to text, perception cache; models load on first use
    vision: VisionBackend  # image understanding; models load on first use
    chat_model: BaseChatModel | None = None  # when an LLM endpoint (or the local model server) is used
    local_model: LocalModel | None = None  # the local model server this process uses (stopped at close)
    local_model_warm_up: threading.Thread | None = None  # evaluates the caption prompt's static part
    timer: SchedulerTimer | None = None  # when the embedded scheduler runs (Studio.open)
    router: Callable[[str], Intent | None] | None = None  # semantic routing of requests no cue matches
    rewriter: RewriteModel | None = None  # translates and rewrites tone beside the template writer

    @property
    def backend(self) -> dict[str, str]:
        return {"planner": self.planner.name, "writer": self.writer.name}


@dataclass
class Context:
    services: Services
    user_id: str
    thread_id: str
    channel: str = "web"
    platforms: tuple[str, ...] = ()
    memo: dict[str, Any] = field(default_factory=dict)  # per-turn cache (e.g. the system prompt)
