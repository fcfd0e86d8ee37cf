"""What tools and nodes receive at run time: the services (built once at the edge) and who is asking.

Tools never read environment variables or build clients; they get everything from :class:`Context`
through LangGraph's runtime (``ToolRuntime[Context]`` / ``Runtime[Context]``), hidden from the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from langchain_core.messages import AIMessage
from sqlalchemy.engine import Engine

from agent.settings import Settings
from integrations.writers.base import Writer

if TYPE_CHECKING:
    from agent.perception import Perception
    from integrations.vision.base import VisionBackend


class Planner(Protocol):
    """Given the graph state, the next step: an AIMessage with tool_calls, or without them when done."""

    name: str

    async def plan(self, state: dict[str, Any], ctx: Context) -> AIMessage: ...


@dataclass
class Services:
    settings: Settings
    engine: Engine
    writer: Writer
    planner: Planner
    chat_model: Any = None  # a BaseChatModel when an LLM endpoint is configured
    extras: dict[str, Any] = field(default_factory=dict)
    dispatcher: Any = None  # agent.dispatcher.Dispatcher: publishes due posts
    timer: Any = None  # integrations.timer.SchedulerTimer when the embedded scheduler runs
    box: Any = None  # agent.security.CredentialBox for platform credentials
    perception: Perception | None = None  # ingest, speech to text, perception cache (agent.perception)
    vision: VisionBackend | None = None  # image understanding (integrations.vision); models load on first use

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
