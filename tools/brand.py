"""Brand voice tools: the user's own edit of a draft (which teaches voice rules), and listing and deleting
the rules.

An edit keeps the previous versions in the draft's ``meta["versions"]``; what changed becomes rules
(``agent.optimize.voice_rules``) stored as memories of kind "rule" with source "edit", deduplicated: a rule
of the same family replaces the older one. Every later draft follows them (``tools.voice.voice_for``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from langchain_core.tools import tool
from langgraph.prebuilt import ToolRuntime
from sqlmodel import Session

from agent.content.fitting import compose
from agent.content.optimize.scorer import score_post
from agent.content.voice_rules import LearnedRule, derive_rules, family_of, removed_words
from agent.content.writers.words import clean_tag
from agent.core import repo
from agent.core.errors import InputError, NotFound, StudioError
from agent.core.models import Memory
from agent.services.results import (
    EditedDraft,
    MemoryItem,
    ToolOutput,
    VoiceRuleDeletedResult,
    VoiceRuleItem,
    VoiceRulesResult,
)
from agent.services.views.drafts import draft_view
from prompts.counting import count
from tools.common import load_target, tool_errors, user_session
from tools.voice import voice_for

MAX_EDIT_CHARS = 70_000
MAX_VERSIONS = 10
EDIT_HISTORY_DRAFTS = 200  # drafts looked at for words removed in earlier edits
_TAG_BLOCK = re.compile(r"(?:\n\s*\n|\A)\s*((?:#[^\W_][\w]*\s*)+)\Z")


def split_hashtag_block(text: str) -> tuple[str, list[str] | None]:
    """'Caption\\n\\n#a #b' -> ('Caption', ['a', 'b']); no trailing block of hashtags -> (text, None)."""
    m = _TAG_BLOCK.search(text.strip())
    if not m:
        return text.strip(), None
    tags = [clean_tag(t) for t in m.group(1).split()]
    return text.strip()[: m.start()].strip(), [t for t in tags if t]


def _earlier_removed(session: Session, user_id: str, draft_id: int) -> list[str]:
    words: list[str] = []
    for d in repo.list_drafts(session, user_id=user_id, limit=EDIT_HISTORY_DRAFTS):
        if d.id != draft_id:
            words += ((d.meta or {}).get("edit") or {}).get("removed_words") or []
    return words


def store_rules(session: Session, user_id: str, learned: list[LearnedRule]) -> list[Memory]:
    """Each learned rule as a memory (kind rule, source edit); an older rule of the same family goes."""
    stored: list[Memory] = []
    for rule in learned:
        for old in repo.list_memories(session, user_id=user_id, kind="rule"):
            same_family = old.source == "edit" and family_of(old.content) == rule.family
            if same_family and old.content.lower() != rule.text.lower():
                repo.delete_memory(session, user_id=user_id, memory_id=old.id or 0)
        session.flush()
        stored.append(
            repo.add_memory(session, user_id=user_id, content=rule.text, kind="rule", source="edit")
        )
    return stored


@tool(response_format="content_and_artifact")
@tool_errors
def edit_draft(
    draft_id: int, text: str, runtime: ToolRuntime[Any], hashtags: list[str] | None = None
) -> ToolOutput:
    """Save the user's own version of a draft (the previous version is kept) and learn from the change.

    `text` is the new post text; a trailing block of #hashtags in it becomes the draft's hashtags, or pass
    `hashtags`. What the user changed — a shorter first line, no exclamation marks, no emoji, fewer
    hashtags, a word they keep removing, a much shorter post — becomes a voice rule that later drafts follow.
    """
    body, block = split_hashtag_block(text or "")
    if not body:
        raise InputError("The edited text is empty: send the new text of the draft.")
    if len(body) > MAX_EDIT_CHARS:
        raise InputError(f"The edit is {len(body):,} characters; the most I take is {MAX_EDIT_CHARS:,}.")
    with user_session(runtime) as (session, ctx):
        target = load_target(
            session,
            ctx,
            draft_id=draft_id,
            thread="Draft #{id} is a thread: edit the draft it was split from, then split it again.",
        )
        draft, r = target.draft, target.rule
        assert draft is not None  # a draft_id always names a draft (or NotFound)
        old_text, old_tags = draft.text, list(draft.hashtags)
        if hashtags is not None:
            new_tags = [t for t in (clean_tag(h) for h in hashtags) if t]
        else:
            new_tags = block if block is not None else old_tags
        new_tags = list(dict.fromkeys(new_tags))
        if len(new_tags) > r.hashtags_max:
            raise InputError(
                f"{r.label} takes at most {r.hashtags_max} hashtags; your edit has {len(new_tags)}."
            )
        length = count(compose(body, new_tags), r.counting)
        if length > r.limit:
            raise InputError(
                f"Your edit is {length}/{r.limit} characters on {r.label}: shorten it by {length - r.limit} "
                "and send it again (nothing was changed)."
            )
        if body == old_text.strip() and new_tags == old_tags:
            raise InputError(f"That is the text draft #{draft_id} already has: nothing to save.")
        learned = derive_rules(
            old_text,
            old_tags,
            body,
            new_tags,
            earlier_removed=_earlier_removed(session, ctx.user_id, draft_id),
        )
        try:
            stored = store_rules(session, ctx.user_id, learned)
        except StudioError as exc:  # e.g. the memory cap: the edit is still saved
            stored = []
            learned_note = f"I could not store what I learned: {exc}"
        else:
            learned_note = ""
        meta = dict(draft.meta or {})
        versions = list(meta.get("versions") or [])
        versions.append(
            {
                "text": old_text,
                "hashtags": old_tags,
                "writer": draft.writer,
                "replaced_at": datetime.now(UTC).isoformat(),
            }
        )
        meta["versions"] = versions[-MAX_VERSIONS:]
        meta["edit"] = {
            "removed_words": removed_words(old_text, body),
            "rules": [m.id for m in stored],
        }
        if stored:
            meta["note"] = "Learned from your edit: " + "; ".join(
                f"“{rule.text}” (rule #{m.id}, {rule.why})" for rule, m in zip(learned, stored, strict=True)
            )
        elif learned_note:
            meta["note"] = learned_note
        else:
            meta.pop("note", None)
        voice = voice_for(session, user_id=ctx.user_id, platform=r.name)
        updated = repo.update_draft(
            session,
            user_id=ctx.user_id,
            draft_id=draft_id,
            text=body,
            hashtags=new_tags,
            writer="user",
            meta=meta,
            score=score_post(body, new_tags, r, bool(draft.media), emoji_allowed=voice.emoji_allowed).total,
        )
        rules = [MemoryItem(id=m.id or 0, content=m.content) for m in stored]
        view = EditedDraft.of(draft_view(session, updated), learned=rules)
    reply = f"Saved your edit of draft #{draft_id} (version {len(meta['versions']) + 1})."
    if rules:
        reply += " Learned: " + "; ".join(f"“{x.content}” (rule #{x.id})" for x in rules) + "."
    return reply, view.model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def list_voice_rules(runtime: ToolRuntime[Any]) -> ToolOutput:
    """List the brand-voice rules later drafts follow: the ones the user stated ("remember that …") and the
    ones learned from their edits, each with its id (to delete one with delete_voice_rule)."""
    with user_session(runtime) as (session, ctx):
        rules = repo.list_memories(session, user_id=ctx.user_id, kind="rule")
        items = [VoiceRuleItem(id=m.id or 0, content=m.content, source=m.source) for m in rules]
    if items:
        lines = [
            f"- #{m.id}: {m.content}" + (" (learned from your edits)" if m.source == "edit" else "")
            for m in items
        ]
        reply = "Your voice rules:\n" + "\n".join(lines) + "\n\nSay “delete rule #N” to drop one."
    else:
        reply = (
            "You have no voice rules yet. Tell me one (“remember that we never use emojis”) or edit a draft."
        )
    return reply, VoiceRulesResult(items=items, reply=reply).model_dump(mode="json")


@tool(response_format="content_and_artifact")
@tool_errors
def delete_voice_rule(rule_id: int, runtime: ToolRuntime[Any]) -> ToolOutput:
    """Delete one of the user's voice rules by its id (from list_voice_rules); later drafts stop following it."""
    with user_session(runtime) as (session, ctx):
        memory = session.get(Memory, rule_id)
        if memory is None or memory.user_id != ctx.user_id or memory.kind != "rule":
            raise NotFound(f"No voice rule #{rule_id}. Say “list my voice rules” to see their numbers.")
        content = memory.content
        repo.delete_memory(session, user_id=ctx.user_id, memory_id=rule_id)
    reply = f"Deleted voice rule #{rule_id}: “{content}”. Later drafts no longer follow it."
    return reply, VoiceRuleDeletedResult(id=rule_id, content=content, reply=reply).model_dump(mode="json")
