"""The agent with attachments: ingest before the graph, the rules planner's pipeline per input type, the
tools offered to the LLM planner. Speech and vision are fakes here (the real models run in
tests/integration); links are served by a mock transport behind the real guard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import InputError
from agent.core.repo.assets import count_assets
from agent.graph.planning.llm import make_planner
from agent.runtime.services import build_services
from agent.runtime.studio import Studio
from integrations.media.fake import FakeTranscriber
from integrations.vision.fake import FakeVision
from integrations.web.fetch import FetchPolicy, SafeFetcher
from tests.fakes.chat_model import ScriptedChatModel
from tests.integration.media_fixtures import files_under, png_bytes, silent_video, tone_wav
from tests.tool_support import checked, turn_artifacts

ARTICLE = """<html><head><title>Bean There opens on Main Street</title></head><body>
<nav>Home · Menu · Contact</nav>
<article><h1>Bean There opens on Main Street</h1>
<p>Bean There, the oat latte cafe, opens its second shop on Main Street this Saturday.</p>
<p>The new shop roasts its own organic beans and seats forty guests by the window.</p>
<p>The first hundred guests get a free oat latte and a tote bag.</p></article>
<footer>© Bean There</footer></body></html>"""


def call(name: str, call_id: str, **args: Any) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id, "type": "tool_call"}


def web(routes: dict[str, httpx.Response]) -> SafeFetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        return routes.get(request.url.path, httpx.Response(404))

    return SafeFetcher(
        FetchPolicy(), resolver=lambda host, port: ["93.184.216.34"], transport=httpx.MockTransport(handler)
    )


def _wire(studio: Studio, transcriber: FakeTranscriber) -> None:
    perception = studio.services.perception
    assert perception is not None
    perception.transcriber = transcriber
    perception.ingestor.fetcher = web(
        {
            "/news": httpx.Response(200, html=ARTICLE),
            "/latte.png": httpx.Response(200, content=png_bytes((80, 60), "saddlebrown")),
        }
    )


@pytest.fixture
def transcriber() -> FakeTranscriber:
    return FakeTranscriber()


@pytest.fixture
def vision() -> FakeVision:
    return FakeVision(labels=(("coffee", 0.92), ("cafe", 0.7)))


@pytest.fixture
async def studio(settings: Any, transcriber: FakeTranscriber, vision: FakeVision) -> Any:
    services = build_services(settings, vision=vision)
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as s:
        _wire(s, transcriber)
        yield s


def make_user(studio: Studio, email: str = "maker@example.com") -> str:
    with session_scope(studio.services.engine) as session:
        return repo.create_user(session, email=email).id


def kinds(result: Any) -> list[str]:
    return [d.kind for d in result.drafts]


async def test_a_voice_note_becomes_a_script_and_a_caption(
    studio: Studio, transcriber: FakeTranscriber, tmp_path: Path
) -> None:
    uid = make_user(studio)
    note = tone_wav(tmp_path / "note.wav", 1.0)
    events: list[dict[str, Any]] = []

    async def on_event(event: dict[str, Any]) -> None:
        events.append(event)

    result = await studio.run_turn(
        user_id=uid,
        thread_id="v1",
        text="turn this voice note into a reel script",
        attachments=[note],
        on_event=on_event,
    )

    assert result.tools[0] == "transcribe"
    assert sorted(result.tools[1:]) == ["write_caption", "write_script"]
    assert sorted(kinds(result)) == ["caption", "script"]
    script = next(d for d in result.drafts if d.kind == "script")
    assert script.platform == "instagram" and script.text.startswith("HOOK (0:00):")
    assert "oat latte" in script.text and "Visual:" in script.text and "CTA:" in script.text
    caption = next(d for d in result.drafts if d.kind == "caption")
    assert "oat latte" in caption.text.lower()
    [asset] = result.assets
    assert (asset["kind"], asset["filename"], asset["reused"]) == ("audio", "note.wav", False)
    assert "Transcript of “note.wav”" in result.reply and "draft #" in result.reply
    progress = [e for e in events if e.get("type") == "progress"]
    assert (
        progress
        and progress[-1]["done_s"] == progress[-1]["total_s"]
        and progress[-1]["tool"] == "transcribe"
    )
    assert len(transcriber.calls) == 1

    again = await studio.run_turn(
        user_id=uid, thread_id="v2", text="another script please", attachments=[note]
    )
    assert again.assets[0]["reused"] and again.assets[0]["id"] == asset["id"]
    assert len(transcriber.calls) == 1  # same file: the cached transcript, nothing recomputed


async def test_transcribe_only_when_that_is_all_that_was_asked(studio: Studio, tmp_path: Path) -> None:
    uid = make_user(studio)
    result = await studio.run_turn(
        user_id=uid, thread_id="t1", text="transcribe this", attachments=[tone_wav(tmp_path / "memo.wav")]
    )
    assert result.tools == ["transcribe"] and result.drafts == []
    assert "Today we are launching our new oat latte" in result.reply


async def test_a_photo_is_described_then_captioned_with_the_photo_attached(
    studio: Studio, vision: FakeVision
) -> None:
    uid = make_user(studio)
    result = await studio.run_turn(
        user_id=uid,
        thread_id="p1",
        text="write a caption for this",
        platforms=["instagram", "x"],
        attachments=[(png_bytes((120, 90), "saddlebrown"), "latte.png")],
    )

    assert result.tools[0] == "describe_image"
    assert result.tools.count("write_caption") == 2
    assert "suggest_hashtags" not in result.tools  # the captions came with their hashtags
    asset_id = result.assets[0]["id"]
    for draft in result.drafts:
        assert [m.asset_id for m in draft.media] == [asset_id]
        assert "coffee" in draft.text.lower()
        assert draft.hashtags and draft.length <= draft.limit
    assert vision.calls == 1
    assert "I see: coffee" in result.reply


async def test_a_video_is_heard_and_seen_then_scripted(studio: Studio, tmp_path: Path) -> None:
    uid = make_user(studio)
    video = silent_video(tmp_path / "clip.mp4", 1.0)

    result = await studio.run_turn(
        user_id=uid, thread_id="vid", text="make a tiktok from this", attachments=[video]
    )

    assert set(result.tools[:2]) == {"transcribe", "describe_image"}
    assert set(result.tools[2:]) == {"write_script", "write_caption"}
    vid = result.assets[0]["id"]
    script = next(d for d in result.drafts if d.kind == "script")
    assert script.platform == "tiktok" and [m.asset_id for m in script.media] == [vid]
    assert "B-roll: coffee" in script.text  # visual cues from what the keyframes show

    kinds = [checked(artifact)["type"] for _, artifact in await turn_artifacts(studio, "vid")]
    assert sorted(kinds) == ["draft", "draft", "transcript", "vision"]  # each a typed tool result


async def test_a_link_is_read_summarized_and_turned_into_posts(studio: Studio) -> None:
    uid = make_user(studio)
    result = await studio.run_turn(
        user_id=uid, thread_id="u1", text="write a LinkedIn post about https://beanthere.example/news"
    )

    assert result.tools == ["read_url", "summarize", "write_caption"]
    [draft] = result.drafts
    assert draft.platform == "linkedin" and "bean there" in draft.text.lower()
    [page] = result.assets
    assert page["kind"] == "url" and page["meta"]["title"] == "Bean There opens on Main Street"
    assert "Read “Bean There opens on Main Street”" in result.reply
    assert "second shop on Main Street" in result.reply  # the summary is shown

    kinds = [checked(artifact)["type"] for _, artifact in await turn_artifacts(studio, "u1")]
    assert kinds == ["page", "summary", "draft"]  # each a typed tool result


async def test_an_image_link_becomes_an_image_asset_and_is_described(studio: Studio) -> None:
    uid = make_user(studio)
    result = await studio.run_turn(
        user_id=uid, thread_id="u2", text="caption this photo https://cdn.example/latte.png"
    )
    assert result.tools[:2] == ["read_url", "describe_image"]
    image = next(a for a in result.assets if a["kind"] == "image")
    assert image["source_url"] == "https://cdn.example/latte.png"
    assert [m.asset_id for m in result.drafts[0].media] == [image["id"]]

    kinds = [checked(artifact)["type"] for _, artifact in await turn_artifacts(studio, "u2")]
    assert kinds[:2] == ["asset", "vision"]  # each a typed tool result


async def test_a_refused_link_is_reported_and_stores_nothing(studio: Studio) -> None:
    uid = make_user(studio)
    result = await studio.run_turn(
        user_id=uid, thread_id="u3", text="summarize http://169.254.169.254/latest"
    )
    assert result.tools == ["read_url"]
    assert "link-local" in result.reply
    with session_scope(studio.services.engine) as session:
        assert count_assets(session) == 0


async def test_a_text_file_is_summarized_then_posted(studio: Studio, tmp_path: Path) -> None:
    uid = make_user(studio)
    notes = tmp_path / "notes.txt"
    notes.write_text("Our bakery opens a second shop on Main Street this Saturday. Fresh bread from seven.")
    result = await studio.run_turn(
        user_id=uid, thread_id="doc", text="write a Facebook post about this", attachments=[notes]
    )
    assert result.tools == ["summarize", "write_caption"]
    assert result.drafts[0].platform == "facebook" and "bakery" in result.drafts[0].text.lower()


async def test_a_refused_attachment_stops_the_turn_and_leaves_nothing(studio: Studio, tmp_path: Path) -> None:
    uid = make_user(studio)
    fake_photo = tmp_path / "photo.jpg"
    fake_photo.write_text("not a photo at all")
    with pytest.raises(InputError, match=r"photo\.jpg is named like a JPEG image"):
        await studio.run_turn(user_id=uid, thread_id="bad", text="caption this", attachments=[fake_photo])
    assert files_under(studio.services.settings.data_dir / "assets") == []
    state = await studio.graph.aget_state({"configurable": {"thread_id": "bad"}})
    assert not state.values  # the graph never ran


async def test_the_llm_planner_is_told_the_asset_ids_and_offered_the_tools(
    settings: Any, transcriber: FakeTranscriber, vision: FakeVision, tmp_path: Path
) -> None:
    model = ScriptedChatModel()
    services = build_services(settings, writer=TemplateWriter(), chat_model=model, vision=vision)
    async with Studio.open(settings, services=services, checkpointer=InMemorySaver(), timer=False) as studio:
        _wire(studio, transcriber)
        uid = make_user(studio)

        def plan(messages: list[Any]) -> AIMessage:
            human = next(m for m in reversed(messages) if isinstance(m, HumanMessage))
            asset_id = int(human.content.split("asset_id=")[1].split(":")[0])
            return AIMessage("", tool_calls=[call("transcribe", "c1", asset_id=asset_id)])

        model.script = [plan, AIMessage("Here is what you said.")]
        result = await studio.run_turn(
            user_id=uid, thread_id="llm", text="what did I say?", attachments=[tone_wav(tmp_path / "n.wav")]
        )
    assert {"transcribe", "read_url", "write_script", "summarize", "describe_image"} <= set(model.bound_tools)
    assert result.tools == ["transcribe"] and result.reply == "Here is what you said."
    human = next(m for m in model.calls[0] if isinstance(m, HumanMessage))
    assert "audio “n.wav”" in human.content


async def test_write_caption_refuses_someone_elses_media(studio: Studio) -> None:
    owner = make_user(studio, "owner@example.com")
    intruder = make_user(studio, "intruder@example.com")
    perception = studio.services.perception
    assert perception is not None
    photo = perception.ingestor.ingest(user_id=owner, data=png_bytes(), filename="mine.png")
    model = ScriptedChatModel()
    model.script = [
        AIMessage(
            "", tool_calls=[call("write_caption", "w1", brief="a post", platform="x", media=[photo.asset.id])]
        ),
        AIMessage("done"),
    ]
    studio.services.planner = make_planner("llm", model)
    result = await studio.run_turn(user_id=intruder, thread_id="steal", text="post their photo")
    assert result.drafts == []
    assert "No asset" in model.calls[-1][-1].content
