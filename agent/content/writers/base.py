"""The writer port: what every writer (template, local model, any OpenAI-compatible endpoint) takes and gives."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel, Field

from agent.content.formatting import clock
from prompts.languages import language_name

if TYPE_CHECKING:
    from prompts.platforms import PlatformRule


class VoiceGuide(BaseModel):
    """The brand voice a writer must follow (from the brand profile and learned memories)."""

    brand_name: str = ""
    tone: str = "friendly"
    audience: str = ""
    language: str = "en"
    emoji_allowed: bool = True
    banned_words: list[str] = Field(default_factory=list)
    example_posts: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list)

    @property
    def language_label(self) -> str:
        """'es' -> 'Spanish (es)', for the prompts."""

        name = language_name(self.language)
        return f"{name} ({self.language})" if name != self.language else self.language


def platform_fields(r: PlatformRule) -> dict[str, Any]:
    """The request fields a platform's rule fills in: name, label, limit, hashtag norm and cap, style."""
    return {
        "platform": r.name,
        "platform_label": r.label,
        "limit": r.limit,
        "hashtags_norm": r.hashtags_norm,
        "hashtags_max": r.hashtags_max,
        "style": r.style,
    }


class CaptionRequest(BaseModel):
    brief: str = Field(description="What the user asked for, in their words.")
    subject: str = Field(description="What the post is about.")
    platform: str
    platform_label: str
    limit: int
    hashtags_norm: int
    hashtags_max: int
    style: str
    voice: VoiceGuide = Field(default_factory=VoiceGuide)
    # what the post may state, from the request and the material (never anything else)
    facts: list[str] = Field(default_factory=list, description="Facts the post may state, as given.")
    details: str = Field(default="", description="The request's factual sentences, word for word.")
    hashtags_exact: int | None = Field(default=None, ge=0, le=30, description="Exactly this many hashtags.")
    variant: int = Field(default=0, ge=0, le=9, description="Which of several different drafts this is.")
    variants: int = Field(default=1, ge=1, le=10)

    @classmethod
    def for_platform(
        cls, r: PlatformRule, *, brief: str, subject: str, voice: VoiceGuide | None = None
    ) -> CaptionRequest:
        """A request with the platform's limits and style from its rule."""
        return cls(brief=brief, subject=subject, voice=voice or VoiceGuide(), **platform_fields(r))


class CaptionOut(BaseModel):
    """Structured output asked of a model writer."""

    caption: str = Field(description="The post text, without hashtags.")
    hashtags: list[str] = Field(default_factory=list, description="Hashtags without the # sign.")


class HashtagRequest(BaseModel):
    text: str
    platform: str
    count: int = Field(ge=0, le=30)
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class HashtagsOut(BaseModel):
    hashtags: list[str] = Field(default_factory=list, description="Hashtags without the # sign.")


class WriterResult(BaseModel):
    text: str = ""
    hashtags: list[str] = Field(default_factory=list)
    writer: str = Field(description="Which writer produced this, e.g. 'template' or 'llm:gpt-4o-mini'.")
    fallback_reason: str | None = None
    note: str | None = Field(default=None, description="What the writer could not do, for the user.")


class TimedText(BaseModel):
    start: float = Field(ge=0, description="Seconds from the start of the recording.")
    end: float = Field(ge=0)
    text: str


class ScriptRequest(BaseModel):
    """A short-form video script from a transcript (voice note, video) and what is seen in the footage."""

    brief: str = Field(default="", description="What the user asked for, in their words.")
    transcript: str
    segments: list[TimedText] = Field(default_factory=list, description="The transcript with timestamps.")
    duration_s: float | None = None
    platform: str
    platform_label: str
    target_seconds: int = Field(default=45, ge=5, le=180)
    visuals: list[str] = Field(default_factory=list, description="What the footage shows (vision labels).")
    language: str = "en"
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class ScriptBeat(BaseModel):
    start_s: float = Field(ge=0, description="When the beat starts, in seconds from the start of the video.")
    end_s: float = Field(ge=0, description="When it ends.")
    line: str = Field(description="What is said, on camera or as voice-over.")
    visual: str = Field(description="What is shown: the shot, b-roll or on-screen text.")


class ScriptOut(BaseModel):
    """Structured output asked of a model writer for a script."""

    hook: str = Field(description="The first two seconds: one line that stops the scroll.")
    beats: list[ScriptBeat] = Field(min_length=1, max_length=8)
    cta: str = Field(description="The call to action at the end.")
    caption: str = Field(description="The caption to post with the video, without hashtags.")
    hashtags: list[str] = Field(default_factory=list, description="Hashtags without the # sign.")


