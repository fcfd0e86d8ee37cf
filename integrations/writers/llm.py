"""A writer on any OpenAI-compatible chat model (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server).

It asks for JSON-schema structured output and validates it; an invalid or failed answer falls back to the
template writer, and the result says so (``fallback_reason``).
"""

from __future__ import annotations

import logging
from typing import Any

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


class LLMWriter:
    def __init__(self, model: BaseChatModel, model_name: str, fallback: TemplateWriter | None = None) -> None:
        self._model = model
        self.name = f"llm:{model_name}"
        self._fallback = fallback or TemplateWriter()

    def _ask(self, schema: type[BaseModel], system: str, user: str) -> BaseModel:
        structured = self._model.with_structured_output(schema, method="json_schema")
        answer: Any = structured.invoke([SystemMessage(system), HumanMessage(user)])
        if isinstance(answer, dict):
            answer = schema.model_validate(answer)
        if not isinstance(answer, schema):
            raise ValueError(f"model answered {type(answer).__name__}, not {schema.__name__}")
        return answer

    def caption(self, request: CaptionRequest) -> WriterResult:
        try:
            out = self._ask(
                CaptionOut,
                render("writer_system", voice=request.voice),
                render("caption", req=request),
            )
            assert isinstance(out, CaptionOut)
            if not out.caption.strip():
                raise ValueError("empty caption")
            tags = [t for t in (clean_tag(h) for h in out.hashtags) if t]
            return WriterResult(text=out.caption.strip(), hashtags=tags, writer=self.name)
        except Exception as exc:  # noqa: BLE001 - invalid answer or client error: the user still gets a draft
            return self._fall_back("caption", request, exc)

    def hashtags(self, request: HashtagRequest) -> WriterResult:
        try:
            out = self._ask(
                HashtagsOut,
                render("writer_system", voice=request.voice),
                render("hashtags", req=request),
            )
            assert isinstance(out, HashtagsOut)
            tags = [t for t in (clean_tag(h) for h in out.hashtags) if t]
            if not tags and request.count:
                raise ValueError("no hashtags")
            return WriterResult(hashtags=tags, writer=self.name)
        except Exception as exc:  # noqa: BLE001 - invalid answer or client error: fall back
            return self._fall_back("hashtags", request, exc)

    def script(self, request: ScriptRequest) -> ScriptResult:
        try:
            out = self._ask(
                ScriptOut,
                render("writer_system", voice=request.voice),
                render("script", req=request),
            )
            assert isinstance(out, ScriptOut)
            if not out.hook.strip() or not out.beats or not out.caption.strip():
                raise ValueError("empty hook, beats or caption")
            tags = [t for t in (clean_tag(h) for h in out.hashtags) if t]
            data = out.model_dump()
            data["hashtags"] = tags
            return ScriptResult(**data, writer=self.name)
        except Exception as exc:  # noqa: BLE001 - invalid answer or client error: the user still gets a script
            result: ScriptResult = self._fall_back_to(self._fallback.script, "script", request, exc)
            return result

    def summary(self, request: SummaryRequest) -> SummaryResult:
        try:
            out = self._ask(
                SummaryOut,
                render("writer_system", voice=request.voice),
                render("summary", req=request),
            )
            assert isinstance(out, SummaryOut)
            if not out.summary.strip():
                raise ValueError("empty summary")
            points = [p.strip() for p in out.key_points if p.strip()][: request.max_points]
            return SummaryResult(
                title=out.title.strip(), summary=out.summary.strip(), key_points=points, writer=self.name
            )
        except Exception as exc:  # noqa: BLE001 - invalid answer or client error: fall back
            summary: SummaryResult = self._fall_back_to(self._fallback.summary, "summary", request, exc)
            return summary

    def _fall_back_to(self, method: Any, task: str, request: Any, exc: BaseException) -> Any:
        log.warning("%s writer failed on %s (%s): falling back to the template writer", self.name, task, exc)
        result = method(request)
        result.fallback_reason = f"{self.name} failed: {type(exc).__name__}: {str(exc)[:200]}"
        return result

    def _fall_back(self, task: str, request: Any, exc: BaseException) -> WriterResult:
        log.warning("%s writer failed on %s (%s): falling back to the template writer", self.name, task, exc)
        result: WriterResult = getattr(self._fallback, task)(request)
        result.fallback_reason = f"{self.name} failed: {type(exc).__name__}: {str(exc)[:200]}"
        return result
