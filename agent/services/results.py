"""The tools' results, typed: one pydantic model per artifact kind, told apart by ``type``.

A tool returns ``(message, artifact)``; the artifact is one of these models dumped to JSON
(``model.model_dump(mode="json")``), so what the checkpoints store and the graph, the reply and the UIs read
stays plain data with exactly these keys. :func:`parse_result` reads an artifact back as its model.

A draft is :class:`~agent.services.views.drafts.DraftView` (``type="draft"``); a few tools add keys of their
own to it (a thread's posts, a script, an edit's learned rules, an improvement, an A/B variant's hypothesis):
those are subclasses of the view, still ``type="draft"``, told apart by the key they add. Likewise a score
with the account model's report (``score_post``) and without it (``improve_post`` when nothing changed).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError

from agent.content.writers.base import ScriptOut
from agent.services.views.drafts import DraftView

ToolOutput = tuple[str, dict[str, Any]]
"""What a tool returns: the message the model reads and the artifact, a :data:`ToolResult` dumped to JSON."""


def _absent_when_none(value: Any) -> bool:
    return value is None


class Result(BaseModel):
    """Base of the tool results: frozen, and no key that is not declared (the stored shape is exact)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


# --- outcomes without a payload --------------------------------------------------------------------------


class ErrorResult(Result):
    """An expected failure the user can act on (``StudioError``); the message says what to do."""

    type: Literal["error"] = "error"
    message: str


class NoticeResult(Result):
    """Nothing was changed, on purpose (e.g. the post is already in that language)."""

    type: Literal["notice"] = "notice"
    message: str
    reply: str


class DeclinedResult(Result):
    """The user declined a sensitive tool call (made by the graph, not by a tool)."""

    type: Literal["declined"] = "declined"
    tool: str
    args: dict[str, Any]


# --- memory and voice rules ------------------------------------------------------------------------------


class MemoryResult(Result):
    type: Literal["memory"] = "memory"
    id: int
    content: str


class MemoryItem(Result):
    id: int
    content: str


class MemoriesResult(Result):
    type: Literal["memories"] = "memories"
    items: list[MemoryItem]
    query: str


class VoiceRuleItem(Result):
    id: int
    content: str
    source: str


class VoiceRulesResult(Result):
    type: Literal["voice_rules"] = "voice_rules"
    items: list[VoiceRuleItem]
    reply: str


class VoiceRuleDeletedResult(Result):
    type: Literal["voice_rule_deleted"] = "voice_rule_deleted"
    id: int
    content: str
    reply: str


# --- drafts ------------------------------------------------------------------------------------------------


class _DraftWith(DraftView):
    """A draft view with keys of one tool's own."""

    @classmethod
    def of(cls, view: DraftView, **extra: Any) -> Self:
        return cls(**{**dict(view), **extra})


class ThreadDraft(_DraftWith):
    """``split_thread``: the thread's posts as published (the view's ``thread_posts`` too)."""

    posts: list[str]


class ScriptDraft(_DraftWith):
    """``write_script``: the script's parts (hook, beats, call to action, caption)."""

    script: ScriptOut


class EditedDraft(_DraftWith):
    """``edit_draft``: the voice rules learned from the user's edit (memories of kind "rule")."""

    learned: list[MemoryItem]


class ImprovedDraft(_DraftWith):
    """``improve_post``: the improved draft, what changed and the original's id."""

    improvement: dict[str, Any]
    improved_from: int
    reply: str


class VariantDraft(_DraftWith):
    """One A/B variant of ``ab_variants`` (``predicted`` only when the account model ran)."""

    has_media: bool
    label: str
    hypothesis: str
    predicted: float | None = Field(default=None, exclude_if=_absent_when_none)


class VariantsResult(Result):
    type: Literal["variants"] = "variants"
    draft_id: int
    variant_group: str | None
    drafts: list[VariantDraft]
    reply: str


class HashtagsResult(Result):
    """Hashtags for a text (a draft's hashtags come back as the draft)."""

    type: Literal["hashtags"] = "hashtags"
    platform: str
    hashtags: list[str]
    writer: str


# --- scheduling and accounts -----------------------------------------------------------------------------


