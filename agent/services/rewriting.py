"""The writer for translations and tone rewrites.

Captions, scripts and hashtags come from the template writer by default: on the labelled briefs it states
nothing unsupported and keeps every constraint. It cannot translate, and it changes a tone only by its
contractions and punctuation. ``STUDIO_REWRITE_MODEL`` names a local model for those two tasks alone (off by
default: the packaged small models mistranslate — README); it is started on the first request that needs it,
never at start-up, and its output passes the same checks as any writer's (the language asked, no fact the
original lacks, the platform's limit). When it is off or cannot start, the template writer answers and says
what it could not do.
"""

from __future__ import annotations

import logging
import threading

from agent.content.writers.base import Writer
from agent.content.writers.template import TemplateWriter
from agent.core.settings import Settings
from agent.services.llm import local_writer, start_local_model
from integrations.llm_server.local import LocalModel

log = logging.getLogger(__name__)


class RewriteModel:
    """The local model for rewrites, started once on first use (thread-safe) and stopped by :meth:`close`."""

    def __init__(self, settings: Settings, *, reuse: bool = False) -> None:
        self._settings = settings.model_copy(update={"local_model": settings.rewrite_model})
        self._reuse = reuse
        self._lock = threading.Lock()
        self._local: LocalModel | None = None
        self._writer: Writer | None = None
        self.unavailable: str | None = None  # why it could not start (it is not tried again)

    @property
    def enabled(self) -> bool:
        return self._settings.local_model != "off"

    @property
    def local(self) -> LocalModel | None:
        """The server started for rewrites, if it was."""
        return self._local

    def writer(self) -> Writer | None:
        """The model's writer, started now if this is the first rewrite; None when it is off or cannot run."""
        if not self.enabled:
            return None
        with self._lock:
            if self._writer is None and self.unavailable is None:
                log.info("Starting the local model (%s) for a rewrite", self._settings.local_model)
                local = start_local_model(self._settings, reuse=self._reuse)
                if local is None:
                    self.unavailable = "the local model could not start (see the log)"
                else:
                    self._local = local
                    self._writer = local_writer(local, timeout_s=self._settings.llm_timeout_s)
            return self._writer

    def close(self) -> None:
        with self._lock:
            local, self._local, self._writer = self._local, None, None
        if local is not None:
            local.close()


def rewrite_writer(writer: Writer, rewriter: RewriteModel | None) -> Writer:
    """Who translates and rewrites tone: the configured model writer if there is one, else the rewrite model
    (started on first use), else the template writer (which says what it cannot do)."""
    if not isinstance(writer, TemplateWriter) or rewriter is None:
        return writer
    return rewriter.writer() or writer
