"""The deterministic template writer: no model, no network, always an answer within the platform's limit.

It is the fallback whenever no model is configured or a model answer is invalid. Choices between phrasings
are made by a stable hash of the subject, so the same brief gives the same draft.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import prompts
from agent.content.emoji import fitting_emoji
from agent.content.optimize.improve import ab_variants, improve_post
from agent.content.understand import facts_in, fold, guess_language, subject_cues
from agent.content.writers.base import (
    AltTextRequest,
    AltTextResult,
    CaptionRequest,
    HashtagRequest,
    ImproveRequest,
    ScriptRequest,
    ScriptResult,
    SummaryRequest,
    SummaryResult,
    TextResult,
    ThreadRequest,
    ThreadResult,
    ToneRequest,
    TranslateRequest,
    VariantOut,
    VariantsRequest,
    VariantsResult,
    VoiceGuide,
    WriterResult,
)
from agent.content.writers.longform import template_script, template_summary
from agent.content.writers.voice import apply_voice, strip_emoji
from agent.content.writers.words import (
    hashtags_for,
    strip_banned,
)
from prompts.counting import count, trim_to_limit
from prompts.languages import language_name
from prompts.platforms import rule
from prompts.threads import list_posts
from prompts.threads import split_thread as split_into_posts


def _pick(options: tuple[str, ...], seed: str) -> str:
    return options[_index(seed) % len(options)]


def _index(seed: str) -> int:
    """A stable choice for a seed: the same brief gives the same draft."""
    return hashlib.sha256(seed.encode()).digest()[0]


SENTENCES_FILE = Path(prompts.__file__).parent / "sentences.toml"
SENTENCE_LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
_ANNOUNCE = re.compile(
    r"\b(new|launch\w*|introduc\w*|announc\w*|meet|debut\w*|release\w*|now available|arriv\w*|nuev[oa]s?|"
    r"lanz\w*|nouv\w*|lance\w*|neu\w*|novo|nova|novos|novas|lanc\w*|nuov[oa]|lanci\w*)\b"
)
_PLAYFUL_TONES = ("playful", "funny", "witty", "fun", "cheeky", "humorous", "bold", "enthusiastic")
_FORMAL_HOOK_TONES = ("professional", "formal", "serious", "corporate", "businesslike")
_CASUAL_HOOK_TONES = ("casual", "relaxed", "chill", "informal")


@cache
def _sentence_table() -> dict[str, dict[str, Any]]:
    data = tomllib.loads(SENTENCES_FILE.read_text(encoding="utf-8"))
    return {lang: data[lang] for lang in SENTENCE_LANGUAGES} | {"hashtags": data["hashtags"]}


def sentences_for(language: str) -> dict[str, Any]:
    """The template writer's sentences in ``language`` (one of :data:`SENTENCE_LANGUAGES`)."""
    return _sentence_table()[language]


def _sentence_language(code: str | None) -> tuple[str, str | None]:
    language = (code or "en").lower()
    if language in SENTENCE_LANGUAGES:
        return language, None
    return "en", (
        f"The template writer writes English, Spanish, French, German, Portuguese and Italian; a language "
        f"model is needed to write in {language_name(language)}."
    )


def _hook_kind(tone: str | None, text: str) -> str:
    tone = (tone or "").lower()
    if tone in _PLAYFUL_TONES:
        return "playful"
    if tone in _FORMAL_HOOK_TONES:
        return "professional"
    if tone in _CASUAL_HOOK_TONES:
        return "casual"
    return "announce" if _ANNOUNCE.search(fold(text)) else "general"


def fill_hashtags(tags: list[str], request: CaptionRequest, wanted: int | None) -> list[str]:
    """Exactly ``wanted`` hashtags when a number was asked: the writer's first, then the template's own."""
    if wanted is None:
        return tags
    out = list(dict.fromkeys(tags))[:wanted]
    for tag in _tags(request.subject, request, wanted):
        if len(out) >= wanted:
            break
        if tag.lower() not in {t.lower() for t in out}:
            out.append(tag)
    return out


