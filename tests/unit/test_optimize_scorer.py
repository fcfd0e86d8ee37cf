"""score_post: factors move the score the right way, the breakdown adds up, the rules are data."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.content import text as tx
from agent.content.fitting import compose
from agent.content.optimize.config import FACTORS, scoring_config
from agent.content.optimize.scorer import score_post
from prompts.counting import count
from prompts.platforms import platform_names, rule

BODY = "We roast every batch ourselves and the oat milk comes from a farm up the road."
PLATFORMS = platform_names()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_adding_a_hook_raises_the_score(platform: str) -> None:
    plain = f"{BODY} It is available from Monday in all of our shops across the city and online."
    hooked = f"Have you tried our new oat latte?\n\n{plain}"
    assert score_post(hooked, [], platform).total > score_post(plain, [], platform).total
    assert (
        score_post(hooked, [], platform).factor("hook").value
        > score_post(plain, [], platform).factor("hook").value
    )


@pytest.mark.parametrize("platform", PLATFORMS)
def test_adding_a_call_to_action_raises_the_score(platform: str) -> None:
    with_cta = f"{BODY}\n\nTell us what you think in the comments."
    assert score_post(with_cta, [], platform).total > score_post(BODY, [], platform).total
    assert score_post(with_cta, [], platform).factor("cta").value == 1.0
    assert score_post(BODY, [], platform).factor("cta").value == 0.0


@pytest.mark.parametrize("platform", PLATFORMS)
def test_exceeding_the_hashtag_norm_lowers_the_score(platform: str) -> None:
    norm = rule(platform).hashtags_norm
    tags = ["coffee", "oatlatte", "latte", "oatmilk", "cafe", "barista", "plantbased", "coffeetime"]
    at_norm = score_post(BODY, tags[:norm], platform)
    over = score_post(BODY, tags[: norm + 2], platform)
    assert over.total < at_norm.total
    assert at_norm.factor("hashtags").value == 1.0
    assert any("Cut 2 hashtag" in s for s in over.suggestions)


def test_a_question_and_media_raise_the_score() -> None:
    assert (
        score_post(f"{BODY} Would you try it?", [], "facebook").total > score_post(BODY, [], "facebook").total
    )
    assert score_post(BODY, [], "instagram", has_media=True).total > score_post(BODY, [], "instagram").total


def test_a_link_up_front_costs_more_than_at_the_end_on_linkedin() -> None:
    first = f"https://example.com/latte\n\n{BODY}"
    end = f"{BODY}\n\nhttps://example.com/latte"
    assert (
        score_post(first, [], "linkedin").factor("links").value
        < score_post(end, [], "linkedin").factor("links").value
    )
    assert score_post(end, [], "mastodon").factor("links").value == 1.0  # no reach cost there


def test_a_brand_without_emoji_is_scored_without_emoji() -> None:
    with_emoji = f"Our oat latte ☕✨ {BODY}"
    assert score_post(with_emoji, [], "instagram", emoji_allowed=False).factor("emoji").value < 1.0
    assert score_post(BODY, [], "instagram", emoji_allowed=False).factor("emoji").value == 1.0
    assert score_post(BODY, [], "instagram").factor("emoji").value < 1.0  # Instagram likes 1-4


def test_over_the_limit_is_said_first() -> None:
    result = score_post("word " * 80, ["tag"], "x")
    assert not result.fits and result.factor("length").value == 0.0
    assert result.suggestions[0].startswith("Cut ") and "cannot be published" in result.suggestions[0]


def test_posting_time_applies_only_when_given() -> None:
    unscheduled = score_post(BODY, [], "linkedin")
    assert not unscheduled.factor("time").applies and unscheduled.factor("time").max_points == 0
    good = score_post(BODY, [], "linkedin", scheduled_at_local=datetime(2026, 3, 10, 10))  # Tuesday 10:00
    bad = score_post(BODY, [], "linkedin", scheduled_at_local=datetime(2026, 3, 8, 3))  # Sunday 03:00
    assert good.factor("time").applies and good.total > bad.total
    assert any("stronger time" in s for s in bad.suggestions)


def test_suggestions_name_the_weak_factors_biggest_gain_first() -> None:
    result = score_post("our latte", [], "instagram")
    assert result.suggestions[0].startswith("Attach an image or video")  # media weighs most on Instagram
    joined = " ".join(result.suggestions)
    assert "call to action" in joined and "hook" in joined and "hashtag" in joined
    assert all(s.endswith((".", "”", ")")) for s in result.suggestions)


PIECES = [
    *"abc XYZ.,!?\n#@:/-",
    "☕",
    "👩\u200d💻",
    "🇺🇸",
    "日本",
    "e\u0301",
    "1\ufe0f\u20e3",
    "https://t.co/x ",
    "www.a.b ",
]
TEXTS = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=60, deadline=None)
@given(
    text=TEXTS,
    tags=st.lists(st.sampled_from(["coffee", "latte", "oat", "cafe", "x1"]), max_size=8),
    platform=st.sampled_from(PLATFORMS),
    media=st.booleans(),
    hour=st.none() | st.integers(0, 23),
)
def test_breakdown_adds_up_and_stays_in_range(
    text: str, tags: list[str], platform: str, media: bool, hour: int | None
) -> None:
    when = None if hour is None else datetime(2026, 5, 6, hour)
    result = score_post(text, tags, platform, media, when)
    assert 0.0 <= result.total <= 100.0
    assert sum(f.points for f in result.factors) == pytest.approx(result.total, abs=0.06)
    assert sum(f.max_points for f in result.factors) == pytest.approx(100.0)
    assert [f.name for f in result.factors] == list(FACTORS)
    assert all(0.0 <= f.value <= 1.0 for f in result.factors)
    r = rule(platform)
    assert result.length == count(compose(text.strip(), tags), r.counting) if tags else True
    assert result.fits == (result.length <= r.limit)


@settings(max_examples=150, deadline=None)
@given(text=st.text(max_size=200) | TEXTS)
def test_fast_counting_equals_the_platform_counting_rules(text: str) -> None:
    for counting in ("chars", "graphemes", "weighted"):
        assert tx.fast_count(text, counting) == count(text, counting)


def test_emoji_are_counted_as_people_see_them() -> None:
    assert len(tx.emoji_clusters("family 👨‍👩‍👧 flag 🇩🇪 thumbs 👍🏽 cup ☕")) == 4
    assert tx.emoji_clusters("© 2026 Acme™ — plain text") == []
    assert tx.strip_emoji("Hi ☕ there ✨ ok 👍", keep=1) == "Hi ☕ there ok"


def test_weights_are_data_per_platform() -> None:
    for name in PLATFORMS:
        cfg = scoring_config(name)
        assert set(cfg.weights) == set(FACTORS) and all(w > 0 for w in cfg.weights.values())
        assert cfg.sweet_spot[0] < cfg.sweet_spot[1] <= cfg.rule.limit
    assert scoring_config("instagram").weights["media"] > scoring_config("x").weights["media"]
    assert scoring_config("ig") is scoring_config("instagram")  # aliases resolve
    with pytest.raises(ValueError, match="myspace"):
        scoring_config("myspace")
