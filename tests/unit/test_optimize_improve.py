"""improve_post and ab_variants: never worse, never over the limit, variants distinct with hypotheses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.content import text as tx
from agent.content.fitting import compose, within_limit
from agent.content.optimize.improve import ab_variants, improve_post
from prompts.counting import count
from prompts.platforms import platform_names, rule

PLATFORMS = platform_names()
SENTENCES = [
    "We are launching an oat latte in all of our stores starting from next week.",
    "It took us eleven tries to get the foam right.",
    "Have you tried it yet?",
    "Tell us what you think in the comments.",
    "Read more at https://example.com/oat-latte today.",
    "Our baristas picked the name together ☕.",
    "Big news ✨🎉",
    "The oat milk comes from a small farm up the road, and we visit it every single month to taste the harvest.",
    "Save this for later!",
    "日本のお客様にも人気です。",
]


def _len(text: str, tags: list[str] | tuple[str, ...], platform: str) -> int:
    return count(compose(text, list(tags)), rule(platform).counting)


@settings(max_examples=60, deadline=None)
@given(
    picks=st.lists(st.sampled_from(SENTENCES), min_size=1, max_size=14),
    sep=st.sampled_from([" ", "\n", "\n\n"]),
    tags=st.lists(
        st.sampled_from(["coffee", "latte", "oatmilk", "cafe", "barista", "vegan", "x"]), max_size=8
    ),
    platform=st.sampled_from(PLATFORMS),
    media=st.booleans(),
)
def test_improve_never_lowers_the_score_and_never_exceeds_the_limit(
    picks: list[str], sep: str, tags: list[str], platform: str, media: bool
) -> None:
    text = sep.join(picks)
    result = improve_post(text, tags, platform, media, subject="our oat latte")
    assert _len(result.text, result.hashtags, platform) <= rule(platform).limit
    assert result.text.strip()
    if within_limit(text.strip(), tags, platform):
        assert result.after.total >= result.before.total
    unique: list[str] = []
    for tag in tags:  # the first spelling of each tag, case-insensitively
        if tag.lower() not in {u.lower() for u in unique}:
            unique.append(tag)
    assert bool(result.changes) == (result.text != text.strip() or list(result.hashtags) != unique)


def test_improve_applies_the_suggestions_and_shows_the_change() -> None:
    text = (
        "We are launching an oat latte in all of our stores starting from next week and it will be "
        "available all day. Details at https://example.com/oat today."
    )
    result = improve_post(text, ["a", "b", "c", "d", "e", "f"], "linkedin", subject="our oat latte launch")
    assert result.after.total > result.before.total + 20
    assert result.hashtags == ("a", "b", "c")  # LinkedIn norm
    assert result.text.startswith("Have you heard about our oat latte launch?")
    assert tx.lines(result.text)[-1] == "https://example.com/oat"  # the link moved to the end
    assert tx.cta_position(result.text) != "none"
    changed = {f["factor"] for f in result.factor_changes()}
    assert {"hook", "cta", "hashtags"} <= changed
    assert any(f["after"] > f["before"] for f in result.factor_changes())


def test_improve_shortens_a_long_post_to_the_sweet_spot_and_keeps_the_ask() -> None:
    body = " ".join(SENTENCES[1:2] + SENTENCES[7:8]) * 8
    text = f"Have you heard about our oat latte?\n\n{body}\n\nTell us what you think in the comments."
    result = improve_post(text, ["coffee"], "instagram", True)
    lo, hi = 100, 500
    assert count(result.text, "chars") <= hi < count(text, "chars")
    assert count(result.text, "chars") >= lo
    assert result.text.endswith("Tell us what you think in the comments.")
    assert any(c.startswith("Shortened") for c in result.changes)


def test_an_over_long_post_is_brought_within_the_limit() -> None:
    text = "Big news about our oat latte launch. " * 20
    result = improve_post(text, ["oatlatte", "coffee", "latte"], "x")
    assert _len(result.text, result.hashtags, "x") <= 280
    assert result.changes[0].startswith("Trimmed to fit")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_variants_are_distinct_within_limits_and_state_a_hypothesis(platform: str) -> None:
    text = (
        "Say hello to our oat latte ☕\n\nIt took us eleven tries to get the foam right. "
        "The oat milk comes from a farm up the road.\n\nWould you try it? Tell us in the comments."
    )
    variants = ab_variants(text, ["oatlatte", "coffee"], platform, 6, subject="our oat latte")
    assert len(variants) == 6
    seen = {" ".join(compose(text, ["oatlatte", "coffee"]).split())}
    for v in variants:
        key = " ".join(compose(v.text, list(v.hashtags)).split())
        assert key not in seen
        seen.add(key)
        assert _len(v.text, v.hashtags, platform) <= rule(platform).limit
        assert v.hypothesis.endswith(".") and len(v.hypothesis.split()) >= 6
        assert 0 <= v.score.total <= 100
    assert len({v.key for v in variants}) == 6


def test_each_variant_pulls_one_lever() -> None:
    text = "Say hello to our oat latte ☕ It took us eleven tries to get the foam right. Would you try it?"
    by_key = {v.key: v for v in ab_variants(text, ["oatlatte"], "x", 6, subject="our oat latte")}
    assert by_key["question_hook"].text.startswith("Have you heard about our oat latte?")
    assert tx.emoji_clusters(by_key["emoji"].text) == []
    assert len(by_key["short"].text) < len(text)
    assert "Repost" in by_key["share_cta"].text
    assert "?" not in by_key["statement"].text
    fewer = {v.key: v for v in ab_variants("Our oat latte is here ☕", ["oatlatte"], "x", 6)}
    assert set(fewer) == {"question_hook", "share_cta", "emoji", "curiosity_hook", "hashtags"}
    assert fewer["hashtags"].hashtags == () and fewer["hashtags"].text == "Our oat latte is here ☕"


def test_variant_count_is_capped_and_at_least_one() -> None:
    text = "Our oat latte is here. It took us eleven tries. Would you try it?"
    assert len(ab_variants(text, ["a"], "threads", 50)) <= 6
    assert len(ab_variants(text, ["a"], "threads", 0)) == 1
