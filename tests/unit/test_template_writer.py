"""The deterministic template writer: within the limit, on brand, and the same answer for the same brief."""

from __future__ import annotations

import unicodedata

import pytest

from agent.content.writers.base import CaptionRequest, HashtagRequest, VoiceGuide
from agent.content.writers.template import TemplateWriter
from agent.content.writers.words import keywords
from prompts.counting import count
from prompts.platforms import platform_names, rule

SUBJECTS = [
    "our new oat latte",
    "the sunrise yoga class this Friday",
    "hiring our first data engineer",
    "our Series A funding round",
    "the summer sale on handmade ceramics",
]

MAX_SUBJECT = "our small-batch single-origin Ethiopian Yirgacheffe pour-over, roasted in-house every " * 4


def _request(platform: str, subject: str, voice: VoiceGuide | None = None, brief: str = "") -> CaptionRequest:
    r = rule(platform)
    return CaptionRequest(
        brief=brief or f"write a {r.label} post about {subject}",
        subject=subject,
        platform=r.name,
        platform_label=r.label,
        limit=r.limit,
        hashtags_norm=r.hashtags_norm,
        hashtags_max=r.hashtags_max,
        style=r.style,
        voice=voice or VoiceGuide(),
    )


def _posted(text: str, hashtags: list[str]) -> str:
    """The post as published: caption, a blank line, the hashtags."""
    return f"{text}\n\n" + " ".join(f"#{t}" for t in hashtags) if hashtags else text


def _emoji_code_points(text: str) -> list[str]:
    return [
        ch
        for ch in text
        if ord(ch) > 0xFFFF
        or 0x2600 <= ord(ch) <= 0x27BF
        or 0x2B00 <= ord(ch) <= 0x2BFF
        or ord(ch) in (0x200D, 0xFE0F)
        or unicodedata.category(ch) == "So"
    ]


@pytest.mark.parametrize("platform", platform_names())
@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_caption_with_its_hashtags_fits_the_platform(platform: str, subject: str) -> None:
    r = rule(platform)

    result = TemplateWriter().caption(_request(platform, subject))

    assert result.writer == "template"
    assert result.text.strip()
    assert count(_posted(result.text, result.hashtags), r.counting) <= r.limit


def test_a_caption_about_the_longest_subject_still_fits_every_platform() -> None:
    # write_caption hands the writer a subject of up to 300 characters; the writer promises to fit anyway.
    subject = MAX_SUBJECT[:300]
    over = {}

    for platform in platform_names():
        r = rule(platform)
        result = TemplateWriter().caption(_request(platform, subject))
        length = count(_posted(result.text, result.hashtags), r.counting)
        if length > r.limit:
            over[platform] = f"{length}/{r.limit}"

    assert over == {}


@pytest.mark.parametrize("platform", platform_names())
@pytest.mark.parametrize("subject", SUBJECTS)
def test_hashtags_are_unique_clean_and_within_the_platform_maximum(platform: str, subject: str) -> None:
    r = rule(platform)

    tags = TemplateWriter().caption(_request(platform, subject)).hashtags

    assert tags
    assert len(tags) <= r.hashtags_max
    assert len({t.lower() for t in tags}) == len(tags)
    for tag in tags:
        assert not tag.startswith("#")
        assert tag.replace("_", "").isalnum()


@pytest.mark.parametrize("platform", platform_names())
@pytest.mark.parametrize(
    "subject", ["our new coffee launch", "the summer travel sale", "our cake and tea bar"]
)
def test_no_emoji_when_the_voice_forbids_them(platform: str, subject: str) -> None:
    voice = VoiceGuide(emoji_allowed=False)

    result = TemplateWriter().caption(_request(platform, subject, voice, brief=f"announce {subject}"))

    assert _emoji_code_points(result.text) == []
    assert all(_emoji_code_points(t) == [] for t in result.hashtags)


def test_no_emoji_even_when_the_brief_has_them_and_the_voice_forbids_them() -> None:
    voice = VoiceGuide(emoji_allowed=False)
    subject = "our oat latte \u2615 and fresh cake \U0001f370"
    leaked = {}

    for platform in platform_names():
        result = TemplateWriter().caption(
            _request(platform, subject, voice, brief=f"announce {subject} \U0001f680")
        )
        if _emoji_code_points(result.text):
            leaked[platform] = result.text

    assert leaked == {}


def test_emoji_appear_when_allowed() -> None:
    result = TemplateWriter().caption(_request("instagram", "our new coffee launch"))

    assert _emoji_code_points(result.text)


@pytest.mark.parametrize("platform", platform_names())
def test_banned_words_never_appear_in_text_or_hashtags(platform: str) -> None:
    banned = ["Coffee", "amazing", "comments", "try"]
    voice = VoiceGuide(banned_words=banned)

    result = TemplateWriter().caption(
        _request(platform, "our amazing new coffee and oat latte", voice, brief="announce our amazing coffee")
    )

    lowered_text = result.text.lower()
    for word in banned:
        assert word.lower() not in keywords(lowered_text)
        assert all(word.lower() not in tag.lower() for tag in result.hashtags)
    assert "latte" in lowered_text


@pytest.mark.parametrize("platform", platform_names())
@pytest.mark.parametrize("subject", SUBJECTS)
def test_the_caption_mentions_the_subject(platform: str, subject: str) -> None:
    result = TemplateWriter().caption(_request(platform, subject))

    assert subject.lower() in result.text.lower()


@pytest.mark.parametrize("platform", platform_names())
def test_the_same_request_gives_the_same_draft(platform: str) -> None:
    voice = VoiceGuide(audience="commuters", banned_words=["cheap"])

    first = TemplateWriter().caption(_request(platform, "our new oat latte", voice))
    second = TemplateWriter().caption(_request(platform, "our new oat latte", voice))

    assert first == second


def test_different_subjects_give_different_drafts() -> None:
    first = TemplateWriter().caption(_request("instagram", "our new oat latte"))
    second = TemplateWriter().caption(_request("instagram", "the sunrise yoga class"))

    assert first.text != second.text
    assert first.hashtags != second.hashtags


def test_a_learned_rule_against_exclamation_marks_is_followed() -> None:
    voice = VoiceGuide(rules=["never use exclamation marks"])

    for platform in platform_names():
        result = TemplateWriter().caption(_request(platform, "our grand opening!", voice))
        assert "!" not in result.text


def test_hashtags_request_respects_count_banned_words_and_uniqueness() -> None:
    voice = VoiceGuide(banned_words=["coffee"])

    result = TemplateWriter().hashtags(
        HashtagRequest(
            text="Our new oat latte with coffee from Ethiopia", platform="instagram", count=4, voice=voice
        )
    )

    assert 0 < len(result.hashtags) <= 4
    assert len({t.lower() for t in result.hashtags}) == len(result.hashtags)
    assert all("coffee" not in t.lower() for t in result.hashtags)


def test_no_hashtags_when_none_are_wanted() -> None:
    result = TemplateWriter().hashtags(HashtagRequest(text="Our new oat latte", platform="x", count=0))

    assert result.hashtags == []
