"""Scripts and summaries through the writer port: the template writer, and a model writer (structured
output) that falls back to it when the answer is unusable."""

from __future__ import annotations

from agent.content.writers.base import ScriptRequest, SummaryRequest, TimedText, VoiceGuide
from agent.content.writers.template import TemplateWriter
from agent.services import drafting
from agent.services.llm_writer import LLMWriter
from tests.fakes.chat_model import ScriptedChatModel

SEGMENTS = [
    TimedText(start=0.0, end=2.0, text="Hey everyone."),
    TimedText(start=2.0, end=7.5, text="Today we are launching our new oat latte at the corner cafe."),
    TimedText(start=7.5, end=12.0, text="It is creamy, smooth and made with organic coffee beans."),
    TimedText(start=12.0, end=16.0, text="Come by this weekend and get your first cup for free."),
]
TRANSCRIPT = " ".join(s.text for s in SEGMENTS)


def request(**changes: object) -> ScriptRequest:
    base = ScriptRequest(
        brief="turn this voice note into a reel script",
        transcript=TRANSCRIPT,
        segments=SEGMENTS,
        duration_s=16.0,
        platform="instagram",
        platform_label="Instagram",
    )
    return base.model_copy(update=changes)


def test_template_script_has_a_hook_timed_beats_with_visuals_and_a_cta() -> None:
    script = TemplateWriter().script(request())

    assert script.writer == "template"
    assert "oat latte" in script.hook and not script.hook.lower().startswith("hey")
    assert 1 <= len(script.beats) <= 5
    starts = [b.start_s for b in script.beats]
    assert starts == sorted(starts) and all(b.end_s > b.start_s for b in script.beats)
    assert all(b.visual and b.line for b in script.beats)
    assert script.cta and "oat latte" in script.caption
    assert "coffee" in script.hashtags or "oatlatte" in script.hashtags
    text = script.as_text()
    assert text.startswith("HOOK (0:00):") and "Visual:" in text and "CTA:" in text
    assert "[0:08–0:12]" in text  # the beats keep the recording's timestamps


def test_template_script_uses_what_the_footage_shows_for_visuals() -> None:
    script = TemplateWriter().script(request(visuals=["latte art", "barista"]))
    assert script.beats[0].visual == "B-roll: latte art"


def test_template_script_without_timestamps_estimates_them() -> None:
    script = TemplateWriter().script(request(segments=[]))
    assert script.beats and script.beats[-1].end_s > 5


def test_template_script_honours_banned_words() -> None:
    script = TemplateWriter().script(request(voice=VoiceGuide(banned_words=["creamy"])))
    assert "creamy" not in script.as_text().lower() and "creamy" not in script.caption.lower()


def test_template_summary_keeps_the_key_sentences() -> None:
    text = (
        "The city council approved the new bike lanes on Main Street. Work starts in June and takes six weeks. "
        "Shops on Main Street worried about parking, so the council adds forty spaces on Elm Road. "
        "The bike lanes connect the station with the university. Cyclists have asked for the lanes since 2019."
    )
    result = TemplateWriter().summary(SummaryRequest(text=text, title="Bike lanes approved", max_points=3))

    assert result.title == "Bike lanes approved" and result.writer == "template"
    assert len(result.key_points) == 3
    assert all(p in text or p.endswith("…") for p in result.key_points)
    assert "bike lanes" in result.summary.lower()


def test_llm_writer_returns_the_models_structured_script() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {
            "hook": "Oat latte, but make it free.",
            "beats": [
                {
                    "start_s": 0,
                    "end_s": 4,
                    "line": "We launch our oat latte today.",
                    "visual": "Pouring shot",
                },
                {"start_s": 4, "end_s": 9, "line": "Creamy, organic beans.", "visual": "Close-up of the cup"},
            ],
            "cta": "Come by this weekend.",
            "caption": "Your first oat latte is on us this weekend.",
            "hashtags": ["#oatlatte", "coffee"],
        }
    ]
    script = LLMWriter(model, "tiny").script(request(visuals=["coffee cup"]))

    assert script.writer == "llm:tiny" and script.fallback_reason is None
    assert script.hook == "Oat latte, but make it free." and len(script.beats) == 2
    assert script.hashtags == ["oatlatte", "coffee"]
    prompt = model.calls[0][-1].content
    assert "[2.0–7.5] Today we are launching our new oat latte" in prompt and "coffee cup" in prompt


