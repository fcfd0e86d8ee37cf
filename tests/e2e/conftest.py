"""Fixtures for browser tests: a real ``studio run`` process per test and Debian's Chromium via Playwright.

The browser may only talk to the studio under test: every other request (Chainlit's page asks for web
fonts and a KaTeX stylesheet from CDNs) is aborted, so no test reaches the internet.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STUDIO = Path(sys.executable).with_name("studio")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
START_TIMEOUT_S = 90
STOP_TIMEOUT_S = 30


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(request: pytest.FixtureRequest) -> bool:
    return any(
        getattr(getattr(request.node, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StudioProcess:
    """One ``studio run`` subprocess in its own process group."""

    proc: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"studio run exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.2)
        raise TimeoutError(
            f"studio run did not listen on {self.port} in {START_TIMEOUT_S}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM to the whole group (graceful shutdown), SIGKILL if it does not end in time."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except ProcessLookupError:
                pass
        with contextlib.suppress(ProcessLookupError):  # children that outlived the leader (none expected)
            os.killpg(self.proc.pid, signal.SIGKILL)


@dataclass
class StudioInstall:
    """A data dir with users, and the ``studio run`` processes started on it during one test."""

    data_dir: Path
    env: dict[str, str]
    log_dir: Path
    processes: list[StudioProcess] = field(default_factory=list)

    def add_user(self, email: str, password: str) -> None:
        subprocess.run(
            [str(STUDIO), "user", "add", email, "--password-stdin"],
            input=f"{password}\n".encode(),
            env=self.env,
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> StudioProcess:
        port = free_port()
        log_path = self.log_dir / f"studio-run-{len(self.processes) + 1}.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                [str(STUDIO), "run", "--host", "127.0.0.1", "--port", str(port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        studio = StudioProcess(proc=proc, port=port, log_path=log_path)
        self.processes.append(studio)
        studio.wait_ready()
        return studio


@pytest.fixture
def studio_install(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StudioInstall]:
    data_dir = tmp_path / "data"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STUDIO_", "CHAINLIT_", "SLACK_", "LITERAL_")) and k != "DATABASE_URL"
    }
    env.update(
        STUDIO_DATA_DIR=str(data_dir),
        STUDIO_LOCAL_MODEL="off",  # the template writer: deterministic drafts
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        PYTHONUNBUFFERED="1",
        NO_PROXY="127.0.0.1,localhost",
    )
    install = StudioInstall(data_dir=data_dir, env=env, log_dir=tmp_path)
    try:
        yield install
    finally:
        for studio in install.processes:
            studio.stop()
        if _failed(request):
            ARTIFACTS.mkdir(exist_ok=True)
            for studio in install.processes:
                if studio.log_path.exists():
                    shutil.copyfile(
                        studio.log_path, ARTIFACTS / f"{request.node.name}-{studio.log_path.name}"
                    )


@pytest.fixture
def browser() -> Iterator[Any]:
    """Per test: Playwright's sync API keeps an event loop running, which async tests must not inherit."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is not installed: bash .ci/run installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Callable[[str], Any]]:
    """``new_page(base_url)``: a page in a fresh browser context (own cookies) that can reach only base_url."""
    from playwright.sync_api import Error as PlaywrightError

    contexts: list[Any] = []

    def make(base_url: str) -> Any:
        context = browser.new_context(
            base_url=base_url, locale="en-US", viewport={"width": 1280, "height": 900}
        )

        def only_the_studio(route: Any) -> None:
            if route.request.url.startswith((base_url, "data:", "blob:")):
                route.continue_()
            else:
                route.abort()

        context.route("**/*", only_the_studio)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    if _failed(request):
        ARTIFACTS.mkdir(exist_ok=True)
        for i, context in enumerate(contexts):
            for j, page in enumerate(context.pages):
                try:
                    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
                except PlaywrightError as exc:  # a closed page cannot be shot; the test's error matters more
                    print(f"screenshot failed: {exc}")
    for context in contexts:
        context.close()
