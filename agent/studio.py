"""The studio runtime: services built once per process, the compiled graph, and ``run_turn`` — the one
entry point the CLI, the web chat, the Slack bot and the benchmarks use for an agent turn.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.context import Context, Services
from agent.db import make_engine
from agent.errors import InputError
from agent.llm import choose_planner, make_chat_model
from agent.migrate import ensure_schema
from agent.nodes import latest_drafts
from agent.planner import make_planner, message_text, turn_messages
from agent.settings import Settings
from integrations.writers.base import Writer
from integrations.writers.llm import LLMWriter
from integrations.writers.template import TemplateWriter
from prompts.platforms import resolve_platform

log = logging.getLogger(__name__)

RECURSION_LIMIT = 30
EventHandler = Callable[[dict[str, Any]], Awaitable[None]]


class TurnResult(BaseModel):
    """The outcome of one agent turn; ``studio ask --json`` prints exactly this shape (plus thread_id)."""

    reply: str
    tools: list[str] = Field(default_factory=list)
    drafts: list[dict[str, Any]] = Field(default_factory=list)
    assets: list[dict[str, Any]] = Field(default_factory=list)
    backend: dict[str, str] = Field(default_factory=dict)
    approval: dict[str, Any] | None = None
    thread_id: str = ""

    def public(self) -> dict[str, Any]:
        drafts = [
            {
                "id": d["id"],
                "platform": d["platform"],
                "text": d["text"],
                "hashtags": d["hashtags"],
                "score": d.get("score"),
                "length": d.get("length"),
                "limit": d.get("limit"),
                "writer": d.get("writer"),
                "status": d.get("status"),
            }
            for d in self.drafts
        ]
        return {
            "reply": self.reply,
            "tools": self.tools,
            "drafts": drafts,
            "assets": self.assets,
            "backend": self.backend,
            "approval": self.approval,
            "thread_id": self.thread_id,
        }


def build_services(settings: Settings, *, writer: Writer | None = None, chat_model: Any = None) -> Services:
    """Everything a tool or node may need, built once at the edge. Tests pass fakes for writer/model."""
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    model = chat_model if chat_model is not None else make_chat_model(settings)
    if writer is None:
        writer = LLMWriter(model, settings.llm_model or "model") if model is not None else TemplateWriter()
    planner_name = (
        "llm" if chat_model is not None and settings.planner != "rules" else choose_planner(settings)
    )
    planner = make_planner(planner_name, model)
    return Services(settings=settings, engine=engine, writer=writer, planner=planner, chat_model=model)


class Studio:
    """Holds the services, the checkpointer and the compiled graph for the life of a process."""

    def __init__(self, services: Services, graph: Any) -> None:
        self.services = services
        self.graph = graph

    @classmethod
    @asynccontextmanager
    async def open(
        cls, settings: Settings, *, services: Services | None = None, checkpointer: Any = None
    ) -> AsyncIterator[Studio]:
        from agent.graph import build_graph
        from agent.memory import open_checkpointer

        services = services or build_services(settings)
        ensure_schema(services.engine)
        async with AsyncExitStack() as stack:
            if checkpointer is None:
                checkpointer = await stack.enter_async_context(open_checkpointer(settings))
            try:
                yield cls(services, build_graph(checkpointer))
            finally:
                services.engine.dispose()

    def _platforms(self, platforms: list[str] | tuple[str, ...]) -> tuple[str, ...]:
        try:
            return tuple(dict.fromkeys(resolve_platform(p) for p in platforms))
        except ValueError as exc:
            raise InputError(str(exc)) from None

    async def run_turn(
        self,
        *,
        user_id: str,
        thread_id: str,
        text: str | None = None,
        resume: Any = None,
        platforms: list[str] | tuple[str, ...] = (),
        channel: str = "web",
        on_event: EventHandler | None = None,
    ) -> TurnResult:
        """Run one turn: a new message (``text``) or the answer to a pending approval (``resume``)."""
        if (text is None) == (resume is None):
            raise InputError("Give either a message or an approval decision.")
        if text is not None and not text.strip():
            raise InputError("The message is empty.")
        ctx = Context(
            services=self.services,
            user_id=user_id,
            thread_id=thread_id,
            channel=channel,
            platforms=self._platforms(platforms),
        )
        config: dict[str, Any] = {
            "configurable": {"thread_id": thread_id},
            "recursion_limit": RECURSION_LIMIT,
        }
        if resume is not None:
            snapshot = await self.graph.aget_state(config)
            if not snapshot.interrupts:
                raise InputError("There is nothing waiting for your approval in this conversation.")
            graph_input: Any = Command(resume=resume)
        else:
            graph_input = {"messages": [HumanMessage(content=text or "")]}
        messages: list[Any] = []
        pending: dict[str, Any] | None = None
        # durability="exit": the turn's checkpoint is written once, when the run ends, is interrupted for
        # approval, or fails — not after every step. A turn lasts seconds and every tool commits its own
        # rows, so a crash mid-turn loses only that turn's chat history; it halves the agent's overhead.
        async for mode, chunk in self.graph.astream(
            graph_input, config, context=ctx, stream_mode=["updates", "values"], durability="exit"
        ):
            if mode == "values":
                messages = chunk.get("messages", [])
                continue
            if chunk.get("__interrupt__"):
                pending = chunk["__interrupt__"][0].value
            if on_event is not None:
                for event in _events(chunk):
                    await on_event(event)
        return self._turn_result(messages, pending, thread_id)

    async def result(self, *, thread_id: str) -> TurnResult:
        """The latest turn of a thread, as a :class:`TurnResult` (pending approval included)."""
        snapshot = await self.graph.aget_state({"configurable": {"thread_id": thread_id}})
        pending = snapshot.interrupts[0].value if snapshot.interrupts else None
        return self._turn_result(snapshot.values.get("messages", []), pending, thread_id)

    def _turn_result(
        self, messages: list[Any], approval: dict[str, Any] | None, thread_id: str
    ) -> TurnResult:
        _, turn = turn_messages(messages)
        last = turn[-1] if turn else None
        if approval:
            reply = approval.get("question", "Waiting for your approval.")
        else:
            reply = message_text(last) if isinstance(last, AIMessage) else ""
        tools = [m.name or "" for m in turn if isinstance(m, ToolMessage) and _ran(m)]
        drafts = latest_drafts(turn)
        backend = dict(self.services.backend)
        writers = sorted({d["writer"] for d in drafts if d.get("writer")})
        if writers:
            backend["writer"] = ",".join(writers)
        return TurnResult(
            reply=reply, tools=tools, drafts=drafts, backend=backend, approval=approval, thread_id=thread_id
        )


def _ran(message: ToolMessage) -> bool:
    artifact = getattr(message, "artifact", None)
    return not (isinstance(artifact, dict) and artifact.get("type") == "declined")


def _events(update: dict[str, Any]) -> list[dict[str, Any]]:
    """Graph updates as UI events: tool_start / tool_end / approval / reply."""
    events: list[dict[str, Any]] = []
    for node, value in update.items():
        if node == "__interrupt__":
            for intr in value:
                events.append({"type": "approval", "request": intr.value})
            continue
        for msg in (value or {}).get("messages", []) if isinstance(value, dict) else []:
            if isinstance(msg, AIMessage) and msg.tool_calls:
                for call in msg.tool_calls:
                    events.append(
                        {"type": "tool_start", "id": call["id"], "name": call["name"], "args": call["args"]}
                    )
            elif isinstance(msg, ToolMessage):
                events.append(
                    {
                        "type": "tool_end",
                        "id": msg.tool_call_id,
                        "name": msg.name,
                        "content": message_text(msg),
                        "artifact": getattr(msg, "artifact", None),
                        "error": msg.status == "error",
                    }
                )
            elif isinstance(msg, AIMessage) and node in {"respond", "ingest"} and message_text(msg):
                events.append({"type": "reply", "text": message_text(msg)})
    return events
