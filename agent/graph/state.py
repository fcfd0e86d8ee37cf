"""The graph's state."""

from __future__ import annotations

from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class StudioState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    platforms: list[str]  # target platforms of the current turn, resolved by ingest
    rejected: bool  # ingest refused the input; the reply says why
    assets: list[dict[str, Any]]  # this turn's ingested inputs (asset views), set by Studio.run_turn
    urls: list[str]  # links in this turn's message, found by ingest (read by the read_url tool)
    action: bool  # the turn is a UI action (Studio.run_action): its tool call is made, no planning
