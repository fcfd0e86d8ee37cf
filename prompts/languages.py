"""Languages as data: ISO 639-1 codes, their English names, the names people type, and reading a request's
language ("in Spanish", "auf Deutsch", "en français", "translate to Japanese")."""

from __future__ import annotations

import re
from functools import cache

# code: (English name, other names and spellings people use, lower case)
LANGUAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "en": (
        "English",
        (
            "english",
            "englisch",
            "englische",
            "inglés",
            "ingles",
            "anglais",
            "inglese",
            "inglês",
            "engish",
            "englsih",
        ),
    ),
    "es": (
        "Spanish",
        (
            "spanish",
            "español",
            "espanol",
            "castellano",
            "spanisch",
            "spanische",
            "espagnol",
            "spagnolo",
            "espanhol",
            "spansih",
            "spainsh",
        ),
    ),
    "de": (
        "German",
        (
            "german",
            "deutsch",
            "deutsche",
            "alemán",
            "aleman",
            "allemand",
            "tedesco",
            "alemão",
            "alemao",
            "germna",
        ),
    ),
    "fr": (
        "French",
        (
            "french",
            "français",
            "francais",
            "französisch",
            "franzosisch",
            "französische",
            "francés",
            "frances",
            "francese",
            "francês",
            "frech",
        ),
    ),
    "it": (
        "Italian",
        ("italian", "italiano", "italienisch", "italienische", "italien", "itallian", "italain", "italien"),
    ),
    "pt": (
        "Portuguese",
        (
            "portuguese",
            "português",
            "portugues",
            "portugiesisch",
            "portugiesische",
            "portugais",
            "portoghese",
            "portugese",
            "portugues",
        ),
    ),
    "nl": ("Dutch", ("dutch", "nederlands", "niederländisch", "néerlandais")),
    "pl": ("Polish", ("polish", "polski", "polsku", "polnisch")),
    "sv": ("Swedish", ("swedish", "svenska", "schwedisch")),
    "da": ("Danish", ("danish", "dansk", "dänisch")),
    "no": ("Norwegian", ("norwegian", "norsk", "norwegisch")),
    "fi": ("Finnish", ("finnish", "suomi", "finnisch")),
    "tr": ("Turkish", ("turkish", "türkçe", "turkce", "türkisch")),
    "el": ("Greek", ("greek", "ελληνικά", "griechisch")),
    "cs": ("Czech", ("czech", "čeština", "cestina", "tschechisch")),
    "ro": ("Romanian", ("romanian", "română", "romana", "rumänisch")),
    "hu": ("Hungarian", ("hungarian", "magyar", "ungarisch")),
    "ru": ("Russian", ("russian", "русский", "russisch")),
    "uk": ("Ukrainian", ("ukrainian", "українська", "ukrainisch")),
    "ar": ("Arabic", ("arabic", "العربية", "arabisch")),
    "he": ("Hebrew", ("hebrew", "עברית", "hebräisch")),
    "hi": ("Hindi", ("hindi", "हिन्दी")),
    "id": ("Indonesian", ("indonesian", "bahasa indonesia", "indonesisch")),
    "vi": ("Vietnamese", ("vietnamese", "tiếng việt", "vietnamesisch")),
    "th": ("Thai", ("thai", "ไทย")),
    "ja": ("Japanese", ("japanese", "日本語", "japanisch")),
    "ko": ("Korean", ("korean", "한국어", "koreanisch")),
    "zh": ("Chinese", ("chinese", "mandarin", "中文", "chinesisch")),
    "ca": ("Catalan", ("catalan", "català", "katalanisch")),
}


@cache
def _names() -> dict[str, str]:
    out: dict[str, str] = {}
    for code, (name, others) in LANGUAGES.items():
        for alias in (name.lower(), *others):
            out[alias] = code
    return out


def language_name(code: str) -> str:
    """'es' -> 'Spanish'; an unknown code is returned as given."""
    entry = LANGUAGES.get(code.strip().lower())
    return entry[0] if entry else code


def normalize_language(value: str) -> str | None:
    """A code or a name ('es', 'Spanish', 'español', 'es-MX') -> 'es'; None when unknown."""
    key = " ".join(value.strip().lower().split())
    if not key:
        return None
    base = re.split(r"[-_]", key, maxsplit=1)[0]
    if base in LANGUAGES:
        return base
    return _names().get(key)


@cache
def _alias_pattern() -> str:
    aliases = sorted(_names(), key=len, reverse=True)
    return "|".join(re.escape(a) for a in aliases)


@cache
def _request_patterns() -> tuple[re.Pattern[str], ...]:
    names = _alias_pattern()
    return (
        # "in Spanish", "into French", "to German" (after translate), "auf Deutsch", "en español", "em português"
        re.compile(
            rf"(?:^|[\s(,])(?:in|into|auf|ins|en|em|para|pra|pro|al|nel|vers|in het|po|på|na|translated to|"
            rf"translate(?:d)?\s+(?:\S+\s+){{0,3}}?to|\w*(?:traduc|tradu[sz]|traduz|translat|ubersetz|übersetz|traduci)\w*\s+(?:\S+\s+){{0,4}}?(?:to|a|al|en|in|para|pra|ins|auf|em|nel|in))"
            rf"\s+(?:the\s+|o\s+|el\s+|l'|le\s+)?({names})(?![\w])",
            re.IGNORECASE,
        ),
        # "a Spanish caption", "German version", "French translation"
        re.compile(
            rf"(?:^|\s)({names})\s+(?:caption|post|tweet|thread|version|translation|copy|text)s?\b",
            re.IGNORECASE,
        ),
    )


def requested_language(text: str) -> str | None:
    """The language a request asks for, as a code, or None: 'write it in Spanish' -> 'es'."""
    for pattern in _request_patterns():
        match = pattern.search(text)
        if match:
            return _names().get(" ".join(match.group(1).lower().split()))
    return None


def strip_language_request(text: str) -> str:
    """The request without its "in Spanish" part, so that it does not end up in the post's subject."""
    names = _alias_pattern()
    out = re.sub(
        rf"\s*(?:,\s*)?\b(?:in|into|auf|en|em)\s+(?:the\s+)?(?:{names})(?![\w])(?:\s+please)?",
        "",
        text,
        flags=re.IGNORECASE,
    )
    return out.strip() or text
