"""``improve_post`` and ``ab_variants``: deterministic rewrites driven by the score's factors.

``improve_post`` tries one fix per weak factor (trim hashtags to the norm, move links to the end, add a hook,
add a call to action / question, fix the emoji count, shorten to the sweet spot) and keeps a fix only when
the score goes up, so a post that fits its platform never scores lower after it. Every candidate is fitted to
the platform's limit (hashtags capped, then the caption trimmed at a word boundary) before it is scored.

``ab_variants`` changes one lever at a time against the original (hook style, length, call to action,
emoji, question, hashtags), so each variant tests one stated hypothesis.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from agent.content import text as tx
from agent.content.fitting import compose, dedupe_tags, fit, within_limit
from agent.content.optimize.config import ScoringConfig, scoring_config
from agent.content.optimize.scorer import ScoreResult, score_post
from prompts.counting import trim_to_limit
from prompts.platforms import PlatformRule

MAX_VARIANTS = 6
HOOKS = {
    "question": "Have you heard about {topic}?",
    "curiosity": "The one thing to know about {topic}:",
    "statement": "Spotlight: {topic}.",
    "why": "Here's why {topic} is worth your time.",
}
TOPIC_EMOJI = {
    "coffee": "☕",
    "latte": "☕",
    "espresso": "☕",
    "tea": "🍵",
    "cake": "🍰",
    "bakery": "🥐",
    "bread": "🥖",
    "pizza": "🍕",
    "launch": "🚀",
    "travel": "✈️",
    "fitness": "💪",
    "yoga": "🧘",
    "book": "📚",
    "music": "🎵",
    "sale": "🏷️",
    "summer": "☀️",
    "hiring": "🙌",
    "team": "🙌",
    "event": "📅",
}


@dataclass(frozen=True)
class Improvement:
    text: str
    hashtags: tuple[str, ...]
    before: ScoreResult
    after: ScoreResult
    changes: tuple[str, ...]

    @property
    def delta(self) -> float:
        return round(self.after.total - self.before.total, 1)

    def factor_changes(self) -> list[dict[str, Any]]:
        out = []
        for b, a in zip(self.before.factors, self.after.factors, strict=True):
            if a.applies and abs(a.points - b.points) >= 0.05:
                out.append(
                    {
                        "factor": a.name,
                        "label": a.label,
                        "before": round(b.points, 1),
                        "after": round(a.points, 1),
                    }
                )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "hashtags": list(self.hashtags),
            "before": self.before.total,
            "after": self.after.total,
            "delta": self.delta,
            "changes": list(self.changes),
            "factors": self.factor_changes(),
            "suggestions_left": list(self.after.suggestions),
        }


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    hypothesis: str
    text: str
    hashtags: tuple[str, ...]
    score: ScoreResult
    predicted: float | None = None  # the account model's predicted engagement, when it is active

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "hypothesis": self.hypothesis,
            "text": self.text,
            "hashtags": list(self.hashtags),
            "score": self.score.total,
            "length": self.score.length,
            "limit": self.score.limit,
            "predicted": self.predicted,
        }


@dataclass
class _Post:
    """What every fix needs: the platform's rules and how to score a candidate."""

    cfg: ScoringConfig
    has_media: bool
    when: datetime | None
    emoji_allowed: bool
    time_table: Sequence[Sequence[float]] | None
    topic: str
    memo: dict[tuple[str, tuple[str, ...]], ScoreResult] = field(default_factory=dict)

    def score(self, text: str, hashtags: Sequence[str]) -> ScoreResult:
        key = (text, tuple(hashtags))
        if key not in self.memo:
            self.memo[key] = score_post(
                text,
                hashtags,
                self.cfg.rule,
                self.has_media,
                self.when,
                emoji_allowed=self.emoji_allowed,
                time_table=self.time_table,
            )
        return self.memo[key]


# -- splitting a post into opening, body and closing --------------------------------------------------------


@dataclass
class Parts:
    opening: str
    body: list[str]
    closing: list[str]
    sep: str

    def join(self) -> str:
        return self.sep.join(p for p in [self.opening, *self.body, *self.closing] if p.strip()).strip()


