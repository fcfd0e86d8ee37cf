"""Languages: drafts in the brand's language, a requested one or the pasted material's; the translate tool
with a model, and an honest refusal without one."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from agent.content.writers.base import Writer
from agent.content.writers.template import sentences_for
from agent.core import repo
from agent.core.db import session_scope
from agent.graph.planning.content_intents import content_calls, content_intent
from agent.graph.planning.pipelines import _next
from agent.runtime.studio import Studio
from agent.services.llm_writer import LLMWriter
from agent.services.rewriting import RewriteModel, rewrite_writer
from prompts.counting import count
from prompts.languages import language_name, normalize_language, requested_language, strip_language_request
from tests.fakes.chat_model import ScriptedChatModel
from tests.tool_support import make_user as _user
from tests.tool_support import run_tool as _run
from tools.rewrite import rewrite_tone, translate
from tools.writing import write_caption

GERMAN = (
    "Ab Montag gibt es unseren neuen Hafer-Latte in allen Filialen. Er ist cremig, wird mit Bio-Bohnen "
    "gemacht und schmeckt auch kalt hervorragend. Kommt vorbei und probiert ihn!"
)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("write an instagram caption in Spanish about our oat latte", "es"),
        ("Schreib einen Post auf Deutsch über unseren Latte", "de"),
        ("un post en français sur notre latte", "fr"),
        ("translate draft #3 to Japanese", "ja"),
        ("translate this into Portuguese", "pt"),
        ("a German version of draft 2", "de"),
        ("write a caption about our latte", None),
        ("post this in the morning", None),
    ],
)
def test_a_requested_language_is_read_from_the_request(text: str, code: str | None) -> None:
    assert requested_language(text) == code


def test_language_names_and_codes() -> None:
    assert (
        normalize_language("Spanish") == normalize_language("español") == normalize_language("es-MX") == "es"
    )
    assert normalize_language("klingon") is None
    assert language_name("de") == "German" and language_name("xx") == "xx"
    assert (
        strip_language_request("a caption in Spanish about our oat latte") == "a caption about our oat latte"
    )


async def test_a_caption_is_written_in_the_brand_profiles_language(studio: Studio) -> None:
    uid = _user(studio, "de@example.com", language="de")

    _, view = _run(studio, uid, write_caption, brief="a post about our oat latte", platform="instagram")

    assert view["language"] == "de"
    german = sentences_for("de")
    assert any(cta in view["text"] for cta in [*german["cta"], *german["cta_short"]]), view["text"]
    assert "phrases in German" in view["note"]


async def test_a_requested_language_beats_the_profile_and_leaves_the_subject(studio: Studio) -> None:
    uid = _user(studio, "es@example.com", language="de")

    _, view = _run(studio, uid, write_caption, brief="a caption in Spanish about our oat latte", platform="x")

    assert view["language"] == "es" and "Spanish" not in view["text"]
    spanish = sentences_for("es")
    assert any(cta in view["text"] for cta in spanish["cta_short"]) and "our oat latte" in view["text"]
    assert count(view["text"], "weighted") <= 280


async def test_pasted_text_keeps_its_language_when_none_is_requested(studio: Studio) -> None:
    uid = _user(studio, "paste@example.com")  # profile language: en
    model = ScriptedChatModel()
    model.structured = [{"caption": "Neu ab Montag: unser Hafer-Latte.", "hashtags": ["haferlatte"]}]
    studio.services.writer = LLMWriter(model, "tiny")

    # the LLM planner may pass a short brief: the turn's own message still carries the pasted text
    state = {"messages": [HumanMessage(content=GERMAN)]}
    _, view = _run(studio, uid, write_caption, state=state, brief="caption for this", platform="instagram")

    assert view["language"] == "de"
    assert "Write in German (de)." in model.calls[0][0].content


async def test_an_unknown_language_is_refused(studio: Studio) -> None:
    uid = _user(studio, "xx@example.com")

    _, caption = _run(studio, uid, write_caption, brief="a post", platform="x", language="klingon")
    _, translated = _run(studio, uid, translate, language="klingon", text="Hello there friends")

    assert caption["type"] == translated["type"] == "error"
    assert "klingon" in caption["message"]


SOURCE_7AM = "Fresh bread every morning at 7am. Come early!"


async def test_without_a_model_translate_says_so_and_saves_nothing(studio: Studio) -> None:
    uid = _user(studio, "honest@example.com")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(session, user_id=uid, platform="x", text="Our oat latte is here. Try it.")

    text, art = _run(studio, uid, translate, language="French", draft_id=draft.id)

    assert art["type"] == "error"
    assert "cannot translate into French without a language model" in text
    with session_scope(studio.services.engine) as session:
        assert len(repo.list_drafts(session, user_id=uid)) == 1


async def test_a_model_translates_into_a_new_draft_within_the_limit(studio: Studio) -> None:
    uid = _user(studio, "model@example.com")
    with session_scope(studio.services.engine) as session:
        draft = repo.create_draft(
            session,
            user_id=uid,
            platform="x",
            text="Our oat latte is here. Try it today.",
            hashtags=["oatlatte"],
        )
    model = ScriptedChatModel()
    model.structured = [{"text": "Notre latte à l'avoine est là. " * 20}]  # too long for X...
    model.structured.append({"text": "Notre latte à l'avoine est là. Goûtez-le !"})  # ...condensed once
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(studio, uid, translate, language="fr", draft_id=draft.id)

    assert view["type"] == "draft" and view["id"] != draft.id
    assert view["text"] == "Notre latte à l'avoine est là. Goûtez-le !"
    assert view["language"] == "fr" and view["writer"] == "llm:tiny" and view["hashtags"] == ["oatlatte"]
    assert view["length"] <= 280
    assert "into French (fr)" in model.calls[0][-1].content
    assert "too long" in model.calls[1][-1].content  # the condense prompt
    assert "Condensed by llm:tiny" in view["note"]


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Bread fresh every morning at 7am. Come early!", "answered in English, not Spanish"),
        ("Pan fresco cada mañana a las 8. ¡Primer pan gratis!", "states what the original does not"),
    ],
)
async def test_a_translation_in_the_wrong_language_or_with_new_facts_is_not_saved(
    studio: Studio, answer: str, problem: str
) -> None:
    """The issue's case: "translate to Spanish" must not come back as an English draft; nor may a
    translation change the time or add an offer."""
    uid = _user(studio, f"wrong{len(answer)}@example.com")
    model = ScriptedChatModel()
    model.structured = [{"text": answer}]
    studio.services.writer = LLMWriter(model, "tiny")

    text, art = _run(studio, uid, translate, language="Spanish", text=SOURCE_7AM, platform="instagram")

    assert art["type"] == "error" and problem in text
    with session_scope(studio.services.engine) as session:
        assert repo.list_drafts(session, user_id=uid) == []


async def test_a_faithful_translation_is_saved(studio: Studio) -> None:
    uid = _user(studio, "faithful@example.com")
    model = ScriptedChatModel()
    model.structured = [{"text": "Pan fresco cada mañana a las 7 de la mañana. ¡Ven temprano!"}]
    studio.services.writer = LLMWriter(model, "tiny")

    _, view = _run(studio, uid, translate, language="es", text=SOURCE_7AM, platform="instagram")

    assert view["language"] == "es" and view["text"].startswith("Pan fresco cada mañana")


async def test_a_text_already_in_the_language_is_not_translated(studio: Studio) -> None:
    uid = _user(studio, "same@example.com")
    _, art = _run(studio, uid, translate, language="German", text=GERMAN)

    assert art["type"] == "notice" and "already in German" in art["reply"]


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("translate draft #3 to French", {"language": "French", "draft_id": 3}),
        ("translate it into spanish", {"language": "Spanish", "draft_id": 9}),
        (
            "translate to German: Our oat latte is back today",
            {"language": "German", "text": "Our oat latte is back today", "platform": "x"},
        ),
    ],
)
def test_the_rules_planner_routes_translation(text: str, args: dict[str, Any]) -> None:
    assert content_intent(text) == "translate"
    calls, question = content_calls(
        "translate",
        text,
        platforms=["x"],
        assets=[],
        latest_draft=lambda: 9,
        latest_visual_asset=lambda: None,
    )
    assert question == "" and [(c["name"], c["args"]) for c in calls] == [("translate", args)]


def test_a_translation_without_a_language_asks_which() -> None:
    calls, question = content_calls(
        "translate",
        "translate draft 3",
        platforms=["x"],
        assets=[],
        latest_draft=lambda: 3,
        latest_visual_asset=lambda: None,
    )
    assert calls == [] and "Into which language" in question


def test_the_media_pipeline_writes_the_caption_in_the_voice_notes_language() -> None:
    assets = [{"id": 5, "kind": "audio"}]
    results = [("transcribe", {"type": "transcript", "asset_id": 5, "text": GERMAN, "language": "de"})]

    calls = _next(assets, [], "", ["instagram"], results, set())
    requested = _next(assets, [], "a post in English", ["instagram"], results, set())

    caption = next(c for c in calls if c["name"] == "write_caption")
    assert caption["args"]["language"] == "de"
    assert "language" not in next(c for c in requested if c["name"] == "write_caption")["args"]


class StartedRewriteModel(RewriteModel):
    """A rewrite model already started: its writer is a scripted model (the real one is started in
    tests/integration/test_ordinary_requests.py)."""

    def __init__(self, studio: Studio, writer: Writer) -> None:
        super().__init__(studio.services.settings.model_copy(update={"rewrite_model": "auto"}))
        self.started = writer

    def writer(self) -> Writer | None:
        return self.started


async def test_beside_the_template_writer_the_rewrite_model_translates(studio: Studio) -> None:
    uid = _user(studio, "rewriter@example.com")
    model = ScriptedChatModel()
    model.structured = [{"text": "Pan fresco cada mañana a las 7. ¡Ven temprano!"}]
    studio.services.rewriter = StartedRewriteModel(studio, LLMWriter(model, "local"))

    _, view = _run(studio, uid, translate, language="Spanish", text=SOURCE_7AM, platform="instagram")

    assert studio.services.writer.name == "template"  # captions still come from the template writer
    assert view["type"] == "draft" and view["writer"] == "llm:local" and view["language"] == "es"
    assert view["text"] == "Pan fresco cada mañana a las 7. ¡Ven temprano!"


async def test_a_tone_rewrite_that_adds_a_fact_falls_back_to_the_template_writer(studio: Studio) -> None:
    uid = _user(studio, "tone-facts@example.com")
    model = ScriptedChatModel()
    model.structured = [{"text": "Hey! We're open till 11pm and the first coffee is free!"}]
    studio.services.rewriter = StartedRewriteModel(studio, LLMWriter(model, "local"))

    _, view = _run(
        studio, uid, rewrite_tone, tone="casual", text="We are open today. It is warm inside.", platform="x"
    )

    assert view["text"] == "We're open today. It's warm inside."  # the template's honest small change
    assert view["writer"] == "template" and "11pm" in view["fallback_reason"]


def test_the_rewrite_writer_is_the_configured_model_else_the_rewrite_model_else_the_template(
    studio: Studio,
) -> None:
    template = studio.services.writer
    endpoint = LLMWriter(ScriptedChatModel(), "endpoint")
    local = LLMWriter(ScriptedChatModel(), "local")
    off = RewriteModel(studio.services.settings.model_copy(update={"rewrite_model": "off"}))

    assert rewrite_writer(endpoint, StartedRewriteModel(studio, local)) is endpoint
    assert rewrite_writer(template, StartedRewriteModel(studio, local)) is local
    assert rewrite_writer(template, off) is template and off.writer() is None
    assert rewrite_writer(template, None) is template
