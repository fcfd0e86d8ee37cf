"""A fake Mastodon instance for tests, served by pytest-httpserver (a real HTTP server on 127.0.0.1).

It speaks enough of the API for Mastodon.py: media upload (v2, with description), statuses (with
``Idempotency-Key``: a repeat returns the status already made), one status, verify_credentials and the
account's statuses. ``faults`` scripts the next answers to ``POST /api/v1/statuses``: ``("status", code,
headers)`` answers that code without posting; ``("hang", seconds)`` posts, then answers only after
``seconds`` (the client times out: the outcome is unknown to it, the status exists).
"""

from __future__ import annotations

import html
import itertools
import json
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

TOKEN = "fake-mastodon-token"
ACCOUNT = {"id": "109", "username": "studio", "acct": "studio", "display_name": "Studio"}


class FakeMastodon:
    def __init__(self, server: HTTPServer, *, token: str = TOKEN) -> None:
        self.server = server
        self.token = token
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.keys: dict[str, str] = {}  # idempotency key -> status id
        self.faults: list[tuple[Any, ...]] = []
        self.status_posts = 0  # POST /api/v1/statuses requests received (faults included)
        self._ids = itertools.count(1000)
        self._lock = threading.Lock()
        server.expect_request(re.compile(r"/api/.*")).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")

    def handle(self, request: Request) -> Response:
        if request.path.rstrip("/") in {"/api/v1/instance", "/api/v2/instance"}:
            return self._json({"version": "4.3.0", "uri": "fake.local", "api_versions": {"mastodon": 2}})
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._json({"error": "The access token is invalid"}, 401)
        path, method = request.path, request.method
        if method == "POST" and path == "/api/v1/statuses":
            return self._post_status(request)
        if method == "POST" and path in {"/api/v1/media", "/api/v2/media"}:
            return self._post_media(request)
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return self._json(ACCOUNT)
        if method == "GET" and (m := re.fullmatch(r"/api/v1/accounts/(\w+)/statuses", path)):
            if m[1] != ACCOUNT["id"]:
                return self._json({"error": "Record not found"}, 404)
            limit = int(request.args.get("limit", "20"))
            newest = sorted(self.statuses.values(), key=lambda s: int(s["id"]), reverse=True)
            return self._json(newest[:limit])
        if method == "GET" and (m := re.fullmatch(r"/api/v1/(statuses|media)/(\w+)", path)):
            found = (self.statuses if m[1] == "statuses" else self.media).get(m[2])
            return self._json(found) if found else self._json({"error": "Record not found"}, 404)
        return self._json({"error": "not found"}, 404)

    def _post_media(self, request: Request) -> Response:
        upload = request.files.get("file")
        if upload is None:
            return self._json({"error": "Validation failed: File can't be blank"}, 422)
        media_id = str(next(self._ids))
        self.media[media_id] = {
            "id": media_id,
            "type": "image" if (upload.mimetype or "").startswith("image/") else "unknown",
            "url": f"{self.url}/media/{media_id}",
            "preview_url": f"{self.url}/media/{media_id}/small",
            "description": request.form.get("description"),
            "size": len(upload.read()),
        }
        return self._json(self.media[media_id])

    def _post_status(self, request: Request) -> Response:
        with self._lock:
            self.status_posts += 1
            fault = self.faults.pop(0) if self.faults else None
            if fault and fault[0] == "status":
                return self._json({"error": "scripted fault"}, fault[1], fault[2] if len(fault) > 2 else None)
            form = request.get_json(silent=True) or request.form.to_dict(flat=False)
            key = request.headers.get("Idempotency-Key")
            if key and key in self.keys:
                return self._json(self.statuses[self.keys[key]])
            text = _one(form.get("status"))
            media_ids = form.get("media_ids[]") or form.get("media_ids") or []
            if isinstance(media_ids, str):
                media_ids = [media_ids]
            if not text and not media_ids:
                return self._json({"error": "Validation failed: Text can't be blank"}, 422)
            if len(text) > 500:
                return self._json({"error": "Validation failed: Text character limit of 500 exceeded"}, 422)
            status_id = str(next(self._ids))
            status = {
                "id": status_id,
                "uri": f"{self.url}/users/studio/statuses/{status_id}",
                "url": f"{self.url}/@studio/{status_id}",
                "created_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "content": "<p>" + html.escape(text).replace("\n", "<br />") + "</p>",
                "visibility": _one(form.get("visibility")) or "public",
                "in_reply_to_id": _one(form.get("in_reply_to_id")) or None,
                "media_attachments": [self.media[m] for m in media_ids if m in self.media],
                "account": ACCOUNT,
                "favourites_count": 0,
                "reblogs_count": 0,
                "replies_count": 0,
            }
            self.statuses[status_id] = status
            if key:
                self.keys[key] = status_id
        if fault and fault[0] == "hang":
            time.sleep(float(fault[1]))
        return self._json(status)


def _one(value: Any) -> str:
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return str(value or "")
