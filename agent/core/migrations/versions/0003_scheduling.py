"""scheduling: the approved content snapshot, metric collection stages, and the claim index

``scheduled_post.content`` holds what the user approved (text, hashtags, media) so a later edit of the draft
never changes a queued post. ``metrics_stage`` / ``metrics_due_at`` drive collection at ~1 h, 24 h and 7 days.
``ix_scheduled_post_due`` (state, run_at) serves the workers' claim query.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content", sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(
            sa.Column("metrics_stage", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.add_column(sa.Column("metrics_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_scheduled_post_metrics_due_at"), ["metrics_due_at"], unique=False
        )
        batch_op.create_index("ix_scheduled_post_due", ["state", "run_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("scheduled_post", schema=None) as batch_op:
        batch_op.drop_index("ix_scheduled_post_due")
        batch_op.drop_index(batch_op.f("ix_scheduled_post_metrics_due_at"))
        batch_op.drop_column("metrics_due_at")
        batch_op.drop_column("metrics_stage")
        batch_op.drop_column("content")
