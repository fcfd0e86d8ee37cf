"""``studio worker``: the dispatcher as its own process. Several workers may run against one PostgreSQL
database; claims use ``FOR UPDATE SKIP LOCKED`` so each due post is published by exactly one of them.
SIGTERM / SIGINT stop it after the batch in flight (its outcomes are recorded first)."""

from __future__ import annotations

import asyncio
import logging
import signal

from agent.core.db import make_engine
from agent.core.migrate import ensure_schema
from agent.core.security import CredentialBox
from agent.core.settings import Settings
from agent.services.dispatcher import Dispatcher, dispatcher_for

log = logging.getLogger(__name__)


def build_dispatcher(
    settings: Settings, *, worker_id: str | None = None, batch_size: int | None = None
) -> Dispatcher:
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    ensure_schema(engine)
    box = CredentialBox(settings.resolved_secrets()[0])
    return dispatcher_for(settings, engine, box, worker_id=worker_id, batch_size=batch_size)


async def run_worker(
    settings: Settings, *, worker_id: str | None = None, batch_size: int | None = None
) -> None:
    dispatcher = build_dispatcher(settings, worker_id=worker_id, batch_size=batch_size)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("worker %s started", dispatcher.worker_id)
    try:
        await dispatcher.run(stop, poll_s=settings.worker_poll_s)
    finally:
        await dispatcher.aclose()
        dispatcher.engine.dispose()
        log.info("worker %s stopped", dispatcher.worker_id)
