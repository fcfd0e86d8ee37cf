"""Run a llama.cpp server (``llama_cpp.server``) as a supervised child process on 127.0.0.1.

* ``start()`` spawns it on a free port and waits until ``GET /v1/models`` lists the model (or it dies,
  or the start timeout passes: :class:`LocalModelError` with the end of its log).
* A monitor thread checks it every few seconds: a dead process, or one that stops answering HTTP for
  several checks in a row, is restarted on the same port after a backoff (1 s, 2 s, 4 s… capped); after
  ``max_restarts`` restarts within ``restart_window_s`` it gives up (state ``failed``) and the writers fall
  back to the template writer.
* ``stop()`` terminates it, then kills it after ``stop_timeout_s``. The child also exits by itself when the
  studio process goes away (see :mod:`integrations.llm_server.serve`), and ``atexit`` stops it too.
* The server answers only with a random per-run API key (given through the environment, not the command
  line), so other local users cannot use it. Its output goes to ``log_path``.

``/v1/models`` waits while the server is generating (llama-cpp-python serialises requests behind one lock),
so a periodic check that times out is followed by a lock-free request (``/openapi.json``): a server that
answers it is busy, not dead.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import IO

import httpx

from integrations.llm_server.models import LocalModelError

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_LOG_ROTATE_BYTES = 10_000_000


class ServerState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    READY = "ready"
    RESTARTING = "restarting"
    FAILED = "failed"


class _Probe(StrEnum):
    OK = "ok"
    BUSY = "busy"
    DOWN = "down"


@dataclass(frozen=True)
class ServerConfig:
    model_path: Path
    alias: str  # the model name the server answers to (``model=`` in requests)
    log_path: Path
    threads: int = 2
    ctx: int = 4096
    port: int = 0  # 0: a free port chosen at construction
    start_timeout_s: float = 120.0
    health_interval_s: float = 5.0
    probe_timeout_s: float = 3.0
    unhealthy_after: int = 3  # failed checks in a row before a live process is restarted
    max_restarts: int = 5
    restart_window_s: float = 600.0
    backoff_base_s: float = 1.0
    backoff_max_s: float = 30.0
    stop_timeout_s: float = 10.0
    # what runs the server; its llama_cpp.server arguments follow (unit tests put a fake server here)
    launcher: tuple[str, ...] = (sys.executable, "-m", "integrations.llm_server.serve")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class LlamaServer:
    """One supervised ``llama_cpp.server`` process. Thread-safe; ``stop()`` may be called more than once."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self.port = config.port or free_port()
        self.api_key = secrets.token_urlsafe(24)
        self.state = ServerState.STOPPED
        self.restarts = 0
        self.last_error: str | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._monitor: threading.Thread | None = None
        self._restart_times: deque[float] = deque()

    # -- public -------------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None else None

    def start(self) -> None:
        """Spawn the server and wait until it serves the model; raises :class:`LocalModelError`."""
        with self._lock:
            if self.state in (ServerState.READY, ServerState.RESTARTING, ServerState.STARTING):
                return
            self._stop.clear()
            self.state = ServerState.STARTING
        try:
            self._spawn()
            self._wait_ready(time.monotonic() + self.config.start_timeout_s)
        except BaseException as exc:
            self._terminate()
            self.state = ServerState.FAILED
            self.last_error = str(exc)
            raise
        self.state = ServerState.READY
        log.info("llama.cpp server ready: %s at %s (pid %s)", self.config.alias, self.base_url, self.pid)
        atexit.register(self.stop)
        self._monitor = threading.Thread(target=self._watch, name="llm-server-monitor", daemon=True)
        self._monitor.start()

    def stop(self) -> None:
        """Stop supervising and end the process: terminate, then kill after ``stop_timeout_s``."""
        self._stop.set()
        monitor = self._monitor
        if monitor is not None and monitor is not threading.current_thread():
            monitor.join(timeout=self.config.stop_timeout_s + 5)
        self._monitor = None
        self._terminate()
        with self._lock:
            if self.state is not ServerState.FAILED:
                self.state = ServerState.STOPPED
        atexit.unregister(self.stop)

    def healthy(self) -> bool:
        return self.state is ServerState.READY and self._probe() is not _Probe.DOWN

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the server is ready (e.g. after a restart); False when it is not within the time."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.state is ServerState.READY:
                return True
            if self.state in (ServerState.FAILED, ServerState.STOPPED):
                return False
            time.sleep(0.1)
        return self.state is ServerState.READY

    def log_tail(self, lines: int = 15) -> str:
        try:
            with open(self.config.log_path, "rb") as fh:
                fh.seek(max(0, fh.seek(0, os.SEEK_END) - 8192))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # -- process --------------------------------------------------------------------------------------

    def _command(self) -> list[str]:
        c = self.config
        return [
            *c.launcher,
            "--model",
            str(c.model_path),
            "--model_alias",
            c.alias,
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--n_threads",
            str(c.threads),
            "--n_threads_batch",
            str(c.threads),
            "--n_ctx",
            str(c.ctx),
            # a health check must not cut a streaming answer short
            "--interrupt_requests",
            "False",
        ]

    def _open_log(self) -> IO[bytes]:
        path = self.config.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if path.stat().st_size > _LOG_ROTATE_BYTES:
                os.replace(path, path.with_name(path.name + ".1"))
        return open(path, "ab")  # kept open for the child's lifetime, closed in _terminate

    def _spawn(self) -> None:
        with self._lock:
            if self._stop.is_set():
                raise LocalModelError("the local model server is stopping")
            env = {k: v for k, v in os.environ.items() if k not in {"CONFIG_FILE", "API_KEY"}}
            env["API_KEY"] = self.api_key  # read by llama_cpp.server's settings; not visible in `ps`
            self._close_log()
            self._log = self._open_log()
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            self._log.write(f"\n=== {stamp} starting {self.config.alias} on port {self.port}\n".encode())
            self._log.flush()
            self._proc = subprocess.Popen(  # noqa: S603 - our interpreter and module, no shell
                self._command(),
                stdin=subprocess.PIPE,  # the child exits when this pipe closes (the studio is gone)
                stdout=self._log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # a Ctrl-C in the terminal is the studio's to handle
            )

    def _wait_ready(self, deadline: float) -> None:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        with httpx.Client(timeout=self.config.probe_timeout_s, headers=headers) as client:
            while True:
                proc = self._proc
                if self._stop.is_set():
                    raise LocalModelError("the local model server was stopped while starting")
                if proc is None or proc.poll() is not None:
                    code = proc.returncode if proc is not None else None
                    raise LocalModelError(
                        f"the llama.cpp server exited with code {code} while loading {self.config.alias}; "
                        f"its log ({self.config.log_path}) ends with:\n{self.log_tail()}"
                    )
                try:
                    response = client.get(f"{self.base_url}/models")
                    if response.status_code == 200:
                        ids = [m.get("id") for m in response.json().get("data", [])]
                        if self.config.alias in ids:
                            return
                except (httpx.HTTPError, ValueError):
                    pass
                if time.monotonic() > deadline:
                    raise LocalModelError(
                        f"the llama.cpp server did not become ready within {self.config.start_timeout_s:.0f} s; "
                        f"its log ({self.config.log_path}) ends with:\n{self.log_tail()}"
                    )
                time.sleep(0.2)

    def _terminate(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=self.config.stop_timeout_s)
            except subprocess.TimeoutExpired:
                log.warning("llama.cpp server (pid %s) ignored SIGTERM; killing it", proc.pid)
                proc.kill()
                proc.wait(timeout=10)
        if proc is not None and proc.stdin is not None:
            with contextlib.suppress(OSError):
                proc.stdin.close()
        with self._lock:
            self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None

    # -- health ---------------------------------------------------------------------------------------

    def _probe(self) -> _Probe:
        headers = {"Authorization": f"Bearer {self.api_key}"}
        timeout = self.config.probe_timeout_s
        try:
            response = httpx.get(f"{self.base_url}/models", headers=headers, timeout=timeout)
            return _Probe.OK if response.status_code == 200 else _Probe.DOWN
        except httpx.TimeoutException:
            pass  # it may be generating: /v1/models waits for the model lock
        except httpx.HTTPError:
            return _Probe.DOWN
        try:
            response = httpx.get(f"http://{HOST}:{self.port}/openapi.json", timeout=timeout)
            return _Probe.BUSY if response.status_code == 200 else _Probe.DOWN
        except httpx.HTTPError:
            return _Probe.DOWN

    def _watch(self) -> None:
        failures = 0
        while not self._stop.wait(self.config.health_interval_s):
            proc = self._proc
            if proc is None:
                continue
            code = proc.poll()
            if code is None:
                if self._probe() is not _Probe.DOWN:
                    failures = 0
                    continue
                failures += 1
                if failures < self.config.unhealthy_after:
                    continue
                reason = f"it did not answer {failures} health checks in a row"
            else:
                reason = f"it exited with code {code}"
            failures = 0
            if not self._restart(reason):
                return

    def _restart(self, reason: str) -> bool:
        """Restart after a backoff; False when giving up (too many restarts) or stopping."""
        c = self.config
        now = time.monotonic()
        while self._restart_times and now - self._restart_times[0] > c.restart_window_s:
            self._restart_times.popleft()
        if len(self._restart_times) >= c.max_restarts:
            self.last_error = (
                f"the llama.cpp server failed ({reason}) after {len(self._restart_times)} restarts within "
                f"{c.restart_window_s:.0f} s; giving up. Log: {c.log_path}"
            )
            log.error("%s", self.last_error)
            self._terminate()
            self.state = ServerState.FAILED
            return False
        self._restart_times.append(now)
        self.restarts += 1
        self.state = ServerState.RESTARTING
        delay = min(c.backoff_max_s, c.backoff_base_s * 2 ** (len(self._restart_times) - 1))
        log.warning(
            "llama.cpp server for %s: %s; restart %d in %.0f s", c.alias, reason, self.restarts, delay
        )
        self._terminate()
        if self._stop.wait(delay):
            return False
        try:
            self._spawn()
            self._wait_ready(time.monotonic() + c.start_timeout_s)
        except LocalModelError as exc:
            self.last_error = str(exc)
            log.error("llama.cpp server restart failed: %s", exc)
            return not self._stop.is_set()  # the dead process is seen on the next check and retried
        self.state = ServerState.READY
        log.info("llama.cpp server restarted (pid %s)", self.pid)
        return True
