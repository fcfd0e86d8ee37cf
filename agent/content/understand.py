"""Reading a request into a :class:`~agent.content.brief.Brief` — in English, Spanish, French, German,
Portuguese and Italian, under paraphrase and typos.

Rules, not one regex per phrasing: each intent has cue patterns per language (data in
``prompts/understanding.toml``); every cue found in the request is an intent, in the order the request asks
them, then a few rules settle the overlaps (a "post" in "schedule this post" is not a request for a new post;
"with 5 hashtags" is a constraint, not a hashtag request). Slots come from small extractors: platforms,
counts, the output language, the tone, the subject, the facts a draft may state, the constraints and the
drafts referred to. A paraphrase that no cue covers falls to :func:`parse`'s ``fallback`` (the services'
semantic router over labelled examples), else to "caption" for a request that reads like content work.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import prompts
from agent.content.brief import Brief, Constraints, Fact, Intent
from agent.content.briefs import detect_platforms, extract_subject
from prompts.languages import normalize_language, requested_language, strip_language_request

DATA_FILE = Path(prompts.__file__).parent / "understanding.toml"
LANGUAGES = ("en", "es", "fr", "de", "pt", "it")


def fold(text: str) -> str:
    """Lower case without accents, one character for one character (positions stay those of ``text``)."""
    out = []
    for ch in text.lower():
        if ch == "ß":
            out.append("s")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if len(base) == 1 else ch)
    return "".join(out)


@dataclass(frozen=True)
class Lexicon:
    intents: dict[Intent, tuple[re.Pattern[str], ...]]
    weak_caption: tuple[re.Pattern[str], ...]  # "post", "update": a new post only when nothing else is asked
    count_words: dict[str, int]
    vague_counts: dict[str, int]
    count_nouns: str
    tones: dict[str, str]  # word -> canonical tone
    hashtags: re.Pattern[str]
    no_hashtags: re.Pattern[str]
    no_emoji: re.Pattern[str]
    emoji: re.Pattern[str]
    max_chars: re.Pattern[str]
    must_include: re.Pattern[str]
    must_avoid: re.Pattern[str]


@cache
def lexicon() -> Lexicon:
    data: dict[str, Any] = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))
    flags = re.IGNORECASE
    intents = {
        Intent(name): tuple(re.compile(p, flags) for p in patterns)
        for name, patterns in data["intents"].items()
        if name != "caption_weak"
    }
    weak = tuple(re.compile(p, flags) for p in data["intents"]["caption_weak"])
    tones = {fold(w): tone for tone, words in data["tones"].items() for w in words}
    c = data["constraints"]
    return Lexicon(
        intents=intents,
        weak_caption=weak,
        count_words={fold(k): int(v) for k, v in data["counts"]["words"].items()},
        vague_counts={fold(k): int(v) for k, v in data["counts"]["vague"].items()},
        count_nouns=data["counts"]["nouns"],
        tones=tones,
        hashtags=re.compile(c["hashtags"], flags),
        no_hashtags=re.compile(c["no_hashtags"], flags),
        no_emoji=re.compile(c["no_emoji"], flags),
        emoji=re.compile(c["emoji"], flags),
        max_chars=re.compile(c["max_chars"], flags),
        must_include=re.compile(c["must_include"], flags),
        must_avoid=re.compile(c["must_avoid"], flags),
    )


# -- intents ---------------------------------------------------------------------------------------------

_WRITE_VERB = re.compile(
    r"\b(write|draft (?:a|an|me|some)\b|compose|craft|create|make|give me|come up with|need|want|escrib\w*|redact\w*|crea\w*|"
    r"ecri\w*|redige\w*|fais|schreib\w*|verfass\w*|erstell\w*|escrev\w*|cri[ae]\w*|scriv\w*|redigi\w*)\b"
)
_DRAFT_REF = re.compile(
    r"(?:\b(?:draft|borrador|brouillon|entwurf|rascunho|bozza|post|publicacion|publication|beitrag)s?\s*"
    r"(?:#|n[o°º.]\s*|nr\.?\s*|number\s+)?(\d{1,6})\b|#(\d{1,6})\b)"
)
_EXISTING = re.compile(
    r"\b(this|it|that|draft|the post|borrador|brouillon|entwurf|rascunho|bozza|esto|esta|este|ceci|cela|"
    r"das|dies|isso|isto|questo|questa)\b"
)


@dataclass(frozen=True)
class Cue:
    intent: Intent
    at: int  # where the request asks it (orders several intents)
    clause: int  # which clause of the request
    weak: bool = False  # only a weak caption cue ("post", "announce …")


_CLAUSE = re.compile(
    r"[.?!;]\s+|,\s+(?:and|then|y|et|und|e|puis|dann|poi|depois)\b|"
    r"\s+(?:and also|and then|then|y luego|luego|et puis|puis|und dann|dann|e poi|poi|e depois|depois)\b"
)


_CSV = re.compile(r"^\s*[\w ]{2,30}(?:\s*[,;\t]\s*[\w ]{2,30}){2,}\s*\n")
_CSV_HEADER = re.compile(
    r"\b(date|platform|likes|impressions|reach|comments|shares|saves|clicks|views|fecha|datum|data)\b"
)


def _cues(folded: str, material_at: int | None = None) -> list[Cue]:
    """The intents asked, in order; ``material_at`` is where the text given after "<task>: " starts."""
    bounds = [m.end() for m in _CLAUSE.finditer(folded)]

    def clause(at: int) -> int:
        return sum(1 for b in bounds if b <= at)

    found: list[Cue] = []
    # a caption word inside another intent's cue is part of that cue ("descripción alternativa", "key points")
    taken = [
        m.span()
        for intent, patterns in lexicon().intents.items()
        if intent is not Intent.CAPTION
        for p in patterns
        for m in p.finditer(folded)
    ]

    def free(at: int) -> bool:
        return not any(a <= at < b for a, b in taken)

    for intent, patterns in lexicon().intents.items():
        starts = [m.start() for p in patterns for m in p.finditer(folded)]
        if intent is Intent.CAPTION:
            starts = [s for s in starts if free(s)]
            nouns = [m.start() for m in _CAPTION_NOUN.finditer(folded) if free(m.start())]
            if starts and nouns:
                starts = nouns[:1]  # "write alt text … and a pinterest description": asked second
        if starts:
            found.append(Cue(intent, min(starts), clause(min(starts))))
    if _CSV.match(folded) and _CSV_HEADER.search(folded.split("\n", 1)[0]):
        found = [c for c in found if c.intent is not Intent.METRICS] + [Cue(Intent.METRICS, 0, 0)]
    if not any(c.intent is Intent.CAPTION for c in found):
        weak = [m.start() for p in lexicon().weak_caption for m in p.finditer(folded)]
        if weak:
            found.append(Cue(Intent.CAPTION, min(weak), clause(min(weak)), weak=True))
    if material_at is not None and any(c.at < material_at for c in found):
        # "legenda pro insta: … pra quem agendar até sexta": a cue word in the material is no request
        found = [c for c in found if c.at < material_at]
    return sorted(found, key=lambda c: c.at)


_CAPTION_NOUN = re.compile(
    r"\b(captions?|(?<!to )posts?|tweets?|tuits?|toots?|descriptions?|legend\w*|leyendas?|pie de foto|didascali\w+|"
    r"bildunterschrift\w*|beschreibung\w*|descri[cz]\w*|publicac\w+|postagem|beitrag\w*|pins?)\b"
)
_THIS_POST = re.compile(
    r"\b(?:this|that|the|these|my|este|esta|ese|esa|mi|esse|essa|meu|minha|ce|cette|mon|ma|diese\w*|mein\w*|"
    r"questo|questa|il mio|la mia|\w+'s)\s+(?:\w+\s+)?(?:captions?|posts?|tweets?|legend\w*|leyenda|publicac\w+|"
    r"didascalia|beitrag)\b"
)
_REWRITE = re.compile(
    r"\b(rewrite|reword|rephrase|make (?:it|this|that) (?:more|less)|rends?-le|rendi(?:lo|la)?|hazlo|mach (?:es|ihn)|"
    r"deixa(?:-o)?|torna(?:-o)?|reescrib\w*|reformul\w*|umschreib\w*|reescrev\w*|riscriv\w*)\b"
)
_NEW_POST = re.compile(
    r"(?<!#)\b(?:a|an|one|two|three|\d+|un|una|une|ein|einen|eine|um|uma|zwei|drei|dos|tres|deux|trois|due|tre|dois)\s+"
    r"(?:(?!(?:and|y|et|und|e|then|or|o|ou|oder|i|we|you|before|after|when|to)\b)[\w]+[ -]){0,2}(?:posts?|beitrag\w*|publicacion\w*|publications?|postagem|pubblicazion\w+|tweets?)\b"
)
_POST_ABOUT = re.compile(
    r"(?<!the )(?<!this )(?<!that )(?<!my )(?<!our )(?<!to )\b(?:posts?|captions?|tweets?)\s+"
    r"(?:about|on|for|sobre|sur|uber|su|announcing|promoting|celebrating|introducing|anunciando|annoncant|annunciando)\b"
    r"(?!\s*(?:x|twitter|instagram|insta|ig|linkedin|facebook|fb|tiktok|youtube|pinterest|threads|bluesky|mastodon)\b)"
)
_CODE_OR_OFFICE = re.compile(
    r"\b(python|javascript|sql|regex|function|code|script in|excel\w*|formula|formel|spreadsheet|planilha|"
    r"tableur|hoja de calculo|cover letter|letter to|carta|lettre|brief an|lettera|resume|curriculum|cv)\b"
)
_ACTS_ON_EXISTING = frozenset(
    {
        Intent.SCHEDULE,
        Intent.PUBLISH_NOW,
        Intent.APPROVE,
        Intent.CANCEL_POST,
        Intent.RESCHEDULE,
        Intent.EDIT,
        Intent.SCORE,
        Intent.IMPROVE,
        Intent.VARIANTS,
        Intent.QUEUE,
        Intent.DIAGNOSE,
        Intent.TRANSLATE,
        Intent.TONE,
        Intent.ALT_TEXT,
        Intent.SUMMARY,
        Intent.THREAD,
        Intent.BEST_TIME,
        Intent.METRICS,
        Intent.COMPARE,
        Intent.RECALL,
        Intent.VOICE_RULES,
        Intent.DELETE_RULE,
        Intent.HASHTAGS,
        Intent.SCRIPT,
        Intent.REMEMBER,
        Intent.LINK_SLACK,
        Intent.HELP,
        Intent.OUT_OF_SCOPE,
    }
)
_NEW_CONTENT = frozenset({Intent.CAPTION, Intent.SCRIPT, Intent.THREAD})
_STANDING = re.compile(
    r"\s*(?:please\s+)?(remember|rem[ae]m?ber|from now on|going forward|always|never|note|keep in mind|"
    r"recuerda|a partir de|siempre|nunca|desormais|toujours|souviens|retiens|ab jetzt|von nun an|merk|immer|"
    r"lembre|sempre|d'ora in poi|da ora in poi|ricorda|daqui (?:pra|para) frente|de agora em diante|"
    r"d'ora in avanti|dorenavant|fortan|kunftig|en adelante|moving forward)"
)
_TAGS_AS_CONSTRAINT = re.compile(
    r"(?:[,.;]\s*\d{1,2}\s+hashtags?\s*[.!]?\s*$|\b(?:with|w/|including|con|avec|mit|com|inkl\w*)\s+(?:some\s+|a few\s+|\d{1,2}\s+|\w+\s+)?"
    r"(?:relevant\s+)?hashtags?|\+\s*\d{1,2}\s+hashtags?|\b\d{1,2}\s+hashtags?\s+(?:max\w*|tops|at most|min\w*))"
)
_TONE_ASKED = re.compile(
    r"\b(?:more|less|mas|menos|plus|moins|piu|meno|mais|mehr|weniger|tone|tono|ton|tom|tonalit\w*|sounds?|suena|"
    r"sonne|klingt|soa|suona|voice|voz|voix|stimme|voce|\w+er\s+(?:formulier\w*|schreib\w*|mach\w*|klingen))\b"
)
_TAGS_FOR_POST = re.compile(
    r"hashtags?\b.{0,40}\b(?:for|para|pour|fur|per|pro|zu)\b.{0,40}\b(?:post|caption|video|reel|pin|beitrag|publicacion)"
)


def _without_cues(folded: str, intent: Intent) -> str:
    """The request with the words of one intent's cues blanked out."""
    chars = list(folded)
    for p in lexicon().intents[intent]:
        for m in p.finditer(folded):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


