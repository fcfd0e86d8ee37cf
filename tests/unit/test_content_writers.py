"""The content writers' new tasks (thread, tone, translation, improvement, alt text, variants) on the model
writer with structured output and on the template writer, and the platform rules on every output: the
writer condenses once, then a word-boundary trim — nothing is ever returned over its limit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver
from PIL import Image

from agent.content.fitting import compose
from agent.content.writers.base import (
    AltTextRequest,
    ImproveRequest,
    TextResult,
    ThreadRequest,
    ToneRequest,
    VariantsRequest,
    VoiceGuide,
)
from agent.content.writers.output import fit_output
from agent.content.writers.template import TemplateWriter
from agent.core import repo
from agent.core.db import session_scope
from agent.core.repo import assets as asset_repo
from agent.graph.planning.content_intents import content_calls, content_intent, tone_of
from agent.runtime.studio import Studio
from agent.services.llm_writer import LLMWriter
from integrations.vision.fake import FakeVision
from prompts.counting import count
from prompts.platforms import platform_names, rule
from prompts.threads import numbered
from tests.fakes.chat_model import ScriptedChatModel
from tests.tool_support import make_user as _user
from tests.tool_support import run_tool as _run
from tools.rewrite import rewrite_tone, write_alt_text
from tools.scripts import write_script
from tools.writing import write_caption

LONG = "Our second bakery opens on Main Street with sourdough, buns and coffee for everyone. " * 12


def _thread_request(**changes: Any) -> ThreadRequest:
    return ThreadRequest(
        platform="x", platform_label="X", limit=280, counting="weighted", text=LONG, max_posts=10
    ).model_copy(update=changes)


# -- the model writer: structured output, validated, template fallback ----------------------------------------


def test_the_model_splits_a_thread_and_an_invalid_split_falls_back() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {"posts": ["Our second bakery opens on Main Street.", "Sourdough, buns and coffee for everyone."]},
        {"posts": ["x" * 300]},  # over the limit with its numbering: rejected
    ]
    writer = LLMWriter(model, "tiny")

    good = writer.split_thread(_thread_request())
    bad = writer.split_thread(_thread_request())

    assert good.writer == "llm:tiny" and len(good.posts) == 2
    assert "thread for X" in model.calls[0][-1].content
    assert bad.writer == "template" and "over 280" in (bad.fallback_reason or "")
    assert all(count(p, "weighted") <= 280 for p in numbered(bad.posts))


def test_the_model_rewrites_improves_and_writes_alt_text_and_variants() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {"text": "Hey, our oat latte's here. Come grab one."},
        {"text": "Oat latte: here now."},
        {"alt_text": "  A latte with a leaf of foam art on a wooden table.  "},
        {
            "variants": [
                {"text": "Ever tried an oat latte?", "hypothesis": "A question hook earns comments."},
                {"text": "Ever tried an oat latte?", "hypothesis": "duplicate"},
                {"text": "Our oat latte is here. Come try it.", "hypothesis": "the original"},
                {"text": "Oat latte. Now.", "hypothesis": "Shorter is read to the end."},
            ]
        },
    ]
    writer = LLMWriter(model, "tiny")
    voice = VoiceGuide(banned_words=["cheap"], rules=["no exclamation marks"])

    tone = writer.rewrite_tone(
        ToneRequest(
            platform="x", platform_label="X", limit=280, text="We are pleased.", tone="casual", voice=voice
        )
    )
    improved = writer.improve(
        ImproveRequest(
            platform="x", platform_label="X", limit=40, text="A long post about oat latte.", voice=voice
        )
    )
    alt = writer.alt_text(AltTextRequest(subject="latte", max_chars=30))
    variants = writer.variants(
        VariantsRequest(
            platform="instagram",
            platform_label="Instagram",
            limit=2200,
            text="Our oat latte is here. Come try it.",
            n=3,
        )
    )

    assert (tone.text, tone.writer, tone.changed) == (
        "Hey, our oat latte's here. Come grab one.",
        "llm:tiny",
        True,
    )
    assert "in a casual tone" in model.calls[0][-1].content and "cheap" in model.calls[0][0].content
    assert improved.text == "Oat latte: here now." and "too long" in model.calls[1][-1].content
    assert alt.alt_text.startswith("A latte with a leaf") and len(alt.alt_text) <= 30
    assert [v.text for v in variants.variants] == ["Ever tried an oat latte?", "Oat latte. Now."]


def test_a_failing_model_falls_back_to_the_template_writer_for_every_new_task() -> None:
    model = ScriptedChatModel()
    model.structured = [ConnectionError("down")] * 5
    writer = LLMWriter(model, "tiny")

    results: list[Any] = [
        writer.rewrite_tone(
            ToneRequest(platform="x", platform_label="X", limit=280, text="We are here.", tone="casual")
        ),
        writer.improve(ImproveRequest(platform="x", platform_label="X", limit=280, text="Hello there.")),
        writer.alt_text(AltTextRequest(subject="a dog on a beach")),
        writer.variants(
            VariantsRequest(platform="x", platform_label="X", limit=280, text="Our latte is here.")
        ),
        writer.split_thread(_thread_request()),
    ]

    assert all(r.writer == "template" and "ConnectionError" in (r.fallback_reason or "") for r in results)


def test_the_template_tone_rewrite_is_small_and_says_so() -> None:
    writer = TemplateWriter()
    casual = writer.rewrite_tone(
        ToneRequest(
            platform="x", platform_label="X", limit=280, text="We are open. It is warm inside.", tone="casual"
        )
    )
    formal = writer.rewrite_tone(
        ToneRequest(
            platform="x",
            platform_label="X",
            limit=280,
            text="We're open! It's gonna be great 🎉",
            tone="professional",
        )
    )

    assert casual.text == "We're open. It's warm inside." and casual.changed
    assert formal.text == "We are open. It is going to be great" and "a language model rewrites" in (
        formal.note or ""
    )


# -- every output within its limit ------------------------------------------------------------------------


class _Verbose:
    """A writer whose condensing does not help: the last-resort trim must still keep the post in its limit."""

    name = "verbose"

    def improve(self, request: ImproveRequest) -> TextResult:
        return TextResult(text=request.text + " and more", writer=self.name)


_PIECES = st.sampled_from(
    [
        "word",
        " ",
        "\n",
        "😀",
        "👨\u200d👩\u200d👧",
        "日本語",
        "https://example.com/x?y=1",
        "!",
        "#tag",
        "e\u0301",
        "café",
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    text=st.lists(st.one_of(_PIECES, st.text(max_size=10)), min_size=1, max_size=900).map("".join),
    tags=st.lists(st.from_regex(r"[a-z]{1,20}", fullmatch=True), max_size=12),
    platform=st.sampled_from(platform_names()),
    condense_helps=st.booleans(),
)
def test_no_output_is_ever_over_its_platforms_limit(
    text: str, tags: list[str], platform: str, condense_helps: bool
) -> None:
    r = rule(platform)
    writer: Any = TemplateWriter() if condense_helps else _Verbose()

    out, out_tags, _notes = fit_output(writer, text, tags, r, VoiceGuide())

    assert count(compose(out, out_tags), r.counting) <= r.limit
    assert len(out_tags) <= r.hashtags_max


# -- the tools through the writer -------------------------------------------------------------------------


async def test_an_over_long_model_caption_is_condensed_by_the_model_once(studio: Studio) -> None:
    uid = _user(studio, "condense@example.com")
    model = ScriptedChatModel()
    model.structured = [
        {"caption": "Our oat latte is finally here and it is creamy. " * 12, "hashtags": ["oatlatte"]},
        {"text": "Our oat latte is here: creamy and ready. Try it?"},
    ]
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(studio, uid, write_caption, brief="a tweet about our oat latte", platform="x")

    assert view["text"] == "Our oat latte is here: creamy and ready. Try it?"
    assert view["length"] <= 280 and "Condensed by llm:tiny" in view["note"]
    assert "at most" in model.calls[1][-1].content and "(weighted counting)" in model.calls[1][-1].content


async def test_when_the_models_condensing_fails_the_template_condenses_and_trims(studio: Studio) -> None:
    uid = _user(studio, "trim@example.com")
    model = ScriptedChatModel()
    model.structured = [{"caption": "Creamy oat latte " * 40, "hashtags": []}, ValueError("bad json")]
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(studio, uid, write_caption, brief="a tweet about our oat latte", platform="x")

    assert count(view["text"], "weighted") <= 280 and view["text"].endswith("…")
    assert "Condensed by template" in view["note"]  # the model failed: the template writer condensed


async def test_a_scripts_caption_fits_its_platform(studio: Studio) -> None:
    uid = _user(studio, "script@example.com")
    model = ScriptedChatModel()
    model.structured = [
        {
            "hook": "Oat latte, creamy.",
            "beats": [{"start_s": 0, "end_s": 3, "line": "It is creamy.", "visual": "cup"}],
            "cta": "Come by.",
            "caption": "A very long caption about our oat latte. " * 80,
            "hashtags": ["oatlatte", "coffee", "latte", "cafe", "brunch", "morning", "extra"],
        },
        {"text": "Our oat latte is creamy. Come by?"},
    ]
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(
        studio, uid, write_script, transcript="We launch our oat latte. It is creamy.", platform="tiktok"
    )

    assert view["script"]["caption"] == "Our oat latte is creamy. Come by?"
    assert len(view["script"]["hashtags"]) <= rule("tiktok").hashtags_max


async def test_rewrite_tone_saves_a_new_draft_in_the_variant_group(studio: Studio) -> None:
    uid = _user(studio, "tone@example.com")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(
            session, user_id=uid, platform="linkedin", text="We are open. It is warm inside."
        )

    _, view = _run(studio, uid, rewrite_tone, tone="casual", draft_id=draft.id)
    _, nothing = _run(studio, uid, rewrite_tone, tone="casual", text="Hi there, friends.", platform="x")

    assert view["type"] == "draft" and view["text"] == "We're open. It's warm inside."
    with session_scope(studio.services.engine) as session:
        original = repo.get_draft(session, user_id=uid, draft_id=draft.id or 0)
        saved = repo.get_draft(session, user_id=uid, draft_id=view["id"])
        assert original.text == "We are open. It is warm inside."
        assert saved.variant_group == original.variant_group == f"draft-{draft.id}"
    assert nothing["type"] == "notice" and "nothing to change" in nothing["reply"]


async def test_alt_text_for_an_image_is_written_and_stored(settings: Any, tmp_path: Path) -> None:
    image = tmp_path / "latte.png"
    Image.new("RGB", (600, 400), (120, 80, 50)).save(image)
    async with Studio.open(settings, checkpointer=InMemorySaver()) as studio:
        studio.services.vision = FakeVision([("coffee", 0.9), ("cafe", 0.7)], text="OAT LATTE")
        uid, other = _user(studio, "alt@example.com"), _user(studio, "other@example.com")
        with session_scope(studio.services.engine) as session:
            asset = asset_repo.create_asset(
                session,
                user_id=uid,
                sha256="b" * 64,
                kind="image",
                mime="image/png",
                filename="latte.png",
                size_bytes=image.stat().st_size,
                storage_path=str(image),
            )
        _, art = _run(studio, uid, write_alt_text, asset_id=asset.id)
        _, hidden = _run(studio, other, write_alt_text, asset_id=asset.id)
        with session_scope(studio.services.engine) as session:
            stored = asset_repo.get_asset(session, user_id=uid, asset_id=asset.id or 0).meta["alt_text"]

    assert art["type"] == "alt_text" and "coffee" in art["alt_text"].lower()
    assert "“OAT LATTE”" in art["alt_text"] and len(art["alt_text"]) <= 250
    assert stored == {"text": art["alt_text"], "writer": "template"}
    assert hidden["type"] == "error"


@pytest.mark.parametrize(
    ("text", "tone"),
    [
        ("rewrite this more casual", "casual"),
        ("make it sound more professional", "professional"),
        ("rewrite draft 2 in a warm, witty tone", "warm, witty"),
        ("rewrite draft 4 less formal", "casual"),
        ("make draft #5 friendlier", "friendly"),
    ],
)
def test_the_rules_planner_routes_tone_rewrites(text: str, tone: str) -> None:
    assert content_intent(text) == "tone" and tone_of(text) == tone
    calls, _ = content_calls(
        "tone", text, platforms=["x"], assets=[], latest_draft=lambda: 1, latest_visual_asset=lambda: None
    )
    assert calls[0]["name"] == "rewrite_tone" and calls[0]["args"]["tone"] == tone


def test_the_rules_planner_routes_alt_text_to_the_turns_images_or_the_latest() -> None:
    assert content_intent("alt text for this image") == "alt_text"
    with_upload, _ = content_calls(
        "alt_text",
        "alt text for this image",
        platforms=["x"],
        assets=[{"id": 4, "kind": "image"}, {"id": 5, "kind": "audio"}],
        latest_draft=lambda: None,
        latest_visual_asset=lambda: 2,
    )
    latest, _ = content_calls(
        "alt_text",
        "write alt text please",
        platforms=["x"],
        assets=[],
        latest_draft=lambda: None,
        latest_visual_asset=lambda: 2,
    )
    none, question = content_calls(
        "alt_text",
        "alt text",
        platforms=["x"],
        assets=[],
        latest_draft=lambda: None,
        latest_visual_asset=lambda: None,
    )

    assert [c["args"] for c in with_upload] == [{"asset_id": 4}]
    assert [c["args"] for c in latest] == [{"asset_id": 2}]
    assert none == [] and "Attach the image" in question


@pytest.mark.parametrize(
    "text",
    [
        "write a thread about our launch",
        "make a caption about our fun run",
        "improve draft #3",
        "what are my rules",
    ],
)
def test_other_requests_are_not_content_intents(text: str) -> None:
    assert content_intent(text) is None


async def test_a_shortened_script_caption_that_adds_an_offer_is_cut_instead(studio: Studio) -> None:
    uid = _user(studio, "offer@example.com")
    model = ScriptedChatModel()
    model.structured = [
        {
            "hook": "Oat latte, creamy.",
            "beats": [{"start_s": 0, "end_s": 3, "line": "It is creamy.", "visual": "cup"}],
            "cta": "Come by.",
            "caption": "A very long caption about our creamy oat latte. " * 80,
            "hashtags": ["oatlatte"],
        },
        {"text": "Our oat latte, free this weekend. Come by?"},  # the shortening invents an offer
    ]
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(
        studio, uid, write_script, transcript="We launch our oat latte. It is creamy.", platform="tiktok"
    )

    caption = view["script"]["caption"]
    assert "free" not in caption.lower() and "weekend" not in caption.lower()
    assert "creamy oat latte" in caption and len(caption) <= 2200
