"""Counting rules per platform and a last-resort trim that never returns text over its limit."""

from __future__ import annotations

import re

import regex

from prompts.platforms import rule

_URL = re.compile(r"https?://\S+", re.IGNORECASE)
# twitter-text: these code point ranges weigh 1, everything else (CJK, emoji...) weighs 2.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
X_URL_WEIGHT = 23


def _weight(cluster: str) -> int:
    if len(cluster) > 1 and any(ord(c) > 0xFFFF or 0x2600 <= ord(c) <= 0x27BF for c in cluster):
        return 2  # an emoji sequence (ZWJ, skin tone, flag) counts as one emoji
    total = 0
    for ch in cluster:
        cp = ord(ch)
        if 0xFE00 <= cp <= 0xFE0F or cp == 0x200D:
            continue
        total += 1 if any(lo <= cp <= hi for lo, hi in _LIGHT_RANGES) else 2
    return total


def count(text: str, counting: str) -> int:
    if counting == "chars":
        return len(text)
    if counting == "graphemes":
        return len(regex.findall(r"\X", text))
    if counting == "weighted":
        total = 0
        pos = 0
        for match in _URL.finditer(text):
            total += sum(_weight(c) for c in regex.findall(r"\X", text[pos : match.start()]))
            total += X_URL_WEIGHT
            pos = match.end()
        total += sum(_weight(c) for c in regex.findall(r"\X", text[pos:]))
        return total
    raise ValueError(f"Unknown counting rule {counting!r}")


def length_for(text: str, platform: str) -> int:
    r = rule(platform)
    return count(text, r.counting)


def trim_to_limit(text: str, limit: int, counting: str, ellipsis: str = "…") -> str:
    """Cut at a word boundary so that ``count(result) <= limit``; whole grapheme clusters only."""
    if count(text, counting) <= limit:
        return text
    clusters = regex.findall(r"\X", text)
    budget = limit - count(ellipsis, counting)
    lo, hi = 0, len(clusters)
    while lo < hi:  # the longest prefix within budget
        mid = (lo + hi + 1) // 2
        if count("".join(clusters[:mid]), counting) <= budget:
            lo = mid
        else:
            hi = mid - 1
    prefix = "".join(clusters[:lo])
    cut = prefix.rstrip()
    ends_on_word = lo < len(clusters) and clusters[lo].isspace()  # the next character ends the word
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if not ends_on_word and len(cut) == len(prefix) and space > len(cut) // 2:
        cut = cut[:space]
    cut = cut.rstrip(" \n,;:-–—")
    result = cut + ellipsis if cut else ""
    while result and count(result, counting) > limit:  # a URL cut in half can weigh more: shrink again
        result = result[:-2] + ellipsis if len(result) > 1 else ""
    return result


def fits(text: str, platform: str) -> bool:
    r = rule(platform)
    return count(text, r.counting) <= r.limit