def _settle(found: list[Cue], folded: str, has_body: bool, refs: list[int]) -> list[Intent]:
    """The cues found, made into the intents the user meant."""
    cues = {c.intent: c for c in found}
    intents = [c.intent for c in found]

    def has(*which: Intent) -> bool:
        return any(w in cues for w in which)

    def drop(*which: Intent) -> None:
        for w in which:
            if w in cues:
                intents.remove(w)
                del cues[w]

    caption = cues.get(Intent.CAPTION)
    names_no_post = not _CAPTION_NOUN.search(folded) and not detect_platforms(folded)
    if has(Intent.RECALL, Intent.DELETE_RULE, Intent.VOICE_RULES):
        drop(Intent.REMEMBER)  # "delete the 'always end with a question' rule" quotes the rule it removes
    if has(Intent.OUT_OF_SCOPE) and caption is not None and caption.weak and names_no_post:
        drop(Intent.CAPTION)  # "give me a recipe for banana bread": no post is asked
    if (
        has(Intent.CAPTION)
        and has(Intent.OUT_OF_SCOPE)
        and _CODE_OR_OFFICE.search(folded)
        and not _CAPTION_NOUN.search(folded)
    ):
        drop(Intent.CAPTION)  # "write a python function": not a post
    if (
        has(Intent.SCRIPT)
        and has(Intent.OUT_OF_SCOPE)
        and re.search(r"\b(python|javascript|sql|bash|code)\b", folded)
    ):
        drop(Intent.SCRIPT)  # "un script Python": code, not a video script
    if has(Intent.OUT_OF_SCOPE) and len(cues) > 1:
        # "a post about our weather app" is content work; "what's the weather? and write a post…" is both
        oos = cues[Intent.OUT_OF_SCOPE]
        if not any(c.clause != oos.clause for c in cues.values() if c.intent is not Intent.OUT_OF_SCOPE):
            drop(Intent.OUT_OF_SCOPE)
    if has(Intent.REMEMBER) and has(*_NEW_CONTENT):
        # "never use emojis" inside a request for a post is a constraint of that post, not a standing rule
        later = [c for i, c in cues.items() if i in _NEW_CONTENT and c.clause > cues[Intent.REMEMBER].clause]
        if _STANDING.match(folded) and later:
            pass  # "remember we're pet-friendly, then write a post …": both
        elif _STANDING.match(folded):
            drop(*_NEW_CONTENT)
        else:
            drop(Intent.REMEMBER)
    if has(Intent.TONE) and has(*_NEW_CONTENT) and not refs and not has_body:
        first = min(cues[i].clause for i in _NEW_CONTENT if i in cues)
        if cues[Intent.TONE].clause == first or not _REWRITE.search(folded):
            drop(Intent.TONE)  # "a funny TikTok text …", "… Serious tone.": the tone of the new post
    others = (set(cues) & _ACTS_ON_EXISTING) - {Intent.HASHTAGS}
    no_tags = lexicon().no_hashtags.search(folded)
    tags_constraint = no_tags or _TAGS_AS_CONSTRAINT.search(folded)
    new_post = _NEW_POST.search(folded) or _POST_ABOUT.search(
        folded
    )  # "… and give me a linkedin post": a new post, even with "post"
    if (
        caption is not None
        and caption.weak
        and not new_post
        and (others or (has(Intent.HASHTAGS) and not tags_constraint))
    ):
        drop(Intent.CAPTION)  # "schedule this post", "hashtags for my post": no new post is asked
    if has(Intent.CAPTION) and others and _THIS_POST.search(folded) and not _WRITE_VERB.search(folded):
        drop(Intent.CAPTION)  # "improve this caption", "translate the instagram caption"
    if has(Intent.HASHTAGS) and (no_tags or (has(*_NEW_CONTENT) and tags_constraint)):
        drop(Intent.HASHTAGS)  # "a caption with 5 hashtags", "… sin hashtags": a constraint, not a request
    if has(Intent.HASHTAGS) and has(Intent.CAPTION) and _TAGS_FOR_POST.search(folded):
        drop(Intent.CAPTION)  # "hashtags for my bakery post"
    if has(Intent.CAPTION) and has(Intent.TRANSLATE, Intent.TONE) and (has_body or refs):
        drop(Intent.CAPTION)  # "translate this post to French: …" works on the given text
    if has(Intent.VARIANTS) and has(Intent.CAPTION) and cues[Intent.VARIANTS].at < cues[Intent.CAPTION].at:
        drop(Intent.VARIANTS)  # "3 variations of a caption about X": three new captions
    if has(Intent.CAPTION) and has(Intent.THREAD, Intent.SCRIPT) and not _CAPTION_NOUN.search(folded):
        drop(Intent.CAPTION)  # "write a thread for X …": the verb writes the thread
    if (
        has(Intent.THREAD)
        and has(Intent.CAPTION)
        and cues[Intent.THREAD].clause == cues[Intent.CAPTION].clause
    ) and not re.search(
        r"\b(and|y|et|und|e|plus)\b", folded[min(cues[Intent.THREAD].at, cues[Intent.CAPTION].at) :]
    ):
        drop(Intent.CAPTION)  # "write a thread about …"
    if has(Intent.SCRIPT) and has(Intent.CAPTION):
        first = min(cues[Intent.SCRIPT].at, cues[Intent.CAPTION].at)
        if not re.search(r"\b(and|y|et|und|e|plus|also)\b|\+", folded[first:]):
            drop(Intent.CAPTION)  # "a reel script about …"
    if (
        has(Intent.ALT_TEXT)
        and has(Intent.CAPTION)
        and not re.search(
            r"\b(caption|description|post|legend|leyenda|didascalia|beschreibung|descri)",
            _without_cues(folded, Intent.ALT_TEXT),
        )
    ):
        # "write alt text for this image", "write a description of it for screen readers"
        drop(Intent.CAPTION)
    if has(Intent.SCORE) and has(Intent.BEST_TIME) and "score" not in folded:
        drop(Intent.SCORE)
    if has(Intent.CANCEL_POST) and re.search(
        r"\b(?:don'?t|do not|never|nicht|no|ne|non|nao)\s+(?:publish|post)", folded
    ):
        drop(Intent.PUBLISH_NOW)  # "don't publish draft 10 after all"
    if has(Intent.RESCHEDULE) and not re.search(r"[\"“‘'«]", folded):
        drop(Intent.EDIT)  # "cambia el post 8 al viernes": a new time, not new words
    if (
        set(cues) == {Intent.COMPARE, Intent.METRICS}
        and cues[Intent.COMPARE].clause == cues[Intent.METRICS].clause
    ):
        drop(Intent.METRICS)  # "how are we doing vs Allbirds"; "how did we do in May, and vs Lush?" asks both
    if (
        has(Intent.VOICE_RULES, Intent.RECALL, Intent.HELP)
        and caption is not None
        and (names_no_post or (has(Intent.VOICE_RULES) and _THIS_POST.search(folded)))
    ):
        drop(Intent.CAPTION)  # "which rules do you follow when you write for me / my captions"
    if has(Intent.RESCHEDULE, Intent.PUBLISH_NOW, Intent.QUEUE, Intent.CANCEL_POST):
        drop(Intent.SCHEDULE)  # "what's in my schedule", "cancel the scheduled post 5"
    if has(Intent.SUMMARY) and has(Intent.CAPTION) and not _CAPTION_NOUN.search(folded):
        drop(Intent.CAPTION)  # "fais-moi un résumé de cette vidéo"
    if has(Intent.VOICE_RULES):
        drop(Intent.TONE)  # "what rules do you follow for my tone of voice?"
    if has(Intent.EDIT) and has(Intent.TONE) and not _REWRITE.search(folded):
        drop(Intent.TONE)
    if has(Intent.OUT_OF_SCOPE) and _CODE_OR_OFFICE.search(folded) and not _CAPTION_NOUN.search(folded):
        drop(Intent.SCRIPT, Intent.CAPTION)  # "un script Python": code, not a video script
    if has(Intent.TONE) and has(Intent.IMPROVE) and "tone" not in folded and _tone(folded) is None:
        drop(Intent.TONE)  # "improve it, make it sound better"; "melhora o 3, deixa mais divertido" is both
    if (
        has(Intent.TONE)
        and not has(Intent.REMEMBER)
        and _tone(folded) is None
        and not _TONE_ASKED.search(folded)
    ):
        # "why did post 27 tank? rewrite it so it doesn't happen again": no tone is named, a better post is
        intents[intents.index(Intent.TONE)] = Intent.IMPROVE
        cues[Intent.IMPROVE] = cues.pop(Intent.TONE)
    if has(Intent.VARIANTS) and has(Intent.TONE) and _tone(folded) is None and not _REWRITE.search(folded):
        drop(Intent.TONE)  # "faz mais 2 opções do 13 com uma chamada mais forte": how the variants differ
    if (
        has(Intent.SUMMARY)
        and has(Intent.CAPTION)
        and re.match(r"[\w' ]{0,20}:", folded[cues[Intent.SUMMARY].at :])
    ):
        drop(Intent.SUMMARY)  # "Draft a LinkedIn post … Key points: syncs call notes …" labels the material
    if (
        has(Intent.COMPARE)
        and has(*_NEW_CONTENT, Intent.REMEMBER)
        and not (has(*_NEW_CONTENT) and re.search(r"compet|concurr|konkurr|wettbewerb|concorr", folded))
    ):
        # "title ideas for a video comparing the Kindle and the Kobo", "never mention competitors": a subject
        drop(Intent.COMPARE)
    if has(Intent.VOICE_RULES):
        drop(Intent.RECALL)  # "remind me what my brand voice settings are"
    if has(Intent.LINK_SLACK) and not refs:
        drop(Intent.APPROVE)  # "connect Slack so the team can approve drafts there"
    if has(Intent.CANCEL_POST) and not re.search(r"[\"“‘'«]", folded):
        drop(Intent.EDIT)  # "togli dalla programmazione il post 15": the post goes, not some words
    if has(Intent.HELP) and has(Intent.CAPTION) and re.search(r"\bcan you (?:post|write) for me\b", folded):
        drop(Intent.CAPTION)  # "how does this work, can you post for me on tiktok?" asks what it can do
    return intents


