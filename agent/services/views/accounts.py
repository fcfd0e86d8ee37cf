"""The user's connected publishing accounts as a UI lists them: never their credentials."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from agent.core import repo


class AccountView(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    platform: str
    handle: str
    base_url: str | None = None
    state: str


def account_views(session: Session, *, user_id: str) -> list[AccountView]:
    return [
        AccountView(id=a.id, platform=a.platform, handle=a.handle, base_url=a.base_url, state=a.state)
        for a in repo.list_platform_accounts(session, user_id=user_id)
        if a.id is not None
    ]
