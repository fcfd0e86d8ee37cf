"""The local outbox publisher: a feed the user can open, idempotent by key, verifiable."""

from __future__ import annotations

import json
from pathlib import Path

from integrations.publishers.base import Media, OutgoingPost, retry_after_seconds
from integrations.publishers.outbox import OutboxPublisher


def post(key: str = "k1", **kw: object) -> OutgoingPost:
    return OutgoingPost(
        post_id=1,
        user_id="u1",
        idempotency_key=key,
        platform="x",
        text="Hello <world>",
        hashtags=("a",),
        **kw,
    )  # type: ignore[arg-type]


async def test_publish_writes_json_feed_and_html(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    image = tmp_path / "pic.png"
    image.write_bytes(b"\x89PNG fake")
    result = await outbox.publish(post(media=(Media(str(image), "image/png", "a cup"),)))
    base = tmp_path / "u1"
    record = json.loads((base / "posts" / "k1.json").read_text())
    assert record["body"] == "Hello <world>\n\n#a"
    assert (base / record["media"][0]["file"]).read_bytes() == b"\x89PNG fake"
    assert [json.loads(x)["id"] for x in (base / "feed.jsonl").read_text().splitlines()] == ["k1"]
    page = (base / "feed.html").read_text()
    assert "Hello &lt;world&gt;" in page and 'alt="a cup"' in page
    assert result.external_id == "u1/k1" and result.url and result.url.startswith("file://")


async def test_same_key_is_published_once_and_noted(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    first = await outbox.publish(post())
    again = await outbox.publish(post())
    assert again == first
    assert len((tmp_path / "u1" / "feed.jsonl").read_text().splitlines()) == 1
    assert "already published" in (tmp_path / "u1" / "duplicates.log").read_text()


async def test_verify_finds_by_key(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    assert await outbox.verify_published(post()) is None
    await outbox.publish(post())
    found = await outbox.verify_published(post())
    assert found is not None and found.external_id == "u1/k1"


async def test_metrics_come_from_the_post_file(tmp_path: Path) -> None:
    outbox = OutboxPublisher(tmp_path)
    result = await outbox.publish(post())
    empty = await outbox.fetch_metrics(result.external_id)
    assert empty.likes is None and empty.extra == {"source": "outbox"}
    path = tmp_path / "u1" / "posts" / "k1.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "metrics": {"likes": 7, "reach": 90}}))
    numbers = await outbox.fetch_metrics(result.external_id)
    assert numbers.likes == 7 and numbers.extra == {"source": "outbox", "reach": 90}


def test_retry_after_forms() -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert retry_after_seconds({"Retry-After": "7"}, now=now) == 7
    assert retry_after_seconds({"retry-after": "Mon, 01 Jun 2026 12:00:30 GMT"}, now=now) == 30
    assert retry_after_seconds({"X-RateLimit-Reset": "2026-06-01T12:01:00Z"}, now=now) == 60
    assert retry_after_seconds({}, now=now) is None
