"""Fixtures shared by the unit tests that drive the agent's tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.runtime.studio import Studio


@pytest.fixture
async def studio(settings: Any) -> AsyncIterator[Studio]:
    """A Studio on the test settings (SQLite, template writer) with an in-memory checkpointer."""
    async with Studio.open(settings, checkpointer=InMemorySaver()) as opened:
        yield opened
