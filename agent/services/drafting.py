"""Drafting: any writer's caption made safe to post. The writer writes; the draft is fitted to the platform,
then checked against what the creator gave (the request, the material, the brand profile) and the Brief's
constraints. A draft that fails is repaired when a repair keeps it honest (a sentence with an invented fact
dropped, an unrelated emoji removed, the hashtag count set), else written again by the template writer,
which states only what it was given. The result says which checks the draft passed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from agent.content.brief import Brief, Constraints
from agent.content.grounding import Report, check, repair
from agent.content.text import sentences
from agent.content.understand import body_of, facts_in, fold, parse, subject_cues
from agent.content.writers.base import (
    CaptionRequest,
    ScriptRequest,
    ScriptResult,
    VoiceGuide,
    Writer,
    WriterResult,
)
from agent.content.writers.output import fit_output
from agent.content.writers.template import TemplateWriter, fill_hashtags
from agent.content.writers.words import keywords
from prompts.platforms import PlatformRule

Detect = Callable[[str], tuple[str | None, float]]
MAX_DETAILS_CHARS = 280
# what a failed check costs: these make a draft untrue or unusable; the rest can be repaired
_FATAL = ("facts", "no instruction echo", "language", "includes")


@dataclass
class Drafted:
    text: str
    hashtags: list[str]
    writer: str
    passed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    fallback_reason: str | None = None
    notes: list[str] = field(default_factory=list)


_INSTRUCTION = re.compile(
    r"\b(write|make|give|create|draft|compose|captions?|posts?|tweets?|threads?|reels?|pins?|hashtags?|emojis?|"
    r"escrib\w*|haz|publicaci\w+|leyendas?|ecri\w*|fais|legendes?|schreib\w*|mach|beitrag\w*|escrev\w*|faz|"
    r"legendas?|scriv\w*|fai|didascali\w*|instagram|linkedin|tiktok|youtube|facebook|pinterest|bluesky|"
    r"mastodon|twitter)\b",
    re.IGNORECASE,
)


# "hey can u help me get the word out about …", "me ayudas a promocionar …": the ask before what it is about
_REQUEST_LEAD = re.compile(
    r"^(?:(?:hey|hi|hello|ok|so|please|pls|oye|hola|salut|hallo|oi|ciao)[\s,]+)*"
    r"(?:(?:can|could|would|will) (?:u|you)|help me|i need|we need|i want|we want|(?:me )?ayuda\w*|me ayudas|"
    r"puedes|tu peux|pourrais-tu|kannst du|konntest du|hilf mir|podes|pode|me ajuda|mi aiuti|puoi)\b.*?"
    r"\b(?:about|for|on|re:?|sobre|de|sur|pour|uber|fur|zu|su|per|do|da|della|del|a)\s+(?=\S)",
    re.IGNORECASE,
)


def without_instruction(subject: str) -> str:
    """A subject with the ask it was cut with removed ("fais un post instagram pour annoncer qu'on ouvre une
    boutique" -> "qu'on ouvre une boutique"); empty when nothing but the ask is left. What follows the ask's
    last word is read with the parser's purpose and connector words (prompts/understanding.toml)."""
    folded = fold(subject)
    asks = list(_INSTRUCTION.finditer(folded))
    if not asks:
        return subject
    sc, start = subject_cues(), asks[-1].end()
    while True:
        start += len(folded[start:]) - len(folded[start:].lstrip(" ,;:.!?-–—"))
        lead = sc.purpose.match(folded, start) or sc.connector.match(folded, start)
        if lead is None or lead.end() == start:
            break
        start = lead.end()
    if around := sc.purpose_around.match(folded, start):  # "um | unseren Flohmarkt | anzukündigen"
        return subject[around.start(1) : around.end(1)].strip(" .!?,;:\"'«»“”")
    return subject[start:].strip(" .!?,;:\"'«»“”")


SIDE_CLAUSE_WORDS = 6
_STYLE_ASK = re.compile(
    r"\b(keep it|make it|hazlo|fais-le|mach es|deixa|rendilo|short|shorter|brief|concise|simple|corto|breve|court|"
    r"kurz|curto|punchy|tone|tono|style|estilo|stil)\b"
)


def _directive(clause: str) -> bool:
    """ "make it funny", "max 150 characters", "in Spanish", "no emojis": how to write, not what to say."""
    brief = parse(clause)
    return bool(
        brief.tone
        or brief.language_asked
        or brief.constraints != Constraints()
        or brief.draft_refs
        or _STYLE_ASK.search(fold(clause))
    )


def details_of(text: str, *, limit: int = MAX_DETAILS_CHARS) -> str:
    """The parts of a text that carry facts (a day, a time, a price, a place, a name…), word for word,
    without the instruction ("Write an Instagram post about it, …") — what a template post may quote."""
    out: list[str] = []
    for sentence in sentences(" ".join(text.split())):
        clauses = [
            _REQUEST_LEAD.sub("", c.strip()) for c in re.split(r"[,;:]\s+|\s+[-–—]\s+", sentence) if c.strip()
        ]
        factual = [any(f.kind != "product" for f in facts_in(c)) for c in clauses]
        kept = [  # the clauses with facts, and the short ones beside them ("35 €, plazas limitadas")
            c
            for c, has_fact in zip(clauses, factual, strict=True)
            if not _INSTRUCTION.search(fold(c))
            and (has_fact or (any(factual) and len(c.split()) <= SIDE_CLAUSE_WORDS and not _directive(c)))
        ]
        if kept:
            joined = ", ".join(kept).rstrip(".!?")
            out.append(joined[0].upper() + joined[1:] + ".")
        if sum(len(s) + 1 for s in out) >= limit:
            break
    result = " ".join(out)
    return result if len(result) <= limit else ""


MAX_BODY_DETAILS_CHARS = 1_500  # a post the user wrote out after "write a tweet:" is quoted up to this


def body_details(body: str, *, limit: int = MAX_BODY_DETAILS_CHARS) -> str:
    """The text the user gave after the instruction ("write a tweet: <text>"), sentence by sentence, word for
    word — all of it (it is the post's content, facts or not), without sentences that only instruct ("It's for
    LinkedIn."), up to ``limit`` characters at a sentence boundary."""
    out: list[str] = []
    for sentence in sentences(" ".join(body.split())):
        if _INSTRUCTION.search(fold(sentence)) and not any(f.kind != "product" for f in facts_in(sentence)):
            continue
        if sum(len(s) + 1 for s in out) + len(sentence) > limit:
            break
        out.append(sentence)
    text = " ".join(out).strip()
    if text and text[-1].isalnum():  # "opening May 3, 40 desks" -> a sentence
        text += "."
    return text[:1].upper() + text[1:]


def caption_request(
    r: PlatformRule, brief: Brief, *, request: str, subject: str, voice: VoiceGuide, material: str = ""
) -> CaptionRequest:
    """What a writer is given for one caption: the subject, the facts it may state and the details it may
    quote (from the request, else the material), the hashtag count, which of several drafts this is."""
    facts = [f.text for f in brief.facts] + [f.text for f in facts_in(material, source="material")]
    given = body_of(request)
    details = body_details(given) if given else details_of(request)
    if not details and material:
        details = details_of(material)
    return CaptionRequest.for_platform(r, brief=request, subject=subject, voice=voice).model_copy(
        update={
            "facts": list(dict.fromkeys(facts))[:20],
            "details": details,
            "hashtags_exact": brief.constraints.hashtags,
            "variants": max(1, brief.count or 1),
        }
    )


def _checked(
    text: str,
    tags: Sequence[str],
    request: CaptionRequest,
    constraints: Constraints,
    sources: str,
    detect: Detect | None,
) -> Report:
    return check(
        text,
        tags,
        sources=sources,
        constraints=constraints,
        language=request.voice.language,
        brief=request.brief,
        detect_language=detect,
    )


def write_caption(
    writer: Writer,
    request: CaptionRequest,
    r: PlatformRule,
    *,
    constraints: Constraints,
    sources: str,
    detect: Detect | None = None,
    written: WriterResult | None = None,
) -> Drafted:
    """A caption from ``writer`` that passed the grounding checks, or was repaired, or was written by the
    template writer instead (the reason recorded). ``written``: the writer's answer to ``request`` when the
    caller already has it (the bench measures it alone too)."""
    voice = request.voice
    result = written if written is not None else writer.caption(request)
    text, tags, notes = fit_output(writer, result.text, result.hashtags, r, voice)
    tags = fill_hashtags(tags, request, constraints.hashtags)
    report = _checked(text, tags, request, constraints, sources, detect)
    drafted = Drafted(text, tags, result.writer, fallback_reason=result.fallback_reason, notes=list(notes))
    if result.note:
        drafted.notes.insert(0, result.note)
    if report.ok:
        drafted.passed = report.passed
        return drafted
    cleaned = without_instruction(request.subject)
    echoed = "no instruction echo" in report.failed
    if writer.name == TemplateWriter.name and echoed and cleaned and cleaned != request.subject:
        # the ask was read as the subject: written again about what follows it, before a repair could drop the
        # sentence the subject is in and leave only the call to action
        again = request.model_copy(update={"subject": cleaned})
        return write_caption(writer, again, r, constraints=constraints, sources=sources, detect=detect)
    fixed = repair(text, report, constraints)
    fixed_report = _checked(fixed, tags, request, constraints, sources, detect)
    if fixed_report.ok or (writer.name == TemplateWriter.name and not set(fixed_report.failed) & set(_FATAL)):
        drafted.text = fixed
        drafted.passed, drafted.failed = fixed_report.passed, fixed_report.failed
        drafted.notes.append(
            "Checked and fixed: " + "; ".join(f"{k} ({v})" for k, v in report.failed.items()) + "."
        )
        return drafted
    if writer.name == TemplateWriter.name:  # nothing more honest to fall back to
        drafted.passed, drafted.failed = fixed_report.passed, fixed_report.failed
        return drafted
    template = TemplateWriter()
    fallback = template.caption(request)
    text, tags, notes = fit_output(template, fallback.text, fallback.hashtags, r, voice)
    tags = fill_hashtags(tags, request, constraints.hashtags)
    text = repair(text, _checked(text, tags, request, constraints, sources, detect), constraints)
    final = _checked(text, tags, request, constraints, sources, detect)
    reason = "its draft failed the checks: " + "; ".join(f"{k} ({v})" for k, v in report.failed.items())
    return Drafted(
        text,
        tags,
        template.name,
        passed=final.passed,
        failed=final.failed,
        fallback_reason=f"{result.writer} failed: {reason}",
        notes=[*([fallback.note] if fallback.note else []), *notes],
    )


ON_TOPIC = 0.5  # the share of a script's keywords that must come from its sources


def _script_words(script: ScriptResult) -> str:
    """What a script says (its timestamps and shot descriptions are not claims)."""
    return " ".join([script.hook, *(b.line for b in script.beats), script.cta, script.caption])


def _script_report(script: ScriptResult, sources: str) -> Report:
    said = _script_words(script)
    report = check(said, script.hashtags, sources=sources, constraints=Constraints())
    own = {fold(k) for k in keywords(said)}
    known = {fold(k) for k in keywords(sources)}
    stray = sorted(own - known)
    if own and len(own & known) / len(own) < ON_TOPIC:
        report.failed["on topic"] = "talks about " + ", ".join(stray[:5])
    else:
        report.passed.append("on topic")
    return report


def script_sources(request: ScriptRequest) -> str:
    """What a script may state facts from: what was said, the brief, what the footage shows."""
    return " ".join([request.transcript, request.brief, " ".join(request.visuals)])


def write_script(writer: Writer, request: ScriptRequest) -> tuple[ScriptResult, Report]:
    """A script that says only what the recording (or the given text), the brief and the footage say: a
    model's script that states anything else (a price, a day, a name, an offer not in the transcript) or
    talks about something else is replaced by the template writer's, built from the transcript's sentences."""
    sources = script_sources(request)
    script = writer.script(request)
    report = _script_report(script, sources)
    if not (set(report.failed) & {"facts", "on topic"}) or writer.name == TemplateWriter.name:
        return script, report
    problems = "; ".join(f"{k}: {report.failed[k]}" for k in ("facts", "on topic") if k in report.failed)
    reason = f"{script.writer} failed: its script strays from the recording ({problems})"
    fallback = TemplateWriter().script(request).model_copy(update={"fallback_reason": reason})
    return fallback, _script_report(fallback, sources)
