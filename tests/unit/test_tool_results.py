"""The tools' error decorator and their typed results: an expected error becomes the error result, a bug
raises, the model sees each tool's own signature, and every artifact a turn stores is a typed result."""

from __future__ import annotations

import inspect
from typing import Any

import pytest
from langchain_core.tools import tool

from agent.core.errors import InputError, NotFound, StudioError, ToolFailed
from agent.runtime.studio import Studio
from agent.services.results import (
    DeclinedResult,
    ErrorResult,
    PostScoreReport,
    ThreadDraft,
    ToolOutput,
    VariantsResult,
    parse_result,
)
from agent.services.views.drafts import DraftView
from tests.tool_support import checked, make_user, run_tool, turn_artifacts
from tools import TOOLS
from tools.approval import approve_draft
from tools.common import tool_errors
from tools.memory import remember

EXPECTED = [StudioError, InputError, NotFound, ToolFailed]
BUGS = [KeyError, TypeError, AttributeError, ValueError, AssertionError]


@pytest.mark.parametrize("error", EXPECTED)
def test_an_expected_error_becomes_the_error_result(error: type[StudioError]) -> None:
    @tool_errors
    def failing(x: int) -> ToolOutput:
        raise error(f"No draft #{x}.")

    assert failing(7) == ("No draft #7.", {"type": "error", "message": "No draft #7."})


@pytest.mark.parametrize("error", BUGS)
def test_a_programmer_error_raises(error: type[Exception]) -> None:
    @tool_errors
    def broken() -> ToolOutput:
        raise error("bug")

    with pytest.raises(error):
        broken()


@pytest.mark.parametrize("error", [NotFound, KeyError])
async def test_an_async_tool_is_decorated_the_same_way(error: type[Exception]) -> None:
    @tool_errors
    async def failing() -> ToolOutput:
        raise error("gone")

    assert inspect.iscoroutinefunction(failing)
    if issubclass(error, StudioError):
        assert await failing() == ("gone", {"type": "error", "message": "gone"})
    else:
        with pytest.raises(error):
            await failing()


def test_a_success_passes_through_unchanged() -> None:
    @tool_errors
    def fine(x: int) -> ToolOutput:
        return f"got {x}", {"type": "notice", "message": "m", "reply": "r"}

    assert fine(x=3) == ("got 3", {"type": "notice", "message": "m", "reply": "r"})


@pytest.mark.parametrize("offered", TOOLS, ids=lambda t: t.name)
def test_the_model_sees_each_tools_own_signature_and_docstring(offered: Any) -> None:
    decorated = offered.coroutine or offered.func
    original = decorated.__wrapped__  # every tool goes through @tool_errors
    assert inspect.signature(decorated) == inspect.signature(original)
    bare = tool(response_format="content_and_artifact")(original)
    assert (offered.name, offered.description) == (bare.name, bare.description)
    assert offered.tool_call_schema.model_json_schema() == bare.tool_call_schema.model_json_schema()
    assert list(offered.args_schema.model_fields) == list(bare.args_schema.model_fields)
    assert "runtime" not in offered.tool_call_schema.model_json_schema()["properties"]


async def test_a_real_tools_expected_error_and_bug(studio: Studio, monkeypatch: pytest.MonkeyPatch) -> None:
    uid = make_user(studio, "errors@example.com")
    message, artifact = run_tool(studio, uid, approve_draft, draft_id=424242)
    assert artifact == {"type": "error", "message": message}
    assert isinstance(parse_result(artifact), ErrorResult)

    def bug(*_: Any, **__: Any) -> None:
        raise ZeroDivisionError("a bug, not the user's fault")

    monkeypatch.setattr("tools.memory.repo.add_memory", bug)
    with pytest.raises(ZeroDivisionError):
        run_tool(studio, uid, remember, fact="we never use emojis")


def test_parse_result_reads_the_kinds_and_refuses_the_rest() -> None:
    assert parse_result(None) is None
    assert parse_result("error") is None
    assert parse_result({"message": "no type"}) is None
    assert parse_result({"type": "progress", "fraction": 0.5}) is None  # a stream event, not a result
    assert parse_result({"type": "error"}) is None  # its kind's shape, not met
    assert parse_result({"type": "error", "message": "x", "extra": 1}) is None
    assert parse_result({"type": "error", "message": "x"}) == ErrorResult(message="x")
    declined = {"type": "declined", "tool": "publish_now", "args": {"draft_id": 3}}
    assert parse_result(declined) == DeclinedResult(tool="publish_now", args={"draft_id": 3})


# Conversations for the rules planner: a turn is the user's text, or the answer to an approval.
CONVERSATIONS: dict[str, list[str | dict[str, Any]]] = {
    "caption, score, variants, time, metrics": [
        "announce our oat latte launch",
        "score it",
        "give me 2 variants of it",
        "when should I post on instagram",
        "paste metrics csv\n\ndate,platform,text,impressions,likes\n2026-01-02 09:00,instagram,Hi there,100,5\n",
    ],
    "memory and voice rules": [
        "remember that we never use emojis on LinkedIn",
        "what do you remember?",
        "list my voice rules",
    ],
    "schedule, queue, decline": [
        "write a tweet about our oat latte launch",
        "schedule this for tomorrow 9am",
        {"approved": True},
        "show my queue",
        "publish it now",
        {"approved": False},
    ],
    "thread, tone, translation": [
        "write a linkedin post about our new roastery opening on Main Street this Saturday",
        "split it into a thread for x",
        "make it more casual",
        "translate it into French",
    ],
}


@pytest.mark.parametrize("name", list(CONVERSATIONS))
async def test_every_artifact_of_a_conversation_is_a_typed_result(studio: Studio, name: str) -> None:
    uid = make_user(studio, "turns@example.com")
    for turn in CONVERSATIONS[name]:
        if isinstance(turn, dict):
            await studio.run_turn(user_id=uid, thread_id=name, resume=turn)
        else:
            await studio.run_turn(user_id=uid, thread_id=name, text=turn, platforms=["x"])
    found = await turn_artifacts(studio, name)
    assert len(found) >= 2, found
    for tool_name, artifact in found:
        assert checked(artifact), tool_name


async def test_the_draft_and_score_subkinds_are_told_apart(studio: Studio) -> None:
    uid = make_user(studio, "kinds@example.com")
    await studio.run_turn(user_id=uid, thread_id="k", text="announce our oat latte launch", platforms=["x"])
    await studio.run_turn(user_id=uid, thread_id="k", text="score it")
    await studio.run_turn(user_id=uid, thread_id="k", text="give me 2 variants of it")
    await studio.run_turn(user_id=uid, thread_id="k", text="split it into a thread for x")
    kinds = {
        tool_name: type(parse_result(artifact)) for tool_name, artifact in await turn_artifacts(studio, "k")
    }
    assert kinds["write_caption"] is DraftView
    assert kinds["score_post"] is PostScoreReport
    assert kinds["ab_variants"] is VariantsResult
    assert kinds["split_thread"] is ThreadDraft
