"""Users and their identities on other channels (Slack): keyword-only, scoped to ``user_id``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Session, select

from agent.core.errors import InputError, NotFound
from agent.core.models import (
    BrandProfile,
    ChannelIdentity,
    User,
)
from agent.core.security import hash_password, verify_password


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
