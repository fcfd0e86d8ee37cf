"""The rules planner: deterministic. Intent rules pick a pipeline, and the pipeline's next stage is derived
from the tool results already in this turn. It emits the same ``tool_calls`` as the LLM planner
(:mod:`agent.graph.planning.llm`), so the rest of the graph does not know which planner ran.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage
from sqlmodel import col, select

from agent.content.brief import Brief
from agent.content.briefs import extract_subject
from agent.content.understand import parse
from agent.core.db import session_scope
from agent.core.models import Asset, Draft
from agent.graph.planning.content_intents import CONTENT_INTENTS, content_intent, content_step
from agent.graph.planning.optimize_intents import optimize_calls, optimize_intent
from agent.graph.planning.pipelines import media_step, script_platform
from agent.graph.turn import artifacts, call, drafts_short_of_tags, message_text, tool_results, turn_messages
from agent.services.context import Context
from prompts import render
from prompts.platforms import platform_names


class Intent(StrEnum):
    CAPTION = "caption"
    HASHTAGS = "hashtags"
    REMEMBER = "remember"
    RECALL = "recall"
    APPROVE = "approve"
    SCHEDULE = "schedule"
    PUBLISH_NOW = "publish_now"
    QUEUE = "queue"
    CANCEL_POST = "cancel_post"
    RESCHEDULE = "reschedule"
    SCORE = "score"
    IMPROVE = "improve"
    VARIANTS = "variants"
    BEST_TIME = "best_time"
    METRICS = "metrics"
    COMPARE = "compare"
    DIAGNOSE = "diagnose"
    THREAD = "thread"  # the content intents (agent/content_intents.py)
    TONE = "tone"
    TRANSLATE = "translate"
    ALT_TEXT = "alt_text"
    VOICE_RULES = "voice_rules"
    DELETE_RULE = "delete_rule"
    EDIT = "edit"
    HELP = "help"
    SUMMARY = "summary"
    OUT_OF_SCOPE = "out_of_scope"
    LINK_SLACK = "link_slack"
    SCRIPT = "script"


# the optimization engine's intents (agent/optimize/intents.py reads the request)
_OPTIMIZE_INTENTS = frozenset({"score", "improve", "variants", "best_time", "metrics", "compare", "diagnose"})


_SCHEDULE = re.compile(r"^\s*(?:please\s+)?(?:schedule|queue up)\b(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_PUBLISH_NOW = re.compile(
    r"^\s*(?:please\s+)?(?:publish|post)\b(?P<rest>.*?)\b(?:now|right away|immediately)\s*[.!]*\s*$",
    re.IGNORECASE | re.DOTALL,
)
_QUEUE = re.compile(
    r"\b(?:show|list|see|view|what'?s in|what is in)\b.*\b(?:queue|scheduled posts?)\b|^\s*(?:my\s+)?queue\s*\??$",
    re.IGNORECASE,
)
_CANCEL_POST = re.compile(
    r"^\s*(?:please\s+)?(?:cancel|unschedule)\s+(?:the\s+)?(?:scheduled\s+)?post\s*#?\s*(?P<id>\d+)",
    re.IGNORECASE,
)
_RESCHEDULE = re.compile(
    r"^\s*(?:please\s+)?(?:reschedule|move)\s+(?:the\s+)?post\s*#?\s*(?P<id>\d+)\s*(?:to|for|at|on)?\s+(?P<when>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_DRAFT_REF = re.compile(r"(?:\bdraft\s*#?\s*|#\s*)(?P<id>\d+)|\b(?:this|it|that)\b", re.IGNORECASE)
_SCHEDULING_INTENTS = frozenset({"schedule", "publish_now", "queue", "cancel_post", "reschedule"})
# The account a post goes through: "via hook1", "through my webhook", "using account #3", "on my Mastodon",
# "to @me@mastodon.social", "with the hook1 account", "to the outbox". After "on"/"to"/"with" only a
# publishing platform, an @handle or the word "account" counts ("on friday" is a time, "on instagram" is the
# draft's own platform).
_NAME = r"[@#]?\w[\w.\-]*(?:@\w[\w.\-]*)?"
_ACCOUNT = re.compile(
    rf"\s*\b(?:via|through|using)\s+(?:my\s+|our\s+|the\s+)?(?:account\s+)?(?P<via>{_NAME})(?:\s+account\b)?"
    r"|\s*\b(?:on|to|with|in)\s+(?:my\s+|our\s+|the\s+)?"
    r"(?:(?P<platform>mastodon|bluesky|bsky|webhook|(?:local\s+)?outbox)\b(?:\s+account\b)?"
    rf"|account\s+(?P<account>{_NAME})|(?P<named>{_NAME})\s+account\b|(?P<handle>@{_NAME}))",
    re.IGNORECASE,
)


def split_account(text: str) -> tuple[str, str | None]:
    """The request without its account phrase, and the account it names (None: not named)."""
    match = _ACCOUNT.search(text)
    if match is None:
        return text, None
    name = next(g for g in match.group("via", "platform", "account", "named", "handle") if g)
    return text[: match.start()] + text[match.end() :], name.rstrip(".,;:!?")


_REMEMBER = re.compile(
    r"^\s*(?:(?:please|can you|could you|would you|will you)\s+)*"
    r"(?:remember|note|keep in mind|don'?t forget|memori[sz]e)\b"
    r"(?!\s+(?:what|which|how|when|where|who|whether|if)\b)\s*(?:that|:)?\s*(?P<fact>.+)$",
    re.IGNORECASE | re.DOTALL,
)
# "Never miss our Friday sale: write an Instagram caption about it" is a request, not a standing rule.
_CONCRETE_WRITE = re.compile(
    r"\b(?:write|draft|compose|create|make)\b.*\b(?:caption|post|tweet|thread)s?\s+(?:about|announcing|regarding)\b",
    re.IGNORECASE,
)
_STANDING_RULE = re.compile(
    r"^\s*(?:from now on|going forward|always|never|we never|we always)\b", re.IGNORECASE
)
_RECALL = re.compile(
    r"\b(what do you (?:remember|know)|do you remember|what have i told you|recall|list (?:my |the )?memories|"
    r"show (?:me )?(?:my |the )?memories|what are (?:my|our) rules)\b(?P<rest>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_APPROVE = re.compile(r"^\s*(?:please\s+)?(?:approve|sign off|ok to post|greenlight)\b", re.IGNORECASE)
_DRAFT_NUMBER = re.compile(r"#\s*(\d+)|\bdraft\s+(\d+)\b|\b(\d+)\s*$")
_HASHTAGS_ONLY = re.compile(r"\bhashtags?\b", re.IGNORECASE)
_WRITE_WORDS = re.compile(
    r"\b(caption|post|tweet|thread|write|draft|announce|launch|introduc|promot|copy|reel|story|share)\w*",
    re.IGNORECASE,
)
_LINK_SLACK = re.compile(r"\b(?:link|connect)\s+(?:my\s+|our\s+|the\s+)?slack\b", re.IGNORECASE)
# a script from words alone ("write a reel script: …"); with a voice note or video the media pipeline runs
_SCRIPT = re.compile(
    r"^\s*(?:please\s+)?(?:write|make|draft|create)\s+(?:me\s+)?(?:an?\s+)?(?:short\s+|reel\s+|video\s+|tiktok\s+)*"
    r"script\b\s*(?:about|for|on|from)?\s*:?\s*(?P<rest>.+)$",
    re.IGNORECASE | re.DOTALL,
)
_HELP = re.compile(r"^\s*(help|\?|hi|hello|hey|what can you do\??|menu|start)\s*[!.?]*\s*$", re.IGNORECASE)


def classify(text: str) -> Intent:
    """The user's main intent, read by the request parser (:mod:`agent.content.understand`)."""
    return Intent(parse(text).intent.value)


