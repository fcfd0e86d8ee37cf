"""Long-form writing tools: a short-form video script from a voice note or video, and summaries."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime

from agent.content.fitting import compose, room_for
from agent.content.grounding import unsupported_facts
from agent.content.writers.base import ScriptRequest, SummaryRequest, TimedText
from agent.content.writers.output import fit_output
from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.repo import assets as asset_repo
from agent.services import drafting
from agent.services.context import Context
from agent.services.perception import SPEECH_KINDS
from agent.services.results import ScriptDraft, SummaryResult, ToolOutput
from agent.services.views.drafts import draft_view
from prompts.counting import trim_to_limit
from tools.common import platform_rule, tool_errors
from tools.voice import voice_for

MAX_SOURCE_CHARS = 20_000  # of a transcript or text handed to a writer
SUMMARY_SOURCES = {"url": "article", "text": "document", "audio": "transcript", "video": "transcript"}


@tool(response_format="content_and_artifact")
@tool_errors
def write_script(
    runtime: ToolRuntime[Any],
    asset_id: int | None = None,
    transcript: str | None = None,
    platform: str = "instagram",
    brief: str = "",
    visuals: list[str] | None = None,
    target_seconds: int = 45,
) -> ToolOutput:
    """Turn a voice note, a video or a transcript into a short-form video script (reel, TikTok, short).

    Pass `asset_id` of an audio or video asset (it is transcribed if it was not yet) or a `transcript`.
    `platform` is where the video goes; `brief` is the user's request; `visuals` are what the footage shows
    (labels from describe_image), used for the visual cues. Saves a draft of kind "script": a hook, beats
    with timestamps and visual cues, a call to action, plus a caption and hashtags.
    """
    ctx: Context = runtime.context
    r = platform_rule(ctx, platform)
    segments: list[TimedText] = []
    duration: float | None = None
    language = "en"
    media: list[int] = []
    if asset_id is not None:
        asset, result, _cached = ctx.services.perception.transcript(user_id=ctx.user_id, asset_id=asset_id)
        text = result.text
        segments = [TimedText(start=s.start, end=s.end, text=s.text) for s in result.segments]
        duration, language = result.duration, result.language
        media = [asset_id] if asset.kind == "video" else []
    else:
        text = (transcript or "").strip()
    if not text.strip():
        raise InputError("There is no speech or text to write a script from.")
    target = max(5, min(int(target_seconds), 180))
    with session_scope(ctx.services.engine) as session:
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        request = ScriptRequest(
            brief=brief.strip()[:2000],
            transcript=text[:MAX_SOURCE_CHARS],
            segments=segments,
            duration_s=duration,
            platform=r.name,
            platform_label=r.label,
            target_seconds=target,
            visuals=[v.strip()[:100] for v in (visuals or []) if v.strip()][:12],
            language=language,
            voice=voice,
        )
        script, checked = drafting.write_script(ctx.services.writer, request)
        # the caption posted with the video follows the platform's rules like every other output
        caption, tags, _notes = fit_output(ctx.services.writer, script.caption, script.hashtags, r, voice)
        if unsupported_facts(
            caption, drafting.script_sources(request)
        ):  # the writer's shortening added something: cut instead
            caption, tags, _notes = fit_output(TemplateWriter(), script.caption, script.hashtags, r, voice)
        script = script.model_copy(update={"caption": caption, "hashtags": tags})
        body = script.as_text()
        tags = script.hashtags[: r.hashtags_max]
        room = room_for(r, tags)
        body = trim_to_limit(body, room, r.counting)
        draft = repo.create_draft(
            session,
            user_id=ctx.user_id,
            thread_id=ctx.thread_id,
            platform=r.name,
            kind="script",
            text=body,
            hashtags=tags,
            writer=script.writer,
            media=media,
            meta={
                "brief": brief[:2000],
                "source_asset": asset_id,
                "script": script.model_dump(exclude={"writer", "fallback_reason"}),
                "caption": script.caption,
                "fallback_reason": script.fallback_reason,
                "checks": checked.passed,
            },
        )
        parts = script.model_dump(exclude={"writer", "fallback_reason"})
        view = ScriptDraft.of(draft_view(session, draft), script=parts).model_dump(mode="json")
    summary = f"Script draft #{view['id']} for {r.label} ({len(script.beats)} beats):\n{compose(body, tags)}\n\nCaption: {script.caption}"
    return summary, view


@tool(response_format="content_and_artifact")
@tool_errors
def summarize(
    runtime: ToolRuntime[Any], text: str | None = None, asset_id: int | None = None, max_points: int = 5
) -> ToolOutput:
    """Summarize a transcript, document or article into a title, a short summary and key points.

    Pass `asset_id` of a read page (from read_url), a text file, or an audio/video asset (its transcript is
    used), or pass `text` directly.
    """
    ctx: Context = runtime.context
    perception = ctx.services.perception
    title = ""
    source = "text"
    language = "en"
    if asset_id is not None:
        with session_scope(ctx.services.engine) as session:
            asset = asset_repo.get_asset(session, user_id=ctx.user_id, asset_id=asset_id)
        if asset.kind in SPEECH_KINDS:
            _asset, transcript, _cached = perception.transcript(user_id=ctx.user_id, asset_id=asset_id)
            body, language = transcript.text, transcript.language
        elif asset.kind in ("url", "text"):
            body = perception.ingestor.read_text(asset)
            meta = asset.meta or {}
            title = str(meta.get("title") or "")
            language = str(meta.get("language") or "en")
            if title and body.startswith(title):
                body = body[len(title) :].lstrip()
        else:
            raise InputError(f"Asset #{asset_id} is an {asset.kind}; describe it instead of summarizing it.")
        source = SUMMARY_SOURCES.get(asset.kind, "text")
    else:
        body = (text or "").strip()
    if not body.strip():
        raise InputError("There is no text to summarize.")
    with session_scope(ctx.services.engine) as session:
        voice = voice_for(session, user_id=ctx.user_id, platform=(ctx.platforms or ("instagram",))[0])
    result = ctx.services.writer.summary(
        SummaryRequest(
            text=body[:MAX_SOURCE_CHARS],
            title=title[:300],
            source=source,
            max_points=max(1, min(int(max_points), 10)),
            language=language,
            voice=voice,
        )
    )
    artifact = SummaryResult(
        asset_id=asset_id,
        title=result.title,
        summary=result.summary,
        key_points=result.key_points,
        writer=result.writer,
        fallback_reason=result.fallback_reason,
        language=language,
    ).model_dump(mode="json")
    points = "\n".join(f"- {p}" for p in result.key_points)
    return f"{result.title}\n\n{result.summary}\n\nKey points:\n{points}", artifact
