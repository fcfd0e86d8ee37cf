"""Prompt templates, platform rules and the counting rules that keep a post within its platform's limit."""

from __future__ import annotations

import re
from typing import Any

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

import prompts
from agent.content.writers.base import (
    AltTextRequest,
    CaptionRequest,
    HashtagRequest,
    ImproveRequest,
    ScriptRequest,
    SummaryRequest,
    ThreadRequest,
    TimedText,
    ToneRequest,
    TranslateRequest,
    VariantsRequest,
    VoiceGuide,
)
from agent.core.models import BrandProfile
from agent.core.settings import KNOWN_PLATFORMS
from prompts.counting import X_URL_WEIGHT, count, fits, length_for, trim_to_limit
from prompts.platforms import platform_names, platform_rules, resolve_platform, rule

# -- templates ---------------------------------------------------------------------------------------


def _variables(name: str) -> dict[str, Any]:
    """Realistic values for every template; a new template without an entry here fails the test below."""
    x = rule("x")
    voice = VoiceGuide(
        brand_name="Bean There",
        tone="warm and witty",
        audience="commuters",
        emoji_allowed=False,
        banned_words=["cheap", "synergy"],
        example_posts=["Monday fuel, sorted."],
        rules=["never use exclamation marks"],
    )
    profile = BrandProfile(
        user_id="u1",
        brand_name="Bean There",
        tone="warm and witty",
        audience="commuters",
        timezone="Europe/Berlin",
        emoji_policy="none",
        banned_words=["cheap"],
    )
    draft = {
        "id": 41,
        "platform": "x",
        "platform_label": x.label,
        "text": "Say hello to our oat latte. Thoughts?",
        "hashtags": ["oatlatte", "coffee"],
        "length": 55,
        "limit": x.limit,
        "score": 0.82,
    }
    values: dict[str, dict[str, Any]] = {
        "caption": {
            "req": CaptionRequest(
                brief="write a tweet about our new oat latte",
                subject="our new oat latte",
                platform="x",
                platform_label=x.label,
                limit=x.limit,
                hashtags_norm=x.hashtags_norm,
                hashtags_max=x.hashtags_max,
                style=x.style,
                voice=voice,
            )
        },
        "hashtags": {"req": HashtagRequest(text="Our new oat latte is here", platform="instagram", count=5)},
        "help": {"example_draft_id": 7, "platforms": platform_names()},
        "out_of_scope": {"platforms": platform_names()},
        "reply_drafts": {"drafts": [draft, {**draft, "id": 42, "score": None}], "notes": ["Trimmed to fit."]},
        "system": {
            "today": "Monday 01 June 2026, 09:00",
            "profile": profile,
            "memories": ["we never use emojis on LinkedIn"],
            "platforms": ["x", "linkedin"],
        },
        "writer_system": {"voice": voice},
        "script": {
            "req": ScriptRequest(
                brief="turn this voice note into a reel script",
                transcript="Today we launch our oat latte. It is creamy.",
                segments=[
                    TimedText(start=0.0, end=2.5, text="Today we launch our oat latte."),
                    TimedText(start=2.5, end=4.0, text="It is creamy."),
                ],
                duration_s=4.2,
                platform="tiktok",
                platform_label="TikTok",
                visuals=["coffee cup", "latte art"],
                voice=voice,
            )
        },
        "split_thread": {
            "req": ThreadRequest(
                platform="bluesky",
                platform_label="Bluesky",
                limit=300,
                counting="graphemes",
                text="Our second bakery opens on Main Street. " * 12,
                max_posts=8,
                voice=voice,
            )
        },
        "rewrite_tone": {
            "req": ToneRequest(
                platform="linkedin",
                platform_label="LinkedIn",
                limit=3000,
                text="We are thrilled to announce our oat latte.",
                tone="casual",
                voice=voice,
            )
        },
        "translate": {
            "req": TranslateRequest(
                platform="x",
                platform_label="X",
                limit=280,
                counting="weighted",
                text="Our oat latte is here.",
                target_language="es",
                target_language_name="Spanish",
                source_language="en",
                voice=voice,
            )
        },
        "improve": {
            "req": ImproveRequest(
                platform="x",
                platform_label="X",
                limit=120,
                counting="weighted",
                text="A very long post about our oat latte that goes on and on.",
                goal="condense",
                suggestions=["Move the link to the end."],
                voice=voice,
            )
        },
        "alt_text": {
            "req": AltTextRequest(
                subject="a latte on a wooden table",
                labels=["coffee", "latte art"],
                ocr_text="OAT LATTE 4.50",
                draft_alt_text="A cup of coffee.",
                context="Say hello to our oat latte.",
                max_chars=200,
                language="de",
                voice=voice,
            )
        },
        "variants": {
            "req": VariantsRequest(
                platform="instagram",
                platform_label="Instagram",
                limit=2200,
                text="Our oat latte is here. Come try it.",
                hashtags=["oatlatte", "coffee"],
                n=4,
                voice=voice,
            )
        },
        "summary": {
            "req": SummaryRequest(
                text="Our bakery opens a second shop on Main Street.",
                title="Second shop",
                source="article",
                max_points=3,
                voice=voice,
            )
        },
    }
    return values[name]


