"""The optimization tools (user-scoped, drafts carry scores) and the rules planner's optimization intents."""

from __future__ import annotations

from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.content.fitting import compose
from agent.core import repo
from agent.core.db import session_scope
from agent.graph.planning.optimize_intents import competitor_name, find_csv, optimize_calls
from agent.graph.planning.rules import Intent, classify
from agent.runtime.studio import Studio
from prompts.counting import count
from prompts.platforms import rule
from tests.tool_support import make_user as user
from tests.tool_support import run_tool as run
from tools import TOOLS
from tools.optimize import (
    ab_variants,
    best_time,
    compare_competitor,
    diagnose_reach,
    improve_post,
    record_metrics,
    score_post,
)

CSV = "date,platform,text,impressions,likes,comments,shares,saves,clicks\n" + "".join(
    f"2026-01-{d:02d} {9 + d % 10}:00,instagram,Post {d}: have you tried our oat latte? Tell us.,1000,{20 + 3 * d},{d},0,0,0\n"
    for d in range(1, 11)
)
WEAK = "we are launching an oat latte in all of our stores starting from next week and it will be available all day"


def draft(
    studio: Studio, uid: str, text: str = WEAK, platform: str = "linkedin", tags: tuple[str, ...] = ()
) -> int:
    with session_scope(studio.services.engine) as session:
        made = repo.create_draft(
            session, user_id=uid, platform=platform, text=text, hashtags=tags, thread_id="t"
        )
        assert made.id is not None
        return made.id


def test_the_tools_are_offered_to_the_model() -> None:
    names = {t.name for t in TOOLS}
    assert {
        "score_post",
        "improve_post",
        "ab_variants",
        "best_time",
        "diagnose_reach",
        "record_metrics",
        "compare_competitor",
    } <= names


async def test_every_caption_draft_carries_a_score(studio: Studio) -> None:
    uid = user(studio, "s@example.com")
    result = await studio.run_turn(
        user_id=uid, thread_id="t1", text="announce our oat latte launch", platforms=["x", "linkedin"]
    )
    assert len(result.drafts) == 2
    for d in result.drafts:
        assert isinstance(d.score, float) and 0 < d.score <= 100
        assert f"score {d.score}" in result.reply
    with session_scope(studio.services.engine) as session:
        assert all(x.score is not None for x in repo.list_drafts(session, user_id=uid))


async def test_score_tool_breaks_the_score_down_and_is_user_scoped(studio: Studio) -> None:
    owner, intruder = user(studio, "o@example.com"), user(studio, "i@example.com")
    draft_id = draft(studio, owner)
    text, art = run(studio, owner, score_post, draft_id=draft_id)
    assert art["type"] == "score" and art["draft_id"] == draft_id and "/100" in text
    assert len(art["factors"]) == 10 and art["suggestions"]
    assert "needs 20 posts" in art["learning"]["reason"]
    _, refused = run(studio, intruder, score_post, draft_id=draft_id)
    assert refused == {"type": "error", "message": f"No draft #{draft_id}."}
    _, free_text = run(studio, intruder, score_post, text="Have you tried it? Tell us!", platform="x")
    assert free_text["platform"] == "x" and free_text["total"] > 0


async def test_improve_saves_a_new_draft_in_the_same_group_and_keeps_the_original(studio: Studio) -> None:
    owner, intruder = user(studio, "o2@example.com"), user(studio, "i2@example.com")
    draft_id = draft(studio, owner, tags=("a", "b", "c", "d", "e"))
    _, refused = run(studio, intruder, improve_post, draft_id=draft_id)
    assert refused["type"] == "error"
    content, art = run(studio, owner, improve_post, draft_id=draft_id)
    assert art["type"] == "draft" and art["id"] != draft_id and art["text"] in content
    assert art["improvement"]["after"] > art["improvement"]["before"] and "→" in art["reply"]
    assert art["length"] <= art["limit"] and len(art["hashtags"]) == 3
    with session_scope(studio.services.engine) as session:
        original = repo.get_draft(session, user_id=owner, draft_id=draft_id)
        improved = repo.get_draft(session, user_id=owner, draft_id=art["id"])
        assert original.text == WEAK and original.variant_group == f"draft-{draft_id}"
        assert improved.variant_group == original.variant_group and improved.meta["improved_from"] == draft_id
        assert improved.score == art["improvement"]["after"]
        assert repo.list_drafts(session, user_id=intruder) == []


