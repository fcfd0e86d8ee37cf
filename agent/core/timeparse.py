"""Times as people say them ("tomorrow 9am", "friday 10:30", "in 2 hours", ISO 8601), in the user's timezone.

All results are tz-aware UTC instants. Wall-clock times are attached to the zone with :func:`localize`,
which is explicit about the two DST edge cases:

* a **nonexistent** local time (the hour skipped at spring-forward, e.g. 02:30 on 2026-03-08 in
  America/New_York) moves *forward* by the length of the gap: 02:30 becomes 03:30 local (EDT);
* an **ambiguous** local time (the hour repeated at fall-back, e.g. 01:30 on 2026-11-01 in New York) takes the
  *first* occurrence (the daylight-saving one, EDT, ``fold=0``).

A weekday alone ("friday 10am") means the next such day whose time is still ahead: today if today is that
weekday and the time has not passed, else the coming one. A date without a time means 09:00 local.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agent.core.errors import InputError

DEFAULT_TIME = time(9, 0)
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_WEEKDAY_ABBR = {d[:3]: i for i, d in enumerate(_WEEKDAYS)} | {"tues": 1, "thur": 3, "thurs": 3}
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_NAMED_TIMES = {
    "noon": time(12, 0),
    "midday": time(12, 0),
    "midnight": time(0, 0),
    "morning": time(9, 0),
    "afternoon": time(14, 0),
    "evening": time(18, 0),
    "tonight": time(20, 0),
}
_UNITS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "day": 86400, "week": 7 * 86400}

_TIME_RE = re.compile(
    r"(?P<at>\bat\s+)?\b(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?(?=\s|$|,|\.)", re.I
)
_IN_RE = re.compile(r"^in\s+(?P<n>\d+|an?|one)\s*(?P<unit>minute|min|hour|hr|day|week)s?$", re.I)
_ISO_DATE_RE = re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})\b")
_MONTH_DAY_RE = re.compile(
    r"\b(?P<mon>[a-z]{3,9})\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?\b", re.I
)
_DAY_MONTH_RE = re.compile(
    r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>[a-z]{3,9})\.?(?:,?\s+(?P<y>\d{4}))?\b", re.I
)


@dataclass(frozen=True)
class When:
    """A resolved time: the UTC instant, the local wall time it stands for, and a note on DST adjustment."""

    at: datetime  # tz-aware UTC
    local: datetime  # tz-aware, in the user's zone
    note: str = ""

    def describe(self) -> str:
        text = f"{self.local:%a %d %b %Y %H:%M} {self.local.tzname()} ({self.at:%Y-%m-%d %H:%M} UTC)"
        return f"{text}; {self.note}" if self.note else text


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"Unknown timezone {name!r} (use e.g. Europe/Berlin).") from None


def localize(naive: datetime, tz: ZoneInfo) -> When:
    """Attach ``tz`` to a wall-clock time, resolving DST gaps forward and overlaps to the first occurrence."""
    if naive.tzinfo is not None:
        raise ValueError("localize() takes a naive wall-clock time")
    first = naive.replace(tzinfo=tz, fold=0)
    at = first.astimezone(UTC)
    local = at.astimezone(tz)
    note = ""
    if local.replace(tzinfo=None) != naive:
        # Nonexistent: fold=0 applies the offset from before the transition, which lands after the gap.
        note = f"{naive:%H:%M} does not exist on {naive:%Y-%m-%d} in {tz.key} (clocks spring forward)"
        note += f"; moved to {local:%H:%M}"
    elif naive.replace(tzinfo=tz, fold=1).utcoffset() != first.utcoffset():
        note = (
            f"{naive:%H:%M} happens twice on {naive:%Y-%m-%d} in {tz.key}; using the first ({local.tzname()})"
        )
    return When(at=at, local=local, note=note)


def _parse_clock(text: str) -> tuple[time | None, str]:
    """The time of day in ``text`` (and the text without it)."""
    lowered = text.lower()
    for word, value in _NAMED_TIMES.items():
        if re.search(rf"\b{word}\b", lowered):
            rest = re.sub(rf"\b(?:at\s+|in\s+the\s+|this\s+)?{word}\b", " ", lowered)
            return value, rest
    best = None
    for match in _TIME_RE.finditer(lowered):
        if match.group("m") is None and match.group("ampm") is None and not match.group("at"):
            continue  # a bare number is a day of month, not a time ("at 9" is a time)
        best = match
        break
    if best is None:
        return None, lowered
    hour, minute = int(best.group("h")), int(best.group("m") or 0)
    ampm = (best.group("ampm") or "").replace(".", "").lower()
    if ampm:
        if not 1 <= hour <= 12:
            raise InputError(f"{best.group(0).strip()!r} is not a time.")
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if hour > 23 or minute > 59:
        raise InputError(f"{best.group(0).strip()!r} is not a time.")
    return time(hour, minute), lowered[: best.start()] + " " + lowered[best.end() :]


def _month(name: str) -> int | None:
    return _MONTHS.get(name.lower()[:3]) if name.lower()[:3] in _MONTHS else None


def _parse_day(text: str, today: date) -> tuple[date | None, bool]:
    """(the date named in ``text``, whether it was a bare weekday)."""
    t = " ".join(text.split())
    if not t:
        return None, False
    if re.search(r"\bday after tomorrow\b", t):
        return today + timedelta(days=2), False
    if re.search(r"\btomorrow\b|\btmrw\b", t):
        return today + timedelta(days=1), False
    if re.search(r"\btoday\b", t):
        return today, False
    if m := _ISO_DATE_RE.search(t):
        return _date(int(m["y"]), int(m["mo"]), int(m["d"])), False
    for regex in (_MONTH_DAY_RE, _DAY_MONTH_RE):
        for m in regex.finditer(t):
            month = _month(m["mon"])
            if month is None:
                continue
            year = int(m["y"]) if m["y"] else today.year
            day = _date(year, month, int(m["d"]))
            if not m["y"] and day < today:
                day = _date(year + 1, month, int(m["d"]))
            return day, False
    for word in re.findall(r"[a-z]+", t):
        index = _WEEKDAY_ABBR.get(word[:3]) if (word in _WEEKDAYS or word in _WEEKDAY_ABBR) else None
        if index is not None:
            ahead = (index - today.weekday()) % 7
            if re.search(rf"\bnext\s+{word}\b", t) and ahead == 0:
                ahead = 7
            return today + timedelta(days=ahead), True
    return None, False


def _date(y: int, m: int, d: int) -> date:
    try:
        return date(y, m, d)
    except ValueError:
        raise InputError(f"{y:04d}-{m:02d}-{d:02d} is not a date.") from None


def parse_when(text: str, *, now: datetime, tz: ZoneInfo | str, allow_past: bool = False) -> When:
    """Resolve ``text`` against ``now`` (tz-aware) in the user's zone. Raises :class:`InputError` when the
    text is not understood or names a time that has passed."""
    if now.tzinfo is None:
        raise ValueError("now must be tz-aware")
    tz = zone(tz) if isinstance(tz, str) else tz
    raw = " ".join(text.strip().split())
    t = raw.lower().strip(" .!?")
    t = re.sub(r"^(?:on|at|for)\s+", "", t)
    now_local = now.astimezone(tz)
    if t in {"now", "asap", "right now", "right away", "immediately"}:
        return When(at=now.astimezone(UTC), local=now_local)

    if m := _IN_RE.match(t):
        n = 1 if m["n"] in {"a", "an", "one"} else int(m["n"])
        at = now.astimezone(UTC) + timedelta(seconds=n * _UNITS[m["unit"].lower()])
        return When(at=at, local=at.astimezone(tz))

    iso = _iso(raw)
    if iso is not None:
        if iso.tzinfo is not None:
            at = iso.astimezone(UTC)
            when = When(at=at, local=at.astimezone(tz))
        else:
            when = localize(iso, tz)
        return _future(when, now, raw, allow_past)

    clock, rest = _parse_clock(t)
    day, weekday_only = _parse_day(rest, now_local.date())
    if clock is None and day is None:
        raise InputError(
            f"I can't read {raw!r} as a time. Try “tomorrow 9am”, “friday 10:30”, “in 2 hours” "
            "or 2026-12-01T09:00."
        )
    if day is None:  # a time alone: today if still ahead, else tomorrow
        assert clock is not None
        day = now_local.date()
        if localize(datetime.combine(day, clock), tz).at <= now:
            day += timedelta(days=1)
    when = localize(datetime.combine(day, clock or DEFAULT_TIME), tz)
    if weekday_only and when.at <= now:
        when = localize(datetime.combine(day + timedelta(days=7), clock or DEFAULT_TIME), tz)
    return _future(when, now, raw, allow_past)


def _iso(text: str) -> datetime | None:
    candidate = text.strip().replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    if not re.match(r"^\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}", candidate):
        return None
    try:
        return datetime.fromisoformat(candidate.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"{text!r} is not a valid ISO 8601 time.") from None


def _future(when: When, now: datetime, raw: str, allow_past: bool) -> When:
    if not allow_past and when.at < now - timedelta(seconds=60):
        raise InputError(f"{raw!r} ({when.describe()}) is in the past.")
    return when