# -- slots -------------------------------------------------------------------------------------------------

_WEEKDAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|lunes|martes|miercoles|jueves|viernes|sabado|"
    r"domingo|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|montag|dienstag|mittwoch|donnerstag|freitag|"
    r"samstag|sonntag|segunda(?:-feira)?|terca(?:-feira)?|quarta(?:-feira)?|quinta(?:-feira)?|sexta(?:-feira)?|"
    r"lunedi|martedi|mercoledi|giovedi|venerdi|sabato"
)
_MONTHS_FULL = (
    r"january|february|march|april|june|july|august|september|october|november|december|enero|febrero|marzo|"
    r"abril|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|janvier|fevrier|avril|juin|juillet|"
    r"septembre|octobre|novembre|decembre|januar|februar|marz|juni|juli|oktober|dezember|janeiro|fevereiro|"
    r"maio|junho|julho|setembro|outubro|novembro|dezembro|gennaio|febbraio|aprile|maggio|giugno|luglio|"
    r"settembre|ottobre|dicembre"
)
# with the short forms and the names that are also words ("may", "mars", "mai") — only before or after a day
_MONTHS = rf"{_MONTHS_FULL}|jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|mayo|mars|mai|aout|marco"
_RELATIVE_DAYS = (
    r"today|tonight|tomorrow|tmrw|tmr|tomorow|last night|yesterday|weekends?|this (?:week|month|year|weekend|fall|summer|"
    r"spring|winter)|next (?:week|month|year)|last (?:week|month|year)|the \d{1,2}(?:st|nd|rd|th)|"
    r"(?:every|next|this|last) (?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b|"
    r"(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)\s?-\s?(?:mon|tue|tues|wed|thu|thurs|fri|sat|sun)|"
    r"hoy|esta noche|pasado manana|este (?:finde|fin de semana|mes|ano|trimestre)|esta semana|la semana que viene|"
    r"el mes pasado|ayer|aujourd'hui|ce soir|demain|cette semaine|ce mois-ci|ce mois|ce week-end|week-end|"
    r"la semaine prochaine|le mois dernier|hier|heute|heute abend|morgen|ubermorgen|am wochenende|diese woche|"
    r"diesen monat|letzten monat|letzte woche|nachste woche|gestern|hoje|amanha|esta noite|neste fim de semana|"
    r"semana que vem|mes passado|ontem|oggi|stasera|domani|questo fine settimana|questa settimana|questo mese|"
    r"il mese scorso|la settimana prossima|ieri"
)
_FACT_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("url", re.compile(r"\b(?:https?://|www\.)[^\s<>\"')]+[^\s<>\"').,!?;:]")),
    (
        "url",  # a bare domain: "tidy.app/changelog", "thes-de-lila.fr"
        re.compile(
            r"(?<![@\w.])[a-z0-9][\w-]*(?:\.[\w-]+)*\.(?:com|io|app|es|fr|it|de|pt|br|co|org|net|shop|store|dev|me|"
            r"ly|uk|eu|at|ch|nl|be|ca|us|info|biz|xyz|site|online|studio|cafe|link)\b(?:/[^\s<>\"')]*[^\s<>\"').,!?;:])?",
            re.IGNORECASE,
        ),
    ),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.-]+\b")),
    ("handle", re.compile(r"(?<![\w@])@[A-Za-z0-9_.]{2,30}\b")),
    (
        "price",
        re.compile(
            r"(?:(?:r\$|us\$|\$|€|£|¥)\s?\d[\d.,]*(?:\s?(?:k|m))?|\d[\d.,]*\s?(?:€|\$|£|eur(?:os?)?\b|usd\b|dollars?\b|"
            r"reais\b|pounds?\b|dolares\b|euro\b))"
        ),
    ),
    (
        "percent",
        re.compile(
            r"\d+(?:[.,]\d+)?\s?(?:%|percent\b|por ciento\b|pour cent\b|prozent\b|por cento\b|per cento\b)"
        ),
    ),
    (
        "time",  # one span from a bare hour to another: "dalle 17 alle 23", "9 to 1", "4-6pm" (not "8am-8pm")
        re.compile(
            r"\b(?:(?:from|de|des|dalle|das|von|ab)\s)?\d{1,2}(?::\d{2})?\s?(?:to|a|bis|alle|as|al)\s\d{1,2}(?::\d{2})?"
            r"(?:\s?(?:am|pm|h|uhr)\b)?|\b\d{1,2}\s?[-–]\s?\d{1,2}\s?(?:am|pm|h|uhr)\b"
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(?:\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2}(?:\s?(?:h|uhr))?|\d{1,2}\s?h(?:\d{2})?\b|"
            r"\d{1,2}\s?uhr\b|(?:at|a las|a la|alle|um|as|a)\s+(?:one|two|three|four|five|six|seven|eight|nine|ten|"
            r"eleven|twelve|noon|midnight|una|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|diez|once|doce|"
            r"sei|sette|otto|nove|dieci|undici|dodici|sechs|sieben|acht|neun|zehn)\b(?:\s?(?:o'clock|pm|am))?|"
            r"noon|midnight|mediodia|midi|mittag|meio-dia|mezzogiorno)"
        ),
    ),
    (
        "date",
        re.compile(
            rf"\b(?:(?:this |next |on |el |le |am |no |na |il |la )?(?:{_WEEKDAYS})s?\b|"
            rf"\d{{1,2}}(?:st|nd|rd|th)?\.?\s(?:de\s)?(?:{_MONTHS})\b(?:\s(?:de\s)?\d{{4}})?|"
            rf"(?:{_MONTHS})\.?\s\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s\d{{4}})?|"
            rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|"
            rf"(?:{_RELATIVE_DAYS})\b|"
            rf"(?:in |en |im |em |a |in |since |desde |depuis |seit |da )(?:{_MONTHS})\b|(?<![\w'])(?:{_MONTHS_FULL})\b)"
        ),
    ),
)
_NUMBER = re.compile(r"\b\d+(?:[.,]\d+)?\b")
_NUMBER_WORD = re.compile(
    r"\b(two|three|four|five|six|seven|eight|nine|ten|dos|tres|cuatro|cinco|seis|siete|ocho|deux|trois|quatre|"
    r"cinq|zwei|drei|vier|funf|dois|duas|quatro|due|tre|quattro|cinque)\s+(?!different|versions?|options?|"
    r"captions?|posts?|tweets?|variants?|ideas?|hashtags?|tags?)[a-z]"
)
_CAPITALIZED = re.compile(  # "Dr. Lena Ortiz": a title keeps its name
    r"(?<![\w#@])((?:(?:Dr|Mr|Mrs|Ms|Prof|Mme|Sr|Sra)\.[ \t]+)?[A-ZÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜÇÑ][\w'’&-]+(?:[ \t]+(?:de |del |la |du |von |da |di )?[A-ZÁÉÍÓÚÀÈÌÒÙÂÊÎÔÛÄËÏÖÜÇÑ][\w'’&-]+)*)"
)
_NOT_NAMES = re.compile(
    rf"^(?:i|we|our|my|the|a|an|please|write|draft|give|make|create|translate|hey|hi|ok|instagram|linkedin|"
    rf"facebook|tiktok|youtube|pinterest|threads|bluesky|mastodon|x|twitter|ig|fb|yt|insta|reel|reels|story|"
    rf"stories|caption|post|tweet|thread|hashtags?|draft|new|also|and|then|it|this|that|can|could|would|"
    rf"need|want|use|make|add|show|list|schedule|publish|approve|remember|never|always|from|escribe|ecris|"
    rf"schreib|escreva|scrivi|crea|redacta|necesito|je|ich|eu|io|yo|nous|wir|nos|noi|mi|ma|mon|notre|unser|"
    rf"unsere|nuestro|nuestra|nosso|nossa|nostro|nostra|english|spanish|french|german|portuguese|italian|"
    rf"sie|ihnen|ihr|ihre|du|dich|dir|euch|usted|ustedes|vous|voce|lei|"
    rf"{_WEEKDAYS}|{_MONTHS})$",
    re.IGNORECASE,
)


