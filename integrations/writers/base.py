"""The writer port: what every writer (template, local model, any OpenAI-compatible endpoint) takes and gives."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, Field


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


class Writer(Protocol):
    name: str

    def caption(self, request: CaptionRequest) -> WriterResult: ...

    def hashtags(self, request: HashtagRequest) -> WriterResult: ...
