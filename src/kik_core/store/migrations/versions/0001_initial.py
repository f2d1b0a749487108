"""Initial schema: source_files and status_reports.

Revision ID: 0001
Revises:
Create Date: 2024-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kik_core.store._tables import UtcDateTime

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create both tables."""
    op.create_table(
        "source_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("sheet", sa.String(255), nullable=True),
        sa.Column("partner", sa.Text(), nullable=True),
        sa.Column("ingested_at", UtcDateTime(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.UniqueConstraint("content_hash", name="uq_source_files_content_hash"),
    )
    op.create_table(
        "status_reports",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("target_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=True),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("partner", sa.Text(), nullable=False),
        sa.Column("current_state", sa.Text(), nullable=False),
        sa.Column("outlook", sa.Text(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        sa.Column(
            "file_id",
            sa.Integer(),
            sa.ForeignKey("source_files.id", ondelete="CASCADE", name="fk_status_reports_file"),
            nullable=False,
        ),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("sheet", sa.String(255), nullable=True),
    )
    op.create_index("ix_status_reports_target_id", "status_reports", ["target_id"])
    op.create_index("ix_status_reports_as_of", "status_reports", ["as_of"])
    op.create_index("ix_status_reports_file_id", "status_reports", ["file_id"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table("status_reports")
    op.drop_table("source_files")