_NAME_LEAD = re.compile(
    r"\b(?:in|at|with|by|from|to|meet|visit|featuring|feat|and|&|en|a|al|con|de|del|desde|para|à|au|avec|chez|"
    r"par|pour|in|im|am|bei|mit|von|vom|zu|nach|und|em|no|na|com|do|da|para|e|a|al|alla|con|da|di|per|su|y|et)$"
)


def facts_in(text: str, source: str = "request", skip: tuple[tuple[int, int], ...] = ()) -> list[Fact]:
    """The facts of a text a draft may state: prices, times, dates, percentages, URLs, e-mails, handles,
    numbers, and capitalised names (people, brands, places) — each as written."""
    folded = fold(text)
    taken: list[tuple[int, int]] = list(skip)  # instructions, not facts: how many drafts, hashtags, …
    out: list[Fact] = []

    def add(kind: str, start: int, end: int) -> None:
        if any(start < e and s < end for s, e in taken):
            return
        value = text[start:end].strip(" .,;:!?")
        if value.count("'") % 2 and value.endswith("'"):  # "'Low Tide'": the closing quote is no part of it
            value = value[:-1]
        if value:
            taken.append((start, end))
            out.append(Fact.model_validate({"kind": kind, "text": value, "source": source}))

    for kind, pattern in _FACT_PATTERNS:
        for m in pattern.finditer(folded):
            start, end = m.span()
            if (
                kind == "date"
                and re.fullmatch(r"(?:la |el |am |no |na |il )?(?:manana|morgen)", folded[start:end])
                and (
                    re.search(r"\b(?:la|cada|por|de|jeden|am|guten|every|each|esta|this)\s*$", folded[:start])
                    or (folded[start:end].startswith(("la ", "am ")))
                )
            ):
                continue  # "cada mañana", "jeden Morgen": the morning, not tomorrow
            if kind == "date":  # keep "Thursday", not "on Thursday"
                lead = re.match(r"(?:this |next |on |el |le |am |no |na |il |la )", folded[start:end])
                if (
                    lead
                    and kind == "date"
                    and folded[start:end].split()[0] in {"on", "el", "le", "am", "no", "na", "il", "la"}
                ):
                    start += lead.end()
            if kind == "time":
                lead = re.match(r"(?:at|a las|a la|alle|um|as|a)\s+", folded[start:end])
                if lead:
                    start += lead.end()
            add(kind, start, end)
    for m in _NUMBER.finditer(folded):
        add("number", m.start(), m.end())
    for m in _NUMBER_WORD.finditer(folded):
        add("number", m.start(1), m.end(1))
    for m in _CAPITALIZED.finditer(text):
        spans = [w.span() for w in re.finditer(r"\S+", m.group(1))]
        words = m.group(1).split()
        first = 0
        while first < len(words) and _NOT_NAMES.match(words[first].strip("'’")):
            first += 1
        last = len(words)
        while last > first and _NOT_NAMES.match(words[last - 1].strip("'’")):
            last -= 1  # "Folgen Sie": a verb and "you", not a name
        words = words[first:last]
        if not words:
            continue
        start = m.start(1) + spans[first][0]
        phrase = text[start : m.start(1) + spans[last - 1][1]]
        before = text[:start].rstrip()
        sentence_start = not before or not (before[-1].isalnum() or before[-1] in ",;-–—(")
        if sentence_start and len(words) < 2:  # a sentence's first word is a name only with more words
            continue
        if len(words) < 2 and not _NAME_LEAD.search(fold(before)):
            continue  # one capitalised word is a name after "in", "at", "with", "by", "meet"… ("in Lisbon")
        add("name", start, start + len(phrase))
    return out


@cache
def _count_pattern() -> re.Pattern[str]:
    """ "3 captions", "tres versiones", "zwei Beiträge": a number before what is counted (group 1)."""
    lx = lexicon()
    number = r"\d{1,2}|" + "|".join(sorted(lx.count_words, key=len, reverse=True))
    return re.compile(rf"(?<!#)(?<!out of )\b({number})\s+{lx.count_nouns}(?!\s*#?\d)")


def _count(folded: str) -> int | None:
    lx = lexicon()
    m = _count_pattern().search(folded)
    if m and not re.match(r"\s*(hashtags?|tags)\b", folded[m.end(1) :]):
        raw = m.group(1)
        value = int(raw) if raw.isdigit() else lx.count_words.get(raw)
        if value and 2 <= value <= 10:
            return value
    for phrase, value in sorted(lx.vague_counts.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(phrase)}\s+{lx.count_nouns}", folded):
            return value
    return None


def _tone(folded: str) -> str | None:
    # "say 'friendly' instead": a word of the text, not the tone asked
    folded = _QUOTED_WORDS.sub(" ", folded)
    words = lexicon().tones
    for word in sorted(words, key=len, reverse=True):
        if re.search(rf"\b{re.escape(word)}\b", folded):
            return words[word]
    return None


_QUOTED_WORDS = re.compile(r"(?<!\w)[\"“‘'«][^\"”’'»]{1,40}[\"”’'»](?!\w)")
_Q = "[\"“‘'«]"
_QE = "[\"”’'»]"
# "include @northernmktg", "include the link fuji.example.com/x", "use the code SPRING10" (no quotes)
# "mets le lien lesgensduquai.fr/12", "coloca o link da loja: horta.com.br", "bitte anhängen: griffwerk.de/kurse"
_INCLUDE_TOKEN = re.compile(
    r"\b(?:include|mention|add|use|put|incluye|inclus|mentionne|erwahne|inclua|mencione|includi|menziona|"
    r"pon|agrega|anade|mets|ajoute|fug\w*|anhangen|coloca|poe|adiciona|metti|aggiungi)\s*:?\s+"
    r"(?:(?:the|el|le|la|o|a|den|die|das|il|lo)\s+(?:link|handle|code|codigo|codice|hashtag|url|enlace|lien)"
    r"(?:\s+(?:da|de|del|della|der|du|of|to)\s+\w+)?\s*:?\s+)?"
    r"(@[\w.]+|(?:https?://)?[\w-]+\.[\w./-]+|[A-Z0-9]{4,}\b)",
    re.IGNORECASE,
)
# "always use 'folks' instead of 'guys'", "never 'Brew Haus'", "que no diga 'barato'", "non usiamo mai la parola 'x'"
_AVOID_QUOTED = re.compile(
    rf"\b(?:never|instead of|not|no diga\w*|nunca|jamais|niemals|nie|nunca|mai|non usiamo mai la parola|en vez de|"
    rf"em vez de|au lieu de|statt|invece di|take out|remove|delete|cut|quita\w*|elimina\w*|enleve\w*|supprime\w*|"
    rf"entfern\w*|streich\w*|tira\w*|togli\w*)\s+(?:(?:say|use|fala|falamos|dizemos|usamos|decimos|sagen)\s+)?"
    rf"(?:the word\s+|la palabra\s+|le mot\s+|das wort\s+|a palavra\s+|la parola\s+)?"
    rf"{_Q}([^\"”’'»]{{1,40}}){_QE}"
)
# "bei uns heißt es immer 'Team Griffwerk'", "sempre 'aluno'", "always 'folks'"
_ALWAYS_QUOTED = re.compile(
    rf"\b(?:always|siempre|toujours|immer|sempre)\s+(?:(?:say|use|write|decimos|usamos|dire|sagen|fala|falamos|diciamo)\s+)?"
    rf"{_Q}([^\"”’'»]{{1,40}}){_QE}"
)
# "swap 'buy now' for 'shop now'", "troca 'promoção' por 'oferta'", "remplace 'x' par 'y'"
_SWAP = re.compile(
    rf"\b(?:swap|replace|change|troca\w*|cambia\w*|remplace\w*|ersetze\w*|sostituisci)\s+{_Q}([^\"”’'»]{{1,40}}){_QE}\s+"
    rf"(?:for|with|by|to|por|par|durch|con|mit|in)\s+{_Q}([^\"”’'»]{{1,40}}){_QE}"
)


