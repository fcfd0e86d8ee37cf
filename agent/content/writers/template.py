"""The deterministic template writer: no model, no network, always an answer within the platform's limit.

It is the fallback whenever no model is configured or a model answer is invalid. Choices between phrasings
are made by a stable hash of the subject, so the same brief gives the same draft.
"""

from __future__ import annotations

import hashlib
import re

from agent.content.optimize.improve import ab_variants, improve_post
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
    keywords,
    strip_banned,
    words,
)
from prompts.counting import count, trim_to_limit
from prompts.languages import language_name
from prompts.platforms import rule
from prompts.threads import split_thread as split_into_posts

EMOJI_FOR = {
    "coffee": "☕",
    "latte": "☕",
    "espresso": "☕",
    "cappuccino": "☕",
    "tea": "🍵",
    "cake": "🍰",
    "bakery": "🥐",
    "pizza": "🍕",
    "launch": "🚀",
    "travel": "✈️",
    "fitness": "💪",
    "gym": "💪",
    "book": "📚",
    "music": "🎵",
    "sale": "🏷️",
    "summer": "☀️",
}

ANNOUNCE_WORDS = (
    "new",
    "launch",
    "introduc",
    "announc",
    "meet",
    "debut",
    "release",
    "now available",
    "arriv",
)

HOOKS_ANNOUNCE = (
    "Say hello to {subject}{emoji}",
    "It's here: {subject}{emoji}",
    "Introducing {subject}{emoji}",
)
HOOKS_GENERAL = (
    "Let's talk about {subject}{emoji}",
    "A closer look at {subject}{emoji}",
    "All about {subject}{emoji}",
)

BODY_ANNOUNCE = {
    "short": "We can't wait for you to try it.",
    "long": "We've been working on this one for a while and we can't wait for you to try it. "
    "Made with care, for {audience}.",
}
BODY_GENERAL = {
    "short": "Here's what makes it worth your time.",
    "long": "Here's what makes it worth your time — and why we think {audience} will love it.",
}

CTA = {
    "instagram": "Would you try it? Tell us in the comments{point}",
    "linkedin": "What do you think? I'd love to hear your take in the comments.",
    "x": "Thoughts?",
    "threads": "What would you pair it with?",
    "bluesky": "What do you think?",
    "mastodon": "What do you think?",
    "facebook": "Tag a friend who needs to see this{point}",
    "tiktok": "Follow for more{point}",
    "youtube": "Subscribe for more and tell us what you think in the comments.",
    "pinterest": "Save this for later.",
}


