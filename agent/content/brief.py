"""The typed Brief: what one request asks for, read once and used by both planners and every writer.

A request may hold several intents ("write 3 TikTok captions and suggest the best time"); the Brief keeps them
in order, with the slots the writers need: platforms, how many, the output language, the tone, the subject,
the facts a draft may state (and nothing else), the constraints a draft must keep, and the drafts referred to.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Intent(StrEnum):
    CAPTION = "caption"  # a post / caption / tweet for one or more platforms
    HASHTAGS = "hashtags"
    SCRIPT = "script"  # a short-video script
    THREAD = "thread"
    TRANSLATE = "translate"
    TONE = "tone"  # rewrite in another tone
    ALT_TEXT = "alt_text"
    SUMMARY = "summary"
    VARIANTS = "variants"  # A/B variants of an existing draft
    IMPROVE = "improve"
    SCORE = "score"
    BEST_TIME = "best_time"
    SCHEDULE = "schedule"
    PUBLISH_NOW = "publish_now"
    QUEUE = "queue"
    CANCEL_POST = "cancel_post"
    RESCHEDULE = "reschedule"
    APPROVE = "approve"
    EDIT = "edit"
    REMEMBER = "remember"
    RECALL = "recall"
    VOICE_RULES = "voice_rules"
    DELETE_RULE = "delete_rule"
    METRICS = "metrics"
    COMPARE = "compare"
    DIAGNOSE = "diagnose"
    LINK_SLACK = "link_slack"
    HELP = "help"
    OUT_OF_SCOPE = "out_of_scope"  # not content work: the studio says what it can do instead


FactKind = Literal[
    "price", "date", "time", "number", "percent", "url", "email", "handle", "name", "place", "product"
]


class Fact(BaseModel):
    """A fact a draft may state: its words as the user (or the material) gave them."""

    model_config = ConfigDict(frozen=True)

    kind: FactKind
    text: str
    source: Literal["request", "material", "profile", "draft"] = "request"


class Constraints(BaseModel):
    """What every draft of the request must keep. ``None`` means "not asked"."""

    hashtags: int | None = Field(default=None, ge=0, le=30)  # exactly this many hashtags
    max_chars: int | None = Field(default=None, ge=1)  # shorter than the platform's limit
    emoji: bool | None = None  # False: none at all; True: asked for emoji
    must_include: list[str] = Field(default_factory=list)  # words or phrases asked for verbatim
    must_avoid: list[str] = Field(default_factory=list)  # words the user or the brand bans
    sign_off: str | None = None  # from a standing rule ("always end with …")
    cta: str | None = None  # a call to action from a standing rule or the request


class Brief(BaseModel):
    intents: list[Intent] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)  # as named in the request (none: the defaults)
    count: int | None = Field(default=None, ge=1, le=10)  # how many different drafts per platform
    language: str | None = None  # the output language (ISO 639-1) asked for or of the request itself
    language_asked: bool = False  # the request names the language ("in Spanish", "translate to …")
    tone: str | None = None
    subject: str = ""
    facts: list[Fact] = Field(default_factory=list)
    constraints: Constraints = Field(default_factory=Constraints)
    draft_refs: list[int] = Field(default_factory=list)
    body: str | None = None  # text given to work on ("translate to Spanish: <body>")

    @property
    def intent(self) -> Intent:
        """The main intent (the first one), ``help`` for an empty request."""
        return self.intents[0] if self.intents else Intent.HELP
