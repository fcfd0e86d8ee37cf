"""Brand voice learned from edits: an edit becomes a stored rule, later drafts follow it, the user lists and
deletes rules, and one user's rules are invisible to another."""

from __future__ import annotations

from typing import Any

import pytest

from agent.content import text as tx
from agent.content.voice_rules import derive_rules, family_of
from agent.content.writers.base import VoiceGuide
from agent.content.writers.voice import apply_voice, policy
from agent.core import repo
from agent.core.db import session_scope
from agent.graph.planning.content_intents import content_calls, content_intent
from agent.runtime.studio import Studio
from agent.services.llm_writer import LLMWriter
from tests.fakes.chat_model import ScriptedChatModel
from tests.tool_support import make_user as _user
from tests.tool_support import run_tool as _run
from tools.brand import delete_voice_rule, edit_draft, list_voice_rules, split_hashtag_block
from tools.memory import remember
from tools.writing import write_caption

BEFORE = (
    "Say hello to our brand new seasonal oat latte with cinnamon and a hint of vanilla ☕!\n\n"
    "We can't wait for you to try it! Made with care, for coffee lovers everywhere.\n\n"
    "Would you try it? Tell us in the comments 👇"
)
AFTER = "Meet our oat latte.\n\nCinnamon, a hint of vanilla.\n\nWould you try it?"

# -- deriving rules ------------------------------------------------------------------------------------------


def test_an_edit_teaches_first_line_punctuation_emoji_hashtags_and_length() -> None:
    learned = derive_rules(BEFORE, ["oatlatte", "coffee", "latte", "cinnamon"], AFTER, ["oatlatte"])

    texts = {r.family: r.text for r in learned}
    assert texts["first_line"] == "shorter first lines (≤20 characters)"
    assert texts["exclamation"] == "no exclamation marks"
    assert texts["emoji"] == "no emojis"
    assert texts["hashtags"] == "fewer hashtags (≤1)"
    assert texts["length"].startswith("keep posts shorter (~")
    assert all(r.why for r in learned)


def test_a_small_touch_up_teaches_nothing() -> None:
    before = "Our oat latte is back this week. Come by and try it."
    after = "Our oat latte is back this week. Come by and taste it."

    assert derive_rules(before, ["coffee"], after, ["coffee"]) == []


def test_a_word_becomes_a_rule_when_it_is_removed_again_or_repeated() -> None:
    once = derive_rules("An amazing latte for you.", [], "A latte for you.", [])
    again = derive_rules("An amazing latte for you.", [], "A latte for you.", [], earlier_removed=["amazing"])
    repeated = derive_rules("Amazing beans, amazing milk.", [], "Good beans, good milk.", [])

    assert not [r for r in once if r.family.startswith("word:")]
    assert [r.text for r in again if r.family.startswith("word:")] == ["avoid the word amazing"]
    assert [r.text for r in repeated if r.family.startswith("word:")] == ["avoid the word amazing"]


def test_rule_families_are_recognised_from_their_text() -> None:
    assert family_of("fewer hashtags (≤2)") == family_of("no hashtags") == "hashtags"
    assert family_of("shorter first lines (≤40 characters)") == "first_line"
    assert family_of("avoid the word Amazing") == "word:amazing"
    assert family_of("we never post on Sundays") is None


def test_the_mechanical_rules_are_applied_to_any_text() -> None:
    voice = VoiceGuide(
        rules=[
            "no exclamation marks",
            "no emojis",
            "fewer hashtags (≤1)",
            "shorter first lines (≤40 characters)",
            "avoid the word amazing",
        ],
        banned_words=["cheap"],
    )
    text, tags = apply_voice(
        "An amazing, cheap oat latte with cinnamon is here ☕! Try it!",
        ["oatlatte", "amazingcoffee", "latte"],
        voice,
    )

    assert "!" not in text and "☕" not in text
    assert "amazing" not in text.lower() and "cheap" not in text.lower()
    assert tags == ["oatlatte"]
    assert text == "An oat latte with cinnamon is here.\n\nTry it."
    assert policy(VoiceGuide(emoji_allowed=False)).no_emoji


# -- the tools ---------------------------------------------------------------------------------------------


def _caption(
    studio: Studio, uid: str, brief: str = "write an instagram caption about our new oat latte"
) -> dict[str, Any]:
    _, view = _run(studio, uid, write_caption, brief=brief, platform="instagram")
    assert view["type"] == "draft"
    return view


