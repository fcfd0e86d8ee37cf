"""The web studio's draft cards, calendar and privacy in a real browser against a real ``studio run``.

A user sets their timezone, uploads a photo and asks for Instagram and LinkedIn posts: two draft cards, each
within its platform's limit and scored. They approve one with its card's button (the click is the approval:
no question follows) and schedule both at typed local times: the calendar shows them at those times; one is
cancelled and the other rescheduled from the calendar (week and month views). A second user sees none of it,
and the first user's thread URL and files show them nothing. After a restart the thread, its cards and
photo, and the calendar are intact. A second test logs in by a trusted proxy header and drives the
settings, panels and the Edit/Improve/Publish buttons.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.test_web_chat import REPLY_TIMEOUT_MS, A, B, current_thread_id, log_in, send
from tests.integration.media_fixtures import jpeg_bytes

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(900)]

TZ = "America/New_York"
COUNT = re.compile(r"([\d,]+) / ([\d,]+) characters")
expect.set_options(timeout=30_000)


def assistant_message(page: Any, heading: str) -> Any:
    """The last assistant message whose heading contains ``heading`` (a draft card, the calendar...)."""
    return (
        page.locator('[data-step-type="assistant_message"]')
        .filter(has=page.locator("h3", has_text=heading))
        .last
    )


def reply_containing(page: Any, text: str) -> Any:
    reply = page.locator(".message-content", has_text=text).last
    expect(reply).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    return reply


def answer_ask(page: Any, text: str) -> None:
    """Answer Chainlit's AskUserMessage: it waits for the next text typed in the composer."""
    send(page, text)


def set_timezone(page: Any, tz: str) -> None:
    page.locator("#chat-settings-open-modal").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#timezone").fill(tz)
    dialog.get_by_role("button", name="Confirm").click()
    expect(dialog).to_have_count(0)
    reply_containing(page, "Saved to your brand profile: timezone")


def schedule_card(page: Any, card: Any, draft_id: str, when: str) -> str:
    """Schedule a card's draft at ``when`` (typed); returns the post id the reply names."""
    card.get_by_role("button", name="Schedule").click()
    page.get_by_role("button", name="Pick a time").click(timeout=REPLY_TIMEOUT_MS)
    reply_containing(page, f"Type the time for draft #{draft_id}")
    answer_ask(page, when)
    reply = reply_containing(page, f"(draft #{draft_id}) will go to the local outbox on")
    match = re.search(rf"Post #(\d+) \(draft #{draft_id}\)", reply.inner_text())
    assert match is not None, reply.inner_text()
    return match.group(1)


def open_calendar(page: Any, day: Any) -> Any:
    send(page, "calendar")
    cal = assistant_message(page, "Week of")
    expect(cal).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    monday = day - timedelta(days=day.weekday())
    if f"{monday:%a %d %b %Y}" not in cal.inner_text():  # the day is in next week: page forward
        cal.get_by_role("button", name="Next").click()
        cal = assistant_message(page, f"Week of {monday:%a %d %b %Y}")
        expect(cal).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    return cal


