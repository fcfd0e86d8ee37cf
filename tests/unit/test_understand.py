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
        for name in ("requests_extra.jsonl", "requests_dev2.jsonl", "requests_dev3.jsonl")
        for line in (DEV / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    right = sum(parse(r["text"]).intents == [Intent(i) for i in r["expected"]["intents"]] for r in rows)
    assert right / len(rows) >= 0.98, f"{right}/{len(rows)}"


@pytest.mark.parametrize(
    ("text", "intents"),
    [
        # alt text: a description of an image for blind / visually impaired readers or screen readers
        (
            "could you write a short description of this photo for people using screen readers",
            [Intent.ALT_TEXT],
        ),
        ("décris cette image pour les personnes aveugles", [Intent.ALT_TEXT]),
        ("bitte eine Bildbeschreibung für sehbehinderte Menschen", [Intent.ALT_TEXT]),
        ("write an instagram post: our venue is now fully wheelchair accessible", [Intent.CAPTION]),
        # summary: the gist, the main points
        ("what are the key takeaways from this webinar recording?", [Intent.SUMMARY]),
        ("dammi l'essenziale di questo articolo", [Intent.SUMMARY]),
        ("me diz o essencial desse relatório", [Intent.SUMMARY]),
        # cancel: take a post out of the schedule
        ("take the 6pm facebook post off the schedule, the venue cancelled", [Intent.CANCEL_POST]),
        ("elimina de la programación el post del viernes", [Intent.CANCEL_POST]),
        # edit: in draft N change X
        ("nel post 3 cambia la data in sabato", [Intent.EDIT]),
        ("draft 9 has a typo in the date, it should be May 12", [Intent.EDIT]),
        # out of scope: errands and artefacts that are not posts
        ("can you write me a letter to my landlord about the broken heating", [Intent.OUT_OF_SCOPE]),
        ("ricordami di pagare la bolletta venerdì", [Intent.OUT_OF_SCOPE]),
        ("wer hat gestern das Spiel gewonnen?", [Intent.OUT_OF_SCOPE]),
        ("post for linkedin about our insurance agency's new office in Porto", [Intent.CAPTION]),
        # voice rules, help, diagnose, metrics, queue
        ("muéstrame las pautas de estilo que usas para mis textos", [Intent.VOICE_RULES]),
        ("montre-moi ce que je peux faire ici", [Intent.HELP]),
        ("warum sind meine Aufrufe diese Woche gesunken?", [Intent.DIAGNOSE]),
        ("which was my top performing reel in March?", [Intent.METRICS]),
        ("what's lined up for instagram tomorrow?", [Intent.QUEUE]),
        # variants and score of a given draft or line
        ("dame tres ganchos alternativos para el borrador 5", [Intent.VARIANTS]),
        ("is this caption any good? 'Fresh bread, every single morning.'", [Intent.SCORE]),
        ("de 1 a 10, quanto dás ao rascunho 4?", [Intent.SCORE]),
        # a hashtag ban is a constraint of the post, not a hashtag request
        ("escribe un post sobre nuestro café de especialidad, nada de hashtags", [Intent.CAPTION]),
        # several intents, in the order asked
        (
            "a post announcing our summer sale, then 2 alternative versions",
            [Intent.CAPTION, Intent.VARIANTS],
        ),
        ("rate draft 5 out of 10 and then improve it", [Intent.SCORE, Intent.IMPROVE]),
    ],
)
def test_concepts_are_read_in_phrasings_no_set_holds(text: str, intents: list[Intent]) -> None:
    assert parse(text).intents == intents


def test_slots_of_requests_that_act_on_drafts() -> None:
    assert parse("programa el 11 para el 18 de mayo a las 9").draft_refs == [11]
    assert parse("le 6 et le 8, tu les publies maintenant ?").draft_refs == [6, 8]
    brief = parse("take out the word 'cheap' in draft 4")
    assert (brief.intents, brief.draft_refs, brief.constraints.must_avoid) == ([Intent.EDIT], [4], ["cheap"])
    assert parse("caption for our candle shop, NIENTE HASHTAG").constraints.hashtags == 0
    assert parse("hashtags for our coffee shop post, 10 max").constraints.hashtags == 10
    assert parse("a caption for our new salad bar with lots of emojis").constraints.emoji is True
    assert parse("in draft 3 say 'cosy' instead of 'warm'").tone is None  # the quoted words are the text's


@pytest.mark.parametrize(
    ("text", "subject"),
    [
        # the ask, in each language, is not the subject; a purpose ("to announce") leads on to it
        (
            "fais une publication linkedin pour annoncer notre nouvelle gamme de thés glacés",
            "notre nouvelle gamme de thés glacés",
        ),
        (
            "haz dos tuits para anunciar nuestro taller de cerámica infantil",
            "nuestro taller de cerámica infantil",
        ),
        ("mach bitte einen Insta-Post, um unseren Lieferdienst anzukündigen", "unseren Lieferdienst"),
        ("faz um post pro face para anunciar a nossa feira de vinis", "a nossa feira de vinis"),
        (
            "fai un post per annunciare il nostro corso di yoga in spiaggia",
            "il nostro corso di yoga in spiaggia",
        ),
        ("could you write a short instagram caption for our lavender honey", "our lavender honey"),
        # context first, the ask last: the news, not who is speaking
        (
            "Quick background: I run a small print shop in Bristol. From next week we're offering same-day "
            "poster printing for students. Can you write a LinkedIn post about that?",
            "we're offering same-day poster printing for students",
        ),
        # a telegraphic note: the label of the business is not the news
        (
            "insta post. bakery. new rye sourdough 'Black Forest' out saturday",
            "new rye sourdough 'Black Forest' out saturday",
        ),
        # a statement after the ask keeps its "that"; a second ask after the subject is not part of it
        ("write a facebook post that the pool reopens in June", "that the pool reopens in June"),
        ("écris un tweet sur nos glaces artisanales et dis-moi quand le publier", "nos glaces artisanales"),
        # with N things: what the things are about
        ("write an X thread with 6 tips for new beekeepers", "tips for new beekeepers"),
        # made from a given material, or about a photo's content
        ("turn this podcast transcript into three tweets", ""),
        ("hashtags for this photo please", ""),
        ("escribe un pie de foto para esta imagen de nuestra huerta urbana", "nuestra huerta urbana"),
    ],
)
def test_the_subject_is_what_the_post_is_about_in_the_users_words(text: str, subject: str) -> None:
    assert parse(text).subject == subject


def test_facts_keep_a_span_of_hours_a_titled_name_and_a_quoted_title_whole() -> None:
    facts = {f.text for f in parse("post about the open studio with Dr. Amara Singh, dalle 15 alle 19").facts}
    assert {"Dr. Amara Singh", "dalle 15 alle 19"} <= facts
    facts = {f.text for f in parse("tweet about our zine 'Salt Roads' and the reading 6 to 9pm").facts}
    assert {"Salt Roads", "6 to 9pm"} <= facts
