"""Slack bot wiring without a network: configuration checks, Socket Mode and OAuth set-up, the in-process
rate limit, the file checks that run before any download, and the planner's Slack intents."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp

from agent.core.errors import ConfigError, InputError
from agent.core.settings import Settings, load_settings
from agent.graph.planning.rules import Intent, classify
from integrations.ratelimit import MemoryRateLimiter, too_many_message
from ui.slack.app import check_config, socket_handler
from ui.slack.files import check_file, origin


def _settings(data_dir: Path, **kw: Any) -> Settings:
    return load_settings(data_dir=data_dir, _env_file=None, **kw)


def test_config_names_what_is_missing(data_dir: Path) -> None:
    bare = _settings(data_dir)
    with pytest.raises(ConfigError, match=r"STUDIO_SLACK_SIGNING_SECRET.*STUDIO_SLACK_BOT_TOKEN"):
        check_config(bare, socket=False)
    with pytest.raises(ConfigError, match="STUDIO_SLACK_APP_TOKEN"):
        check_config(_settings(data_dir, slack_bot_token="xoxb-1"), socket=True)
    with pytest.raises(ConfigError, match="app-level token"):
        check_config(_settings(data_dir, slack_bot_token="xoxb-1", slack_app_token="xoxb-2"), socket=True)
    check_config(_settings(data_dir, slack_signing_secret="s", slack_bot_token="xoxb-1"), socket=False)
    check_config(
        _settings(data_dir, slack_signing_secret="s", slack_client_id="1.2", slack_client_secret="c"),
        socket=False,
    )
    with pytest.raises(ConfigError, match="STUDIO_SLACK_API_URL"):
        _settings(data_dir, slack_api_url="ftp://slack.example")


def test_socket_mode_handler_uses_the_app_token_and_the_configured_api_url(data_dir: Path) -> None:
    settings = _settings(
        data_dir,
        slack_bot_token="xoxb-1",
        slack_app_token="xapp-1-abc",
        slack_api_url="http://127.0.0.1:9/api/",
    )

    async def build() -> Any:
        app = AsyncApp(token="xoxb-1", signing_secret="", request_verification_enabled=False)
        return app, socket_handler(app, settings)

    app, handler = asyncio.run(build())
    assert handler.app is app
    assert handler.app_token == "xapp-1-abc"
    assert handler.client.web_client.base_url == "http://127.0.0.1:9/api/"


def test_memory_rate_limit_is_a_sliding_minute_per_key() -> None:
    now = [1000.0]
    limiter = MemoryRateLimiter(2, clock=lambda: now[0])

    assert limiter.hit_now("a") is None and limiter.hit_now("a") is None
    assert limiter.hit_now("a") == pytest.approx(60.0)
    assert limiter.hit_now("b") is None
    now[0] += 30
    assert limiter.hit_now("a") == pytest.approx(30.0)
    now[0] += 30.5
    assert limiter.hit_now("a") is None
    assert "2 requests a minute" in too_many_message(2, 29.6) and "30 seconds" in too_many_message(2, 29.6)


def _info(**kw: Any) -> dict[str, Any]:
    base = {
        "id": "F1",
        "name": "note.m4a",
        "mimetype": "audio/mp4",
        "size": 1000,
        "url_private_download": "https://files.slack.com/files-pri/T1-F1/download/note.m4a",
    }
    return {**base, **kw}


def test_file_checks_before_download(data_dir: Path) -> None:
    settings = _settings(data_dir)
    ok = check_file(_info(), settings)
    assert (ok.kind, ok.size, ok.name) == ("audio", 1000, "note.m4a")
    assert check_file(_info(mimetype="video/webm", name="clip.webm"), settings).kind == "video"
    refusals = {
        "too big": _info(size=settings.max_audio_bytes + 1),
        "pdf": _info(mimetype="application/pdf", name="menu.pdf"),
        "other host": _info(url_private_download="https://evil.example/files-pri/T1-F1/note.m4a"),
        "userinfo": _info(url_private_download="https://files.slack.com@evil.example/x.m4a"),
        "http": _info(url_private_download="http://files.slack.com/files-pri/T1-F1/note.m4a"),
        "external": _info(mode="external"),
        "no url": _info(url_private_download="", url_private=""),
    }
    for why, info in refusals.items():
        with pytest.raises(InputError):
            check_file(info, settings)
            pytest.fail(why)
    assert (
        origin("https://files.slack.com:443/a")
        == origin("https://FILES.slack.com/b")
        == ("https", "files.slack.com")
    )


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("link my slack", Intent.LINK_SLACK),
        ("please connect slack", Intent.LINK_SLACK),
        ("write a reel script: how we roast our beans", Intent.SCRIPT),
        ("make a tiktok script about latte art", Intent.SCRIPT),
        ("write an instagram caption about our oat latte", Intent.CAPTION),
        ("schedule it for tomorrow 9am", Intent.SCHEDULE),
    ],
)
def test_planner_routes_slack_linking_and_scripts(text: str, intent: Intent) -> None:
    assert classify(text) is intent
