"""Agent overhead: a full turn through the graph (scripted tool-calling model, SQLite checkpointer) against
the same tool calls made directly, side by side in one run. Target: <= 20 ms of overhead per turn.

    python bench/agent_overhead.py [--turns 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from langchain_core.messages import AIMessage
from langgraph.prebuilt import ToolRuntime

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.settings import load_settings
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from agent.services.context import Context
from tests.fakes.chat_model import ScriptedChatModel
from tools import suggest_hashtags, write_caption

BRIEF = "write an Instagram caption about our new oat latte"


def script() -> list[Any]:
    def tag(messages: list[Any]) -> AIMessage:
        draft_id = messages[-1].artifact["id"]
        call = {"name": "suggest_hashtags", "args": {"draft_id": draft_id}, "id": "c2", "type": "tool_call"}
        return AIMessage("", tool_calls=[call])

    first = {
        "name": "write_caption",
        "args": {"brief": BRIEF, "platform": "instagram"},
        "id": "c1",
        "type": "tool_call",
    }
    return [AIMessage("", tool_calls=[first]), tag, AIMessage("Here is your caption.")]


def direct_turn(ctx: Context) -> None:
    runtime = ToolRuntime(
        state=None, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="c1", store=None
    )
    _, draft = write_caption.func(brief=BRIEF, platform="instagram", runtime=runtime)  # type: ignore[misc]
    suggest_hashtags.func(runtime=runtime, draft_id=draft["id"])  # type: ignore[misc]


async def main(turns: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), _env_file=None)
        model = ScriptedChatModel()
        services = build_services(settings, writer=TemplateWriter(), chat_model=model)
        async with Studio.open(settings, services=services, timer=False) as studio:
            with session_scope(services.engine) as session:
                uid = repo.create_user(session, email="bench@example.com", password="long-enough-pw").id
            ctx = Context(services=services, user_id=uid, thread_id="direct")
            graph_ms: list[float] = []
            direct_ms: list[float] = []
            for i in range(turns + 5):  # interleaved, so both see the same machine state; 5 warm-ups
                model.script = script()
                t0 = time.perf_counter()
                result = await studio.run_turn(user_id=uid, thread_id=f"bench-{i}", text=BRIEF)
                t1 = time.perf_counter()
                direct_turn(ctx)
                t2 = time.perf_counter()
                assert result.tools == ["write_caption", "suggest_hashtags"], result.tools
                if i >= 5:
                    graph_ms.append((t1 - t0) * 1000)
                    direct_ms.append((t2 - t1) * 1000)
    g, d = statistics.median(graph_ms), statistics.median(direct_ms)
    print(f"turns measured:         {turns}")
    print(f"full agent turn median: {g:8.2f} ms   (p90 {statistics.quantiles(graph_ms, n=10)[-1]:.2f} ms)")
    print(f"direct tool calls:      {d:8.2f} ms")
    print(f"overhead per turn:      {g - d:8.2f} ms   (target <= 20 ms) {'OK' if g - d <= 20 else 'OVER'}")
    print(f"ratio graph/direct:     {g / d:8.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=60)
    asyncio.run(main(parser.parse_args().turns))