def _pick(options: tuple[str, ...], seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return options[digest[0] % len(options)]


def apply_rules(text: str, rules: list[str]) -> str:
    """The learned rules a template can honour literally (see :mod:`integrations.writers.voice`)."""
    return apply_voice(text, [], VoiceGuide(rules=rules))[0]


# The fixed phrases of a caption in the languages the template writer knows; the subject stays in the
# user's words. Other languages get English and a note saying a model is needed.
LOCALIZED: dict[str, dict[str, tuple[str, ...]]] = {
    "es": {
        "announce": ("Te presentamos {subject}{emoji}", "Ya está aquí: {subject}{emoji}"),
        "general": ("Hablemos de {subject}{emoji}", "Todo sobre {subject}{emoji}"),
        "body_announce": ("Lo hemos preparado con mucho cariño y tenemos ganas de que lo pruebes.",),
        "body_general": ("Esto es lo que lo hace especial.",),
        "cta": ("¿Qué te parece? Cuéntanoslo en los comentarios.",),
    },
    "de": {
        "announce": ("Darf ich vorstellen: {subject}{emoji}", "Endlich da: {subject}{emoji}"),
        "general": ("Reden wir über {subject}{emoji}", "Alles über {subject}{emoji}"),
        "body_announce": ("Wir haben lange daran gearbeitet und freuen uns, wenn du es probierst.",),
        "body_general": ("Darum lohnt es sich.",),
        "cta": ("Was meinst du? Schreib es uns in die Kommentare.",),
    },
    "fr": {
        "announce": ("Voici {subject}{emoji}", "C'est arrivé : {subject}{emoji}"),
        "general": ("Parlons de {subject}{emoji}", "Tout sur {subject}{emoji}"),
        "body_announce": ("Nous y avons mis tout notre cœur et avons hâte que vous l'essayiez.",),
        "body_general": ("Voici ce qui le rend unique.",),
        "cta": ("Qu'en pensez-vous ? Dites-le-nous en commentaire.",),
    },
    "it": {
        "announce": ("Vi presentiamo {subject}{emoji}", "È arrivato: {subject}{emoji}"),
        "general": ("Parliamo di {subject}{emoji}", "Tutto su {subject}{emoji}"),
        "body_announce": ("Ci abbiamo lavorato con cura e non vediamo l'ora che lo proviate.",),
        "body_general": ("Ecco cosa lo rende speciale.",),
        "cta": ("Che ne pensate? Scrivetecelo nei commenti.",),
    },
    "pt": {
        "announce": ("Apresentamos {subject}{emoji}", "Chegou: {subject}{emoji}"),
        "general": ("Vamos falar de {subject}{emoji}", "Tudo sobre {subject}{emoji}"),
        "body_announce": ("Preparámos isto com muito carinho e mal podemos esperar que experimente.",),
        "body_general": ("Eis o que o torna especial.",),
        "cta": ("O que acha? Conte-nos nos comentários.",),
    },
}

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
_FORMAL_TONES = ("formal", "professional", "serious", "corporate", "business", "polite")


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
        voice = request.voice
        subject = request.subject.strip().rstrip(".!?") or "what we've been working on"
        seed = f"{subject}|{request.platform}"
        keys = keywords(subject)
        lowered = f"{request.brief} {subject}".lower()
        announce = any(w in lowered for w in ANNOUNCE_WORDS)
        emoji = ""
        if voice.emoji_allowed:
            found = next((EMOJI_FOR[k] for k in keys + words(request.brief) if k in EMOJI_FOR), "✨")
            emoji = " " + found
        language = (voice.language or "en").lower()
        local = LOCALIZED.get(language)
        note = None
        if local is not None:
            hooks = local["announce"] if announce else local["general"]
            hook = _pick(hooks, seed).format(subject=subject, emoji=emoji)
            body = (local["body_announce"] if announce else local["body_general"])[0]
            cta = local["cta"][0]
            note = (
                f"The template writer wrote the fixed phrases in {language_name(language)}; the subject "
                "stays in your words. A language model writes the whole post in that language."
            )
        else:
            hook = _pick(HOOKS_ANNOUNCE if announce else HOOKS_GENERAL, seed).format(
                subject=subject, emoji=emoji
            )
            length = "short" if request.limit <= 500 else "long"
            audience = voice.audience or "you"
            body = (BODY_ANNOUNCE if announce else BODY_GENERAL)[length].format(audience=audience)
            cta = CTA.get(request.platform, "What do you think?").format(
                point=" 👇" if voice.emoji_allowed else "."
            )
            if language != "en":
                note = (
                    f"The template writer writes English only; a language model is needed to write in "
                    f"{language_name(language)}."
                )
        hook = hook[0].upper() + hook[1:]
        sep = " " if request.platform in {"x", "bluesky", "threads"} else "\n\n"
        text = sep.join(part for part in (hook, body, cta) if part)
        text = strip_banned(text, voice.banned_words)
        if not voice.emoji_allowed:  # the subject may carry emoji typed by the user
            text = strip_emoji(text)
        tags = hashtags_for(
            subject, request.hashtags_norm, voice, camel=request.platform in {"mastodon", "linkedin"}
        )
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
        posts = split_into_posts(request.text, request.limit, request.counting, request.max_posts)
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
                "template writer does not translate. Configure a model (STUDIO_LLM_MODEL, or the local "
                "model) and ask again."
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