# "5 max", "unos 15", "so 12 Stück": about this many hashtags
_ABOUT_N = re.compile(
    r"\b(\d{1,2})\s*(?:max|tops|or so|ish|stuck|maximum|maximo|massimo)\b|"
    r"\b(?:unos|unas|about|around|like|so|etwa|environ|circa|cerca de|uns|umas|tipo|max|maximum)\s+(\d{1,2})\b|"
    r"\b(\d{1,2})\s+(?:of them|de ellos|stuck)\b|hashtags?\s*\((\d{1,2})\)|"
    r"\b(?:exactly|exactamente|exactement|genau|exatamente|esattamente|ne vorrei|ne voglio|quiero|je veux|quero)\s+(\d{1,2})\b"
)
_CHARS_MAX = re.compile(
    r"\b(\d{2,4})\s*(?:characters|chars|caracteres|zeichen|caratteri)\s*(?:max|maximum|or less|tops|at most)\b|"
    r"\b(?:fit in|fits in|within|in)\s+(\d{2,4})\s*(?:characters|chars|caracteres|zeichen|caratteri)\b"
)
# "always end with 'stay curious'", "termina siempre los posts con 'Nos vemos'"
_END_WITH = re.compile(
    rf"\b(?:end|finish|close|sign off|start|open|termina\w*|finir|finis\w*|termine\w*|beend\w*|schlie\w*|"
    rf"chiud\w*|finisci|inizia|comincia|commence\w*|empieza|comeca)\b.{{0,30}}?\b(?:with|con|com|avec|mit|by|par|por)\s+"
    rf"{_Q}([^\"”’'»]{{1,60}}){_QE}"
)
_SAY_INSTEAD = re.compile(
    rf"\b(?:say|use|write|di|dis|sag|diga|usa|utilise)\s+{_Q}([^\"”’'»]{{1,40}}){_QE}\s+(?:instead|en su lugar|a la place|stattdessen|invece)"
)


def _constraints(text: str, folded: str) -> Constraints:
    lx = lexicon()
    c = Constraints()
    if m := lx.hashtags.search(folded):
        raw = m.group(1)
        c.hashtags = int(raw) if raw.isdigit() else lx.count_words.get(raw, {"one": 1}.get(raw))
    elif lx.no_hashtags.search(folded):
        c.hashtags = 0
    elif re.search(r"hashtag|(?<![\w#])#s\b", folded) and (m := _ABOUT_N.search(folded)):
        c.hashtags = int(next(g for g in m.groups() if g))
    if lx.no_emoji.search(folded):
        c.emoji = False
    elif lx.emoji.search(folded):
        c.emoji = True
    if m := lx.max_chars.search(folded) or _CHARS_MAX.search(folded):
        c.max_chars = int(next(g for g in m.groups() if g))
    include = [m.span(1) for m in lx.must_include.finditer(folded)]
    include += [
        m.span(1)
        for m in _INCLUDE_TOKEN.finditer(folded)
        if not re.fullmatch(r"[a-z]+", text[m.start(1) : m.end(1)])  # a code is "SPRING10", not "competitors"
    ]
    include += [m.span(1) for m in _ALWAYS_QUOTED.finditer(folded)]
    include += [m.span(2) for m in _SWAP.finditer(folded)]
    include += [m.span(1) for m in _END_WITH.finditer(folded)] + [
        m.span(1) for m in _SAY_INSTEAD.finditer(folded)
    ]
    avoid = [m.span(1) for m in lx.must_avoid.finditer(folded)]
    avoid += [m.span(1) for m in _AVOID_QUOTED.finditer(folded)] + [m.span(1) for m in _SWAP.finditer(folded)]
    c.must_include = list(dict.fromkeys(text[a:b].strip(" .,") for a, b in include))
    c.must_avoid = [
        w for w in dict.fromkeys(text[a:b].strip(" .,") for a, b in avoid) if w not in c.must_include
    ]
    return c


def _instruction_spans(folded: str) -> tuple[tuple[int, int], ...]:
    """Where the request says how many drafts, how many hashtags, how long, which draft: no facts there."""
    lx = lexicon()
    spans = [m.span(1) for m in _count_pattern().finditer(folded)]
    spans += [
        m.span()
        for p in (
            lx.hashtags,
            lx.max_chars,
            _DRAFT_REF,
            _REF_LIST,
            _REF_AFTER_VERB,
            _REF_NUMBER,
            _RULE_REF,
            _CHARS_MAX,
            _SUMMARY_LENGTH,
        )
        for m in p.finditer(folded)
    ]
    if "hashtag" in folded:
        spans += [m.span() for m in _ABOUT_N.finditer(folded)]
    return tuple(spans)


_SUMMARY_LENGTH = re.compile(
    r"\b(?:in|en|em|auf)\s+(?:\d{1,2}|\w+)\s+(?:bullets?|bullet points|lines?|points?|puntos|lignes|zeilen|punkte|"
    r"frases|phrases|sentences|righe|punti|satze|saetze|linhas|lineas|topicos)\b"
)


_REF_LIST = re.compile(
    r"\b(?:drafts?|posts?|entwurfe|brouillons|borradores|rascunhos|bozze|beitrage|publicaciones|publications)\s+"
    r"#?(\d{1,6})((?:\s*(?:,|and|y|et|und|e|&)\s*#?\d{1,6})+)"
)
_REF_AFTER_VERB = re.compile(
    r"\b(?:approve|approved:?|apruebo|aprueba|approuve|valide|approvo|approva|aprovo|aprova|freigeben|posta|publica|edit|"
    r"pubblica|publie|cancela|annulla|annule)\s+(?:el|la|le|o|a|il|lo|den|die|das|number|numero|nr\.?)?\s*#?"
    r"(\d{1,4})((?:\s*(?:,|and|y|et|und|e|&)\s*(?:el|la|le|o|a|il|#)?\s*\d{1,4})*)\b(?!\s*(?:%|am|pm|h\b|uhr|:))"
)
_REF_NUMBER = re.compile(r"\b(?:nr\.?|numero|number|nummer|no\.)\s*#?(\d{1,6})\b")
# "programa el 11 …", "le 21, tu me le cales …", "dale el visto bueno al 8 y al 9", "which of 14, 15 and 16":
# a number after an article is a draft when the request acts on drafts (not "el 18 de mayo", "a las 7")
_REF_BARE = re.compile(
    rf"(?:^|(?<=[\s,:;]))(?:el|la|le|lo|il|o|a|al|del|do|da|della|nel|no|na|of|approved:?)\s+#?(\d{{1,4}})"
    rf"((?:\s*(?:,|and|y|et|und|e|o|ou|oder|or|&)\s*(?:el|la|le|o|a|il|al|#)?\s*\d{{1,4}})*)\b"
    rf"(?!\s*(?:%|:\d|[.,]\d|am\b|pm\b|h\b|h\d|uhr|de\s|of\s|€|\$|eur|hor|heure|ore\b|min|dias?\b|days?\b|jours?\b|"
    rf"tage?\b|giorni|seman|week|caract|charact|zeichen|caratt|person|people|pessoas|leute|(?:al|a|-|–|bis|to|au)\s*\d|"
    rf"(?:{_MONTHS})\b))"
)
_ON_DRAFTS = frozenset(
    {
        Intent.SCHEDULE,
        Intent.PUBLISH_NOW,
        Intent.APPROVE,
        Intent.CANCEL_POST,
        Intent.RESCHEDULE,
        Intent.EDIT,
        Intent.SCORE,
        Intent.VARIANTS,
        Intent.IMPROVE,
        Intent.TRANSLATE,
        Intent.TONE,
    }
)
_RULE_REF = re.compile(
    r"\b(?:rules?|regla|regle|regel|regra|regola)\s*(?:#|n[o°º.]\s*|nr\.?\s*|number\s+|numero\s+)?\d"
)


def _refs(folded: str, bare: bool = False) -> list[int]:
    """The drafts referred to, in order; ``bare``: also numbers after an article ("programa el 11")."""
    out: list[int] = []
    found: list[tuple[int, int]] = []  # (position, draft id)
    rules = [m.span() for m in _RULE_REF.finditer(folded)]
    for m in _DRAFT_REF.finditer(folded):
        if any(a <= m.start() < b or a <= m.end() - 1 < b for a, b in rules):
            continue  # "remove rule #2": a rule, not a draft
        found.append((m.start(), int(m.group(1) or m.group(2))))
    for m in [
        *_REF_LIST.finditer(folded),
        *_REF_AFTER_VERB.finditer(folded),
        *(_REF_BARE.finditer(folded) if bare else ()),
    ]:
        found.append((m.start(1), int(m.group(1))))
        found += [(m.start(2), int(n)) for n in re.findall(r"\d{1,6}", m.group(2))]
    found += [(m.start(), int(m.group(1))) for m in _REF_NUMBER.finditer(folded)]
    for _, value in sorted(found):
        if value not in out:
            out.append(value)
    return out


def body_of(text: str) -> str | None:
    """The text given to work on after a colon or on the next lines: "translate to French: <text>"."""
    first, _, rest = text.strip().partition("\n")
    if rest.strip():
        return rest.strip()
    m = re.search(r"(?<!\d):\s+", first)  # "translate to French: …", not "19:30" nor "https://"
    if m and len(first[m.end() :].split()) >= 3 and not re.search(r"https?$", first[: m.start()]):
        return first[m.end() :].strip()
    return None


