"""A writer on any OpenAI-compatible chat model (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server).

It asks for JSON-schema structured output and validates it; an invalid or failed answer falls back to the
template writer, and the result says so (``fallback_reason``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from agent.content.writers.base import (
    AltTextOut,
    AltTextRequest,
    AltTextResult,
    CaptionOut,
    CaptionRequest,
    HashtagRequest,
    HashtagsOut,
    ImproveRequest,
    ScriptOut,
    ScriptRequest,
    ScriptResult,
    SummaryOut,
    SummaryRequest,
    SummaryResult,
    TextOut,
    TextResult,
    ThreadOut,
    ThreadRequest,
    ThreadResult,
    ToneRequest,
    TranslateRequest,
    VariantsOut,
    VariantsRequest,
    VariantsResult,
    VoiceGuide,
    WriterResult,
    platform_fields,
)
from agent.content.writers.quality import echoed_instruction, refusal, tidy_hashtags
from agent.content.writers.template import TemplateWriter
from agent.content.writers.words import clean_tag
from integrations.llm_server.schema import bounded_schema, fields_hint
from prompts import examples, render
from prompts.counting import count, trim_to_limit
from prompts.platforms import rule
from prompts.threads import numbered

log = logging.getLogger(__name__)

Out = TypeVar("Out", bound=BaseModel)
R = TypeVar("R")


class LLMWriter:
    def __init__(
        self,
        model: BaseChatModel,
        model_name: str,
        fallback: TemplateWriter | None = None,
        structured: Literal["json_schema", "json_object"] = "json_schema",
    ) -> None:
        """``structured``: ``json_schema`` (OpenAI's structured outputs: OpenAI, llama.cpp's own server,
        Ollama, vLLM) or ``json_object`` (``response_format={"type": "json_object", "schema": ...}``, which
        llama-cpp-python's server turns into a grammar; it rejects ``json_schema``)."""
        self._model = model
        self.name = f"llm:{model_name}"
        self._fallback = fallback or TemplateWriter()
        self._structured = structured

    def _write(self, task: str, schema: type[Out], request: Any, build: Callable[[Out], R]) -> R:
        """Ask the model for ``schema`` with the task's template, validate it with ``build``; on any failure
        (client error, invalid JSON, an answer ``build`` rejects) the template writer answers instead, and
        the result says why (``fallback_reason``)."""
        try:
            messages = self._messages(task, schema, request)
            answer: Any
            if self._structured == "json_object":  # the schema becomes a grammar on the server
                fmt = {"type": "json_object", "schema": bounded_schema(schema, request)}
                reply = self._model.bind(response_format=fmt).invoke(messages)
                answer = schema.model_validate_json(reply.text)
            else:
                answer = self._model.with_structured_output(schema, method="json_schema").invoke(messages)
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

    def _messages(self, task: str, schema: type[BaseModel], request: Any) -> list[BaseMessage]:
        """The system prompt (the voice; the answer's fields when the schema is only a grammar), the task's
        worked examples, then the request. The static part comes first so that a model server keeping its
        evaluated prompt (llama.cpp) only evaluates the request's own lines on the next call."""
        system = render("writer_system", voice=request.voice)
        if self._structured == "json_object":
            # the grammar constrains the answer but tells the model nothing: name the fields
            system = f"{system}\n\n{fields_hint(schema)}"
        return [
            SystemMessage(system),
            *_worked_examples(task, request),
            HumanMessage(render(task, req=request)),
        ]

    def warm(self, voice: VoiceGuide | None = None) -> bool:
        """Have the model evaluate the caption prompt's static part (system prompt for ``voice``, the
        worked examples) once, answering one token, so the user's first caption does not pay for it
        (measured with the packaged local model: ~4 s of a cold first caption). Never raises."""
        request = CaptionRequest.for_platform(
            rule("instagram"), brief="a post for this photo", subject="a photo", voice=voice
        )
        try:
            self._model.bind(extra_body={"max_tokens": 1}).invoke(
                self._messages("caption", CaptionOut, request)
            )
        except Exception as exc:  # noqa: BLE001 - a warm-up only saves time; the first caption still works
            log.info("%s warm-up failed: %s", self.name, exc)
            return False
        return True

    def caption(self, request: CaptionRequest) -> WriterResult:
        def build(out: CaptionOut) -> WriterResult:
            text, tags = tidy_hashtags(out.caption.strip(), _tags(out.hashtags))
            if not text:
                raise ValueError("empty caption")
            copied = echoed_instruction(text, brief=request.brief, style=request.style)
            if copied is not None:
                raise ValueError(f"the caption copies the prompt ({copied[:60]!r})")
            if refusal(text):
                raise ValueError(f"the model declined instead of writing ({text[:60]!r})")
            return WriterResult(text=text, hashtags=tags[: request.hashtags_max], writer=self.name)

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

    def split_thread(self, request: ThreadRequest) -> ThreadResult:
        def build(out: ThreadOut) -> ThreadResult:
            posts = [p.strip() for p in out.posts if p.strip()]
            if not posts or len(posts) > request.max_posts:
                raise ValueError(f"{len(posts)} posts (1 to {request.max_posts} wanted)")
            over = [p for p in numbered(posts) if count(p, request.counting) > request.limit]
            if over:
                raise ValueError(f"{len(over)} post(s) over {request.limit} with their numbering")
            return ThreadResult(posts=posts, writer=self.name)

        return self._write("split_thread", ThreadOut, request, build)

    def rewrite_tone(self, request: ToneRequest) -> TextResult:
        return self._write("rewrite_tone", TextOut, request, self._text_result(request.text))

    def translate(self, request: TranslateRequest) -> TextResult:
        def build(out: TextOut) -> TextResult:
            text = out.text.strip()
            if not text:
                raise ValueError("empty translation")
            if text == request.text.strip() and request.source_language != request.target_language:
                raise ValueError("the answer is the untranslated text")
            return TextResult(text=text, writer=self.name)

        return self._write("translate", TextOut, request, build)

    def improve(self, request: ImproveRequest) -> TextResult:
        return self._write("improve", TextOut, request, self._text_result(request.text))

    def alt_text(self, request: AltTextRequest) -> AltTextResult:
        def build(out: AltTextOut) -> AltTextResult:
            text = " ".join(out.alt_text.split())
            if not text:
                raise ValueError("empty alt text")
            return AltTextResult(alt_text=trim_to_limit(text, request.max_chars, "chars"), writer=self.name)

        return self._write("alt_text", AltTextOut, request, build)

    def variants(self, request: VariantsRequest) -> VariantsResult:
        def build(out: VariantsOut) -> VariantsResult:
            seen = {" ".join(request.text.casefold().split())}
            kept = []
            for v in out.variants:
                key = " ".join(v.text.casefold().split())
                if v.text.strip() and v.hypothesis.strip() and key not in seen:
                    seen.add(key)
                    kept.append(
                        v.model_copy(update={"text": v.text.strip(), "hypothesis": v.hypothesis.strip()})
                    )
            if not kept:
                raise ValueError("no variant differs from the original")
            return VariantsResult(variants=kept[: request.n], writer=self.name)

        return self._write("variants", VariantsOut, request, build)

    def _text_result(self, original: str) -> Callable[[TextOut], TextResult]:
        def build(out: TextOut) -> TextResult:
            text = out.text.strip()
            if not text:
                raise ValueError("empty text")
            return TextResult(text=text, writer=self.name, changed=text != original.strip())

        return build


def _worked_examples(task: str, request: BaseModel) -> list[HumanMessage | AIMessage]:
    """``prompts/examples.toml``'s examples for ``task`` as earlier turns: the request (the real one with
    the example's fields; a platform brings its limits and style) rendered by the task's template, then
    the JSON answer."""
    turns: list[HumanMessage | AIMessage] = []
    for example in examples(task):
        update = dict(example["request"])
        if "platform" in update and "platform_label" in type(request).model_fields:
            update |= platform_fields(rule(update["platform"]))
        shown = request.model_copy(
            update={k: v for k, v in update.items() if k in type(request).model_fields}
        )
        turns.append(HumanMessage(render(task, req=shown)))
        turns.append(AIMessage(json.dumps(example["answer"], ensure_ascii=False)))
    return turns


def _tags(raw: list[str]) -> list[str]:
    return [t for t in (clean_tag(h) for h in raw) if t]
