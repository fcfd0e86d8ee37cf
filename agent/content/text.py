"""Reading a post: its opening line, calls to action, questions, emoji, links, hashtags and readability.

Pure functions over strings, precompiled patterns, no model: fast enough to run on every draft.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import regex

from prompts.counting import X_URL_WEIGHT, _weight, count

URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
HASHTAG = re.compile(r"(?<![\w&/])#([^\W_][\w]*)", re.UNICODE)
MENTION = re.compile(r"(?<![\w])@[\w.]+")
_CLUSTER = regex.compile(r"\X")
# one emoji: a flag, or a pictograph with its modifiers and ZWJ-joined parts (©®™ only with VS16)
_EMOJI = regex.compile(
    r"\p{Regional_Indicator}{2}"
    r"|(?:[©®™‼⁉]\uFE0F|(?![©®™‼⁉])\p{Extended_Pictographic})[\uFE0F\p{Emoji_Modifier}]*"
    r"(?:\u200D\p{Extended_Pictographic}[\uFE0F\p{Emoji_Modifier}]*)*"
)
_X_URL = re.compile(r"https?://\S+", re.IGNORECASE)  # the URL rule of prompts.counting
_LIGHT_MAX = "\u10ff"  # code points up to 4351 weigh 1 on X
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# a sentence ends at . ! ? … or at an emoji followed by a capitalised word ("Say hello ☕ We can't wait")
# a German ordinal date ("am 3. März") is not the end of a sentence
_ORDINAL_DATE = (
    r"(?<!\b\d{1,2}\.)|(?<=\b\d{1,2}\.)(?!\s+(?:Januar|Jänner|Februar|März|April|Mai|Juni|Juli|August|September|"
    r"Oktober|November|Dezember)\b)"
)
_SENTENCE_SPLIT = regex.compile(
    rf"(?<=[.!?…])(?:{_ORDINAL_DATE})\s+(?=\S)|(?<=\p{{Extended_Pictographic}}\uFE0F?)\s+(?=\p{{Lu}})"
)
_VOWEL_GROUPS = re.compile(r"[aeiouy]+")

# calls to action as word tables (fast to match on tokens): a word alone, or a word followed by one of a set
CTA_WORDS = frozenset(
    "comment comments subscribe click tap register download reply repost boost vote swipe dm".split()  # noqa: SIM905
)
CTA_PAIRS: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "tell": "us me",
        "let": "us me",
        "share": "this it with your",
        "tag": "a your someone us",
        "save": "this it for",
        "follow": "us for me along",
        "link": "in",
        "sign": "up",
        "join": "us the our",
        "try": "it this one them",
        "shop": "now the",
        "order": "now yours today",
        "book": "now a your",
        "learn": "more",
        "read": "more",
        "find": "out",
        "send": "this it us",
        "drop": "a your us",
        "grab": "yours one",
        "get": "yours",
        "check": "it this them out",
        "watch": "now the it",
        "visit": "us our the",
    }.items()
}
_PUNCT = ".,!?:;\"'()[]{}…—–-*“”‘’«»"
HOOK_PATTERN = re.compile(
    r"^\W*(?:introducing|meet|new\b|say hello|it'?s here|finally|stop|don'?t|never|why|how|what|who|when|"
    r"here'?s|the secret|the truth|imagine|ever|big news|announcing|just launched|spotlight|breaking|psst|"
    r"confession|unpopular opinion|the one thing|quick tip|pro tip|\d)"
    r"|\b(?:you|your|secret|mistake|lesson|truth|nobody|everyone|free|today only)\b|[?!:👇]\s*\S{0,2}$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class LinkInfo:
    count: int
    position: str  # none | first | middle | end


def lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_SPLIT.split(text.strip()) if s.strip()]


def opening(text: str) -> str:
    """The line a reader sees first: the first line, or its first sentence when the line runs long."""
    first = next(iter(lines(text)), "")
    parts = sentences(first)
    return parts[0] if parts else first


def words(text: str) -> list[str]:
    return _WORD.findall(URL.sub(" ", text))


def emoji_clusters(text: str) -> list[str]:
    if text.isascii():
        return []
    return list(_EMOJI.findall(text))


# a space next to one of these may sit inside a grapheme cluster; elsewhere clusters never cross a space
_UNSAFE_SPACE = regex.compile(
    r"\p{Grapheme_Cluster_Break=Prepend} "
    r"| [\p{Grapheme_Cluster_Break=Extend}\p{Grapheme_Cluster_Break=ZWJ}\p{Grapheme_Cluster_Break=SpacingMark}]"
)


def _weighted_clusters(text: str) -> int:
    return sum(1 if len(c) == 1 and c <= _LIGHT_MAX else _weight(c) for c in _CLUSTER.findall(text))


def _weighted_plain(text: str) -> int:
    if not text:
        return 0
    if max(text) <= _LIGHT_MAX:  # every cluster of light code points weighs its length
        return len(text)
    if " " not in text or _UNSAFE_SPACE.search(text):
        return _weighted_clusters(text)
    total = text.count(" ")  # split at spaces: only the words with heavy code points need clusters
    for part in text.split(" "):
        total += len(part) if not part or max(part) <= _LIGHT_MAX else _weighted_clusters(part)
    return total


def fast_count(text: str, counting: str) -> int:
    """``prompts.counting.count`` with fast paths for the common cases; the same result (tested)."""
    if counting == "chars":
        return len(text)
    if counting != "weighted":
        return count(text, counting)
    total = 0
    pos = 0
    for match in _X_URL.finditer(text):
        total += _weighted_plain(text[pos : match.start()]) + X_URL_WEIGHT
        pos = match.end()
    return total + _weighted_plain(text[pos:])


def strip_emoji(text: str, keep: int = 0) -> str:
    """The text without its emoji beyond the first ``keep``; spaces left behind are tidied."""
    if text.isascii():
        return text
    seen = 0

    def drop(match: regex.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen <= keep else ""

    out = _EMOJI.sub(drop, text)
    return re.sub(r"[ \t]{2,}", " ", re.sub(r"[ \t]+\n", "\n", out)).strip()


def strip_urls(text: str) -> str:
    if "http" not in text and "www." not in text and "HTTP" not in text and "WWW." not in text:
        return text
    return URL.sub(" ", text)


_CTA_START = CTA_WORDS | frozenset(CTA_PAIRS)


def cta_hits(toks: list[str]) -> list[int]:
    """Indices of the tokens that start a call to action."""
    if _CTA_START.isdisjoint(toks):
        return []
    last = len(toks) - 1
    return [
        i
        for i, w in enumerate(toks)
        if w in _CTA_START and (w in CTA_WORDS or (i < last and toks[i + 1] in CTA_PAIRS.get(w, ())))
    ]


_SENTENCE_END = re.compile(r"[.!?…\n]+")
_LETTER = re.compile(r"[^\W\d_]")


class Analysis:
    """One pass over a post's text (URLs removed, lower-case tokens), shared by every factor of a score."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.clean = strip_urls(text)
        self.tokens = [w for w in (raw.strip(_PUNCT) for raw in self.clean.lower().split()) if w]

    @cached_property
    def inline_hashtags(self) -> list[str]:
        return HASHTAG.findall(self.clean) if "#" in self.clean else []

    def has_question(self) -> bool:
        return "?" in self.clean

    def cta_position(self) -> str:
        """none | end (in the last two sentences or the last line) | early."""
        hits = cta_hits(self.tokens)
        if not hits:
            return "none"
        tail = self.clean[-600:]
        tail_lines = lines(tail)
        tail_words = max(
            len(tokens(" ".join(sentences(tail)[-2:]))), len(tokens(tail_lines[-1])) if tail_lines else 0
        )
        return "end" if hits[-1] >= len(self.tokens) - tail_words else "early"

    def readability(self) -> tuple[float | None, float]:
        """(Flesch reading ease, average words per sentence). Flesch (206.835 - 1.015 words/sentence -
        84.6 syllables/word) is None when the text has too few Latin words to judge."""
        words_ = [
            w
            for w in self.tokens
            if w.isalpha() or (w[0] not in "#@" and w.replace("'", "").replace("’", "").isalpha())
        ]
        if not words_:
            return None, 0.0
        n_sent = sum(1 for part in _SENTENCE_END.split(self.clean) if _LETTER.search(part)) or 1
        avg = len(words_) / n_sent
        latin = [w for w in words_ if w.isascii()]
        if len(latin) < 3 or len(latin) * 2 < len(words_):
            return None, avg
        n_syll = sum(syllables(w) for w in latin)
        return 206.835 - 1.015 * avg - 84.6 * (n_syll / len(latin)), avg


