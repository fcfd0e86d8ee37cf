"""Bluesky publisher, through the atproto SDK (any PDS: bsky.social or self-hosted).

Exactly once without server-side idempotency keys: every record gets a *deterministic* record key (a TID
derived from the post's idempotency key alone). A retried ``createRecord`` with the same key
is refused by the PDS as a duplicate instead of posting twice, and ``verify_published`` is a plain
``getRecord`` by that key.

* text facets: links, #hashtags and @mentions (handles resolved to DIDs; an unknown handle stays plain
  text), with UTF-8 byte offsets as the protocol wants;
* images (up to 4, each ≤ 1,000,000 bytes) uploaded as blobs and embedded with their alt text;
* threads: a post over 300 graphemes is split into a numbered thread (root + replies, each its own TID);
* metrics: likes, reposts, replies and quotes from ``app.bsky.feed.getPosts``.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from atproto import AsyncClient
from atproto_client.exceptions import (
    BadRequestError,
    InvokeTimeoutError,
    NetworkError,
    RequestErrorBase,
    UnauthorizedError,
)

from integrations.publishers.base import (
    CannotVerify,
    OutgoingPost,
    Permanent,
    PostMetrics,
    Publisher,
    PublishResult,
    Retryable,
    UnknownOutcome,
    retry_after_seconds,
)
from prompts.counting import count
from prompts.threads import ThreadTooLong, numbered, split_thread

POST_COLLECTION = "app.bsky.feed.post"
MAX_GRAPHEMES = 300
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 1_000_000
MAX_ALT_CHARS = 2000
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_TID_EPOCH_US = 1_672_531_200_000_000  # 2023-01-01T00:00:00Z
_TID_SPAN_US = 2 * 365 * 86_400 * 1_000_000

_URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]'’]")
_TAG = re.compile(r"(?:^|(?<=\s))#(?P<tag>[^\W\d_]\w*)")
_MENTION = re.compile(
    r"(?:^|(?<=\s))@(?P<handle>[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)+)"
)


def tid_for(key: str, *, index: int = 0) -> str:
    """A record key in TID form (13 chars, base32-sortable) that depends only on the post's idempotency key
    and the part's index — never on when it runs, so a retry after a reschedule reuses it. 53 bits of
    microseconds (a point within two years from 2023, chosen by the key's hash) and 10 bits of clock id
    (more hash): two posts collide with odds of about 1 in 6e16."""
    digest = hashlib.sha256(f"{key}:{index}".encode()).digest()
    noise = int.from_bytes(digest[:8], "big")
    micros = _TID_EPOCH_US + noise % _TID_SPAN_US
    clock = (noise >> 52) & 0x3FF
    value = (micros << 10) | clock
    chars = []
    for _ in range(13):
        chars.append(_TID_ALPHABET[value & 0x1F])
        value >>= 5
    return "".join(reversed(chars))


def _byte_span(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}


def facets(text: str, dids: dict[str, str]) -> list[dict[str, Any]]:
    """Link, hashtag and mention facets of ``text`` (``dids``: resolved handle -> DID)."""
    found: list[dict[str, Any]] = []
    for m in _URL.finditer(text):
        found.append(
            {
                "index": _byte_span(text, m.start(), m.end()),
                "features": [{"$type": "app.bsky.richtext.facet#link", "uri": m.group(0)}],
            }
        )
    taken = [(f["index"]["byteStart"], f["index"]["byteEnd"]) for f in found]
    for m in _TAG.finditer(text):
        span = _byte_span(text, m.start() if text[m.start()] == "#" else m.start() + 1, m.end())
        if any(s <= span["byteStart"] < e for s, e in taken):
            continue  # a '#' inside a URL
        found.append({"index": span, "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": m["tag"]}]})
    for m in _MENTION.finditer(text):
        did = dids.get(m["handle"].lower())
        if not did:
            continue
        span = _byte_span(text, m.start() if text[m.start()] == "@" else m.start() + 1, m.end())
        if any(s <= span["byteStart"] < e for s, e in taken):
            continue
        found.append({"index": span, "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]})
    return sorted(found, key=lambda f: int(f["index"]["byteStart"]))


def thread_parts(body: str, limit: int = MAX_GRAPHEMES) -> list[str]:
    """The post as one part, or as a numbered thread ("… 1/3") when it is over ``limit`` graphemes."""
    try:
        return numbered(split_thread(body, limit, "graphemes"))
    except ThreadTooLong as exc:
        raise Permanent(f"Too long for a Bluesky thread: {exc}") from exc


class BlueskyPublisher(Publisher):
    name = "bluesky"

    def __init__(
        self,
        handle: str,
        app_password: str,
        *,
        service_url: str = "https://bsky.social",
        timeout_s: float = 30.0,
    ) -> None:
        if not service_url.startswith(("http://", "https://")):
            raise ValueError("the Bluesky service URL must be http(s)")
        if not handle or not app_password:
            raise ValueError("a Bluesky account needs its handle and an app password")
        self.handle = handle.lstrip("@")
        self._password = app_password
        self.service_url = service_url.rstrip("/")
        self._client = AsyncClient(base_url=self.service_url)
        # the SDK's own httpx client follows redirects; ours does not (a PDS must not bounce us elsewhere)
        self._client.request._client = httpx.AsyncClient(follow_redirects=False, timeout=timeout_s)
        self._did: str | None = None

    def validate(self, post: OutgoingPost) -> list[str]:
        problems = super().validate(post)
        if len(post.media) > MAX_IMAGES:
            problems.append(f"Bluesky takes at most {MAX_IMAGES} images per post.")
        for item in post.media:
            if not item.mime.startswith("image/"):
                problems.append(
                    f"Bluesky posts here carry images only ({Path(item.path).name} is {item.mime})."
                )
            elif Path(item.path).is_file() and Path(item.path).stat().st_size > MAX_IMAGE_BYTES:
                problems.append(f"{Path(item.path).name} is over Bluesky's 1,000,000-byte image limit.")
        return problems

    async def _login(self) -> str:
        if self._did is None:
            try:
                await self._client.login(self.handle, self._password, fetch_bsky_profile=False)
            except RequestErrorBase as exc:
                raise _translate(exc, sent=False, what="login") from exc
            me = self._client.me
            session = getattr(self._client, "_session", None)
            did = getattr(session, "did", None) or (me.did if me is not None else None)
            if not did:
                raise Permanent("Bluesky login gave no account id (DID).")
            self._did = str(did)
        return self._did

    async def _resolve_mentions(self, text: str) -> dict[str, str]:
        dids: dict[str, str] = {}
        for m in _MENTION.finditer(text):
            handle = m["handle"].lower()
            if handle in dids:
                continue
            try:
                answer = await self._client.com.atproto.identity.resolve_handle({"handle": handle})
                dids[handle] = answer.did
            except RequestErrorBase:
                continue  # not a Bluesky handle: plain text
        return dids

    async def _images(self, post: OutgoingPost) -> dict[str, Any] | None:
        images = []
        for item in post.media[:MAX_IMAGES]:
            data = await asyncio.to_thread(Path(item.path).read_bytes)
            if len(data) > MAX_IMAGE_BYTES:
                raise Permanent(f"{Path(item.path).name} is over Bluesky's 1,000,000-byte image limit.")
            try:
                blob = await self._client.upload_blob(data)
            except RequestErrorBase as exc:
                raise _translate(exc, sent=False, what="image upload") from exc
            images.append({"alt": (item.alt or "")[:MAX_ALT_CHARS], "image": blob.blob})
        return {"$type": "app.bsky.embed.images", "images": images} if images else None

    async def publish(self, post: OutgoingPost) -> PublishResult:
        did = await self._login()
        parts = list(post.thread) or thread_parts(post.body)
        if any(count(p, "graphemes") > MAX_GRAPHEMES for p in parts):
            raise Permanent(f"A post of the thread is over Bluesky's {MAX_GRAPHEMES} graphemes.")
        embed = await self._images(post)
        root: dict[str, str] | None = None
        parent: dict[str, str] | None = None
        first: PublishResult | None = None
        for index, text in enumerate(parts):
            record: dict[str, Any] = {
                "$type": POST_COLLECTION,
                "text": text,
                "createdAt": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            }
            found = facets(text, await self._resolve_mentions(text))
            if found:
                record["facets"] = found
            if index == 0 and embed:
                record["embed"] = embed
            if root and parent:
                record["reply"] = {"root": root, "parent": parent}
            ref = await self._create(did, tid_for(post.idempotency_key, index=index), record)
            parent = ref
            if root is None:
                root = ref
                first = PublishResult(external_id=ref["uri"], url=_web_url(self.handle, ref["uri"]))
        assert first is not None
        return first

    async def _create(self, did: str, rkey: str, record: dict[str, Any]) -> dict[str, str]:
        """Create the record under ``rkey``; if it is already there (an earlier attempt got through), use it."""
        try:
            created = await self._client.com.atproto.repo.create_record(
                {"repo": did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
            )
            return {"uri": created.uri, "cid": created.cid}
        except BadRequestError as exc:
            existing = await self._get(did, rkey)
            if existing is not None:
                return existing
            raise _translate(exc, sent=True, what="post") from exc
        except RequestErrorBase as exc:
            raise _translate(exc, sent=True, what="post") from exc

    async def _get(self, did: str, rkey: str) -> dict[str, str] | None:
        try:
            found = await self._client.com.atproto.repo.get_record(
                {"repo": did, "collection": POST_COLLECTION, "rkey": rkey}
            )
        except BadRequestError as exc:
            if _error_name(exc) == "RecordNotFound":
                return None
            raise CannotVerify(f"Bluesky getRecord failed: {exc}") from exc
        except RequestErrorBase as exc:
            raise CannotVerify(f"Bluesky getRecord failed: {exc}") from exc
        return {"uri": found.uri, "cid": str(found.cid or "")}

    async def verify_published(self, post: OutgoingPost) -> PublishResult | None:
        try:
            did = await self._login()
        except (Retryable, Permanent) as exc:
            raise CannotVerify(f"Could not log in to Bluesky to check: {exc}") from exc
        ref = await self._get(did, tid_for(post.idempotency_key))
        if ref is None:
            return None
        # a thread whose later parts did not get through is completed by publishing again (same keys)
        return PublishResult(external_id=ref["uri"], url=_web_url(self.handle, ref["uri"]))

    async def fetch_metrics(self, external_id: str) -> PostMetrics:
        await self._login()
        try:
            answer = await self._client.app.bsky.feed.get_posts({"uris": [external_id]})
        except RequestErrorBase as exc:
            raise _translate(exc, sent=False, what="metrics") from exc
        if not answer.posts:
            raise Permanent("The post is no longer on Bluesky.")
        view = answer.posts[0]
        return PostMetrics(
            likes=view.like_count or 0,
            shares=(view.repost_count or 0) + (view.quote_count or 0),
            comments=view.reply_count or 0,
        )

    async def aclose(self) -> None:
        await self._client.request._client.aclose()


def _web_url(handle: str, uri: str) -> str:
    return f"https://bsky.app/profile/{handle}/post/{uri.rsplit('/', 1)[-1]}"


def _error_name(exc: RequestErrorBase) -> str:
    content = getattr(exc.response, "content", None)
    return str(getattr(content, "error", "") or "")


def _translate(exc: RequestErrorBase, *, sent: bool, what: str) -> Exception:
    response = exc.response
    status = response.status_code if response is not None else 0
    headers = dict(response.headers) if response is not None else {}
    if isinstance(exc, InvokeTimeoutError):
        return (
            UnknownOutcome(f"Bluesky {what}: no answer in time")
            if sent
            else Retryable(f"Bluesky {what} timed out")
        )
    if status == 429 or status >= 500 or (isinstance(exc, NetworkError) and response is None):
        return Retryable(
            f"Bluesky {what}: {status or 'network error'} {exc}", retry_after=retry_after_seconds(headers)
        )
    if isinstance(exc, UnauthorizedError):
        return Permanent(f"Bluesky refused the login or token ({status}): check the handle and app password.")
    return Permanent(f"Bluesky refused the {what} ({status}): {exc}")
