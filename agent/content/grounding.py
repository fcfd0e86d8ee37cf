"""Grounded drafts: what a draft states must come from the request, the material or the brand profile.

:func:`check` reads a draft the way a careful creator would before posting it: every number, price, date,
time, percentage, link, handle and name must be in a source; offer and product claims ("free", "gluten-free",
"since 1998", "fresh", "holiday season") too; every emoji must depict something the sources talk about (or
be a generic one like ✨); no instruction is echoed; the Brief's constraints hold (hashtag count, emoji on or
off, length, words to include or avoid, language). :func:`repair` fixes what can be fixed without a writer
(drops the sentences that state an unsupported fact, the emoji that do not fit, banned words; sets the
hashtag count); what it cannot fix is rewritten by the caller, and the template writer comes last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent.content.brief import Constraints
from agent.content.emoji import unfit_emoji, vocabulary
from agent.content.text import emoji_clusters, sentences, strip_emoji
from agent.content.understand import facts_in, fold
from agent.content.writers.quality import echoed_instruction

NUMBER_WORDS = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "uno": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "cuatro": 4,
    "cinco": 5,
    "seis": 6,
    "siete": 7,
    "ocho": 8,
    "nueve": 9,
    "diez": 10,
    "once": 11,
    "doce": 12,
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "quatre": 4,
    "cinq": 5,
    "sept": 7,
    "huit": 8,
    "neuf": 9,
    "dix": 10,
    "onze": 11,
    "douze": 12,
    "ein": 1,
    "eine": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "funf": 5,
    "sechs": 6,
    "sieben": 7,
    "acht": 8,
    "neun": 9,
    "zehn": 10,
    "elf": 11,
    "zwolf": 12,
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "quatro": 4,
    "sete": 7,
    "oito": 8,
    "nove": 9,
    "dez": 10,
    "due": 2,
    "tre": 3,
    "quattro": 4,
    "cinque": 5,
    "sei": 6,
    "sette": 7,
    "otto": 8,
    "dieci": 10,
    "undici": 11,
    "dodici": 12,
    "noon": 12,
    "midnight": 0,
}
_WEEKDAY_GROUPS = (
    ("monday", "lunes", "lundi", "montag", "segunda", "lunedi"),
    ("tuesday", "martes", "mardi", "dienstag", "terca", "martedi"),
    ("wednesday", "miercoles", "mercredi", "mittwoch", "quarta", "mercoledi"),
    ("thursday", "jueves", "jeudi", "donnerstag", "quinta", "giovedi"),
    ("friday", "viernes", "vendredi", "freitag", "sexta", "venerdi"),
    ("saturday", "sabado", "samedi", "samstag", "sabato"),
    ("sunday", "domingo", "dimanche", "sonntag", "domenica"),
)
_RELATIVE_GROUPS = (
    ("today", "hoy", "aujourd'hui", "heute", "hoje", "oggi"),
    ("tonight", "esta noche", "ce soir", "heute abend", "esta noite", "stasera"),
    ("tomorrow", "manana", "demain", "morgen", "amanha", "domani"),
    (
        "this weekend",
        "este fin de semana",
        "ce week-end",
        "am wochenende",
        "neste fim de semana",
        "questo fine settimana",
    ),
)


def _numbers(text: str) -> set[float]:
    """Every number a text states: digits and number words."""
    folded = fold(text)
    out: set[float] = set()
    for m in re.finditer(r"\d+(?:[.,]\d+)?", folded):
        raw = m.group(0)
        for candidate in (raw.replace(",", "."), raw.replace(",", "").replace(".", "")):
            try:
                out.add(float(candidate))
            except ValueError:
                continue
    for word, value in NUMBER_WORDS.items():
        if re.search(rf"\b{word}\b", folded):
            out.add(float(value))
    return out


def _hours(text: str) -> set[int]:
    """The clock hours a text may mean, on a 12-hour dial ("six", "6pm", "18:00" and "18h" are all 6)."""
    return {int(n) % 12 for n in _numbers(text) if n == int(n) and 0 <= n <= 24}


def _day_groups(text: str) -> set[int]:
    folded = fold(text)
    found = set()
    for i, group in enumerate((*_WEEKDAY_GROUPS, *_RELATIVE_GROUPS)):
        if any(re.search(rf"\b{re.escape(w)}", folded) for w in group):
            found.add(i)
    return found


def supported(fact_kind: str, fact_text: str, sources: str) -> bool:
    """Whether a fact of a draft is stated by the sources (folded text of request, material and profile)."""
    value = fold(fact_text)
    if value and value in sources:
        return True
    if fact_kind == "time":
        hours = _hours(re.sub(r":\d{2}", "", fold(fact_text)))
        return bool(hours) and hours <= _hours(sources)
    if fact_kind in ("price", "percent", "number"):
        wanted = _numbers(fact_text)
        return bool(wanted) and wanted <= _numbers(sources)
    if fact_kind == "date":
        days = _day_groups(fact_text)
        if days:
            return days <= _day_groups(sources)
        return bool(_numbers(fact_text)) and _numbers(fact_text) <= _numbers(sources)
    if fact_kind == "name":  # a name in another case or inflection: every word of it is in the sources
        return all(re.search(rf"\b{re.escape(w[:5])}", sources) for w in value.split() if len(w) > 2)
    return False


def _claim_pattern(claim: str) -> str:
    return rf"(?<![\w]){re.escape(claim)}" + (r"\w*" if claim[-1].isalnum() else "")


def unsupported_facts(text: str, sources: str) -> list[str]:
    """The facts and claims of ``text`` that the sources do not state."""
    src = fold(sources)
    out = [f.text for f in facts_in(text, source="draft") if not supported(f.kind, f.text, src)]
    folded = fold(text)
    vocab = vocabulary()
    for claim in vocab.claims:
        m = re.search(_claim_pattern(claim), folded)
        if m is None or re.search(_claim_pattern(claim), src):
            continue
        same = next((g for g in vocab.claim_groups if claim in g), (claim,))
        if not any(re.search(_claim_pattern(w), src) for w in same):  # "fresco" for "fresh" is no new claim
            out.append(text[m.start() : m.end()])
    return list(dict.fromkeys(out))


@dataclass
class Report:
    """What a draft passed and failed. ``failed`` names each failed check with what was wrong."""

    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    unsupported: list[str] = field(default_factory=list)
    unfit_emoji: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def check(
    text: str,
    hashtags: Sequence[str],
    *,
    sources: str,
    constraints: Constraints,
    language: str | None = None,
    brief: str = "",
    detect_language: Callable[[str], tuple[str | None, float]] | None = None,
) -> Report:
    """Check a draft (its text and hashtags) against its sources and the Brief's constraints."""
    report = Report()

    def verdict(name: str, problem: str | None) -> None:
        if problem:
            report.failed[name] = problem
        else:
            report.passed.append(name)

    report.unsupported = unsupported_facts(text, sources)
    verdict(
        "facts", "states " + ", ".join(f"“{u}”" for u in report.unsupported) if report.unsupported else None
    )
    report.unfit_emoji = unfit_emoji(text, sources)
    verdict("emoji fit", "unrelated emoji " + " ".join(report.unfit_emoji) if report.unfit_emoji else None)
    echo = echoed_instruction(text, brief=brief)
    verdict("no instruction echo", f"copies “{echo}”" if echo else None)
    if constraints.hashtags is not None:
        n = len(list(hashtags))
        verdict(
            "hashtag count",
            None if n == constraints.hashtags else f"{n} hashtags, {constraints.hashtags} asked",
        )
    if constraints.emoji is False:
        verdict("no emoji", "has emoji" if emoji_clusters(text) else None)
    if constraints.max_chars is not None:
        verdict(
            "length", None if len(text) <= constraints.max_chars else f"{len(text)} > {constraints.max_chars}"
        )
    if constraints.must_include:
        missing = [w for w in constraints.must_include if fold(w) not in fold(text)]
        verdict("includes", "misses " + ", ".join(missing) if missing else None)
    if constraints.must_avoid:
        present = [w for w in constraints.must_avoid if re.search(rf"\b{re.escape(fold(w))}\b", fold(text))]
        verdict("avoids", "says " + ", ".join(present) if present else None)
    if constraints.sign_off:
        verdict("sign-off", None if fold(constraints.sign_off) in fold(text) else "no sign-off")
    if language and detect_language is not None and len(text.split()) >= 4:
        code, confidence = detect_language(strip_emoji(text))
        wrong = code is not None and code != language and confidence >= 0.8
        verdict("language", f"written in {code}, {language} asked" if wrong else None)
    return report