async def test_an_edit_is_stored_as_a_new_version_and_the_next_caption_follows_its_rules(
    studio: Studio,
) -> None:
    uid = _user(studio, "voice@example.com")
    first = _caption(studio, uid)
    assert "!" in first["text"] or tx.emoji_clusters(first["text"])  # the template writes both by default
    assert len(first["hashtags"]) == 5

    edited = "Meet our oat latte.\n\nMade with care. Would you try it?\n\n#oatlatte #coffee"
    reply, view = _run(studio, uid, edit_draft, draft_id=first["id"], text=edited)

    assert view["text"] == "Meet our oat latte.\n\nMade with care. Would you try it?"
    assert view["hashtags"] == ["oatlatte", "coffee"] and view["writer"] == "user"
    learned = {r["content"] for r in view["learned"]}
    assert {"no emojis", "fewer hashtags (≤2)"} <= learned
    assert "Learned:" in reply and "fewer hashtags (≤2)" in reply
    with session_scope(studio.services.engine) as session:
        stored = repo.get_draft(session, user_id=uid, draft_id=first["id"])
        assert stored.meta["versions"][0]["text"] == first["text"]
        rules = repo.list_memories(session, user_id=uid, kind="rule")
    assert {m.content for m in rules if m.source == "edit"} == learned

    second = _caption(studio, uid, "write an instagram caption about our cinnamon bun")

    assert not tx.emoji_clusters(second["text"])
    assert len(second["hashtags"]) <= 2


async def test_a_newer_rule_replaces_the_older_one_of_its_family(studio: Studio) -> None:
    uid = _user(studio, "family@example.com")
    first = _caption(studio, uid)
    _run(studio, uid, edit_draft, draft_id=first["id"], text=first["text"], hashtags=first["hashtags"][:3])
    second = _caption(studio, uid, "write an instagram caption about our cinnamon bun")
    _run(studio, uid, edit_draft, draft_id=second["id"], text=second["text"], hashtags=second["hashtags"][:1])

    _, listed = _run(studio, uid, list_voice_rules)

    hashtag_rules = [r["content"] for r in listed["items"] if "hashtags" in r["content"]]
    assert hashtag_rules == ["fewer hashtags (≤1)"]


async def test_list_and_delete_rules_and_later_drafts_stop_following_a_deleted_one(studio: Studio) -> None:
    uid = _user(studio, "delete@example.com")
    _run(studio, uid, remember, fact="no exclamation marks")
    _, listed = _run(studio, uid, list_voice_rules)
    (rule_item,) = listed["items"]
    assert rule_item["content"] == "no exclamation marks" and "#" in listed["reply"]
    assert "!" not in _caption(studio, uid, "write a facebook post about our bake sale")["text"]

    reply, deleted = _run(studio, uid, delete_voice_rule, rule_id=rule_item["id"])
    _, after = _run(studio, uid, list_voice_rules)

    assert deleted["type"] == "voice_rule_deleted" and "no exclamation marks" in reply
    assert after["items"] == [] and "no voice rules yet" in after["reply"]


async def test_rules_are_per_user(studio: Studio) -> None:
    alice, bob = _user(studio, "alice@example.com"), _user(studio, "bob@example.com")
    draft = _caption(studio, alice)
    _, view = _run(studio, alice, edit_draft, draft_id=draft["id"], text="Meet our oat latte.", hashtags=[])
    rule_id = view["learned"][0]["id"]

    _, bob_list = _run(studio, bob, list_voice_rules)
    _, bob_delete = _run(studio, bob, delete_voice_rule, rule_id=rule_id)
    _, bob_edit = _run(studio, bob, edit_draft, draft_id=draft["id"], text="Hijacked.")
    bob_caption = _caption(studio, bob)

    assert bob_list["items"] == []
    assert bob_delete["type"] == "error" and f"No voice rule #{rule_id}" in bob_delete["message"]
    assert bob_edit["type"] == "error" and f"No draft #{draft['id']}" in bob_edit["message"]
    assert len(bob_caption["hashtags"]) == 5  # alice's "no hashtags" does not reach bob
    _, alice_list = _run(studio, alice, list_voice_rules)
    assert rule_id in [r["id"] for r in alice_list["items"]]


