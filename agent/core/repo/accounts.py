"""Connected publishing accounts; credentials encrypted at rest."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from agent.core.models import (
    PlatformAccount,
)
from agent.core.repo.base import owned
from agent.core.security import CredentialBox


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
    return owned(session, PlatformAccount, account_id, user_id=user_id, what="account")


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
