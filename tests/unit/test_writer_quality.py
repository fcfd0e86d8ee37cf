"""What a model caption must pass before it is used: no copied instructions, hashtags in their list."""

from __future__ import annotations

import pytest

from agent.content.writers.base import CaptionRequest
from agent.content.writers.quality import echoed_instruction, refusal, tidy_hashtags
from agent.services.llm_writer import LLMWriter
from tests.fakes.chat_model import ScriptedChatModel


def request(**kw: object) -> CaptionRequest:
    base = dict(
        brief="announce our oat latte launch in all stores next week",
        subject="oat latte launch",
        platform="instagram",
        platform_label="Instagram",
        limit=2200,
        hashtags_norm=5,
        hashtags_max=5,
        style="warm, line breaks, emoji welcome",
    )
    base.update(kw)
    return CaptionRequest(**base)  # type: ignore[arg-type]


def test_copied_instructions_style_or_brief_are_caught() -> None:
    assert echoed_instruction("Brief: oat latte is here", brief="x") == "brief:"
    assert echoed_instruction(
        "Oat latte! Warm, line breaks, emoji welcome.", style="warm, line breaks, emoji welcome"
    )
    long_brief = "announce our oat latte launch in all stores next week"
    assert echoed_instruction(f"We {long_brief.upper()}!", brief=long_brief) == long_brief
    assert (
        echoed_instruction("Oat latte lands in every store next week.", brief=long_brief, style="warm")
        is None
    )


def test_hashtags_written_into_the_caption_move_to_the_list() -> None:
    text, tags = tidy_hashtags("Meet our #oatlatte, creamy and new.\n\n#oatlatte #coffee #2024", ["OatLatte"])
    assert text == "Meet our oatlatte, creamy and new."
    assert tags == ["OatLatte", "coffee"]  # duplicates (any case) and numeric tags dropped
    assert tidy_hashtags("Just #coffee here", []) == ("Just #coffee here", [])  # an inline tag stays a tag


def test_a_model_caption_that_copies_its_prompt_falls_back_to_the_template_writer() -> None:
    model = ScriptedChatModel()
    model.structured = [{"caption": "Platform style: warm. Our oat latte is here", "hashtags": ["oatlatte"]}]
    result = LLMWriter(model, "tiny").caption(request())
    assert result.writer == "template" and "copies the prompt" in (result.fallback_reason or "")


def test_a_clean_model_caption_is_kept_with_its_hashtags_tidied() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {"caption": "Oat latte, everywhere, next week. #oatlatte #new", "hashtags": ["oatlatte"]}
    ]
    result = LLMWriter(model, "tiny").caption(request())
    assert result.writer == "llm:tiny" and result.fallback_reason is None
    assert (result.text, result.hashtags) == ("Oat latte, everywhere, next week.", ["oatlatte", "new"])


@pytest.mark.parametrize(
    ("text", "declines"),
    [
        ("I'm sorry, but I can't see that photo. Could you describe it?", True),
        ("Sorry, I cannot help with that.", True),
        ("I can't assist with that request.", True),
        ("As an AI, I don't have opinions.", True),
        ("I am unable to view images.", True),
        ("I can't wait for you to try our oat latte ☕", False),
        ("Sorry we missed you on Saturday! The market is back next week.", False),
        ("We're sorry to see summer go, so the sale runs one more day.", False),
    ],
)
def test_a_refusal_is_told_from_a_caption(text: str, declines: bool) -> None:
    assert refusal(text) is declines
