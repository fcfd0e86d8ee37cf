"""The Bolt app, the ASGI app around it (``/slack/events``; OAuth install pages when configured) and the two
ways to run it: HTTP (``studio slack --http``, uvicorn) and Socket Mode (``studio slack --socket``).

One :class:`~agent.studio.Studio` serves the bot for the life of the process, like the web chat's.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from agent.core.errors import ConfigError
from agent.core.settings import Settings
from agent.runtime.studio import Studio
from ui.slack.installation_store import SQLInstallationStore
from ui.slack.listeners import register_all
from ui.slack.service import SlackService

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
MAX_BODY_BYTES = 1_000_000  # Slack's payloads are a few KB
BOT_SCOPES = (
    "app_mentions:read",
    "channels:history",
    "chat:write",
    "commands",
    "files:read",
    "groups:history",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
)


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def uses_oauth(settings: Settings) -> bool:
    return bool(settings.slack_client_id and settings.slack_client_secret)


def check_config(settings: Settings, *, socket: bool) -> None:
    """Fail fast, naming the settings, before anything starts."""
    missing: list[str] = []
    if socket:
        if not _secret(settings.slack_app_token):
            missing.append("STUDIO_SLACK_APP_TOKEN (xapp-…, Socket Mode)")
        if not _secret(settings.slack_bot_token):
            missing.append("STUDIO_SLACK_BOT_TOKEN (xoxb-…)")
    else:
        if not _secret(settings.slack_signing_secret):
            missing.append("STUDIO_SLACK_SIGNING_SECRET")
        if not _secret(settings.slack_bot_token) and not uses_oauth(settings):
            missing.append(
                "STUDIO_SLACK_BOT_TOKEN (or STUDIO_SLACK_CLIENT_ID + STUDIO_SLACK_CLIENT_SECRET for OAuth)"
            )
    if missing:
        raise ConfigError("The Slack bot needs " + ", ".join(missing) + ".")
    if socket and not _secret(settings.slack_app_token).startswith("xapp-"):
        raise ConfigError("STUDIO_SLACK_APP_TOKEN must be an app-level token (xapp-…).")


def build_app(settings: Settings, service: SlackService, *, socket: bool = False) -> AsyncApp:
    """The Bolt app with the studio's listeners. Every Web API call goes to ``STUDIO_SLACK_API_URL``."""
    token = _secret(settings.slack_bot_token)
    common: dict[str, Any] = {
        "signing_secret": _secret(settings.slack_signing_secret),
        "process_before_response": True,  # listeners ack at once; the slow work is the service's tasks
        "request_verification_enabled": not socket,  # Socket Mode has no HTTP request to sign
        "ignoring_self_events_enabled": True,
    }
    if uses_oauth(settings) and not socket:
        services = service.studio.services
        state_dir = settings.data_dir / "slack-oauth-state"
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)

        app = AsyncApp(
            client=AsyncWebClient(base_url=settings.slack_api_url),
            oauth_settings=AsyncOAuthSettings(
                client_id=settings.slack_client_id,
                client_secret=_secret(settings.slack_client_secret),
                scopes=list(BOT_SCOPES),
                installation_store=SQLInstallationStore(services.engine, services.box),
                installation_store_bot_only=True,
                state_store=FileOAuthStateStore(expiration_seconds=600, base_dir=str(state_dir)),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
            ),
            **common,
        )
    else:
        app = AsyncApp(
            token=token, client=AsyncWebClient(token=token, base_url=settings.slack_api_url), **common
        )
    register_all(app, service)
    return app


def asgi_app(app: AsyncApp, *, oauth: bool = False) -> Starlette:
    """``POST /slack/events`` (events, commands, buttons, modals), the OAuth pages, and ``GET /healthz``."""
    handler = AsyncSlackRequestHandler(app)

    async def slack(request: Request) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return PlainTextResponse("Request too large.", status_code=413)
        response: Response = await handler.handle(request)
        return response

    async def healthz(request: Request) -> Response:
        return JSONResponse({"ok": True})

    routes = [Route(EVENTS_PATH, slack, methods=["POST"]), Route("/healthz", healthz, methods=["GET"])]
    if oauth:
        routes += [Route(INSTALL_PATH, slack, methods=["GET"]), Route(REDIRECT_PATH, slack, methods=["GET"])]
    return Starlette(routes=routes)


