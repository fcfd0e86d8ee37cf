"""Pure builders for what the web studio shows: draft cards, the calendar, the profile and accounts.

Each returns markdown and the :class:`chainlit.Action` buttons to attach; the handlers in ``ui/web`` send
them. Action payloads carry only ids (and a date for calendar pages): every click is checked against the
database for the logged-in user, never trusted.
"""

from __future__ import annotations

from typing import Any

import chainlit as cl

from agent.services.views.accounts import AccountView
from agent.services.views.calendar import Calendar, Entry, View
from agent.services.views.drafts import DraftView
from agent.services.views.profile import ProfileView

DRAFT_ACTION = "studio_draft"
CALENDAR_ACTION = "studio_calendar"
POST_ACTION = "studio_post"
SCHEDULE_CHOICE = "studio_schedule_choice"

DRAFT_OPS = ("approve", "edit", "regenerate", "variants", "improve", "schedule", "publish")
_DRAFT_BUTTONS = (
    ("approve", "Approve", "check"),
    ("edit", "Edit", "pencil"),
    ("regenerate", "Regenerate", "refresh-cw"),
    ("variants", "Variants", "split"),
    ("improve", "Improve", "sparkles"),
    ("schedule", "Schedule", "calendar-clock"),
    ("publish", "Publish now", "send"),
)
_STATE_MARK = {
    "scheduled": "🕒",
    "publishing": "⏳",
    "published": "✅",
    "unconfirmed": "❔",
    "failed": "⚠️",
}


def draft_card_content(card: DraftView) -> str:
    fit = "within the limit" if card.fits else f"over the limit by {card.length - card.limit:,}"
    score = f"score **{card.score:.0f}/100**" if card.score is not None else "not scored"
    lines = [
        f"### {card.platform_label} · draft #{card.id}",
        f"**{card.count_label}** characters ({fit}) · {score} · {card.status}",
        "",
    ]
    if card.title:
        lines += [f"**Title:** {card.title}", ""]
    if card.thread_posts:
        for i, post in enumerate(card.thread_posts, start=1):
            lines += [f"**{i}.** {post}", ""]
    else:
        lines += [card.text, ""]
    if card.hashtags:
        lines += [" ".join(f"#{t}" for t in card.hashtags), ""]
    if card.media:
        lines += ["📎 " + ", ".join(m.filename or f"asset #{m.asset_id}" for m in card.media), ""]
    if card.suggestions:
        lines.append("**To raise the score:**")
        lines += [f"- {s}" for s in card.suggestions]
    if card.note:
        lines += ["", f"_{card.note}_"]
    return "\n".join(lines).strip()


def draft_card_actions(card: DraftView) -> list[cl.Action]:
    return [
        cl.Action(
            name=DRAFT_ACTION,
            payload={"op": op, "draft_id": card.id},
            label=label,
            icon=icon,
            tooltip=f"{label} draft #{card.id}",
        )
        for op, label, icon in _DRAFT_BUTTONS
    ]


def schedule_choices(draft_id: int, best_label: str) -> list[cl.Action]:
    return [
        cl.Action(
            name=SCHEDULE_CHOICE,
            payload={"choice": "best", "draft_id": draft_id},
            label=f"Best time ({best_label})",
            icon="star",
        ),
        cl.Action(
            name=SCHEDULE_CHOICE,
            payload={"choice": "custom", "draft_id": draft_id},
            label="Pick a time",
            icon="clock",
        ),
        cl.Action(
            name=SCHEDULE_CHOICE,
            payload={"choice": "cancel", "draft_id": draft_id},
            label="Never mind",
            icon="x",
        ),
    ]


# -- calendar ---------------------------------------------------------------------------------------------


def _entry_line(entry: Entry) -> str:
    mark = _STATE_MARK.get(entry.state, "•")
    line = f"{mark} **{entry.time_label}** {entry.platform} · post #{entry.post_id} · {entry.state}"
    if entry.preview:
        line += f" — “{entry.preview}”"
    return line


