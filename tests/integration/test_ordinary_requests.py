"""The requests a new user types in the first minute, through `studio ask --json` as a real process on the
embedded defaults (the template writer here: no model is started), read as a creator reads a draft before
posting it: the count asked, the language, no instruction words, the hashtags asked, nothing invented, and
emoji that fit or none."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from agent.content.emoji import unfit_emoji
from agent.content.grounding import unsupported_facts
from agent.content.text import emoji_clusters
from agent.content.writers.template import sentences_for
from tests.integration.test_cli import ask_json

pytestmark = pytest.mark.integration


def grounded(draft: dict[str, Any], request: str) -> None:
    """Nothing in the draft that the request does not say; every emoji depicts something it talks about."""
    post = f"{draft['text']} {' '.join(draft['hashtags'])}"
    assert unsupported_facts(draft["text"], request) == [], draft["text"]
    assert unfit_emoji(post, request) == [], draft["text"]
    assert {"facts", "emoji fit", "no instruction echo"} <= set(draft["checks"]), draft


def test_three_different_tiktok_captions_about_vegan_donuts(data_dir: Path) -> None:
    request = "give me 3 different TikTok captions about our vegan donuts"
    out = ask_json(data_dir, request)
    drafts = out["drafts"]
    assert [d["platform"] for d in drafts] == ["tiktok"] * 3
    assert len({d["text"] for d in drafts}) == 3  # three different captions, not one
    for d in drafts:
        grounded(d, request)
        assert "vegan donuts" in d["text"].lower()
        assert not {"🍟", "🍕"} & set(emoji_clusters(d["text"]))
        assert "episode" not in d["text"].lower() and "platform" not in d["text"].lower()


def test_translate_to_spanish_never_passes_english_off_as_spanish(data_dir: Path) -> None:
    out = ask_json(data_dir, "translate to Spanish: Fresh bread every morning at 7am. Come early!")
    assert out["tools"] == ["translate"]
    # without a model the studio says what it cannot do instead of returning the English text as a draft
    assert all("Fresh bread every morning" not in d["text"] for d in out["drafts"])
    assert "Spanish" in out["reply"] and "model" in out["reply"]


def test_a_spanish_request_gets_a_spanish_post_about_its_subject(data_dir: Path) -> None:
    request = "Escribe un post para Instagram sobre nuestro nuevo café con leche de avena"
    out = ask_json(data_dir, request)
    [draft] = out["drafts"]
    assert draft["platform"] == "instagram" and draft["language"] == "es"
    assert "café con leche de avena" in draft["text"]
    assert "escribe un post" not in draft["text"].lower() and "a closer look" not in draft["text"].lower()
    spanish = sentences_for("es")
    assert any(cta in draft["text"] for cta in spanish["cta"]), draft["text"]
    grounded(draft, request)


def test_a_french_request_gets_a_french_caption_without_the_instruction(data_dir: Path) -> None:
    request = "écris une légende Instagram sur nos croissants au beurre"
    out = ask_json(data_dir, request)
    [draft] = out["drafts"]
    assert draft["language"] == "fr" and "croissants au beurre" in draft["text"]
    assert "légende instagram" not in draft["text"].lower() and "écris" not in draft["text"].lower()
    assert "🥐" in draft["text"] or not emoji_clusters(draft["text"])
    grounded(draft, request)


def test_a_playful_cold_brew_caption_with_exactly_five_hashtags(data_dir: Path) -> None:
    request = "write a playful Instagram caption for our new cold brew, with 5 hashtags"
    out = ask_json(data_dir, request)
    [draft] = out["drafts"]
    assert len(draft["hashtags"]) == 5 and "hashtag count" in draft["checks"]
    assert not {"hashtags", "brewhashtags"} & {t.lower() for t in draft["hashtags"]}
    assert "hashtags" not in draft["text"].lower() and "with 5" not in draft["text"]
    assert "holiday" not in draft["text"].lower() and "🍞" not in draft["text"]
    grounded(draft, request)


def test_a_workshop_request_keeps_its_facts_word_for_word(data_dir: Path) -> None:
    request = "Latte art workshop on Thursday at six, $20, two drinks and a pastry. Write an Instagram post about it"
    out = ask_json(data_dir, request)
    [draft] = out["drafts"]
    for fact in ("Thursday at six", "$20", "two drinks and a pastry"):
        assert fact in draft["text"]
    assert "write an instagram post" not in draft["text"].lower()
    grounded(draft, request)


def test_a_request_outside_content_work_gets_a_short_answer_and_no_draft(data_dir: Path) -> None:
    out = ask_json(data_dir, "what's the weather in Paris tomorrow?")
    assert out["drafts"] == [] and out["tools"] == []
    assert "outside what I do" in out["reply"] and "captions" in out["reply"]


LISBON = (
    "Our Lisbon office opens May 3 with 40 desks and a rooftop terrace. Free coffee for visitors all week, and "
    "guided tours at 10am and 3pm daily. We're hiring 5 engineers and 2 designers; apply at "
    "lisbon.example.com/jobs before May 20. Come say hi at Rua Augusta 12, we'd love to meet you."
)


def test_a_post_written_out_for_x_becomes_a_thread_that_keeps_every_word(data_dir: Path) -> None:
    out = ask_json(data_dir, f"write a tweet: {LISBON}")
    [draft] = out["drafts"]
    assert draft["kind"] == "thread" and len(draft["thread_posts"]) == 2, draft
    assert all(len(p) <= 280 for p in draft["thread_posts"])
    joined = " ".join(draft["thread_posts"])
    for fact in ("May 3", "40 desks", "10am and 3pm", "lisbon.example.com/jobs", "May 20", "Rua Augusta 12"):
        assert fact in joined
    assert "write" not in joined.lower() and joined.count("Our Lisbon office opens May 3") == 1
    assert not any(
        p.split(" ")[0].startswith("#") for p in draft["thread_posts"]
    )  # no post of hashtags alone
    posts = [re.sub(r" \d+/\d+$", "", p) for p in draft["thread_posts"]]  # the numbering is no fact
    grounded({**draft, "text": "\n\n".join(posts)}, f"write a tweet: {LISBON}")


def test_a_post_that_fits_one_bluesky_post_keeps_its_words_and_only_the_hashtags_that_fit(
    data_dir: Path,
) -> None:
    out = ask_json(data_dir, f"write a bluesky post: {LISBON}")
    [draft] = out["drafts"]
    assert draft["kind"] == "caption" and draft["length"] <= draft["limit"] == 300
    assert "we'd love to meet you" in draft["text"] and "…" not in draft["text"]  # nothing trimmed for tags


def test_a_linkedin_post_is_long_form_and_an_emoji_never_comes_from_part_of_a_word(data_dir: Path) -> None:
    request = (
        "write a LinkedIn post: We just closed our seed round of 2 million euros led by Atlantic Ventures. "
        "The money goes into our Porto lab. We are hiring 4 engineers."
    )
    [draft] = ask_json(data_dir, request)["drafts"]
    assert draft["text"].count("\n\n") >= 3, draft["text"]  # a short paragraph per sentence
    assert "💍" not in draft["text"]  # "ring" is in "hiring", not in the post's subject
    assert not any(t.lower() in {"eurosled", "led", "closed"} for t in draft["hashtags"]), draft["hashtags"]
    grounded(draft, request)


def test_a_chatty_ask_is_not_quoted_and_a_youtube_title_names_the_video(data_dir: Path) -> None:
    request = "hey can u help me get the word out about our soy candle restock this thursday? 15% off till sunday. ig"
    [draft] = ask_json(data_dir, request)["drafts"]
    assert "help" not in draft["text"].lower() and "15% off till sunday" in draft["text"], draft["text"]
    assert not {t.lower() for t in draft["hashtags"]} & {"thursday", "sunday", "thursdaysunday"}
    grounded(draft, request)
    request = "youtube title and description for my video on restoring a 1970s Peugeot bike in 3 hours"
    [video] = ask_json(data_dir, request)["drafts"]
    assert "title and description" not in f"{video['title']} {video['text']}".lower(), video
    assert "restoring a 1970s Peugeot bike" in video["title"]
    grounded(video, request)


def test_a_thread_asked_for_a_numbered_list_has_one_post_per_item(data_dir: Path) -> None:
    request = (
        "x thread: 5 things we learned shipping our app Tidy. 1. Ship small. 2. Talk to users weekly. "
        "3. Fix onboarding first. 4. Write changelogs people read. 5. Say no to most feature requests."
    )
    [draft] = ask_json(data_dir, request)["drafts"]
    assert draft["kind"] == "thread" and len(draft["thread_posts"]) == 6, draft
    assert draft["thread_posts"][2] == "2. Talk to users weekly. 3/6"


def test_a_request_without_cue_words_is_routed_by_meaning_not_taken_for_a_post(data_dir: Path) -> None:
    first = ask_json(data_dir, "write an instagram caption about our oat latte")
    draft_id = first["drafts"][0]["id"]
    out = ask_json(data_dir, f"honest opinion on draft {draft_id}?")
    assert out["tools"] == ["score_post"] and out["drafts"] == [], out
    assert list((data_dir / "cache" / "routing").glob("routing-*.npy"))  # the examples, embedded once
    off = ask_json(data_dir, f"honest opinion on draft {draft_id}?", STUDIO_SEMANTIC_ROUTING="false")
    assert off["tools"] != ["score_post"]  # without routing the same words were read as a new post