def split_parts(text: str) -> Parts:
    """Paragraphs (or lines, or sentences for a one-line post); the closing is the trailing units that ask
    something or call to action (at most two)."""
    text = text.strip()
    if "\n" in text:
        sep = "\n\n" if "\n\n" in text else "\n"
        units = [u.strip() for u in re.split(r"\n\s*\n" if sep == "\n\n" else r"\n", text) if u.strip()]
    else:
        sep = " "
        units = tx.sentences(text)
    if not units:
        return Parts("", [], [], sep)
    opening, rest = units[0], units[1:]
    closing: list[str] = []
    while rest and len(closing) < 2 and _is_closing(rest[-1]):
        closing.insert(0, rest.pop())
    return Parts(opening, rest, closing, sep)


def _is_closing(unit: str) -> bool:
    if len(unit.split()) > 30:  # a paragraph is body, whatever it asks
        return False
    return tx.has_question(unit) or bool(tx.cta_hits(tx.tokens(unit))) or bool(tx.URL.fullmatch(unit.strip()))


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:] if s else s


def _topic_emoji(post: _Post, text: str) -> str:
    for word in tx.tokens(f"{post.topic} {text}"):
        for key, emoji in TOPIC_EMOJI.items():
            if word.startswith(key):
                return emoji
    return post.cfg.emoji_default


def _hook_line(style: str, post: _Post) -> str:
    line = HOOKS[style].format(topic=post.topic)
    return _cap(line)


def _pick(seed: str, options: Sequence[str]) -> list[str]:
    """The options in a stable order chosen by the text (deterministic, varied across posts)."""
    start = hashlib.sha256(seed.encode()).digest()[0] % len(options)
    return [*options[start:], *options[:start]]


# -- fixes for improve_post: each proposes candidates; the best-scoring one that raises the score wins -----

Fix = Callable[[str, list[str], _Post], list[tuple[str, list[str], str]]]


