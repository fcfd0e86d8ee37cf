"""Helpers shared by the tool modules: the user's session, expected errors as results, the draft or text a
tool works on, and the platform rule."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, overload

from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError, StudioError
from agent.core.models import Draft
from agent.services.context import Context
from agent.services.results import ErrorResult, ToolOutput
from prompts.platforms import PlatformRule, rule_with

P = ParamSpec("P")


@contextmanager
def user_session(runtime: ToolRuntime[Any]) -> Iterator[tuple[Session, Context]]:
    ctx: Context = runtime.context  # unparameterized ToolRuntime: pydantic must not validate the services
    with session_scope(ctx.services.engine) as session:
        yield session, ctx


def error_result(message: str) -> ToolOutput:
    """An expected failure as a tool result: the message for the model and an ``error`` artifact."""
    return message, ErrorResult(message=message).model_dump(mode="json")


@overload
def tool_errors(func: Callable[P, Awaitable[ToolOutput]]) -> Callable[P, Awaitable[ToolOutput]]: ...
@overload
def tool_errors(func: Callable[P, ToolOutput]) -> Callable[P, ToolOutput]: ...
def tool_errors(func: Callable[P, Any]) -> Callable[P, Any]:
    """A tool's expected failure (:class:`StudioError`: not found, bad input, a service that failed) becomes
    its result ``(message, {"type": "error", "message": message})``; anything else (a bug) raises.

    Goes under ``@tool``; the signature and the docstring the model sees are the function's own.
    """
    if inspect.iscoroutinefunction(func):

        @functools.wraps(func)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> ToolOutput:
            try:
                result: ToolOutput = await func(*args, **kwargs)
            except StudioError as exc:
                return error_result(str(exc))
            return result

        return run_async

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> ToolOutput:
        try:
            result: ToolOutput = func(*args, **kwargs)
        except StudioError as exc:
            return error_result(str(exc))
        return result

    return run


def platform_rule(ctx: Context, platform: str) -> PlatformRule:
    """The platform's rule with this installation's limits (a Mastodon instance's own post limit); an
    unknown platform is an :class:`InputError`."""
    try:
        return rule_with(platform, {"mastodon": ctx.services.settings.mastodon_max_chars})
    except ValueError as exc:
        raise InputError(str(exc)) from exc


@dataclass(frozen=True)
class Target:
    """What a tool works on: one of the user's drafts, or text the user gave, and its platform's rule."""

    draft: Draft | None
    text: str  # the draft's text, or the given text stripped
    hashtags: list[str]  # the draft's hashtags; none for a given text
    rule: PlatformRule  # the draft's platform, else the one asked for, else the conversation's first


def load_target(
    session: Session,
    ctx: Context,
    *,
    draft_id: int | None,
    text: str | None = None,
    platform: str | None = None,
    missing: str = "the text",
    max_chars: int | None = None,
    verb: str = "take",
    thread: str | None = None,
) -> Target:
    """The user's draft ``draft_id`` (when given) or else ``text``, checked.

    Raises :class:`~agent.core.errors.NotFound` for a draft that is not the user's, and
    :class:`InputError` for: a thread when ``thread`` (the message, ``{id}`` the draft's) says threads are
    refused; nothing to work on ("Give me a draft_id or {missing}."); a text over ``max_chars`` ("I {verb}
    up to …"); an unknown platform.
    """
    draft = repo.get_draft(session, user_id=ctx.user_id, draft_id=draft_id) if draft_id else None
    if draft is not None and thread is not None and draft.kind == "thread":
        raise InputError(thread.format(id=draft.id))
    body = draft.text if draft else (text or "").strip()
    if not body.strip():
        raise InputError(f"Give me a draft_id or {missing}.")
    if max_chars is not None and len(body) > max_chars:
        raise InputError(f"The text is {len(body):,} characters; I {verb} up to {max_chars:,}.")
    name = draft.platform if draft else (platform or (ctx.platforms or ("instagram",))[0])
    return Target(
        draft=draft,
        text=body,
        hashtags=list(draft.hashtags) if draft else [],
        rule=platform_rule(ctx, name),
    )


def call_tool(
    services: Any, tool: Any, *, user_id: str, thread_id: str, state: Any = None, **args: Any
) -> ToolOutput:
    """Run a tool's function directly, as the ToolNode would, for ``user_id`` (a UI action that does not go
    through the planner, e.g. saving an edit from a Slack modal). Returns (message, artifact)."""
    ctx = Context(services=services, user_id=user_id, thread_id=thread_id)
    runtime = ToolRuntime(
        state=state, context=ctx, config={}, stream_writer=lambda _: None, tool_call_id="ui", store=None
    )
    result: ToolOutput = tool.func(runtime=runtime, **args)
    return result