_SUBJECT_MARKERS = re.compile(
    r"\b(?:about|regarding|announcing|promoting|featuring|on the topic of|sobre|acerca de|de(?= nuestr)|"
    r"sur|a propos de|concernant|uber|zu|zum|zur|von(?= unser)|sobre o|sobre a|acerca|su|sul|sulla|"
    r"sui|sugli|sulle|riguardo|per(?= il nostro| la nostra)|para(?= nuestr)|pour(?= nos | notre)|"
    r"fur(?= unser)|para(?= o nosso| a nossa| nosso| nossa)|re:|explaining|showing|teaching|"
    r"on how|ensenando|mostrando|explicando|expliquant|montrant|spiegando|insegnando|"
    r"(?:announcing|anunciando|annoncant|annunciando)\s+(?:que|that|qu'|che)|"
    r"(?:photo|pic|picture|video|clip|reel|foto|image|imagem|immagine|bild|vid)s?\s+(?:of|on|de|du|des|del|della|do|da|von|"
    r"vom|dal|dello|sobre|sur|uber|su)|"
    r"(?:anunciar|announce|annoncer|annunciare|divulgar|promocionar|promover|promouvoir|promuovere|divulgare)"
    r"(?:\s+(?:en|on|sur|auf|em|su|no|na)\s+[\w ]+?)?\s+(?:que|that|qu'|che|dass))\s+(.+)$",
    re.IGNORECASE | re.DOTALL,
)
_SUBJECT_TAIL = re.compile(
    r"(?:,|\?|\s+\+\s|\s+-|\s+with\s+\d|\s+with\s+(?:some|a few|no)\b|\s+con\s+\d|\s+avec\s+\d|\s+mit\s+\d|\s+com\s+\d|"
    r"\s+(?:and|y|et|und|e)\s+(?:suggest|tell|give|add|schedule|plan|programa\w*|agenda\w*|programme\w*|"
    r"dime|sugiere|donne|propose|gib|sag|diga|sugira|dimmi|suggerisci)\b|\s+(?:for|para|pour|fur|per)\s+(?:instagram|linkedin|tiktok|x|twitter|facebook|"
    r"youtube|pinterest|threads|bluesky|mastodon)\b|\s+(?:on|en|sur|auf|su|no|na|em|pro|pra)\s+(?:instagram|insta|ig|linkedin|"
    r"x|twitter|tiktok|facebook|fb|youtube|pinterest|threads|bluesky|mastodon)\b|"
    r"\s+(?:pls|please|plz|bitte|stp|svp|porfa|por favor|per favore)\b|\s+(?:in|en|auf|em)\s+(?:english|spanish|french|german|"
    r"portuguese|italian|espanol|frances|aleman|ingles|italiano|portugues|deutsch|englisch|franzosisch)\b).*$",
    re.IGNORECASE | re.DOTALL,
)


_PRONOUN = re.compile(
    r"^(?:it|this|that|them|these|those|esto|eso|esta|este|ca|cela|ceci|es|das|dies|isso|isto|questo|questa)?$"
)


_INSTRUCTION_WORDS = re.compile(
    r"\b(?:instagram|insta|ig|linkedin|x|twitter|threads|bluesky|mastodon|facebook|fb|face|tiktok|youtube|yt|"
    r"pinterest|posts?|captions?|tweets?|threads?|scripts?|skript|guion|copione|roteiro|reels?|stor(?:y|ies)|"
    r"shorts?|text[eo]?s?|blurb|event|urgent|quick|short|new|please|pls|plz|porfa|por favor|stp|svp|bitte|"
    r"per favore|pf|write|escribe|ecris|schreib|escreve|scrivi|redacta|the|le|la|el|il|o|a|den|die|das|der|"
    r"an?|un|une|uno|una|um|uma|ein|eine|einen|for|para|pour|fur|per|pro|de|di|do|da|of|in|en|em|auf|"
    r"beitrag|publicacion|publication|legende|legenda|leyenda|didascalia|bildunterschrift|\d+|seconds?|"
    r"english|spanish|french|german|portuguese|italian|ingles|espanol|frances|aleman|portugues|anglais|espagnol|"
    r"allemand|portugais|italien|englisch|spanisch|franzosisch|deutsch|inglese|spagnolo|francese|tedesco|"
    r"segundos|secondes|sekunden|secondi|and|y|et|und|e|plus|-)\b"
)


def _is_instruction(text: str) -> bool:
    """ "x thread", "tiktok script pls", "LinkedIn-Beitrag": the head names the task, not what it is about."""
    return not re.sub(r"[\W_]+", " ", _INSTRUCTION_WORDS.sub(" ", fold(text))).strip()


def _rule_subject(text: str) -> str:
    """What a standing rule says, without "remember" / "from now on" around it."""
    rule = " ".join(text.split())
    rule = re.sub(
        r"(?i)^(?:(?:please|pls|ok|hey)[\s,]+)*(?:remember(?: that)?|keep in mind(?: that)?|note(?: that)?|fyi|"
        r"from now on|going forward|moving forward|recuerda(?: que)?|a partir de ahora|de ahora en adelante|"
        r"note que|retiens(?: que)?|souviens-toi(?: que)?|desormais|d[ée]sormais|merk dir|ab jetzt|von nun an|"
        r"lembre(?:-se)?(?: que)?|anota(?: ai| aí)? que|daqui (?:pra|para) frente|de agora em diante|"
        r"ricorda(?:ti)?(?: che)?|d'ora in poi|da ora in poi|tieni a mente(?: che)?)\b[\s,:;-]*",
        "",
        rule,
    )
    rule = re.sub(
        r"(?i)[\s,;:-]+(?:remember that|keep that in mind|please remember|recuerdalo|recuérdalo|retiens-le|"
        r"merk dir das|lembre disso|ricordatelo)\s*[.!]*$",
        "",
        rule,
    )
    return rule.strip(" .!")


_WORKS_ON_TEXT = frozenset(
    {
        Intent.TRANSLATE,
        Intent.TONE,
        Intent.SUMMARY,
        Intent.SCORE,
        Intent.IMPROVE,
        Intent.VARIANTS,
        Intent.EDIT,
    }
)
_QUOTED = re.compile(r"(?:[\"“«]|(?<!\w)')((?:[^\"”»']|\w'\w){8,2000})(?:[\"”»]|'(?!\w))")  # not "l'heure"
_COMPARE_TO = re.compile(
    r"\b(?:vs\.?|versus|to|with|against|par rapport a|com o d[ao]|com a d[ao]|con quello di|con quella di|"
    r"mit dem von|mit der von|con el de|con la de|avec celui de|avec celle de|compared to|like)\s+(.+)$"
)
_QUESTION_LEAD = re.compile(
    r"^(?:(?:hey|hi|ok|so|please|pls|quick question)[\s,]+)*(?:(?:what(?:'s|s| is| are)?|whats|who|where|when|how|"
    r"which|why|can you|could you|would you|will you|do you|tell me|give me|show me|order me|get me|find me|i|"
    r"me|we|should|much|many|won|is|are|the|que|qual|quale|cual|quel|quelle|cosa|was|wie|wer|o|e|mi|"
    r"pasas|passes|dai|das|da|ajuda|ayuda|aiuti|hilf|kannst|du|mir|tu|peux|puoi|puedes|podes|m'aider|aider|"
    r"a|geben|dar|give|montar|fazer|hacer|fare|faire|set aside for|il va|ci sara|va a)\b[\s,]*)+"
)


def _question_subject(text: str) -> str:
    """ "whats a good dose of melatonin for jet lag" -> "a good dose of melatonin for jet lag"."""
    head = " ".join(text.split()).strip(" ?!.")
    m = _QUESTION_LEAD.match(fold(head))
    subject = head[m.end() :] if m else head
    return re.sub(
        r"(?i)\s+(?:rn|right now|today|tomorrow|tmrw|amanha|manana|demain|morgen|domani)$", "", subject
    )


@dataclass(frozen=True)
class SubjectCues:
    ask_words: frozenset[str]
    post: re.Pattern[str]  # a kind of post or a platform: the end of an ask
    connector: re.Pattern[str]
    statement: re.Pattern[str]
    purpose: re.Pattern[str]
    purpose_around: re.Pattern[str]
    self_intro: re.Pattern[str]
    material: re.Pattern[str]
    transform: re.Pattern[str]
    launch: re.Pattern[str]
    leads: str  # the words before a day that opens a clause: "ab dem 1. November", "da sabato"


@cache
def subject_cues() -> SubjectCues:
    s: dict[str, Any] = tomllib.loads(DATA_FILE.read_text(encoding="utf-8"))["subject"]
    return SubjectCues(
        ask_words=frozenset(fold(w) for w in s["ask_words"]),
        post=re.compile(rf"{s['post_nouns']}|{s['platforms']}"),
        connector=re.compile(rf"{s['connectors']}\b\s*"),
        statement=re.compile(s["statements"]),
        purpose_around=re.compile(s["purposes_around"]),
        purpose=re.compile(rf"{s['purposes']}\s*"),
        self_intro=re.compile(s["self_intro"]),
        material=re.compile(s["material"]),
        transform=re.compile(s["transform"]),
        launch=re.compile(rf"{s['launch_verbs']}\s*"),
        leads=s["detail_leads"],
    )


_WORD_EDGE = ".,;:!?()\"'«»“”¿¡"
_NEXT_ASK = re.compile(r"\s+(?:and|y|et|und|e|plus|then|puis|dann|poi|depois)\b|[.;]\s+|,\s+")
# sentences and clauses: "… 7pm. Could you …", "the weather tomorrow, and also write …"; not "Dr. Lena", "23.12."
_SENTENCE = re.compile(
    r"(?<=[^\d.][.!?])(?<![Dd]r\.)(?<![Mm]r\.)(?<![Mm]rs\.)(?<![Ss]t\.)\s+|(?<=\d[.!?])\s+(?=[A-ZÁÉÍÓÚÄÖÜ])|(?<=\w)(?<!\bre):\s+|;\s+|"
    r",\s+(?=(?:and|then|y|et|und|e|puis|dann|poi|depois)\b)|"
    r",\s+(?=(?:\w+\s+){0,2}(?:you|u|du|tu|sie|mi aiuti|me ajuda|me ayudas)\b)"
)
_WITH_TAGS = re.compile(r"(?:with|w/|con|com|avec|mit)\s+(?:\d{1,2}|\w+)\s+(?:hashtags?|emojis?|tags)\b")


