"""Slack: identities, one-time link codes, installations."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from agent.core.errors import InputError
from agent.core.models import (
    SlackInstallation,
    SlackLinkCode,
    User,
)
from agent.core.repo.base import now as _now
from agent.core.repo.users import get_or_create_identity_user, get_user, link_identity
from agent.core.security import CredentialBox

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