class ScriptResult(ScriptOut):
    writer: str
    fallback_reason: str | None = None

    def as_text(self) -> str:
        """The script as a creator reads it: hook, timed beats with their visuals, call to action."""
        lines = [f"HOOK (0:00): {self.hook}"]
        for beat in self.beats:
            lines.append(f"[{clock(beat.start_s)}–{clock(beat.end_s)}] {beat.line}")
            lines.append(f"    Visual: {beat.visual}")
        lines.append(f"CTA: {self.cta}")
        return "\n".join(lines)


class SummaryRequest(BaseModel):
    text: str
    title: str = ""
    source: str = Field(default="text", description="article | transcript | document | text")
    max_points: int = Field(default=5, ge=1, le=10)
    language: str = "en"
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class SummaryOut(BaseModel):
    title: str = Field(description="A short title.")
    summary: str = Field(description="Two or three sentences.")
    key_points: list[str] = Field(default_factory=list, description="The key points, one sentence each.")


class SummaryResult(SummaryOut):
    writer: str
    fallback_reason: str | None = None


class PostTarget(BaseModel):
    """Where a rewritten text goes: the platform, its limit and how it counts."""

    platform: str
    platform_label: str
    limit: int = Field(gt=0, description="The most the text may count, by the platform's counting rule.")
    counting: str = "chars"


class ThreadRequest(PostTarget):
    """Split a long text into a numbered thread; ``limit`` is per post, the numbering (" 2/5") included."""

    text: str
    max_posts: int = Field(default=25, ge=1, le=100)
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class ThreadOut(BaseModel):
    posts: list[str] = Field(min_length=1, description="The posts in order, without their 1/n numbering.")


class ThreadResult(ThreadOut):
    writer: str
    fallback_reason: str | None = None
    note: str | None = None


class ToneRequest(PostTarget):
    text: str
    tone: str = Field(description="The tone wanted, e.g. 'casual', 'professional', 'playful'.")
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class TranslateRequest(PostTarget):
    text: str
    target_language: str = Field(description="ISO 639-1 code of the language wanted, e.g. 'es'.")
    target_language_name: str = Field(description="Its English name, e.g. 'Spanish'.")
    source_language: str | None = None
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class ImproveRequest(PostTarget):
    """Rewrite a post: ``goal`` 'condense' (bring it within ``limit``) or 'improve' (apply ``suggestions``)."""

    text: str
    goal: str = Field(default="condense", pattern="^(condense|improve)$")
    suggestions: list[str] = Field(default_factory=list)
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class TextOut(BaseModel):
    """Structured output asked of a model writer for a rewrite, a translation or a condensed post."""

    text: str = Field(description="The new text, only the post itself.")


class TextResult(TextOut):
    writer: str
    fallback_reason: str | None = None
    changed: bool = Field(default=True, description="False when the writer could not do the task.")
    note: str | None = Field(default=None, description="What the writer did or could not do, for the user.")


class AltTextRequest(BaseModel):
    """Alt text for an image from what perception saw."""

    subject: str = ""
    labels: list[str] = Field(default_factory=list)
    ocr_text: str = ""
    draft_alt_text: str = Field(default="", description="The vision backend's own alt-text draft.")
    context: str = Field(default="", description="The post the image goes with, if any.")
    max_chars: int = Field(default=250, ge=20, le=2000)
    language: str = "en"
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class AltTextOut(BaseModel):
    alt_text: str = Field(description="One or two plain sentences describing the image for a screen reader.")


class AltTextResult(AltTextOut):
    writer: str
    fallback_reason: str | None = None


class VariantsRequest(PostTarget):
    text: str
    hashtags: list[str] = Field(default_factory=list)
    n: int = Field(default=3, ge=1, le=6)
    voice: VoiceGuide = Field(default_factory=VoiceGuide)


class VariantOut(BaseModel):
    text: str = Field(description="The variant post, without hashtags.")
    hypothesis: str = Field(description="The one thing this variant changes and what it tests.")


class VariantsOut(BaseModel):
    variants: list[VariantOut] = Field(min_length=1, max_length=6)


class VariantsResult(VariantsOut):
    writer: str
    fallback_reason: str | None = None


class Writer(Protocol):
    name: str

    def caption(self, request: CaptionRequest) -> WriterResult: ...

    def hashtags(self, request: HashtagRequest) -> WriterResult: ...

    def script(self, request: ScriptRequest) -> ScriptResult: ...

    def summary(self, request: SummaryRequest) -> SummaryResult: ...

    def split_thread(self, request: ThreadRequest) -> ThreadResult: ...

    def rewrite_tone(self, request: ToneRequest) -> TextResult: ...

    def translate(self, request: TranslateRequest) -> TextResult: ...

    def improve(self, request: ImproveRequest) -> TextResult: ...

    def alt_text(self, request: AltTextRequest) -> AltTextResult: ...

    def variants(self, request: VariantsRequest) -> VariantsResult: ...
