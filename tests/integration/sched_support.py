"""Helpers for the scheduling integration tests: a fake webhook receiver on a real local socket, worker
processes, and a private Redis server (never the machine's own)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from sqlmodel import col
from werkzeug import Request, Response

from agent.core.models import PostTransition
from integrations.publishers.webhook import verify_signature

ROOT = Path(__file__).parents[2]


class FakeWebhookReceiver:
    """A webhook endpoint (POST /hook) that checks signatures, keeps what it received by idempotency key,
    and answers with the next scripted step: an int status, ("status", {headers}), ("sleep", seconds) to
    accept the post and answer late, or ("late", seconds) to answer late and have the post only then (a
    platform still processing it: until the answer, verify does not find it). GET /verify?idempotency_key=K
    answers 200 {"id"} or 404."""

    def __init__(self, server: HTTPServer, secret: str) -> None:
        self.server = server
        self.secret = secret
        self.script: list[Any] = []
        self.received: dict[str, list[dict[str, Any]]] = {}
        self.bad_signatures = 0
        self.got_request = threading.Event()
        self._lock = threading.Lock()
        server.expect_request("/hook", method="POST").respond_with_handler(self._hook)
        server.expect_request("/verify", method="GET").respond_with_handler(self._verify)

    @property
    def url(self) -> str:
        return self.server.url_for("/hook")

    @property
    def verify_url(self) -> str:
        return self.server.url_for("/verify")

    def count(self) -> int:
        return sum(len(v) for v in self.received.values())

    def _hook(self, request: Request) -> Response:
        body = request.get_data()
        if not verify_signature(
            self.secret,
            body,
            request.headers.get("X-Studio-Signature", ""),
            request.headers.get("X-Studio-Timestamp", ""),
        ):
            self.bad_signatures += 1
            return Response("bad signature", status=401)
        payload = json.loads(body)
        with self._lock:
            step = self.script.pop(0) if self.script else 200
        if isinstance(step, int) and step >= 300:
            return Response("platform says no", status=step)
        if isinstance(step, tuple) and step[0] not in ("sleep", "late"):
            return Response("slow down", status=step[0], headers=step[1])
        key = payload["idempotency_key"]
        assert request.headers["Idempotency-Key"] == key
        self.got_request.set()
        if isinstance(step, tuple) and step[0] == "late":
            time.sleep(step[1])
        with self._lock:
            self.received.setdefault(key, []).append(payload)
        if isinstance(step, tuple) and step[0] == "sleep":
            time.sleep(step[1])
        return Response(json.dumps({"id": f"hook-{key[:8]}", "url": f"https://hooks.example/{key[:8]}"}))

    def _verify(self, request: Request) -> Response:
        key = request.args.get("idempotency_key", "")
        if key in self.received:
            return Response(json.dumps({"id": f"hook-{key[:8]}"}))
        return Response("not found", status=404)


def threaded_httpserver() -> HTTPServer:
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    return server


def worker_env(data_dir: Path, db_url: str, keys: tuple[str, str], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STUDIO_")}
    env.update(
        STUDIO_DATA_DIR=str(data_dir),
        STUDIO_DATABASE_URL=db_url,
        STUDIO_SCHEDULER="off",
        STUDIO_SECRET_KEY=keys[0],
        STUDIO_AUTH_SECRET=keys[1],
        STUDIO_WORKER_POLL_S="0.2",
        STUDIO_SWEEP_INTERVAL_S="1",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_worker(
    env: dict[str, str], name: str, log_dir: Path, batch: int | None = None
) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "ui.cli", "worker", "--id", name]
    if batch:
        args += ["--batch", str(batch)]
    log = (log_dir / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def wait_for(predicate: Callable[[], bool], timeout: float = 120.0, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A redis-server of our own on a free port (so a test may stop it); None if the binary is missing."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.port = free_port()
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        import redis

        client = redis.Redis.from_url(self.url)
        if not wait_for(lambda: _ping(client), timeout=10):
            self.stop()
            raise RuntimeError("private redis-server did not start")
        client.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _ping(client: Any) -> bool:
    try:
        return bool(client.ping())
    except Exception:  # noqa: BLE001
        return False


class HungRedis:
    """A TCP server that accepts connections and never answers (a hung Redis: the socket is open, nothing
    comes back). ``url`` points a Redis client at it; ``stop()`` closes the listener and every connection."""

    def __init__(self) -> None:
        self._server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(512)
        self._server.settimeout(0.2)  # so the accept loop sees stop()
        self.port = int(self._server.getsockname()[1])
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.accepted = 0
        self._conns: list[socket.socket] = []
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="hung-redis", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.accepted += 1
            self._conns.append(conn)  # held open, never read from or written to

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)
        for sock in [self._server, *self._conns]:
            with contextlib.suppress(OSError):
                sock.close()


def _claim_reasons(engine: Any, ids: Sequence[int] | None) -> list[tuple[int, str]]:
    query = sa.select(PostTransition.post_id, PostTransition.reason).where(
        PostTransition.to_state == "publishing"
    )
    if ids is not None:
        query = query.where(col(PostTransition.post_id).in_(list(ids)))
    with engine.connect() as conn:
        return [(r.post_id, r.reason) for r in conn.execute(query)]


def claims(engine: Any, ids: Sequence[int] | None = None) -> Counter[int]:
    """How many times each post (of ``ids``, or all) was claimed."""
    return Counter(post_id for post_id, _ in _claim_reasons(engine, ids))


def claimers(engine: Any, ids: Sequence[int] | None = None) -> Counter[str]:
    """How many claims (of ``ids``' posts, or all) each worker made ("claimed by W (attempt n)")."""
    return Counter(reason.split(" by ", 1)[1].split()[0] for _, reason in _claim_reasons(engine, ids))
