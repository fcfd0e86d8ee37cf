"""Reading drafts the way a creator would: what the grounding checks and the template writer got wrong when
real requests were run through `studio ask --json`."""

from __future__ import annotations

from agent.content.briefs import detect_platforms
from agent.content.emoji import fitting_emoji
from agent.content.grounding import unsupported_facts
from agent.content.text import emoji_clusters, sentences
from agent.content.understand import facts_in, guess_language, parse
from agent.content.writers.base import CaptionRequest, VoiceGuide
from agent.content.writers.quality import echoed_instruction
from agent.content.writers.template import TemplateWriter
from agent.content.writers.words import hashtags_for
from agent.graph.planning.content_intents import content_calls
from agent.services.drafting import Drafted, caption_request, details_of, without_instruction, write_caption
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


def _draft(request_text: str, platform: str) -> Drafted:
    """The template draft the studio would show for a request (the write_caption pipeline without a database)."""
    brief = parse(request_text)
    r = rule(platform)
    voice = VoiceGuide(language=brief.language or "en", emoji_allowed=brief.constraints.emoji is not False)
    request = caption_request(r, brief, request=request_text, subject=brief.subject, voice=voice)
    return write_caption(TemplateWriter(), request, r, constraints=brief.constraints, sources=request_text)


def test_a_capitalised_word_after_a_line_break_is_not_part_of_a_name() -> None:
    """The fact check read "Hof\n\nWas" (the subject's last word and the call to action's first) as a name the
    request never gave, and cut the post down to "Sag es uns unten."."""
    assert "Hof Was" not in {f.text for f in facts_in("Alles über den Flohmarkt im Hof\n\nWas meinst du?")}
    drafted = _draft(
        "mach einen Instagram-Post über unseren Flohmarkt am Samstag ab 10 Uhr im Hof", "instagram"
    )
    assert "Flohmarkt am Samstag ab 10 Uhr im Hof" in drafted.text and not drafted.failed


def test_a_subject_that_is_a_statement_is_said_as_one() -> None:
    drafted = _draft(
        "need a linkedin post announcing that Maria Lopez joins us as head of sales on March 3", "linkedin"
    )
    assert "Maria Lopez joins us as head of sales on March 3" in drafted.text
    assert "that Maria" not in drafted.text and "Introducing" not in drafted.text
    assert "MariaLopez" in drafted.hashtags and not {"Ashead", "Headsales"} & set(drafted.hashtags)
    assert not {"🛍", "🛍️", "🏷", "🏷️"} & set(emoji_clusters(drafted.text))  # head of sales is no sale


def test_an_ask_read_as_the_subject_is_cut_before_the_draft_is_shown() -> None:
    drafted = _draft(
        "fais un post instagram pour annoncer qu'on ouvre une deuxième boutique à Lyon le 3 mai", "instagram"
    )
    assert "ouvre une deuxième boutique à Lyon le 3 mai" in drafted.text
    assert "fais un post" not in drafted.text.lower() and "no instruction echo" in drafted.passed
    assert without_instruction("write a post") == ""


def test_hashtags_join_only_words_that_stand_together() -> None:
    tags = hashtags_for("unseren Flohmarkt am ab im Hof", 3, VoiceGuide())
    assert "abhof" not in tags and "flohmarkt" in tags
    assert hashtags_for("our handmade ceramic mugs", 3, VoiceGuide())[0] == "ceramicmugs"
    assert not {"quon", "quonouvre"} & set(hashtags_for("qu'on ouvre une boutique à Lyon", 3, VoiceGuide()))
    assert "für" not in hashtags_for("ein Post für unseren Laden über Kerzen", 4, VoiceGuide())


def test_handmade_ceramics_get_no_yarn_and_a_tuit_is_for_x() -> None:
    assert "🧶" not in fitting_emoji("our handmade ceramic mugs")
    assert detect_platforms("Escribe un tuit sobre nuestra oferta") == ["x"]


def test_a_matcha_dessert_gets_no_football_and_an_italian_note_is_read_as_italian() -> None:
    assert "⚽" not in fitting_emoji("3 tiktok captions for our new matcha tiramisu, playful", limit=3)
    assert guess_language("sabato 14 giugno apriamo la terrazza, aperitivo dalle 18 alle 21") == "it"
    assert "hit" not in hashtags_for("we just hit 10,000 customers", 3, VoiceGuide())


def test_a_new_thread_asks_for_its_points_instead_of_splitting_some_draft() -> None:
    asked: list[bool] = []

    def latest() -> int:
        asked.append(True)
        return 7

    calls, reply = content_calls(
        "thread",
        "write a thread on X about 5 lessons from running a small bakery",
        platforms=["x"],
        assets=[],
        latest_draft=latest,
        latest_visual_asset=lambda: None,
    )
    assert calls == [] and not asked  # the latest draft is not split into a thread behind the user's back
    assert "5 lessons from running a small bakery" in reply and "don't make up" in reply
    calls, _ = content_calls(
        "thread",
        "split draft #4 into a thread",
        platforms=["x"],
        assets=[],
        latest_draft=latest,
        latest_visual_asset=lambda: None,
    )
    assert calls[0]["name"] == "split_thread" and calls[0]["args"]["draft_id"] == 4


def test_an_ask_read_as_the_subject_is_cut_before_a_repair_can_leave_only_the_call_to_action() -> None:
    """German nouns are capitalised: the hook "Ein Blick auf schreib einen Instagram-Beitrag …" failed the fact
    check too, and the repair dropped the whole sentence, leaving "Speicher dir das für später." as the post."""
    drafted = _draft(
        "schreib einen Instagram-Beitrag um unseren Hofladen am Samstag ab 9 Uhr anzukündigen", "instagram"
    )
    assert "unseren Hofladen am Samstag ab 9 Uhr" in drafted.text
    assert "schreib einen" not in drafted.text.lower() and "no instruction echo" in drafted.passed
    assert (
        without_instruction("schreib einen Beitrag um unseren Flohmarkt anzukündigen") == "unseren Flohmarkt"
    )
