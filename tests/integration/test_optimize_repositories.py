"""Metric rows of the optimization engine on both backends (SQLite file and PostgreSQL), user-scoped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from agent.content.optimize.metrics_csv import parse_metrics_csv
from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.errors import NotFound
from agent.core.migrate import upgrade
from agent.core.settings import normalize_db_url
from agent.services.records import competitor_names, load_records

pytestmark = pytest.mark.integration

CSV = "date,platform,text,impressions,likes,comments\n" + "".join(
    f"2026-02-{d:02d} 10:00,linkedin,Post {d} with a question?,1000,{10 + d},{d}\n" for d in range(1, 8)
)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    if request.param == "sqlite":
        yield request.getfixturevalue("engine")
        return
    eng = make_engine(normalize_db_url(request.getfixturevalue("pg_url")))
    upgrade(eng)
    yield eng
    eng.dispose()


def test_metric_rows_import_update_and_scope(db: Engine) -> None:
    with session_scope(db) as session:
        owner = repo.create_user(session, email="owner@example.com").id
        other = repo.create_user(session, email="other@example.com").id
        ids, updated = repo.add_metric_rows(session, user_id=owner, rows=parse_metrics_csv(CSV).rows)
        assert len(ids) == 7 and updated == 0
        rival = parse_metrics_csv(CSV, competitor="Rival Roasters").rows
        rival_ids, _ = repo.add_metric_rows(session, user_id=owner, rows=rival)
    with session_scope(db) as session:
        again, updated = repo.add_metric_rows(session, user_id=owner, rows=parse_metrics_csv(CSV).rows)
        assert again == ids and updated == 7  # the same posts: updated in place, found by their JSON key
        own = load_records(session, user_id=owner, platform="linkedin")
        assert [r.metric_id for r in own] == ids and all(r.competitor is None for r in own)
        assert len(load_records(session, user_id=owner, competitor="rival roasters")) == 7
        assert competitor_names(session, user_id=owner) == ["Rival Roasters"]
        assert load_records(session, user_id=other) == [] and competitor_names(session, user_id=other) == []
        with pytest.raises(NotFound):
            repo.get_metric_row(session, user_id=other, metric_id=rival_ids[0])
