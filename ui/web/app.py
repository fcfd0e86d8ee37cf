"""The web chat (Chainlit). Thin: it logs users in against the studio's users, runs one agent turn per
message through :class:`agent.studio.Studio`, and shows tool calls as steps and approvals as buttons.

Start it with ``studio run`` (see :mod:`ui.web`), which configures Chainlit before this module is imported.
One :class:`Studio` serves the whole process; the LangGraph thread id is the Chainlit thread id.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import chainlit as cl
from chainlit.config import config as cl_config
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.input_widget import InputWidget, MultiSelect, Select, Tags, TextInput
from chainlit.types import CommandDict, ThreadDict
from chainlit.utils import utc_now

from agent.core import repo
from agent.core.db import async_url, session_scope
from agent.core.errors import InputError, StudioError
from agent.core.models import BrandProfile, PlatformAccount, User
from agent.core.settings import Settings, load_settings
from agent.runtime.studio import Studio, TurnResult
from agent.services.views import cards
from agent.services.views.analytics import Analytics, load_analytics
from agent.services.views.calendar import Calendar, View, load_calendar, parse_anchor
from agent.services.views.cards import DraftCard
from integrations.media.recording import VoiceRecording
from prompts.languages import LANGUAGES
from prompts.platforms import platform_rules
from tools import SENSITIVE_TOOLS
from tools.vision import asset_file
from ui.web import charts, views
from ui.web.storage import LocalStorageClient

log = logging.getLogger(__name__)

APPROVAL_TIMEOUT_S = 600
MAX_APPROVAL_ROUNDS = 5
THREADS_PER_USER = 500
SQLITE_BUSY_TIMEOUT_S = 30
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and this message was not handled. "
    "Please try again in a moment; if it keeps happening, tell whoever runs this studio."
)


@dataclass
class _Runtime:
    """What the process shares: the settings and the one Studio (opened at start-up, closed at shutdown)."""

    settings: Settings | None = None
    studio: Studio | None = None
    storage: LocalStorageClient | None = None
    stack: AsyncExitStack = field(default_factory=AsyncExitStack)


_runtime = _Runtime()


def configure(settings: Settings) -> None:
    """Hand the settings over (``ui.web.serve``); without it the app reads them from the environment.

    Header auth and OAuth are registered here, and only when configured: Chainlit offers a login method as
    soon as its callback exists."""
    _runtime.settings = settings
    if settings.auth_header:
        cl.header_auth_callback(header_login)
    if allowed_oauth_providers(settings):
        cl.oauth_callback(oauth_login)


def _settings() -> Settings:
    if _runtime.settings is None:
        _runtime.settings = load_settings()
    return _runtime.settings


def storage_client() -> LocalStorageClient:
    """The one storage client of the process: uploaded and shown files under ``<data_dir>/web-files``."""
    if _runtime.storage is None:
        _runtime.storage = LocalStorageClient(_settings().data_dir / "web-files")
    return _runtime.storage


def _studio() -> Studio:
    if _runtime.studio is None:
        raise RuntimeError("The studio is not open (on_app_startup did not run).")
    return _runtime.studio


# -- life cycle --------------------------------------------------------------------------------------


@cl.on_app_startup
async def start_studio() -> None:
    _runtime.studio = await _runtime.stack.enter_async_context(Studio.open(_settings()))
    log.info("Studio open (%s).", ", ".join(f"{k}: {v}" for k, v in _runtime.studio.services.backend.items()))


@cl.on_app_shutdown
async def stop_studio() -> None:
    _runtime.studio = None
    await _runtime.stack.aclose()


@cl.data_layer
def data_layer() -> SQLAlchemyDataLayer:
    """Chainlit's threads, steps and users live in the studio's own database (tables from migration 0002)."""
    url = async_url(_settings().sqlalchemy_url)
    connect_args: dict[str, Any] = {"timeout": SQLITE_BUSY_TIMEOUT_S} if url.startswith("sqlite") else {}
    return SQLAlchemyDataLayer(
        conninfo=url,
        connect_args=connect_args,
        user_thread_limit=THREADS_PER_USER,
        storage_provider=storage_client(),
    )


# -- users -------------------------------------------------------------------------------------------


def _check_password(email: str, password: str) -> User | None:
    with session_scope(_studio().services.engine) as session:
        return repo.authenticate(session, email=email, password=password)


def _active_user(email: str) -> User | None:
    with session_scope(_studio().services.engine) as session:
        try:
            user = repo.find_user_by_email(session, email=email)
        except InputError:
            return None
        return user if user is not None and user.is_active else None


@cl.password_auth_callback
async def login(email: str, password: str) -> cl.User | None:
    user = await asyncio.to_thread(_check_password, email, password)
    if user is None:
        log.info("Failed web login for %r.", email[:320])
        return None
    return _chat_user(user)


def _chat_user(user: User) -> cl.User:
    return cl.User(
        identifier=user.email, display_name=user.display_name, metadata={"studio_user_id": user.id}
    )


def header_email(headers: Mapping[str, str], name: str) -> str | None:
    """The e-mail the reverse proxy put in the trusted header ``name`` (one value, trimmed), else None."""
    value = headers.get(name) or headers.get(name.lower())
    if not value:
        return None
    value = value.strip()
    return value if "@" in value and len(value) <= 320 and "," not in value else None


async def header_login(headers: Mapping[str, str]) -> cl.User | None:
    """Header auth (STUDIO_AUTH_HEADER): an active studio user named by the proxy's header, else nobody."""
    email = header_email(headers, _settings().auth_header)
    user = await asyncio.to_thread(_active_user, email) if email else None
    if user is None:
        log.info("Header login refused (%s).", "no user" if email else "no header")
        return None
    return _chat_user(user)


