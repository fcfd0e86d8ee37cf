"""The approval question: what the graph asks before a sensitive tool runs, as every UI shows it.

``question`` is the sentence a person reads ("Schedule draft #11 (Instagram) for Tue 8 Dec, 09:00 New York
time, to the local outbox?"); ``actions`` are the calls it approves, each with its own sentence and a
compact machine-readable part (the draft, the destination, the resolved time) that the CLI's JSON, the web
studio and Slack can use without parsing the sentence. ``args`` are exactly what runs once approved: a
relative time ("tomorrow 9am") is already resolved there, so the post goes out when the question said.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _View(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LivePost(_View):
    """A post of the same draft that may still go out (or went out): why the question warns."""

    id: int
    state: str
    local_time: str | None = None  # "Tue 8 Dec, 09:00 New York time"
    destination: str


class ApprovalAction(_View):
    tool: str
    args: dict[str, Any]
    id: str
    summary: str  # "Schedule draft #11 (Instagram) for Tue 8 Dec, 09:00 New York time, to the local outbox"
    note: str | None = None  # said before the summary: "Draft #11 is already scheduled for …"
    draft_id: int | None = None
    post_id: int | None = None
    platform: str | None = None
    account_id: int | None = None
    destination: str | None = None  # "the local outbox", "Mastodon @me@mastodon.social", "webhook hook1"
    run_at: str | None = None  # ISO 8601, UTC
    local_time: str | None = None
    timezone: str | None = None
    when: str | None = None  # the words it was asked with ("tomorrow 9am")
    preview: str | None = None  # the start of the draft's text
    live_posts: list[LivePost] = Field(default_factory=list)

    def sentence(self) -> str:
        """The question for this action alone."""
        return (
            f"{self.note}; {self.summary[:1].lower()}{self.summary[1:]}?" if self.note else f"{self.summary}?"
        )


class ApprovalRequest(_View):
    type: Literal["approval"] = "approval"
    question: str
    actions: list[ApprovalAction]

    @classmethod
    def of(cls, actions: list[ApprovalAction]) -> ApprovalRequest:
        if len(actions) == 1:
            question = actions[0].sentence()
        else:
            lines = "\n".join(f"{i}. {a.sentence()}" for i, a in enumerate(actions, 1))
            question = f"May I do these {len(actions)} things?\n{lines}"
        return cls(question=question, actions=actions)

    def public(self) -> dict[str, Any]:
        """The dict the graph's interrupt carries (and ``studio ask --json`` prints): no empty keys."""
        return self.model_dump(mode="json", exclude_none=True)
