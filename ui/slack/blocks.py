"""Block Kit builders: pure functions from the studio's results (replies, :class:`DraftView`s, approval
requests) to Slack messages and modals.

Buttons carry a small JSON value — the graph thread and the draft — that :func:`read_value` checks; who
clicked is always taken from the signed request, never from the value.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.core.timeparse import localize
from agent.services.views.drafts import DraftView
from ui.slack.commands import USAGE

ACTION_APPROVAL = "studio_approval"  # Approve / Decline of a pending agent approval
ACTION_APPROVE = "studio_draft_approve"
ACTION_EDIT = "studio_draft_edit"
ACTION_SCHEDULE = "studio_draft_schedule"
ACTION_REGENERATE = "studio_draft_regenerate"
DRAFT_ACTIONS = (ACTION_APPROVE, ACTION_EDIT, ACTION_SCHEDULE, ACTION_REGENERATE)
VIEW_EDIT = "studio_edit"
VIEW_SCHEDULE = "studio_schedule"
EDIT_BLOCK, EDIT_INPUT = "draft_text", "text"
DATE_BLOCK, DATE_INPUT = "date", "date"
TIME_BLOCK, TIME_INPUT = "time", "time"

SECTION_CHARS = 2900  # a section's text may hold 3000
MAX_BLOCKS = 50
MAX_DRAFT_PREVIEWS = 10
MAX_APPROVAL_PREVIEWS = 5
MAX_FALLBACK_CHARS = 3500
EDIT_MAX_CHARS = 3000  # the most a plain-text input holds


def mrkdwn(text: str) -> str:
    """Plain/Markdown text as Slack mrkdwn: control characters escaped, ``**bold**`` as ``*bold*``."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"\*\*(.+?)\*\*", r"*\1*", text, flags=re.S)


def chunks(text: str, size: int = SECTION_CHARS) -> list[str]:
    """Text cut into pieces of at most ``size`` characters, at line or word ends when possible."""
    out: list[str] = []
    rest = text.strip()
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        if cut < size // 2:
            cut = rest.rfind(" ", 0, size)
        if cut < size // 2:
            cut = size
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        out.append(rest)
    return out


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:3000]}]}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": value,
    }
    if style:
        out["style"] = style
    return out


def button_value(thread_id: str, *, draft_id: int | None = None, approved: bool | None = None) -> str:
    value: dict[str, Any] = {"t": thread_id}
    if draft_id is not None:
        value["d"] = int(draft_id)
    if approved is not None:
        value["a"] = bool(approved)
    return json.dumps(value, separators=(",", ":"))


def read_value(value: str | None) -> dict[str, Any]:
    """A button's value back as ``{"t": thread id, "d": draft id?, "a": approved?}``; ValueError if it is not."""
    try:
        data = json.loads(value or "")
    except ValueError:
        raise ValueError("not a studio button") from None
    if not isinstance(data, dict) or not isinstance(data.get("t"), str) or not 0 < len(data["t"]) <= 64:
        raise ValueError("not a studio button")
    if "d" in data and (not isinstance(data["d"], int) or isinstance(data["d"], bool) or data["d"] <= 0):
        raise ValueError("not a studio button")
    if "a" in data and not isinstance(data["a"], bool):
        raise ValueError("not a studio button")
    return data


def message(text: str, blocks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...]}`` — what chat.postMessage and response_url take."""
    fallback = text if len(text) <= MAX_FALLBACK_CHARS else text[: MAX_FALLBACK_CHARS - 1] + "…"
    out: dict[str, Any] = {"text": fallback}
    if blocks is not None:
        out["blocks"] = blocks[:MAX_BLOCKS]
    return out


def notice(text: str) -> dict[str, Any]:
    return message(text, [section(part) for part in chunks(mrkdwn(text))][:MAX_BLOCKS])


def draft_summary(draft: DraftView) -> str:
    """``*Draft #7* · Instagram · score 71/100 · 226 / 2,200 characters``: a draft's preview line."""
    bits = [f"*Draft #{draft.id}*", mrkdwn(draft.platform_label)]
    if draft.title:
        bits.append(f"“{mrkdwn(draft.title)}”")
    if draft.kind != "caption":
        bits.append(mrkdwn(draft.kind))
    if draft.score is not None:
        bits.append(f"score {draft.score:.0f}/100")
    bits.append(f"{draft.count_label} characters" + ("" if draft.fits else " (over the limit)"))
    if draft.status != "draft":
        bits.append(mrkdwn(draft.status))
    return " · ".join(bits)


def draft_actions(draft: DraftView, thread_id: str) -> list[dict[str, Any]]:
    """A draft's preview line and its Approve / Edit / Schedule / Regenerate buttons."""
    value = button_value(thread_id, draft_id=draft.id)
    return [
        context(draft_summary(draft)),
        {
            "type": "actions",
            "block_id": f"draft:{draft.id}",
            "elements": [
                button("Approve", ACTION_APPROVE, value, "primary"),
                button("Edit", ACTION_EDIT, value),
                button("Schedule", ACTION_SCHEDULE, value),
                button("Regenerate", ACTION_REGENERATE, value),
            ],
        },
    ]


