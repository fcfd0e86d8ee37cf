"""Perception tools: hear (transcribe a voice note or a video's sound) and read (a link)."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.content.formatting import clip, clock
from agent.core.repo.assets import asset_view
from agent.services.context import Context
from agent.services.results import AssetResult, PageResult, Segment, ToolOutput, TranscriptResult
from tools.common import tool_errors

MAX_TOOL_TEXT = 6000  # characters of a transcript or page the model gets back in the tool message


@tool(response_format="content_and_artifact")
@tool_errors
def transcribe(
    asset_id: int, runtime: ToolRuntime[Any], language: str | None = None, multilingual: bool = False
) -> ToolOutput:
    """Transcribe the speech in an uploaded audio or video asset (a voice note, a reel, a recording).

    `asset_id` is the asset's id. Give `language` (an ISO 639-1 code such as "de") when you know the
    speech is not English, or `multilingual=True` when it may not be; otherwise the English model runs
    and switches to the multilingual one if the speech does not sound English. Returns the text, the
    language and timestamped segments. A file is transcribed once: asking again returns the cached result.
    """
    ctx: Context = runtime.context
    perception = ctx.services.perception
    writer = getattr(runtime, "stream_writer", None)

    def progress(done: float, total: float) -> None:
        if writer is not None:
            writer(
                {
                    "type": "progress",
                    "tool": "transcribe",
                    "asset_id": asset_id,
                    "done_s": round(done, 1),
                    "total_s": round(total, 1),
                    "fraction": round(done / total, 3) if total else 1.0,
                }
            )

    asset, result, cached = perception.transcript(
        user_id=ctx.user_id,
        asset_id=asset_id,
        language=language,
        multilingual=multilingual,
        on_progress=progress,
    )
    artifact = TranscriptResult(
        asset_id=asset_id,
        kind=asset.kind,
        filename=asset.filename,
        text=result.text,
        language=result.language,
        language_probability=result.language_probability,
        language_detected=result.language_detected,
        duration_s=result.duration,
        model=result.model,
        segments=[Segment(start=s.start, end=s.end, text=s.text) for s in result.segments],
        cached=cached,
    ).model_dump(mode="json")
    head = (
        f"Transcript of {asset.kind} #{asset_id} ({clock(result.duration)}, language {result.language}, "
        f"model {result.model}{', from cache' if cached else ''}):"
    )
    if not result.text:
        return f"{head} no speech was heard.", artifact
    timed = "\n".join(f"[{clock(s.start)}] {s.text}" for s in result.segments)
    return f"{head}\n{clip(timed, MAX_TOOL_TEXT)}", artifact


@tool(response_format="content_and_artifact")
@tool_errors
def read_url(url: str, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Read a link the user shared: a web page's title and main text, or an image/audio/video file.

    The page is kept as an asset (pass its `asset_id` to summarize, or write posts about it); a link to an
    image, audio or video file becomes an asset of that kind (describe or transcribe it next). Only public
    http(s) addresses are read.
    """
    ctx: Context = runtime.context
    ingestor = ctx.services.perception.ingestor
    done = ingestor.ingest_url(user_id=ctx.user_id, url=url)
    asset = done.asset
    if asset.kind != "url":
        view = AssetResult(**asset_view(asset, reused=done.reused), from_url=url).model_dump(mode="json")
        return f"The link is {asset.kind} ({asset.mime}); it is kept as asset #{asset.id}.", view
    meta = asset.meta or {}
    text = done.text or ""
    page = PageResult(
        asset_id=asset.id or 0,
        url=url,
        final_url=meta.get("final_url", url),
        title=meta.get("title", ""),
        site=meta.get("site", ""),
        language=meta.get("language"),
        words=meta.get("words", len(text.split())),
        text=clip(text, 20_000),
        reused=done.reused,
    )
    title = page.title or page.final_url
    return (
        f"Page “{title}” (asset #{asset.id}, {page.words} words):\n{clip(text, MAX_TOOL_TEXT)}",
        page.model_dump(mode="json"),
    )
