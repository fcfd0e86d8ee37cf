"""Repository functions: keyword-only, and every query of user data is scoped to its ``user_id``.

A row that exists but belongs to someone else is reported exactly like a missing row (:class:`NotFound`).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from agent.core.errors import InputError, NotFound
from agent.core.models import (
    Approval,
    BrandProfile,
    ChannelIdentity,
    Draft,
    DraftStatus,
    EmojiPolicy,
    Memory,
    Metric,
    PlatformAccount,
    SlackInstallation,
    SlackLinkCode,
    User,
)
from agent.core.security import CredentialBox, hash_password, verify_password

MAX_MEMORY_CHARS = 2000
MAX_MEMORIES_PER_USER = 500


def _now() -> datetime:
    return datetime.now(UTC)


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or email.startswith("@") or email.endswith("@"):
        raise InputError(f"{email!r} is not an e-mail address.")
    return email


# -- users -------------------------------------------------------------------------------------------


def create_user(session: Session, *, email: str, password: str | None = None, display_name: str = "") -> User:
    email = normalize_email(email)
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise InputError(f"A user {email} already exists.")
    user = User(
        email=email,
        display_name=display_name or email.split("@")[0],
        password_hash=hash_password(password) if password else None,
    )
    session.add(user)
    session.flush()
    session.add(BrandProfile(user_id=user.id))
    session.add(ChannelIdentity(user_id=user.id, channel="web", external_id=email))
    session.flush()
    return user


def get_user(session: Session, *, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def find_user_by_email(session: Session, *, email: str) -> User | None:
    return session.exec(select(User).where(User.email == normalize_email(email))).first()


def count_users(session: Session) -> int:
    return int(session.exec(select(sa.func.count()).select_from(User)).one())


def set_password(session: Session, *, user_id: str, password: str) -> None:
    user = get_user(session, user_id=user_id)
    user.password_hash = hash_password(password)
    session.add(user)


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, else None (same cost either way)."""
    try:
        user = find_user_by_email(session, email=email)
    except InputError:
        user = None
    ok = verify_password(password, user.password_hash if user else None)
    if user is None or not ok or not user.is_active:
        return None
    return user


def get_or_create_identity_user(
    session: Session, *, channel: str, external_id: str, email: str | None = None
) -> User:
    """The user behind a channel identity; creates user and identity on first contact."""
    ident = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    ).first()
    if ident is not None:
        return get_user(session, user_id=ident.user_id)
    user = find_user_by_email(session, email=email) if email else None
    if user is None:
        user = create_user(session, email=email or f"{channel}-{external_id}@studio.local".replace(":", "-"))
    if channel != "web":
        session.add(ChannelIdentity(user_id=user.id, channel=channel, external_id=external_id))
        session.flush()
    return user


def link_identity(session: Session, *, user_id: str, channel: str, external_id: str) -> ChannelIdentity:
    existing = session.exec(
        select(ChannelIdentity).where(
            ChannelIdentity.channel == channel, ChannelIdentity.external_id == external_id
        )
    ).first()
    if existing is not None:
        existing.user_id = user_id
        session.add(existing)
        return existing
    ident = ChannelIdentity(user_id=user_id, channel=channel, external_id=external_id)
    session.add(ident)
    session.flush()
    return ident


# -- brand profile -----------------------------------------------------------------------------------

_PROFILE_FIELDS = {
    "brand_name",
    "tone",
    "audience",
    "language",
    "timezone",
    "default_platforms",
    "emoji_policy",
    "banned_words",
    "example_posts",
}


def get_brand_profile(session: Session, *, user_id: str) -> BrandProfile:
    profile = session.get(BrandProfile, user_id)
    if profile is None:
        get_user(session, user_id=user_id)
        profile = BrandProfile(user_id=user_id)
        session.add(profile)
        session.flush()
    return profile


