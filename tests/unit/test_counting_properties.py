"""Property tests of the counting rules (emoji, ZWJ sequences, CJK, URLs) and the platform limits as data."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prompts.counting import X_URL_WEIGHT, count
from prompts.platforms import platform_rules, rule, rule_with

EMOJI = ["😀", "☕", "👍🏽", "🇩🇪", "👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "👩🏾\u200d💻", "✈️", "❤️"]
ZWJ = ["👨\u200d👩\u200d👧\u200d👦", "🏳️\u200d🌈", "👩🏾\u200d💻", "🧑\u200d🤝\u200d🧑"]
CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF), min_size=1, max_size=50)
ASCII = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200).filter(
    lambda t: "http" not in t.lower()
)
URL = st.builds(
    lambda host, path: f"https://{host}.com/{path}",
    st.from_regex(r"[a-z]{1,30}", fullmatch=True),
    st.from_regex(r"[a-zA-Z0-9/_?=&.-]{0,300}", fullmatch=True),
)


def test_the_platform_limits_are_the_published_ones() -> None:
    limits = {name: (r.limit, r.counting) for name, r in platform_rules().items()}

    assert limits == {
        "x": (280, "weighted"),
        "threads": (500, "chars"),
        "bluesky": (300, "graphemes"),
        "mastodon": (500, "chars"),
        "linkedin": (3000, "chars"),
        "instagram": (2200, "chars"),
        "facebook": (63206, "chars"),
        "tiktok": (2200, "chars"),
        "youtube": (5000, "chars"),
        "pinterest": (500, "chars"),
    }
    assert rule("instagram").hashtags_max == 5 and rule("youtube").title_limit == 100
    assert rule_with("mastodon", {"mastodon": 11000}).limit == 11000
    assert rule_with("x", {"mastodon": 11000}).limit == 280


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(EMOJI), min_size=1, max_size=40))
def test_every_emoji_weighs_two_on_x_and_one_grapheme(emoji: list[str]) -> None:
    text = "".join(emoji)

    assert count(text, "weighted") == 2 * len(emoji)
    assert count(text, "graphemes") == len(emoji)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(ZWJ), min_size=1, max_size=30), ASCII)
def test_a_zwj_sequence_is_one_emoji_beside_any_text(sequences: list[str], text: str) -> None:
    joined = " ".join(sequences)
    mixed = f"{text} {joined}"

    assert count(mixed, "weighted") == count(text, "weighted") + 1 + len(joined) - sum(
        len(s) for s in sequences
    ) + 2 * len(sequences)
    assert count(joined, "graphemes") == 2 * len(sequences) - 1
    assert count(joined, "chars") > count(joined, "graphemes")  # code points: many per ZWJ sequence


@settings(max_examples=200, deadline=None)
@given(CJK, ASCII)
def test_cjk_weighs_two_and_latin_one(cjk: str, latin: str) -> None:
    assert count(cjk, "weighted") == 2 * len(cjk)
    assert count(latin, "weighted") == len(latin) == count(latin, "chars") == count(latin, "graphemes")
    assert count(latin + cjk, "weighted") == len(latin) + 2 * len(cjk)


@settings(max_examples=200, deadline=None)
@given(ASCII, URL, ASCII)
def test_any_url_weighs_23_on_x_whatever_its_length(before: str, url: str, after: str) -> None:
    text = f"{before} {url} {after}"

    assert count(text, "weighted") == len(before) + 1 + X_URL_WEIGHT + 1 + len(after)
    assert count(text, "chars") == len(text)  # other platforms count the link in full
