"""The local model: a packaged small instruct model (GGUF) served by a supervised llama.cpp server.

With no LLM endpoint configured the studio starts one (``STUDIO_LOCAL_MODEL=auto``) and writes with it;
see :mod:`integrations.llm_server.local` (what is served), :mod:`.models` (packaged models, assembly and
sha256 check) and :mod:`.supervisor` (start, health checks, restarts, stop).
"""

from __future__ import annotations

from integrations.llm_server.local import LocalModel, ModelFile, resolve_model_file
from integrations.llm_server.models import (
    DEFAULT_MODEL,
    PACKAGED_MODELS,
    LocalModelError,
    ModelIntegrityError,
    PackagedModel,
)
from integrations.llm_server.supervisor import LlamaServer, ServerConfig, ServerState

__all__ = [
    "DEFAULT_MODEL",
    "PACKAGED_MODELS",
    "LlamaServer",
    "LocalModel",
    "LocalModelError",
    "ModelFile",
    "ModelIntegrityError",
    "PackagedModel",
    "ServerConfig",
    "ServerState",
    "resolve_model_file",
]