class PostResult(Result):
    """A queued (scheduled, published, failed…) post."""

    type: Literal["post"] = "post"
    id: int
    draft_id: int | None
    platform: str
    account_id: int | None
    state: str
    run_at: str | None
    local_time: str | None
    attempts: int
    external_url: str | None
    last_error: str | None
    text: str


class QueueResult(Result):
    type: Literal["queue"] = "queue"
    items: list[PostResult]


class AccountResult(Result):
    type: Literal["account"] = "account"
    id: int
    platform: str
    handle: str


class LinkCodeResult(Result):
    type: Literal["link_code"] = "link_code"
    expires_at: str
    reply: str


# --- optimization -----------------------------------------------------------------------------------------


class PostScoreResult(Result):
    """A post's score (``ScoreResult.as_dict()`` of the scorer); ``improve_post`` when it changed nothing."""

    type: Literal["score"] = "score"
    draft_id: int | None
    platform: str
    total: float
    factors: list[dict[str, Any]]
    suggestions: list[str]
    length: int
    caption_length: int
    limit: int
    fits: bool
    extras: dict[str, Any]
    reply: str


class PostScoreReport(PostScoreResult):
    """``score_post``: the score with the account model's report and its prediction (None when inactive)."""

    learning: dict[str, Any]
    predicted: float | None


class BestTimeResult(Result):
    type: Literal["best_time"] = "best_time"
    platform: str
    timezone: str
    slots: list[dict[str, Any]]
    posts_used: int
    account_weight: float
    sources: list[dict[str, str]]
    proxy: str | None
    notes: list[str]
    reply: str


class DiagnosisResult(Result):
    type: Literal["diagnosis"] = "diagnosis"
    metric_id: int | None
    post_id: int | None
    platform: str
    measure: str
    value: float
    median: float
    q1: float
    q3: float
    percentile: float
    verdict: str
    causes: list[str]
    strengths: list[str]
    score: float
    baseline_posts: int
    reply: str


class MetricsImportResult(Result):
    type: Literal["metrics_import"] = "metrics_import"
    ids: list[int]
    updated: int
    errors: list[str]
    columns: dict[str, str]
    competitor: str | None
    reply: str


class CompetitorResult(Result):
    type: Literal["competitor"] = "competitor"
    competitor: str
    platform: str | None
    you: dict[str, Any]
    them: dict[str, Any]
    insights: list[str]
    reply: str


# --- perception and long form ------------------------------------------------------------------------------


class Segment(Result):
    start: float
    end: float
    text: str


class TranscriptResult(Result):
    type: Literal["transcript"] = "transcript"
    asset_id: int
    kind: str
    filename: str
    text: str
    language: str
    language_probability: float | None
    language_detected: bool
    duration_s: float | None
    model: str
    segments: list[Segment]
    cached: bool


class PageResult(Result):
    """A web page read by ``read_url`` (kept as an asset of kind "url")."""

    type: Literal["page"] = "page"
    asset_id: int
    url: str
    final_url: str
    title: str
    site: str
    language: str | None
    words: int
    text: str
    reused: bool


class AssetResult(Result):
    """A link to a file, kept as an asset of its kind (``asset_view`` and the link it came from)."""

    type: Literal["asset"] = "asset"
    id: int
    kind: str
    mime: str
    filename: str
    size_bytes: int
    sha256: str
    source_url: str | None
    meta: dict[str, Any]
    reused: bool
    from_url: str


class SummaryResult(Result):
    type: Literal["summary"] = "summary"
    asset_id: int | None
    title: str
    summary: str
    key_points: list[str]
    writer: str
    fallback_reason: str | None
    language: str


class ImageDescriptionResult(Result):
    """What image understanding saw in an image or a video (``keyframes`` for a video only)."""

    type: Literal["vision"] = "vision"
    asset_id: int
    kind: str
    labels: list[dict[str, Any]]
    text: str
    alt_text: str
    subject: str
    colors: list[dict[str, Any]]
    crop: dict[str, dict[str, Any]]
    nsfw: bool
    nsfw_score: float
    backend: str
    width: int
    height: int
    keyframes: list[dict[str, Any]] | None = Field(default=None, exclude_if=_absent_when_none)
    embedding_dim: int
    cached: bool