async def test_a_fact_is_not_a_voice_rule_to_delete(studio: Studio) -> None:
    uid = _user(studio, "fact@example.com")
    with session_scope(studio.services.engine) as session:
        fact = repo.add_memory(session, user_id=uid, content="our shop opens at 7", kind="fact")

    _, refused = _run(studio, uid, delete_voice_rule, rule_id=fact.id)

    assert refused["type"] == "error"


async def test_an_edit_over_the_limit_or_unchanged_or_empty_is_refused_and_nothing_changes(
    studio: Studio,
) -> None:
    uid = _user(studio, "limit@example.com")
    _, draft = _run(studio, uid, write_caption, brief="a tweet about our oat latte", platform="x")

    _, too_long = _run(studio, uid, edit_draft, draft_id=draft["id"], text="word " * 80)
    _, same = _run(studio, uid, edit_draft, draft_id=draft["id"], text=draft["text"])
    _, empty = _run(studio, uid, edit_draft, draft_id=draft["id"], text="  ")

    assert too_long["type"] == "error" and "/280 characters on X" in too_long["message"]
    assert same["type"] == "error" and empty["type"] == "error"
    with session_scope(studio.services.engine) as session:
        assert repo.get_draft(session, user_id=uid, draft_id=draft["id"]).text == draft["text"]
        assert repo.list_memories(session, user_id=uid) == []


async def test_the_llm_writer_gets_the_learned_rules_in_its_prompt(studio: Studio) -> None:
    uid = _user(studio, "llm@example.com")
    first = _caption(studio, uid)
    _run(
        studio,
        uid,
        edit_draft,
        draft_id=first["id"],
        text="Meet our oat latte. Would you try it?",
        hashtags=[],
    )
    model = ScriptedChatModel()
    model.structured = [{"caption": "Our oat latte is here! 🎉 Come by.", "hashtags": ["oatlatte", "coffee"]}]
    studio.services.writer = LLMWriter(model, "tiny")

    view = _caption(studio, uid)

    system = model.calls[0][0].content
    assert "- no hashtags" in system and "- no emojis" in system and "Emoji: none at all." in system
    assert view["writer"] == "llm:tiny"
    assert view["hashtags"] == [] and view["text"] == "Our oat latte is here! Come by."  # and enforced


def test_a_trailing_hashtag_block_is_split_from_the_edit() -> None:
    assert split_hashtag_block("Hello there.\n\n#a #b_c") == ("Hello there.", ["a", "b_c"])
    assert split_hashtag_block("Hello #inline there.") == ("Hello #inline there.", None)


@pytest.mark.parametrize(
    ("text", "intent", "call"),
    [
        ("list my voice rules", "voice_rules", ("list_voice_rules", {})),
        ("what rules have you learned?", "voice_rules", ("list_voice_rules", {})),
        ("delete rule 3", "delete_rule", ("delete_voice_rule", {"rule_id": 3})),
        ("please remove voice rule #12", "delete_rule", ("delete_voice_rule", {"rule_id": 12})),
        (
            "edit draft #4: Meet our oat latte.",
            "edit",
            ("edit_draft", {"draft_id": 4, "text": "Meet our oat latte."}),
        ),
        (
            "here's my version of draft 5:\nShort.\n\n#latte",
            "edit",
            ("edit_draft", {"draft_id": 5, "text": "Short.\n\n#latte"}),
        ),
    ],
)
def test_the_rules_planner_routes_voice_requests(
    text: str, intent: str, call: tuple[str, dict[str, Any]]
) -> None:
    assert content_intent(text) == intent
    calls, _ = content_calls(
        intent,
        text,
        platforms=["instagram"],
        assets=[],
        latest_draft=lambda: None,
        latest_visual_asset=lambda: None,
    )
    assert [(c["name"], c["args"]) for c in calls] == [call]


async def test_a_chat_turn_edits_a_draft_and_the_reply_says_what_was_learned(studio: Studio) -> None:
    uid = _user(studio, "chat@example.com")
    made = await studio.run_turn(
        user_id=uid, thread_id="chat", text="write an instagram caption about our oat latte"
    )
    draft_id = made.drafts[0].id

    result = await studio.run_turn(
        user_id=uid, thread_id="chat", text=f"edit draft #{draft_id}: Meet our oat latte. Would you try it?"
    )

    assert result.tools == ["edit_draft"]
    assert "Learned from your edit" in result.reply and "no emojis" in result.reply
