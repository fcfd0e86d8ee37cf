"""A voice note recorded in the browser (Chainlit's audio stream) becomes a transcript, a script and a
caption. Chromium's fake microphone plays real speech (espeak-ng) from a WAV file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.test_web_chat import A, log_in, reply_containing

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(600)]


@pytest.fixture
def microphone(tmp_path: Path) -> Path:
    """Speech the fake microphone plays in a loop: 48 kHz mono 16-bit WAV, a second of silence after it."""
    from tests.integration.media_fixtures import convert, speak

    speech = speak(tmp_path, "Our vanilla latte is back this week. Come and try it.")
    return convert(speech, tmp_path / "mic.wav", "-ar", "48000", "-ac", "1", "-af", "apad=pad_dur=1")


@pytest.fixture
def mic_page(microphone: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    args = [
        *CHROMIUM_ARGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={microphone}",
    ]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
        pages: list[Any] = []

        def make(base_url: str) -> Any:
            context = browser.new_context(base_url=base_url, locale="en-US", permissions=["microphone"])
            context.set_default_timeout(30_000)
            pages.append(context.new_page())
            return pages[-1]

        yield make
        browser.close()


def test_a_voice_note_recorded_in_the_browser_becomes_a_script(studio_install: Any, mic_page: Any) -> None:
    studio_install.add_user(*A)
    studio = studio_install.start()
    page = mic_page(studio.url)
    log_in(page, *A)
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()

    page.locator("body").click(position={"x": 5, "y": 5})  # focus off the composer: "P" toggles recording
    page.keyboard.press("p")
    page.wait_for_timeout(7_000)  # the fake microphone plays the sentence (about 4 s) and a second of silence
    page.keyboard.press("p")

    expect(page.get_by_text("Voice note received")).to_be_visible(timeout=30_000)
    reply = reply_containing(page, "Transcript of")
    expect(reply).to_contain_text("latte is back this week")  # what the microphone said
    script = reply_containing(page, "HOOK")
    expect(script).to_contain_text("draft #")