def classify_by_phrase(text: str) -> Intent:
    """The intent by the first version's phrase rules — still the reader of the slots (which draft, when)."""
    if _HELP.match(text) or not text.strip():
        return Intent.HELP
    if (content := content_intent(text)) is not None:
        return Intent(content)
    if _LINK_SLACK.search(text) and len(text) < 200:
        return Intent.LINK_SLACK
    if _REMEMBER.match(text) or (_STANDING_RULE.match(text) and not _CONCRETE_WRITE.search(text)):
        return Intent.REMEMBER
    if _RECALL.search(text):
        return Intent.RECALL
    if (optimize := optimize_intent(text)) is not None:
        return Intent(optimize)
    if _RESCHEDULE.match(text):
        return Intent.RESCHEDULE
    if _CANCEL_POST.match(text):
        return Intent.CANCEL_POST
    if _QUEUE.search(text):
        return Intent.QUEUE
    publish = _PUBLISH_NOW.match(text)
    if publish and _DRAFT_REF.search(publish["rest"] or ""):
        return Intent.PUBLISH_NOW
    if _SCHEDULE.match(text):
        return Intent.SCHEDULE
    if _APPROVE.match(text):
        return Intent.APPROVE
    if _SCRIPT.match(text):
        return Intent.SCRIPT
    if _HASHTAGS_ONLY.search(text) and not re.search(r"\b(caption|post|tweet|thread|write)\b", text, re.I):
        return Intent.HASHTAGS
    if _WRITE_WORDS.search(text) or len(text.split()) >= 3:
        return Intent.CAPTION
    return Intent.HELP


