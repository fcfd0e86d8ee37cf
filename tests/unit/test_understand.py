"""The request parser on ordinary phrasings: what is asked (one or several intents), of which drafts, in which
language, and the slots a writer needs. These are phrasings of the kinds the development sets hold, written
here again (the held-out third of bench/data/understanding/requests.jsonl is never used in tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent.content.brief import Intent
from agent.content.understand import parse

DEV = Path(__file__).parents[2] / "bench" / "data" / "understanding"


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        ("is anything going out on facebook friday?", [Intent.QUEUE]),
        ("qu'est-ce qui est prévu pour demain sur insta ?", [Intent.QUEUE]),
        ("scrap #31, we sold out", [Intent.CANCEL_POST]),
        ("please don't post draft 12 after all", [Intent.CANCEL_POST]),
        ("can you bump the linkedin one to thursday morning", [Intent.RESCHEDULE]),
        ("how many likes did draft 8 get?", [Intent.METRICS]),
        ("quantos seguidores ganhei no insta em abril?", [Intent.METRICS]),
        ("post 14 barely got any reach, any idea why?", [Intent.DIAGNOSE]),
        ("how do we stack up against Oatly on tiktok", [Intent.COMPARE]),
        ("what did i tell you about our opening hours?", [Intent.RECALL]),
        ("which style rules are you applying to my posts?", [Intent.VOICE_RULES]),
        ("get rid of the 'never use exclamation marks' rule", [Intent.DELETE_RULE]),
        ("hook up my slack workspace", [Intent.LINK_SLACK]),
        ("what can u do", [Intent.HELP]),
        ("give me a recipe for lemon cake", [Intent.OUT_OF_SCOPE]),
        ("schreib mir eine Excel-Formel für Summen", [Intent.OUT_OF_SCOPE]),
        ("can you put #22 into german please", [Intent.TRANSLATE]),
        ("which is better, draft 3 or draft 4?", [Intent.SCORE]),
        (
            "linkedin post about our new Leeds office + best time to post it?",
            [Intent.CAPTION, Intent.BEST_TIME],
        ),
        ("daqui pra frente sempre termina os posts com 'Até logo'", [Intent.REMEMBER]),
        ("approve #4, #5 and #6 and post them all right away", [Intent.APPROVE, Intent.PUBLISH_NOW]),
        ("write an instagram post about our new pottery class", [Intent.CAPTION]),
        ("a post about our weather app's new radar", [Intent.CAPTION]),
    ],
)
def test_ordinary_phrasings_are_read_as_the_intents_meant(text: str, intents: list[Intent]) -> None:
    assert parse(text).intents == intents


def test_every_draft_of_a_list_is_referred_to_and_a_rule_number_is_no_draft() -> None:
    assert parse("score drafts 2, 3 and 4 then schedule the best").draft_refs == [2, 3, 4]
    assert parse("vale, apruebo el 2 y el 3").draft_refs == [2, 3]
    assert parse("cancela o post de amanhã, o número 11").draft_refs == [11]
    assert parse("remove rule #2").draft_refs == []


def test_the_language_asked_before_the_colon_is_the_output_language() -> None:
    brief = parse("escribe el post en inglés porfa: lanzamos nuestra app Calma+ el 1 de octubre")
    assert (brief.language, brief.language_asked) == ("en", True)
    assert parse("traduz para inglês: Pão fresquinho às 7h.").language == "en"
    assert parse("übersetze ins Englische: Frische Brötchen ab 6 Uhr.").language == "en"


def test_a_task_label_before_a_colon_is_not_the_subject() -> None:
    brief = parse("x thread: 7 lessons from bootstrapping a bakery")
    assert brief.subject == "7 lessons from bootstrapping a bakery"
    assert "x thread" not in {f.text for f in brief.facts}
    assert parse("write a post for X and Bluesky: Our Leeds office opens May 3. Come by.").subject == (
        "Our Leeds office opens May 3"
    )


def test_slots_people_type_without_the_usual_words() -> None:
    assert parse("hashtags for my nail studio, 12 max").constraints.hashtags == 12
    assert parse("Bildunterschrift für unser Foto, keine Hashtags").constraints.hashtags == 0
    assert parse("a long LinkedIn post (1200 characters max) about our year").constraints.max_chars == 1200
    assert parse("from now on always end with 'stay curious'").constraints.must_include == ["stay curious"]
    brief = parse("tweet about our webinar on May 14, sign up at events.brightpath.io/may")
    assert {"May 14", "events.brightpath.io/may"} <= {f.text for f in brief.facts}
    assert parse("fyi we never use emojis on linkedin").constraints.emoji is False


def test_the_development_sets_stay_read_as_labelled() -> None:
    """A regression floor on the sets the parser was tuned on (the held-out third is measured by the bench)."""
    rows = [
        json.loads(line)
        for name in ("requests_extra.jsonl", "requests_dev2.jsonl")
        for line in (DEV / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    right = sum(parse(r["text"]).intents == [Intent(i) for i in r["expected"]["intents"]] for r in rows)
    assert right / len(rows) >= 0.98, f"{right}/{len(rows)}"