def _tags(subject: str, request: CaptionRequest, wanted: int, *, own_words: bool = False) -> list[str]:
    """``wanted`` hashtags: from the subject and the facts first, then the platform's community tags.
    ``own_words``: the subject is the first sentence of a post the user wrote out ("We just closed our seed
    round … led by …"): its names and products make tags, its verbs ("led") do not."""
    camel = request.platform in {"mastodon", "linkedin"}
    # tags from words: a number, a price or a time ("10am", "45 dollars") is no hashtag
    worded = [subject, *(f for f in request.facts if not any(c.isdigit() for c in f))]
    if own_words:
        worded = worded[1:] or worded
    joined = " . ".join(worded)  # the subject and each fact apart: a tag never joins words of two
    for when in {f.text for f in facts_in(joined) if f.kind in ("date", "time")}:  # "this thursday" is no tag
        joined = joined.replace(when, " ")
    words_only = " ".join(
        w
        for w in re.sub(
            r"\b\d+\s+(?:hours?|minutes?|mins?|days?|weeks?|months?|years?)\b", " ", joined
        ).split()
        if not any(c.isdigit() for c in w) and not re.search(r"\w\.\w|/|@", w)  # no links, domains, handles
    )
    tags = hashtags_for(words_only, wanted, request.voice, camel=camel)
    community: list[str] = list(_sentence_table()["hashtags"].get(request.platform, []))
    for tag in community:
        if len(tags) >= wanted:
            break
        if tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    return tags[:wanted]


def apply_rules(text: str, rules: list[str]) -> str:
    """The learned rules a template can honour literally (see :mod:`integrations.writers.voice`)."""
    return apply_voice(text, [], VoiceGuide(rules=rules))[0]


TONE_CASUAL = (
    (r"\bwe are\b", "we're"),
    (r"\bit is\b", "it's"),
    (r"\bdo not\b", "don't"),
    (r"\bdoes not\b", "doesn't"),
    (r"\bcannot\b", "can't"),
    (r"\bwill not\b", "won't"),
    (r"\byou are\b", "you're"),
    (r"\bthat is\b", "that's"),
    (r"\bwe have\b", "we've"),
    (r"\bI am\b", "I'm"),
    (r"\bthere is\b", "there's"),
    (r"\bhowever\b", "but"),
    (r"\btherefore\b", "so"),
    (r"\bpurchase\b", "buy"),
    (r"\bassist\b", "help"),
    (r"\butili[sz]e\b", "use"),
)
TONE_FORMAL = tuple(
    (r"\b" + re.escape(short) + r"\b", long)
    for short, long in (
        ("we're", "we are"),
        ("it's", "it is"),
        ("don't", "do not"),
        ("doesn't", "does not"),
        ("can't", "cannot"),
        ("won't", "will not"),
        ("you're", "you are"),
        ("that's", "that is"),
        ("we've", "we have"),
        ("I'm", "I am"),
        ("there's", "there is"),
        ("gonna", "going to"),
        ("wanna", "want to"),
        ("awesome", "excellent"),
        ("super", "very"),
    )
)
_CASUAL_TONES = ("casual", "relaxed", "friendly", "informal", "chatty", "conversational", "fun", "playful")
_FORMAL_TONES: tuple[str, ...] = ("formal", "professional", "serious", "corporate", "business", "polite")


def _match_case(pattern: str, replacement: str, text: str) -> str:
    def repl(m: re.Match[str]) -> str:
        return replacement[:1].upper() + replacement[1:] if m.group(0)[:1].isupper() else replacement

    return re.sub(pattern, repl, text, flags=re.IGNORECASE)


