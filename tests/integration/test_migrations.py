"""Alembic migrations against the models, on an empty SQLite file and an empty PostgreSQL database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import agent.core.models  # noqa: F401 - registers the tables on SQLModel.metadata
from agent.core import repo
from agent.core.db import make_engine, session_scope
from agent.core.migrate import alembic_config, current_revision, ensure_schema, head_revision, upgrade
from agent.core.settings import Settings, normalize_db_url

pytestmark = pytest.mark.integration

OUR_TABLES = set(SQLModel.metadata.tables)


@pytest.fixture(params=["sqlite", "postgres"])
def empty_db(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        settings: Settings = request.getfixturevalue("settings")
        eng = make_engine(settings.sqlalchemy_url)
    else:
        eng = make_engine(normalize_db_url(request.getfixturevalue("pg_url")))
    assert sa.inspect(eng).get_table_names() == []
    yield eng
    eng.dispose()


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _schema(engine: Engine) -> dict[str, Any]:
    """Tables with their columns, indexes, unique constraints and foreign keys, as plain data."""
    inspector = sa.inspect(engine)
    out: dict[str, Any] = {}
    for table in sorted(inspector.get_table_names()):
        out[table] = {
            "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in inspector.get_columns(table)],
            "indexes": sorted(
                (i["name"] or "", tuple(i["column_names"])) for i in inspector.get_indexes(table)
            ),
            "uniques": sorted(
                (u["name"] or "", tuple(u["column_names"])) for u in inspector.get_unique_constraints(table)
            ),
            "fks": sorted(
                (tuple(f["constrained_columns"]), f["referred_table"])
                for f in inspector.get_foreign_keys(table)
            ),
        }
    return out


def _our_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Compare only our tables: Chainlit's and LangGraph's tables are not in SQLModel.metadata."""
    if type_ == "table":
        return name in OUR_TABLES
    table = getattr(obj, "table", None)
    return table is None or table.name in OUR_TABLES


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _our_object})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_creates_every_table_of_the_models(empty_db: Engine) -> None:
    upgrade(empty_db)

    tables = set(sa.inspect(empty_db).get_table_names())
    assert tables >= OUR_TABLES
    assert "alembic_version" in tables
    assert current_revision(empty_db) == head_revision(_url(empty_db))


def test_the_migrated_schema_matches_the_models(empty_db: Engine) -> None:
    upgrade(empty_db)

    assert _differences(empty_db) == []


def test_the_comparison_does_see_a_drifted_schema(empty_db: Engine) -> None:
    upgrade(empty_db)
    with empty_db.begin() as conn:
        conn.execute(sa.text("ALTER TABLE memory ADD COLUMN stray INTEGER"))

    differences = _differences(empty_db)

    assert any(d[0] == "remove_column" and d[3].name == "stray" for d in differences)


def test_a_second_upgrade_is_a_no_op(empty_db: Engine) -> None:
    upgrade(empty_db)
    with session_scope(empty_db) as session:
        user_id = repo.create_user(session, email="kept@example.com").id
    before = _schema(empty_db)
    revision = current_revision(empty_db)

    upgrade(empty_db)

    assert _schema(empty_db) == before
    assert current_revision(empty_db) == revision
    with session_scope(empty_db) as session:
        assert repo.get_user(session, user_id=user_id).email == "kept@example.com"


def test_ensure_schema_upgrades_an_empty_database(empty_db: Engine) -> None:
    ensure_schema(empty_db)

    assert set(sa.inspect(empty_db).get_table_names()) >= OUR_TABLES
    assert current_revision(empty_db) == head_revision(_url(empty_db))


def test_ensure_schema_does_nothing_on_an_up_to_date_database(empty_db: Engine) -> None:
    upgrade(empty_db)
    before = _schema(empty_db)
    statements: list[str] = []

    @sa.event.listens_for(empty_db, "before_cursor_execute")
    def _record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    ensure_schema(empty_db)

    sa.event.remove(empty_db, "before_cursor_execute", _record)
    writes = [
        s
        for s in statements
        if s.lstrip().split(None, 1)[0].upper() in {"CREATE", "ALTER", "DROP", "INSERT", "UPDATE", "DELETE"}
    ]
    assert statements, "the listener saw no statement at all"
    assert writes == []
    assert not any("pg_advisory" in s for s in statements)  # upgrade() was not even entered
    assert _schema(empty_db) == before


def test_downgrade_to_base_and_back(empty_db: Engine) -> None:
    upgrade(empty_db)
    cfg = alembic_config(_url(empty_db))

    with empty_db.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")

    assert set(sa.inspect(empty_db).get_table_names()) <= {"alembic_version"}
    assert current_revision(empty_db) is None

    upgrade(empty_db)

    assert set(sa.inspect(empty_db).get_table_names()) >= OUR_TABLES
    assert _differences(empty_db) == []