def update_brand_profile(session: Session, *, user_id: str, **changes: Any) -> BrandProfile:
    unknown = set(changes) - _PROFILE_FIELDS
    if unknown:
        raise InputError(f"Unknown brand profile field(s): {', '.join(sorted(unknown))}.")
    if "emoji_policy" in changes and changes["emoji_policy"] not in {p.value for p in EmojiPolicy}:
        raise InputError("emoji_policy must be one of: none, light, free.")
    if "timezone" in changes:
        try:
            ZoneInfo(changes["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            raise InputError(f"Unknown timezone {changes['timezone']!r} (use e.g. Europe/Berlin).") from None
    profile = get_brand_profile(session, user_id=user_id)
    for key, value in changes.items():
        setattr(profile, key, value)
    profile.updated_at = _now()
    session.add(profile)
    session.flush()
    return profile


# -- memories ----------------------------------------------------------------------------------------


def add_memory(
    session: Session, *, user_id: str, content: str, kind: str = "fact", source: str = "user"
) -> Memory:
    content = " ".join(content.split())
    if not content:
        raise InputError("There is nothing to remember: the text is empty.")
    if len(content) > MAX_MEMORY_CHARS:
        raise InputError(f"A memory can hold at most {MAX_MEMORY_CHARS} characters (got {len(content)}).")
    existing = session.exec(
        select(Memory).where(Memory.user_id == user_id, sa.func.lower(Memory.content) == content.lower())
    ).first()
    if existing is not None:
        return existing
    count = session.exec(select(sa.func.count()).select_from(Memory).where(Memory.user_id == user_id)).one()
    if int(count) >= MAX_MEMORIES_PER_USER:
        raise InputError(f"You have {MAX_MEMORIES_PER_USER} memories, the most kept; delete some first.")
    memory = Memory(user_id=user_id, content=content, kind=kind, source=source)
    session.add(memory)
    session.flush()
    return memory


def list_memories(
    session: Session, *, user_id: str, kind: str | None = None, limit: int = 200
) -> list[Memory]:
    query = select(Memory).where(Memory.user_id == user_id)
    if kind:
        query = query.where(Memory.kind == kind)
    return list(session.exec(query.order_by(col(Memory.created_at), col(Memory.id)).limit(limit)))


def delete_memory(session: Session, *, user_id: str, memory_id: int) -> None:
    memory = session.get(Memory, memory_id)
    if memory is None or memory.user_id != user_id:
        raise NotFound(f"No memory #{memory_id}.")
    session.delete(memory)


# -- drafts ------------------------------------------------------------------------------------------


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
    draft = session.get(Draft, draft_id)
    if draft is None or draft.user_id != user_id:
        raise NotFound(f"No draft #{draft_id}.")
    return draft


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


# -- approvals ---------------------------------------------------------------------------------------


def record_approval(
    session: Session,
    *,
    user_id: str,
    tool: str,
    decision: str,
    target: str = "",
    thread_id: str | None = None,
    note: str = "",
) -> Approval:
    if decision not in {"approved", "declined"}:
        raise InputError("decision must be 'approved' or 'declined'.")
    approval = Approval(
        user_id=user_id, tool=tool, decision=decision, target=target, thread_id=thread_id, note=note[:1000]
    )
    session.add(approval)
    session.flush()
    return approval


def list_approvals(session: Session, *, user_id: str, limit: int = 100) -> list[Approval]:
    query = select(Approval).where(Approval.user_id == user_id).order_by(col(Approval.id).desc()).limit(limit)
    return list(session.exec(query))


# -- platform accounts -------------------------------------------------------------------------------


def add_platform_account(
    session: Session,
    *,
    user_id: str,
    platform: str,
    handle: str,
    credentials: dict[str, Any],
    box: CredentialBox,
    base_url: str | None = None,
) -> PlatformAccount:
    account = PlatformAccount(
        user_id=user_id,
        platform=platform,
        handle=handle,
        base_url=base_url,
        credentials_encrypted=box.encrypt(credentials),
    )
    session.add(account)
    session.flush()
    return account


def get_platform_account(session: Session, *, user_id: str, account_id: int) -> PlatformAccount:
    account = session.get(PlatformAccount, account_id)
    if account is None or account.user_id != user_id:
        raise NotFound(f"No account #{account_id}.")
    return account


def account_credentials(
    session: Session, *, user_id: str, account_id: int, box: CredentialBox
) -> dict[str, Any]:
    return box.decrypt(
        get_platform_account(session, user_id=user_id, account_id=account_id).credentials_encrypted
    )


def rotate_credentials(session: Session, *, box: CredentialBox) -> int:
    """Re-encrypt every stored credential under the newest key (an admin operation across all users).

    Run after putting a new key first in STUDIO_SECRET_KEY (old keys after it); then the old keys can go.
    Returns how many accounts were re-encrypted. One transaction: a key that cannot decrypt a row changes
    nothing at all.
    """
    accounts = list(session.exec(select(PlatformAccount).where(PlatformAccount.credentials_encrypted != "")))
    for account in accounts:
        account.credentials_encrypted = box.rotate(account.credentials_encrypted)
        session.add(account)
    session.flush()
    return len(accounts)


def list_platform_accounts(session: Session, *, user_id: str) -> list[PlatformAccount]:
    query = (
        select(PlatformAccount).where(PlatformAccount.user_id == user_id).order_by(col(PlatformAccount.id))
    )
    return list(session.exec(query))


# -- metrics of past posts (optimization engine) -----------------------------------------------------

MAX_METRIC_ROWS_PER_USER = 50_000
_METRIC_FIELDS = ("impressions", "likes", "comments", "shares", "saves", "clicks")


def add_metric_rows(
    session: Session, *, user_id: str, rows: Sequence[dict[str, Any]]
) -> tuple[list[int], int]:
    """Store metrics of past posts (the user's own, or a competitor's marked by ``extra["competitor"]``).

    Each row: ``platform``, optional ``external_id``, the counts, ``extra`` (text, posted_at, hashtags…). A
    row whose ``extra["key"]`` is already stored for this user updates that row instead of adding a copy.
    Returns the ids of the rows written and how many of them were updates."""

    keys = [str(r["extra"]["key"]) for r in rows if (r.get("extra") or {}).get("key")]
    existing: dict[str, Metric] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        query = select(Metric).where(Metric.user_id == user_id, Metric.extra["key"].as_string().in_(chunk))
        existing.update({str(m.extra["key"]): m for m in session.exec(query)})
    new_rows = sum(1 for r in rows if (r.get("extra") or {}).get("key") not in existing)
    stored = int(
        session.exec(select(sa.func.count()).select_from(Metric).where(Metric.user_id == user_id)).one()
    )
    if stored + new_rows > MAX_METRIC_ROWS_PER_USER:
        raise InputError(
            f"You have {stored:,} metric rows; {new_rows:,} more would pass the cap of "
            f"{MAX_METRIC_ROWS_PER_USER:,}."
        )
    ids: list[int] = []
    updated = 0
    for row in rows:
        extra = dict(row.get("extra") or {})
        metric = existing.get(str(extra.get("key"))) if extra.get("key") else None
        if metric is None:
            metric = Metric(user_id=user_id, platform=row["platform"])
        else:
            updated += 1
        metric.platform = row["platform"]
        metric.external_id = row.get("external_id") or metric.external_id
        metric.post_id = row.get("post_id", metric.post_id)
        for name in _METRIC_FIELDS:
            setattr(metric, name, row.get(name))
        metric.extra = extra
        metric.collected_at = _now()
        session.add(metric)
        session.flush()
        assert metric.id is not None
        ids.append(metric.id)
    return ids, updated


def list_metric_rows(
    session: Session, *, user_id: str, platform: str | None = None, limit: int = 1000
) -> list[Any]:
    """The user's metric rows, newest first."""

    query = select(Metric).where(Metric.user_id == user_id)
    if platform:
        query = query.where(Metric.platform == platform)
    return list(session.exec(query.order_by(col(Metric.id).desc()).limit(limit)))


def get_metric_row(session: Session, *, user_id: str, metric_id: int) -> Any:

    metric = session.get(Metric, metric_id)
    if metric is None or metric.user_id != user_id:
        raise NotFound(f"No metrics #{metric_id}.")
    return metric


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


# -- Slack: identities, link codes, installations ----------------------------------------------------

SLACK_LINK_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed by hand
SLACK_LINK_TTL_S = 600
SLACK_LINK_CODE_LEN = 8


def slack_external_id(*, team_id: str, slack_user_id: str) -> str:
    if not team_id or not slack_user_id or ":" in team_id or len(team_id) + len(slack_user_id) > 190:
        raise InputError("Not a Slack team and user.")
    return f"{team_id}:{slack_user_id}"


def slack_user(session: Session, *, team_id: str, slack_user_id: str) -> User:
    """The studio user behind a Slack user of one workspace (its own user until it is linked)."""
    external_id = slack_external_id(team_id=team_id, slack_user_id=slack_user_id)
    user = get_or_create_identity_user(session, channel="slack", external_id=external_id)
    if not user.is_active:
        raise InputError("Your studio account is disabled.")
    return user


def _link_code_hash(code: str) -> str:

    normalized = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(f"slack-link:{normalized}".encode()).hexdigest()


def issue_slack_link_code(
    session: Session, *, user_id: str, ttl_s: int = SLACK_LINK_TTL_S
) -> tuple[str, datetime]:
    """A new one-time code (``ABCD-EFGH``) for this user; their earlier unused codes stop working.

    Only the code's hash is stored. Returns the code and when it expires."""

    get_user(session, user_id=user_id)
    for old in session.exec(
        select(SlackLinkCode).where(SlackLinkCode.user_id == user_id, col(SlackLinkCode.used_at).is_(None))
    ):
        session.delete(old)
    raw = "".join(secrets.choice(SLACK_LINK_ALPHABET) for _ in range(SLACK_LINK_CODE_LEN))
    code = f"{raw[:4]}-{raw[4:]}"
    expires = _now() + timedelta(seconds=ttl_s)
    session.add(SlackLinkCode(user_id=user_id, code_hash=_link_code_hash(code), expires_at=expires))
    session.flush()
    return code, expires


def redeem_slack_link_code(session: Session, *, code: str, team_id: str, slack_user_id: str) -> User:
    """Link this Slack user to the web user who got ``code``. Single use; expired or unknown codes fail alike.

    From then on the Slack user works in that user's studio: memory, brand profile, drafts and queue."""

    external_id = slack_external_id(team_id=team_id, slack_user_id=slack_user_id)
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    bad = InputError(
        "That code is not valid (it may have expired or been used). Ask the studio for a new one."
    )
    if len(cleaned) != SLACK_LINK_CODE_LEN:
        raise bad
    now = _now()
    claimed = session.execute(
        sa.update(SlackLinkCode)
        .where(
            col(SlackLinkCode.code_hash) == _link_code_hash(cleaned),
            col(SlackLinkCode.used_at).is_(None),
            col(SlackLinkCode.expires_at) > now,
        )
        .values(used_at=now, used_by=external_id)
        .returning(col(SlackLinkCode.user_id))
    ).first()
    if claimed is None:
        raise bad
    user = get_user(session, user_id=claimed[0])
    if not user.is_active:
        raise bad
    link_identity(session, user_id=user.id, channel="slack", external_id=external_id)
    session.flush()
    return user


def save_slack_installation(
    session: Session,
    *,
    box: CredentialBox,
    team_id: str,
    bot_token: str,
    enterprise_id: str = "",
    **fields: Any,
) -> Any:
    """Create or replace a workspace's installation; the bot token is stored encrypted."""

    allowed = {"team_name", "app_id", "bot_id", "bot_user_id", "bot_scopes", "installer_user_id"}
    allowed |= {"is_enterprise_install"}
    unknown = set(fields) - allowed
    if unknown:
        raise InputError(f"Unknown installation field(s): {', '.join(sorted(unknown))}.")
    row = find_slack_installation(session, team_id=team_id, enterprise_id=enterprise_id)
    if row is None:
        row = SlackInstallation(team_id=team_id, enterprise_id=enterprise_id)
    for key, value in fields.items():
        setattr(row, key, value if value is not None else ("" if key != "is_enterprise_install" else False))
    row.bot_token_encrypted = box.encrypt({"bot_token": bot_token})
    row.installed_at = _now()
    session.add(row)
    session.flush()
    return row


def find_slack_installation(session: Session, *, team_id: str, enterprise_id: str = "") -> Any:

    query = select(SlackInstallation).where(
        SlackInstallation.team_id == team_id, SlackInstallation.enterprise_id == enterprise_id
    )
    return session.exec(query).first()


def delete_slack_installation(session: Session, *, team_id: str, enterprise_id: str = "") -> bool:
    row = find_slack_installation(session, team_id=team_id, enterprise_id=enterprise_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True
