"""chainlit data layer tables

The tables Chainlit 2.12's ``SQLAlchemyDataLayer`` reads and writes with raw SQL (``users``, ``threads``,
``steps``, ``elements``, ``feedbacks``). They belong to Chainlit, not to ``agent.models``: column names are
camelCase and quoted exactly as its queries spell them.

Differences from the schema in Chainlit's documentation, all taken from what 2.12's code writes:
``steps."autoCollapse"`` (``Step.to_dict``), ``steps."modes"`` (``Message.to_dict``), and
``elements."autoPlay"`` / ``elements."playerConfig"`` (``Element.to_dict``).

PostgreSQL gets the documented types (UUID, JSONB, TEXT[]). SQLite gets TEXT for ids and for JSON (Chainlit
binds ``json.dumps`` strings and parses them back; a column declared JSON would have NUMERIC affinity and
turn a stored "5" into 5) and for tags (SQLite cannot bind a list; Chainlit only writes thread tags with
chat profiles, which the studio does not use).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Table names are fixed by Chainlit's SQL; agent/migrations/env.py must keep autogenerate away from them.
CHAINLIT_TABLES = ("users", "threads", "steps", "elements", "feedbacks")

_ID = sa.Text().with_variant(postgresql.UUID(as_uuid=False), "postgresql")
_JSON = sa.Text().with_variant(postgresql.JSONB(), "postgresql")
_TAGS = sa.Text().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("metadata", _JSON, nullable=False),
        sa.Column("createdAt", sa.Text()),
        sa.UniqueConstraint("identifier", name="uq_users_identifier"),
    )
    op.create_table(
        "threads",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("createdAt", sa.Text()),
        sa.Column("name", sa.Text()),
        sa.Column("userId", _ID, sa.ForeignKey("users.id", ondelete="CASCADE")),
        sa.Column("userIdentifier", sa.Text()),
        sa.Column("tags", _TAGS),
        sa.Column("metadata", _JSON),
    )
    op.create_index("ix_threads_userId", "threads", ["userId"])
    op.create_table(
        "steps",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("threadId", _ID, sa.ForeignKey("threads.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parentId", _ID),
        sa.Column("streaming", sa.Boolean(), nullable=False),
        sa.Column("waitForAnswer", sa.Boolean()),
        sa.Column("isError", sa.Boolean()),
        sa.Column("metadata", _JSON),
        sa.Column("tags", _TAGS),
        sa.Column("input", sa.Text()),
        sa.Column("output", sa.Text()),
        sa.Column("createdAt", sa.Text()),
        sa.Column("command", sa.Text()),
        sa.Column("modes", _JSON),
        sa.Column("start", sa.Text()),
        sa.Column("end", sa.Text()),
        sa.Column("generation", _JSON),
        sa.Column("showInput", sa.Text()),
        sa.Column("language", sa.Text()),
        sa.Column("indent", sa.Integer()),
        sa.Column("defaultOpen", sa.Boolean()),
        sa.Column("autoCollapse", sa.Boolean()),
    )
    op.create_index("ix_steps_threadId", "steps", ["threadId"])
    op.create_table(
        "elements",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("threadId", _ID, sa.ForeignKey("threads.id", ondelete="CASCADE")),
        sa.Column("type", sa.Text()),
        sa.Column("url", sa.Text()),
        sa.Column("chainlitKey", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("display", sa.Text()),
        sa.Column("objectKey", sa.Text()),
        sa.Column("size", sa.Text()),
        sa.Column("page", sa.Integer()),
        sa.Column("language", sa.Text()),
        sa.Column("forId", _ID),
        sa.Column("mime", sa.Text()),
        sa.Column("props", _JSON),
        sa.Column("autoPlay", sa.Boolean()),
        sa.Column("playerConfig", _JSON),
    )
    op.create_index("ix_elements_threadId", "elements", ["threadId"])
    op.create_table(
        "feedbacks",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("forId", _ID, nullable=False),
        sa.Column("threadId", _ID, sa.ForeignKey("threads.id", ondelete="CASCADE")),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text()),
    )
    op.create_index("ix_feedbacks_forId", "feedbacks", ["forId"])


def downgrade() -> None:
    op.drop_index("ix_feedbacks_forId", table_name="feedbacks")
    op.drop_table("feedbacks")
    op.drop_index("ix_elements_threadId", table_name="elements")
    op.drop_table("elements")
    op.drop_index("ix_steps_threadId", table_name="steps")
    op.drop_table("steps")
    op.drop_index("ix_threads_userId", table_name="threads")
    op.drop_table("threads")
    op.drop_table("users")