def condense(text: str, limit: int, counting: str) -> str:
    """A deterministic condensing: filler words out, then the middle sentences, then a word-boundary trim.
    The opening line and a closing question/call to action are kept while they fit."""
    if count(text, counting) <= limit:
        return text
    text = re.sub(r"(?i)\b(?:really|very|just|actually|basically|literally|truly|simply|quite)\s+", "", text)
    text = re.sub(r"(?i)\bin order to\b", "to", text)
    text = re.sub(r"\s*\([^()]{0,200}\)", "", text)
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    if count(text, counting) <= limit:
        return text
    parts = [p for p in re.split(r"(?<=[.!?…])\s+|\n+", text) if p.strip()]
    if len(parts) > 2:
        head, tail = parts[0], parts[-1]
        middle = parts[1:-1]
        while middle and count(" ".join([head, *middle, tail]), counting) > limit:
            middle.pop()
        joined = " ".join([head, *middle, tail])
        if count(joined, counting) <= limit:
            return joined
        text = joined
    return trim_to_limit(text, limit, counting)


class TemplateWriter:
    """Deterministic writer. Always available; every result says ``writer='template'``."""

    name = "template"

    def caption(self, request: CaptionRequest) -> WriterResult:
        """A hook on the subject (in the user's words), the request's own factual sentences word for word, a
        call to action — in the request's language, with a fitting emoji or none. It invents nothing."""
        voice = request.voice
        language, note = _sentence_language(voice.language)
        lines = sentences_for(language)
        subject = request.subject.strip().rstrip(".!?") or str(lines["subject_fallback"])
        seed = _index(f"{subject}|{request.platform}") + request.variant
        emoji = ""
        if voice.emoji_allowed:
            found = fitting_emoji(f"{subject} {request.brief} {request.details} {' '.join(request.facts)}")
            emoji = f" {found[0]}" if found else ""
        # "announcing that Maria Lopez joins us": said as a statement, not "Introducing that Maria…"
        statement = subject_cues().statement.match(fold(subject))
        if statement and len(subject.split()) > 3:
            subject = subject[statement.end() :].lstrip()
        kind = (
            "news"
            if statement and len(subject.split()) > 2
            else _hook_kind(voice.tone, f"{request.brief} {subject}")
        )
        hooks = lines[kind]
        hook = str(hooks[seed % len(hooks)]).format(subject=subject, emoji=emoji)
        hook = hook[0].upper() + hook[1:]
        hook = re.sub(
            r"([?!.]\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), hook
        )  # "… favourite? Our …"
        short = request.platform in {"x", "bluesky", "threads", "tiktok"}
        formal = request.platform == "linkedin" or voice.tone in _FORMAL_HOOK_TONES
        ctas = lines["cta_short" if short else "cta_professional" if formal else "cta"]
        cta = str(ctas[seed % len(ctas)])
        sep = " " if short else "\n\n"
        if sep == " " and hook[-1].isalnum():  # no emoji closes the hook: end it before the call to action
            hook += "."
        details = request.details.strip()
        if fold(details) and fold(details) in fold(hook):
            details = ""
        own_words = bool(details) and fold(subject) in fold(details)  # "write a tweet: <the post>"
        if request.platform == "linkedin" and details:  # long-form: a short paragraph per sentence
            details = "\n\n".join(re.split(r"(?<=[.!?])\s+(?=[A-ZÀ-Ö0-9¿¡])", details))
        if own_words:  # the user's own words open the post, the emoji closes their first sentence
            hook = ""
            if emoji:
                first, *rest = re.split(r"(?<=[.!?])(\s+)", details, maxsplit=1)
                details = "".join([first.rstrip(".") + emoji, *rest])
        text = sep.join(part for part in (hook, details, cta) if part)
        given = guess_language(f"{subject} {details}")
        if note is None and given not in (None, language) and guess_language(subject) != language:
            note = (
                f"The template writer wrote its own phrases in {language_name(language)}; your subject and "
                f"details stay in your words. A language model writes the whole post in {language_name(language)}."
            )
        text = strip_banned(text, voice.banned_words)
        if not voice.emoji_allowed:  # the subject may carry emoji typed by the user
            text = strip_emoji(text)
        wanted = request.hashtags_exact if request.hashtags_exact is not None else request.hashtags_norm
        tags = _tags(subject, request, wanted, own_words=own_words)
        text, tags = apply_voice(text, tags, voice)
        counting = rule(request.platform).counting
        room = request.limit - (count("\n\n" + " ".join(f"#{t}" for t in tags), counting) if tags else 0)
        return WriterResult(
            text=trim_to_limit(text, room, counting), hashtags=tags, writer=self.name, note=note
        )

    def hashtags(self, request: HashtagRequest) -> WriterResult:
        tags = hashtags_for(request.text, request.count, request.voice, camel=request.platform == "mastodon")
        return WriterResult(hashtags=tags, writer=self.name)

    def script(self, request: ScriptRequest) -> ScriptResult:
        return template_script(request, self.name)

    def summary(self, request: SummaryRequest) -> SummaryResult:
        return template_summary(request, self.name)

    def split_thread(self, request: ThreadRequest) -> ThreadResult:
        posts = list_posts(
            request.text, request.limit, request.counting, request.max_posts
        ) or split_into_posts(request.text, request.limit, request.counting, request.max_posts)
        return ThreadResult(posts=posts or [request.text.strip()], writer=self.name)

    def rewrite_tone(self, request: ToneRequest) -> TextResult:
        """Contractions, punctuation and emoji only: an honest, small change, and it says so."""
        tone = request.tone.lower()
        text = request.text.strip()
        if any(t in tone for t in _FORMAL_TONES):
            for pattern, replacement in TONE_FORMAL:
                text = _match_case(pattern, replacement, text)
            text = strip_emoji(re.sub(r"!+", ".", text))
        elif any(t in tone for t in _CASUAL_TONES):
            for pattern, replacement in TONE_CASUAL:
                text = _match_case(pattern, replacement, text)
        text, _ = apply_voice(text, [], request.voice)
        text = condense(text, request.limit, request.counting)
        changed = " ".join(text.split()) != " ".join(request.text.split())
        note = (
            "The template writer only adjusts contractions, punctuation and emoji for a tone; a language "
            "model rewrites the wording."
        )
        return TextResult(text=text, writer=self.name, changed=changed, note=note)

    def translate(self, request: TranslateRequest) -> TextResult:
        """No model, no translation: the text comes back unchanged and the result says so."""
        return TextResult(
            text=request.text,
            writer=self.name,
            changed=False,
            note=(
                f"I cannot translate into {request.target_language_name} without a language model: the "
                "template writer does not translate, and no model is running (STUDIO_REWRITE_MODEL=auto starts "
                "the packaged one for translations; STUDIO_LLM_MODEL uses an endpoint)."
            ),
        )

    def improve(self, request: ImproveRequest) -> TextResult:
        text, _ = apply_voice(request.text.strip(), [], request.voice)
        if request.goal == "improve":
            improved = improve_post(text, [], request.platform, emoji_allowed=request.voice.emoji_allowed)
            text = improved.text
        text = condense(text, request.limit, request.counting)
        return TextResult(text=text, writer=self.name, changed=text != request.text.strip())

    def alt_text(self, request: AltTextRequest) -> AltTextResult:
        """From what the vision backend saw: its alt-text draft (or the subject and labels), then the text in
        the image, within ``max_chars``."""
        base = request.draft_alt_text.strip() or request.subject.strip()
        if not base and request.labels:
            base = ", ".join(request.labels[:4])
        base = base or "A photo"
        base = re.sub(r"(?i)^(?:an?\s+)?(?:image|picture|photo)\s+of\s+", "", base).strip()
        base = base[:1].upper() + base[1:]
        if not base.endswith((".", "!", "?")):
            base += "."
        ocr = " ".join(request.ocr_text.split())
        if ocr:
            base += f" Text in the image: “{ocr}”."
        base = strip_emoji(strip_banned(base, request.voice.banned_words))
        return AltTextResult(alt_text=trim_to_limit(base, request.max_chars, "chars"), writer=self.name)

    def variants(self, request: VariantsRequest) -> VariantsResult:

        made = ab_variants(
            request.text,
            request.hashtags,
            request.platform,
            request.n,
            emoji_allowed=request.voice.emoji_allowed,
        )
        return VariantsResult(
            variants=[VariantOut(text=v.text, hypothesis=v.hypothesis) for v in made]
            or [VariantOut(text=request.text, hypothesis="The original (no lever left to change).")],
            writer=self.name,
        )