async def test_ab_variants_are_saved_distinct_and_within_limits(studio: Studio) -> None:
    owner = user(studio, "o3@example.com")
    draft_id = draft(
        studio,
        owner,
        "Say hello to our oat latte ☕ It took us eleven tries. Would you try it?",
        "x",
        ("oatlatte",),
    )
    _, art = run(studio, owner, ab_variants, draft_id=draft_id, n=3)
    assert art["type"] == "variants" and len(art["drafts"]) == 3
    texts = {compose(d["text"], d["hashtags"]) for d in art["drafts"]}
    assert len(texts) == 3
    for d in art["drafts"]:
        assert count(compose(d["text"], d["hashtags"]), "weighted") <= rule("x").limit
        assert d["hypothesis"] and d["id"] != draft_id
    scores = [d["score"] for d in art["drafts"]]
    assert scores == sorted(scores, reverse=True)  # ranked by score while the account has no model
    with session_scope(studio.services.engine) as session:
        groups = {d.variant_group for d in repo.list_drafts(session, user_id=owner)}
    assert groups == {f"draft-{draft_id}"}


async def test_the_optimizer_tools_use_the_mastodon_instance_limit(settings: Any) -> None:
    """A 700-character post is fine on an instance that allows 1,000: it is scored as within the limit,
    and improving it or making variants neither trims it to the default 500 nor goes over 1,000."""
    long_post = ("Our oat latte took eleven tries and a lot of patient tasters to get right. " * 10).strip()
    assert 600 < len(long_post) < 1000
    custom = settings.model_copy(update={"mastodon_max_chars": 1000})
    async with Studio.open(custom, checkpointer=InMemorySaver()) as studio:
        uid = user(studio, "m@example.com")
        draft_id = draft(studio, uid, long_post, "mastodon")
        _, scored = run(studio, uid, score_post, draft_id=draft_id)
        _, improved = run(studio, uid, improve_post, draft_id=draft_id)
        _, variants = run(studio, uid, ab_variants, draft_id=draft_id, n=3)
    async with Studio.open(settings, checkpointer=InMemorySaver()) as default_studio:
        uid = user(default_studio, "d@example.com")
        _, default_scored = run(
            default_studio, uid, score_post, draft_id=draft(default_studio, uid, long_post, "mastodon")
        )

    length = {f["name"]: f for f in scored["factors"]}["length"]
    default_length = {f["name"]: f for f in default_scored["factors"]}["length"]
    assert "over" not in length["detail"]
    assert "over the 500 limit" in default_length["detail"] and default_length["value"] == 0
    assert improved["limit"] == 1000 and improved["length"] <= 1000
    assert not any("Trimmed to fit" in c for c in improved["improvement"]["changes"])
    for d in variants["drafts"]:
        assert count(compose(d["text"], d["hashtags"]), "chars") <= 1000
    assert any(count(compose(d["text"], d["hashtags"]), "chars") > 500 for d in variants["drafts"])


async def test_metrics_best_time_diagnosis_and_competitors_are_per_user(studio: Studio) -> None:
    owner, intruder = user(studio, "o4@example.com"), user(studio, "i4@example.com")
    text, art = run(studio, owner, record_metrics, csv_text=CSV + "2026-02-01,instagram,bad,lots,1,1,1,1,1\n")
    assert art["type"] == "metrics_import" and len(art["ids"]) == 10 and art["updated"] == 0
    assert art["errors"] == ["row 12: impressions 'lots' is not a number."]
    assert "10 more to start learning" in text
    _, timing = run(studio, owner, best_time, platform="instagram")
    assert timing["posts_used"] == 10 and len(timing["slots"]) == 3 and timing["timezone"] == "UTC"
    _, nothing = run(studio, intruder, best_time, platform="instagram")
    assert nothing["posts_used"] == 0
    _, diagnosis = run(studio, owner, diagnose_reach, metric_id=art["ids"][0])
    assert diagnosis["type"] == "diagnosis" and diagnosis["baseline_posts"] == 10
    _, refused = run(studio, intruder, diagnose_reach, metric_id=art["ids"][0])
    assert refused["type"] == "error" and "No metrics" in refused["message"]
    _, rival = run(
        studio,
        owner,
        record_metrics,
        csv_text=CSV.replace("oat latte", "cold brew"),
        competitor="Blue Bottle",
    )
    assert rival["competitor"] == "Blue Bottle"
    _, compared = run(studio, owner, compare_competitor, name="blue bottle")
    assert (
        compared["type"] == "competitor"
        and compared["them"]["posts"] == 10
        and compared["you"]["posts"] == 10
    )
    _, hidden = run(studio, intruder, compare_competitor, name="Blue Bottle")
    assert hidden["type"] == "error" and "No recorded posts of Blue Bottle" in hidden["message"]


