"""OAuth installs of the Slack bot (several workspaces) in the studio's database, bot tokens encrypted.

Only bot installs are kept: the studio asks for no user scopes, and a user token is never stored.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation
from sqlalchemy.engine import Engine

from agent.core import repo
from agent.core.db import session_scope
from agent.core.security import CredentialBox

log = logging.getLogger(__name__)


class SQLInstallationStore(AsyncInstallationStore):
    """Bolt's installation store over ``slack_installation`` (one row per workspace / org)."""

    def __init__(self, engine: Engine, box: CredentialBox) -> None:
        self._engine = engine
        self._box = box

    @property
    def logger(self) -> logging.Logger:
        return log

    async def async_save(self, installation: Installation) -> None:
        if not installation.bot_token:
            raise ValueError("only bot installs are stored (the studio requests no user scopes)")
        await asyncio.to_thread(self._save, installation)

    def _save(self, inst: Installation) -> None:
        with session_scope(self._engine) as session:
            repo.save_slack_installation(
                session,
                box=self._box,
                team_id=inst.team_id or "",
                enterprise_id=inst.enterprise_id or "",
                bot_token=str(inst.bot_token),
                team_name=(inst.team_name or "")[:200],
                app_id=inst.app_id or "",
                bot_id=inst.bot_id or "",
                bot_user_id=inst.bot_user_id or "",
                bot_scopes=",".join(inst.bot_scopes or [])[:2000],
                installer_user_id=inst.user_id or "",
                is_enterprise_install=bool(inst.is_enterprise_install),
            )

    async def async_save_bot(self, bot: Bot) -> None:
        await self.async_save(
            Installation(
                app_id=bot.app_id,
                enterprise_id=bot.enterprise_id,
                team_id=bot.team_id,
                team_name=bot.team_name,
                bot_token=bot.bot_token,
                bot_id=bot.bot_id,
                bot_user_id=bot.bot_user_id,
                bot_scopes=bot.bot_scopes,
                user_id="",
                is_enterprise_install=bot.is_enterprise_install,
            )
        )

    def _row(self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None) -> Any:
        with session_scope(self._engine) as session:
            team = "" if is_enterprise_install else (team_id or "")
            row = repo.find_slack_installation(session, team_id=team, enterprise_id=enterprise_id or "")
            if row is not None:
                session.expunge(row)
            return row

    def _token(self, row: Any) -> str:
        return str(self._box.decrypt(row.bot_token_encrypted)["bot_token"])

    def _fields(self, row: Any) -> dict[str, Any]:
        """What a Bot and an Installation both carry, from a stored row (the token decrypted)."""
        return {
            "app_id": row.app_id or None,
            "enterprise_id": row.enterprise_id or None,
            "team_id": row.team_id or None,
            "team_name": row.team_name or None,
            "bot_token": self._token(row),
            "bot_id": row.bot_id,
            "bot_user_id": row.bot_user_id,
            "bot_scopes": row.bot_scopes,
            "is_enterprise_install": row.is_enterprise_install,
            "installed_at": _epoch(row.installed_at),
        }

    async def async_find_bot(
        self, *, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> Bot | None:
        row = await asyncio.to_thread(self._row, enterprise_id, team_id, is_enterprise_install)
        if row is None:
            return None
        return Bot(**self._fields(row))

    async def async_find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        if user_id is not None:
            return None  # no user tokens are kept
        row = await asyncio.to_thread(self._row, enterprise_id, team_id, is_enterprise_install)
        if row is None:
            return None
        return Installation(**self._fields(row), user_id=row.installer_user_id)

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self._delete, enterprise_id, team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        if user_id is None:
            await asyncio.to_thread(self._delete, enterprise_id, team_id)

    async def async_delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        await asyncio.to_thread(self._delete, enterprise_id, team_id)

    def _delete(self, enterprise_id: str | None, team_id: str | None) -> None:
        with session_scope(self._engine) as session:
            repo.delete_slack_installation(session, team_id=team_id or "", enterprise_id=enterprise_id or "")


def _epoch(moment: datetime) -> float:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
