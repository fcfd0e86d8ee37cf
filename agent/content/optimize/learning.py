"""Learning what works for one account: a per-account scikit-learn model on the score factors and time.

Once an account has at least ``MIN_POSTS`` posts with metrics on a platform, a ridge regression (scaled
features, regularisation chosen by internal cross-validation) is fitted to predict the log of each post's
engagement from the score's factor values, a few raw counts and the local posting time. It is checked with
shuffled k-fold cross-validation: its held-out predictions are compared with the prior scorer (the 0–100
score, which needs no training) by Spearman correlation and pairwise accuracy (of all pairs of posts with
different engagement, the share the model orders correctly). The model is used — to re-rank drafts and
variants — only when it beats the prior clearly; otherwise the prior scorer stays in charge and the report
says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from agent.content import text as tx
from agent.content.optimize.records import PostRecord, outcomes
from agent.content.optimize.scorer import score_post
from agent.content.optimize.timing import prior_grid

MIN_POSTS = 20
MARGIN = 0.05  # the learned model must beat the prior's held-out Spearman by this much
MIN_SPEARMAN = 0.2  # ... and reach at least this (a model of noise does not)
MAX_FOLDS = 5
FEATURE_NAMES = (
    "length",
    "hook",
    "cta",
    "question",
    "hashtags",
    "emoji",
    "readability",
    "media",
    "links",
    "time_prior",
    "log_length",
    "n_hashtags",
    "n_emoji",
    "has_link",
    "hour_sin",
    "hour_cos",
    "hour2_sin",
    "hour2_cos",
    "dow_sin",
    "dow_cos",
    "weekend",
)


@dataclass(frozen=True)
class LearningReport:
    platform: str
    posts: int
    measure: str
    active: bool
    reason: str
    folds: int = 0
    learned_spearman: float | None = None
    learned_pairwise: float | None = None
    prior_spearman: float | None = None
    prior_pairwise: float | None = None
    method: str = "ridge regression on score factors + local time; shuffled k-fold cross-validation"

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("learned_spearman", "learned_pairwise", "prior_spearman", "prior_pairwise"):
            if out[key] is not None:
                out[key] = round(out[key], 3)
        return out

    def summary(self) -> str:
        if self.learned_spearman is None:
            return f"Account model: not active — {self.reason}"
        head = "active" if self.active else "not used"
        return (
            f"Account model: {head} — held-out Spearman {self.learned_spearman:.2f} vs prior "
            f"{self.prior_spearman:.2f}, pairwise accuracy {self.learned_pairwise:.0%} vs "
            f"{self.prior_pairwise:.0%} ({self.folds}-fold, {self.posts} posts). {self.reason}"
        )


def local_time(when: datetime | None, tz: ZoneInfo) -> datetime | None:
    return None if when is None else when.astimezone(tz)


def featurize(
    text: str, hashtags: Sequence[str], platform: str, has_media: bool, when_local: datetime | None
) -> tuple[list[float], float]:
    """(feature vector, prior score) for one post; ``when_local`` is the audience's wall clock."""

    s = score_post(text, hashtags, platform, has_media, when_local)
    values = {f.name: f.value for f in s.factors}
    if when_local is not None:
        h, d = when_local.hour + when_local.minute / 60, when_local.weekday()
        time_prior = prior_grid(platform)[d][when_local.hour]
    else:
        h, d, time_prior = 12.0, 2, 0.5
    feats = [values[name] for name in FEATURE_NAMES[:9]] + [
        time_prior,
        math.log1p(s.caption_length),
        float(len(tx.all_hashtags(text, list(hashtags)))),
        float(len(tx.emoji_clusters(text))),
        1.0 if tx.links(text).count else 0.0,
        math.sin(2 * math.pi * h / 24),
        math.cos(2 * math.pi * h / 24),
        math.sin(4 * math.pi * h / 24),
        math.cos(4 * math.pi * h / 24),
        math.sin(2 * math.pi * d / 7),
        math.cos(2 * math.pi * d / 7),
        1.0 if d >= 5 else 0.0,
    ]
    return feats, s.total


def spearman(a: Sequence[float], b: Sequence[float]) -> float:
    from scipy.stats import spearmanr

    if len(a) < 3 or np.ptp(np.asarray(a, dtype=float)) == 0 or np.ptp(np.asarray(b, dtype=float)) == 0:
        return 0.0
    rho = float(spearmanr(a, b).statistic)
    return 0.0 if math.isnan(rho) else rho


