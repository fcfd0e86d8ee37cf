"""Learning the brand voice from the user's edits: the difference between a draft and the user's version
becomes rules ("shorter first lines", "no exclamation marks") that later drafts follow.

Deterministic: each rule comes from one measurable change, with a threshold so that a small touch-up
teaches nothing. The rule texts are the ones :mod:`integrations.writers.voice` applies mechanically; a
model writer reads them in its prompt. Rules of the same family replace each other (a newer "fewer hashtags
(≤2)" replaces "fewer hashtags (≤3)"), so the list stays short and current.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agent.content import text as tx
from agent.content.writers.voice import strip_emoji
from agent.content.writers.words import STOPWORDS

FIRST_LINE_RATIO = 0.75  # the first line lost at least a quarter...
FIRST_LINE_MIN_CUT = 10  # ...and at least this many characters
LENGTH_RATIO = 0.7  # the post lost at least 30 %...
LENGTH_MIN_BEFORE = 80  # ...of at least this many characters
WORD_MIN_LEN = 4
_HASHTAG = re.compile(r"(?<![\w&/])#([^\W_][\w]*)")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@dataclass(frozen=True)
class LearnedRule:
    family: str  # first_line | exclamation | emoji | hashtags | word:<w> | length
    text: str
    why: str


def _round_up(n: int, step: int = 10) -> int:
    return max(step, int(math.ceil(n / step) * step))


def first_line(text: str) -> str:
    """The opening line (a one-line post: its first sentence)."""
    line = text.strip().split("\n", 1)[0].strip()
    parts = tx.sentences(line)
    return parts[0] if "\n" not in text.strip() and parts else line


def hashtag_count(text: str, hashtags: Sequence[str]) -> int:
    inline = {t.lower() for t in _HASHTAG.findall(text)}
    return len(inline | {t.lower().lstrip("#") for t in hashtags})


def content_words(text: str) -> list[str]:
    words = [w.lower() for w in _WORD.findall(_HASHTAG.sub(" ", text))]
    return [w for w in words if len(w) >= WORD_MIN_LEN and w not in STOPWORDS]


def derive_rules(
    before: str,
    before_tags: Sequence[str],
    after: str,
    after_tags: Sequence[str],
    *,
    earlier_removed: Iterable[str] = (),
) -> list[LearnedRule]:
    """The rules an edit teaches. ``earlier_removed``: words the user removed in earlier edits — a word
    removed again becomes "avoid the word X" (a word removed once may just have been off-topic)."""
    rules: list[LearnedRule] = []
    b_first, a_first = first_line(before), first_line(after)
    if (
        a_first
        and len(a_first) <= FIRST_LINE_RATIO * len(b_first)
        and len(b_first) - len(a_first) >= FIRST_LINE_MIN_CUT
    ):
        limit = _round_up(len(a_first))
        rules.append(
            LearnedRule(
                "first_line",
                f"shorter first lines (≤{limit} characters)",
                f"you cut the first line from {len(b_first)} to {len(a_first)} characters",
            )
        )
    if "!" in before and "!" not in after:
        rules.append(LearnedRule("exclamation", "no exclamation marks", "you removed every exclamation mark"))
    if tx.emoji_clusters(before) and not tx.emoji_clusters(after):
        rules.append(LearnedRule("emoji", "no emojis", "you removed every emoji"))
    n_before, n_after = hashtag_count(before, before_tags), hashtag_count(after, after_tags)
    if n_after < n_before:
        rules.append(
            LearnedRule(
                "hashtags",
                f"fewer hashtags (≤{n_after})" if n_after else "no hashtags",
                f"you went from {n_before} hashtags to {n_after}",
            )
        )
    removed = set(content_words(before)) - set(content_words(after))
    earlier = {w.lower() for w in earlier_removed}
    repeated_in_draft = {w for w in removed if content_words(before).count(w) >= 2}
    for word in sorted((removed & earlier) | repeated_in_draft):
        rules.append(LearnedRule(f"word:{word}", f"avoid the word {word}", f"you removed “{word}” again"))
    b_len, a_len = len(strip_emoji(before).strip()), len(strip_emoji(after).strip())
    if b_len >= LENGTH_MIN_BEFORE and 0 < a_len <= LENGTH_RATIO * b_len:
        rules.append(
            LearnedRule(
                "length",
                f"keep posts shorter (~{_round_up(a_len)} characters)",
                f"you cut the post from {b_len} to {a_len} characters",
            )
        )
    return rules


_FAMILY_PATTERNS = {
    "first_line": re.compile(r"^shorter first lines\b", re.I),
    "exclamation": re.compile(r"^no exclamation marks$", re.I),
    "emoji": re.compile(r"^no emojis$", re.I),
    "hashtags": re.compile(r"^(?:fewer hashtags\b|no hashtags$)", re.I),
    "length": re.compile(r"^keep posts shorter\b", re.I),
}


def family_of(rule_text: str) -> str | None:
    """The family of a learned rule's text (to replace an older rule of the same family)."""
    for family, pattern in _FAMILY_PATTERNS.items():
        if pattern.search(rule_text.strip()):
            return family
    m = re.match(r"^avoid the word (\S+)$", rule_text.strip(), re.I)
    return f"word:{m.group(1).lower()}" if m else None


def removed_words(before: str, after: str) -> list[str]:
    return sorted(set(content_words(before)) - set(content_words(after)))
