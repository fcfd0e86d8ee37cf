"""The in-process timer (embedded default): APScheduler 3.11 ``AsyncIOScheduler`` with a date job per post
and a sweeper interval job. It only decides *when* to look; the database decides *what* is due.

Each process has its own in-memory job store (APScheduler 3 must never share a job store between
schedulers). A date job that fires late or twice is harmless: it asks the dispatcher to claim due posts, and
a claim succeeds once. The sweeper catches anything the date jobs missed (restart, misfire, posts scheduled by
another process) and re-arms date jobs for the next horizon.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

Dispatch = Callable[[list[int] | None], Awaitable[Any]]
Sweep = Callable[[], Awaitable[Any]]
Upcoming = Callable[[datetime], list[tuple[int, datetime]]]


class SchedulerTimer:
    def __init__(
        self,
        *,
        dispatch: Dispatch,
        sweep: Sweep,
        upcoming: Upcoming,
        sweep_interval_s: float = 30.0,
        horizon: timedelta = timedelta(hours=1),
    ) -> None:
        self._dispatch = dispatch
        self._sweep = sweep
        self._upcoming = upcoming
        self.sweep_interval_s = sweep_interval_s
        self.horizon = horizon
        self._running: set[asyncio.Task[Any]] = set()  # job runs in progress, awaited by aclose
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    @property
    def running(self) -> bool:
        return bool(self.scheduler.running)

    def start(self) -> None:
        """Start in the running event loop: sweep at once, then every ``sweep_interval_s``."""
        self.scheduler.add_job(
            self._sweep_and_arm,
            "interval",
            seconds=self.sweep_interval_s,
            id="sweeper",
            next_run_time=datetime.now(UTC),
            replace_existing=True,
        )
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop at once: a job still running is cancelled (use :meth:`aclose` from the event loop)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    async def aclose(self, timeout_s: float = 10.0) -> None:
        """Stop starting jobs, let the ones running finish (a publish is not cut between its claim and its
        record; what is still running after ``timeout_s`` is cancelled, and the sweeper of the next start
        reconciles it), then shut down."""
        if not self.scheduler.running:
            return
        self.scheduler.pause()
        running = [task for task in self._running if not task.done()]
        if running:
            await asyncio.wait(running, timeout=timeout_s)
        self.shutdown()
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn

    def notify(self, post_id: int, run_at: datetime) -> None:
        """A post was scheduled or rescheduled: (re)arm its date job."""
        self.scheduler.add_job(
            self._fire,
            "date",
            run_date=max(run_at, datetime.now(UTC)),
            args=[post_id],
            id=f"post:{post_id}",
            replace_existing=True,
        )

    def forget(self, post_id: int) -> None:
        """A post was cancelled: drop its date job (firing anyway would claim nothing)."""
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(f"post:{post_id}")

    def job_ids(self) -> list[str]:
        return [job.id for job in self.scheduler.get_jobs()]

    def _track(self) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _fire(self, post_id: int) -> None:
        self._track()
        try:
            await self._dispatch([post_id])
        except Exception:
            log.exception("Publishing post #%s failed in the timer; the sweeper will retry", post_id)

    async def _sweep_and_arm(self) -> None:
        self._track()
        try:
            await self._sweep()
            for post_id, run_at in self._upcoming(datetime.now(UTC) + self.horizon):
                if self.scheduler.get_job(f"post:{post_id}") is None:
                    self.notify(post_id, run_at)
        except Exception:
            log.exception("The scheduler sweep failed; it runs again in %ss", self.sweep_interval_s)
