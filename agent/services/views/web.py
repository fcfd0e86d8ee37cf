"""What the web studio reads and writes, one call per need, each in its own session: the UI opens none.

Every function is synchronous (the web studio runs them in a worker thread) and returns views, never rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.models import User
from agent.services.views import drafts
from agent.services.views.accounts import AccountView, account_views
from agent.services.views.analytics import Analytics, load_analytics
from agent.services.views.calendar import Calendar, View, load_calendar
from agent.services.views.drafts import DraftView
from agent.services.views.profile import ProfileView, profile_view
from agent.services.views.profile import save_profile as _save_profile


class WebUser(BaseModel):
    """A studio user as a login sees them."""

    model_config = ConfigDict(frozen=True)

    id: str
    email: str
    display_name: str = ""


def _web_user(user: User | None) -> WebUser | None:
    if user is None or not user.is_active:
        return None
    return WebUser(id=user.id, email=user.email, display_name=user.display_name)


# -- users ---------------------------------------------------------------------------------------------


def check_password(engine: Engine, *, email: str, password: str) -> WebUser | None:
    """The active user with this e-mail and password, else None."""
    with session_scope(engine) as session:
        return _web_user(repo.authenticate(session, email=email, password=password))


def active_user(engine: Engine, *, email: str) -> WebUser | None:
    """The active user with this e-mail (a proxy's header, an OAuth provider, a live session), else None."""
    with session_scope(engine) as session:
        try:
            return _web_user(repo.find_user_by_email(session, email=email))
        except InputError:
            return None


# -- drafts --------------------------------------------------------------------------------------------


def draft_view(engine: Engine, *, user_id: str, draft_id: int) -> DraftView:
    """One of the user's drafts (NotFound for anyone else's)."""
    with session_scope(engine) as session:
        return drafts.get_draft_view(session, user_id=user_id, draft_id=draft_id)


def draft_views(engine: Engine, *, user_id: str, draft_ids: list[int]) -> list[DraftView]:
    """The user's drafts as they are now (each once, in order, capped)."""
    with session_scope(engine) as session:
        return drafts.draft_views(session, user_id=user_id, draft_ids=draft_ids)


def best_slot(engine: Engine, *, user_id: str, platform: str) -> tuple[datetime, str]:
    """The next best posting slot for ``platform`` (local, tz-aware) and the user's timezone."""
    with session_scope(engine) as session:
        return drafts.best_slot(session, user_id=user_id, platform=platform)


def regenerate_request(engine: Engine, *, user_id: str, draft_id: int) -> tuple[str, str]:
    """(brief, platform) for a fresh draft of the same post (NotFound for anyone else's draft)."""
    with session_scope(engine) as session:
        return drafts.regenerate_request(session, user_id=user_id, draft_id=draft_id)


# -- panels --------------------------------------------------------------------------------------------


def calendar(engine: Engine, *, user_id: str, view: View, anchor: date | None = None) -> Calendar:
    """The user's calendar page in their timezone."""
    with session_scope(engine) as session:
        tz = profile_view(session, user_id=user_id).timezone
        return load_calendar(session, user_id=user_id, view=view, anchor=anchor, timezone=tz)


def analytics(engine: Engine, *, user_id: str) -> Analytics:
    """The user's analytics in their timezone."""
    with session_scope(engine) as session:
        tz = profile_view(session, user_id=user_id).timezone
        return load_analytics(session, user_id=user_id, timezone=tz)


def profile(engine: Engine, *, user_id: str) -> ProfileView:
    with session_scope(engine) as session:
        return profile_view(session, user_id=user_id)


def save_profile(engine: Engine, *, user_id: str, changes: Mapping[str, Any]) -> ProfileView:
    with session_scope(engine) as session:
        return _save_profile(session, user_id=user_id, changes=changes)


def accounts(engine: Engine, *, user_id: str) -> list[AccountView]:
    with session_scope(engine) as session:
        return account_views(session, user_id=user_id)