def pairwise_accuracy(pred: Sequence[float], truth: Sequence[float]) -> float:
    """Of all pairs with different true values, the share ordered the same way (prediction ties count half)."""

    p = np.asarray(pred, dtype=float)
    t = np.asarray(truth, dtype=float)
    dp = np.sign(p[:, None] - p[None, :])
    dt = np.sign(t[:, None] - t[None, :])
    mask = np.triu(dt != 0, k=1)
    pairs = int(mask.sum())
    if pairs == 0:
        return 0.5
    agree = (dp == dt) & mask
    ties = (dp == 0) & mask
    return float((agree.sum() + 0.5 * ties.sum()) / pairs)


def _model() -> Any:
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), RidgeCV(alphas=np.logspace(-2, 3, 12)))


def _targets(values: Sequence[float], measure: str) -> Any:

    eps = 1e-4 if measure == "engagement rate" else 1.0
    return np.log(np.asarray(values, dtype=float) + eps)


@dataclass
class AccountModel:
    """A fitted per-account model; ``predict`` gives the expected engagement (same measure as training)."""

    platform: str
    timezone: str
    measure: str
    report: LearningReport
    estimator: Any

    def predict(
        self, text: str, hashtags: Sequence[str], has_media: bool = False, when: datetime | None = None
    ) -> float:
        when_local = local_time(when, ZoneInfo(self.timezone)) if when and when.tzinfo else when
        feats, _ = featurize(text, hashtags, self.platform, has_media, when_local)
        log_value = float(self.estimator.predict([feats])[0])
        eps = 1e-4 if self.measure == "engagement rate" else 1.0
        return max(0.0, math.exp(log_value) - eps)

    def fmt(self, value: float) -> str:
        return f"{value:.2%}" if self.measure == "engagement rate" else f"{value:,.0f} interactions"


def learn(
    records: Sequence[PostRecord], platform: str, timezone: str = "UTC"
) -> tuple[LearningReport, AccountModel | None]:
    """Evaluate a per-account model on held-out posts against the prior; return it only when it is better."""
    tz = ZoneInfo(timezone)
    own = [r for r in records if r.platform == platform and r.competitor is None and r.text.strip()]
    outs = outcomes(own)
    n = len(outs.records)
    if n < MIN_POSTS:
        reason = (
            f"it needs {MIN_POSTS} posts with metrics on this platform and has {n}; using the prior scorer."
        )
        return LearningReport(platform, n, outs.kind, False, reason), None
    rows = [
        featurize(r.text, r.hashtags, platform, r.has_media, local_time(r.posted_at, tz))
        for r in outs.records
    ]
    from sklearn.model_selection import KFold, cross_val_predict

    x = np.asarray([f for f, _ in rows], dtype=float)
    prior = [p for _, p in rows]
    y = _targets(outs.values, outs.kind)
    folds = min(MAX_FOLDS, n // 4)
    cv = KFold(n_splits=folds, shuffle=True, random_state=0)
    held_out = cross_val_predict(_model(), x, y, cv=cv)
    learned_rho, learned_pair = spearman(held_out, y), pairwise_accuracy(held_out, y)
    prior_rho, prior_pair = spearman(prior, y), pairwise_accuracy(prior, y)
    better = learned_rho >= max(prior_rho + MARGIN, MIN_SPEARMAN) and learned_pair > prior_pair
    if better:
        reason = "It predicts this account's engagement better than the prior, so it ranks drafts."
    else:
        reason = "It does not beat the prior on held-out posts; the prior scorer stays in charge."
    report = LearningReport(
        platform, n, outs.kind, better, reason, folds, learned_rho, learned_pair, prior_rho, prior_pair
    )
    if not better:
        return report, None
    estimator = _model().fit(x, y)
    return report, AccountModel(platform, timezone, outs.kind, report, estimator)


def rerank(
    candidates: Sequence[dict[str, Any]], model: AccountModel | None, when: datetime | None = None
) -> list[dict[str, Any]]:
    """Drafts (dicts with text, hashtags, optional has_media and score) best first: by the account model's
    predicted engagement when it is active, else by the prior score. Adds ``predicted`` when the model ran."""
    out = []
    for cand in candidates:
        item = dict(cand)
        if model is not None:
            item["predicted"] = model.predict(
                item["text"], item.get("hashtags", []), bool(item.get("has_media")), when
            )
        out.append(item)
    key = "predicted" if model is not None else "score"
    return sorted(out, key=lambda c: -(c.get(key) or 0.0))