def _fix_hashtags(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    norm = post.cfg.rule.hashtags_norm
    inline = len(tx.inline_hashtags(text))
    keep = max(0, norm - inline)
    if len(tags) <= keep:
        return []
    label = post.cfg.rule.label
    return [
        (
            text,
            tags[:keep],
            f"Cut hashtags from {len(tags) + inline} to {keep + inline} ({label} norm {norm}).",
        )
    ]


def _fix_links(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    info = tx.links(text)
    if info.count == 0 or info.position == "end":
        return []
    urls = [m.group(0).rstrip(".,;:!?)") for m in tx.URL.finditer(text)]
    out_lines = []
    for line in text.split("\n"):
        for url in urls:
            if url in line:  # alone on its line: drop it; inside a sentence: point to it
                line = "" if line.strip() == url else line.replace(url, "the link below")
        out_lines.append(line)
    body = re.sub(r"[ \t]{2,}", " ", "\n".join(out_lines))
    body = re.sub(r"\n{3,}", "\n\n", body).strip()
    moved = f"{body}\n\n{' '.join(dict.fromkeys(urls))}"
    return [(moved, tags, "Moved the link to the end.")]


def _fix_hook(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    current = post.score(text, tags).factor("hook").value
    if current >= 0.85:
        return []
    candidates = []
    first_line = next(iter(tx.lines(text)), "")
    first_sentences = tx.sentences(first_line)
    if len(first_sentences) > 1 and len(tx.words(first_sentences[0])) <= post.cfg.hook_words:
        rest = text.strip()[len(first_sentences[0]) :].strip()
        candidates.append(
            (f"{first_sentences[0]}\n\n{rest}", tags, "Put the opening sentence on its own line.")
        )
    for style in _pick(text, list(HOOKS)):
        hook = _hook_line(style, post)
        candidates.append((f"{hook}\n\n{text.strip()}", tags, f"Added a hook: “{hook}”"))
    return candidates


def _fix_closing(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    result = post.score(text, tags)
    needs_cta = result.factor("cta").value < 1.0
    needs_question = result.factor("question").value < 1.0
    if not (needs_cta or needs_question):
        return []
    q, cta = post.cfg.question_line, post.cfg.cta_line
    parts = split_parts(text)
    sep = "\n\n" if parts.sep != " " else " "
    base = text.strip()
    options: list[tuple[str, str]] = []
    if needs_cta and needs_question:
        options.append((f"{q} {cta}", "Added a question and a call to action at the end."))
    if needs_cta:
        options.append((cta, "Added a call to action at the end."))
    if needs_question:
        options.append((q, "Added a question at the end."))
    return [(f"{base}{sep}{line}", tags, note) for line, note in options]


def _fix_emoji(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    n = len(tx.emoji_clusters(text))
    lo, hi = post.cfg.emoji if post.emoji_allowed else (0, 0)
    if n > hi:
        return [(tx.strip_emoji(text, keep=hi), tags, f"Cut emoji from {n} to {hi}.")]
    if n < lo:
        emoji = _topic_emoji(post, text)
        lines = text.strip().split("\n")
        lines[0] = f"{lines[0].rstrip()} {emoji}"
        return [("\n".join(lines), tags, f"Added {emoji} to the first line.")]
    return []


def _fix_length(text: str, tags: list[str], post: _Post) -> list[tuple[str, list[str], str]]:
    r = post.cfg.rule
    hi = post.cfg.sweet_spot[1]
    now = tx.fast_count(text.strip(), r.counting)
    if now <= hi:
        return []
    parts = split_parts(text)
    fixed = post.cfg.rule.counting
    head_tail = parts.sep.join([parts.opening, *parts.closing])
    budget = hi - tx.fast_count(head_tail, fixed) - 2 * len(parts.sep)
    candidates = []
    if parts.body and budget >= 20:
        middle = trim_to_limit(parts.sep.join(parts.body), budget, fixed)
        candidates.append(Parts(parts.opening, [middle], parts.closing, parts.sep).join())
    if tx.fast_count(head_tail, fixed) <= hi:
        candidates.append(head_tail)
    candidates.append(trim_to_limit(text.strip(), hi, fixed))
    return [
        (c, tags, f"Shortened from {now} to {tx.fast_count(c, fixed)} characters.") for c in candidates if c
    ]


FIXES: tuple[Fix, ...] = (_fix_hashtags, _fix_hook, _fix_closing, _fix_links, _fix_emoji, _fix_length)


def improve_post(
    text: str,
    hashtags: Sequence[str],
    platform: str | PlatformRule,
    has_media: bool = False,
    scheduled_at_local: datetime | None = None,
    *,
    subject: str | None = None,
    emoji_allowed: bool = True,
    time_table: Sequence[Sequence[float]] | None = None,
) -> Improvement:
    """Apply the score's suggestions that can be applied to the text, keeping each only if it raises the
    score. The result is always within the platform's limit; for a post that was within it, the score
    never goes down."""
    cfg = scoring_config(platform)
    post = _Post(cfg, has_media, scheduled_at_local, emoji_allowed, time_table, tx.topic_of(text, subject))
    before = post.score(text.strip(), list(hashtags))
    cur_text, cur_tags = text.strip(), dedupe_tags(hashtags)
    changes: list[str] = []
    if not within_limit(cur_text, cur_tags, cfg.rule):
        cur_text, cur_tags = fit(cur_text, cur_tags, cfg.rule)
        changes.append(f"Trimmed to fit {cfg.rule.label}'s {cfg.rule.limit}-character limit.")
    current = post.score(cur_text, cur_tags)
    for fix in FIXES:
        best: tuple[str, list[str], str, ScoreResult] | None = None
        for cand_text, cand_tags, note in fix(cur_text, cur_tags, post):
            cand_text, cand_tags = fit(cand_text, cand_tags, cfg.rule)
            if not cand_text.strip():
                continue
            result = post.score(cand_text, cand_tags)
            if result.total > (best[3].total if best else current.total) + 1e-9:
                best = (cand_text, cand_tags, note, result)
        if best is not None:
            cur_text, cur_tags, note, current = best
            changes.append(note)
    return Improvement(cur_text, tuple(cur_tags), before, current, tuple(changes))


# -- A/B variants ----------------------------------------------------------------------------------------------

VariantMaker = Callable[[str, list[str], _Post], tuple[str, list[str], str, str] | None]


def _with_opening(parts: Parts, hook: str, post: _Post) -> str:
    """A new first line: it replaces a short opening (itself a headline) and goes above a long one."""
    if len(tx.words(parts.opening)) <= post.cfg.hook_words:
        return Parts(hook, parts.body, parts.closing, parts.sep).join()
    return Parts(hook, [parts.opening, *parts.body], parts.closing, parts.sep).join()


def _v_question_hook(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    parts = split_parts(text)
    hook = _hook_line("question", post)
    if tx.has_question(parts.opening):
        return None
    new = _with_opening(parts, hook, post)
    return new, tags, "Question hook", "A question as the first line earns more comments than a statement."


def _v_curiosity_hook(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    parts = split_parts(text)
    hook = _hook_line("curiosity", post)
    if post.emoji_allowed:
        hook = hook.rstrip(":") + " 👇"
    new = _with_opening(parts, hook, post)
    return new, tags, "Curiosity hook", "A curiosity gap in the first line makes more people open the post."


def _v_short(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    parts = split_parts(text)
    if not parts.body:
        return None
    new = Parts(parts.opening, [], parts.closing, parts.sep).join()
    lo = post.cfg.sweet_spot[0]
    r = post.cfg.rule
    if tx.fast_count(new, r.counting) > max(lo, r.limit // 2):
        new = trim_to_limit(new, max(lo, r.limit // 2), r.counting)
    return new, tags, "Short version", "A shorter post is read to the end: more engagement per view."


def _v_share_cta(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    parts = split_parts(text)
    closing = [c for c in parts.closing if tx.has_question(c) and not tx.cta_hits(tx.tokens(c))]
    new = Parts(parts.opening, parts.body, [*closing, post.cfg.share_cta_line], parts.sep).join()
    return (
        new,
        tags,
        "Share call to action",
        "Asking people to share or save spreads the post further than asking for comments.",
    )


def _v_statement(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    if not tx.has_question(text):
        return None
    parts = split_parts(text)
    keep = [c for c in parts.closing if not tx.has_question(c)] or [post.cfg.cta_line]
    opening = parts.opening if not tx.has_question(parts.opening) else _hook_line("statement", post)
    new = Parts(opening, parts.body, keep, parts.sep).join()
    return new, tags, "No question, direct ask", "A direct instruction gets more action than a question."


def _v_emoji(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    if tx.emoji_clusters(text):
        return (
            tx.strip_emoji(text),
            tags,
            "No emoji",
            "Without emoji the post reads as more credible to this audience.",
        )
    if not post.emoji_allowed:
        return None
    lines = text.strip().split("\n")
    lines[0] = f"{lines[0].rstrip()} {_topic_emoji(post, text)}"
    return (
        "\n".join(lines),
        tags,
        "With emoji",
        "An emoji in the first line makes the post stand out in the feed.",
    )


def _v_hashtags(text: str, tags: list[str], post: _Post) -> tuple[str, list[str], str, str] | None:
    if not tags:
        return None
    return (
        text,
        [],
        "No hashtags",
        "Hashtags add no reach for this account: the post does as well without them.",
    )


VARIANTS: tuple[VariantMaker, ...] = (
    _v_question_hook,
    _v_short,
    _v_share_cta,
    _v_emoji,
    _v_curiosity_hook,
    _v_statement,
    _v_hashtags,
)


def _norm(text: str, tags: Sequence[str]) -> str:
    return " ".join(compose(text, list(tags)).casefold().split())


def ab_variants(
    text: str,
    hashtags: Sequence[str],
    platform: str | PlatformRule,
    n: int = 3,
    has_media: bool = False,
    scheduled_at_local: datetime | None = None,
    *,
    subject: str | None = None,
    emoji_allowed: bool = True,
    time_table: Sequence[Sequence[float]] | None = None,
) -> list[Variant]:
    """Up to ``n`` (at most 6) variants, each changing one lever of the original and naming the hypothesis
    it tests; all within the platform's limit and all different from each other and from the original."""
    n = max(1, min(int(n), MAX_VARIANTS))
    cfg = scoring_config(platform)
    post = _Post(cfg, has_media, scheduled_at_local, emoji_allowed, time_table, tx.topic_of(text, subject))
    base_tags = dedupe_tags(hashtags)
    seen = {_norm(text.strip(), base_tags)}
    out: list[Variant] = []
    for maker in VARIANTS:
        made = maker(text.strip(), base_tags, post)
        if made is None:
            continue
        new_text, new_tags, label, hypothesis = made
        new_text, new_tags = fit(new_text, new_tags, cfg.rule)
        key = _norm(new_text, new_tags)
        if not new_text.strip() or key in seen:
            continue
        seen.add(key)
        out.append(
            Variant(
                key=maker.__name__.removeprefix("_v_"),
                label=label,
                hypothesis=hypothesis,
                text=new_text,
                hashtags=tuple(new_tags),
                score=post.score(new_text, new_tags),
            )
        )
        if len(out) >= n:
            break
    return out
