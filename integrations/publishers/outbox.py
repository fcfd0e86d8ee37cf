"""The default publisher: a local feed in the data dir, so the whole flow works with no account.

Layout, per user: ``<data_dir>/outbox/<user_id>/``

* ``posts/<idempotency_key>.json`` — each published post (created atomically, once: a second publish of the
  same key returns the first result, like a platform honouring an idempotency key, and is noted in
  ``duplicates.log``);
* ``media/<idempotency_key>/`` — copies of the post's media;
* ``feed.jsonl`` — one line per post, append-only;
* ``feed.html`` — the same feed to open in a browser (append-only: newest at the bottom).

``fetch_metrics`` reads an optional ``"metrics"`` object in the post's JSON file (a local feed has no
audience; the numbers are whatever was put there, all empty by default).
"""

from __future__ import annotations

import html
import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from integrations.publishers.base import (
    CannotVerify,
    OutgoingPost,
    Permanent,
    PostMetrics,
    Publisher,
    PublishResult,
)

_HTML_HEAD = """<!doctype html>
<meta charset="utf-8"><title>Content Studio — outbox</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem}
article{border:1px solid #ddd;border-radius:8px;padding:1rem;margin:1rem 0;white-space:pre-wrap}
small{color:#666}img{max-width:100%}</style>
<h1>Outbox</h1><p>Posts published to the local outbox, oldest first.</p>
"""


class OutboxPublisher(Publisher):
    name = "outbox"

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, user_id: str) -> Path:
        if not user_id or "/" in user_id or user_id.startswith("."):
            raise Permanent(f"Invalid user id for the outbox: {user_id!r}")
        return self.root / user_id

    def feed_path(self, user_id: str) -> Path:
        return self._dir(user_id) / "feed.html"

    async def publish(self, post: OutgoingPost) -> PublishResult:
        base = self._dir(post.user_id)
        posts = base / "posts"
        posts.mkdir(parents=True, exist_ok=True)
        target = posts / f"{post.idempotency_key}.json"
        existing = self._read(target)
        if existing is not None:
            self._note_duplicate(base, post)
            return self._result(post.user_id, existing)
        now = datetime.now(UTC)
        media = self._copy_media(base, post)
        record = {
            "id": post.idempotency_key,
            "post_id": post.post_id,
            "platform": post.platform,
            "account": post.account_handle,
            "text": post.text,
            "hashtags": list(post.hashtags),
            "body": post.body,
            "media": media,
            "scheduled_for": post.scheduled_for.isoformat() if post.scheduled_for else None,
            "published_at": now.isoformat(),
        }
        fd, tmp = tempfile.mkstemp(dir=posts, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, ensure_ascii=False)
        try:
            os.link(tmp, target)  # create-if-absent, atomic: two racing publishes cannot both win
        except FileExistsError:
            self._note_duplicate(base, post)
            existing = self._read(target) or record
            return self._result(post.user_id, existing)
        finally:
            os.unlink(tmp)
        self._append(base / "feed.jsonl", json.dumps(record, ensure_ascii=False) + "\n")
        self._append_html(base, record)
        return self._result(post.user_id, record)

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        try:
            record = self._read(self._dir(post.user_id) / "posts" / f"{post.idempotency_key}.json")
        except OSError as exc:
            raise CannotVerify(f"The outbox cannot be read: {exc}") from exc
        return None if record is None else self._result(post.user_id, record)

    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        user_id, _, key = external_id.partition("/")
        record = self._read(self._dir(user_id) / "posts" / f"{key}.json")
        if record is None:
            raise Permanent(f"Outbox post {external_id} is gone.")
        numbers: dict[str, Any] = dict(record.get("metrics") or {})
        known = {k: numbers.pop(k) for k in list(numbers) if k in PostMetrics.__dataclass_fields__}
        known.pop("extra", None)
        return PostMetrics(**known, extra={"source": "outbox", **numbers})

    # -- helpers ------------------------------------------------------------------------------------

    def _result(self, user_id: str, record: dict[str, Any]) -> PublishResult:
        published = record.get("published_at")
        url = self.feed_path(user_id).resolve().as_uri() + f"#post-{record['id']}"
        return PublishResult(
            external_id=f"{user_id}/{record['id']}",
            url=url,
            published_at=datetime.fromisoformat(published) if published else None,
        )

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data

    @staticmethod
    def _append(path: Path, text: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))  # one write() per entry: appends never interleave
        finally:
            os.close(fd)

    def _append_html(self, base: Path, record: dict[str, Any]) -> None:
        path = base / "feed.html"
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(_HTML_HEAD)
        images = "".join(
            f'<img src="{html.escape(m["file"])}" alt="{html.escape(m.get("alt", ""))}">'
            for m in record["media"]
            if str(m.get("mime", "")).startswith("image/")
        )
        self._append(
            path,
            f'<article id="post-{html.escape(record["id"])}"><small>{html.escape(record["platform"])} · '
            f"{html.escape(record['published_at'])}</small>\n{html.escape(record['body'])}{images}</article>\n",
        )

    def _copy_media(self, base: Path, post: OutgoingPost) -> list[dict[str, str]]:
        out = []
        for i, item in enumerate(post.media):
            source = Path(item.path)
            if not source.is_file():
                raise Permanent(f"Media file {source.name} is missing.")
            folder = base / "media" / post.idempotency_key
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / f"{i}-{source.name}"
            shutil.copyfile(source, dest)
            out.append({"file": str(dest.relative_to(base)), "mime": item.mime, "alt": item.alt})
        return out

    @staticmethod
    def _note_duplicate(base: Path, post: OutgoingPost) -> None:
        OutboxPublisher._append(
            base / "duplicates.log",
            f"{datetime.now(UTC).isoformat()} post {post.post_id} key {post.idempotency_key}: already published\n",
        )
