"""Optimization tools: score, improve, A/B variants, best time, reach diagnosis, metrics import, competitors.

Each returns ``(text, artifact)``; the artifact's ``reply`` is what the rules planner shows the user.
Everything is scoped to the user in the runtime context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session, col, select

from agent.content.briefs import extract_subject
from agent.content.fitting import compose
from agent.content.optimize import diagnose, improve, learning, metrics_csv, scorer, timing
from agent.content.optimize.learning import MIN_POSTS, AccountModel, LearningReport, rerank
from agent.content.optimize.records import PostRecord
from agent.content.optimize.scorer import ScoreResult, breakdown_lines
from agent.content.optimize.timing import BestTime
from agent.core import repo
from agent.core.errors import InputError, NotFound
from agent.core.models import Draft, Metric, ScheduledPost
from agent.services.context import Context
from agent.services.records import competitor_names, load_records, record_from_metric
from agent.services.results import (
    BestTimeResult,
    CompetitorResult,
    DiagnosisResult,
    ImprovedDraft,
    MetricsImportResult,
    PostScoreReport,
    PostScoreResult,
    ToolOutput,
    VariantDraft,
    VariantsResult,
)
from agent.services.views.drafts import draft_view
from prompts.platforms import rule
from tools.common import load_target, platform_rule, tool_errors, user_session
from tools.voice import voice_for

MAX_TEXT_CHARS = 10_000


@dataclass
class Account:
    """What the optimization tools know about the user on one platform."""

    timezone: str
    emoji_allowed: bool
    records: list[PostRecord]
    timing: BestTime
    report: LearningReport
    model: AccountModel | None


def _account(session: Session, user_id: str, platform: str, *, with_model: bool = True) -> Account:
    profile = repo.get_brand_profile(session, user_id=user_id)
    tz = profile.timezone or "UTC"
    records = load_records(session, user_id=user_id, platform=platform)
    if with_model:
        report, model = learning.learn(records, platform, tz)
    else:
        report, model = LearningReport(platform, len(records), "", False, "not needed here"), None
    return Account(
        timezone=tz,
        emoji_allowed=voice_for(session, user_id=user_id, platform=platform).emoji_allowed,
        records=records,
        timing=timing.best_time(platform, tz, records),
        report=report,
        model=model,
    )


def _scheduled_local(session: Session, user_id: str, draft: Draft, tz: str) -> datetime | None:
    query = (
        select(ScheduledPost)
        .where(ScheduledPost.user_id == user_id, ScheduledPost.draft_id == draft.id)
        .where(col(ScheduledPost.run_at).is_not(None))
        .order_by(col(ScheduledPost.id).desc())
        .limit(1)
    )
    post = session.exec(query).first()
    if post is None or post.run_at is None:
        return None
    return post.run_at.astimezone(ZoneInfo(post.timezone or tz))


def _derived_draft(
    session: Any,
    ctx: Any,
    draft: Draft,
    *,
    text: str,
    hashtags: Sequence[str],
    score: float,
    meta: dict[str, Any],
) -> Draft:
    """A new draft made from ``draft`` (improved or a variant), in the same variant group; the original stays."""
    group = repo.variant_group_of(session, user_id=ctx.user_id, draft=draft)
    return repo.create_draft(
        session,
        user_id=ctx.user_id,
        thread_id=ctx.thread_id,
        platform=draft.platform,
        kind=draft.kind,
        text=text,
        hashtags=hashtags,
        media=list(draft.media),
        writer="optimizer",
        variant_group=group,
        score=score,
        meta={**_carried_meta(draft), "limit": platform_rule(ctx, draft.platform).limit, **meta},
    )


def _carried_meta(draft: Draft) -> dict[str, Any]:
    """What a derived draft keeps from its original (the brief), not how the original was written."""
    return {k: v for k, v in (draft.meta or {}).items() if k == "brief"}


def _subject(draft: Draft) -> str | None:
    brief = (draft.meta or {}).get("brief")
    return extract_subject(brief) if brief else None


def _score_reply(result: ScoreResult, label: str, extra: list[str]) -> str:
    lines = [
        f"{label}: **{result.total:.0f}/100** for {rule(result.platform).label}",
        *breakdown_lines(result),
    ]
    if result.suggestions:
        lines.append("To improve it:")
        lines += [f"{i}. {s}" for i, s in enumerate(result.suggestions[:5], start=1)]
    return "\n".join(lines + extra)


@tool(response_format="content_and_artifact")
@tool_errors
def score_post(
    runtime: ToolRuntime[Any],
    draft_id: int | None = None,
    text: str | None = None,
    platform: str = "instagram",
    hashtags: list[str] | None = None,
    has_media: bool = False,
) -> ToolOutput:
    """Score a post 0–100 for its platform, with a breakdown per factor (length, hook, call to action,
    question, hashtags, emoji, readability, media, link placement, posting time) and concrete suggestions.

    Pass `draft_id` for a saved draft, or `text` (+ `platform`, optional `hashtags`, `has_media`) for any
    text. When the account has enough posts with metrics, also reports its own model's prediction.
    """
    with user_session(runtime) as (session, ctx):
        target = load_target(
            session,
            ctx,
            draft_id=draft_id,
            text=text,
            platform=platform,
            missing="the text to score",
            max_chars=MAX_TEXT_CHARS,
            verb="score",
        )
        draft, body, r = target.draft, target.text, target.rule
        tags = list(draft.hashtags) if draft else list(hashtags or [])
        media = bool(draft.media) if draft else has_media
        account = _account(session, ctx.user_id, r.name)
        when = _scheduled_local(session, ctx.user_id, draft, account.timezone) if draft else None
    result = scorer.score_post(
        body, tags, r, media, when, emoji_allowed=account.emoji_allowed, time_table=account.timing.table
    )
    extra = [account.report.summary()]
    predicted = None
    if account.model is not None:
        predicted = account.model.predict(body, tags, media, when)
        extra.append(f"Predicted {account.model.measure} for this post: {account.model.fmt(predicted)}.")
    label = f"Draft #{draft.id}" if draft else "Score"
    reply = _score_reply(result, label, extra)
    artifact = PostScoreReport(
        draft_id=draft.id if draft else None,
        **result.as_dict(),
        learning=account.report.as_dict(),
        predicted=predicted,
        reply=reply,
    )
    return reply, artifact.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def improve_post(draft_id: int, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Apply the score's suggestions to a draft (hook, call to action, question, hashtags to the norm, link
    to the end, length to the sweet spot) and save the result as a NEW draft in the same variant group;
    the original is kept. Shows the score before and after, per factor. Never exceeds the platform's limit.
    """
    with user_session(runtime) as (session, ctx):
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        account = _account(session, ctx.user_id, draft.platform, with_model=False)
        when = _scheduled_local(session, ctx.user_id, draft, account.timezone)
        result = improve.improve_post(
            draft.text,
            list(draft.hashtags),
            platform_rule(ctx, draft.platform),
            bool(draft.media),
            when,
            subject=_subject(draft),
            emoji_allowed=account.emoji_allowed,
            time_table=account.timing.table,
        )
        if not result.changes:
            tips = "\n".join(f"- {s}" for s in result.before.suggestions[:4]) or "- none"
            reply = (
                f"Draft #{draft.id} scores {result.before.total:.0f}/100; nothing I can improve automatically. "
                f"What is left is up to you:\n{tips}"
            )
            unchanged = PostScoreResult(draft_id=draft.id, **result.before.as_dict(), reply=reply)
            return reply, unchanged.model_dump(mode="json")
        new = _derived_draft(
            session,
            ctx,
            draft,
            text=result.text,
            hashtags=result.hashtags,
            score=result.after.total,
            meta={"improved_from": draft.id, "changes": list(result.changes)},
        )
        view = draft_view(session, new)
    factor_lines = [f"- {f['label']}: {f['before']} → {f['after']}" for f in result.factor_changes()]
    reply = "\n".join(
        [
            f"Improved draft #{draft.id} → draft #{new.id}: score {result.before.total:.0f} → "
            f"{result.after.total:.0f} ({result.delta:+.0f}).",
            *[f"- {c}" for c in result.changes],
            "Per factor:",
            *factor_lines,
        ]
    )
    content = f"{reply}\n\nDraft #{new.id}:\n{compose(result.text, list(result.hashtags))}"
    improved = ImprovedDraft.of(view, improvement=result.as_dict(), improved_from=draft.id, reply=reply)
    return content, improved.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def ab_variants(draft_id: int, runtime: ToolRuntime[Any], n: int = 3) -> ToolOutput:
    """Make `n` (1–6) clearly different A/B variants of a draft — each changes one lever (hook style,
    length, call to action, emoji, question, hashtags) and states the hypothesis it tests. Each is saved as
    a draft in the original's variant group and fits the platform's limit; ranked best first (by the
    account's own model when it has one, else by score).
    """
    with user_session(runtime) as (session, ctx):
        draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id)
        account = _account(session, ctx.user_id, draft.platform)
        when = _scheduled_local(session, ctx.user_id, draft, account.timezone)
        variants = improve.ab_variants(
            draft.text,
            list(draft.hashtags),
            platform_rule(ctx, draft.platform),
            n,
            bool(draft.media),
            when,
            subject=_subject(draft),
            emoji_allowed=account.emoji_allowed,
            time_table=account.timing.table,
        )
        if not variants:
            raise InputError(f"Draft #{draft.id} is too short to make variants of.")
        items = []
        for v in variants:
            saved = _derived_draft(
                session,
                ctx,
                draft,
                text=v.text,
                hashtags=v.hashtags,
                score=v.score.total,
                meta={"variant_of": draft.id, "variant": v.key, "hypothesis": v.hypothesis},
            )
            items.append(
                VariantDraft.of(
                    draft_view(session, saved),
                    has_media=bool(draft.media),
                    label=v.label,
                    hypothesis=v.hypothesis,
                ).model_dump(mode="json")
            )
    ranked = rerank(items, account.model, when)
    by = f"your account's model ({account.report.measure})" if account.model else "score"
    lines = [f"{len(ranked)} variants of draft #{draft.id}, best first by {by}:"]
    for item in ranked:
        pred = f", predicted {account.model.fmt(item['predicted'])}" if account.model else ""
        lines.append(
            f"\n**Draft #{item['id']} — {item['label']}** (score {item['score']:.0f}{pred}, "
            f"{item['length']}/{item['limit']})\nTests: {item['hypothesis']}\n{compose(item['text'], item['hashtags'])}"
        )
    lines.append("\nPost them at similar times and compare; record the metrics and I will learn from them.")
    reply = "\n".join(lines)
    assert draft.id is not None
    artifact = VariantsResult(
        draft_id=draft.id,
        variant_group=draft.variant_group,
        drafts=[VariantDraft.model_validate(item) for item in ranked],
        reply=reply,
    )
    return reply, artifact.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def best_time(runtime: ToolRuntime[Any], platform: str = "instagram", top: int = 3) -> ToolOutput:
    """The best days and hours to post on a platform, in the user's time zone (brand profile): published
    studies' findings (cited) blended with the user's own posts' engagement as metrics accumulate."""
    ctx: Context = runtime.context
    r = platform_rule(ctx, platform)
    with user_session(runtime) as (session, ctx):
        profile = repo.get_brand_profile(session, user_id=ctx.user_id)
        records = load_records(session, user_id=ctx.user_id, platform=r.name)
    bt = timing.best_time(r.name, profile.timezone or "UTC", records, top=max(1, min(top, 10)))
    lines = [f"Best times to post on {r.label} ({bt.timezone}):"]
    for i, slot in enumerate(bt.slots, start=1):
        lines.append(f"{i}. {slot.label} — next: {slot.next_local.strftime('%a %d %b %H:%M %Z')}")
    lines += list(bt.notes)
    lines.append("Sources: " + "; ".join(s["title"] for s in bt.sources if s["url"]))
    reply = "\n".join(lines)
    return reply, BestTimeResult(**bt.as_dict(), reply=reply).model_dump(mode="json")


