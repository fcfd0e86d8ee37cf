"""Drafts and their variant groups, scoped to ``user_id``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import (
    Draft,
    DraftStatus,
)
from agent.core.repo.base import now as _now
from agent.core.repo.base import owned


def create_draft(
    session: Session,
    *,
    user_id: str,
    platform: str,
    text: str,
    hashtags: Sequence[str] = (),
    thread_id: str | None = None,
    kind: str = "caption",
    writer: str = "",
    media: Sequence[int] = (),
    variant_group: str | None = None,
    score: float | None = None,
    meta: dict[str, Any] | None = None,
) -> Draft:
    draft = Draft(
        user_id=user_id,
        platform=platform,
        text=text,
        hashtags=list(hashtags),
        thread_id=thread_id,
        kind=kind,
        writer=writer,
        media=list(media),
        variant_group=variant_group,
        score=score,
        meta=meta or {},
    )
    session.add(draft)
    session.flush()
    return draft


def get_draft(session: Session, *, user_id: str, draft_id: int) -> Draft:
    return owned(session, Draft, draft_id, user_id=user_id, what="draft")


def update_draft(session: Session, *, user_id: str, draft_id: int, **changes: Any) -> Draft:
    allowed = {"text", "hashtags", "status", "score", "media", "meta", "writer"}
    unknown = set(changes) - allowed
    if unknown:
        raise InputError(f"Cannot change draft field(s): {', '.join(sorted(unknown))}.")
    if "status" in changes and changes["status"] not in {s.value for s in DraftStatus}:
        raise InputError(f"Unknown draft status {changes['status']!r}.")
    draft = get_draft(session, user_id=user_id, draft_id=draft_id)
    for key, value in changes.items():
        setattr(draft, key, list(value) if key in {"hashtags", "media"} else value)
    draft.updated_at = _now()
    session.add(draft)
    session.flush()
    return draft


def list_drafts(
    session: Session,
    *,
    user_id: str,
    thread_id: str | None = None,
    status: str | None = None,
    limit: int = 100,
) -> list[Draft]:
    query = select(Draft).where(Draft.user_id == user_id)
    if thread_id is not None:
        query = query.where(Draft.thread_id == thread_id)
    if status is not None:
        query = query.where(Draft.status == status)
    return list(session.exec(query.order_by(col(Draft.id).desc()).limit(limit)))


def set_draft_variant_group(session: Session, *, user_id: str, draft_id: int, variant_group: str) -> Draft:
    """Put a draft in a variant group (drafts in one group are versions of the same post)."""
    draft = get_draft(session, user_id=user_id, draft_id=draft_id)
    draft.variant_group = variant_group[:64]
    draft.updated_at = _now()
    session.add(draft)
    session.flush()
    return draft


def variant_group_of(session: Session, *, user_id: str, draft: Draft) -> str:
    """The variant group a draft derived from ``draft`` joins; the original is put in one first when it has
    none (``draft-<id>``)."""
    if draft.variant_group is None:
        set_draft_variant_group(
            session, user_id=user_id, draft_id=draft.id or 0, variant_group=f"draft-{draft.id}"
        )
    assert draft.variant_group is not None
    return draft.variant_group