async def test_record_metrics_refuses_what_it_cannot_read(studio: Studio) -> None:
    owner = user(studio, "o5@example.com")
    _, empty = run(studio, owner, record_metrics, csv_text="  ")
    assert empty["type"] == "error" and "header row" in empty["message"]
    _, no_platform = run(studio, owner, record_metrics, csv_text="date,likes\n2026-01-01,4\n")
    assert "platform" in no_platform["message"]
    _, ok = run(studio, owner, record_metrics, csv_text="date,likes\n2026-01-01,4\n", platform="threads")
    assert ok["type"] == "metrics_import"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("score draft #3", Intent.SCORE),
        ("please rate draft 3", Intent.SCORE),
        ("improve draft #3", Intent.IMPROVE),
        ("give me 3 variants of draft #3", Intent.VARIANTS),
        ("A/B test this", Intent.VARIANTS),
        ("when should I post on instagram", Intent.BEST_TIME),
        ("what's the best time to post on LinkedIn?", Intent.BEST_TIME),
        ("paste metrics csv", Intent.METRICS),
        ("date,platform,likes\n2026-01-01,x,4", Intent.METRICS),
        ("compare us with Blue Bottle", Intent.COMPARE),
        ("why did post #4 underperform?", Intent.DIAGNOSE),
        ("write an Instagram caption about our new oat latte", Intent.CAPTION),
        ("write 3 versions of a post about coffee", Intent.CAPTION),
        ("write a post about the best time of year for iced coffee", Intent.CAPTION),
    ],
)
def test_the_rules_planner_knows_the_optimization_intents(text: str, intent: Intent) -> None:
    assert classify(text) is intent


def test_optimization_requests_become_tool_calls() -> None:
    def latest() -> int:
        return 7

    assert optimize_calls("score", "score draft #3", ["x"], (), latest) == [("score_post", {"draft_id": 3})]
    assert optimize_calls("score", "score it", ["x"], (), latest) == [("score_post", {"draft_id": 7})]
    assert optimize_calls("score", "score this: Hello there?", ["x"], (), latest) == [
        ("score_post", {"text": "Hello there?", "platform": "x"})
    ]
    assert optimize_calls("variants", "give me five variants of draft #2", ["x"], (), latest) == [
        ("ab_variants", {"draft_id": 2, "n": 5})
    ]
    assert optimize_calls("best_time", "when should I post", ["x", "linkedin"], (), latest) == [
        ("best_time", {"platform": "x"}),
        ("best_time", {"platform": "linkedin"}),
    ]
    [(name, args)] = optimize_calls(
        "metrics", "paste competitor metrics for Blue Bottle on instagram:\n\n" + CSV, ["x"], (), latest
    )
    assert (
        name == "record_metrics" and args["competitor"] == "Blue Bottle" and args["platform"] == "instagram"
    )
    assert args["csv_text"].startswith("date,platform")
    assert optimize_calls("compare", "compare us with Blue Bottle on Instagram?", ["x"], (), latest) == [
        ("compare_competitor", {"name": "Blue Bottle", "platform": "instagram"})
    ]
    assert optimize_calls("diagnose", "why did metrics #12 flop", ["x"], (), latest) == [
        ("diagnose_reach", {"metric_id": 12})
    ]
    assert competitor_name("here are competitor metrics: Acme Coffee") == "Acme Coffee"
    assert find_csv("no csv here, just words") is None


async def test_optimization_turns_through_the_graph(studio: Studio) -> None:
    uid = user(studio, "g@example.com")
    first = await studio.run_turn(
        user_id=uid, thread_id="t9", text="announce our oat latte launch", platforms=["x"]
    )
    draft_id = first.drafts[0].id
    scored = await studio.run_turn(user_id=uid, thread_id="t9", text=f"score draft #{draft_id}")
    assert scored.tools == ["score_post"] and "/100" in scored.reply
    variants = await studio.run_turn(user_id=uid, thread_id="t9", text="give me 2 variants of it")
    assert variants.tools == ["ab_variants"] and "Tests:" in variants.reply
    timing = await studio.run_turn(user_id=uid, thread_id="t9", text="when should I post on instagram")
    assert timing.tools == ["best_time"] and "Best times to post on Instagram" in timing.reply
    imported = await studio.run_turn(user_id=uid, thread_id="t9", text="paste metrics csv\n\n" + CSV)
    assert imported.tools == ["record_metrics"] and "Recorded 10 of your posts" in imported.reply
    nothing = await studio.run_turn(user_id=uid, thread_id="t10", text="improve it")
    assert nothing.tools == [] and "Which draft?" in nothing.reply
