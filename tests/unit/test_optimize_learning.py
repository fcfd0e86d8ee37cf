"""Per-account learning, tested on SIMULATED accounts with a known ground truth (no real data)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.content.optimize.learning import MIN_POSTS, learn, pairwise_accuracy, rerank, spearman
from agent.content.optimize.scorer import score_post
from agent.content.optimize.simulate import evening_long, pure_noise, simulate_account

TZ = "Europe/Berlin"


def test_simulation_learned_model_beats_the_prior_on_held_out_posts() -> None:
    history = simulate_account(80, seed=11, truth=evening_long, timezone=TZ)
    report, model = learn(history, "instagram", TZ)
    assert report.active and model is not None
    assert report.posts == 80 and report.folds == 5 and report.measure == "engagement rate"
    assert report.learned_spearman is not None and report.prior_spearman is not None
    assert report.learned_spearman > report.prior_spearman + 0.05
    assert report.learned_pairwise is not None and report.prior_pairwise is not None
    assert report.learned_pairwise > report.prior_pairwise
    # and on posts it never saw (a later stretch of the same simulated account)
    fresh = simulate_account(
        60, seed=99, truth=evening_long, timezone=TZ, start=datetime(2027, 1, 4, tzinfo=UTC)
    )
    truth = [p.engagement_rate or 0.0 for p in fresh]
    learned = [model.predict(p.text, p.hashtags, p.has_media, p.posted_at) for p in fresh]
    from zoneinfo import ZoneInfo

    prior = [
        score_post(p.text, p.hashtags, "instagram", p.has_media, p.posted_at.astimezone(ZoneInfo(TZ))).total
        for p in fresh
        if p.posted_at
    ]
    assert spearman(learned, truth) > spearman(prior, truth) + 0.2
    assert pairwise_accuracy(learned, truth) > pairwise_accuracy(prior, truth)


def test_simulation_with_too_few_posts_falls_back_to_the_prior() -> None:
    report, model = learn(simulate_account(MIN_POSTS - 8, seed=5), "instagram", TZ)
    assert model is None and not report.active
    assert report.posts == MIN_POSTS - 8 and report.learned_spearman is None
    assert f"needs {MIN_POSTS} posts" in report.reason and "prior" in report.summary()


def test_simulation_of_pure_noise_falls_back_to_the_prior() -> None:
    report, model = learn(simulate_account(80, seed=2, truth=pure_noise), "instagram", TZ)
    assert model is None and not report.active
    assert report.learned_spearman is not None  # it was evaluated, and it was not better
    assert "does not beat the prior" in report.reason


def test_simulation_competitor_and_other_platform_posts_are_not_the_accounts() -> None:
    history = simulate_account(30, seed=4)
    others = [type(p)(**{**p.__dict__, "platform": "x"}) for p in history]
    report, _ = learn(others, "instagram", TZ)
    assert report.posts == 0


def test_simulation_drafts_are_reranked_by_the_learned_model() -> None:
    _, model = learn(simulate_account(80, seed=11), "instagram", TZ)
    assert model is not None
    long_plain = {
        "id": 1,
        "text": "Have you tried our new oat latte?\n\n"
        + " ".join(["It took us eleven tries to get the foam right."] * 5),
        "hashtags": [],
        "score": 10.0,
    }
    emoji_short = {
        "id": 2,
        "text": "Have you tried our new oat latte? ☕ ✨ 🌿 🥐",
        "hashtags": [],
        "score": 90.0,
    }
    evening = datetime(2026, 5, 6, 19, tzinfo=UTC)  # 21:00 in Berlin
    by_model = rerank([emoji_short, long_plain], model, evening)
    assert [d["id"] for d in by_model] == [1, 2]  # this audience prefers long posts without emoji
    assert all(d["predicted"] > 0 for d in by_model)
    by_prior = rerank([long_plain, emoji_short], None)
    assert [d["id"] for d in by_prior] == [2, 1] and "predicted" not in by_prior[0]


@pytest.mark.parametrize(
    ("pred", "truth", "expected"),
    [([1, 2, 3], [10, 20, 30], 1.0), ([3, 2, 1], [10, 20, 30], 0.0), ([1, 1, 1], [1, 2, 3], 0.5)],
)
def test_pairwise_accuracy(pred: list[float], truth: list[float], expected: float) -> None:
    assert pairwise_accuracy(pred, truth) == expected
