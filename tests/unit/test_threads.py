"""Numbered threads: every post within its platform's limit with its numbering, cut between sentences,
then words, never inside a link or a grapheme cluster; the posts rejoin to the original words."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langgraph.checkpoint.memory import InMemorySaver

from agent.core import repo
from agent.core.db import session_scope
from agent.graph.planning.content_intents import content_calls, content_intent
from agent.runtime.studio import Studio
from prompts.counting import count
from prompts.platforms import rule
from prompts.threads import MAX_POSTS, THREAD_PLATFORMS, ThreadTooLong, list_posts, numbered, split_thread
from tests.tool_support import make_user as _user
from tests.tool_support import run_tool as _run
from tools.threads import split_thread as split_thread_tool

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
URL = "https://example.com/a/very/long/path/that/must/stay/whole?with=query&and=more"
LONG = (
    "We opened our second bakery today on Main Street. The ovens started at four. "
    f"Our sourdough is back, and so are the cinnamon buns {FAMILY}. Read the story at {URL} and tell us "
    "what you think. Thank you for ten years of mornings together! 日本語のお客様も歓迎します。 "
) * 4


def test_a_long_text_becomes_numbered_posts_each_within_the_limit() -> None:
    for platform in THREAD_PLATFORMS:
        r = rule(platform)
        posts = split_thread(LONG, r.limit, r.counting)
        published = numbered(posts)

        assert len(posts) >= 2
        assert all(count(p, r.counting) <= r.limit for p in published)
        assert published[0].endswith(f" 1/{len(posts)}") and published[-1].endswith(
            f" {len(posts)}/{len(posts)}"
        )
        assert " ".join(posts).split() == LONG.split()
        assert all(URL in p for p in posts if "example.com" in p)  # the link is never cut


def test_posts_end_at_sentence_boundaries_when_sentences_fit() -> None:
    posts = split_thread(LONG, 280, "weighted")

    assert all(p.rstrip().endswith((".", "!", "。", FAMILY + ".")) for p in posts[:-1])


def test_a_text_that_fits_is_one_post_without_numbering() -> None:
    assert split_thread("Short and sweet.", 280, "weighted") == ["Short and sweet."]
    assert numbered(["Short and sweet."]) == ["Short and sweet."]
    assert split_thread("   ", 280, "weighted") == []


def test_a_word_longer_than_a_post_is_cut_between_grapheme_clusters() -> None:
    word = "ab" + FAMILY * 200  # no spaces, 200 ZWJ families: 400 weighted on X
    posts = split_thread(word, 280, "weighted")

    assert all(count(p, "weighted") <= 280 for p in numbered(posts))
    assert "".join(posts) == word
    for p in posts:  # every post is made of whole clusters: the family emoji is never broken
        assert p.replace("ab", "").replace(FAMILY, "") == ""


def test_a_link_longer_than_a_post_is_refused_not_cut() -> None:
    with pytest.raises(ThreadTooLong, match="link"):
        split_thread("See https://example.com/" + "x" * 600 + " now", 300, "graphemes")


def test_too_many_posts_is_refused_with_the_count() -> None:
    with pytest.raises(ThreadTooLong, match=f"the most I make in one thread is {MAX_POSTS}"):
        split_thread("A sentence that is long enough to matter here. " * 400, 280, "weighted")


def test_the_numbering_width_is_counted_for_ten_posts_and_more() -> None:
    text = "Word " * 700  # ~13 posts on X: " 13/13" is wider than " 2/2"
    posts = split_thread(text, 280, "weighted")

    assert len(posts) >= 10
    assert all(count(p, "weighted") <= 280 for p in numbered(posts))


_WORD = st.one_of(
    st.sampled_from(
        [
            "word",
            "café",
            "😀",
            "👍🏽",
            "🇩🇪",
            FAMILY,
            "日本語",
            "コーヒー",
            "e\u0301",
            URL,
            "http://t.co/x",
            "end.",
            "why?",
        ]
    ),
    st.text(
        alphabet=st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=15
    ),
)
_TEXT = st.lists(
    st.tuples(_WORD, st.sampled_from([" ", " ", " ", "\n", "\n\n"])), min_size=1, max_size=300
).map(lambda pairs: "".join(w + sep for w, sep in pairs))


@settings(max_examples=200, deadline=None)
@given(text=_TEXT, platform=st.sampled_from(THREAD_PLATFORMS))
def test_every_thread_post_is_within_the_limit_and_the_words_rejoin(text: str, platform: str) -> None:
    r = rule(platform)
    try:
        posts = split_thread(text, r.limit, r.counting)
    except ThreadTooLong:
        assert len(text.split()) > 100  # only a very long text needs more than 25 posts
        return

    assert all(count(p, r.counting) <= r.limit for p in numbered(posts))
    assert " ".join(posts).split() == text.split()  # no word lost, added or cut (words here fit a post)


@settings(max_examples=100, deadline=None)
@given(
    text=_TEXT,
    limit=st.integers(min_value=40, max_value=600),
    counting=st.sampled_from(["chars", "graphemes", "weighted"]),
)
def test_any_limit_and_counting_rule_keeps_every_post_within(text: str, limit: int, counting: str) -> None:
    try:
        posts = split_thread(text, limit, counting, max_posts=100)
    except ThreadTooLong as exc:
        assert "link" in str(exc) or "posts" in str(exc)
        return

    assert all(count(p, counting) <= limit for p in numbered(posts))
    assert "".join("".join(posts).split()) == "".join(text.split())  # every character kept, in order


# -- the tool and the planner ----------------------------------------------------------------------------


async def test_the_tool_saves_a_thread_draft_from_a_draft_with_its_hashtags(studio: Studio) -> None:
    uid = _user(studio, "t@example.com")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(
            session, user_id=uid, platform="x", text=LONG, hashtags=["bakery", "sourdough"], thread_id="t"
        )
    text, view = _run(studio, uid, split_thread_tool, draft_id=draft.id)

    posts = view["posts"]
    assert view["kind"] == "thread" and view["platform"] == "x" and len(posts) >= 3
    assert all(count(p, "weighted") <= 280 for p in posts)
    assert posts[-1].split()[-3:-1] == ["#bakery", "#sourdough"]
    assert view["length"] <= view["limit"] == 280
    assert f"{len(posts)} post(s)" in text


async def test_the_tool_uses_the_mastodon_instance_limit(settings: Any) -> None:
    custom = settings.model_copy(update={"mastodon_max_chars": 1000})
    async with Studio.open(custom, checkpointer=InMemorySaver()) as studio:
        uid = _user(studio, "m@example.com")
        _, view = _run(studio, uid, split_thread_tool, text=LONG, platform="mastodon")

    assert view["limit"] == 1000
    assert all(len(p) <= 1000 for p in view["posts"])
    assert any(len(p) > 500 for p in view["posts"])


async def test_the_tool_refuses_a_platform_without_threads_and_another_users_draft(studio: Studio) -> None:
    owner, other = _user(studio, "o@example.com"), _user(studio, "x@example.com")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(session, user_id=owner, platform="x", text=LONG, thread_id="t")

    _, refused = _run(studio, owner, split_thread_tool, text=LONG, platform="linkedin")
    _, hidden = _run(studio, other, split_thread_tool, draft_id=draft.id)
    _, empty = _run(studio, owner, split_thread_tool)

    assert refused["type"] == "error" and "LinkedIn has no threads" in refused["message"]
    assert hidden["type"] == "error" and f"No draft #{draft.id}" in hidden["message"]
    assert empty["type"] == "error"


@pytest.mark.parametrize(
    ("request_text", "args"),
    [
        ("split this into a thread", {"draft_id": 7}),
        ("split draft #3 into a Bluesky thread", {"draft_id": 3, "platform": "bluesky"}),
        ("make draft 4 a threads thread", {"draft_id": 4, "platform": "threads"}),
        ("turn this into a thread:\n" + LONG, {"text": LONG.strip()}),
    ],
)
def test_the_rules_planner_routes_thread_requests(request_text: str, args: dict[str, Any]) -> None:
    assert content_intent(request_text) == "thread"

    calls, question = content_calls(
        "thread",
        request_text,
        platforms=["x"],
        assets=[],
        latest_draft=lambda: 7,
        latest_visual_asset=lambda: None,
    )

    assert question == "" and [(c["name"], c["args"]) for c in calls] == [("split_thread", args)]


def test_a_numbered_list_is_a_thread_of_one_item_per_post() -> None:
    text = "5 things we learned. 1. Ship small. 2. Talk to users. 3. Fix onboarding first."
    assert list_posts(text, 280, "chars") == [
        "5 things we learned.",
        "1. Ship small.",
        "2. Talk to users.",
        "3. Fix onboarding first.",
    ]
    assert list_posts("We open May 3. Come early, 2. doors open at 9.", 280, "chars") is None  # not from 1
    assert list_posts("Prices: 1. $4.50 coffee 2. $3 tea", 280, "chars") == [
        "Prices:",
        "1. $4.50 coffee",
        "2. $3 tea",
    ]
    assert (
        list_posts("Intro. 1. " + "word " * 80 + "2. short", 280, "chars") is None
    )  # an item over the limit
