"""Connecting publishing accounts: one checked path for the agent tool (``connect_account``) and the CLI
(``studio account add``). The URL a post or a credential will be sent to is vetted here (http(s) only; no
loopback, private, link-local or multicast address after DNS resolution); credentials are stored encrypted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from agent.core import repo
from agent.core.errors import InputError
from agent.core.models import PlatformAccount
from agent.core.security import CredentialBox
from integrations.web.fetch import FetchFailed, FetchPolicy, FetchRefused, SafeFetcher

PUBLISHERS = ("webhook", "mastodon", "bluesky", "outbox")  # account kinds that can publish today
BLUESKY_DEFAULT_PDS = "https://bsky.social"


@dataclass(frozen=True)
class Connected:
    account: PlatformAccount
    generated_secret: str | None = None  # a webhook signing secret the studio made (shown once)


def vet_url(url: str, *, allow_loopback: bool) -> str:
    """The URL, stripped, when the studio may send posts or credentials to it; InputError saying why not."""

    try:
        SafeFetcher(FetchPolicy(allow_loopback=allow_loopback)).vet(url)
    except (FetchRefused, FetchFailed) as exc:
        raise InputError(f"I won't connect that account: {exc}") from None
    return url.strip()


def connect(
    session: Session,
    *,
    user_id: str,
    box: CredentialBox,
    platform: str,
    handle: str,
    url: str | None = None,
    secret: str | None = None,
    verify_url: str | None = None,
    allow_loopback: bool = False,
) -> Connected:
    platform = platform.strip().lower()
    handle = handle.strip().lstrip("@") if platform == "bluesky" else handle.strip()
    if platform not in PUBLISHERS:
        raise InputError(
            f"I can publish through: {', '.join(PUBLISHERS)} — {platform} is not available yet "
            "(a webhook to Zapier/Make/n8n can reach it)."
        )
    if not handle or len(handle) > 200:
        raise InputError("The account needs a handle (at most 200 characters).")
    if platform == "bluesky" and not url:
        url = BLUESKY_DEFAULT_PDS
    if platform in {"webhook", "mastodon", "bluesky"}:
        if not url:
            raise InputError(f"A {platform} account needs its http(s) URL.")
        url = vet_url(url, allow_loopback=allow_loopback)
        if platform != "webhook":
            url = url.rstrip("/")
    secret = (secret or "").strip() or None
    if platform in {"mastodon", "bluesky"} and not secret:
        needed = "an access token" if platform == "mastodon" else "an app password"
        raise InputError(f"A {platform} account needs {needed} (given as the secret).")
    generated = None
    credentials: dict[str, Any]
    if platform == "mastodon":
        credentials = {"access_token": secret}
    elif platform == "bluesky":
        credentials = {"app_password": secret}
    else:
        if platform == "webhook" and not secret:
            generated = secrets.token_urlsafe(32)
        credentials = {"secret": secret or generated}
    if verify_url:
        credentials["verify_url"] = vet_url(verify_url, allow_loopback=allow_loopback)
    try:
        with session.begin_nested():
            account = repo.add_platform_account(
                session,
                user_id=user_id,
                platform=platform,
                handle=handle,
                credentials=credentials,
                box=box,
                base_url=url,
            )
    except IntegrityError:
        raise InputError(f"The {platform} account {handle} is already connected.") from None
    return Connected(account, generated)