def test_llm_writer_falls_back_to_the_template_on_a_bad_script() -> None:
    model = ScriptedChatModel()
    model.structured = [{"hook": "", "beats": [], "cta": "", "caption": ""}]
    script = LLMWriter(model, "tiny").script(request())
    assert script.writer == "template" and script.beats
    assert script.fallback_reason and "llm:tiny failed" in script.fallback_reason


def test_llm_writer_summary_and_its_fallback() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {"title": "Launch", "summary": "We launch an oat latte.", "key_points": ["Oat latte", "Free cup"]},
        ConnectionError("down"),
    ]
    writer = LLMWriter(model, "tiny")
    good = writer.summary(SummaryRequest(text=TRANSCRIPT, max_points=1))
    assert (good.title, good.key_points, good.writer) == ("Launch", ["Oat latte"], "llm:tiny")
    fallback = writer.summary(SummaryRequest(text=TRANSCRIPT))
    assert fallback.writer == "template" and "ConnectionError" in (fallback.fallback_reason or "")


WORKSHOP = [
    TimedText(start=0.0, end=4.0, text="Our latte art workshop is on Thursday at six."),
    TimedText(start=4.0, end=9.0, text="It costs twenty dollars and you get two drinks and a pastry."),
    TimedText(start=9.0, end=12.0, text="Bring a friend and sign up at the counter."),
]


def test_a_models_script_that_invents_an_event_gives_way_to_the_transcripts_own_words() -> None:
    """The voice note announced a workshop; a model that speaks of curling sessions and a $50 ticket on
    Saturday is not used: the draft is the template script built from what was said."""
    model = ScriptedChatModel()
    model.structured = [
        {
            "hook": "Curling season is here!",
            "beats": [
                {
                    "start_s": 0,
                    "end_s": 5,
                    "line": "Join our curling sessions every Saturday.",
                    "visual": "ice rink",
                },
                {
                    "start_s": 5,
                    "end_s": 10,
                    "line": "Tickets are $50 at the sports event.",
                    "visual": "crowd",
                },
            ],
            "cta": "Sign up now!",
            "caption": "Curling sessions every Saturday, $50",
            "hashtags": ["curling"],
        }
    ]
    text = " ".join(s.text for s in WORKSHOP)
    req = request(
        transcript=text, segments=WORKSHOP, duration_s=12.0, brief="turn my voice note into a reel script"
    )

    script, report = drafting.write_script(LLMWriter(model, "tiny"), req)

    reason = (script.fallback_reason or "").lower()
    assert script.writer == "template" and "$50" in reason and "curling" in reason
    written = f"{script.as_text()} {script.caption}".lower()
    assert "curling" not in written and "$50" not in written and "saturday" not in written
    assert "thursday at six" in written and "two drinks and a pastry" in written
    assert {"facts", "on topic"} <= set(report.passed)


def test_a_models_script_that_stays_with_the_recording_is_kept() -> None:
    model = ScriptedChatModel()
    model.structured = [
        {
            "hook": "Latte art workshop this Thursday at six!",
            "beats": [
                {
                    "start_s": 0,
                    "end_s": 6,
                    "line": "Twenty dollars gets you two drinks and a pastry.",
                    "visual": "cups",
                },
                {
                    "start_s": 6,
                    "end_s": 12,
                    "line": "Bring a friend and sign up at the counter.",
                    "visual": "counter",
                },
            ],
            "cta": "Sign up at the counter.",
            "caption": "Latte art workshop, Thursday at six",
            "hashtags": ["latteart"],
        }
    ]
    text = " ".join(s.text for s in WORKSHOP)
    req = request(transcript=text, segments=WORKSHOP, duration_s=12.0)

    script, report = drafting.write_script(LLMWriter(model, "tiny"), req)

    assert script.writer == "llm:tiny" and report.ok, report.failed
