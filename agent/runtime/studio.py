"""The studio runtime: services built once per process, the compiled graph, and ``run_turn`` — the one
entry point the CLI, the web chat, the Slack bot and the benchmarks use for an agent turn.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.graph.message import add_messages
from langgraph.types import Command
from pydantic import BaseModel, Field

from agent.core.errors import InputError, NotFound
from agent.core.migrate import ensure_schema
from agent.core.settings import Settings
from agent.graph.graph import build_graph
from agent.graph.turn import call, latest_drafts, message_text, turn_messages
from agent.runtime.services import build_services, close_local_model, start_timer
from agent.services.context import Context, Services
from agent.services.ingest import Attachment, Ingested
from agent.services.memory import open_checkpointer
from agent.services.views.drafts import DraftView
from prompts.platforms import resolve_platform
from tools import TOOL_ARGS, TOOL_NAMES

log = logging.getLogger(__name__)

RECURSION_LIMIT = 30
EventHandler = Callable[[dict[str, Any]], Awaitable[None]]


class TurnResult(BaseModel):
    """The outcome of one agent turn; ``studio ask --json`` prints exactly this shape."""

    reply: str
    tools: list[str] = Field(default_factory=list)
    drafts: list[DraftView] = Field(default_factory=list)
    assets: list[dict[str, Any]] = Field(default_factory=list)
    backend: dict[str, str] = Field(default_factory=dict)
    approval: dict[str, Any] | None = None
    thread_id: str = ""

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class Studio:
    """Holds the services, the checkpointer and the compiled graph for the life of a process."""

    def __init__(self, services: Services, graph: Any) -> None:
        self.services = services
        self.graph = graph

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        settings: Settings,
        *,
        services: Services | None = None,
        checkpointer: Any = None,
        timer: bool | None = None,
        reuse_local_model: bool = False,
    ) -> AsyncIterator[Studio]:
        """``timer``: run the embedded scheduler (default: when STUDIO_SCHEDULER=embedded);
        ``reuse_local_model``: see :func:`build_services` (one-shot commands)."""
        services = services or build_services(settings, reuse_local_model=reuse_local_model)
        ensure_schema(services.engine)
        async with AsyncExitStack() as stack:
            if checkpointer is None:
                checkpointer = await stack.enter_async_context(open_checkpointer(settings))
            if timer if timer is not None else settings.scheduler == "embedded":
                services.timer = start_timer(services)
            try:
                yield cls(services, build_graph(checkpointer))
            finally:
                if services.timer is not None:
                    await services.timer.aclose()
                    services.timer = None
                await services.dispatcher.aclose()
                services.perception.close()
                close_local_model(services)
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
        attachments: Sequence[Attachment] = (),
    ) -> TurnResult:
        """Run one turn: a new message (``text``, with optional ``attachments`` — file paths or
        ``(bytes, filename)``) or the answer to a pending approval (``resume``).

        Attachments go through ingest before the graph runs; a refused one raises :class:`InputError`
        (what is wrong and the limit) and leaves nothing stored."""
        if attachments and resume is None and text is None:
            text = ""
        if (text is None) == (resume is None):
            raise InputError("Give either a message or an approval decision.")
        if text is not None and not text.strip() and not attachments:
            raise InputError("The message is empty.")
        ctx = self._context(user_id, thread_id, channel, platforms)
        config = self._config(user_id, thread_id)
        if resume is not None:
            return await self._resume(ctx, config, resume, on_event)
        await self._check_thread(config, user_id)
        ingested = await self._ingest(user_id, attachments) if attachments else []
        graph_input = {
            "messages": [HumanMessage(content=text or "")],
            "assets": [i.view() for i in ingested],
            "action": False,
        }
        return await self._stream(graph_input, ctx, config, on_event)

    async def run_action(
        self,
        *,
        user_id: str,
        thread_id: str,
        tool: str,
        args: dict[str, Any],
        channel: str = "web",
        on_event: EventHandler | None = None,
    ) -> TurnResult:
        """A UI action — a button in the web studio or in Slack — as a turn whose tool call is already made:
        no words to parse, no planner. It takes the graph's own path (the approval step for a sensitive tool,
        the tools, the reply) and leaves the same records as a planned call. The click is the user's
        approval of exactly this call, so its approval is given here and recorded as coming from the button.
        """
        if tool not in TOOL_NAMES:
            raise InputError(f"Unknown action {tool!r}.")
        ctx = self._context(user_id, thread_id, channel, ())
        config = self._config(user_id, thread_id)
        await self._check_thread(config, user_id)
        if "note" in TOOL_ARGS[tool] and "note" not in args:  # the approval record says where it came from
            args = {**args, "note": f"approved with the {channel} studio's button"}
        request = call(tool, **args)
        graph_input = {
            "messages": [
                HumanMessage(content=action_text(tool, args), additional_kwargs={"action": tool}),
                AIMessage(content="", tool_calls=[request], response_metadata={"planner": "action"}),
            ],
            "assets": [],
            "urls": [],
            "action": True,
        }
        result = await self._stream(graph_input, ctx, config, on_event)
        actions = (result.approval or {}).get("actions") or []
        if [a.get("id") for a in actions] == [request["id"]]:
            note = f"approved with the {channel} studio's button"
            result = await self._resume(ctx, config, {"approved": True, "note": note}, on_event)
        return result

    def _context(
        self, user_id: str, thread_id: str, channel: str, platforms: list[str] | tuple[str, ...]
    ) -> Context:
        return Context(
            services=self.services,
            user_id=user_id,
            thread_id=thread_id,
            channel=channel,
            platforms=self._platforms(platforms),
        )

    @staticmethod
    def _config(user_id: str, thread_id: str) -> dict[str, Any]:
        return {
            "configurable": {"thread_id": thread_id},
            "recursion_limit": RECURSION_LIMIT,
            "metadata": {"owner": user_id},  # kept in every checkpoint: a thread belongs to one user
        }

    async def _check_thread(self, config: dict[str, Any], user_id: str) -> None:
        latest = await self.graph.checkpointer.aget_tuple(config)
        self._check_owner(latest.metadata if latest else None, user_id)

    async def _resume(
        self, ctx: Context, config: dict[str, Any], decision: Any, on_event: EventHandler | None
    ) -> TurnResult:
        snapshot = await self.graph.aget_state(config)
        self._check_owner(snapshot.metadata, ctx.user_id)
        if not snapshot.interrupts:
            raise InputError("There is nothing waiting for your approval in this conversation.")
        return await self._stream(Command(resume=decision), ctx, config, on_event)

    async def _stream(
        self, graph_input: Any, ctx: Context, config: dict[str, Any], on_event: EventHandler | None
    ) -> TurnResult:
        resumed = isinstance(graph_input, Command)
        # The turn is rebuilt from the node updates (the same reducer as the graph's state), so no full-state
        # snapshot is streamed; a resumed turn began before the interrupt, so it is read back at the end.
        messages: list[Any] = [] if resumed else list(graph_input["messages"])
        state_assets: list[dict[str, Any]] = []
        pending: dict[str, Any] | None = None
        # Progress events ("custom") only when someone listens: that stream mode costs a few ms per turn.
        modes = ["updates", "custom"] if on_event is not None else ["updates"]
        # durability="exit": the turn's checkpoint is written once, when the run ends, is interrupted for
        # approval, or fails — not after every step. A turn lasts seconds and every tool commits its own
        # rows, so a crash mid-turn loses only that turn's chat history; it halves the agent's overhead.
        async for mode, chunk in self.graph.astream(
            graph_input, config, context=ctx, stream_mode=modes, durability="exit"
        ):
            if mode == "custom":  # progress written by a tool (e.g. transcribe)
                if on_event is not None and isinstance(chunk, dict):
                    await on_event(chunk)
                continue
            if chunk.get("__interrupt__"):
                pending = chunk["__interrupt__"][0].value
            for update in chunk.values():
                if isinstance(update, dict):
                    messages = cast(list[Any], add_messages(messages, update.get("messages") or []))
                    state_assets = update.get("assets", state_assets) or state_assets
            if on_event is not None:
                for event in _events(chunk):
                    await on_event(event)
        if resumed:
            snapshot = await self.graph.aget_state(config)
            messages = snapshot.values.get("messages", [])
            state_assets = snapshot.values.get("assets") or []
        return self._turn_result(messages, pending, ctx.thread_id, state_assets)

    async def _ingest(self, user_id: str, attachments: Sequence[Attachment]) -> list[Ingested]:

        ingestor = self.services.perception.ingestor
        return await asyncio.to_thread(ingestor.ingest_many, user_id=user_id, items=list(attachments))

    @staticmethod
    def _check_owner(metadata: dict[str, Any] | None, user_id: str) -> None:
        owner = (metadata or {}).get("owner")
        if owner is not None and owner != user_id:
            raise NotFound("No such conversation.")  # another user's thread: we do not say whose

    async def result(self, *, thread_id: str, user_id: str) -> TurnResult:
        """The latest turn of one of the user's threads, as a :class:`TurnResult` (pending approval included);
        another user's thread is "not found"."""
        snapshot = await self.graph.aget_state({"configurable": {"thread_id": thread_id}})
        self._check_owner(snapshot.metadata, user_id)
        pending = snapshot.interrupts[0].value if snapshot.interrupts else None
        values = snapshot.values
        return self._turn_result(values.get("messages", []), pending, thread_id, values.get("assets") or [])

    def _turn_result(
        self,
        messages: list[Any],
        approval: dict[str, Any] | None,
        thread_id: str,
        assets: list[dict[str, Any]] | None = None,
    ) -> TurnResult:
        _, turn = turn_messages(messages)
        last = turn[-1] if turn else None
        if approval:
            reply = approval.get("question", "Waiting for your approval.")
        else:
            reply = message_text(last) if isinstance(last, AIMessage) else ""
        tools = [m.name or "" for m in turn if isinstance(m, ToolMessage) and _ran(m)]
        drafts = [DraftView.model_validate(d) for d in latest_drafts(turn)]
        backend = dict(self.services.backend)
        writers = sorted({d.writer for d in drafts if d.writer})
        if writers:
            backend["writer"] = ",".join(writers)
        return TurnResult(
            reply=reply,
            tools=tools,
            drafts=drafts,
            assets=turn_assets(assets or [], turn),
            backend=backend,
            approval=approval,
            thread_id=thread_id,
        )


