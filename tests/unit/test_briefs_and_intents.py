"""Reading a request: its subject, the platforms it names, and the user's intent (the rules planner)."""

from __future__ import annotations

import pytest

from agent.content.briefs import detect_platforms, extract_subject
from agent.graph.planning.rules import Intent, classify

# request, subject, platforms
REQUESTS = [
    ("write an Instagram caption about our new oat latte", "our new oat latte", ["instagram"]),
    ("write an instagram caption about our new oat latte.", "our new oat latte", ["instagram"]),
    (
        "Can you draft a LinkedIn post announcing our Series A funding round?",
        "our Series A funding round",
        ["linkedin"],
    ),
    (
        "Write a LinkedIn post about hiring our first data engineer",
        "hiring our first data engineer",
        ["linkedin"],
    ),
    ("tweet about the summer sale on X and Threads", "the summer sale", ["x", "threads"]),
    (
        "Could you write tweets about the new espresso blend for twitter and bluesky?",
        "the new espresso blend",
        ["x", "bluesky"],
    ),
    ("write a post for x about the launch", "the launch", ["x"]),
    (
        "Please write a post for our new vegan bakery on instagram and facebook",
        "our new vegan bakery",
        ["instagram", "facebook"],
    ),
    (
        "instagram caption for the sunset yoga class this Friday",
        "the sunset yoga class this Friday",
        ["instagram"],
    ),
    ("hashtags for a sunrise yoga class on LinkedIn", "a sunrise yoga class", ["linkedin"]),
    ("write a caption about our pumpkin spice latte for ig", "our pumpkin spice latte", ["instagram"]),
    (
        "Make a TikTok caption about our behind-the-scenes studio tour",
        "our behind-the-scenes studio tour",
        ["tiktok"],
    ),
    (
        "draft a facebook update regarding the holiday opening hours",
        "the holiday opening hours",
        ["facebook"],
    ),
    ("Make a youtube description about how we roast our beans", "how we roast our beans", ["youtube"]),
    (
        "post on bluesky and mastodon about the open source release",
        "the open source release",
        ["bluesky", "mastodon"],
    ),
    ("Please create a post about the farmers market on Threads", "the farmers market", ["threads"]),
    ("promote our weekend brunch on facebook", "our weekend brunch", ["facebook"]),
    ("pin about wedding cake designs", "wedding cake designs", ["pinterest"]),
    ("need 3 captions for our autumn menu", "our autumn menu", []),
    ("caption for my pottery workshop", "my pottery workshop", []),
    ("Write about the new office in Lisbon", "the new office in Lisbon", []),
    ("a thread of tips about coffee brewing", "coffee brewing", []),
    (
        "write a post about threads of silk in our new scarf collection",
        "threads of silk in our new scarf collection",
        [],
    ),
]


@pytest.mark.parametrize(("request_text", "subject", "platforms"), REQUESTS)
def test_extract_subject(request_text: str, subject: str, platforms: list[str]) -> None:
    assert extract_subject(request_text) == subject


@pytest.mark.parametrize(("request_text", "subject", "platforms"), REQUESTS)
def test_detect_platforms(request_text: str, subject: str, platforms: list[str]) -> None:
    assert detect_platforms(request_text) == platforms


def test_detect_platforms_lists_each_platform_once_in_a_stable_order() -> None:
    text = "Post on LinkedIn, Instagram and IG, plus a tweet and an X post"

    assert detect_platforms(text) == ["instagram", "linkedin", "x"]


def test_a_bare_subject_is_its_own_subject() -> None:
    assert extract_subject("  our new   oat latte  ") == "our new oat latte"
    assert extract_subject("Sourdough Saturdays!") == "Sourdough Saturdays"


def test_an_instruction_after_the_subject_is_not_part_of_it() -> None:
    subject = extract_subject("We are launching a new app, write a post for LinkedIn and X")

    assert "write" not in subject
    assert "post" not in subject
    assert "new app" in subject


INTENTS = [
    ("help", Intent.HELP),
    ("Help!", Intent.HELP),
    ("hi", Intent.HELP),
    ("what can you do?", Intent.HELP),
    ("?", Intent.HELP),
    ("", Intent.HELP),
    ("   ", Intent.HELP),
    ("ok", Intent.HELP),
    ("Write an Instagram caption about our new oat latte", Intent.CAPTION),
    ("tweet about the summer sale", Intent.CAPTION),
    ("Announce our new bakery opening on Saturday", Intent.CAPTION),
    ("linkedin post: we're hiring a barista", Intent.CAPTION),
    ("our new pumpkin spice latte is back", Intent.CAPTION),
    ("caption please", Intent.CAPTION),
    ("write a post with hashtags about our vegan brownies", Intent.CAPTION),
    ("Hashtags for a sunrise yoga class", Intent.HASHTAGS),
    ("give me some hashtags for latte art", Intent.HASHTAGS),
    ("suggest hashtags for our vegan brownies on LinkedIn", Intent.HASHTAGS),
    ("Remember that our brand color is teal", Intent.REMEMBER),
    ("please remember: we sign off with 'Stay cozy'", Intent.REMEMBER),
    ("Note that we are closed on Mondays", Intent.REMEMBER),
    ("keep in mind: our audience is students", Intent.REMEMBER),
    ("don't forget we're vegan", Intent.REMEMBER),
    ("From now on, never use exclamation marks", Intent.REMEMBER),
    ("from now on write LinkedIn posts in the first person", Intent.REMEMBER),
    ("Going forward, keep LinkedIn posts under 100 words", Intent.REMEMBER),
    ("We never use emojis on LinkedIn", Intent.REMEMBER),
    ("Always mention our website", Intent.REMEMBER),
    ("What do you remember?", Intent.RECALL),
    ("what do you know about our brand", Intent.RECALL),
    ("What have I told you about LinkedIn?", Intent.RECALL),
    ("list my memories", Intent.RECALL),
    ("show me the memories", Intent.RECALL),
    ("what are our rules?", Intent.RECALL),
    ("approve draft #12", Intent.APPROVE),
    ("Approve 7", Intent.APPROVE),
    ("please approve it", Intent.APPROVE),
    ("sign off on draft #2", Intent.APPROVE),
    ("ok to post", Intent.APPROVE),
]


@pytest.mark.parametrize(("text", "intent"), INTENTS)
def test_classify(text: str, intent: Intent) -> None:
    assert classify(text) is intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # A polite question is still a request to remember, not a caption about the fact.
        ("Can you remember that we close at 6pm on Fridays?", Intent.REMEMBER),
        ("Could you remember that our hashtag is #BeanThere", Intent.REMEMBER),
        ("do you remember what I said about emojis?", Intent.RECALL),
        # A tagline that happens to start with "never"/"always" is not a standing rule.
        ("Never miss our Friday sale: write an Instagram caption about it", Intent.CAPTION),
    ],
)
def test_classify_polite_forms_and_taglines(text: str, intent: Intent) -> None:
    assert classify(text) is intent
