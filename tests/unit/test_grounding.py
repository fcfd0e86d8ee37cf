"""Reading drafts the way a creator would: what the grounding checks and the template writer got wrong when
real requests were run through `studio ask --json`."""

from __future__ import annotations

from agent.content.grounding import unsupported_facts
from agent.content.text import sentences
from agent.content.understand import facts_in
from agent.content.writers.base import CaptionRequest, VoiceGuide
from agent.content.writers.quality import echoed_instruction
from agent.content.writers.template import TemplateWriter
from agent.services.drafting import details_of
from prompts.platforms import rule


def test_a_german_ordinal_date_does_not_end_a_sentence() -> None:
    assert sentences("Eröffnung am 3. März. Folgen Sie uns.") == ["Eröffnung am 3. März.", "Folgen Sie uns."]
    assert sentences("Open till 7. Come early!") == ["Open till 7.", "Come early!"]


def test_a_formal_german_call_to_action_states_no_name_and_no_claim() -> None:
    cta = "Folgen Sie uns für weitere Updates."
    assert [f.text for f in facts_in(cta) if f.kind == "name"] == []
    assert unsupported_facts(cta, "Schreib einen LinkedIn-Post über unsere neue Filiale in Köln") == []


def test_the_requests_instruction_is_not_quoted_as_its_details() -> None:
    assert details_of("can you do 2 tweets about our matcha latte, no emojis") == ""
    assert (
        details_of("need an insta caption for our class this Saturday at 10am, 45 dollars") == "45 dollars."
    )


def test_template_hashtags_are_words_and_a_hook_ends_before_its_call_to_action() -> None:
    request = CaptionRequest.for_platform(
        rule("x"),
        brief="2 tweets about our sourdough class, 45 dollars, no emojis",
        subject="our sourdough class this Saturday at 10am",
        voice=VoiceGuide(emoji_allowed=False),
    ).model_copy(update={"facts": ["45 dollars", "10am", "Saturday"], "hashtags_exact": 4})
    for variant in range(5):
        out = TemplateWriter().caption(request.model_copy(update={"variant": variant}))
        assert not any(ch.isdigit() for tag in out.hashtags for ch in tag), out.hashtags
        assert "dollars" not in {t.lower() for t in out.hashtags}
        assert "class this Saturday at 10am " not in out.text, (
            out.text
        )  # "…10am. Who's in?", not "…10am Who's in?"


def test_a_subject_after_a_question_starts_a_sentence() -> None:
    request = CaptionRequest.for_platform(
        rule("tiktok"),
        brief="a funny tiktok caption",
        subject="our dog grooming salon",
        voice=VoiceGuide(tone="funny"),
    )
    texts = [TemplateWriter().caption(request.model_copy(update={"variant": v})).text for v in range(5)]
    assert any("? Our dog grooming salon" in t for t in texts)
    assert not any("? our dog grooming salon" in t for t in texts)


def test_the_ask_is_not_quoted_and_a_short_side_clause_is() -> None:
    request = (
        "hey can u help me get the word out about our soy candle restock this thursday? 15% off till sunday"
    )
    details = details_of(request)
    assert details.startswith("Our soy candle restock this thursday") and "help" not in details
    spanish = details_of(
        "un post sobre nuestro taller el sábado a las 11h, 35 €, plazas limitadas, tono divertido"
    )
    assert "plazas limitadas" in spanish and "tono" not in spanish
    assert "keep it short" not in details_of("a caption for our cold brew, $4.50 all week, keep it short")
    assert echoed_instruction("Hey can u help me get the word out about our candles") is not None
    assert echoed_instruction("A closer look at title and description for my video") is not None


def test_dates_and_durations_make_no_hashtags() -> None:
    request = CaptionRequest.for_platform(
        rule("instagram"), brief="", subject="our soy candle restock this thursday in 3 hours"
    ).model_copy(update={"facts": ["this thursday", "sunday"]})
    tags = TemplateWriter().caption(request).hashtags
    assert not {t.lower() for t in tags} & {"thursday", "sunday", "thursdaysunday", "hours"}, tags
    assert "candle" in {t.lower() for t in tags}, tags