def calendar_content(cal: Calendar) -> str:
    lines = [f"### 📅 {cal.title}", ""]
    if cal.view is View.WEEK:
        for day in cal.weeks[0]:
            lines.append(f"**{day.day:%a %d %b}**")
            lines += [f"- {_entry_line(e)}" for e in day.entries] or ["- —"]
            lines.append("")
    else:
        lines.append("| Mon | Tue | Wed | Thu | Fri | Sat | Sun |")
        lines.append("|---|---|---|---|---|---|---|")
        for week in cal.weeks:
            cells = []
            for day in week:
                label = f"**{day.day.day}**" if day.in_range else f"_{day.day.day}_"
                times = [f"{_STATE_MARK.get(e.state, '•')} {e.time_label} {e.platform}" for e in day.entries]
                cells.append(" · ".join([label, *times]) if times else label)
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
        listed = [e for e in cal.entries if cal.start <= e.local.date() <= cal.end]
        lines += [f"- {e.local:%a %d %b} {_entry_line(e)}" for e in listed]
    if not cal.entries:
        lines.append("_Nothing scheduled or published in this period._")
    return "\n".join(lines).strip()


def calendar_actions(cal: Calendar) -> list[cl.Action]:
    def page(label: str, view: View, anchor: str, icon: str) -> cl.Action:
        return cl.Action(
            name=CALENDAR_ACTION, payload={"view": view.value, "anchor": anchor}, label=label, icon=icon
        )

    actions = [
        page("Previous", cal.view, cal.previous_anchor.isoformat(), "chevron-left"),
        page("Next", cal.view, cal.next_anchor.isoformat(), "chevron-right"),
        page(
            "Month view" if cal.view is View.WEEK else "Week view",
            View.MONTH if cal.view is View.WEEK else View.WEEK,
            cal.anchor.isoformat(),
            "calendar",
        ),
    ]
    for entry in cal.entries:
        if entry.can_cancel:
            actions.append(
                cl.Action(
                    name=POST_ACTION,
                    payload={"op": "cancel", "post_id": entry.post_id},
                    label=f"Cancel post #{entry.post_id}",
                    icon="x",
                )
            )
        if entry.can_reschedule:
            actions.append(
                cl.Action(
                    name=POST_ACTION,
                    payload={"op": "reschedule", "post_id": entry.post_id},
                    label=f"Reschedule post #{entry.post_id}",
                    icon="clock",
                )
            )
    return actions


# -- profile and accounts ------------------------------------------------------------------------------


def profile_content(profile: ProfileView) -> str:
    def show(value: Any) -> str:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "—"
        return str(value) if value not in (None, "") else "—"

    rows = [
        ("Brand name", profile.brand_name),
        ("Tone", profile.tone),
        ("Audience", profile.audience),
        ("Language", profile.language),
        ("Timezone", profile.timezone),
        ("Default platforms", profile.default_platforms),
        ("Emoji", profile.emoji_policy),
        ("Banned words", profile.banned_words),
    ]
    lines = ["### Brand profile", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {show(value)} |" for name, value in rows]
    lines += ["", "Change it under the settings button next to the message box."]
    return "\n".join(lines)


def accounts_content(accounts: list[AccountView]) -> str:
    """Connected accounts with their state; never their credentials."""
    if not accounts:
        return (
            "### Connected accounts\n\nNone yet. Connect one with `studio account add` or ask me to "
            "“connect my mastodon account”. Until then, posts go to the local outbox."
        )
    lines = [
        "### Connected accounts",
        "",
        "| # | Platform | Handle | Server | State |",
        "|---|---|---|---|---|",
    ]
    for acc in accounts:
        lines.append(f"| {acc.id} | {acc.platform} | {acc.handle} | {acc.base_url or '—'} | {acc.state} |")
    return "\n".join(lines)
