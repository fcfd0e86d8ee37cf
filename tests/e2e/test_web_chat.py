"""The web chat in a real browser against a real ``studio run`` (template writer, rules planner, SQLite).

A user writes a caption and sees the tool steps; after a restart the conversation is still theirs, in the
sidebar and in the agent's memory (an approval in the same thread resumes the graph); another user sees
neither the thread in the sidebar nor its content at its URL.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(600)]

A = ("ana@example.com", "ana-secret-pass-1")
B = ("ben@example.com", "ben-secret-pass-2")
REQUEST = "write an Instagram caption about our new oat latte"
REPLY_TIMEOUT_MS = 90_000
expect.set_options(timeout=30_000)
THREAD_URL = re.compile(r"/thread/([0-9a-f-]{36})$")


def log_in(page: Any, email: str, password: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("input[type=password]").fill(password)
    page.locator("form button[type=submit]").click()
    expect(page.locator("#chat-input")).to_be_visible()


def send(page: Any, text: str) -> None:
    page.locator("#chat-input").fill(text)
    submit = page.locator("#chat-submit")
    expect(submit).to_be_enabled()
    submit.click()


def reply_containing(page: Any, text: str) -> Any:
    reply = page.locator(".message-content", has_text=text).last
    expect(reply).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    return reply


def current_thread_id(page: Any) -> str:
    expect(page).to_have_url(THREAD_URL)
    match = THREAD_URL.search(page.url)
    assert match is not None
    return match.group(1)


def test_wrong_password_is_refused(studio_install: Any, new_page: Any) -> None:
    studio_install.add_user(*A)
    studio = studio_install.start()
    page = new_page(studio.url)
    page.goto("/login")
    page.locator("#email").fill(A[0])
    page.locator("input[type=password]").fill("not-the-password")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Unable to sign in")
    expect(page.locator("#chat-input")).to_have_count(0)
    assert page.request.get(f"/project/thread/{uuid.uuid4()}").status == 401


def test_threads_survive_a_restart_and_stay_private(studio_install: Any, new_page: Any) -> None:
    studio_install.add_user(*A)
    studio_install.add_user(*B)

    # 1. A asks for a caption: the reply carries a caption with hashtags, the tool steps are shown.
    first = studio_install.start()
    page = new_page(first.url)
    log_in(page, *A)
    send(page, REQUEST)
    reply = reply_containing(page, "#oatlatte")
    expect(reply).to_contain_text("oat latte")
    expect(page.locator("#step-write_caption")).to_be_visible()
    draft = re.search(r"draft #(\d+)", reply.inner_text())
    assert draft is not None, reply.inner_text()
    thread_id = current_thread_id(page)
    expect(page.locator(f"#thread-{thread_id}")).to_be_visible()
    page.context.close()

    # 2. Restart the studio: A's thread is in the sidebar and opens with its messages and steps.
    first.stop()
    assert first.proc.returncode == 0, first.log_tail()  # SIGTERM shut it down gracefully
    second = studio_install.start()
    page = new_page(second.url)
    log_in(page, *A)
    page.locator(f"#thread-{thread_id}").click()
    expect(page).to_have_url(re.compile(f"/thread/{thread_id}$"))
    expect(page.get_by_text(REQUEST).first).to_be_visible()
    reply_containing(page, "#oatlatte")
    expect(page.locator("#step-write_caption")).to_be_visible()

    # 3. The agent remembers the thread: approving the draft asks first, then resumes the graph.
    send(page, f"approve draft #{draft.group(1)}")
    expect(page.locator("#step-approve_draft")).to_have_count(0)  # shown once it has run, not before
    page.get_by_role("button", name="Approve", exact=True).click(timeout=REPLY_TIMEOUT_MS)
    reply_containing(page, f"Draft #{draft.group(1)} is approved")
    expect(page.locator("#step-approve_draft")).to_be_visible()

    # 4. B: A's thread is not in B's sidebar, and A's thread URL shows none of A's content.
    other = new_page(second.url)
    log_in(other, *B)
    send(other, "write a LinkedIn post about our Saturday opening hours")
    reply_containing(other, "LinkedIn")
    own_thread = current_thread_id(other)
    assert own_thread != thread_id
    expect(other.locator(f"#thread-{own_thread}")).to_be_visible()
    expect(other.locator(f"#thread-{thread_id}")).to_have_count(0)

    assert other.request.get(f"/project/thread/{thread_id}").status == 401
    other.goto(f"/thread/{thread_id}")
    # Chainlit refuses the socket for a thread of someone else; its page then says it lost the server.
    expect(other.get_by_text("Could not reach the server")).to_be_visible()
    expect(other.locator("body")).not_to_contain_text("oat latte")
    expect(other.locator("body")).not_to_contain_text("#oatlatte")
    expect(other.locator(f"#thread-{own_thread}")).to_be_visible()
    expect(other.locator(f"#thread-{thread_id}")).to_have_count(0)


def test_platforms_chosen_in_the_settings_get_the_draft(studio_install: Any, new_page: Any) -> None:
    studio_install.add_user(*A)
    studio = studio_install.start()
    page = new_page(studio.url)
    log_in(page, *A)
    page.locator("#chat-settings-open-modal").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[cmdk-input]").fill("Linked")  # the platforms' multi-select
    dialog.get_by_role("option", name="LinkedIn").click()
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)
    send(page, "write a caption about our oat latte")
    reply = reply_containing(page, "draft #")
    expect(reply).to_contain_text("LinkedIn")
    expect(reply).not_to_contain_text("Instagram")


def test_an_uploaded_voice_note_becomes_a_transcript_and_a_script(
    studio_install: Any, new_page: Any, tmp_path: Any
) -> None:
    from tests.integration.media_fixtures import speak, voice_note

    note = voice_note(speak(tmp_path), tmp_path / "note.ogg")  # real speech: espeak-ng, then Opus in Ogg
    studio_install.add_user(*A)
    studio = studio_install.start()
    page = new_page(studio.url)
    log_in(page, *A)

    # The chat settings button appears once on_chat_start ran: the session exists, so uploads are accepted.
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()
    # Text first: filling the input after attaching clears the attachment in Chainlit's composer.
    page.locator("#chat-input").fill("turn this voice note into a reel script")
    with page.expect_response(lambda r: "/project/file?" in r.url and r.status == 200):
        page.locator("#upload-button-input").set_input_files(str(note))  # uploaded before we send
    expect(page.get_by_text("note.ogg").first).to_be_visible()
    submit = page.locator("#chat-submit")
    expect(submit).to_be_enabled()
    submit.click()

    reply = reply_containing(page, "Transcript of")
    expect(reply).to_contain_text("vanilla latte")
    script = reply_containing(page, "HOOK")  # the script is a draft: shown as a card with its actions
    expect(script).to_contain_text("draft #")
    expect(page.locator("#step-transcribe")).to_be_visible()
    expect(page.locator("#step-write_script")).to_be_visible()
