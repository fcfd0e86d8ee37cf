"""A fake Slack Web API for tests: a real HTTP server on 127.0.0.1 that records every call.

It answers the methods the bot uses (``auth.test``, ``chat.postMessage``, ``chat.update``,
``chat.postEphemeral``, ``users.info``, ``views.open``, ``files.info``), serves file downloads at
``url_private_download`` (only with a valid bot token, like Slack: otherwise an HTML login page), and takes
``response_url`` posts. Point the bot at it with ``STUDIO_SLACK_API_URL=fake.api_url`` and
``STUDIO_SLACK_FILES_URL=fake.files_url``.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit


@dataclass
class Call:
    method: str  # a Web API method, "download" or "response_url"
    args: dict[str, Any]
    token: str | None
    path: str
    at: float = field(default_factory=time.monotonic)


@dataclass
class FakeFile:
    id: str
    name: str
    data: bytes
    mimetype: str
    size: int
    served_type: str
    url: str


class FakeSlackAPI:
    def __init__(
        self,
        *,
        bot_token: str = "xoxb-test-token",
        team_id: str = "T0TEST",
        bot_user_id: str = "UBOT",
    ) -> None:
        self.tokens = {bot_token}
        self.team_id = team_id
        self.bot_user_id = bot_user_id
        self.calls: list[Call] = []
        self.files: dict[str, FakeFile] = {}
        self.user_tz: dict[str, str] = {}
        self._cond = threading.Condition()
        self._ts = 1_700_000_000.000100
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-slack", daemon=True)

    # -- life cycle ---------------------------------------------------------------------------------------

    def __enter__(self) -> FakeSlackAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_url(self) -> str:
        return self.base + "/api/"

    @property
    def files_url(self) -> str:
        return self.base

    def response_url(self, key: str = "r1") -> str:
        return f"{self.base}/response/{quote(key)}"

    # -- test data ----------------------------------------------------------------------------------------

    def add_file(
        self,
        data: bytes,
        name: str,
        mimetype: str,
        *,
        size: int | None = None,
        served_type: str | None = None,
        url: str | None = None,
    ) -> str:
        file_id = f"F{len(self.files) + 1:06d}"
        self.files[file_id] = FakeFile(
            id=file_id,
            name=name,
            data=data,
            mimetype=mimetype,
            size=len(data) if size is None else size,
            served_type=served_type or mimetype,
            url=url or f"{self.base}/files-pri/{self.team_id}-{file_id}/download/{quote(name)}",
        )
        return file_id

    # -- what happened ------------------------------------------------------------------------------------

    def methods(self) -> list[str]:
        with self._cond:
            return [c.method for c in self.calls]

    def calls_to(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 300) -> list[Call]:
        """The first ``count`` calls of ``method``, waiting for them to arrive (AssertionError after timeout)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if c.method == method]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no {count}× {method} within {timeout} s; calls: {[c.method for c in self.calls]}"
                    )
                self._cond.wait(left)

    def posted_texts(self) -> list[str]:
        """Every message text the bot sent (posts, updates, response URLs), blocks included."""
        out = []
        for call in (
            self.calls_to("chat.postMessage") + self.calls_to("response_url") + self.calls_to("chat.update")
        ):
            out.append(str(call.args.get("text") or "") + "\n" + json.dumps(call.args.get("blocks") or ""))
        return out

    def _record(self, call: Call) -> None:
        with self._cond:
            self.calls.append(call)
            self._cond.notify_all()

    def _next_ts(self) -> str:
        with self._cond:
            self._ts += 1
            return f"{self._ts:.6f}"

    # -- the server ---------------------------------------------------------------------------------------

    def _answer(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth" if token else "not_authed"}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://studio-test.slack.com/",
                "team": "Studio Test",
                "user": "studio",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "B0TEST",
                "is_enterprise_install": False,
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or self._next_ts()
            return {
                "ok": True,
                "channel": args.get("channel"),
                "ts": ts,
                "message": {"text": args.get("text"), "ts": ts},
            }
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": self._next_ts()}
        if method == "users.info":
            user = str(args.get("user") or "")
            return {
                "ok": True,
                "user": {"id": user, "team_id": self.team_id, "tz": self.user_tz.get(user, "UTC")},
            }
        if method == "views.open":
            return {"ok": True, "view": {"id": f"V{len(self.calls):06d}"}}
        if method == "files.info":
            f = self.files.get(str(args.get("file") or ""))
            if f is None:
                return {"ok": False, "error": "file_not_found"}
            return {
                "ok": True,
                "file": {
                    "id": f.id,
                    "name": f.name,
                    "title": f.name,
                    "mimetype": f.mimetype,
                    "filetype": f.name.rsplit(".", 1)[-1],
                    "size": f.size,
                    "mode": "hosted",
                    "url_private": f.url,
                    "url_private_download": f.url,
                },
            }
        return {"ok": False, "error": "unknown_method"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _token(self, args: dict[str, Any]) -> str | None:
                auth = self.headers.get("Authorization") or ""
                if auth.startswith("Bearer "):
                    return auth[len("Bearer ") :]
                token = args.pop("token", None)
                return str(token) if token else None

            def _body(self) -> dict[str, Any]:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ctype = (self.headers.get("Content-Type") or "").split(";")[0]
                if ctype == "application/json":
                    data = json.loads(raw or b"{}")
                    return dict(data) if isinstance(data, dict) else {}
                return dict(parse_qsl(raw.decode("utf-8", "replace")))

            def _send(self, status: int, body: bytes, ctype: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _json(self, data: dict[str, Any]) -> None:
                self._send(200, json.dumps(data).encode(), "application/json; charset=utf-8")

            def _api(self, method: str, args: dict[str, Any]) -> None:
                for key in ("blocks", "view", "attachments"):
                    if isinstance(args.get(key), str):
                        with contextlib.suppress(ValueError):
                            args[key] = json.loads(args[key])
                token = self._token(args)
                fake._record(Call(method=method, args=args, token=token, path=self.path))
                self._json(fake._answer(method, args, token))

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path.startswith("/api/"):
                    self._api(parts.path[len("/api/") :], dict(parse_qsl(parts.query)))
                    return
                if parts.path.startswith("/files-pri/"):
                    token = self._token({})
                    file_id = parts.path.split("/")[2].split("-", 1)[-1]
                    fake._record(Call(method="download", args={"file": file_id}, token=token, path=self.path))
                    f = fake.files.get(file_id)
                    if token not in fake.tokens or f is None:  # Slack shows its sign-in page
                        self._send(
                            200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", "text/html"
                        )
                        return
                    self._send(200, f.data, f.served_type)
                    return
                self._send(404, b"not found", "text/plain")

            def do_POST(self) -> None:
                parts = urlsplit(self.path)
                args = dict(parse_qsl(parts.query)) | self._body()
                if parts.path.startswith("/api/"):
                    self._api(parts.path[len("/api/") :], args)
                    return
                if parts.path.startswith("/response/"):
                    fake._record(Call(method="response_url", args=args, token=None, path=self.path))
                    self._send(200, b"ok", "text/plain")
                    return
                self._send(404, b"not found", "text/plain")

        return Handler
