"""One database, many municipalities; reporting rounds, issued snapshots, decisions, reminders.

Every table gets a ``municipality`` key (``[kommune] schluessel`` of kik.toml).
Rows written before this revision get the empty key ``''``: they are *adopted*
by the first municipality that opens the store afterwards (see
:meth:`kik_core.store.Store.open`). The content hash is unique per
municipality, no longer across the whole database.

New tables: ``rounds``, ``issued_snapshots``, ``decisions``, ``reminders``.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

from kik_core.store._tables import UtcDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_KEY = 100  # MUNICIPALITY_LENGTH at the time of this revision


def _key_column() -> sa.Column[str]:
    return sa.Column("municipality", sa.String(_KEY), nullable=False, server_default="")


_REPORT_COLUMNS = (
    "id, target_id, status, as_of, partner, current_state, outlook, notes, file_id, row, sheet"
)


@contextmanager
def _keeping_reports() -> Iterator[None]:
    """Keep status_reports while SQLite rebuilds source_files.

    SQLite changes a constraint by copying the table and dropping the old one. With
    foreign keys on (kik always turns them on, and the pragma cannot change inside
    the migration's transaction) the DROP deletes every report by ON DELETE CASCADE.
    So the reports are copied aside first and put back afterwards (same ids).
    """
    if op.get_bind().dialect.name != "sqlite":
        yield
        return
    # S608: the column list is a constant of this module, no user input
    op.execute(
        f"CREATE TEMP TABLE _kik_reports_0002 AS SELECT {_REPORT_COLUMNS} FROM status_reports"  # noqa: S608
    )
    yield
    op.execute("DELETE FROM status_reports")
    op.execute(
        f"INSERT INTO status_reports ({_REPORT_COLUMNS}) "  # noqa: S608 - constant columns
        f"SELECT {_REPORT_COLUMNS} FROM _kik_reports_0002"
    )
    op.execute("DROP TABLE _kik_reports_0002")


def upgrade() -> None:
    """Scope the existing tables by municipality and create the round tables."""
    with _keeping_reports(), op.batch_alter_table("source_files") as batch:
        batch.add_column(_key_column())
        batch.drop_constraint("uq_source_files_content_hash", type_="unique")
        batch.create_unique_constraint(
            "uq_source_files_municipality_hash", ["municipality", "content_hash"]
        )
        batch.create_index("ix_source_files_municipality", ["municipality"])
    with op.batch_alter_table("status_reports") as batch:
        batch.add_column(_key_column())
        batch.create_index("ix_status_reports_municipality", ["municipality"])

    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(_KEY), nullable=False),
        sa.Column("stichtag", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("issued_at", UtcDateTime(), nullable=True),
        sa.Column("drafts", sa.Integer(), nullable=False),
        sa.Column("issued_file", sa.Text(), nullable=True),
        sa.UniqueConstraint("municipality", "stichtag", name="uq_rounds_municipality_stichtag"),
    )
    op.create_index("ix_rounds_municipality", "rounds", ["municipality"])
    op.create_table(
        "issued_snapshots",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(_KEY), nullable=False),
        sa.Column("stichtag", sa.Date(), nullable=False),
        sa.Column(
            "round_id",
            sa.Integer(),
            sa.ForeignKey("rounds.id", ondelete="RESTRICT", name="fk_issued_snapshots_round"),
            nullable=False,
        ),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("format", sa.Integer(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.UniqueConstraint("municipality", "stichtag", name="uq_issued_snapshots_round"),
    )
    op.create_index("ix_issued_snapshots_municipality", "issued_snapshots", ["municipality"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(_KEY), nullable=False),
        sa.Column("measure_id", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.Text(), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_decisions_municipality", "decisions", ["municipality"])
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("municipality", sa.String(_KEY), nullable=False),
        sa.Column("stichtag", sa.Date(), nullable=False),
        sa.Column("partner", sa.String(255), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("message_id", sa.Text(), nullable=False),
        sa.Column("sent_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint(
            "municipality", "stichtag", "partner", name="uq_reminders_round_partner"
        ),
    )
    op.create_index("ix_reminders_municipality", "reminders", ["municipality"])


def downgrade() -> None:
    """Drop the round tables and the municipality key (only safe with one municipality)."""
    for table in ("reminders", "decisions", "issued_snapshots", "rounds"):
        op.drop_table(table)
    with op.batch_alter_table("status_reports") as batch:
        batch.drop_index("ix_status_reports_municipality")
        batch.drop_column("municipality")
    with _keeping_reports(), op.batch_alter_table("source_files") as batch:
        batch.drop_index("ix_source_files_municipality")
        batch.drop_constraint("uq_source_files_municipality_hash", type_="unique")
        batch.create_unique_constraint("uq_source_files_content_hash", ["content_hash"])
        batch.drop_column("municipality")