def _is_post_word(word: str) -> bool:
    """ "caption", "instagram", "LinkedIn-Beitrag", "Insta-Post": names the kind of post asked for."""
    sc = subject_cues()
    parts = [p for p in word.split("-") if p]
    return any(sc.post.fullmatch(p) for p in parts) and all(
        sc.post.fullmatch(p) or p in sc.ask_words for p in parts
    )


def _after_ask(folded: str) -> tuple[int, bool] | None:
    """Where the ask at the start of a sentence ends, and whether a connector or a purpose leads on to what
    it is about ("could you write two short Instagram captions | for …"), not a comma ("need a fb post asap, |
    we're closed today"); None: the sentence asks for no post ("New blog post is live")."""
    sc = subject_cues()
    counted = set(lexicon().count_words) | set(lexicon().tones)
    words = list(re.finditer(r"\S+", folded))
    end: int | None = None
    unknown = skip = 0
    for i, m in enumerate(words):
        word = m.group().strip(_WORD_EDGE)
        if skip:
            skip -= 1
            end = m.end() if end is not None else end
            continue
        if sc.purpose.match(folded, m.start()) and (end is not None or not unknown):
            return m.start(), True  # "… pour annoncer | nos nouveaux horaires"
        if tags := _WITH_TAGS.match(folded, m.start()):
            skip = len(tags.group().split()) - 1  # "a caption w/ 3 hashtags | for …"
            continue
        if _is_post_word(word):
            end, unknown = m.end(), 0
        elif end is not None and sc.statement.match(word):
            return end, True  # "a post | that the gym will be closed …" (the writer makes it a sentence)
        elif end is not None and sc.connector.fullmatch(word + " "):
            following = words[i + 1].group().strip(_WORD_EDGE) if i + 1 < len(words) else ""
            if not _is_post_word(following):
                return end, True  # "a post | about …"; "a post for | instagram" goes on
        elif word in sc.ask_words or word in counted or word.isdigit():
            if end is not None and end == words[i - 1].end():
                end = m.end()  # "linkedin post pls", "un post fb al volo"
        else:
            unknown += 1
            if unknown > 2:
                break
        if end is not None and m.group()[-1] in ",;:.!?" and end >= m.end() - 1:
            return end, False
    if end is None:
        return None
    rest = folded[end:].lstrip()
    if rest and not _WITH_TAGS.match(rest) and not re.match(r"(?:with|con|com|mit|avec)\s+\d", rest):
        return None
    return end, True


def _news(clauses: list[str], first: bool = False) -> str:
    """The news among the sentences around an ask: not who is speaking ("I own a bike shop in Leeds"), not a
    one-word label ("brewery"), not an ask; the first that says when (``first``: the first), else the first:
    "Starting next Monday we're doing free safety checks …"."""
    sc = subject_cues()
    parts: list[str] = []
    for clause in clauses:
        for part in re.split(r",\s+|\s+[-–—]\s+|\(|\)", clause):
            part = part.strip(" .!?,;:")
            intro = sc.self_intro.match(fold(part))
            if intro:  # "tenho uma barbearia … e a gente vai começar a abrir …": after "and", the news
                after = re.split(r"\s(?:and|y|e|et|und)\s", part[intro.end() :], maxsplit=1)
                part = after[1] if len(after) > 1 else ""
            asks = _after_ask(fold(part)) is not None or any(not c.weak for c in _cues(fold(part)))
            if len(part.split()) > 1 and not _is_instruction(part) and not asks:
                parts.append(part)
    dated = [p for p in parts if any(f.kind in ("date", "time") for f in facts_in(p))]
    return next(iter(parts if first else dated or parts), "")


def _trim(subject: str) -> str:
    """A subject without what is not about it: the ask, the material it is drawn from ("this photo of"), the
    day and place after it ("our webinar | on Thursday at 4pm"), a second ask ("| and tell me when")."""
    sc = subject_cues()
    subject = subject.strip(" .!?,;:\"'«»“”¿¡")
    folded = fold(subject)
    for _ in range(2):  # "and from Monday we're doing …", "Ich eröffne am Samstag mein Café …"
        leads = rf"(?:(?:and|y|e|et|und|then|puis|dann|starting|since|desde|{sc.leads})\s+)*"
        when = sorted(
            (folded.find(fold(f.text)), f.text) for f in facts_in(subject) if f.kind in ("date", "time")
        )
        if when and re.fullmatch(leads, folded[: when[0][0]]):
            start = when[0][0] + len(when[0][1])
            start += len(folded[start:]) - len(folded[start:].lstrip(" \t\n,"))
        elif m := sc.launch.match(folded) or re.match(r"(?:and|y|e|et|und|then|puis|dann)\s+", folded):
            start = m.end()  # "I'm launching | my pottery course"
        else:
            start = 0
        subject, folded = subject[start:], folded[start:]
    if m := re.match(
        rf"{sc.material.pattern}\s+(?:of|de|du|des|del|della|dello|do|da|dos|das|von|vom|di)\s+", folded
    ):
        subject, folded = subject[m.end() :], folded[m.end() :]  # "esta foto de | nuestra terraza"
    tail = _SUBJECT_TAIL.search(folded)
    if tail and tail.start() > 0:
        subject, folded = subject[: tail.start()], folded[: tail.start()]
    for m in _NEXT_ASK.finditer(folded):  # "nos macarons | puis rends-le plus drôle"
        if m.start() > 0 and any(not c.weak and c.at < 20 for c in _cues(folded[m.end() :])):
            subject, folded = subject[: m.start()], folded[: m.start()]
            break
    subject = subject.strip(" .!?,;:\"'«»“”¿¡-–—")
    if _PRONOUN.match(fold(subject)) or sc.material.fullmatch(fold(subject)) or _is_instruction(subject):
        return ""
    return subject


def _subject(text: str, body: str | None, intents: list[Intent]) -> str:
    sc = subject_cues()
    if body is not None:
        head = text.strip().partition("\n")[0].partition(":")[0]
        folded_head = fold(strip_language_request(head))
        ask = _after_ask(folded_head)
        if (
            _is_instruction(strip_language_request(head))
            or (ask and not folded_head[ask[0] :].strip(" .,"))
            or re.search(r"\b(?:re|about|sobre|sur|uber|su)$", folded_head)  # "something for insta re: …"
        ):
            # "x thread: 7 lessons from …", "Salon post for IG: we now do balayage …": the material says it
            first = _SENTENCE.split(body.strip().partition("\n")[0], maxsplit=1)[0]
            if _after_ask(fold(first)) is not None:  # "In Spanish please: an Instagram caption for …"
                return _subject(first, None, intents)
            return _trim(_news([first], first=True)) or _trim(first)
        if ask is not None:  # "Write a tweet for our SaaS: …"; "Quick background: I run …" is the whole story
            text = head
    head = strip_language_request(" ".join(text.split()))
    folded = fold(head)
    if not _SUBJECT_MARKERS.search(folded) and (
        {Intent.SUMMARY, Intent.ALT_TEXT} & set(intents) or sc.transform.search(folded)
    ):
        return ""  # "summarize this and write a post", "turn this voice note into a script": drawn from it
    sentences = [s for s in _SENTENCE.split(head) if s.strip()]
    for n, sentence in enumerate(sentences):
        folded_sentence = fold(sentence)
        ask = _after_ask(folded_sentence)
        if ask is None:
            continue
        end, led = ask
        rest = sentence[end:]
        marker = _SUBJECT_MARKERS.search(folded_sentence, end)
        while marker and detect_platforms(folded_sentence[marker.start(1) :][:12]):  # "su Bluesky"
            marker = _SUBJECT_MARKERS.search(folded_sentence, marker.start(1))
        if marker:
            rest, led = sentence[marker.start(1) :], True
        else:
            folded_rest = fold(rest).lstrip(" ,;:.!?-–—")
            rest = rest[len(rest) - len(folded_rest) :]
            if m := sc.purpose.match(folded_rest) or sc.connector.match(folded_rest):
                rest = rest[m.end() :]
            if m := sc.purpose_around.match(fold(rest)):
                rest = rest[m.start(1) : m.end(1)]  # "um | unseren Lieferdienst | anzukündigen"
            elif m := re.match(
                r"(?:with|con|com|mit|avec)\s+(?:\d{1,2}|\w+)\s+(?!hashtags?|emojis?|tags)", folded_rest
            ):
                rest, led = rest[m.end() :], True  # "a thread with 5 | tips for first-time founders"
        subject = _trim(rest)
        if subject and led:
            return subject
        context = sentences[:n] + sentences[n + 1 :]
        news = _from_marker(_trim(_news(context))) if context else ""
        return news or subject
    if marker := _SUBJECT_MARKERS.search(folded):  # "can u help me get the word out about …"
        return _trim(head[marker.start(1) :])
    return _from_marker(_trim(_news(sentences))) or _trim(extract_subject(head))


def _from_marker(sentence: str) -> str:
    """A sentence taken from the context, from its subject marker on when it has one ("hey can u help me get
    the word out about | our soy candle restock this thursday", with the ask in a later "ig")."""
    marker = _SUBJECT_MARKERS.search(fold(sentence))
    return _trim(sentence[marker.start(1) :]) if marker else sentence