def approval_blocks(approval: dict[str, Any], thread_id: str) -> list[dict[str, Any]]:
    """The question (what will happen, to which draft, where and when), the start of each draft it acts on,
    and Approve / Decline."""
    question = str(approval.get("question") or "May I go ahead?")
    actions = [a for a in approval.get("actions") or [] if isinstance(a, dict)]
    previews = list(dict.fromkeys(str(a["preview"]) for a in actions if a.get("preview")))
    return [
        section(":raised_hand: " + mrkdwn(question)),
        *(context("“" + mrkdwn(preview) + "”") for preview in previews[:MAX_APPROVAL_PREVIEWS]),
        {
            "type": "actions",
            "block_id": "approval",
            "elements": [
                button("Approve", ACTION_APPROVAL, button_value(thread_id, approved=True), "primary"),
                button("Decline", ACTION_APPROVAL, button_value(thread_id, approved=False), "danger"),
            ],
        },
    ]


def turn_message(
    *,
    reply: str,
    drafts: Sequence[DraftView],
    approval: dict[str, Any] | None,
    thread_id: str,
) -> dict[str, Any]:
    """An agent turn as one message: the reply, a preview line with buttons per draft, the approval question."""
    blocks: list[dict[str, Any]] = []
    if approval:
        blocks += approval_blocks(approval, thread_id)
    else:
        blocks += [section(part) for part in chunks(mrkdwn(reply or "Done."))]
    previews = list(drafts)[:MAX_DRAFT_PREVIEWS]
    if previews and not approval:
        blocks.append({"type": "divider"})
        for draft in previews:
            blocks += draft_actions(draft, thread_id)
    if len(blocks) > MAX_BLOCKS:  # a very long reply: keep the buttons, cut the text
        tail = blocks[-(MAX_BLOCKS - 1) :]
        blocks = [section("…"), *tail]
    return message(reply or str((approval or {}).get("question") or "Done."), blocks)


def decided(text: str) -> dict[str, Any]:
    """What a message with buttons becomes once they were used (chat.update): the decision, no buttons."""
    return message(text, [context(mrkdwn(text))])


def help_message() -> dict[str, Any]:

    lines = "\n".join(f"• `{usage}`" for usage in USAGE.values())
    text = (
        "*Content Studio* writes ready-to-post content, remembers your brand and asks before it acts.\n"
        f"{lines}\n• `/studio <anything else>` — ask the studio in your words.\n"
        "Mention me or send me a DM to talk in a thread; share a voice note, a photo or a video and I "
        "answer with a transcript, a script and a caption."
    )
    return message("Content Studio help", [section(text)])


def _metadata(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"))
    if len(raw) > 3000:
        raise ValueError("private_metadata too long")
    return raw


def edit_modal(*, draft: DraftView, metadata: dict[str, Any]) -> dict[str, Any]:
    """A modal to edit a draft's text; on submit the edited text becomes the draft and is approved."""
    return {
        "type": "modal",
        "callback_id": VIEW_EDIT,
        "private_metadata": _metadata(metadata),
        "title": {"type": "plain_text", "text": f"Edit draft #{draft.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Save & approve"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "input",
                "block_id": EDIT_BLOCK,
                "label": {"type": "plain_text", "text": f"{draft.platform_label} text"},
                "element": {
                    "type": "plain_text_input",
                    "action_id": EDIT_INPUT,
                    "multiline": True,
                    "initial_value": draft.text[:EDIT_MAX_CHARS],
                    "max_length": EDIT_MAX_CHARS,
                },
            }
        ],
    }


def schedule_modal(*, draft: DraftView, tz: str, now: datetime, metadata: dict[str, Any]) -> dict[str, Any]:
    """Date and time pickers in the user's timezone (``now`` tz-aware); the next full hour is preselected."""
    # an hour on from now (absolute time: wall-clock arithmetic could land in a DST gap), on the local hour
    local = (now + timedelta(hours=1)).astimezone(zone(tz)).replace(minute=0, second=0, microsecond=0)
    return {
        "type": "modal",
        "callback_id": VIEW_SCHEDULE,
        "private_metadata": _metadata({**metadata, "tz": tz}),
        "title": {"type": "plain_text", "text": f"Schedule draft #{draft.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Schedule"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            section(f"{draft_summary(draft)}\nTimes are in *{mrkdwn(tz)}*."),
            {
                "type": "input",
                "block_id": DATE_BLOCK,
                "label": {"type": "plain_text", "text": "Day"},
                "element": {
                    "type": "datepicker",
                    "action_id": DATE_INPUT,
                    "initial_date": local.strftime("%Y-%m-%d"),
                },
            },
            {
                "type": "input",
                "block_id": TIME_BLOCK,
                "label": {"type": "plain_text", "text": "Time"},
                "element": {
                    "type": "timepicker",
                    "action_id": TIME_INPUT,
                    "initial_time": local.strftime("%H:%M"),
                    "timezone": tz,
                },
            },
        ],
    }


def picked_time(state: dict[str, Any], tz: str) -> datetime:
    """The tz-aware moment picked in the schedule modal (``view.state.values``); ValueError if incomplete."""
    try:
        day = state[DATE_BLOCK][DATE_INPUT]["selected_date"]
        clock = state[TIME_BLOCK][TIME_INPUT]["selected_time"]
        naive = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M")
    except (KeyError, TypeError, ValueError):
        raise ValueError("Pick a day and a time.") from None

    return localize(naive, zone(tz)).at


def zone(tz: str) -> ZoneInfo:
    """The IANA zone ``tz`` names, else UTC."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