def allowed_oauth_providers(settings: Settings) -> frozenset[str]:
    return frozenset(p.strip() for p in settings.oauth_providers.split(",") if p.strip())


async def oauth_login(
    provider_id: str,
    token: str,
    raw_user_data: dict[str, Any],
    default_user: cl.User,
    id_token: str | None = None,
) -> cl.User | None:
    """OAuth (STUDIO_OAUTH_PROVIDERS): an allowed provider vouching for the e-mail of an active studio user."""
    if provider_id not in allowed_oauth_providers(_settings()):
        return None
    email = str(raw_user_data.get("email") or "")
    if "@" not in email and "@" in default_user.identifier:
        email = default_user.identifier
    user = await asyncio.to_thread(_active_user, email) if "@" in email else None
    if user is None:
        log.info("OAuth login through %s refused: no active studio user with that e-mail.", provider_id)
        return None
    return _chat_user(user)


async def _current_user_id() -> str:
    """The studio user behind this chat session; refuses a user disabled since logging in."""
    chat_user = cl.user_session.get("user")
    user = await asyncio.to_thread(_active_user, chat_user.identifier) if chat_user else None
    if user is None:
        raise InputError("Your account is not active any more. Please log in again.")
    return user.id


def _thread_id() -> str:
    """The Chainlit thread id, which is also the LangGraph thread id.

    Chainlit only makes thread ids with uuid4, while the Slack bot's ids are uuid5 and the CLI's start with
    ``cli-``; refusing anything else keeps a crafted id from continuing another channel's conversation.
    """
    thread_id = str(cl.context.session.thread_id)
    try:
        if uuid.UUID(thread_id).version == 4:
            return thread_id
    except ValueError:
        pass
    raise InputError("This conversation cannot be continued here. Please start a new chat.")


# -- settings ----------------------------------------------------------------------------------------

PROFILE_SETTINGS = ("brand_name", "tone", "audience", "language", "timezone", "emoji_policy", "banned_words")
MAX_BANNED_WORDS = 100


