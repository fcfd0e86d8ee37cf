"""Mastodon (Mastodon.py) and Bluesky (atproto) publishers through the dispatcher, against fake platform
servers on loopback (pytest-httpserver): credentials encrypted in the database, faults, reconciliation."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from cryptography.fernet import Fernet
from PIL import Image
from sqlmodel import select

from agent.core import repo
from agent.core import scheduling as sched
from agent.core.db import session_scope
from agent.core.models import Metric, PlatformAccount, ScheduledPost
from agent.core.security import CredentialBox
from agent.services.dispatcher import DefaultPublishers, Dispatcher, DispatchPolicy, outgoing
from integrations.publishers.bluesky import BlueskyPublisher, facets, tid_for
from prompts.counting import count
from tests.fakes import bluesky as fake_bluesky
from tests.fakes import mastodon as fake_mastodon
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.integration.sched_support import threaded_httpserver

pytestmark = pytest.mark.integration
KEY = Fernet.generate_key().decode()


@pytest.fixture
def box() -> CredentialBox:
    return CredentialBox([KEY])


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    server = threaded_httpserver()
    yield FakeMastodon(server)
    server.clear()
    server.stop()


@pytest.fixture
def bluesky() -> Iterator[FakeBluesky]:
    server = threaded_httpserver()
    yield FakeBluesky(server)
    server.clear()
    server.stop()


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def account(
    engine: Any, user_id: str, box: CredentialBox, platform: str, handle: str, url: str, creds: dict[str, str]
) -> int:
    with session_scope(engine) as session:
        created = repo.add_platform_account(
            session,
            user_id=user_id,
            platform=platform,
            handle=handle,
            credentials=creds,
            box=box,
            base_url=url,
        )
        assert created.id is not None
        return created.id


def schedule(engine: Any, user_id: str, account_id: int, platform: str, text: str, **content: Any) -> int:
    with session_scope(engine) as session:
        draft = repo.create_draft(session, user_id=user_id, platform=platform, text=text)
        assert draft.id is not None
        row = sched.schedule_draft(
            session,
            user_id=user_id,
            draft_id=draft.id,
            run_at=datetime.now(UTC) - timedelta(seconds=1),
            account_id=account_id,
        )
        if content:
            row.content = {**(row.content or {}), **content}
            session.add(row)
        assert row.id is not None
        return row.id


def post(engine: Any, post_id: int) -> ScheduledPost:
    with session_scope(engine) as session:
        row = session.get(ScheduledPost, post_id)
        assert row is not None
        session.expunge(row)
        return row


def due(engine: Any, post_id: int | None) -> datetime:
    assert post_id is not None
    run_at = post(engine, post_id).run_at
    assert run_at is not None
    return run_at


def metrics(engine: Any, post_id: int) -> list[Metric]:
    with session_scope(engine) as session:
        rows = list(session.exec(select(Metric).where(Metric.post_id == post_id)))
        for row in rows:
            session.expunge(row)
        return rows


def dispatcher(
    engine: Any, data_dir: Path, box: CredentialBox, clock: Any = None, timeout_s: float = 5.0
) -> Dispatcher:
    return Dispatcher(
        engine,
        DefaultPublishers(data_dir=data_dir, box=box, timeout_s=timeout_s),
        policy=DispatchPolicy(backoff_base_s=10, lease_s=60, publish_timeout_s=timeout_s + 5),
        worker_id="test-worker",
        clock=clock,
        rng=random.Random(5),
    )


def photo(tmp_path: Path) -> str:
    path = tmp_path / "latte.png"
    Image.new("RGB", (64, 48), (180, 140, 90)).save(path)
    return str(path)


# -- Mastodon ----------------------------------------------------------------------------------------------


def mastodon_account(
    engine: Any, user_id: str, box: CredentialBox, fake: FakeMastodon, token: str = fake_mastodon.TOKEN
) -> int:
    return account(engine, user_id, box, "mastodon", "@studio@fake.local", fake.url, {"access_token": token})


async def test_mastodon_publishes_text_and_image_with_alt_once(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path, tmp_path: Path
) -> None:
    acc = mastodon_account(engine, user_id, box, mastodon)
    media = [{"path": photo(tmp_path), "mime": "image/png", "alt": "An oat latte on a wooden table"}]
    post_id = schedule(
        engine, user_id, acc, "mastodon", "Oat latte is back & better", hashtags=["oatlatte"], media=media
    )
    d = dispatcher(engine, data_dir, box)
    [outcome] = await d.dispatch_due()
    await d.aclose()
    assert outcome.kind == "published", outcome.message
    [status] = mastodon.statuses.values()
    assert status["content"] == "<p>Oat latte is back &amp; better<br /><br />#oatlatte</p>"
    assert [m["description"] for m in status["media_attachments"]] == ["An oat latte on a wooden table"]
    row = post(engine, post_id)
    assert row.state == "published" and row.external_id == status["id"] and row.external_url == status["url"]
    assert mastodon.keys == {row.idempotency_key: status["id"]}  # the Idempotency-Key header was sent
    with session_scope(engine) as session:  # the token is not stored in clear
        stored = session.get(PlatformAccount, acc)
        assert stored is not None and fake_mastodon.TOKEN not in stored.credentials_encrypted


async def test_mastodon_500_then_success_and_429_retry_after(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    mastodon.faults = [("status", 500), ("status", 429, {"Retry-After": "42"})]
    post_id = schedule(engine, user_id, mastodon_account(engine, user_id, box, mastodon), "mastodon", "Hello")
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    [first] = await d.dispatch_due()
    assert first.kind == "retry" and "500" in first.message
    clock.now = due(engine, post_id)
    [second] = await d.dispatch_due()
    assert second.kind == "retry"
    row = post(engine, post_id)
    assert 42 <= (due(engine, row.id) - clock.now).total_seconds() <= 47  # Retry-After honoured
    clock.now += timedelta(seconds=41)
    assert await d.dispatch_due() == []
    clock.now = due(engine, row.id)
    [third] = await d.dispatch_due()
    await d.aclose()
    assert third.kind == "published" and len(mastodon.statuses) == 1 and mastodon.status_posts == 3


async def test_mastodon_timeout_after_accept_is_reconciled_without_duplicate(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    mastodon.faults = [("hang", 2.0)]
    post_id = schedule(
        engine, user_id, mastodon_account(engine, user_id, box, mastodon), "mastodon", "Slow day"
    )
    d = dispatcher(engine, data_dir, box, timeout_s=0.5)
    [outcome] = await d.dispatch_due()
    assert outcome.kind == "unconfirmed" and post(engine, post_id).state == "unconfirmed"
    report = await d.sweep()
    await d.aclose()
    assert report.reconciled == {post_id: "published"}
    [status] = mastodon.statuses.values()
    assert post(engine, post_id).external_id == status["id"] and mastodon.status_posts == 1


async def test_mastodon_bad_token_fails_with_the_platform_error(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    acc = mastodon_account(engine, user_id, box, mastodon, token="revoked-token")
    post_id = schedule(engine, user_id, acc, "mastodon", "Hello")
    d = dispatcher(engine, data_dir, box)
    [outcome] = await d.dispatch_due()
    await d.aclose()
    row = post(engine, post_id)
    assert outcome.kind == "failed" and row.state == "failed"
    assert "401" in (row.last_error or "") and "access token is invalid" in (row.last_error or "")
    assert mastodon.statuses == {}


async def test_mastodon_over_the_instance_limit_is_refused_before_sending(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    post_id = schedule(
        engine, user_id, mastodon_account(engine, user_id, box, mastodon), "mastodon", "x" * 501
    )
    d = dispatcher(engine, data_dir, box)
    await d.dispatch_due()
    await d.aclose()
    row = post(engine, post_id)
    assert row.state == "failed" and "allows 500" in (row.last_error or "") and mastodon.status_posts == 0


async def test_mastodon_metrics_are_collected(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    post_id = schedule(
        engine, user_id, mastodon_account(engine, user_id, box, mastodon), "mastodon", "Numbers"
    )
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    await d.dispatch_due()
    [status] = mastodon.statuses.values()
    status.update(favourites_count=12, reblogs_count=3, replies_count=2)
    clock.now += timedelta(hours=1, minutes=5)
    assert await d.collect_metrics() == 1
    await d.aclose()
    [metric] = metrics(engine, post_id)
    assert (metric.likes, metric.shares, metric.comments) == (12, 3, 2)


# -- Bluesky -----------------------------------------------------------------------------------------------


def bluesky_account(
    engine: Any,
    user_id: str,
    box: CredentialBox,
    fake: FakeBluesky,
    password: str = fake_bluesky.APP_PASSWORD,
) -> int:
    return account(engine, user_id, box, "bluesky", fake_bluesky.HANDLE, fake.url, {"app_password": password})


async def test_bluesky_post_with_facets_and_image_alt(
    engine: Any, user_id: str, box: CredentialBox, bluesky: FakeBluesky, data_dir: Path, tmp_path: Path
) -> None:
    text = "Café day ☕ with @friend.test and @unknown.example — menu at https://example.com/menu"
    media = [{"path": photo(tmp_path), "mime": "image/png", "alt": "Latte art heart"}]
    post_id = schedule(
        engine,
        user_id,
        bluesky_account(engine, user_id, box, bluesky),
        "bluesky",
        text,
        hashtags=["coffee"],
        media=media,
    )
    d = dispatcher(engine, data_dir, box)
    [outcome] = await d.dispatch_due()
    await d.aclose()
    assert outcome.kind == "published", outcome.message
    row = post(engine, post_id)
    [record] = bluesky.records.values()
    value = record["value"]
    assert row.external_id == record["uri"] and record["uri"].endswith(tid_for(row.idempotency_key))
    body = value["text"].encode()
    spans = {
        f["features"][0]["$type"].rsplit("#", 1)[1]: body[
            f["index"]["byteStart"] : f["index"]["byteEnd"]
        ].decode()
        for f in value["facets"]
    }
    assert spans == {"mention": "@friend.test", "link": "https://example.com/menu", "tag": "#coffee"}
    assert value["embed"]["images"][0]["alt"] == "Latte art heart"
    assert len(bluesky.blobs) == 1


async def test_bluesky_long_post_becomes_a_numbered_thread_each_within_300_graphemes(
    engine: Any, user_id: str, box: CredentialBox, bluesky: FakeBluesky, data_dir: Path
) -> None:
    text = " ".join(f"Sentence number {i} about our new oat latte menu." for i in range(20))
    schedule(engine, user_id, bluesky_account(engine, user_id, box, bluesky), "bluesky", text)
    d = dispatcher(engine, data_dir, box)
    [outcome] = await d.dispatch_due()
    await d.aclose()
    assert outcome.kind == "published"
    records = sorted(bluesky.records.values(), key=lambda r: r["value"]["text"][-5:].split()[-1])
    n = len(records)
    assert n >= 4
    texts = [r["value"]["text"] for r in records]
    assert all(count(t, "graphemes") <= 300 for t in texts)
    assert {t.rsplit(" ", 1)[1] for t in texts} == {f"{i}/{n}" for i in range(1, n + 1)}
    root = next(r for r in records if "reply" not in r["value"])
    replies = [r for r in records if "reply" in r["value"]]
    assert len(replies) == n - 1 and all(r["value"]["reply"]["root"]["uri"] == root["uri"] for r in replies)
    assert (
        " ".join(
            t.rsplit(" ", 1)[0] for t in sorted(texts, key=lambda t: int(t.rsplit(" ", 1)[1].split("/")[0]))
        )
        == text
    )


async def test_bluesky_timeout_after_accept_reconciled_and_retry_never_duplicates(
    engine: Any, user_id: str, box: CredentialBox, bluesky: FakeBluesky, data_dir: Path
) -> None:
    bluesky.faults = [("hang", 2.0)]
    post_id = schedule(
        engine, user_id, bluesky_account(engine, user_id, box, bluesky), "bluesky", "Hello sky"
    )
    d = dispatcher(engine, data_dir, box, timeout_s=0.5)
    [outcome] = await d.dispatch_due()
    assert outcome.kind == "unconfirmed"
    report = await d.sweep()
    assert report.reconciled == {post_id: "published"}
    assert len(bluesky.records) == 1
    # even a blind second publish with the same key lands on the same record
    publisher = BlueskyPublisher(fake_bluesky.HANDLE, fake_bluesky.APP_PASSWORD, service_url=bluesky.url)
    [row] = sched.load_rows(engine, [post_id])
    again = await publisher.publish(outgoing(row, None))
    assert again.external_id == post(engine, post_id).external_id
    await publisher.aclose()
    await d.aclose()
    assert len(bluesky.records) == 1


async def test_bluesky_429_then_success_and_wrong_password_fails(
    engine: Any, user_id: str, box: CredentialBox, bluesky: FakeBluesky, data_dir: Path
) -> None:
    bluesky.faults = [("status", 429, {"Retry-After": "30"})]
    good = schedule(engine, user_id, bluesky_account(engine, user_id, box, bluesky), "bluesky", "Retry me")
    with session_scope(engine) as session:
        other = repo.add_platform_account(
            session,
            user_id=user_id,
            platform="bluesky",
            handle="other.test",
            credentials={"app_password": "nope"},
            box=box,
            base_url=bluesky.url,
        ).id
    assert other is not None
    bad = schedule(engine, user_id, other, "bluesky", "Never")
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    outcomes = {o.post_id: o.kind for o in await d.dispatch_due()}
    assert outcomes == {good: "retry", bad: "failed"}
    assert "app password" in (post(engine, bad).last_error or "")
    row = post(engine, good)
    assert 30 <= (due(engine, row.id) - clock.now).total_seconds() <= 35
    clock.now = due(engine, row.id)
    assert [o.kind for o in await d.dispatch_due()] == ["published"]
    await d.aclose()
    assert len(bluesky.records) == 1


async def test_bluesky_metrics(
    engine: Any, user_id: str, box: CredentialBox, bluesky: FakeBluesky, data_dir: Path
) -> None:
    post_id = schedule(engine, user_id, bluesky_account(engine, user_id, box, bluesky), "bluesky", "Count me")
    clock = Clock()
    d = dispatcher(engine, data_dir, box, clock)
    await d.dispatch_due()
    bluesky.likes[post(engine, post_id).external_id or ""] = 9
    clock.now += timedelta(hours=1, minutes=5)
    assert await d.collect_metrics() == 1
    await d.aclose()
    [metric] = metrics(engine, post_id)
    assert (metric.likes, metric.comments, metric.shares) == (9, 2, 1)


def test_facets_use_utf8_byte_offsets() -> None:
    text = "ü #tag"
    [facet] = facets(text, {})
    assert facet["index"] == {"byteStart": 3, "byteEnd": 7}  # "ü " is three bytes


# -- connecting accounts (the agent tool) ------------------------------------------------------------------


def runtime_for(engine: Any, user_id: str, box: CredentialBox, *, allow_loopback: bool) -> Any:
    settings = SimpleNamespace(url_allow_loopback=allow_loopback)
    services = SimpleNamespace(settings=settings, engine=engine, box=box)
    return SimpleNamespace(context=SimpleNamespace(services=services, user_id=user_id))


def connect(runtime: Any, **args: Any) -> tuple[str, dict[str, Any]]:
    from tools.scheduling import connect_account

    result: tuple[str, dict[str, Any]] = connect_account.func(runtime=runtime, **args)  # type: ignore[attr-defined]
    return result


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/",
        "http://169.254.169.254/latest",
        "http://10.0.0.1",
        "file:///etc/passwd",
        "http://[::1]/",
    ],
)
def test_connect_refuses_private_and_non_http_instances(
    engine: Any, user_id: str, box: CredentialBox, url: str
) -> None:
    runtime = runtime_for(engine, user_id, box, allow_loopback=False)
    message, artifact = connect(runtime, platform="mastodon", handle="me", url=url, secret="token")
    assert artifact["type"] == "error" and "won't connect" in message
    with session_scope(engine) as session:
        assert list(session.exec(select(PlatformAccount))) == []


def test_connect_mastodon_and_bluesky_store_credentials_encrypted(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, bluesky: FakeBluesky
) -> None:
    runtime = runtime_for(engine, user_id, box, allow_loopback=True)
    message, artifact = connect(runtime, platform="mastodon", handle="@me@fake", url=mastodon.url)
    assert artifact["type"] == "error" and "access token" in message  # no token: refused, nothing stored
    _, m = connect(runtime, platform="mastodon", handle="@me@fake", url=mastodon.url, secret="tok-123")
    _, b = connect(runtime, platform="bluesky", handle="@studio.test", url=bluesky.url, secret="app-pass-1")
    assert m["type"] == b["type"] == "account" and b["handle"] == "studio.test"
    with session_scope(engine) as session:
        stored = {a.platform: a for a in session.exec(select(PlatformAccount))}
        assert set(stored) == {"mastodon", "bluesky"}
        assert "tok-123" not in stored["mastodon"].credentials_encrypted
        assert box.decrypt(stored["mastodon"].credentials_encrypted) == {"access_token": "tok-123"}
        assert box.decrypt(stored["bluesky"].credentials_encrypted) == {"app_password": "app-pass-1"}


# -- per-account rate limit --------------------------------------------------------------------------------


async def test_account_rate_limit_defers_without_using_an_attempt_shared_through_redis(
    engine: Any, user_id: str, box: CredentialBox, mastodon: FakeMastodon, data_dir: Path
) -> None:
    import uuid

    from integrations.ratelimit import make_rate_limiter
    from tests.conftest import REDIS_URL

    busy = mastodon_account(engine, user_id, box, mastodon)
    with session_scope(engine) as session:
        quiet = repo.add_platform_account(
            session,
            user_id=user_id,
            platform="mastodon",
            handle="@other@fake.local",
            credentials={"access_token": fake_mastodon.TOKEN},
            box=box,
            base_url=mastodon.url,
        ).id
    assert quiet is not None
    first = [schedule(engine, user_id, busy, "mastodon", f"Busy {i}") for i in range(2)]
    prefix = f"test:publish:rl:{uuid.uuid4().hex[:8]}:"
    clock = Clock()

    def worker(name: str) -> Dispatcher:
        d = dispatcher(engine, data_dir, box, clock)
        d.worker_id = name
        d.account_limiter = make_rate_limiter(2, REDIS_URL, window_s=3600, prefix=prefix)
        return d

    a, b = worker("a"), worker("b")  # two workers share the account's budget through Redis
    assert sorted(o.kind for o in await a.dispatch_due()) == ["published", "published"]
    late = schedule(engine, user_id, busy, "mastodon", "Busy 2")
    other = schedule(engine, user_id, quiet, "mastodon", "Quiet account")
    outcomes = {o.post_id: o for o in await b.dispatch_due()}
    await a.aclose()
    await b.aclose()
    assert outcomes[other].kind == "published"
    assert outcomes[late].kind == "deferred" and "limit of 2 posts an hour" in outcomes[late].message
    row = post(engine, late)
    assert row.state == "scheduled" and row.attempts == 0  # waiting is not a failed attempt
    assert 3500 <= (due(engine, late) - clock.now).total_seconds() <= 3602
    assert len(mastodon.statuses) == 3 and all(post(engine, i).state == "published" for i in first)


# -- thread drafts -----------------------------------------------------------------------------------------


async def test_thread_draft_publishes_as_reply_chains_on_mastodon_and_bluesky(
    engine: Any,
    user_id: str,
    box: CredentialBox,
    mastodon: FakeMastodon,
    bluesky: FakeBluesky,
    data_dir: Path,
) -> None:
    posts = ["Why oat milk foams so well 1/3", "Proteins and fat in balance 2/3", "Try it tomorrow 3/3"]
    accounts = [
        mastodon_account(engine, user_id, box, mastodon),
        bluesky_account(engine, user_id, box, bluesky),
    ]
    with session_scope(engine) as session:
        drafts = [
            repo.create_draft(
                session, user_id=user_id, platform=p, text="\n\n---\n\n".join(posts), meta={"posts": posts}
            )
            for p in ("mastodon", "bluesky")
        ]
        ids = [
            sched.schedule_draft(
                session,
                user_id=user_id,
                draft_id=d.id or 0,
                run_at=datetime.now(UTC) - timedelta(seconds=1),
                account_id=acc,
            ).id
            for d, acc in zip(drafts, accounts, strict=True)
        ]
    d = dispatcher(engine, data_dir, box)
    assert sorted(o.kind for o in await d.dispatch_due()) == ["published", "published"]
    await d.aclose()
    statuses = sorted(mastodon.statuses.values(), key=lambda s: int(s["id"]))
    assert [plain(s["content"]) for s in statuses] == posts
    assert [s["in_reply_to_id"] for s in statuses] == [None, statuses[0]["id"], statuses[1]["id"]]
    records = {r["value"]["text"]: r for r in bluesky.records.values()}
    assert set(records) == set(posts)
    root = records[posts[0]]
    assert "reply" not in root["value"]
    assert records[posts[2]]["value"]["reply"]["parent"]["uri"] == records[posts[1]]["uri"]
    assert records[posts[2]]["value"]["reply"]["root"]["uri"] == root["uri"]
    assert (
        post(engine, ids[0]).external_id == statuses[0]["id"]
        and post(engine, ids[1]).external_id == root["uri"]
    )


def plain(content: str) -> str:
    from integrations.publishers.mastodon import plain_text

    return plain_text(content)
