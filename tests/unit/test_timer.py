"""The embedded timer's shutdown: a job run in progress finishes instead of being cut off."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest

from integrations.timer import SchedulerTimer


async def test_closing_lets_a_running_sweep_finish(caplog: pytest.LogCaptureFixture) -> None:
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow_sweep() -> None:
        started.set()
        await asyncio.sleep(0.3)  # e.g. a publish between its claim and its record
        finished.set()

    def nothing_upcoming(_until: datetime) -> list[tuple[int, datetime]]:
        return []

    async def dispatch(_ids: list[int]) -> None:
        return None

    timer = SchedulerTimer(
        dispatch=dispatch, sweep=slow_sweep, upcoming=nothing_upcoming, sweep_interval_s=60
    )
    caplog.set_level(logging.ERROR)
    timer.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await timer.aclose()

    assert finished.is_set() and not timer.running
    assert not [r for r in caplog.records if "Error running job" in r.getMessage()]


async def test_closing_cancels_what_outlives_the_timeout() -> None:
    started = asyncio.Event()

    async def stuck_sweep() -> None:
        started.set()
        await asyncio.sleep(60)

    timer = SchedulerTimer(
        dispatch=lambda _ids: asyncio.sleep(0),
        sweep=stuck_sweep,
        upcoming=lambda _until: [],
        sweep_interval_s=60,
    )
    timer.start()
    await asyncio.wait_for(started.wait(), timeout=10)
    await asyncio.wait_for(timer.aclose(timeout_s=0.2), timeout=10)  # returns: it does not hang
    assert not timer.running