def tokens(text: str) -> list[str]:
    """Lower-case words without surrounding punctuation (URLs removed), in order."""
    return Analysis(text).tokens


def inline_hashtags(text: str) -> list[str]:
    return Analysis(text).inline_hashtags


def all_hashtags(text: str | Analysis, hashtags: list[str] | tuple[str, ...]) -> list[str]:
    inline = text.inline_hashtags if isinstance(text, Analysis) else inline_hashtags(text)
    seen: dict[str, str] = {}
    for tag in [*hashtags, *inline]:
        tag = tag.lstrip("#").strip()
        if tag and tag.lower() not in seen:
            seen[tag.lower()] = tag
    return list(seen.values())


def has_question(text: str) -> bool:
    return "?" in strip_urls(text)


def cta_position(text: str) -> str:
    """none | end (in the last two sentences or the last line) | early."""
    return Analysis(text).cta_position()


def links(text: str) -> LinkInfo:
    found = list(URL.finditer(text))
    if not found:
        return LinkInfo(0, "none")
    all_lines = lines(text)
    first_line = all_lines[0] if all_lines else ""
    last_line = all_lines[-1] if all_lines else ""
    if any(m.group(0) in first_line for m in found) and len(all_lines) > 1:
        return LinkInfo(len(found), "first")
    stripped = text.rstrip()
    last = found[-1]
    at_end = (
        stripped.endswith(last.group(0)) or last.group(0) in last_line or last.start() > 0.8 * len(stripped)
    )
    if len(all_lines) == 1 and found[0].start() < 0.2 * len(stripped):
        return LinkInfo(len(found), "first")
    return LinkInfo(len(found), "end" if at_end else "middle")


@lru_cache(maxsize=8192)
def syllables(word: str) -> int:
    w = word.lower()
    groups = len(_VOWEL_GROUPS.findall(w))
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")) and groups > 1:
        groups -= 1
    return max(1, groups)


def readability(text: str) -> tuple[float | None, float]:
    return Analysis(text).readability()


def flesch_reading_ease(text: str) -> float | None:
    return readability(text)[0]


def avg_sentence_words(text: str) -> float:
    return readability(text)[1]


def topic_of(text: str, subject: str | None = None) -> str:
    """What the post is about, for a generated hook: the given subject, else the opening without emoji."""
    if subject and subject.strip():
        return subject.strip().rstrip(".!?:")
    first = strip_emoji(opening(text))
    first = URL.sub("", HASHTAG.sub("", first)).strip(" .!?:-–—")
    first = re.sub(
        r"^(?:say hello to|introducing|meet|it'?s here:?|let'?s talk about|a closer look at|all about)\s+",
        "",
        first,
        flags=re.IGNORECASE,
    )
    ws = first.split()
    return " ".join(ws[:8]) if ws else "this"