def platform_settings(
    initial: list[str] | None = None, profile: dict[str, Any] | None = None
) -> cl.ChatSettings:
    """Platforms that always get a draft (this chat), and the brand profile (saved for every chat)."""
    rules = platform_rules()
    p = profile or {}
    language = str(p.get("language") or "en")
    widgets: list[InputWidget] = [
        MultiSelect(
            id="platforms",
            label="Always write for",
            items={rules[name].label: name for name in rules},
            initial=[x for x in initial or [] if x in rules],
            description="Leave empty to use the platforms you name in your message, "
            "or your brand profile's defaults.",
        ),
        TextInput(id="brand_name", label="Brand name", initial=str(p.get("brand_name") or "")),
        TextInput(
            id="tone",
            label="Tone",
            initial=str(p.get("tone") or "friendly"),
            description="How your posts sound, e.g. friendly, playful, professional.",
        ),
        TextInput(id="audience", label="Audience", initial=str(p.get("audience") or "")),
        Select(
            id="language",
            label="Language",
            items={name: code for code, (name, _) in LANGUAGES.items()},
            initial_value=language if language in LANGUAGES else "en",
        ),
        TextInput(
            id="timezone",
            label="Timezone",
            initial=str(p.get("timezone") or "UTC"),
            description="An IANA name such as Europe/Berlin: times you type and the calendar use it.",
        ),
        Select(
            id="emoji_policy",
            label="Emoji",
            items={"None": "none", "A few": "light", "Freely": "free"},
            initial_value=str(p.get("emoji_policy") or "light"),
        ),
        Tags(
            id="banned_words",
            label="Words never to use",
            initial=[str(w) for w in p.get("banned_words") or []],
        ),
    ]
    return cl.ChatSettings(widgets)


def _selected_platforms() -> list[str]:
    chosen = (cl.user_session.get("chat_settings") or {}).get("platforms") or []
    return [p for p in chosen if isinstance(p, str)]


def _profile(user_id: str) -> dict[str, Any]:
    with session_scope(_studio().services.engine) as session:
        profile = repo.get_brand_profile(session, user_id=user_id)
        return {name: getattr(profile, name) for name in (*PROFILE_SETTINGS, "default_platforms")}


def _save_profile(user_id: str, changes: dict[str, Any]) -> None:
    with session_scope(_studio().services.engine) as session:
        repo.update_brand_profile(session, user_id=user_id, **changes)


