"""Times in the user's timezone, across DST changes (America/New_York and Europe/Berlin)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.core.errors import InputError
from agent.core.timeparse import localize, parse_when, zone

NY, BERLIN = zone("America/New_York"), zone("Europe/Berlin")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("tz", "wall", "expected_utc", "tzname", "note"),
    [
        # spring forward: 02:00-03:00 does not exist; 02:30 moves forward by the gap to 03:30
        (NY, datetime(2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30), "EDT", "does not exist"),
        (BERLIN, datetime(2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30), "CEST", "does not exist"),
        # fall back: 01:00-02:00 (NY) / 02:00-03:00 (Berlin) happen twice; the first occurrence wins
        (NY, datetime(2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30), "EDT", "happens twice"),
        (BERLIN, datetime(2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30), "CEST", "happens twice"),
        # ordinary times either side
        (NY, datetime(2026, 3, 8, 9, 0), utc(2026, 3, 8, 13, 0), "EDT", ""),
        (NY, datetime(2026, 3, 7, 9, 0), utc(2026, 3, 7, 14, 0), "EST", ""),
        (BERLIN, datetime(2026, 10, 25, 9, 0), utc(2026, 10, 25, 8, 0), "CET", ""),
    ],
)
def test_localize_across_dst(tz, wall, expected_utc, tzname, note) -> None:  # type: ignore[no-untyped-def]
    when = localize(wall, tz)
    assert when.at == expected_utc
    assert when.local.tzname() == tzname
    assert (note in when.note) if note else when.note == ""


def test_spring_forward_local_time_is_shifted_by_the_gap() -> None:
    assert localize(datetime(2026, 3, 8, 2, 30), NY).local.strftime("%H:%M") == "03:30"


@pytest.mark.parametrize(
    ("text", "now", "tz", "expected"),
    [
        # "tomorrow 9am" across the spring-forward night keeps 09:00 local (13:00 UTC, not 14:00)
        ("tomorrow 9am", utc(2026, 3, 7, 17, 0), NY, utc(2026, 3, 8, 13, 0)),
        ("tomorrow 9am", utc(2026, 10, 31, 12, 0), NY, utc(2026, 11, 1, 14, 0)),
        ("tomorrow at 9", utc(2026, 3, 28, 12, 0), BERLIN, utc(2026, 3, 29, 7, 0)),
        ("2026-03-08 02:30", utc(2026, 3, 1), NY, utc(2026, 3, 8, 7, 30)),
        ("2026-11-01T01:30", utc(2026, 10, 1), NY, utc(2026, 11, 1, 5, 30)),
        ("2026-10-25 02:30", utc(2026, 10, 1), BERLIN, utc(2026, 10, 25, 0, 30)),
        ("2026-12-01T09:00:00+01:00", utc(2026, 11, 1), NY, utc(2026, 12, 1, 8, 0)),
        ("2026-12-01T09:00Z", utc(2026, 11, 1), BERLIN, utc(2026, 12, 1, 9, 0)),
        # Monday 2026-06-01; "friday" is the coming one; a weekday whose time passed today means next week
        ("friday 10am", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 5, 8, 0)),
        ("monday 10am", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 8, 8, 0)),
        ("monday 5pm", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 1, 15, 0)),
        ("next monday", utc(2026, 6, 1, 5, 0), BERLIN, utc(2026, 6, 8, 7, 0)),
        ("in 2 hours", utc(2026, 6, 1, 12, 0), NY, utc(2026, 6, 1, 14, 0)),
        ("in 30 minutes", utc(2026, 6, 1, 12, 0), NY, utc(2026, 6, 1, 12, 30)),
        ("noon", utc(2026, 6, 1, 12, 0), NY, utc(2026, 6, 1, 16, 0)),
        ("9:30pm", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 1, 19, 30)),
        ("8am", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 2, 6, 0)),  # passed today -> tomorrow
        ("dec 3 at 9:15pm", utc(2026, 6, 1), NY, utc(2026, 12, 4, 2, 15)),
        ("3 april", utc(2026, 6, 1), BERLIN, utc(2027, 4, 3, 7, 0)),  # passed this year -> next year
        ("tomorrow evening", utc(2026, 6, 1, 12, 0), BERLIN, utc(2026, 6, 2, 16, 0)),
    ],
)
def test_parse_when(text: str, now: datetime, tz, expected: datetime) -> None:  # type: ignore[no-untyped-def]
    assert parse_when(text, now=now, tz=tz).at == expected


def test_now_is_now() -> None:
    now = utc(2026, 6, 1, 12, 0)
    assert parse_when("now", now=now, tz=NY).at == now


@pytest.mark.parametrize("text", ["whenever", "yesterday-ish", "2026-02-30 10:00", "25:00", "13pm"])
def test_unreadable_times_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        parse_when(text, now=utc(2026, 1, 1), tz=NY)


def test_the_past_is_refused() -> None:
    with pytest.raises(InputError, match="in the past"):
        parse_when("2026-01-01 09:00", now=utc(2026, 6, 1), tz=NY)


def test_unknown_timezone() -> None:
    with pytest.raises(InputError, match="Unknown timezone"):
        parse_when("tomorrow", now=utc(2026, 6, 1), tz="Mars/Olympus")
