"""The studio's local model: which GGUF file to serve, its supervised server, and a chat client for it."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from integrations.llm_server.models import (
    DEFAULT_MODEL,
    PACKAGED_MODELS,
    check_gguf,
    ensure_model,
    packaged,
)
from integrations.llm_server.supervisor import HOST, LlamaServer, ServerConfig

log = logging.getLogger(__name__)

# A small model's answer is capped: a LinkedIn caption of 3,000 characters is ~700 tokens.
MAX_TOKENS = 900
TEMPERATURE = 0.4  # small models keep to the brief (and the JSON) better when cooler


# Where a studio process that started the model server says how to reach it (0600: it holds the API key),
# so a one-shot `studio ask` on the same data dir uses it instead of starting (and warming) its own.
ENDPOINT_FILE = Path("run") / "local-model.json"


@dataclass(frozen=True)
class ModelFile:
    path: Path
    alias: str
    label: str


def resolve_model_file(choice: str, models_dir: Path) -> ModelFile:
    """``auto`` (the default packaged model), a packaged model key, or a path to a ``.gguf`` file.

    A packaged model is assembled into ``models_dir`` once and its sha256 checked before it is used;
    raises :class:`LocalModelError` (or :class:`ModelIntegrityError`) with what to do."""
    key = _packaged_key(choice)
    if key is not None:
        model = packaged(key)
        return ModelFile(ensure_model(model, models_dir), model.name, model.label)
    path = check_gguf(Path(choice))
    return ModelFile(path, expected_alias(choice), path.name)


def _packaged_key(choice: str) -> str | None:
    """The packaged model ``choice`` names (``auto``: the default), or None for a path to a ``.gguf``."""
    key = DEFAULT_MODEL if choice == "auto" else choice
    return key if key in PACKAGED_MODELS else None


def expected_alias(choice: str) -> str:
    """The alias the server of ``choice`` (``auto``, a packaged key or a ``.gguf`` path) answers to."""
    key = _packaged_key(choice)
    return packaged(key).name if key is not None else Path(choice).expanduser().stem.lower()


@dataclass(frozen=True)
class AttachedServer:
    """The model server another studio process started and supervises: used, never stopped from here."""

    base_url: str
    api_key: str

    def stop(self) -> None:
        return None


class LocalModel:
    """A local model server and the clients that use it. ``close()`` stops the server when this process
    started it (``owned``), and withdraws its endpoint file if it published one."""

    def __init__(self, model: ModelFile, server: LlamaServer | AttachedServer) -> None:
        self.model = model
        self.server = server
        self._published: Path | None = None

    @property
    def owned(self) -> bool:
        return isinstance(self.server, LlamaServer)

    def publish(self, data_dir: Path) -> None:
        """Write the endpoint file (owner only, mode 0600) so other studio commands on ``data_dir`` use
        this server. Best effort: a failure is logged."""
        path = data_dir / ENDPOINT_FILE
        info = {
            "owner_pid": os.getpid(),
            "base_url": self.server.base_url,
            "api_key": self.server.api_key,
            "alias": self.model.alias,
            "model_path": str(self.model.path),
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(info, fh)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning(
                "Could not publish the local model endpoint (%s); other commands start their own", exc
            )
            with contextlib.suppress(OSError):
                tmp.unlink()
            return
        self._published = path

    @classmethod
    def start(
        cls,
        choice: str,
        *,
        data_dir: Path,
        threads: int = 2,
        ctx: int = 4096,
        port: int = 0,
        start_timeout_s: float = 120.0,
        health_interval_s: float = 5.0,
    ) -> LocalModel:
        """Resolve (assemble, verify) the model and start its server; raises :class:`LocalModelError`."""
        model = resolve_model_file(choice, data_dir / "models")
        server = LlamaServer(
            ServerConfig(
                model_path=model.path,
                alias=model.alias,
                log_path=data_dir / "logs" / "llm-server.log",
                threads=threads,
                ctx=ctx,
                port=port,
                start_timeout_s=start_timeout_s,
                health_interval_s=health_interval_s,
            )
        )
        server.start()
        return cls(model, server)

    @property
    def name(self) -> str:
        return self.model.alias

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def chat_model(self, *, timeout_s: float = 60.0, max_tokens: int = MAX_TOKENS) -> ChatOpenAI:
        return ChatOpenAI(
            model=self.model.alias,
            base_url=self.server.base_url,
            api_key=SecretStr(self.server.api_key),
            timeout=timeout_s,
            max_retries=1,
            temperature=TEMPERATURE,
            # llama-cpp-python reads max_tokens (ChatOpenAI would send max_completion_tokens)
            extra_body={"max_tokens": max_tokens},
        )

    def close(self) -> None:
        if self._published is not None:
            with contextlib.suppress(OSError, ValueError):
                # another studio may have published its own server since: only ours is withdrawn
                if (
                    json.loads(self._published.read_text(encoding="utf-8")).get("api_key")
                    == self.server.api_key
                ):
                    self._published.unlink()
            self._published = None
        self.server.stop()

    def __enter__(self) -> LocalModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def attach_running(data_dir: Path, alias: str, *, timeout_s: float = 5.0) -> LocalModel | None:
    """The model server another studio process published for ``data_dir`` — when its endpoint file is
    this user's, points at this machine's loopback, names ``alias``, its owner is alive and the server
    answers with the key. Otherwise None (and the caller starts its own)."""
    path = data_dir / ENDPOINT_FILE
    try:
        if path.stat().st_uid != os.getuid():
            return None
        info: Any = json.loads(path.read_text(encoding="utf-8"))
        base_url, api_key = str(info["base_url"]), str(info["api_key"])
        owner = int(info["owner_pid"])
        if info.get("alias") != alias or urlsplit(base_url).hostname != HOST:
            return None
        os.kill(owner, 0)  # the owner is alive (ProcessLookupError otherwise)
        reply = httpx.get(
            f"{base_url}/models", headers={"Authorization": f"Bearer {api_key}"}, timeout=timeout_s
        )
        served = {m.get("id") for m in reply.json().get("data", [])} if reply.status_code == 200 else set()
    except (OSError, ValueError, KeyError, TypeError, AttributeError, httpx.HTTPError):
        return None
    if alias not in served:
        return None
    log.info("Using the local model server of studio process %s at %s", owner, base_url)
    return LocalModel(
        ModelFile(Path(str(info.get("model_path", ""))), alias, alias), AttachedServer(base_url, api_key)
    )