def entry_day(calendar_text: str, entry: str) -> str | None:
    """The day heading ("Sun 29 Nov") under which a calendar entry is listed."""
    day = None
    for line in calendar_text.splitlines():
        if re.match(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{2} \w{3}$", line.strip()):
            day = line.strip()
        elif entry in line:
            return day
    return None


def test_cards_calendar_privacy_and_restart(studio_install: Any, new_page: Any, tmp_path: Path) -> None:
    photo = tmp_path / "latte.jpg"
    photo.write_bytes(jpeg_bytes((96, 64)))
    studio_install.add_user(*A)
    studio_install.add_user(*B)
    first = studio_install.start()
    page = new_page(first.url)
    log_in(page, *A)
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()
    set_timezone(page, TZ)

    # 1. A photo and a request for two platforms: one card per platform, within its limit, with a score.
    page.locator("#chat-input").fill("write Instagram and LinkedIn posts about our new oat latte")
    with page.expect_response(lambda r: "/project/file?" in r.url and r.status == 200):
        page.locator("#upload-button-input").set_input_files(str(photo))
    submit = page.locator("#chat-submit")
    expect(submit).to_be_enabled()
    submit.click()
    cards = {}
    for label in ("Instagram", "LinkedIn"):
        card = assistant_message(page, f"{label} · draft #")
        expect(card).to_be_visible(timeout=REPLY_TIMEOUT_MS)
        text = card.inner_text()
        length, limit = (int(x.replace(",", "")) for x in COUNT.search(text).groups())  # type: ignore[union-attr]
        assert 0 < length <= limit, text
        assert re.search(r"score \d+/100", text), text
        assert "latte.jpg" in text  # the photo goes with the post
        for button in ("Approve", "Edit", "Regenerate", "Variants", "Improve", "Schedule", "Publish now"):
            expect(card.get_by_role("button", name=button, exact=True)).to_be_visible()
        draft = re.search(r"draft #(\d+)", text)
        assert draft is not None
        cards[label] = (card, draft.group(1))
    thread_id = current_thread_id(page)

    # 2. Approve with the card's button: the agent's approval is answered by the click (no second question).
    ig_card, ig_draft = cards["Instagram"]
    ig_card.get_by_role("button", name="Approve", exact=True).click()
    reply_containing(page, f"Draft #{ig_draft} is approved")
    expect(page.locator("#step-approve_draft")).to_be_visible()
    expect(page.get_by_text("May I do this")).to_have_count(0)  # the button's call, not a typed request

    # 3. Schedule both at local times tomorrow (New York): the calendar shows them at those times.
    tomorrow = (datetime.now(UTC).astimezone(ZoneInfo(TZ)) + timedelta(days=1)).date()
    ig_post = schedule_card(page, ig_card, ig_draft, f"{tomorrow.isoformat()} 15:30")
    li_card, li_draft = cards["LinkedIn"]
    li_post = schedule_card(page, li_card, li_draft, f"{tomorrow.isoformat()} 16:45")
    cal = open_calendar(page, tomorrow)
    text = cal.inner_text()
    assert f"({TZ})" in text
    assert entry_day(text, f"15:30 instagram · post #{ig_post}") == f"{tomorrow:%a %d %b}", text
    assert entry_day(text, f"16:45 linkedin · post #{li_post}") == f"{tomorrow:%a %d %b}", text

    # 4. Cancel one from the calendar: the agent cancels it and the calendar no longer lists it.
    cal.get_by_role("button", name=f"Cancel post #{ig_post}").click()
    reply_containing(page, f"Post #{ig_post} is cancelled")
    cal = open_calendar(page, tomorrow)
    expect(cal).not_to_contain_text(f"post #{ig_post}")
    expect(cal).to_contain_text(f"16:45 linkedin · post #{li_post}")

    # 5. Reschedule the other from the calendar; the month view lists it at its new time.
    cal.get_by_role("button", name=f"Reschedule post #{li_post}").click()
    reply_containing(page, f"When should post #{li_post} go out instead?")
    answer_ask(page, f"{tomorrow.isoformat()} 17:15")
    reply_containing(page, f"Post #{li_post} now goes out on")
    cal = open_calendar(page, tomorrow)
    expect(cal).to_contain_text(f"17:15 linkedin · post #{li_post}")
    cal.get_by_role("button", name="Month view").click()
    month = assistant_message(page, f"{tomorrow:%B %Y} ({TZ})")
    expect(month).to_contain_text(f"{tomorrow:%a %d %b} 🕒 17:15 linkedin · post #{li_post}")
    page.context.close()

    # 6. B: an empty calendar, A's thread neither in the sidebar nor at its URL.
    other = new_page(first.url)
    log_in(other, *B)
    send(other, "calendar")
    b_cal = assistant_message(other, "Week of")
    expect(b_cal).to_contain_text("Nothing scheduled or published")
    expect(b_cal).not_to_contain_text("post #")
    expect(other.locator(f"#thread-{thread_id}")).to_have_count(0)
    assert other.request.get(f"/project/thread/{thread_id}").status == 401
    other.goto(f"/thread/{thread_id}")
    expect(other.get_by_text("Could not reach the server")).to_be_visible()
    expect(other.locator("body")).not_to_contain_text("oat latte")
    expect(other.locator("body")).not_to_contain_text("draft #")
    other.context.close()

    # 7. Restart: A's thread opens with its cards and photo, and the calendar still has the LinkedIn post.
    first.stop()
    assert first.proc.returncode == 0, first.log_tail()
    second = studio_install.start()
    page = new_page(second.url)
    log_in(page, *A)
    page.locator(f"#thread-{thread_id}").click()
    expect(page).to_have_url(re.compile(f"/thread/{thread_id}$"))
    expect(assistant_message(page, "Instagram · draft #")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    expect(assistant_message(page, "LinkedIn · draft #")).to_be_visible()
    image = page.locator("img[alt='latte.jpg']").first
    expect(image).to_be_attached()
    src = image.get_attribute("src")
    assert src is not None and src.startswith("/studio/files/"), src
    served = page.request.get(src)  # the storage client kept the upload on disk
    assert served.status == 200 and served.body() == photo.read_bytes()
    cal = open_calendar(page, tomorrow)
    expect(cal).to_contain_text(f"17:15 linkedin · post #{li_post}")
    expect(cal).not_to_contain_text(f"post #{ig_post}")

    # 8. A's file is A's: B gets 404 for its address, nobody logged in gets 401.
    other = new_page(second.url)
    log_in(other, *B)
    assert other.request.get(src).status == 404
    other.context.clear_cookies()
    assert other.request.get(src).status == 401


def test_header_login_profile_settings_accounts_and_analytics(studio_install: Any, new_page: Any) -> None:
    studio_install.add_user(*A)
    studio_install.env["STUDIO_AUTH_HEADER"] = "X-Test-Email"
    studio = studio_install.start()

    # A header naming no studio user logs nobody in; the proxy's header for A logs A in without a password.
    stranger = new_page(studio.url)
    stranger.context.set_extra_http_headers({"X-Test-Email": "nobody@example.com"})
    assert stranger.request.post("/auth/header").status == 401
    page = new_page(studio.url)
    page.context.set_extra_http_headers({"X-Test-Email": A[0]})
    page.goto("/")
    expect(page.locator("#chat-input")).to_be_visible()
    expect(page.locator("#chat-settings-open-modal")).to_be_visible()

    # The settings panel edits the brand profile; a bad timezone is refused and changes nothing.
    page.locator("#chat-settings-open-modal").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#tone").fill("playful")
    dialog.locator("#timezone").fill("Mars/Olympus")
    dialog.get_by_role("button", name="Confirm").click()
    reply_containing(page, "Your settings were not saved: Unknown timezone")
    page.locator("#chat-settings-open-modal").click()
    dialog = page.get_by_role("dialog")
    dialog.locator("#timezone").fill("Europe/Berlin")
    dialog.get_by_role("button", name="Confirm").click()
    reply_containing(page, "Saved to your brand profile: tone, timezone")
    send(page, "profile")
    profile = assistant_message(page, "Brand profile")
    expect(profile).to_contain_text("playful")
    expect(profile).to_contain_text("Europe/Berlin")
    current_thread_id(page)  # the first message opened a thread (the page moves to its URL)

    send(page, "accounts")
    expect(assistant_message(page, "Connected accounts")).to_contain_text("None yet")

    # Analytics with no metrics yet: says so and draws the prior best_time starts from.
    send(page, "analytics")
    analytics = assistant_message(page, "Analytics")
    expect(analytics).to_contain_text("No metrics of your posts yet")
    expect(analytics.locator(".js-plotly-plot").first).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    # A card's Edit goes through edit_draft (a voice rule is learned); Improve adds a better draft;
    # Publish now asks once more, then the click answers the agent's approval and the post goes out.
    send(page, "write a LinkedIn post about our oat latte")
    card = assistant_message(page, "LinkedIn · draft #")
    expect(card).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    draft = re.search(r"draft #(\d+)", card.inner_text())
    assert draft is not None
    card.get_by_role("button", name="Edit", exact=True).click()
    reply_containing(page, f"Send your version of draft #{draft.group(1)}")
    answer_ask(page, "Our oat latte is here. Creamy, smooth, made with care.\n\n#oatlatte")
    edited = assistant_message(page, f"LinkedIn · draft #{draft.group(1)}")
    expect(edited).to_contain_text("Creamy, smooth", timeout=REPLY_TIMEOUT_MS)
    expect(edited).to_contain_text("Learned from your edit")
    expect(page.locator("#step-edit_draft")).to_be_visible()

    card = assistant_message(page, f"LinkedIn · draft #{draft.group(1)}")
    card.get_by_role("button", name="Improve", exact=True).click()
    expect(page.locator("#step-improve_post")).to_be_visible(timeout=REPLY_TIMEOUT_MS)

    # Variants and Regenerate: each button runs its own tool (ab_variants; write_caption for the platform).
    card = assistant_message(page, f"LinkedIn · draft #{draft.group(1)}")
    card.get_by_role("button", name="Variants", exact=True).click()
    expect(page.locator("#step-ab_variants")).to_be_visible(timeout=REPLY_TIMEOUT_MS)
    card = assistant_message(page, f"LinkedIn · draft #{draft.group(1)}")
    card.get_by_role("button", name="Regenerate", exact=True).click()
    expect(page.locator("#step-write_caption")).to_have_count(2, timeout=REPLY_TIMEOUT_MS)

    card = assistant_message(page, f"LinkedIn · draft #{draft.group(1)}")
    card.get_by_role("button", name="Publish now", exact=True).click()
    question = page.locator(
        '[data-step-type="assistant_message"]', has_text=f"Publish draft #{draft.group(1)} on LinkedIn now?"
    )
    question.get_by_role("button", name="Publish now", exact=True).click(timeout=REPLY_TIMEOUT_MS)
    reply_containing(page, f"(draft #{draft.group(1)}) is published")
    expect(page.locator("#step-publish_now")).to_be_visible()
    expect(page.get_by_text("May I do this")).to_have_count(0)
