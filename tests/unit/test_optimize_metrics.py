"""Metrics import (CSV), stored metric rows, reach diagnosis and competitor comparison."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agent.content.optimize.diagnose import compare_competitor, diagnose_reach
from agent.content.optimize.metrics_csv import CSVError, parse_count, parse_metrics_csv
from agent.content.optimize.records import PostRecord
from agent.core import repo
from agent.core.db import session_scope
from agent.core.errors import NotFound
from agent.services.records import load_records

GOOD = """date,platform,text,impressions,likes,comments,shares,saves,clicks
2026-01-05 09:00,instagram,Have you tried our oat latte?,1200,80,10,2,5,0
2026-01-06 18:30,Instagram,New pastries every morning,900,20,1,0,1,
"""


def test_a_plain_csv_becomes_metric_rows() -> None:
    parsed = parse_metrics_csv(GOOD, timezone="Europe/Berlin")
    assert parsed.errors == [] and parsed.total_rows == 2
    first = parsed.rows[0]
    assert first["platform"] == "instagram" and first["impressions"] == 1200 and first["clicks"] == 0
    assert first["extra"]["text"] == "Have you tried our oat latte?"
    assert first["extra"]["posted_at"] == "2026-01-05T08:00:00+00:00"  # 09:00 in Berlin
    assert parsed.rows[1]["clicks"] is None


def test_common_export_headers_delimiters_and_number_formats_are_understood() -> None:
    export = (
        "\ufeffPost ID;Publish time;Post text;Network;Impressions (organic);Reactions;Replies;Retweets;"
        "Link clicks;Engagement rate\n"
        '123;03/14/2026 2:30 PM;"Big news; our latte";Twitter;1.2K;"1,234";5;3;-;4.1%\n'
    )
    parsed = parse_metrics_csv(export)
    assert parsed.errors == []
    row = parsed.rows[0]
    assert row["platform"] == "x" and row["external_id"] == "123"
    assert (row["impressions"], row["likes"], row["comments"], row["shares"], row["clicks"]) == (
        1200,
        1234,
        5,
        3,
        None,
    )
    assert row["extra"]["posted_at"] == "2026-03-14T14:30:00+00:00"
    assert parsed.columns["impressions"] == "Impressions (organic)"
    assert "Engagement rate" in parsed.ignored_columns


def test_bad_rows_are_reported_with_their_row_numbers_and_skipped() -> None:
    csv_text = (
        "date,platform,text,impressions,likes\n"
        "2026-01-05,instagram,ok,100,5\n"
        "yesterday-ish,instagram,bad date,100,5\n"
        "2026-01-07,myspace,bad platform,100,5\n"
        "2026-01-08,instagram,bad number,12x,5\n"
        "2026-01-09,instagram,no numbers,,\n"
        "2026-01-10,instagram,negative,-4,5\n"
    )
    parsed = parse_metrics_csv(csv_text)
    assert len(parsed.rows) == 1
    assert [e.split(":")[0] for e in parsed.errors] == ["row 3", "row 4", "row 5", "row 6", "row 7"]
    assert "date 'yesterday-ish'" in parsed.errors[0] and "myspace" in parsed.errors[1]
    assert "impressions '12x' is not a number" in parsed.errors[2]


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("", "empty"),
        ("text,likes\nhello,4\n", "needs a date column"),
        ("date,text\n2026-01-01,hello\n", "at least one metric column"),
        ("date,likes\n2026-01-01,4\n", "no platform column"),
        ("date,platform,likes\n", "no rows"),
    ],
)
def test_unreadable_csvs_are_refused_clearly(csv_text: str, message: str) -> None:
    with pytest.raises(CSVError, match=message):
        parse_metrics_csv(csv_text)


def test_size_caps() -> None:
    rows = "".join(f"2026-01-{d:02d},x,t,1,1\n" for d in range(1, 8))
    with pytest.raises(CSVError, match="more than 5 rows"):
        parse_metrics_csv("date,platform,text,impressions,likes\n" + rows, max_rows=5)
    with pytest.raises(CSVError, match="characters"):
        parse_metrics_csv("date,likes\n" + "x" * 2_000_001)


@pytest.mark.parametrize(
    ("raw", "value"), [("1,234", 1234), ("1.2K", 1200), ("3M", 3_000_000), ("", None), ("7", 7)]
)
def test_counts(raw: str, value: int | None) -> None:
    assert parse_count(raw) == value


def test_stored_rows_are_user_scoped_and_reimport_updates(engine: Any, user_id: str) -> None:
    parsed = parse_metrics_csv(GOOD)
    with session_scope(engine) as session:
        other = repo.create_user(session, email="other@example.com").id
        ids, updated = repo.add_metric_rows(session, user_id=user_id, rows=parsed.rows)
        assert updated == 0 and len(ids) == 2
        again, updated = repo.add_metric_rows(session, user_id=user_id, rows=parse_metrics_csv(GOOD).rows)
        assert again == ids and updated == 2
        assert len(repo.list_metric_rows(session, user_id=user_id)) == 2
        assert repo.list_metric_rows(session, user_id=other) == []
        with pytest.raises(NotFound):
            repo.get_metric_row(session, user_id=other, metric_id=ids[0])
        assert len(load_records(session, user_id=user_id)) == 2
        assert load_records(session, user_id=other) == []


def _post(i: int, *, text: str, likes: int, media: bool = True, hour: int = 10, **kw: Any) -> PostRecord:
    return PostRecord(
        platform="instagram",
        text=text,
        hashtags=("coffee", "latte", "oatmilk", "cafe", "barista"),
        has_media=media,
        posted_at=datetime(2026, 1, 6, hour, tzinfo=UTC) + timedelta(days=7 * i),
        impressions=1000,
        likes=likes,
        metric_id=i + 1,
        **kw,
    )


GOOD_TEXT = (
    "Have you tried our oat latte? ☕\n\nMade with oat milk from a local farm.\n\nTell us in the comments."
)


def test_diagnose_names_the_low_factor() -> None:
    baseline = [_post(i, text=GOOD_TEXT, likes=60 + i) for i in range(8)]
    flop = _post(
        9, text="oat latte available now in all of our shops from monday onwards", likes=10, media=False
    )
    result = diagnose_reach(flop, baseline, "UTC")
    assert result.verdict == "below" and result.value == pytest.approx(0.01)
    assert result.median == pytest.approx(0.063)  # the post itself counts in its baseline
    assert any("no image or video" in c for c in result.causes)
    assert any("call to action" in c for c in result.causes)
    assert "below your usual range" in result.summary()


def test_diagnose_names_a_weak_posting_slot() -> None:
    baseline = [_post(i, text=GOOD_TEXT, likes=60 + i) for i in range(8)]
    late = _post(9, text=GOOD_TEXT, likes=20, hour=3)  # Tuesday 03:00
    result = diagnose_reach(late, baseline, "UTC")
    assert any("03:00, a weak slot" in c for c in result.causes)


def test_diagnose_needs_a_baseline() -> None:
    with pytest.raises(ValueError, match="at least 5"):
        diagnose_reach(_post(1, text=GOOD_TEXT, likes=5), [_post(0, text=GOOD_TEXT, likes=5)], "UTC")


def test_compare_competitor_names_the_differences() -> None:
    own = [_post(i, text="oat latte in our shop today", likes=20, media=False, hour=20) for i in range(5)]
    theirs = [_post(i, text=GOOD_TEXT, likes=80, hour=9, competitor="Blue Bottle") for i in range(5)]
    result = compare_competitor(own, theirs, "Blue Bottle", "UTC")
    joined = "\n".join(result.insights)
    assert "Blue Bottle gets 4.0× your median engagement rate" in joined
    assert "ask a question" in joined and "image or video" in joined
    assert "Tue 09:00" in joined
    with pytest.raises(ValueError, match="at least 3"):
        compare_competitor(own, theirs[:2], "Blue Bottle", "UTC")