@dataclass
class RulesPlanner:
    name: str = "rules"

    async def plan(self, state: dict[str, Any], ctx: Context) -> AIMessage:
        human, turn = turn_messages(state.get("messages", []))
        text = message_text(human).strip()
        kinds = tuple(str(a.get("kind")) for a in state.get("assets") or [])
        brief = parse(text, attachments=kinds, fallback=ctx.services.router)
        intents = [Intent(i.value) for i in brief.intents] or [Intent.HELP]
        if intents == [Intent.OUT_OF_SCOPE]:
            reply = render("out_of_scope", platforms=platform_names())
            return AIMessage(
                content=reply, response_metadata={"planner": self.name, "intent": "out_of_scope"}
            )
        intents = [i for i in intents if i not in (Intent.OUT_OF_SCOPE, Intent.SUMMARY)] or [Intent.CAPTION]
        if len(intents) > 1 and intents[0].value not in CONTENT_INTENTS:
            platforms = list(state.get("platforms") or ctx.platforms or ["instagram"])
            media = media_step(state, text=text, platforms=platforms, intent=intents[0].value, turn=turn)
            if media is not None:  # an attachment or a link: its pipeline serves the whole request
                return media
        for intent in intents:  # several intents run one after the other, each to its end
            step = self._step(intent, text, brief, state, turn, ctx)
            if step.tool_calls or len(intents) == 1:
                return step
        # every intent has run: the reply is composed from all the turn's results (drafts, times, queue…)
        return AIMessage(content="", response_metadata={"planner": self.name, "intent": intents[0].value})

    def _step(
        self,
        intent: Intent,
        text: str,
        brief: Brief,
        state: dict[str, Any],
        turn: list[AnyMessage],
        ctx: Context,
    ) -> AIMessage:
        platforms = list(state.get("platforms") or ctx.platforms or ["instagram"])
        if intent.value in CONTENT_INTENTS:
            return content_step(
                intent.value,
                text,
                turn=turn,
                platforms=platforms,
                assets=list(state.get("assets") or []),
                latest_draft=lambda: self._draft_to_approve("", ctx),
                latest_visual_asset=lambda: _latest_visual_asset(ctx),
            )
        media = media_step(state, text=text, platforms=platforms, intent=intent.value, turn=turn)
        if media is not None:
            return media
        calls = self._next_calls(intent, text, platforms, turn, ctx, brief)
        content = ""
        if not calls and (intent.value in _SCHEDULING_INTENTS or intent is Intent.LINK_SLACK):  # tools' words
            content = "\n\n".join(message_text(m) for m in tool_results(turn)) or _nothing_to(intent)
        return AIMessage(
            content=content,
            tool_calls=calls,
            response_metadata={"planner": self.name, "intent": intent.value},
        )

    def _next_calls(
        self,
        intent: Intent,
        text: str,
        platforms: list[str],
        turn: list[AnyMessage],
        ctx: Context,
        brief: Brief | None = None,
    ) -> list[dict[str, Any]]:
        ran = {m.name for m in tool_results(turn)}
        if intent is Intent.CAPTION:
            if "write_caption" not in ran:
                n = (brief.count if brief else None) or 1
                extra = {"language": brief.language} if brief and brief.language else {}
                return [
                    call(
                        "write_caption",
                        brief=text,
                        platform=p,
                        **extra,
                        **({"variant": v, "variants": n} if n > 1 else {}),
                    )
                    for p in platforms
                    for v in range(n)
                ]
            if "suggest_hashtags" not in ran:
                drafts = drafts_short_of_tags(artifacts(turn, "draft"))
                return [call("suggest_hashtags", draft_id=d["id"]) for d in drafts]
            return []
        if intent is Intent.LINK_SLACK:
            return [] if ran else [call("link_slack")]
        if intent is Intent.SCRIPT and (m := _SCRIPT.match(text)):
            if "write_script" in ran:
                return []
            return [
                call(
                    "write_script",
                    transcript=m["rest"].strip(),
                    brief=text,
                    platform=script_platform(text, platforms),
                )
            ]
        if intent is Intent.HASHTAGS and not ran:
            subject = extract_subject(text)
            return [call("suggest_hashtags", text=subject, platform=p) for p in platforms]
        if intent is Intent.REMEMBER and not ran:
            match = _REMEMBER.match(text)
            fact = match.group("fact") if match else text
            return [call("remember", fact=fact.strip().rstrip("."))]
        if intent is Intent.RECALL and not ran:
            match = _RECALL.search(text)
            rest = (match.group("rest") if match else "").strip(" ?.")
            rest = re.sub(r"^(about|on|regarding)\s+", "", rest, flags=re.I)
            return [call("recall", query=rest)]
        if intent.value in _OPTIMIZE_INTENTS:
            return [] if ran else self._optimize_calls(intent, text, platforms, ctx)
        if intent is Intent.APPROVE and not ran:
            draft_id = self._draft_to_approve(text, ctx)
            return [call("approve_draft", draft_id=draft_id)] if draft_id else []
        if ran:
            return []
        return self._scheduling_calls(intent, text, ctx)

    def _scheduling_calls(self, intent: Intent, text: str, ctx: Context) -> list[dict[str, Any]]:
        account: dict[str, str] = {}
        if intent in (Intent.SCHEDULE, Intent.PUBLISH_NOW):
            text, name = split_account(text)
            account = {"account": name} if name else {}
        if intent is Intent.QUEUE:
            return [call("list_queue")]
        if intent is Intent.CANCEL_POST and (m := _CANCEL_POST.match(text)):
            return [call("cancel_post", post_id=int(m["id"]))]
        if intent is Intent.RESCHEDULE and (m := _RESCHEDULE.match(text)):
            return [call("reschedule_post", post_id=int(m["id"]), when=m["when"].strip(" .!?"))]
        if intent is Intent.PUBLISH_NOW and (m := _PUBLISH_NOW.match(text)):
            draft_id = self._draft_ref(m["rest"] or "", ctx)
            return [call("publish_now", draft_id=draft_id, **account)] if draft_id else []
        if intent is Intent.SCHEDULE and (m := _SCHEDULE.match(text)):
            rest = m["rest"] or ""
            ref = _DRAFT_REF.search(rest)
            draft_id = self._draft_ref(rest, ctx)
            when = rest[ref.end() :] if ref else rest
            when = re.sub(r"^\s*(?:for|at|on|to)\s+", "", when.strip()).strip(" .!?")
            return [call("schedule_post", draft_id=draft_id, when=when, **account)] if draft_id else []
        return []

    @staticmethod
    def _draft_ref(text: str, ctx: Context) -> int | None:
        """``draft #N`` / ``#N``, or "this/it": the thread's latest draft."""
        match = _DRAFT_REF.search(text)
        if match and match["id"]:
            return int(match["id"])
        return RulesPlanner._draft_to_approve("", ctx)

    def _optimize_calls(
        self, intent: Intent, text: str, platforms: list[str], ctx: Context
    ) -> list[dict[str, Any]]:
        calls = optimize_calls(
            intent.value, text, platforms, ctx.platforms, lambda: self._draft_to_approve("", ctx)
        )
        return [{**call(tool), "args": args} for tool, args in calls]  # args may hold a "name"

    @staticmethod
    def _draft_to_approve(text: str, ctx: Context) -> int | None:
        match = _DRAFT_NUMBER.search(text)
        if match:
            return int(next(g for g in match.groups() if g))
        with session_scope(ctx.services.engine) as session:  # "approve it": the thread's latest draft
            query = (
                select(Draft.id)
                .where(Draft.user_id == ctx.user_id, Draft.thread_id == ctx.thread_id)
                .order_by(col(Draft.id).desc())
                .limit(1)
            )
            return session.exec(query).first()


def _latest_visual_asset(ctx: Context) -> int | None:
    """The user's most recent image or video ("alt text for this image" after an upload)."""
    with session_scope(ctx.services.engine) as session:
        query = (
            select(Asset.id)
            .where(Asset.user_id == ctx.user_id, col(Asset.kind).in_(["image", "video"]))
            .order_by(col(Asset.id).desc())
            .limit(1)
        )
        return session.exec(query).first()


def _nothing_to(intent: Intent) -> str:
    if intent in (Intent.SCHEDULE, Intent.PUBLISH_NOW):
        return "There is no draft in this conversation yet. Ask me for a post first, or name one: draft #N."
    return "I could not tell which post you mean: say e.g. “cancel post #3”."
