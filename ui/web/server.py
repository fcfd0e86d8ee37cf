"""Serve the web chat (``ui/web/app.py``) with uvicorn, the way ``chainlit run --headless`` does.

Chainlit reads its configuration from ``$CHAINLIT_APP_ROOT/.chainlit/config.toml`` when it is first
imported, and writes ``.files``, translations and ``chainlit.md`` under that root. So everything here
happens in order: prepare ``<data_dir>/web`` from the files shipped in ``ui/web/chainlit_config``, set the
environment, and only then import Chainlit.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sys
from importlib import resources
from pathlib import Path

import uvicorn

from agent.core.errors import ConfigError
from agent.core.settings import Settings

log = logging.getLogger(__name__)

# Chainlit mounts its own Slack, Discord and Teams bots on the app's handlers when these are set. The
# studio's Slack bot is a separate adapter, so the web process must not pick them up.
_CHAINLIT_BOT_ENV = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_WEBSOCKET_TOKEN",
    "DISCORD_BOT_TOKEN",
    "TEAMS_APP_ID",
    "TEAMS_APP_PASSWORD",
)
GRACEFUL_SHUTDOWN_S = 10


def app_root(settings: Settings) -> Path:
    return (settings.data_dir / "web").resolve()


def prepare_app_root(settings: Settings) -> Path:
    """``<data_dir>/web`` with our ``.chainlit/config.toml``, ``chainlit.md`` and ``public/`` (shipped files
    win)."""
    root = app_root(settings)
    (root / ".chainlit").mkdir(parents=True, exist_ok=True)
    shipped = resources.files("ui.web")
    config = shipped / "chainlit_config" / "config.toml"
    (root / ".chainlit" / "config.toml").write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    welcome = (shipped / "chainlit_config" / "chainlit.md").read_text(encoding="utf-8")
    (root / "chainlit.md").write_text(welcome, encoding="utf-8")
    (root / "chainlit_en-US.md").write_text(welcome, encoding="utf-8")  # else a warning per page load
    public = shipped / "public"
    if public.is_dir():
        target = root / "public"
        target.mkdir(exist_ok=True)
        for item in public.iterdir():
            if item.is_file():
                with resources.as_file(item) as path:
                    shutil.copyfile(path, target / item.name)
    return root


def _set_environment(settings: Settings, root: Path, *, host: str, port: int) -> None:
    _, auth_secret = settings.resolved_secrets()
    os.environ["CHAINLIT_APP_ROOT"] = str(root)
    os.environ["CHAINLIT_AUTH_SECRET"] = auth_secret
    os.environ["CHAINLIT_HOST"] = host
    os.environ["CHAINLIT_PORT"] = str(port)
    # Anything in this process that calls load_settings() (instead of getting ours) finds the same data dir.
    os.environ["STUDIO_DATA_DIR"] = str(settings.data_dir.resolve())
    for name in _CHAINLIT_BOT_ENV:
        if os.environ.pop(name, None) is not None:
            log.info("%s is ignored by the web chat (the studio's Slack bot runs separately).", name)


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the web chat on ``host:port`` until interrupted (SIGINT/SIGTERM shut it down gracefully)."""
    if "chainlit" in sys.modules and os.environ.get("CHAINLIT_APP_ROOT") != str(app_root(settings)):
        raise ConfigError(
            "Chainlit was imported before the web chat was configured; start it with `studio run`."
        )
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stdout,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S",
    )
    # Chainlit logs every translation file it copies and every page load without a logo at INFO.
    logging.getLogger("chainlit").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # not a line per sweep; errors still show
    root = prepare_app_root(settings)
    _set_environment(settings, root, host=host, port=port)

    # Chainlit reads its configuration when first imported: these imports must follow the set-up above.
    from chainlit.auth import ensure_jwt_secret  # noqa: PLC0415
    from chainlit.config import config  # noqa: PLC0415

    config.run.host = host
    config.run.port = port
    config.run.headless = True  # never open a browser
    config.run.watch = False
    config.run.debug = False

    from chainlit.markdown import init_markdown  # noqa: PLC0415
    from chainlit.server import app as asgi_app  # noqa: PLC0415

    from ui.web import app as studio_app  # noqa: PLC0415 - registers the Chainlit handlers

    studio_app.configure(settings)
    from ui.web.storage import mount_file_route  # noqa: PLC0415 - imports Chainlit

    mount_file_route(asgi_app, studio_app.storage_client())
    ensure_jwt_secret()
    if config.code.on_message is None:
        raise ConfigError("The web chat registered no message handler (ui/web/app.py did not load).")
    init_markdown(config.root)

    server = uvicorn.Server(
        uvicorn.Config(
            asgi_app,
            host=host,
            port=port,
            ws="auto",
            ws_per_message_deflate=True,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
    )
    asyncio.run(server.serve())