# What each template must show of its input: proof the variables really reach the text.
_EXPECTED = {
    "caption": ["X post", "our new oat latte", "at most 280", "never more than 2"],
    "hashtags": ["Suggest 5 hashtags", "instagram", "Our new oat latte is here"],
    "help": ["approve draft #7", "instagram, linkedin, x"],
    "out_of_scope": ["outside what I do", "schedule and publish", "instagram, linkedin, x"],
    "reply_drafts": [
        "draft #41",
        "draft #42",
        "55/280",
        "score 0.82",
        "#oatlatte #coffee",
        "Trimmed to fit.",
    ],
    "system": ["Monday 01 June 2026", "Europe/Berlin", "x, linkedin", "Bean There", "banned words: cheap"],
    "writer_system": ["Tone: warm and witty", "Emoji: none at all", "cheap, synergy", "Monday fuel, sorted."],
    "script": [
        "TikTok",
        "reel script",
        "[0.0–2.5] Today we launch our oat latte.",
        "coffee cup, latte art",
        "4.2 seconds",
    ],
    "split_thread": ["thread for Bluesky", "within 300 characters (graphemes counting)", "at most 8 posts"],
    "rewrite_tone": ["LinkedIn post in a casual tone", "within 3000", "thrilled to announce"],
    "translate": ["from en into Spanish (es)", "within 280 characters (weighted", "Our oat latte is here."],
    "improve": ["too long", "at most 120 characters", "- Move the link to the end.", "goes on and on"],
    "alt_text": [
        "in de",
        "At most 200 characters",
        "a latte on a wooden table",
        "coffee, latte art",
        "OAT LATTE 4.50",
        "A cup of coffee.",
        "Say hello to our oat latte.",
    ],
    "variants": ["Write 4 A/B test variants", "Instagram", "Come try it.", "oatlatte coffee"],
    "summary": [
        "this article",
        "at most 3 key points",
        "Its title: Second shop",
        "second shop on Main Street",
    ],
}


def test_the_template_list_is_what_the_tests_know() -> None:
    assert set(prompts.template_names()) == set(_EXPECTED)


@pytest.mark.parametrize("name", prompts.template_names())
def test_every_template_renders_with_its_required_variables(name: str) -> None:
    variables = _variables(name)
    assert set(variables) == prompts.required_variables(name)

    text = prompts.render(name, **variables)

    assert text == text.strip()
    assert "{{" not in text and "{%" not in text
    assert "\n\n\n" not in text
    for fragment in _EXPECTED[name]:
        assert fragment in text


def test_the_draft_reply_leaves_out_an_absent_score() -> None:
    text = prompts.render("reply_drafts", **_variables("reply_drafts"))

    second = text[text.index("draft #42") :]
    assert "score" not in second.splitlines()[0]


def test_the_improvement_prompt_asks_to_improve_when_the_goal_is_not_condensing() -> None:
    req = _variables("improve")["req"].model_copy(update={"goal": "improve", "suggestions": []})

    text = prompts.render("improve", req=req)

    assert text.startswith("Improve this X post") and "too long" not in text and "suggestions" not in text


def test_the_writer_prompt_names_the_language_rules_and_banned_words() -> None:
    voice = VoiceGuide(
        language="es", banned_words=["cheap"], rules=["no exclamation marks", "fewer hashtags (≤2)"]
    )

    text = prompts.render("writer_system", voice=voice)

    assert "Write in Spanish (es)." in text
    assert "Never use these words: cheap." in text
    assert "- no exclamation marks" in text and "- fewer hashtags (≤2)" in text


def test_the_writer_prompt_follows_the_emoji_policy() -> None:
    voice = VoiceGuide(emoji_allowed=True)

    text = prompts.render("writer_system", voice=voice)

    assert "Emoji: a few" in text
    assert "none at all" not in text
    assert "Never use these words" not in text  # no banned words: no empty line about them


@pytest.mark.parametrize("name", prompts.template_names())
def test_render_refuses_each_missing_variable_by_name(name: str) -> None:
    variables = _variables(name)
    for missing in variables:
        given_vars = {k: v for k, v in variables.items() if k != missing}

        with pytest.raises(prompts.MissingVariable, match=re.escape(missing)):
            prompts.render(name, **given_vars)


def test_render_refuses_an_unknown_template() -> None:
    with pytest.raises(KeyError, match="no_such_template"):
        prompts.render("no_such_template")


# -- platform rules ----------------------------------------------------------------------------------