def _language(text: str, detect: Callable[[str], tuple[str | None, float]] | None) -> tuple[str | None, bool]:
    asked = requested_language(text)
    if asked:
        return asked, True
    folded = fold(text)
    hints = {
        "es": r"\b(oye|manana|abrimos|esto|tono|hay|muy|pero|tambien|esta|como|cuando|donde|hoy|pasame|dime|cuanto|cuantos|tengo|pagar|tu|tus|sube|ahora|ponle|suena|anula|al final|hacemos|conte|sabes|gracias|porfa|escribe|escribeme|redacta|necesito|para|sobre|nuestro|nuestra|nuevo|nueva|publicacion|con|una|los|las|del|por favor|quiero|puedes|hacer|borrador|dame|hazme|haz|mas|cola|mi|mis|el|que)\b",
        "fr": r"\b(mon|ma|mes|cet|cette|quel|quelle|fera|demain|resume|lignes|quelques|connecte|transforme|vocale|je|nous|vous|c'est|dans|aussi|tres|peux|stp|svp|ce|mais|quoi|sers|salut|combien|vues|aider|valide|montre|prevu|semaine|ecris|ecrivez|redige|une|pour|sur|nos|notre|nouveau|nouvelle|avec|des|les|du|s'il te plait|je veux|legende|brouillon|pourquoi|comment|ca|tu|sais|faire|rends|donne-moi|moi|le|la|est|fait|qu'est-ce)\b",
        "de": r"\b(lief|so|schlecht|warum|welche|passen|zu|diesem|bild|auf|merk|dir|dass|wir|montags|haben|geschlossen|gibts|nix|leute|morgen|nicht|ein|auch|noch|vom|zum|beim|im|losch|hat|sich|erledigt|plan|steht|diese|woche|alles|an|brauch|hier|mein|vergleich|schreib|schreibe|einen|eine|fur|uber|unser|unsere|neuen|neue|mit|und|der|die|das|bitte|ich|zeig|mir|meine|mach|entwurf|fasse|diesen|aus|zusammen|ist|was|wie|kannst|du)\b",
        "pt": r"\b(o que|faz|fazer|tempo|amanha|vai|estar|apaga|regra|oi|nao|tambem|aos|pelo|pela|seu|sua|meus|minhas|obrigado|agora|ja|posta|tem|agendado|semana|que vem|falei|teve|tao|pouco|engajamento|ajuda|montar|planilha|gastos|previsao|daqui|frente|termina|beijos|descreve|imagem|leitor|tela|escreva|escreve|uma|para|sobre|nosso|nossa|novo|nova|com|dos|das|por favor|quero|legenda|deixa|rascunho|mais|lembra|quais|uso|pra|pro|essa|esse|isso|fechamos|reescreve|num|tom|voce|vc|meu|minha|da|do)\b",
        "it": r"\b(dalle|alle|dal|nella|nelle|mi|aiuti|redditi|che|sono|questo|questa|anche|non|gli|nel|alla|domani|tempo|voto|dai|conviene|pubblicare|approvo|vai|programma|ricetta|quanti|ho|preso|perche|andato|ieri|avevo|detto|elimina|regola|numero|confronta|quello|calcola|si|scrivi|scrivere|una|per|sul|sulla|nostro|nostra|nuovo|nuova|con|della|del|per favore|voglio|didascalia|approva|bozza|fammi|coda|ciao|cosa|sai|fare|riassumi|vocale|dimmi|rendi|piu|di|su|tutti|fino|sconto|dei|delle|il|mio|mia)\b",
        "en": r"\b(write|a|an|the|for|about|our|new|with|please|give|me|make|can|you|and|of|to|my|rate|draft|show|what|how|more|this|it|is)\b",
    }
    scores = {lang: len(re.findall(p, folded)) for lang, p in hints.items()}
    for lang, names in _CALENDAR_WORDS.items():  # "sabato 14 giugno": a day or a month says the language
        scores[lang] += len(re.findall(names, folded))
    best = max(scores, key=lambda k: scores[k])
    if detect is not None and len(text.split()) >= 6:
        code, confidence = detect(text)
        code = normalize_language(code or "") if code else None
        if code in LANGUAGES and confidence >= 0.9 and scores.get(code, 0) >= scores[best] - 1:
            return code, False
    if scores[best] == 0:
        return ("en", False) if text.isascii() and re.search(r"[a-z]", folded) else (None, False)
    return best, False


# the names of days and months, which differ more between the six languages than their function words do
_CALENDAR_WORDS = {
    "es": r"\b(lunes|martes|miercoles|jueves|viernes|enero|febrero|abril|mayo|junio|julio|septiembre|octubre|"
    r"noviembre|diciembre)\b",
    "fr": r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|fevrier|mars|avril|mai|juin|juillet|"
    r"aout|septembre|octobre|novembre|decembre)\b",
    "de": r"\b(montag|dienstag|mittwoch|donnerstag|freitag|samstag|sonntag|januar|februar|marz|juni|juli|"
    r"oktober|dezember)\b",
    "pt": r"\b(segunda-feira|terca-feira|quarta-feira|quinta-feira|sexta-feira|janeiro|fevereiro|marco|maio|junho|"
    r"julho|setembro|outubro|novembro|dezembro)\b",
    "it": r"\b(lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica|gennaio|febbraio|aprile|maggio|giugno|"
    r"luglio|settembre|ottobre|dicembre)\b",
}


def guess_language(text: str) -> str | None:
    """The language of a short text by its function words (en, es, fr, de, pt, it), None when unclear."""
    return _language(text, None)[0] if text.strip() else None


def _products(subject: str) -> list[str]:
    """The product a subject names: "our new cold brew" -> "cold brew"."""
    words = subject.split()
    lead = re.compile(
        r"^(?:our|my|the|a|an|new|brand-new|latest|nuestro|nuestra|nuestros|nuestras|nuevo|nueva|nuevos|nuevas|el|"
        r"la|los|las|nos|notre|nouveau|nouvelle|nouveaux|le|les|unser|unsere|unseren|neue|neuen|neuer|der|die|"
        r"das|nosso|nossa|nossos|nossas|novo|nova|o|os|as|nostro|nostra|nostri|nuovo|nuova|nuovi|il|lo|gli)$",
        re.IGNORECASE,
    )
    while words and lead.match(words[0]):
        words.pop(0)
    phrase = " ".join(words)
    if _is_instruction(phrase) or re.match(
        r"(?i)^(?:this|that|these|the|my|esta|este|cette|ce|diese\w*|essa|esse|questa|questo)\s+"
        r"(?:photo|pic|picture|video|clip|image|reel|foto|vid|article|page|post)s?$",
        " ".join(subject.split()),
    ):
        return []
    return [phrase] if phrase and len(words) <= 6 else []


def parse(
    text: str,
    *,
    attachments: tuple[str, ...] = (),
    default_language: str | None = None,
    detect_language: Callable[[str], tuple[str | None, float]] | None = None,
    fallback: Callable[[str], Intent | None] | None = None,
) -> Brief:
    """The Brief of one request. ``attachments`` are the kinds attached ("image", "audio", "video", "text",
    "url"); ``default_language`` is the brand profile's; ``fallback`` classifies a request no cue covers."""
    text = text.strip()
    folded = fold(text)
    body = body_of(text)
    refs = _refs(folded)
    given_at = text.find(body) if body else -1
    material_at = given_at if given_at > 0 and "\n" not in text[:given_at] else None  # after "<task>: "
    intents = _settle(_cues(folded, material_at), folded, body is not None, refs)
    if not intents:
        # with a file attached and no cue, the material decides (transcribe, describe, draft from it)
        guess = fallback(text) if fallback is not None and text and not attachments else None
        if guess is not None:
            intents = [guess]
        elif attachments or len(text.split()) >= 3:
            intents = [Intent.CAPTION]
        else:
            intents = [Intent.HELP]
    if not refs and not (body and _WORKS_ON_TEXT & set(intents)) and _ON_DRAFTS & set(intents):
        refs = _refs(folded, bare=True)
    head = text[: text.find(body)] if body and body in text else text  # "escribe el post en inglés: <body>"
    language = requested_language(text if Intent.TRANSLATE in intents else head)
    asked = language is not None
    if not asked:
        language, _ = _language(body if body and Intent.TRANSLATE not in intents else text, detect_language)
    writes = bool({Intent.CAPTION, Intent.SCRIPT, Intent.THREAD, Intent.HASHTAGS} & set(intents))
    subject = ""
    if writes:
        subject = _subject(text, body, intents)
    elif intents[0] is Intent.REMEMBER:
        subject = _rule_subject(text)
    elif intents[0] is Intent.COMPARE:
        named = [f.text for f in facts_in(text) if f.kind in ("name", "handle")]
        rival = _COMPARE_TO.search(fold(text))
        subject = next((n for n in reversed(named) if not detect_platforms(n)), "") or (
            text[rival.start(1) :].strip(" ?!.") if rival else ""
        )
    elif intents[0] in (Intent.RECALL, Intent.OUT_OF_SCOPE):
        marker = _SUBJECT_MARKERS.search(fold(text))
        subject = text[marker.start(1) :].strip(" ?!.") if marker else _question_subject(text)
    facts = facts_in(body) if body else facts_in(text, skip=_instruction_spans(folded))
    known = {fold(f.text) for f in facts}
    for product in _products(subject) if writes else []:
        if fold(product) not in known and not any(fold(product) in k or k in fold(product) for k in known):
            facts.append(Fact(kind="product", text=product))
    given = (
        None  # the text to work on ("translate to French: …", "score this: '…'"); a post's material is not
    )
    if _WORKS_ON_TEXT & set(intents):
        quoted = _QUOTED.search(text)
        given = body or (quoted.group(1) if quoted and len(quoted.group(1).split()) >= 3 else None)
    return Brief(
        intents=intents,
        platforms=detect_platforms(text),
        count=_count(folded),
        language=language or default_language,
        language_asked=asked,
        tone=_tone(folded) if intents[0] is not Intent.OUT_OF_SCOPE else None,  # "eine Excel-Formel"
        subject=subject,
        facts=facts,
        constraints=_constraints(text, folded),
        draft_refs=refs,
        body=given,
    )