def profile_changes(settings: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """The brand-profile fields the settings form changed, cleaned and capped (InputError when invalid)."""
    changes: dict[str, Any] = {}
    for name in PROFILE_SETTINGS:
        if name not in settings or settings[name] is None:
            continue
        value = settings[name]
        if name == "banned_words":
            words = [" ".join(str(w).split())[:50] for w in value or [] if str(w).strip()]
            value = list(dict.fromkeys(words))[:MAX_BANNED_WORDS]
        else:
            value = " ".join(str(value).split())
            limit = 500 if name == "audience" else 200
            if len(value) > limit:
                raise InputError(f"{name.replace('_', ' ').capitalize()} takes at most {limit} characters.")
            if name in {"tone", "timezone", "language"} and not value:
                continue  # an emptied field keeps its value
        if value != current.get(name):
            changes[name] = value
    return changes


async def _send_settings(user_id: str | None) -> None:
    profile = await asyncio.to_thread(_profile, user_id) if user_id else None
    await platform_settings(_selected_platforms(), profile).send()


@cl.on_settings_update
async def settings_updated(settings: dict[str, Any]) -> None:
    try:
        user_id = await _current_user_id()
        current = await asyncio.to_thread(_profile, user_id)
        changes = profile_changes(settings, current)
        if changes:
            await asyncio.to_thread(_save_profile, user_id, changes)
            names = ", ".join(k.replace("_", " ") for k in changes)
            await cl.Message(content=f"Saved to your brand profile: {names}.").send()
    except StudioError as exc:
        await cl.Message(content=f"Your settings were not saved: {exc}").send()
    except Exception:
        log.exception("Saving the settings failed.")
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


def _command(name: str, icon: str, description: str) -> CommandDict:
    return {
        "id": name,
        "icon": icon,
        "description": description,
        "button": False,
        "persistent": False,
        "selected": False,
    }


COMMANDS: list[CommandDict] = [
    _command("Calendar", "calendar", "Scheduled and published posts (week / month)"),
    _command("Analytics", "chart-line", "Engagement, best hours and top posts"),
    _command("Profile", "user", "Your brand profile"),
    _command("Accounts", "link", "Connected publishing accounts"),
]


async def _on_start() -> None:
    user_id: str | None
    try:
        user_id = await _current_user_id()
    except StudioError:
        user_id = None
    await _send_settings(user_id)
    await cl.context.emitter.set_commands(COMMANDS)


@cl.on_chat_start
async def start_chat() -> None:
    await _on_start()


@cl.on_chat_resume
async def resume_chat(thread: ThreadDict) -> None:
    """Nothing to load: the checkpointer holds the conversation under this thread id. Show the settings
    again and, if an approval was left open, the buttons to answer it."""
    await _on_start()
    try:
        pending = await _studio().result(thread_id=_thread_id())
    except StudioError:
        return
    except Exception:
        log.exception("Could not read the state of thread %s on resume.", thread.get("id"))
        return
    if pending.approval:
        await cl.Message(content=pending.reply, actions=_approval_buttons(LATER_ACTION)).send()


# -- turns -------------------------------------------------------------------------------------------


class ToolSteps:
    """Turns the studio's tool events into Chainlit steps named after the tool (``#step-<tool>``).

    A tool that needs approval is shown only once it has run: before that the question is on screen, and a
    declined call is not shown as a step at all (the reply says it was not run).
    """

    def __init__(self) -> None:
        self._open: dict[str, cl.Step] = {}
        self._shown: set[str] = set()

    async def __call__(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        if kind == "tool_start":
            step = self._new(event["name"])
            step.input = event.get("args") or {}
            if event["name"] not in SENSITIVE_TOOLS:
                await self._show(step)
            self._open[event["id"]] = step
        elif kind == "tool_end":
            opened = self._open.pop(event["id"], None)
            step = opened if opened is not None else self._new(event.get("name") or "tool")
            artifact = event.get("artifact")
            if isinstance(artifact, dict) and artifact.get("type") == "declined":
                if step.id in self._shown:
                    await step.remove()
                return
            step.output = event.get("content") or ""
            step.is_error = bool(event.get("error"))
            step.end = utc_now()
            if step.id in self._shown:
                await step.update()
            else:
                await self._show(step)

    async def _show(self, step: cl.Step) -> None:
        await step.send()
        self._shown.add(step.id)

    @staticmethod
    def _new(name: str) -> cl.Step:
        parent = cl.context.current_step
        step = cl.Step(name=name, type="tool", parent_id=parent.id if parent else None)
        step.start = utc_now()
        return step


ANSWER_ACTION = "studio_approval_answer"
LATER_ACTION = "studio_approval_later"
ASK_TIMEOUT_S = 600


def _approval_buttons(name: str) -> list[cl.Action]:
    return [
        cl.Action(name=name, payload={"approved": True}, label="Approve", icon="check"),
        cl.Action(name=name, payload={"approved": False}, label="Decline", icon="x"),
    ]


def _cards(user_id: str, draft_ids: list[int]) -> list[DraftCard]:
    with session_scope(_studio().services.engine) as session:
        return cards.draft_cards(session, user_id=user_id, draft_ids=draft_ids)


def _media_elements(card: DraftCard) -> list[cl.Image]:
    data_dir = _settings().data_dir
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


async def send_cards(shown: list[DraftCard]) -> None:
    """One message per draft: preview, count against the limit, score, suggestions and its actions."""
    for card in shown:
        await cl.Message(
            content=views.draft_card_content(card),
            actions=views.draft_card_actions(card),
            elements=list(_media_elements(card)),
        ).send()


async def _show(result: TurnResult, user_id: str) -> None:
    """The reply; the drafts it lists come as cards you can act on instead of plain text."""
    ids = [int(d["id"]) for d in result.drafts if d.get("id") is not None]
    shown = [card for card in await asyncio.to_thread(_cards, user_id, ids)] if ids else []
    notes = [card.note for card in shown if card.note]
    reply = cards.strip_draft_blocks(result.reply or "", notes) if ids else (result.reply or "Done.")
    if reply:
        await cl.Message(content=reply).send()
    await send_cards(shown)


async def _deliver(
    result: TurnResult,
    *,
    user_id: str,
    thread_id: str,
    steps: ToolSteps,
    expected: tuple[str, int] | None = None,
) -> None:
    """Show the reply; while the agent waits for an approval, ask for it and resume with the answer.

    ``expected``: the (tool, draft id) the user already approved by clicking a card's button; an approval
    for exactly that is resumed without asking again."""
    for _ in range(MAX_APPROVAL_ROUNDS):
        if not result.approval:
            await _show(result, user_id)
            return
        if expected is not None and result.awaits_only(*expected):
            expected = None
            result = await _studio().run_turn(
                user_id=user_id,
                thread_id=thread_id,
                resume={"approved": True, "note": "approved with the web studio's button"},
                channel="web",
                on_event=steps,
            )
            continue
        answer = await cl.AskActionMessage(
            content=result.reply, actions=_approval_buttons(ANSWER_ACTION), timeout=APPROVAL_TIMEOUT_S
        ).send()
        if answer is None:
            await cl.Message(
                content="Still waiting for your decision: " + result.reply,
                actions=_approval_buttons(LATER_ACTION),
            ).send()
            return
        approved = bool((answer.get("payload") or {}).get("approved"))
        result = await _studio().run_turn(
            user_id=user_id,
            thread_id=thread_id,
            resume={"approved": approved},
            channel="web",
            on_event=steps,
        )
    await cl.Message(content="That is enough approvals for one message; tell me what to do next.").send()


def _attachments(message: cl.Message) -> list[tuple[Path, str]]:
    """Uploaded files as (path, the user's file name): Chainlit stores them under random names, and ingest
    checks that a file's content matches its name."""
    return [(Path(el.path), el.name or Path(el.path).name) for el in message.elements or [] if el.path]


async def _turn(
    *,
    text: str | None = None,
    approved: bool | None = None,
    attachments: list[tuple[Path, str]] | None = None,
    platforms: list[str] | None = None,
    expected: tuple[str, int] | None = None,
) -> None:
    """One turn with the error policy of the edge: expected failures are shown, the rest logged."""
    user_id = thread_id = "?"
    try:
        user_id = await _current_user_id()
        thread_id = _thread_id()
        steps = ToolSteps()
        if platforms is None:
            platforms = _selected_platforms() if text is not None else []
        result = await _studio().run_turn(
            user_id=user_id,
            thread_id=thread_id,
            text=text,
            resume=None if approved is None else {"approved": approved},
            platforms=platforms,
            channel="web",
            on_event=steps,
            attachments=attachments or (),
        )
        await _deliver(result, user_id=user_id, thread_id=thread_id, steps=steps, expected=expected)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
    except Exception:
        log.exception("Web turn failed (user %s, thread %s).", user_id, thread_id)
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


async def _guarded(what: str, work: Callable[[str], Awaitable[None]]) -> None:
    """Run a panel (calendar, analytics, ...) for the current user with the edge's error policy."""
    try:
        await work(await _current_user_id())
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
    except Exception:
        log.exception("The %s failed.", what)
        await cl.Message(content=SOMETHING_WENT_WRONG).send()


_PANELS = {
    "calendar": "calendar",
    "my calendar": "calendar",
    "show my calendar": "calendar",
    "calendar week": "calendar",
    "calendar month": "calendar month",
    "month": "calendar month",
    "analytics": "analytics",
    "stats": "analytics",
    "profile": "profile",
    "brand profile": "profile",
    "my profile": "profile",
    "accounts": "accounts",
    "connected accounts": "accounts",
    "my accounts": "accounts",
}


def panel_for(text: str, command: str | None = None) -> str | None:
    """The panel a message asks for ("calendar", "/analytics", the Calendar command...), else None."""
    if command:
        return _PANELS.get(command.strip().lower())
    key = " ".join(text.strip().lower().lstrip("/").split()).rstrip(".!?")
    return _PANELS.get(key)


async def open_panel(panel: str) -> None:
    if panel.startswith("calendar"):
        view = View.MONTH if panel.endswith("month") else View.WEEK
        await _guarded("calendar", lambda uid: show_calendar(uid, view=view))
    elif panel == "analytics":
        await _guarded("analytics", show_analytics)
    elif panel == "profile":
        await _guarded("profile", show_profile)
    elif panel == "accounts":
        await _guarded("accounts", show_accounts)


@cl.on_message
async def on_message(message: cl.Message) -> None:
    panel = panel_for(message.content or "", getattr(message, "command", None))
    if panel is not None and not message.elements:
        await open_panel(panel)
        return
    await _turn(text=message.content, attachments=_attachments(message))


# -- voice notes recorded in the browser (Chainlit's audio stream: 16-bit mono PCM) --------------------------

RECORDING_KEY = "voice_recording"
RECORDING_MAX_S = 600.0  # one browser recording; uploads may be longer (STUDIO_MAX_MEDIA_SECONDS)
VOICE_NOTE_PROMPT = "Turn this voice note into a reel script and a caption."


@cl.on_audio_start
async def on_audio_start() -> bool:
    sample_rate = int(getattr(cl_config.features.audio, "sample_rate", 24_000))
    limit = min(RECORDING_MAX_S, _settings().max_media_seconds)
    cl.user_session.set(RECORDING_KEY, VoiceRecording(sample_rate=sample_rate, max_seconds=limit))
    return True


@cl.on_audio_chunk
async def on_audio_chunk(chunk: cl.InputAudioChunk) -> None:
    recording: VoiceRecording | None = cl.user_session.get(RECORDING_KEY)
    if recording is None:
        return
    try:
        recording.add(chunk.data, chunk.mimeType)
    except ValueError as exc:
        log.warning("Voice note chunk refused: %s", exc)


@cl.on_audio_end
async def on_audio_end() -> None:
    """The recording as a WAV file through the same ingest as an upload, then a script and a caption."""
    recording: VoiceRecording | None = cl.user_session.get(RECORDING_KEY)
    cl.user_session.set(RECORDING_KEY, None)
    if recording is None:
        return
    folder = _settings().data_dir / "web-recordings"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"voice-note-{uuid.uuid4().hex}.wav"
    try:
        recording.write_wav(path)
    except ValueError as exc:
        await cl.Message(content=f"I didn't get a voice note: {exc}").send()
        return
    try:
        note = f"Voice note received ({recording.seconds:.1f} s)."
        if recording.overflowed:
            note += f" Only the first {recording.max_seconds / 60:.0f} minutes were kept."
        await cl.Message(content=note).send()
        await _turn(text=VOICE_NOTE_PROMPT, attachments=[(path, "voice-note.wav")])
    finally:
        path.unlink(missing_ok=True)  # ingest keeps its own copy


ActionHandler = Callable[[cl.Action], Awaitable[None]]


def running(handler: ActionHandler) -> ActionHandler:
    """Chainlit runs action callbacks over HTTP without marking a task: this marks one, so the page shows
    the work in progress, and ends it even when an Ask inside (which restarts the task when answered) ran."""

    @functools.wraps(handler)
    async def wrapper(action: cl.Action) -> None:
        await cl.context.emitter.task_start()
        try:
            await handler(action)
        finally:
            await cl.context.emitter.task_end()

    return wrapper


@cl.action_callback(LATER_ACTION)
@running
async def on_late_approval(action: cl.Action) -> None:
    """The Approve/Decline buttons shown after the question timed out or when the chat was resumed."""
    await action.remove()
    await _turn(approved=bool(action.payload.get("approved")))


# -- draft cards -------------------------------------------------------------------------------------


def _payload_id(action: cl.Action, key: str) -> int:
    try:
        value = int(str(action.payload.get(key)))
    except (TypeError, ValueError):
        raise InputError("That button is not one of the studio's.") from None
    if value <= 0:
        raise InputError("That button is not one of the studio's.")
    return value


def _draft_brief(user_id: str, draft_id: int) -> tuple[str, str, str]:
    """(platform, platform label, text) of one of the user's drafts (NotFound for anyone else's)."""
    with session_scope(_studio().services.engine) as session:
        card = cards.draft_card(session, user_id=user_id, draft_id=draft_id)
        return card.platform, card.platform_label, card.post_text


async def _ask_text(prompt: str) -> str | None:
    answer = await cl.AskUserMessage(content=prompt, timeout=ASK_TIMEOUT_S).send()
    text = str((answer or {}).get("output") or "").strip()
    return text or None


def _best_slot(user_id: str, platform: str) -> tuple[datetime, str]:
    with session_scope(_studio().services.engine) as session:
        return cards.best_slot(session, user_id=user_id, platform=platform)


@cl.action_callback(views.DRAFT_ACTION)
@running
async def on_draft_action(action: cl.Action) -> None:
    op = str(action.payload.get("op") or "")
    try:
        draft_id = _payload_id(action, "draft_id")
        if op not in views.DRAFT_OPS:
            raise InputError("That button is not one of the studio's.")
        user_id = await _current_user_id()
        platform, label, text = await asyncio.to_thread(_draft_brief, user_id, draft_id)
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
        return
    if op == "approve":
        await _turn(text=f"approve draft #{draft_id}", expected=("approve_draft", draft_id))
    elif op == "edit":
        new = await _ask_text(
            f"Send your version of draft #{draft_id} ({label}); hashtags at the end become its hashtags. "
            f"I learn your voice from what you change. The current text:\n\n```text\n{text}\n```"
        )
        if new is not None:
            await _turn(text=f"edit draft #{draft_id}:\n{new}")
    elif op == "regenerate":
        try:
            request, platform = await asyncio.to_thread(_regenerate_request, user_id, draft_id)
        except StudioError as exc:
            await cl.Message(content=str(exc)).send()
            return
        await _turn(text=request, platforms=[platform])
    elif op == "variants":
        await _turn(text=f"give me 3 variants of draft #{draft_id}")
    elif op == "improve":
        await _turn(text=f"improve draft #{draft_id}")
    elif op == "schedule":
        await _schedule(user_id, draft_id, platform, label)
    elif op == "publish":
        answer = await cl.AskActionMessage(
            content=f"Publish draft #{draft_id} on {label} now?",
            actions=[
                cl.Action(
                    name="studio_publish_confirm", payload={"go": True}, label="Publish now", icon="send"
                ),
                cl.Action(name="studio_publish_confirm", payload={"go": False}, label="Cancel", icon="x"),
            ],
            timeout=ASK_TIMEOUT_S,
        ).send()
        if answer and (answer.get("payload") or {}).get("go"):
            await _turn(text=f"publish draft #{draft_id} now", expected=("publish_now", draft_id))


def _regenerate_request(user_id: str, draft_id: int) -> tuple[str, str]:
    with session_scope(_studio().services.engine) as session:
        return cards.regenerate_request(session, user_id=user_id, draft_id=draft_id)


async def _schedule(user_id: str, draft_id: int, platform: str, label: str) -> None:
    best, tz = await asyncio.to_thread(_best_slot, user_id, platform)
    answer = await cl.AskActionMessage(
        content=f"When should draft #{draft_id} go out on {label}? Times are in {tz}.",
        actions=views.schedule_choices(draft_id, f"{best:%a %d %b %H:%M}"),
        timeout=ASK_TIMEOUT_S,
    ).send()
    payload: dict[str, Any] = dict(answer["payload"] or {}) if answer else {}
    choice = str(payload.get("choice") or "")
    if choice == "best":
        when = best.isoformat(timespec="minutes")
    elif choice == "custom":
        typed = await _ask_text(
            f"Type the time for draft #{draft_id} in {tz}: e.g. “tomorrow 9am”, “friday 10:30”, "
            "“2026-12-01 14:30”, or “next free slot”."
        )
        if typed is None:
            return
        when = typed[:100]
    else:
        return
    await _turn(text=f"schedule draft #{draft_id} for {when}", expected=("schedule_post", draft_id))


# -- calendar ------------------------------------------------------------------------------------------


def _calendar(user_id: str, view: View, anchor: date | None) -> Calendar:
    with session_scope(_studio().services.engine) as session:
        tz = repo.get_brand_profile(session, user_id=user_id).timezone or "UTC"
        return load_calendar(session, user_id=user_id, view=view, anchor=anchor, timezone=tz)


async def show_calendar(user_id: str, *, view: View = View.WEEK, anchor: date | None = None) -> None:
    cal = await asyncio.to_thread(_calendar, user_id, view, anchor)
    await cl.Message(content=views.calendar_content(cal), actions=views.calendar_actions(cal)).send()


@cl.action_callback(views.CALENDAR_ACTION)
@running
async def on_calendar_page(action: cl.Action) -> None:
    async def work(user_id: str) -> None:
        try:
            view = View(str(action.payload.get("view") or "week"))
        except ValueError:
            raise InputError("That button is not one of the studio's.") from None
        await show_calendar(user_id, view=view, anchor=parse_anchor(action.payload.get("anchor")))

    await _guarded("calendar", work)


@cl.action_callback(views.POST_ACTION)
@running
async def on_post_action(action: cl.Action) -> None:
    """Cancel or reschedule a post from the calendar: through the agent's own tools, then the week again."""
    op = str(action.payload.get("op") or "")
    try:
        post_id = _payload_id(action, "post_id")
        if op not in {"cancel", "reschedule"}:
            raise InputError("That button is not one of the studio's.")
    except StudioError as exc:
        await cl.Message(content=str(exc)).send()
        return
    if op == "cancel":
        await _turn(text=f"cancel post #{post_id}")
    else:
        when = await _ask_text(
            f"When should post #{post_id} go out instead? (“tomorrow 9am”, “2026-12-01 14:30”, in your timezone)"
        )
        if when is None:
            return
        await _turn(text=f"reschedule post #{post_id} to {when[:100]}")
    await _guarded("calendar", show_calendar)


# -- analytics, profile, accounts ----------------------------------------------------------------------


def _analytics(user_id: str) -> Analytics:
    with session_scope(_studio().services.engine) as session:
        tz = repo.get_brand_profile(session, user_id=user_id).timezone or "UTC"
        return load_analytics(session, user_id=user_id, timezone=tz)


async def show_analytics(user_id: str) -> None:
    data = await asyncio.to_thread(_analytics, user_id)
    figures = charts.analytics_figures(data)
    elements: list[Any] = [
        cl.Plotly(name=name, figure=figure, display="inline", size="large") for name, figure in figures
    ]
    await cl.Message(content=charts.analytics_summary(data), elements=elements).send()


def _profile_row(user_id: str) -> BrandProfile:
    with session_scope(_studio().services.engine) as session:
        profile = repo.get_brand_profile(session, user_id=user_id)
        session.expunge(profile)
        return profile


async def show_profile(user_id: str) -> None:
    profile = await asyncio.to_thread(_profile_row, user_id)
    await cl.Message(content=views.profile_content(profile)).send()


def _accounts(user_id: str) -> list[PlatformAccount]:
    with session_scope(_studio().services.engine) as session:
        accounts = repo.list_platform_accounts(session, user_id=user_id)
        for acc in accounts:
            session.expunge(acc)
        return accounts


async def show_accounts(user_id: str) -> None:
    accounts = await asyncio.to_thread(_accounts, user_id)
    await cl.Message(content=views.accounts_content(accounts)).send()
