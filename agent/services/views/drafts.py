"""The draft view — one shape for a draft on every surface — and what the draft cards offer: the "best time"
of the Schedule button, the request a Regenerate button makes, the reply without the drafts the cards show.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator
from sqlmodel import Session

from agent.content.briefs import extract_subject
from agent.content.fitting import compose
from agent.content.optimize.scorer import score_post
from agent.content.optimize.timing import best_time
from agent.core import repo
from agent.core.models import Asset, Draft, EmojiPolicy
from agent.services.records import load_records
from prompts.counting import count
from prompts.platforms import rule, rule_with

TOP_SUGGESTIONS = 3
MAX_CARDS = 20  # drafts shown as cards after one turn (variants included)


class DraftMedia(BaseModel):
    """An asset attached to a draft (the web studio shows images from ``storage_path``)."""

    model_config = ConfigDict(frozen=True)

    asset_id: int
    kind: str
    filename: str
    mime: str
    storage_path: str = Field(
        default="", exclude=True
    )  # server-side only: never in JSON, a tool result or a reply


class DraftView(BaseModel):
    """The one shape of a draft that every surface shows: the tools' results (``type="draft"``), the reply,
    ``studio ask --json``, the web studio's cards and Slack's blocks. Computed from the database, never from
    what a client sends back: the length counted by the platform's rule against the limit the draft was
    written to, its media (the owner's only), the score and the scorer's top suggestions."""

    model_config = ConfigDict(frozen=True)

    type: Literal["draft"] = "draft"
    id: int
    platform: str
    platform_label: str
    kind: str
    text: str
    hashtags: list[str]
    length: int
    limit: int
    counting: str = "chars"
    score: float | None
    suggestions: list[str] = Field(default_factory=list)
    status: str
    writer: str
    fallback_reason: str | None = None
    language: str | None = None
    note: str | None = None
    media: list[DraftMedia] = Field(default_factory=list)
    thread_posts: list[str] = Field(default_factory=list)
    checks: list[str] = Field(default_factory=list)  # the grounding and constraint checks the draft passed
    title: str | None = None  # YouTube and Pinterest: the title shown above the description (the text)

    @field_validator("media", mode="before")
    @classmethod
    def _asset_ids(cls, value: Any) -> Any:
        """Results saved by earlier versions list media as bare asset ids."""
        if isinstance(value, list):
            return [
                {"asset_id": v, "kind": "", "filename": "", "mime": ""} if isinstance(v, int) else v
                for v in value
            ]
        return value

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fits(self) -> bool:
        return self.length <= self.limit

    @property
    def post_text(self) -> str:
        """The post as published: text, a blank line, the hashtags."""
        return compose(self.text, self.hashtags)

    @property
    def count_label(self) -> str:
        """``"226 / 2,200"``: the length in the platform's units against its limit."""
        return f"{self.length:,} / {self.limit:,}"


def _media(session: Session, draft: Draft) -> list[DraftMedia]:
    out = []
    for asset_id in draft.media or []:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.user_id != draft.user_id or asset.id is None:
            continue
        out.append(
            DraftMedia(
                asset_id=asset.id,
                kind=asset.kind,
                filename=asset.filename,
                mime=asset.mime,
                storage_path=asset.storage_path,
            )
        )
    return out


def draft_view(session: Session, draft: Draft) -> DraftView:
    """The view of a draft row the caller has already checked is the user's (see :func:`get_draft_view`).

    The score is the one the draft was written with (its writer knew the platform's voice rules); a draft
    saved without one is scored now. The suggestions always come from the scorer."""
    assert draft.id is not None
    r = rule(draft.platform)
    meta = draft.meta or {}
    limit = int(meta.get("limit") or r.limit)
    posts = [p for p in (meta.get("posts") or []) if isinstance(p, str)] if draft.kind == "thread" else []
    if posts:  # a thread: every post counts on its own; the view shows the longest
        length = max(count(p, r.counting) for p in posts)
    else:
        length = count(compose(draft.text, draft.hashtags), r.counting)
    profile = repo.get_brand_profile(session, user_id=draft.user_id)
    result = score_post(
        draft.text,
        list(draft.hashtags),
        rule_with(r.name, {r.name: limit}),  # the limit the draft was written to (a Mastodon instance's)
        bool(draft.media),
        emoji_allowed=profile.emoji_policy != EmojiPolicy.NONE.value,
    )
    return DraftView(
        id=draft.id,
        platform=r.name,
        platform_label=r.label,
        kind=draft.kind,
        text=draft.text,
        hashtags=list(draft.hashtags),
        length=length,
        limit=limit,
        counting=r.counting,
        score=draft.score if draft.score is not None else result.total,
        suggestions=list(result.suggestions[:TOP_SUGGESTIONS]),
        status=draft.status,
        writer=draft.writer,
        fallback_reason=meta.get("fallback_reason"),
        language=meta.get("language"),
        note=str(meta["note"]) if meta.get("note") else None,
        media=_media(session, draft),
        thread_posts=posts,
        checks=[str(c) for c in meta.get("checks") or []],
        title=str(meta["title"]) if meta.get("title") else None,
    )


def get_draft_view(session: Session, *, user_id: str, draft_id: int) -> DraftView:
    """The view of one of the user's drafts (another user's draft is :class:`~agent.core.errors.NotFound`)."""
    return draft_view(session, repo.get_draft(session, user_id=user_id, draft_id=draft_id))


def draft_views(session: Session, *, user_id: str, draft_ids: list[int]) -> list[DraftView]:
    """Views of these drafts (each once, in order, at most :data:`MAX_CARDS`)."""
    ids = list(dict.fromkeys(int(i) for i in draft_ids))[:MAX_CARDS]
    return [get_draft_view(session, user_id=user_id, draft_id=i) for i in ids]


def best_slot(
    session: Session, *, user_id: str, platform: str, now: datetime | None = None
) -> tuple[datetime, str]:
    """The next best posting slot for ``platform`` (local time, tz-aware) and the timezone it is in: the
    same ranking as the ``best_time`` tool (published studies blended with the account's own metrics)."""
    tz = repo.get_brand_profile(session, user_id=user_id).timezone or "UTC"
    name = rule(platform).name
    records = load_records(session, user_id=user_id, platform=name)
    ranked = best_time(name, tz, records, top=1, now=now or datetime.now(UTC))
    return ranked.slots[0].next_local, tz


_DRAFT_BLOCKS = re.compile(
    r"^\*\*[^*\n]{1,40}\*\* — draft #\d+ · .*?^Say “approve draft #\d+” to approve it[^\n]*\.[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_NOTE_LINE = re.compile(r"^_(?P<note>[^\n]+)_[ \t]*$", re.MULTILINE)


def strip_draft_blocks(reply: str, shown_notes: Collection[str] = ()) -> str:
    """The agent's reply without the drafts it lists (the web studio shows them as cards instead); the
    notes in between (which writer wrote them and why, rules learned) are kept, except ``shown_notes``
    (the cards carry those). A reply without drafts comes back unchanged."""
    match = _DRAFT_BLOCKS.search(reply)
    if match is None:
        return reply.strip()
    skip = {" ".join(n.split()) for n in shown_notes}
    notes = [
        m["note"] for m in _NOTE_LINE.finditer(match.group(0)) if " ".join(m["note"].split()) not in skip
    ]
    kept = [reply[: match.start()].strip(), *(f"_{n}_" for n in notes), reply[match.end() :].strip()]
    return "\n\n".join(part for part in kept if part)


def regenerate_request(session: Session, *, user_id: str, draft_id: int) -> tuple[str, str]:
    """(request, platform) that writes a fresh draft of the same post for the same platform: the original
    brief's subject, without the platform names it had (those would add drafts for other platforms)."""

    draft = repo.get_draft(session, user_id=user_id, draft_id=draft_id)
    brief = str((draft.meta or {}).get("brief") or "")
    subject = extract_subject(brief) if brief else ""
    if not subject:
        subject = " ".join(draft.text.split())[:200]
    return f"write a new post about {subject}", rule(draft.platform).name