class AltTextResult(Result):
    type: Literal["alt_text"] = "alt_text"
    asset_id: int
    alt_text: str
    writer: str
    fallback_reason: str | None
    reply: str


# --- the union ----------------------------------------------------------------------------------------------

# Subkinds of one ``type``, told apart by a key only they have (first match wins).
_SUBKINDS: dict[str, tuple[tuple[str, str], ...]] = {
    "draft": (
        ("posts", "draft:thread"),
        ("script", "draft:script"),
        ("learned", "draft:edited"),
        ("improvement", "draft:improved"),
        ("hypothesis", "draft:variant"),
    ),
    "score": (("learning", "score:report"),),
}


def _tag(value: Any) -> str | None:
    """The union member an artifact (a dict) or a result (a model) is."""
    keys: Any = value if isinstance(value, dict) else type(value).model_fields
    kind = keys.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    if not isinstance(kind, str):
        return None
    return next((tag for key, tag in _SUBKINDS.get(kind, ()) if key in keys), kind)


ToolResult = Annotated[
    Annotated[ErrorResult, Tag("error")]
    | Annotated[NoticeResult, Tag("notice")]
    | Annotated[DeclinedResult, Tag("declined")]
    | Annotated[DraftView, Tag("draft")]
    | Annotated[ThreadDraft, Tag("draft:thread")]
    | Annotated[ScriptDraft, Tag("draft:script")]
    | Annotated[EditedDraft, Tag("draft:edited")]
    | Annotated[ImprovedDraft, Tag("draft:improved")]
    | Annotated[VariantDraft, Tag("draft:variant")]
    | Annotated[VariantsResult, Tag("variants")]
    | Annotated[HashtagsResult, Tag("hashtags")]
    | Annotated[MemoryResult, Tag("memory")]
    | Annotated[MemoriesResult, Tag("memories")]
    | Annotated[VoiceRulesResult, Tag("voice_rules")]
    | Annotated[VoiceRuleDeletedResult, Tag("voice_rule_deleted")]
    | Annotated[PostResult, Tag("post")]
    | Annotated[QueueResult, Tag("queue")]
    | Annotated[AccountResult, Tag("account")]
    | Annotated[LinkCodeResult, Tag("link_code")]
    | Annotated[PostScoreResult, Tag("score")]
    | Annotated[PostScoreReport, Tag("score:report")]
    | Annotated[BestTimeResult, Tag("best_time")]
    | Annotated[DiagnosisResult, Tag("diagnosis")]
    | Annotated[MetricsImportResult, Tag("metrics_import")]
    | Annotated[CompetitorResult, Tag("competitor")]
    | Annotated[TranscriptResult, Tag("transcript")]
    | Annotated[PageResult, Tag("page")]
    | Annotated[AssetResult, Tag("asset")]
    | Annotated[SummaryResult, Tag("summary")]
    | Annotated[ImageDescriptionResult, Tag("vision")]
    | Annotated[AltTextResult, Tag("alt_text")],
    Discriminator(_tag),
]
"""Any tool result, by its ``type`` (and, for a draft or a score, the keys its tool adds)."""

_KINDS = frozenset(
    {"error", "notice", "declined", "draft", "variants", "hashtags", "memory", "memories", "voice_rules"}
    | {"voice_rule_deleted", "post", "queue", "account", "link_code", "score", "best_time", "diagnosis"}
    | {"metrics_import", "competitor", "transcript", "page", "asset", "summary", "vision", "alt_text"}
)


_ADAPTER: TypeAdapter[ToolResult] = TypeAdapter(ToolResult)


def parse_result(artifact: Any) -> ToolResult | None:
    """A tool message's artifact as its result model; None when it is not a tool result this studio makes
    (not a dict, no known ``type``, or not the shape of its kind — e.g. written by a much older version)."""
    if not isinstance(artifact, dict) or artifact.get("type") not in _KINDS:
        return None
    try:
        return _ADAPTER.validate_python(artifact)
    except ValidationError:
        return None
