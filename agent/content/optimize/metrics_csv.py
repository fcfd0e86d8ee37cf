"""Reading pasted or uploaded metrics (a CSV export) into metric rows.

Tolerant of the usual export headers ("Post text", "Publish time", "Reactions", "Retweets", "Video views"…),
delimiters (comma, semicolon, tab), thousands separators and "1.2K"; strict about what it cannot read: each
bad row is reported with its spreadsheet row number (the header is row 1) and skipped, the good rows are kept.
Dates without a time zone are read in the user's time zone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from agent.content import text as tx
from prompts.platforms import resolve_platform

MAX_CSV_CHARS = 2_000_000
MAX_ROWS = 5000
MAX_TEXT_CHARS = 5000
MAX_ERRORS_SHOWN = 20
METRICS = ("impressions", "likes", "comments", "shares", "saves", "clicks")

# normalized header -> field; the first matching column wins, in this order of preference
HEADERS: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "posted at",
        "posted",
        "post date",
        "date posted",
        "publish time",
        "published",
        "published at",
        "publish date",
        "publishing date",
        "created",
        "created at",
        "created time",
        "time",
        "timestamp",
        "datetime",
        "date time",
        "sent",
    ),
    "platform": ("platform", "network", "social network", "channel", "service", "source"),
    "text": (
        "text",
        "caption",
        "post text",
        "post",
        "message",
        "content",
        "description",
        "tweet text",
        "tweet",
        "copy",
        "post content",
        "title",
        "body",
    ),
    "impressions": (
        "impressions",
        "impression",
        "impr",
        "views",
        "video views",
        "plays",
        "post impressions",
        "reach",
        "post reach",
        "accounts reached",
    ),
    "likes": (
        "likes",
        "like",
        "reactions",
        "favorites",
        "favourites",
        "hearts",
        "like count",
        "post reactions",
    ),
    "comments": ("comments", "comment", "replies", "reply count", "comment count"),
    "shares": ("shares", "share", "retweets", "reposts", "boosts", "reblogs", "share count", "quotes"),
    "saves": ("saves", "save", "saved", "bookmarks", "pin saves"),
    "clicks": ("clicks", "click", "link clicks", "url clicks", "post clicks", "outbound clicks"),
    "hashtags": ("hashtags", "tags"),
    "media": ("media", "media type", "post type", "type", "format", "content type"),
    "external_id": ("id", "post id", "tweet id", "external id", "status id"),
    "url": ("url", "link", "permalink", "post link", "post url"),
}
_ALIAS = {alias: fld for fld, aliases in HEADERS.items() for alias in aliases}
TEXT_ONLY_TYPES = {"text", "status", "link", "article", "poll", "note", "none", "no", "false", "0", ""}
DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%b %d, %Y %I:%M %p",
    "%b %d, %Y %H:%M",
    "%b %d, %Y",
    "%B %d, %Y %I:%M %p",
    "%B %d, %Y",
    "%d %b %Y %H:%M",
    "%d %b %Y",
    "%a %b %d %H:%M:%S %z %Y",  # X/Twitter API style
)


class CSVError(ValueError):
    """The CSV as a whole cannot be read (empty, too big, no usable columns)."""


@dataclass
class ParsedMetrics:
    rows: list[dict[str, Any]]  # ready for repo.add_metric_rows
    errors: list[str]
    columns: dict[str, str]  # field -> the header it was read from
    total_rows: int
    ignored_columns: list[str] = field(default_factory=list)

    def error_summary(self) -> str:
        shown = self.errors[:MAX_ERRORS_SHOWN]
        more = len(self.errors) - len(shown)
        return "\n".join(shown) + (f"\n… and {more} more bad rows" if more > 0 else "")


def normalize_header(header: str) -> str:
    h = header.replace("\ufeff", "").strip().strip("\"'").lower()
    h = re.sub(r"\(.*?\)|\[.*?\]", " ", h)  # "Impressions (organic)" -> "impressions"
    h = re.sub(r"[_\-./#:]+", " ", h)
    h = re.sub(r"\b(total|lifetime|organic|count of|number of|no of|num)\b", " ", h)
    return " ".join(h.split())


def map_columns(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    mapping: dict[str, int] = {}
    ignored: list[str] = []
    ranked: dict[str, tuple[int, int]] = {}
    for i, raw in enumerate(headers):
        norm = normalize_header(raw)
        fld = _ALIAS.get(norm)
        if fld is None:
            ignored.append(raw)
            continue
        rank = HEADERS[fld].index(norm)
        if fld not in ranked or rank < ranked[fld][0]:
            ranked[fld] = (rank, i)
    for fld, (_, i) in ranked.items():
        mapping[fld] = i
    return mapping, ignored


_SUFFIX = {"k": 1_000, "m": 1_000_000, "b": 1_000_000_000}


def parse_count(value: str) -> int | None:
    """'1,234' / '1 234' / '1.2K' / '3M' / '' / '-' -> int or None; raises ValueError otherwise."""
    v = value.strip().replace("\u00a0", "").replace(" ", "")
    if v in {"", "-", "–", "n/a", "na", "null", "none", "--"}:
        return None
    mult = 1
    if v[-1:].lower() in _SUFFIX:
        mult = _SUFFIX[v[-1].lower()]
        v = v[:-1]
    if mult == 1 and re.fullmatch(r"\d{1,3}([,.]\d{3})+", v):
        v = re.sub(r"[,.]", "", v)
    v = v.replace(",", ".") if v.count(",") == 1 and "." not in v else v.replace(",", "")
    number = float(v)
    if number < 0 or number != number or number > 1e13:
        raise ValueError
    return round(number * mult)


def parse_date(value: str, tz: ZoneInfo) -> datetime:
    v = " ".join(value.strip().split())
    if not v:
        raise ValueError
    parsed: datetime | None = None
    try:
        parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    except ValueError:
        for fmt in DATE_FORMATS:
            try:
                parsed = datetime.strptime(v, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", v):  # unix seconds
            return datetime.fromtimestamp(float(v), tz=UTC)
        raise ValueError
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def _platform(value: str | None, default: str | None) -> str:
    if value and value.strip():
        first = re.split(r"[\s(/,-]+", value.strip().lower())[0]
        try:
            return resolve_platform(first)
        except ValueError:
            return resolve_platform(value)
    if default:
        return resolve_platform(default)
    raise ValueError("no platform")


def _sniff(sample: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        return csv.excel


def import_key(platform: str, posted_at: datetime, text: str, competitor: str | None) -> str:
    """The same post imported twice is updated, not duplicated."""
    raw = f"{platform}|{posted_at.isoformat()}|{' '.join(text.split())[:500]}|{(competitor or '').lower()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def parse_metrics_csv(
    text: str,
    *,
    default_platform: str | None = None,
    timezone: str = "UTC",
    competitor: str | None = None,
    max_rows: int = MAX_ROWS,
) -> ParsedMetrics:
    """Read a metrics CSV. Raises :class:`CSVError` when nothing can be read; bad rows are listed in
    ``errors`` ("row 7: likes '12x' is not a number") and skipped."""
    if len(text) > MAX_CSV_CHARS:
        raise CSVError(f"The CSV is {len(text):,} characters; the most I take at once is {MAX_CSV_CHARS:,}.")
    text = text.lstrip("\ufeff").strip()
    if not text:
        raise CSVError("The CSV is empty.")
    tz = ZoneInfo(timezone)
    reader = csv.reader(io.StringIO(text), _sniff(text[:4096]))
    try:
        headers = next(reader)
    except (StopIteration, csv.Error) as exc:
        raise CSVError(f"Cannot read the CSV header: {exc}") from None
    mapping, ignored = map_columns(headers)
    if "date" not in mapping:
        raise CSVError(
            "The CSV needs a date column (e.g. 'date' or 'publish time'); found: "
            + ", ".join(h.strip() for h in headers)
        )
    if not any(m in mapping for m in METRICS):
        raise CSVError(
            "The CSV needs at least one metric column (impressions, likes, comments, shares, saves, clicks); "
            "found: " + ", ".join(h.strip() for h in headers)
        )
    if "platform" not in mapping and not default_platform:
        raise CSVError("The CSV has no platform column: tell me which platform these posts are from.")
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    total = 0
    competitor = (competitor or "").strip()[:100] or None
    try:
        for index, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            total += 1
            if total > max_rows:
                raise CSVError(f"The CSV has more than {max_rows:,} rows; split it into smaller files.")
            row, problem = _row(record, mapping, index, default_platform, tz, competitor)
            if problem:
                errors.append(problem)
            elif row is not None:
                rows.append(row)
    except csv.Error as exc:
        raise CSVError(f"The CSV is malformed near row {reader.line_num}: {exc}") from None
    if total == 0:
        raise CSVError("The CSV has a header but no rows.")
    columns = {fld: headers[i].strip() for fld, i in mapping.items()}
    return ParsedMetrics(rows, errors, columns, total, ignored)


def _row(
    record: list[str],
    mapping: dict[str, int],
    index: int,
    default_platform: str | None,
    tz: ZoneInfo,
    competitor: str | None,
) -> tuple[dict[str, Any] | None, str | None]:
    def cell(fld: str) -> str | None:
        i = mapping.get(fld)
        return record[i] if i is not None and i < len(record) else None

    raw_date = cell("date")
    try:
        posted_at = parse_date(raw_date or "", tz)
    except (ValueError, OverflowError, OSError):
        return None, f"row {index}: date {raw_date!r} is not a date I can read (use e.g. 2026-03-14 09:30)."
    try:
        platform = _platform(cell("platform"), default_platform)
    except ValueError:
        return None, f"row {index}: platform {cell('platform')!r} is not one I know."
    values: dict[str, int | None] = {}
    for m in METRICS:
        raw = cell(m)
        if raw is None:
            values[m] = None
            continue
        try:
            values[m] = parse_count(raw)
        except (ValueError, IndexError):
            return None, f"row {index}: {m} {raw!r} is not a number."
    if all(v is None for v in values.values()):
        return None, f"row {index}: no metric values."
    body = (cell("text") or "").strip()[:MAX_TEXT_CHARS]
    tag_cell = cell("hashtags")
    hashtags = [t for t in re.split(r"[\s,;]+", tag_cell or "") if t.strip("#")]
    hashtags = tx.all_hashtags(body, [t.lstrip("#") for t in hashtags])
    media_cell = cell("media")
    has_media = None if media_cell is None else media_cell.strip().lower() not in TEXT_ONLY_TYPES
    extra: dict[str, Any] = {
        "source": "csv",
        "posted_at": posted_at.isoformat(),
        "text": body,
        "hashtags": hashtags,
        "key": import_key(platform, posted_at, body, competitor),
    }
    if has_media is not None:
        extra["has_media"] = has_media
    if competitor:
        extra["competitor"] = competitor
    url = (cell("url") or "").strip()
    if url:
        extra["url"] = url[:1000]
    external_id = (cell("external_id") or "").strip()[:300] or None
    return {"platform": platform, "external_id": external_id, **values, "extra": extra}, None