def socket_handler(app: AsyncApp, settings: Settings) -> Any:
    """The Socket Mode handler (aiohttp); ``await handler.start_async()`` connects and serves."""

    return AsyncSocketModeHandler(
        app,
        app_token=_secret(settings.slack_app_token),
        web_client=AsyncWebClient(token=_secret(settings.slack_bot_token), base_url=settings.slack_api_url),
    )


@dataclass
class SlackBot:
    studio: Studio
    service: SlackService
    app: AsyncApp
    asgi: Starlette


@asynccontextmanager
async def open_bot(
    settings: Settings, *, socket: bool = False, studio: Studio | None = None, timer: bool | None = None
) -> AsyncIterator[SlackBot]:
    """The bot over an open Studio (its own unless one is given); background work is drained on close."""
    check_config(settings, socket=socket)
    async with AsyncExitStack() as stack:
        if studio is None:
            studio = await stack.enter_async_context(Studio.open(settings, timer=timer))
        service = SlackService(studio)
        app = build_app(settings, service, socket=socket)
        try:
            yield SlackBot(studio, service, app, asgi_app(app, oauth=uses_oauth(settings) and not socket))
        finally:
            await service.drain()


async def serve_http(settings: Settings, *, host: str, port: int) -> None:
    """Serve ``/slack/events`` with uvicorn until interrupted."""

    async with open_bot(settings) as bot:
        config = uvicorn.Config(bot.asgi, host=host, port=port, log_level="warning", lifespan="off")
        await uvicorn.Server(config).serve()


class BotThread:
    """The HTTP bot on its own event loop in a thread — to run it beside another loop, and for the tests.

    ``port=0`` takes a free port; :attr:`url` is where ``/slack/events`` is. :meth:`drain` waits until the
    background work of every request so far is done."""

    def __init__(
        self, settings: Settings, *, host: str = "127.0.0.1", port: int = 0, timer: bool = False
    ) -> None:
        self.settings, self.host, self.port, self.timer = settings, host, port, timer
        self.bot: SlackBot | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: Any = None
        self._thread = threading.Thread(target=self._run, name="slack-bot", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    def __enter__(self) -> BotThread:
        self._thread.start()
        if not self._ready.wait(120):
            raise RuntimeError("the Slack bot did not start within 120 s")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(60)

    def drain(self, timeout: float = 300) -> None:
        assert self._loop is not None and self.bot is not None
        asyncio.run_coroutine_threadsafe(self.bot.service.drain(), self._loop).result(timeout)

    def run(self, coro: Any, timeout: float = 300) -> Any:
        """Run a coroutine on the bot's loop (e.g. a Studio call) and return its result."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:

        self._loop = asyncio.get_running_loop()
        async with open_bot(self.settings, timer=self.timer) as bot:
            self.bot = bot
            config = uvicorn.Config(
                bot.asgi, host=self.host, port=self.port, log_level="warning", lifespan="off"
            )
            self._server = uvicorn.Server(config)
            task = asyncio.create_task(self._server.serve())
            while not self._server.started and not task.done():  # noqa: ASYNC110 - uvicorn has only a flag
                await asyncio.sleep(0.02)
            if task.done():
                await task
                raise RuntimeError("the Slack bot's HTTP server stopped at start-up")
            self.port = self._server.servers[0].sockets[0].getsockname()[1]
            self._ready.set()
            await task


async def serve_socket(settings: Settings) -> None:
    """Connect to Slack over Socket Mode and serve until interrupted."""
    async with open_bot(settings, socket=True) as bot:
        handler = socket_handler(bot.app, settings)
        await handler.start_async()