def action_text(tool: str, args: dict[str, Any]) -> str:
    """How a UI action reads in the conversation's history (never parsed: the call itself is recorded)."""
    described = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"[{tool}({described})]"


def turn_assets(attached: list[dict[str, Any]], turn: list[Any]) -> list[dict[str, Any]]:
    """The turn's attachments, then the assets its tools brought in (links read), each once."""
    out = {a["id"]: a for a in attached if a.get("id") is not None}
    for m in turn:
        art = getattr(m, "artifact", None) if isinstance(m, ToolMessage) else None
        if not isinstance(art, dict):
            continue
        if art.get("type") == "asset" and art.get("id") is not None:
            out.setdefault(art["id"], {k: v for k, v in art.items() if k != "from_url"})
        elif art.get("type") == "page" and art.get("asset_id") is not None:
            out.setdefault(
                art["asset_id"],
                {
                    "type": "asset",
                    "id": art["asset_id"],
                    "kind": "url",
                    "mime": "text/plain",
                    "filename": art.get("final_url"),
                    "source_url": art.get("final_url"),
                    "meta": {
                        "title": art.get("title"),
                        "words": art.get("words"),
                        "language": art.get("language"),
                    },
                    "reused": art.get("reused", False),
                },
            )
    return list(out.values())


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
