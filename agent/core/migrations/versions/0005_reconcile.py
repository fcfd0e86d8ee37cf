"""reconcile: when a post was sent, and when an unconfirmed post is next checked on the platform

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 17:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("check_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("checks", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index(batch_op.f("ix_scheduled_post_check_at"), ["check_at"], unique=False)
    # posts already waiting for a check are checked at the next sweep, in the order they became unconfirmed
    op.execute("UPDATE scheduled_post SET check_at = updated_at WHERE state = 'unconfirmed'")


def downgrade() -> None:
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_post_check_at"))
        batch_op.drop_column("checks")
        batch_op.drop_column("check_at")
        batch_op.drop_column("sent_at")
