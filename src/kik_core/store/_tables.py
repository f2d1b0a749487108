"""The store's tables as SQLAlchemy 2.0 typed declarative classes.

The schema itself is created by the Alembic migrations in ``migrations/``;
these classes must match the latest migration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "MUNICIPALITY_LENGTH",
    "Base",
    "DecisionRow",
    "IssuedSnapshotRow",
    "ReminderRow",
    "RoundRow",
    "SourceFileRow",
    "StatusReportRow",
    "UtcDateTime",
]

#: The longest municipality key (``[kommune] schluessel``) the store accepts.
MUNICIPALITY_LENGTH = 100


class UtcDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores it naive, as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware UTC time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)  # noqa: S101 - the column type guarantees it
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of the store's tables."""


class SourceFileRow(Base):
    """One ingested partner file."""

    __tablename__ = "source_files"
    __table_args__ = (
        UniqueConstraint("municipality", "content_hash", name="uq_source_files_municipality_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    name: Mapped[str] = mapped_column(String(255))
    content_hash: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(255))
    partner: Mapped[str | None] = mapped_column(Text)
    ingested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)

    reports: Mapped[list[StatusReportRow]] = relationship(back_populates="file")


class StatusReportRow(Base):
    """One accepted status report (a measure's status or a goal's texts)."""

    __tablename__ = "status_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    target_id: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str | None] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    partner: Mapped[str] = mapped_column(Text)
    current_state: Mapped[str] = mapped_column(Text, default="")
    outlook: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    file_id: Mapped[int] = mapped_column(
        ForeignKey("source_files.id", ondelete="CASCADE"), index=True
    )
    row: Mapped[int | None] = mapped_column(Integer)
    sheet: Mapped[str | None] = mapped_column(String(255))

    file: Mapped[SourceFileRow] = relationship(back_populates="reports")


class RoundRow(Base):
    """One reporting round (Berichtsrunde) of a municipality."""

    __tablename__ = "rounds"
    __table_args__ = (
        UniqueConstraint("municipality", "stichtag", name="uq_rounds_municipality_stichtag"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    stichtag: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(16))
    opened_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    issued_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime())
    drafts: Mapped[int] = mapped_column(Integer, default=0)
    issued_file: Mapped[str | None] = mapped_column(Text)


class IssuedSnapshotRow(Base):
    """The frozen snapshot an issued round's report was built from (cattrs JSON)."""

    __tablename__ = "issued_snapshots"
    __table_args__ = (
        UniqueConstraint("municipality", "stichtag", name="uq_issued_snapshots_round"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    stichtag: Mapped[dt.date] = mapped_column(Date)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="RESTRICT"))
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
    format: Mapped[int] = mapped_column(Integer)
    data: Mapped[str] = mapped_column(Text)


class DecisionRow(Base):
    """A status the integration office set for a measure, with its reason."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    measure_id: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    as_of: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())


class ReminderRow(Base):
    """A reminder sent to a partner for a round (one per municipality, round and partner)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("municipality", "stichtag", "partner", name="uq_reminders_round_partner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    municipality: Mapped[str] = mapped_column(String(MUNICIPALITY_LENGTH), index=True)
    stichtag: Mapped[dt.date] = mapped_column(Date)
    partner: Mapped[str] = mapped_column(String(255))
    address: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[dt.datetime] = mapped_column(UtcDateTime())
