"""The studio's local model: which GGUF file to serve, its supervised server, and a chat client for it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from integrations.llm_server.models import (
    DEFAULT_MODEL,
    PACKAGED_MODELS,
    LocalModelError,
    check_gguf,
    ensure_model,
    packaged,
)
from integrations.llm_server.supervisor import LlamaServer, ServerConfig

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from agent.settings import Settings
    from integrations.writers.llm import LLMWriter

log = logging.getLogger(__name__)

# A small model's answer is capped: a LinkedIn caption of 3,000 characters is ~700 tokens.
MAX_TOKENS = 900
TEMPERATURE = 0.4  # small models keep to the brief (and the JSON) better when cooler


@dataclass(frozen=True)
class ModelFile:
    path: Path
    alias: str
    label: str


def resolve_model_file(choice: str, models_dir: Path) -> ModelFile:
    """``auto`` (the default packaged model), a packaged model key, or a path to a ``.gguf`` file.

    A packaged model is assembled into ``models_dir`` once and its sha256 checked before it is used;
    raises :class:`LocalModelError` (or :class:`ModelIntegrityError`) with what to do."""
    key = DEFAULT_MODEL if choice == "auto" else choice
    if key in PACKAGED_MODELS:
        model = packaged(key)
        return ModelFile(ensure_model(model, models_dir), model.name, model.label)
    path = check_gguf(Path(choice))
    return ModelFile(path, path.stem.lower(), path.name)


class LocalModel:
    """A started local model server and the clients that use it. ``close()`` stops the server."""

    def __init__(self, model: ModelFile, server: LlamaServer) -> None:
        self.model = model
        self.server = server

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
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

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

    def writer(self, *, timeout_s: float = 60.0) -> LLMWriter:
        """An :class:`LLMWriter` on this server, asking for JSON constrained by the schema (grammar)."""
        from integrations.writers.llm import LLMWriter

        return LLMWriter(self.chat_model(timeout_s=timeout_s), self.model.alias, structured="json_object")

    def close(self) -> None:
        self.server.stop()

    def __enter__(self) -> LocalModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_local_model(settings: Settings) -> LocalModel | None:
    """The local model the settings ask for, started — or None (logged why) when it is off or cannot run.

    Called when no LLM endpoint is configured; the studio then writes with the template writer."""
    if settings.local_model == "off":
        return None
    try:
        return LocalModel.start(
            settings.local_model,
            data_dir=settings.data_dir,
            threads=settings.local_model_threads,
            ctx=settings.local_model_ctx,
            port=settings.local_model_port,
        )
    except LocalModelError as exc:
        log.warning("Local model unavailable, writing with the template writer: %s", exc)
    except OSError as exc:  # e.g. no room in the data dir for the assembled model
        log.warning("Local model unavailable (%s), writing with the template writer", exc)
    return None
