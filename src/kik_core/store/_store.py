"""The status store: ingested files and their accepted reports, in SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kik_core.errors import StoreError
from kik_core.model import Provenance, StatusReport
from kik_core.store._tables import SourceFileRow, StatusReportRow

if TYPE_CHECKING:
    from kik_core.ingest import FileResult

__all__ = ["MIGRATIONS", "Store", "StoredFile", "sqlite_url"]

log = logging.getLogger("kik_core.store")

#: The Alembic script directory shipped inside the package.
MIGRATIONS = Path(__file__).parent / "migrations"
#: Alembic keeps its migration context in module globals: one migration at a time
#: per process (the Prefect flows open many stores from threads at once).
_MIGRATION_LOCK = threading.Lock()
#: How long an SQLite writer waits for another one, in milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 60_000


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of an SQLite file: ``sqlite:////abs/path/kik.sqlite``."""
    return f"sqlite:///{path.resolve()}"


@attrs.frozen
class StoredFile:
    """One ingested file as the store remembers it."""

    id: int
    name: str
    content_hash: str
    sheet: str | None
    partner: str | None
    ingested_at: dt.datetime
    rows_accepted: int
    rows_rejected: int


def _enable_wal(cursor: Any) -> None:
    """Switch to WAL once; retry while another process holds the new file's lock.

    SQLite's busy handler does not cover the journal-mode change, so two ingests
    opening a brand-new store at the same moment could fail with "database is
    locked". The mode is persistent: once set, this is a read.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        else:
            return


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let us issue BEGIN ourselves (see _sqlite_begin) instead of pysqlite's lazy BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    _enable_wal(cursor)
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # Take the write lock at the start of every transaction: two ingests then queue
    # (busy_timeout) instead of failing with "database is locked" on lock upgrade.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


class Store:
    """The status store. Open it with :meth:`Store.open`; use it as a context manager.

    Example:
        >>> with Store.open("sqlite:///kik.sqlite") as store:  # doctest: +SKIP
        ...     store.add_file(result)
        True
    """

    def __init__(self, engine: Engine) -> None:
        """Wrap an engine whose schema is up to date (use :meth:`open` instead)."""
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to the store at ``url`` and create or upgrade its schema.

        Args:
            url: an SQLAlchemy URL, e.g. ``sqlite:///path/kik.sqlite`` (the embedded
                default) or ``postgresql+psycopg://user:password@host/db``.

        Raises:
            StoreError: the URL is invalid, the database cannot be reached, or
                the schema cannot be migrated.
        """
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(f"invalid database URL {url!r}: {exc}") from exc
        safe = parsed.render_as_string(hide_password=True)
        try:
            if parsed.get_backend_name() == "sqlite":
                database = parsed.database or ""
                if database and database != ":memory:" and not database.startswith("file:"):
                    folder = Path(database).parent
                    if not folder.is_dir():
                        raise StoreError(
                            f"cannot open store {safe}: folder {folder} does not exist"
                        )
                engine = create_engine(parsed, connect_args={"check_same_thread": False})
                event.listen(engine, "connect", _sqlite_pragmas)
                event.listen(engine, "begin", _sqlite_begin)
            else:
                engine = create_engine(parsed, pool_pre_ping=True)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            raise StoreError(f"cannot use database URL {safe}: {exc}") from exc
        try:
            _upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise StoreError(f"cannot open store {safe}: {_first_line(exc)}") from exc
        log.debug("store opened: %s", safe)
        return cls(engine)

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine (for tools and tests)."""
        return self._engine

    def close(self) -> None:
        """Close every connection of the store."""
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions() as session:
                yield session
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise StoreError(f"store error: {_first_line(exc)}") from exc

    def has_file(self, content_hash: str) -> bool:
        """Whether a file with this content (sha256 hex) has been ingested."""
        with self._session() as session:
            found = session.scalar(
                select(SourceFileRow.id).where(SourceFileRow.content_hash == content_hash)
            )
            return found is not None

    def add_file(self, result: FileResult, *, ingested_at: dt.datetime | None = None) -> bool:
        """Store a file's accepted reports, in one transaction.

        Args:
            result: the file as read by :func:`kik_core.ingest.read_update_file`.
            ingested_at: when (timezone-aware; default now, UTC).

        Returns:
            False, changing nothing, when a file with the same content is stored already.
        """
        if result.unreadable is not None:
            raise StoreError(f"{result.path.name} is unreadable and cannot be stored")
        when = ingested_at or dt.datetime.now(dt.UTC)
        partners = sorted({r.partner for r in result.accepted}, key=str.casefold)
        file_row = SourceFileRow(
            name=result.path.name,
            content_hash=result.content_hash,
            sheet=result.sheet,
            partner=", ".join(partners) or None,
            ingested_at=when,
            rows_accepted=len(result.accepted),
            rows_rejected=len(result.rejected),
        )
        file_row.reports = [
            StatusReportRow(
                target_id=r.target_id,
                status=r.status.value if r.status is not None else None,
                as_of=r.as_of,
                partner=r.partner,
                current_state=r.current_state,
                outlook=r.outlook,
                notes=[[column, value] for column, value in r.notes],
                row=r.source.row if r.source else None,
                sheet=r.source.sheet if r.source else result.sheet,
            )
            for r in result.accepted
        ]
        try:
            with self._session() as session, session.begin():
                session.add(file_row)
        except IntegrityError:
            log.info("%s: content already stored, nothing added", result.path.name)
            return False
        return True

    def reports(self) -> list[StatusReport]:
        """Every stored report, in ingest order, with its provenance."""
        with self._session() as session:
            rows = session.execute(
                select(StatusReportRow, SourceFileRow)
                .join(SourceFileRow, StatusReportRow.file_id == SourceFileRow.id)
                .order_by(SourceFileRow.id, StatusReportRow.row, StatusReportRow.id)
            ).all()
            return [
                StatusReport(
                    target_id=r.target_id,
                    status=r.status,
                    as_of=r.as_of,
                    partner=r.partner,
                    current_state=r.current_state,
                    outlook=r.outlook,
                    source=Provenance(f.name, r.row, r.sheet, f.content_hash),
                    notes=tuple((str(c), str(v)) for c, v in r.notes),
                )
                for r, f in rows
            ]

    def report_dates(self) -> list[dt.date]:
        """The distinct ``Stand am`` dates of the stored reports, ascending."""
        with self._session() as session:
            return list(
                session.scalars(
                    select(StatusReportRow.as_of).distinct().order_by(StatusReportRow.as_of)
                )
            )

    def files(self) -> list[StoredFile]:
        """Every ingested file, in ingest order."""
        with self._session() as session:
            return [
                StoredFile(
                    f.id,
                    f.name,
                    f.content_hash,
                    f.sheet,
                    f.partner,
                    f.ingested_at,
                    f.rows_accepted,
                    f.rows_rejected,
                )
                for f in session.scalars(select(SourceFileRow).order_by(SourceFileRow.id))
            ]

    def count_reports(self) -> int:
        """The number of stored reports."""
        with self._session() as session:
            return session.scalar(select(func.count(StatusReportRow.id))) or 0


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _upgrade(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    with _MIGRATION_LOCK, engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
