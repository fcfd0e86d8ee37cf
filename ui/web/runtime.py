"""What the web process shares: the settings, the one :class:`Studio` (opened at start-up, closed at
shutdown) and the storage client; and :func:`service`, which runs a services call in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Engine

from agent.core.settings import Settings, load_settings
from agent.runtime.studio import Studio
from ui.web.storage import LocalStorageClient

P = ParamSpec("P")
T = TypeVar("T")


@dataclass
class Runtime:
    settings: Settings | None = None
    studio: Studio | None = None
    storage: LocalStorageClient | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)


RUNTIME = Runtime()


def settings() -> Settings:
    """The settings ``ui.web.app.configure`` handed over, else those of the environment."""
    if RUNTIME.settings is None:
        RUNTIME.settings = load_settings()
    return RUNTIME.settings


def storage_client() -> LocalStorageClient:
    """The one storage client of the process: uploaded and shown files under ``<data_dir>/web-files``."""
    if RUNTIME.storage is None:
        RUNTIME.storage = LocalStorageClient(settings().data_dir / "web-files")
    return RUNTIME.storage


def studio() -> Studio:
    if RUNTIME.studio is None:
        raise RuntimeError("The studio is not open (on_app_startup did not run).")
    return RUNTIME.studio


async def open_studio() -> Studio:
    RUNTIME.studio = await RUNTIME.stack.enter_async_context(Studio.open(settings()))
    return RUNTIME.studio


async def close_studio() -> None:
    RUNTIME.studio = None
    await RUNTIME.stack.aclose()


async def service(fn: Callable[Concatenate[Engine, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(engine, ...)`` — one of :mod:`agent.services.views.web`'s calls — in a worker thread."""
    return await asyncio.to_thread(fn, studio().services.engine, *args, **kwargs)
