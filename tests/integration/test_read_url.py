"""Reading links through the guarded fetcher against a real local HTTP server (pytest-httpserver).

The server listens on 127.0.0.1, so most tests opt in with ``url_allow_loopback=True`` — a setting that is
off by default and, even when on, keeps private and link-local targets refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.repo.assets import count_assets
from agent.core.settings import load_settings
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from agent.services.ingest import Ingestor
from integrations.vision.fake import FakeVision
from tests.integration.media_fixtures import files_under, png_bytes

pytestmark = pytest.mark.integration

PAGE = """<!doctype html><html lang="en"><head><title>Spring menu | Bean There</title></head><body>
<nav><a href="/">Home</a> <a href="/menu">Menu</a></nav>
<main><article><h1>Our spring menu is here</h1>
<p>This spring we bring back the lavender oat latte and add a rhubarb cake baked every morning.</p>
<p>All drinks come with oat, almond or whole milk, and every pastry is made in our own kitchen.</p>
<p>The spring menu runs until the end of May in both shops.</p></article></main>
<footer>Bean There · Main Street 5</footer></body></html>"""


def ingestor_for(data_dir: Path, engine: Any, **overrides: Any) -> Ingestor:
    return Ingestor(load_settings(data_dir=data_dir, _env_file=None, **overrides), engine)


@pytest.fixture
def local(data_dir: Path, engine: Any) -> Ingestor:
    """An ingestor allowed to reach the local test server (and nothing else that is not public)."""
    return ingestor_for(data_dir, engine, url_allow_loopback=True)


def assert_nothing_stored(ingestor: Ingestor) -> None:
    assert files_under(ingestor.store.root) == []
    with session_scope(ingestor.engine) as session:
        assert count_assets(session) == 0


def test_a_page_becomes_an_asset_with_its_title_and_readable_text(
    local: Ingestor, user_id: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/spring").respond_with_data(PAGE, content_type="text/html; charset=utf-8")

    page = local.ingest_url(user_id=user_id, url=httpserver.url_for("/spring"))

    asset = page.asset
    assert asset.kind == "url" and asset.source_url == httpserver.url_for("/spring")
    assert asset.meta["title"] == "Our spring menu is here" and asset.meta["language"] == "en"
    assert "lavender oat latte" in (page.text or "") and "rhubarb cake" in (page.text or "")
    assert "Main Street 5" not in (page.text or "")  # the footer is not part of the readable text
    again = local.ingest_url(user_id=user_id, url=httpserver.url_for("/spring"))
    assert again.reused and again.asset.id == asset.id


def test_an_image_link_becomes_an_image_asset(local: Ingestor, user_id: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/img/latte.png").respond_with_data(
        png_bytes((30, 20)), content_type="image/png"
    )

    done = local.ingest_url(user_id=user_id, url=httpserver.url_for("/img/latte.png"))

    assert (done.asset.kind, done.asset.filename) == ("image", "latte.png")
    assert done.asset.meta["width"] == 30 and done.asset.source_url == httpserver.url_for("/img/latte.png")


def test_redirects_on_the_server_are_followed(local: Ingestor, user_id: str, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/spring"})
    httpserver.expect_request("/spring").respond_with_data(PAGE, content_type="text/html")

    done = local.ingest_url(user_id=user_id, url=httpserver.url_for("/old"))

    assert done.asset.meta["final_url"] == httpserver.url_for("/spring")


@pytest.mark.parametrize("target", ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/"])
def test_a_redirect_to_a_private_address_is_refused(
    local: Ingestor, user_id: str, httpserver: HTTPServer, target: str
) -> None:
    httpserver.expect_request("/go").respond_with_data("", status=302, headers={"Location": target})

    with pytest.raises(InputError, match=r"private|link-local"):
        local.ingest_url(user_id=user_id, url=httpserver.url_for("/go"))

    assert_nothing_stored(local)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/spring", "loopback"),
        ("http://localhost:{port}/spring", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.0.0.1/", "private"),
        ("file:///etc/passwd", "Only http and https"),
    ],
)
def test_by_default_private_targets_are_refused_before_any_request(
    settings: Any, engine: Any, user_id: str, httpserver: HTTPServer, url: str, reason: str
) -> None:
    httpserver.expect_request("/spring").respond_with_data(PAGE, content_type="text/html")
    guarded = Ingestor(settings, engine)  # the defaults: no loopback
    assert settings.url_allow_loopback is False

    with pytest.raises(InputError, match=reason):
        guarded.ingest_url(user_id=user_id, url=url.format(port=httpserver.port))

    assert httpserver.log == []  # the server was never contacted
    assert_nothing_stored(guarded)


def test_a_page_over_the_size_cap_is_refused(
    data_dir: Path, engine: Any, user_id: str, httpserver: HTTPServer
) -> None:
    small = ingestor_for(data_dir, engine, url_allow_loopback=True, url_max_bytes=2_000)
    httpserver.expect_request("/big").respond_with_data(
        "<p>" + "word " * 2_000 + "</p>", content_type="text/html"
    )

    with pytest.raises(InputError, match=r"links are read up to 2 KB"):
        small.ingest_url(user_id=user_id, url=httpserver.url_for("/big"))
    assert_nothing_stored(small)


def test_a_server_that_does_not_answer_in_time_is_reported(
    data_dir: Path, engine: Any, user_id: str, httpserver: HTTPServer
) -> None:
    impatient = ingestor_for(data_dir, engine, url_allow_loopback=True, url_read_timeout_s=0.2)

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(PAGE, content_type="text/html")

    httpserver.expect_request("/slow").respond_with_handler(slow)

    with pytest.raises(InputError, match="did not answer in time"):
        impatient.ingest_url(user_id=user_id, url=httpserver.url_for("/slow"))
    assert_nothing_stored(impatient)


def test_a_page_without_readable_text_is_refused(
    local: Ingestor, user_id: str, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/empty").respond_with_data(
        "<html><body></body></html>", content_type="text/html"
    )
    with pytest.raises(InputError, match="no readable text"):
        local.ingest_url(user_id=user_id, url=httpserver.url_for("/empty"))
    assert_nothing_stored(local)


async def test_the_agent_reads_summarizes_and_posts_a_link(data_dir: Path, httpserver: HTTPServer) -> None:
    settings = load_settings(data_dir=data_dir, _env_file=None, url_allow_loopback=True)
    httpserver.expect_request("/spring").respond_with_data(PAGE, content_type="text/html")
    services = build_services(settings, vision=FakeVision())
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as studio:
        from agent.core import repo

        with session_scope(studio.services.engine) as session:
            uid = repo.create_user(session, email="reader@example.com").id
        result = await studio.run_turn(
            user_id=uid,
            thread_id="link",
            text=f"write an Instagram post about {httpserver.url_for('/spring')}",
        )

    assert result.tools == ["read_url", "summarize", "write_caption"]
    assert result.assets[0]["kind"] == "url"
    assert "spring menu" in result.drafts[0].text.lower()
    assert "lavender oat latte" in result.reply  # the summary's key points are shown