def repair(text: str, report: Report, constraints: Constraints) -> str:
    """The draft with what can be fixed mechanically fixed: the sentences stating an unsupported fact dropped
    (when others remain), unfit emoji removed (all emoji when none are wanted), banned words removed, the
    words asked for and the sign-off added. Hashtag counts are the caller's (it knows the writer's tags)."""
    if report.unsupported:
        kept = [s for s in sentences(text) if not any(fold(u) in fold(s) for u in report.unsupported)]
        if kept and len(" ".join(kept).split()) >= 3:
            text = " ".join(kept)
    if constraints.emoji is False:
        text = strip_emoji(text)
    for e in report.unfit_emoji:
        text = text.replace(e, "")
    for word in constraints.must_avoid:
        text = re.sub(rf"\s*\b{re.escape(word)}\b", "", text, flags=re.IGNORECASE)
    missing = [w for w in constraints.must_include if fold(w) not in fold(text)]
    if missing:  # words the creator asked for, word for word (a code, a phrase)
        text = f"{text.rstrip()}\n\n{' · '.join(missing)}"
    if constraints.sign_off and fold(constraints.sign_off) not in fold(text):
        text = f"{text.rstrip()}\n\n{constraints.sign_off}"
    return re.sub(r"[ \t]{2,}", " ", text).strip()
