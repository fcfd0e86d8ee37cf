"""A fake Bluesky PDS for tests, served by pytest-httpserver (a real HTTP server on 127.0.0.1).

It speaks enough XRPC for the atproto SDK: createSession (app password), resolveHandle, uploadBlob,
createRecord (refuses a record key already taken, as a PDS does), getRecord, getPosts. ``faults`` scripts
the next answers to createRecord: ``("status", code, headers)`` answers that code without creating;
``("hang", seconds)`` creates the record, then answers only after ``seconds``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

HANDLE = "studio.test"
DID = "did:plc:studiotestaccount00000000"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
KNOWN_HANDLES = {HANDLE: DID, "friend.test": "did:plc:friendtestaccount00000000"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(scope: str, ttl_s: int) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = {"scope": scope, "sub": DID, "iat": int(time.time()), "exp": int(time.time()) + ttl_s}
    return f"{header}.{_b64(json.dumps(payload).encode())}.{_b64(b'fake-signature')}"


def _cid(data: bytes) -> str:
    return "bafyrei" + hashlib.sha256(data).hexdigest()[:52]


class FakeBluesky:
    def __init__(self, server: HTTPServer) -> None:
        self.server = server
        self.records: dict[str, dict[str, Any]] = {}  # rkey -> {"uri", "cid", "value"}
        self.blobs: dict[str, bytes] = {}
        self.faults: list[tuple[Any, ...]] = []
        self.create_calls = 0
        self.likes: dict[str, int] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._token = _jwt("com.atproto.appPass", 3600)
        server.expect_request(_xrpc_path()).respond_with_handler(self.handle)

    @property
    def url(self) -> str:
        return self.server.url_for("").rstrip("/")

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers, content_type="application/json")

    def _error(self, status: int, error: str, message: str) -> Response:
        return self._json({"error": error, "message": message}, status)

    def handle(self, request: Request) -> Response:
        method = request.path.removeprefix("/xrpc/")
        if method == "com.atproto.server.createSession":
            body = request.get_json(silent=True) or {}
            if body.get("identifier") not in {HANDLE, DID} or body.get("password") != APP_PASSWORD:
                return self._error(401, "AuthenticationRequired", "Invalid identifier or password")
            return self._json(
                {
                    "accessJwt": self._token,
                    "refreshJwt": _jwt("com.atproto.refresh", 86400),
                    "handle": HANDLE,
                    "did": DID,
                    "active": True,
                }
            )
        if request.headers.get("Authorization") != f"Bearer {self._token}":
            return self._error(401, "AuthenticationRequired", "Bad token")
        if method == "com.atproto.identity.resolveHandle":
            did = KNOWN_HANDLES.get(request.args.get("handle", ""))
            return (
                self._json({"did": did})
                if did
                else self._error(400, "InvalidRequest", "Unable to resolve handle")
            )
        if method == "com.atproto.repo.uploadBlob":
            data = request.get_data()
            cid = _cid(data)
            self.blobs[cid] = data
            mime = request.headers.get("Content-Type", "application/octet-stream")
            return self._json(
                {"blob": {"$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}}
            )
        if method == "com.atproto.repo.createRecord":
            return self._create(request)
        if method == "com.atproto.repo.getRecord":
            found = self.records.get(request.args.get("rkey", ""))
            if found is None or request.args.get("repo") not in {DID, HANDLE}:
                return self._error(400, "RecordNotFound", "Could not locate record")
            return self._json(found)
        if method == "app.bsky.feed.getPosts":
            uris = request.args.getlist("uris")
            posts = [self._view(r) for r in self.records.values() if r["uri"] in uris]
            return self._json({"posts": posts})
        return self._error(501, "MethodNotImplemented", f"{method} is not served here")

    def _create(self, request: Request) -> Response:
        body = request.get_json(silent=True) or {}
        with self._lock:
            self.create_calls += 1
            fault = self.faults.pop(0) if self.faults else None
            if fault and fault[0] == "status":
                headers = fault[2] if len(fault) > 2 else None
                return self._json({"error": "Scripted", "message": "scripted fault"}, fault[1], headers)
            rkey = body.get("rkey") or f"3l{next(self._ids):011d}"
            if body.get("repo") not in {DID, HANDLE} or body.get("collection") != "app.bsky.feed.post":
                return self._error(400, "InvalidRequest", "Bad repo or collection")
            if rkey in self.records:
                return self._error(400, "InvalidRequest", f"Record already exists: {rkey}")
            value = body.get("record") or {}
            text = str(value.get("text", ""))
            if len(text) > 3000:  # the lexicon's byte-ish cap; graphemes are checked by the client
                return self._error(400, "InvalidRequest", "Record/text must not be longer than 3000")
            uri = f"at://{DID}/app.bsky.feed.post/{rkey}"
            record = {"uri": uri, "cid": _cid(json.dumps(value).encode()), "value": value}
            self.records[rkey] = record
        if fault and fault[0] == "hang":
            time.sleep(float(fault[1]))
        return self._json({"uri": record["uri"], "cid": record["cid"]})

    def _view(self, record: dict[str, Any]) -> dict[str, Any]:
        return {
            "uri": record["uri"],
            "cid": record["cid"],
            "author": {"did": DID, "handle": HANDLE},
            "record": record["value"],
            "indexedAt": record["value"].get("createdAt"),
            "likeCount": self.likes.get(record["uri"], 0),
            "repostCount": 1,
            "replyCount": 2,
            "quoteCount": 0,
        }


def _xrpc_path() -> Any:
    import re

    return re.compile(r"/xrpc/.*")