def _record_for(session: Session, user_id: str, post_id: int | None, metric_id: int | None) -> PostRecord:

    if metric_id is not None:
        metric = repo.get_metric_row(session, user_id=user_id, metric_id=metric_id)
    else:
        query = select(Metric).where(Metric.user_id == user_id)
        if post_id is not None:
            query = query.where(Metric.post_id == post_id)
        metric = session.exec(query.order_by(col(Metric.id).desc()).limit(1)).first()
        if metric is None:
            raise NotFound(
                f"No metrics for post #{post_id} yet."
                if post_id
                else "No metrics recorded yet: paste a metrics CSV."
            )
    post = draft = None
    if metric.post_id is not None:
        post = session.get(ScheduledPost, metric.post_id)
        if post is not None and post.user_id == user_id and post.draft_id is not None:
            found = session.get(Draft, post.draft_id)
            draft = found if found is not None and found.user_id == user_id else None
    return record_from_metric(metric, post, draft)


@tool(response_format="content_and_artifact")
@tool_errors
def diagnose_reach(
    runtime: ToolRuntime[Any], post_id: int | None = None, metric_id: int | None = None
) -> ToolOutput:
    """Explain how a published post did: its engagement against the account's baseline (median and middle
    half of its posts on the platform) and the likely causes (weak score factors, what the account's best
    posts have that it lacks, the posting slot vs the best times). Give `post_id` (a scheduled post) or
    `metric_id` (an imported metrics row); with neither, the latest post with metrics."""
    with user_session(runtime) as (session, ctx):
        record = _record_for(session, ctx.user_id, post_id, metric_id)
        profile = repo.get_brand_profile(session, user_id=ctx.user_id)
        baseline = load_records(session, user_id=ctx.user_id, platform=record.platform)
    if record.competitor:
        raise InputError(f"That row is {record.competitor}'s post; use compare_competitor for competitors.")
    try:
        result = diagnose.diagnose_reach(record, baseline, profile.timezone or "UTC")
    except ValueError as exc:  # too few posts to compare with: the pure engine's word for it
        raise InputError(str(exc)) from exc
    reply = result.summary()
    artifact = DiagnosisResult(
        metric_id=record.metric_id, post_id=record.post_id, **result.as_dict(), reply=reply
    )
    return reply, artifact.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def record_metrics(
    csv_text: str, runtime: ToolRuntime[Any], platform: str | None = None, competitor: str | None = None
) -> ToolOutput:
    """Record metrics of past posts from a CSV export (columns like date, platform, text, impressions, likes,
    comments, shares, saves, clicks; common export headers are understood). `platform` is used when the CSV
    has no platform column. Set `competitor` to a name to record a competitor's posts instead of the user's.
    Bad rows are reported by row number and skipped; importing the same rows again updates them."""
    if not csv_text.strip():
        raise InputError(
            "Paste the CSV with its header row first, e.g.\n"
            "date,platform,text,impressions,likes,comments,shares,saves,clicks"
        )
    ctx: Context = runtime.context
    default = platform_rule(ctx, platform).name if platform else None
    with user_session(runtime) as (session, ctx):
        profile = repo.get_brand_profile(session, user_id=ctx.user_id)
        try:
            parsed = metrics_csv.parse_metrics_csv(
                csv_text, default_platform=default, timezone=profile.timezone or "UTC", competitor=competitor
            )
        except metrics_csv.CSVError as exc:
            raise InputError(str(exc)) from exc
        if not parsed.rows:
            raise InputError("No row could be read:\n" + parsed.error_summary())
        ids, updated = repo.add_metric_rows(session, user_id=ctx.user_id, rows=parsed.rows)
        platforms = sorted({row["platform"] for row in parsed.rows})
        counts = {p: len(load_records(session, user_id=ctx.user_id, platform=p)) for p in platforms}
    whose = f"{competitor}'s" if competitor else "your"
    lines = [
        f"Recorded {len(ids)} of {whose} posts ({updated} updated) — metrics #{min(ids)}–#{max(ids)}.",
        "Columns read: " + ", ".join(f"{k} ← “{v}”" for k, v in parsed.columns.items()) + ".",
    ]
    if parsed.errors:
        lines.append(f"Skipped {len(parsed.errors)} row(s):\n{parsed.error_summary()}")
    if not competitor:
        for p, n in counts.items():
            status = (
                "the account model can learn from them"
                if n >= MIN_POSTS
                else f"{MIN_POSTS - n} more to start learning"
            )
            lines.append(f"{rule(p).label}: {n} posts with metrics — {status}.")
    else:
        lines.append(f"Say “compare us with {competitor}” to see how you differ.")
    reply = "\n".join(lines)
    artifact = MetricsImportResult(
        ids=ids,
        updated=updated,
        errors=parsed.errors,
        columns=parsed.columns,
        competitor=competitor,
        reply=reply,
    )
    return reply, artifact.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def compare_competitor(name: str, runtime: ToolRuntime[Any], platform: str | None = None) -> ToolOutput:
    """Contrast a competitor's recorded posts (added with record_metrics + competitor) with the user's own:
    engagement, posting times, length, hashtags, questions, calls to action, media and emoji."""
    name = name.strip()
    if not name:
        raise InputError("Which competitor? Say e.g. “compare us with Blue Bottle”.")
    ctx: Context = runtime.context
    plat = platform_rule(ctx, platform).name if platform else None

    with user_session(runtime) as (session, ctx):
        profile = repo.get_brand_profile(session, user_id=ctx.user_id)
        known = competitor_names(session, user_id=ctx.user_id)
        match = next((k for k in known if k.lower() == name.lower()), None)
        if match is None:
            hint = (
                f" I have: {', '.join(known)}." if known else " Record their posts with a metrics CSV first."
            )
            raise NotFound(f"No recorded posts of {name}.{hint}")
        theirs = load_records(session, user_id=ctx.user_id, competitor=match)
        own = load_records(session, user_id=ctx.user_id)
    try:
        result = diagnose.compare_competitor(own, theirs, match, profile.timezone or "UTC", plat)
    except ValueError as exc:  # too few posts on either side: the pure engine's word for it
        raise InputError(str(exc)) from exc
    reply = "\n".join([f"You vs {match}:", *[f"- {i}" for i in result.insights]])
    return reply, CompetitorResult(**result.as_dict(), reply=reply).model_dump(mode="json")


OPTIMIZE_TOOLS = [
    score_post,
    improve_post,
    ab_variants,
    best_time,
    diagnose_reach,
    record_metrics,
    compare_competitor,
]
