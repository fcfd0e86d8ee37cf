"""The agent graph, compiled in one place: ingest -> plan -> [approve] -> tools <-> plan -> respond.

A UI action (a button in the web studio or Slack) enters with its tool call made: [approve] -> tools ->
respond, with the same approval interrupt and the same records as a planned call."""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode

from agent.graph import nodes
from agent.graph.state import StudioState
from agent.services.context import Context
from tools import TOOLS


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> CompiledStateGraph[Any, Any, Any, Any]:
    graph = StateGraph(StudioState, context_schema=Context)
    graph.add_node("ingest", nodes.ingest)
    graph.add_node("plan", nodes.plan)
    graph.add_node("approve", nodes.approve)
    graph.add_node("tools", ToolNode(TOOLS))
    graph.add_node("respond", nodes.respond)
    graph.add_conditional_edges(START, nodes.entry)
    graph.add_conditional_edges("ingest", nodes.after_ingest, {"plan": "plan", "__end__": END})
    graph.add_conditional_edges("plan", nodes.after_plan)
    graph.add_conditional_edges("tools", nodes.after_tools)
    graph.add_edge("respond", END)
    return graph.compile(checkpointer=checkpointer)
