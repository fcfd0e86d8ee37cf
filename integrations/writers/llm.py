"""A writer on any OpenAI-compatible chat model (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server).

It asks for JSON-schema structured output and validates it; an invalid or failed answer falls back to the
template writer, and the result says so (``fallback_reason``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from integrations.writers.base import (
    CaptionOut,
    CaptionRequest,
    HashtagRequest,
    HashtagsOut,
    ScriptOut,
    ScriptRequest,
    ScriptResult,
    SummaryOut,
    SummaryRequest,
    SummaryResult,
    WriterResult,
)
from integrations.writers.template import TemplateWriter, clean_tag
from prompts import render

log = logging.getLogger(__name__)

Out = TypeVar("Out", bound=BaseModel)
R = TypeVar("R")


class LLMWriter:
    def __init__(self, model: BaseChatModel, model_name: str, fallback: TemplateWriter | None = None) -> None:
        self._model = model
        self.name = f"llm:{model_name}"
        self._fallback = fallback or TemplateWriter()

    def _write(self, task: str, schema: type[Out], request: Any, build: Callable[[Out], R]) -> R:
        """Ask the model for ``schema`` with the task's template, validate it with ``build``; on any failure
        (client error, invalid JSON, an answer ``build`` rejects) the template writer answers instead, and
        the result says why (``fallback_reason``)."""
        try:
            structured = self._model.with_structured_output(schema, method="json_schema")
            answer: Any = structured.invoke(
                [
                    SystemMessage(render("writer_system", voice=request.voice)),
                    HumanMessage(render(task, req=request)),
                ]
            )
            if isinstance(answer, dict):
                answer = schema.model_validate(answer)
            if not isinstance(answer, schema):
                raise ValueError(f"model answered {type(answer).__name__}, not {schema.__name__}")
            return build(answer)
        except Exception as exc:  # noqa: BLE001 - invalid answer or client error: the user still gets a result
            log.warning(
                "%s writer failed on %s (%s): falling back to the template writer", self.name, task, exc
            )
            result: R = getattr(self._fallback, task)(request)  # the same task
            result.fallback_reason = f"{self.name} failed: {type(exc).__name__}: {str(exc)[:200]}"  # type: ignore[attr-defined]
            return result

    def caption(self, request: CaptionRequest) -> WriterResult:
        def build(out: CaptionOut) -> WriterResult:
            if not out.caption.strip():
                raise ValueError("empty caption")
            return WriterResult(text=out.caption.strip(), hashtags=_tags(out.hashtags), writer=self.name)

        return self._write("caption", CaptionOut, request, build)

    def hashtags(self, request: HashtagRequest) -> WriterResult:
        def build(out: HashtagsOut) -> WriterResult:
            tags = _tags(out.hashtags)
            if not tags and request.count:
                raise ValueError("no hashtags")
            return WriterResult(hashtags=tags, writer=self.name)

        return self._write("hashtags", HashtagsOut, request, build)

    def script(self, request: ScriptRequest) -> ScriptResult:
        def build(out: ScriptOut) -> ScriptResult:
            if not out.hook.strip() or not out.beats or not out.caption.strip():
                raise ValueError("empty hook, beats or caption")
            return ScriptResult(**{**out.model_dump(), "hashtags": _tags(out.hashtags)}, writer=self.name)

        return self._write("script", ScriptOut, request, build)

    def summary(self, request: SummaryRequest) -> SummaryResult:
        def build(out: SummaryOut) -> SummaryResult:
            if not out.summary.strip():
                raise ValueError("empty summary")
            points = [p.strip() for p in out.key_points if p.strip()][: request.max_points]
            return SummaryResult(
                title=out.title.strip(), summary=out.summary.strip(), key_points=points, writer=self.name
            )

        return self._write("summary", SummaryOut, request, build)


def _tags(raw: list[str]) -> list[str]:
    return [t for t in (clean_tag(h) for h in raw) if t]
