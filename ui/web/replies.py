"""How a turn's outcome is shown: the reply, and the drafts it lists as cards (preview, count against the
limit, score, suggestions, photos and their buttons) instead of plain text."""

from __future__ import annotations

import chainlit as cl

from agent.runtime.studio import TurnResult
from agent.services.views import web
from agent.services.views.drafts import DraftView, strip_draft_blocks
from tools.vision import asset_file
from ui.web import views
from ui.web.runtime import service, settings


def media_elements(card: DraftView) -> list[cl.Image]:
    """The card's photos, read from the studio's own storage (the path never leaves the server)."""
    data_dir = settings().data_dir
    out = []
    for media in card.media:
        if media.kind != "image" or not media.storage_path:
            continue
        path = asset_file(media.storage_path, data_dir)
        if path.is_file():
            out.append(
                cl.Image(path=str(path), name=media.filename or path.name, display="inline", size="small")
            )
    return out


async def send_cards(shown: list[DraftView]) -> None:
    """One message per draft, with its buttons."""
    for card in shown:
        await cl.Message(
            content=views.draft_card_content(card),
            actions=views.draft_card_actions(card),
            elements=list(media_elements(card)),
        ).send()


async def show_result(result: TurnResult, user_id: str) -> None:
    """The reply; its drafts, as they are now in the database (the user's only), come as cards."""
    ids = [d.id for d in result.drafts]
    shown = await service(web.draft_views, user_id=user_id, draft_ids=ids) if ids else []
    notes = [card.note for card in shown if card.note]
    reply = strip_draft_blocks(result.reply or "", notes) if ids else (result.reply or "Done.")
    if reply:
        await cl.Message(content=reply).send()
    await send_cards(shown)
