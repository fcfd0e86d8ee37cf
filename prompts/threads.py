"""Splitting a long text into a numbered thread whose every post fits its platform's limit.

Each post carries its numbering (" 2/5") and is counted with it, by the platform's own counting rule. The
text is cut between sentences, then between words; a word longer than a whole post (never a URL) is cut
between grapheme clusters. The posts rejoin to the original words, in order.
"""

from __future__ import annotations

import re

import regex

from prompts.counting import count

THREAD_PLATFORMS = ("x", "threads", "bluesky", "mastodon")
MAX_POSTS = 25
POST_SEPARATOR = "\n\n---\n\n"  # a thread draft's text: its posts apart (meta["posts"] is what is published)
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?…]['\"”’)\]]*$")
_CLUSTER = regex.compile(r"\X")


class ThreadTooLong(ValueError):
    """The text needs more posts than allowed, or holds a link longer than a whole post."""


def numbering(i: int, n: int) -> str:
    return f" {i}/{n}"


def numbered(posts: list[str]) -> list[str]:
    """The posts as published: a thread of one has no numbering."""
    if len(posts) <= 1:
        return list(posts)
    return [f"{p}{numbering(i, len(posts))}" for i, p in enumerate(posts, start=1)]


def _paragraph_units(text: str) -> list[list[str]]:
    """Paragraphs, each a list of sentences, each sentence a list of words (whitespace-separated tokens)."""
    paragraphs: list[list[str]] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        tokens = block.split()
        if not tokens:
            continue
        sentences: list[str] = []
        current: list[str] = []
        for token in tokens:
            current.append(token)
            if _SENTENCE_END.search(token) and not _URL.match(token):
                sentences.append(" ".join(current))
                current = []
        if current:
            sentences.append(" ".join(current))
        paragraphs.append(sentences)
    return paragraphs


def _hard_split(word: str, budget: int, counting: str) -> list[str]:
    """A word longer than a post, cut between grapheme clusters."""
    pieces: list[str] = []
    current = ""
    clusters: list[str] = []
    for cluster in _CLUSTER.findall(word):  # a cluster heavier than a post (pathological) goes by code points
        clusters += list(cluster) if count(cluster, counting) > budget else [cluster]
    for cluster in clusters:
        if current and count(current + cluster, counting) > budget:
            pieces.append(current)
            current = ""
        current += cluster
    if current:
        pieces.append(current)
    return pieces


def _pack(text: str, budget: int, counting: str) -> list[str]:
    """Greedy packing into posts of at most ``budget``: whole sentences when they fit, else words."""
    posts: list[str] = []
    current = ""

    def fits(candidate: str) -> bool:
        return count(candidate, counting) <= budget

    def push(piece: str, sep: str) -> None:
        nonlocal current
        candidate = f"{current}{sep}{piece}" if current else piece
        if fits(candidate):
            current = candidate
            return
        if current:
            posts.append(current)
            current = ""
        if fits(piece):
            current = piece
            return
        # the sentence is longer than a post: word by word
        for word in piece.split(" "):
            candidate = f"{current} {word}" if current else word
            if fits(candidate):
                current = candidate
                continue
            if current:
                posts.append(current)
                current = ""
            if fits(word):
                current = word
            elif _URL.match(word):
                raise ThreadTooLong(
                    f"The link {word[:60]}… is longer than a whole post ({budget} characters); shorten it."
                )
            else:
                *full, current = _hard_split(word, budget, counting)
                posts.extend(full)

    for paragraph in _paragraph_units(text):
        for j, sentence in enumerate(paragraph):
            push(sentence, " " if j else "\n\n")
    if current:
        posts.append(current)
    return posts


_ITEM = re.compile(r"(?:^|(?<=\s))(\d{1,2})[.)]\s+")


def list_posts(text: str, limit: int, counting: str, max_posts: int = MAX_POSTS) -> list[str] | None:
    """A numbered list ("5 things we learned: 1. … 2. … 3. …") as a thread people expect: the introduction,
    then one post per item (without numbering). None when the text is no list numbered from 1, or a post with
    its " i/n" would not fit ``limit``."""
    text = text.strip()
    marks = list(_ITEM.finditer(text))
    if len(marks) < 2 or [int(m.group(1)) for m in marks] != list(range(1, len(marks) + 1)):
        return None
    ends = [m.start() for m in marks[1:]] + [len(text)]
    intro = text[: marks[0].start()].strip()
    posts = ([intro] if intro else []) + [
        text[m.start() : end].strip() for m, end in zip(marks, ends, strict=True)
    ]
    n = len(posts)
    if n > max_posts or any(count(p + numbering(n, n), counting) > limit for p in posts):
        return None
    return posts


def split_thread(text: str, limit: int, counting: str, max_posts: int = MAX_POSTS) -> list[str]:
    """The text as thread posts (without numbering) such that each post plus its " i/n" fits ``limit``.

    A text that fits in one post is returned as one post. Raises :class:`ThreadTooLong` when more than
    ``max_posts`` posts would be needed or a link is longer than a post.
    """
    text = text.strip()
    if not text:
        return []
    if count(text, counting) <= limit:
        return [text]
    n = 2
    for _ in range(6):  # the numbering's width depends on n: repack until n is stable
        budget = limit - count(numbering(n, n), counting)
        if budget < 10:
            raise ThreadTooLong(f"A post of {limit} characters has no room for text beside its numbering.")
        posts = _pack(text, budget, counting)
        if len(posts) > max_posts:
            raise ThreadTooLong(
                f"That text needs {len(posts)} posts; the most I make in one thread is {max_posts}."
            )
        if len(str(len(posts))) <= len(str(n)):
            return posts
        n = len(posts)
    return posts  # pragma: no cover - n's width grows at most twice (2 -> 10 -> 100)


def thread_fits(posts: list[str], limit: int, counting: str) -> bool:
    return all(count(p, counting) <= limit for p in numbered(posts))