def test_platform_rules_load_for_every_platform_the_settings_accept() -> None:
    rules = platform_rules()

    assert set(rules) == set(KNOWN_PLATFORMS)
    for name, r in rules.items():
        assert r.name == name
        assert r.label
        assert r.limit > 0
        assert r.counting in {"chars", "graphemes", "weighted"}
        assert 0 < r.hashtags_norm <= r.hashtags_max
    assert (rules["x"].limit, rules["x"].counting) == (280, "weighted")
    assert (rules["bluesky"].limit, rules["bluesky"].counting) == (300, "graphemes")
    assert rules["youtube"].title_limit == 100


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("twitter", "x"),
        ("Twitter", "x"),
        ("tweet", "x"),
        ("ig", "instagram"),
        ("insta", "instagram"),
        (" Instagram ", "instagram"),
        ("bsky", "bluesky"),
        ("fb", "facebook"),
        ("LinkedIn", "linkedin"),
    ],
)
def test_aliases_resolve(name: str, canonical: str) -> None:
    assert resolve_platform(name) == canonical
    assert rule(name).name == canonical


@pytest.mark.parametrize("name", ["myspace", "", "x.com"])
def test_an_unknown_platform_raises_value_error(name: str) -> None:
    with pytest.raises(ValueError, match="Unknown platform"):
        rule(name)


# -- counting ----------------------------------------------------------------------------------------

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # one ZWJ family emoji


@pytest.mark.parametrize(
    ("text", "weight"),
    [
        ("hello world", 11),
        ("café", 4),
        ("https://example.com", X_URL_WEIGHT),
        ("https://t.co/a", X_URL_WEIGHT),
        ("https://example.com/" + "a" * 200, X_URL_WEIGHT),
        ("Read https://example.com/post?id=1 now", 5 + X_URL_WEIGHT + 4),
        ("http://a.io and https://b.io", X_URL_WEIGHT + 5 + X_URL_WEIGHT),
        ("😀", 2),
        ("☕", 2),
        ("👍🏽", 2),
        ("🇩🇪", 2),
        (FAMILY, 2),
        ("日本語", 6),
        ("コーヒー", 8),
        ("hi 😀 日本", 3 + 2 + 1 + 4),
    ],
)
def test_x_weighted_counting(text: str, weight: int) -> None:
    assert count(text, "weighted") == weight


def test_bluesky_counts_graphemes() -> None:
    assert count(FAMILY, "graphemes") == 1
    assert count("cafe\u0301", "graphemes") == 4  # e + combining accent is one grapheme
    assert count("🇩🇪 hi", "graphemes") == 4
    assert length_for(FAMILY, "bluesky") == 1
    assert length_for(FAMILY, "instagram") == len(FAMILY) == 7


def test_an_unknown_counting_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="bytes"):
        count("text", "bytes")


def test_fits_uses_each_platforms_own_rule() -> None:
    assert fits("a" * 280, "x")
    assert not fits("a" * 281, "twitter")
    assert not fits("日" * 141, "x")  # 282 weighted, though only 141 characters
    assert fits(FAMILY * 300, "bluesky")
    assert not fits(FAMILY * 301, "bluesky")


def test_trim_keeps_text_that_fits() -> None:
    assert trim_to_limit("short enough", 280, "weighted") == "short enough"


def test_trim_cuts_at_a_word_boundary() -> None:
    text = "The quick brown fox jumps over the lazy dog and keeps on running"

    out = trim_to_limit(text, 30, "chars")

    assert len(out) <= 30
    assert out.endswith("…")
    body = out.removesuffix("…")
    assert text.startswith(body)
    assert text[len(body)] == " "  # the cut falls between words, not inside one
    assert out == "The quick brown fox jumps…"


def test_trim_of_weighted_text_counts_cjk_double() -> None:
    out = trim_to_limit("日本語のテキスト " * 40, 280, "weighted")

    assert count(out, "weighted") <= 280
    assert len(out) < 280


_PIECES = st.sampled_from(
    [
        " ",
        "\n",
        "word",
        "café",
        "😀",
        "👍🏽",
        "🇩🇪",
        FAMILY,
        "☕",
        "✈️",
        "日本語",
        "コーヒー",
        "e\u0301",
        "https://example.com/a/very/long/path?query=1",
        "http://t.co/x",
        "https://",
        "…",
        ",",
        "—",
    ]
)
_TEXT = st.lists(st.one_of(_PIECES, st.text(max_size=12)), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    text=_TEXT,
    limit=st.integers(min_value=0, max_value=320),
    counting=st.sampled_from(["chars", "graphemes", "weighted"]),
)
def test_trim_never_returns_text_over_the_limit(text: str, limit: int, counting: str) -> None:
    out = trim_to_limit(text, limit, counting)

    assert count(out, counting) <= limit
    if count(text, counting) <= limit:
        assert out == text
    else:
        assert out == "" or out.endswith("…")
        assert text.startswith(out.removesuffix("…"))


@settings(max_examples=100, deadline=None)
@given(text=_TEXT)
def test_graphemes_never_count_more_than_code_points(text: str) -> None:
    assert count(text, "graphemes") == len(regex.findall(r"\X", text)) <= count(text, "chars")
