"""What the Slack listeners call: who is asking (a studio user per Slack user, or the web user it is linked
to), the rate limit, Slack files, agent turns through :class:`agent.runtime.studio.Studio`, and the replies.

Words (``/studio``, mentions, DMs) are agent turns (``Studio.run_turn``); a button or a form is an action
(:meth:`SlackService.act` → ``Studio.run_action``): its tool call is made by the click, nothing is parsed,
and the click is the approval of a sensitive tool.

The listeners acknowledge at once; everything slow runs here as a background task (:meth:`spawn`) that
answers in the Slack thread (``chat.postMessage``) or through the command's ``response_url``. Errors follow
the edge policy: an expected failure is told to the user, anything else is logged and the user told that
it went wrong.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from slack_sdk.errors import SlackApiError

from agent.content.fitting import compose
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError, NotFound, StudioError
from agent.core.repo import assets as asset_repo
from agent.runtime.studio import Studio, TurnResult
from agent.services.views.drafts import DraftView, get_draft_view, regenerate_request
from integrations.ratelimit import RateLimiter, make_rate_limiter, too_many_message
from prompts.counting import count
from tools.brand import split_hashtag_block
from ui.slack import blocks
from ui.slack.commands import parse
from ui.slack.files import MAX_FILES_PER_MESSAGE, check_file, download, origin

log = logging.getLogger(__name__)

# graph thread ids of Slack conversations: uuid5 in this namespace of "<team>:<channel>:<thread ts>"
SLACK_THREAD_NAMESPACE = uuid.UUID("0b6f2a52-3c1e-5d1b-9f4e-5c7a1d2e8f90")
SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on our side and this was not handled. Please try again in a moment; "
    "if it keeps happening, tell whoever runs this studio."
)
NOT_YOURS = (
    "This thread is someone else's conversation with the studio (or began before you linked your "
    "account). Mention me in a new thread to start your own."
)
SEEN_EVENTS = 2048
RESPONSE_URL_HOSTS = {("https", "hooks.slack.com")}
ALLOWED_SUBTYPES = {None, "file_share", "thread_broadcast"}
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")
# the notes approve_draft records with a click (the approval's record names the Slack button)
APPROVED_WITH_BUTTON = "approved with the Slack button"
EDITED_WITH_FORM = "edited and approved with the Slack edit form's button"

Step = tuple[str, dict[str, Any]]  # an action's tool call: (tool name, typed arguments)


def graph_thread_id(team_id: str, channel_id: str, thread_ts: str) -> str:
    """One Slack thread ↔ one graph thread."""
    return str(uuid.uuid5(SLACK_THREAD_NAMESPACE, f"{team_id}:{channel_id}:{thread_ts}"))


def command_thread_ts(user_id: str) -> str:
    """``/studio`` commands of one user in one channel share a conversation ("schedule it" finds the draft)."""
    return f"command:{user_id}"


def clean_text(text: str) -> str:
    """A message's text without bot mentions, Slack's link markup made plain, entities decoded."""
    text = _MENTION.sub(" ", text or "")
    text = re.sub(r"<(https?://[^|>]+)(?:\|[^>]*)?>", r"\1", text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split(" ")).strip()


@dataclass(frozen=True)
class Reply:
    """Where answers go: a channel thread (``chat.postMessage``) or a ``response_url`` (ephemeral)."""

    channel: str | None = None
    thread_ts: str | None = None
    response_url: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {"c": self.channel, "ts": self.thread_ts, "r": self.response_url}

    @classmethod
    def from_metadata(cls, data: dict[str, Any]) -> Reply:
        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) and 0 < len(value) <= 1000 else None

        return cls(channel=text("c"), thread_ts=text("ts"), response_url=text("r"))


@dataclass(frozen=True)
class Who:
    team_id: str
    slack_user_id: str

    @property
    def key(self) -> str:
        return f"{self.team_id}:{self.slack_user_id}"


class SlackService:
    def __init__(self, studio: Studio, *, limiter: RateLimiter | None = None) -> None:
        self.studio = studio
        self.settings = studio.services.settings
        self.engine = studio.services.engine
        self.limiter = limiter or make_rate_limiter(
            self.settings.slack_rate_limit_per_minute,
            self.settings.redis_url,
            prefix="studio:slack:rl:",
        )
        self.incoming = self.settings.data_dir / "slack-incoming"
        self._tasks: set[asyncio.Task[None]] = set()
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._response_origins = RESPONSE_URL_HOSTS | {origin(self.settings.slack_api_url)}

    # -- plumbing ---------------------------------------------------------------------------------------

    def spawn(self, work: Callable[[], Awaitable[None]], *, client: Any, reply: Reply, what: str) -> None:
        """Run ``work`` after the ack, with the edge's error policy; :meth:`drain` waits for all of it."""

        async def run() -> None:
            try:
                await work()
            except StudioError as exc:
                text = (
                    NOT_YOURS
                    if isinstance(exc, NotFound) and str(exc) == "No such conversation."
                    else str(exc)
                )
                await self.post(client, reply, blocks.notice(text))
            except Exception:
                log.exception("Slack %s failed.", what)
                await self.post(client, reply, blocks.notice(SOMETHING_WENT_WRONG))

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def first_time(self, event_id: str | None) -> bool:
        """False for an event Slack delivers again (a retry): it was handled already."""
        if not event_id:
            return True
        if event_id in self._seen:
            return False
        self._seen[event_id] = None
        while len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)
        return True

    async def too_many(self, who: Who) -> str | None:
        """The message to show when this Slack user is over the rate limit, else None (and the hit counts)."""
        wait = await self.limiter.hit(who.key)
        return None if wait is None else too_many_message(self.limiter.limit, wait)

    async def user_id(self, who: Who) -> str:
        def lookup() -> str:
            with session_scope(self.engine) as session:
                return repo.slack_user(session, team_id=who.team_id, slack_user_id=who.slack_user_id).id

        return await asyncio.to_thread(lookup)

    async def post(self, client: Any, reply: Reply, payload: dict[str, Any]) -> None:
        """Answer in the thread, or through the response URL. Failures are logged, never raised."""
        try:
            if reply.response_url:
                await self._respond(reply.response_url, {"response_type": "ephemeral", **payload})
            elif reply.channel:
                await client.chat_postMessage(channel=reply.channel, thread_ts=reply.thread_ts, **payload)
        except (SlackApiError, httpx.HTTPError, InputError) as exc:
            log.warning("Could not answer in Slack (%s): %s", reply, exc)

    async def _respond(self, url: str, payload: dict[str, Any]) -> None:
        if origin(url) not in self._response_origins:
            raise InputError("Refusing a response URL outside Slack.")
        async with httpx.AsyncClient(timeout=10, follow_redirects=False, trust_env=False) as http:
            response = await http.post(url, json=payload)
            response.raise_for_status()

    async def replace(
        self, client: Any, *, channel: str | None, ts: str | None, response_url: str | None, text: str
    ) -> None:
        """The message whose buttons were used becomes a line saying what was decided."""
        try:
            if response_url and not (channel and ts):
                await self._respond(response_url, {"replace_original": True, **blocks.decided(text)})
            elif channel and ts:
                await client.chat_update(channel=channel, ts=ts, **blocks.decided(text))
        except (SlackApiError, httpx.HTTPError, InputError) as exc:
            log.warning("Could not update the Slack message: %s", exc)

    async def turn(self, client: Any, reply: Reply, result: TurnResult) -> None:
        await self.post(
            client,
            reply,
            blocks.turn_message(
                reply=result.reply, drafts=result.drafts, approval=result.approval, thread_id=result.thread_id
            ),
        )

    async def act(
        self, client: Any, reply: Reply, *, user_id: str, thread_id: str, steps: Sequence[Step]
    ) -> TurnResult:
        """The one Slack action flow, for every button and form: each step is a tool call the click made
        (``Studio.run_action``: no words, no planner; the click is the approval of a sensitive tool), run in
        order in the graph thread. A step that does not give back the draft it worked on (a refused edit)
        ends the flow; the last result — the answer or what went wrong — is posted where the click came
        from. A failure of the studio itself is :meth:`spawn`'s to tell."""
        assert steps
        for n, (tool, args) in enumerate(steps, 1):
            result = await self.studio.run_action(
                user_id=user_id, thread_id=thread_id, tool=tool, args=args, channel="slack"
            )
            if n < len(steps) and args.get("draft_id") not in {d.id for d in result.drafts}:
                break
        await self.turn(client, reply, result)
        return result

    # -- /studio ----------------------------------------------------------------------------------------

    async def command(
        self, *, who: Who, channel_id: str, text: str, response_url: str | None, client: Any
    ) -> dict[str, Any]:
        """Handle ``/studio …``: returns the immediate answer (the ack); slow work continues in the background."""
        cmd = parse(text)
        if cmd.name == "help":
            return blocks.help_message()
        if cmd.error:
            return blocks.notice(cmd.error)
        if (refused := await self.too_many(who)) is not None:
            return blocks.notice(refused)
        if cmd.name == "link":
            return blocks.notice(await self._link(who, cmd.arg))
        reply = Reply(response_url=response_url) if response_url else Reply(channel=channel_id)
        thread_id = graph_thread_id(who.team_id, channel_id, command_thread_ts(who.slack_user_id))
        prompt = cmd.prompt or ""

        async def work() -> None:
            user_id = await self.user_id(who)
            attachments: list[tuple[Path, str]] = []
            text = prompt
            if cmd.name == "script" and not prompt:
                latest = await asyncio.to_thread(self._latest_recording, user_id)
                if latest is None:
                    raise InputError(
                        "There is no voice note or video of yours yet: share one with me in a DM "
                        "and I'll write the script."
                    )
                attachments, text = [latest], "turn this into a reel script"
            result = await self.studio.run_turn(
                user_id=user_id, thread_id=thread_id, text=text, channel="slack", attachments=attachments
            )
            await self.turn(client, reply, result)

        self.spawn(work, client=client, reply=reply, what=f"/studio {cmd.name}")
        return blocks.notice(
            f"Working on it… (/studio {cmd.name})" if cmd.name != "ask" else "Working on it…"
        )

    def _latest_recording(self, user_id: str) -> tuple[Path, str] | None:
        with session_scope(self.engine) as session:
            found = [
                a
                for kind in ("audio", "video")
                for a in asset_repo.list_assets(session, user_id=user_id, kind=kind, limit=1)
            ]
        if not found:
            return None
        latest = max(found, key=lambda a: (a.created_at, a.id or 0))
        return Path(latest.storage_path), latest.filename or "recording"

    async def _link(self, who: Who, code: str) -> str:
        def redeem() -> str:
            with session_scope(self.engine) as session:
                user = repo.redeem_slack_link_code(
                    session, code=code, team_id=who.team_id, slack_user_id=who.slack_user_id
                )
                return user.email

        try:
            email = await asyncio.to_thread(redeem)
        except StudioError as exc:
            return str(exc)
        return (
            f"Linked: in Slack you now work in the studio of {email} — the same memory, brand profile, drafts "
            "and queue as in the web studio. Threads started before linking stay with your old Slack profile."
        )

    # -- messages: DMs, mentions, thread replies, files -------------------------------------------------

    async def message(
        self,
        *,
        event: dict[str, Any],
        team_id: str,
        event_id: str | None,
        bot_user_id: str | None,
        client: Any,
        mention: bool,
    ) -> None:
        """A DM, a mention, or a reply in a thread the user already talks to the studio in."""
        if event.get("bot_id") or event.get("subtype") not in ALLOWED_SUBTYPES or not event.get("user"):
            return
        if event.get("user") == bot_user_id or not self.first_time(event_id):
            return
        channel = str(event.get("channel") or "")
        in_dm = event.get("channel_type") == "im"
        if not mention and not in_dm:
            if not event.get("thread_ts"):
                return  # a channel message that is not for the studio
            if bot_user_id and f"<@{bot_user_id}" in str(event.get("text") or ""):
                return  # the app_mention event carries it
        who = Who(team_id=str(event.get("team") or team_id), slack_user_id=str(event["user"]))
        thread_ts = str(event.get("thread_ts") or event.get("ts") or "")
        if not channel or not thread_ts:
            return
        reply = Reply(channel=channel, thread_ts=thread_ts)
        thread_id = graph_thread_id(who.team_id, channel, thread_ts)
        if (refused := await self.too_many(who)) is not None:
            await self.post(client, reply, blocks.notice(refused))
            return
        text = clean_text(str(event.get("text") or ""))
        files = [f for f in event.get("files") or [] if isinstance(f, dict) and f.get("id")]

        async def work() -> None:
            user_id = await self.user_id(who)
            if not mention and not in_dm and not await self._owns(user_id, thread_id):
                return  # a thread reply in a conversation that is not this user's with the studio
            if not text and not files:
                await self.post(client, reply, blocks.help_message())
                return
            paths = await self._fetch(files, token=client.token, client=client)
            try:
                result = await self.studio.run_turn(
                    user_id=user_id,
                    thread_id=thread_id,
                    text=text,
                    channel="slack",
                    attachments=paths,
                )
            finally:
                for path, _name in paths:
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
            await self.turn(client, reply, result)

        self.spawn(work, client=client, reply=reply, what="message")

    async def _owns(self, user_id: str, thread_id: str) -> bool:
        latest = await self.studio.graph.checkpointer.aget_tuple({"configurable": {"thread_id": thread_id}})
        return latest is not None and (latest.metadata or {}).get("owner") == user_id

    async def _fetch(
        self, files: list[dict[str, Any]], *, token: str | None, client: Any
    ) -> list[tuple[Path, str]]:
        """Each shared file checked (files.info) and downloaded; all or none (a refusal removes the rest)."""
        if len(files) > MAX_FILES_PER_MESSAGE:
            raise InputError(f"Share at most {MAX_FILES_PER_MESSAGE} files in one message.")
        if files and not token:
            raise InputError("I have no token to read files in this workspace.")
        fetched: list[tuple[Path, str]] = []
        try:
            for item in files:
                info = await client.files_info(file=str(item["id"]))
                slack_file = check_file(dict(info.get("file") or {}), self.settings)
                path = await download(
                    slack_file, token=str(token), settings=self.settings, dest_dir=self.incoming
                )
                fetched.append((path, slack_file.name))
        except BaseException:
            for path, _ in fetched:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
            raise
        return fetched

    # -- buttons ----------------------------------------------------------------------------------------

    async def action(self, *, body: dict[str, Any], client: Any) -> None:
        action = (body.get("actions") or [{}])[0]
        action_id = str(action.get("action_id") or "")
        try:
            value = blocks.read_value(action.get("value"))
        except ValueError:
            log.info("Ignored a Slack button with a foreign value (%s).", action_id)
            return
        who = Who(
            team_id=str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or ""),
            slack_user_id=str((body.get("user") or {}).get("id") or ""),
        )
        if not who.team_id or not who.slack_user_id:
            return
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str(container.get("channel_id") or (body.get("channel") or {}).get("id") or "") or None
        message_ts = str(container.get("message_ts") or message.get("ts") or "") or None
        response_url = body.get("response_url")
        if container.get("is_ephemeral") or not (channel and message_ts):
            reply = Reply(response_url=response_url)
        else:
            reply = Reply(channel=channel, thread_ts=str(message.get("thread_ts") or message_ts))
        if (refused := await self.too_many(who)) is not None:
            await self.post(client, reply, blocks.notice(refused))
            return
        thread_id = value["t"]
        draft_id = value.get("d")
        trigger_id = body.get("trigger_id")
        ephemeral = bool(container.get("is_ephemeral"))
        update = {
            "channel": None if ephemeral else channel,
            "ts": None if ephemeral else message_ts,
            "response_url": response_url,
        }

        async def work() -> None:
            user_id = await self.user_id(who)
            mention = f"<@{who.slack_user_id}>"
            if action_id == blocks.ACTION_APPROVAL:
                approved = bool(value.get("a"))
                result = await self.studio.run_turn(
                    user_id=user_id,
                    thread_id=thread_id,
                    resume={"approved": approved, "note": "answered in Slack"},
                    channel="slack",
                )
                await self.replace(
                    client, **update, text=f"{'✅ Approved' if approved else '✖️ Declined'} by {mention}."
                )
                await self.turn(client, reply, result)
            elif draft_id is None:
                return
            elif action_id == blocks.ACTION_APPROVE:
                approve = {"draft_id": draft_id, "note": APPROVED_WITH_BUTTON}
                await self.act(
                    client, reply, user_id=user_id, thread_id=thread_id, steps=[("approve_draft", approve)]
                )
            elif action_id == blocks.ACTION_REGENERATE:
                brief, platform = await asyncio.to_thread(self._regenerate_request, user_id, draft_id)
                write = {"brief": brief, "platform": platform}
                await self.act(
                    client, reply, user_id=user_id, thread_id=thread_id, steps=[("write_caption", write)]
                )
            elif action_id in (blocks.ACTION_EDIT, blocks.ACTION_SCHEDULE):
                await self._open_modal(
                    client,
                    action_id,
                    user_id=user_id,
                    who=who,
                    thread_id=thread_id,
                    draft_id=draft_id,
                    trigger_id=trigger_id,
                    reply=reply,
                )

        self.spawn(work, client=client, reply=reply, what=f"button {action_id}")

    async def _open_modal(
        self,
        client: Any,
        action_id: str,
        *,
        user_id: str,
        who: Who,
        thread_id: str,
        draft_id: int,
        trigger_id: str | None,
        reply: Reply,
    ) -> None:
        draft = await asyncio.to_thread(self._draft_view, user_id, draft_id)
        if not trigger_id:
            raise InputError("Slack did not send what is needed to open a form; click the button again.")
        metadata = {"t": thread_id, "d": draft_id, **reply.metadata()}
        if action_id == blocks.ACTION_EDIT:
            if len(draft.text) > blocks.EDIT_MAX_CHARS:
                raise InputError(
                    f"Draft #{draft_id} is longer than {blocks.EDIT_MAX_CHARS:,} characters, too long to edit in "
                    "Slack; edit it in the web studio."
                )
            view = blocks.edit_modal(draft=draft, metadata=metadata)
        else:
            tz = await self._timezone(client, who, user_id)
            view = blocks.schedule_modal(draft=draft, tz=tz, now=datetime.now(UTC), metadata=metadata)
        await client.views_open(trigger_id=trigger_id, view=view)

    def _draft_view(self, user_id: str, draft_id: int) -> DraftView:
        """The user's draft as every surface shows it (another user's draft is NotFound)."""
        with session_scope(self.engine) as session:
            return get_draft_view(session, user_id=user_id, draft_id=draft_id)

    def _regenerate_request(self, user_id: str, draft_id: int) -> tuple[str, str]:
        """(brief, platform) of a fresh draft of the same post: what the Regenerate button writes."""
        with session_scope(self.engine) as session:
            return regenerate_request(session, user_id=user_id, draft_id=draft_id)

    async def _timezone(self, client: Any, who: Who, user_id: str) -> str:
        """The Slack user's timezone (``users.info``), else the brand profile's."""
        try:
            info = await client.users_info(user=who.slack_user_id)
            tz = str((info.get("user") or {}).get("tz") or "")
        except SlackApiError as exc:
            log.info("users.info failed (%s); using the brand profile's timezone.", exc)
            tz = ""
        if tz and blocks.zone(tz).key == tz:
            return tz

        def profile_tz() -> str:
            with session_scope(self.engine) as session:
                return repo.get_brand_profile(session, user_id=user_id).timezone or "UTC"

        return await asyncio.to_thread(profile_tz)

    # -- modals -----------------------------------------------------------------------------------------

    @staticmethod
    def view_context(view: dict[str, Any]) -> tuple[str, int, Reply, dict[str, Any]]:
        """(graph thread, draft id, where to answer, raw metadata) from a modal's private metadata."""
        try:
            meta = json.loads(view.get("private_metadata") or "")
            value = blocks.read_value(json.dumps({"t": meta.get("t"), "d": meta.get("d")}))
        except (ValueError, AttributeError):
            raise InputError("This form is not one of the studio's.") from None
        return value["t"], int(value["d"]), Reply.from_metadata(meta), meta

    @staticmethod
    def edit_text(view: dict[str, Any]) -> str:
        return str(view["state"]["values"][blocks.EDIT_BLOCK][blocks.EDIT_INPUT].get("value") or "").strip()

    async def check_edit(self, *, who: Who, view: dict[str, Any]) -> dict[str, str]:
        """Errors to show in the edit form (block id → message); empty when the text can be saved. The save
        itself (``edit_draft``) checks everything again."""
        _, draft_id, _, _ = self.view_context(view)
        text = self.edit_text(view)
        if not text:
            return {blocks.EDIT_BLOCK: "The text is empty."}
        user_id = await self.user_id(who)
        draft = await asyncio.to_thread(self._draft_view, user_id, draft_id)
        body, block = split_hashtag_block(text)
        tags = draft.hashtags if block is None else block  # no hashtags at the end: the draft's stay
        length = count(compose(body, tags), draft.counting)
        if length > draft.limit:
            return {
                blocks.EDIT_BLOCK: f"{length:,} characters; {draft.platform_label} takes {draft.limit:,}."
            }
        return {}

    async def edited(self, *, who: Who, view: dict[str, Any], client: Any) -> None:
        """The edit form was saved: the text becomes the draft (``edit_draft``: versions kept, what changed
        learned as voice rules), then the draft is approved — the form's button says "Save & approve"."""
        thread_id, draft_id, reply, _ = self.view_context(view)
        text = self.edit_text(view)
        steps: list[Step] = [
            ("edit_draft", {"draft_id": draft_id, "text": text}),
            ("approve_draft", {"draft_id": draft_id, "note": EDITED_WITH_FORM}),
        ]
        await self._submitted(
            who=who, client=client, reply=reply, thread_id=thread_id, steps=steps, what="edit"
        )

    def picked(self, view: dict[str, Any]) -> tuple[datetime, str]:
        """The moment picked in the schedule form and its timezone; InputError when missing or past."""
        _, _, _, meta = self.view_context(view)
        tz = str(meta.get("tz") or "UTC")
        try:
            at = blocks.picked_time(view["state"]["values"], tz)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        if at <= datetime.now(UTC):
            raise InputError("That time has passed; pick one in the future.")
        return at, tz

    async def scheduled(self, *, who: Who, view: dict[str, Any], client: Any) -> None:
        """The schedule form was sent: the draft is scheduled (``schedule_post``) at the picked moment."""
        thread_id, draft_id, reply, _ = self.view_context(view)
        at, tz = self.picked(view)
        when = at.astimezone(blocks.zone(tz)).isoformat(timespec="minutes")
        step: Step = ("schedule_post", {"draft_id": draft_id, "when": when})
        await self._submitted(
            who=who, client=client, reply=reply, thread_id=thread_id, steps=[step], what="schedule"
        )

    async def _submitted(
        self, *, who: Who, client: Any, reply: Reply, thread_id: str, steps: Sequence[Step], what: str
    ) -> None:
        """A form's action, after the ack: the rate limit, then :meth:`act` in the background."""
        if (refused := await self.too_many(who)) is not None:
            await self.post(client, reply, blocks.notice(refused))
            return

        async def work() -> None:
            user_id = await self.user_id(who)
            await self.act(client, reply, user_id=user_id, thread_id=thread_id, steps=steps)

        self.spawn(work, client=client, reply=reply, what=what)
