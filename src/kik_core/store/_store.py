"""The status store: ingested files and their accepted reports, in SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import functools
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
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kik_core.errors import StoreError
from kik_core.model import Provenance, StatusReport
from kik_core.store._faults import (
    create_sqlite_file,
    explain,
    refuse_empty_sqlite,
    schema_state,
)
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
#: How long an SQLite writer waits for another one, in milliseconds (read at each
#: connect, so tests may lower it).
SQLITE_BUSY_TIMEOUT_MS = 60_000
#: How long to wait for a PostgreSQL server to answer, in seconds.
PG_CONNECT_TIMEOUT_S = 10


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

        A new SQLite store is created only where no file exists yet, in one step
        (see :mod:`kik_core.store._faults`); an up-to-date schema costs one query.

        Args:
            url: an SQLAlchemy URL, e.g. ``sqlite:///path/kik.sqlite`` (the embedded
                default) or ``postgresql+psycopg://user:password@host/db``.

        Raises:
            StoreError: with a German message: the URL is invalid, the database
                cannot be reached, is corrupt, locked, an empty (zero-byte) file,
                or was written by a newer kik.
        """
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise StoreError(
                "Die Datenbank-Adresse ([speicher] url in kik.toml) ist ungültig; schreiben "
                'Sie z. B. url = "sqlite:///kik.sqlite" oder '
                'url = "postgresql+psycopg://benutzer:passwort@server/datenbank"'
            ) from exc
        safe = parsed.render_as_string(hide_password=True)
        backend = parsed.get_backend_name()
        sqlite_file = _sqlite_file(parsed)
        where = str(sqlite_file) if sqlite_file is not None else safe
        try:
            if sqlite_file is not None:
                if not sqlite_file.parent.is_dir():
                    raise StoreError(
                        f"Die Datenbank {where} kann nicht angelegt werden: den Ordner "
                        f"{sqlite_file.parent} gibt es nicht. Prüfen Sie [speicher] url in "
                        "kik.toml."
                    )
                refuse_empty_sqlite(sqlite_file)
                if not sqlite_file.exists():
                    create_sqlite_file(sqlite_file, _build_sqlite)
            engine = _engine(parsed)
        except (ArgumentError, NoSuchModuleError, ImportError) as exc:
            log.debug("cannot use database URL %s", safe, exc_info=exc)
            raise StoreError(
                f"Die Datenbank-Adresse {safe} kann nicht verwendet werden: die Datenbankart "
                "ist unbekannt oder ihr Treiber fehlt (für PostgreSQL: "
                "pip install 'kik-core[postgres]')."
            ) from exc
        except SQLAlchemyError as exc:
            raise explain(
                exc, where, backend=backend, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
            ) from exc
        except OSError as exc:
            log.debug("cannot create store %s", where, exc_info=exc)
            raise StoreError(
                f"Die Datenbank {where} kann nicht angelegt werden ({exc.strerror or exc}): "
                "prüfen Sie, ob ihr Ordner beschreibbar ist und Platz hat."
            ) from exc
        try:
            _upgrade(engine)
        except SQLAlchemyError as exc:
            engine.dispose()
            raise explain(
                exc, where, backend=backend, busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
            ) from exc
        except BaseException:
            engine.dispose()
            raise
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
            url = self._engine.url
            file = _sqlite_file(url)
            where = str(file) if file else url.render_as_string(hide_password=True)
            raise explain(
                exc, where, backend=url.get_backend_name(), busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
            ) from exc

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
            log.info(
                "%s: derselbe Inhalt ist schon gespeichert, nichts hinzugefügt", result.path.name
            )
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


def _sqlite_file(url: URL) -> Path | None:
    """The file of an SQLite URL, or None (another backend, in memory, a ``file:`` URI)."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def _engine(url: URL, *, wal: bool = True) -> Engine:
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas if wal else _sqlite_pragmas_new_file)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    args: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=args)


def _sqlite_pragmas_new_file(dbapi_connection: Any, _record: Any) -> None:
    # A store being built in its temporary file: rollback journal (no -wal file to
    # carry over when it is linked into place); WAL is switched on at first open.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _build_sqlite(path: Path) -> None:
    """Create a complete, migrated SQLite store at ``path`` (a new temporary file)."""
    engine = _engine(make_url(sqlite_url(path)), wal=False)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


@functools.cache
def _script() -> ScriptDirectory:
    return ScriptDirectory.from_config(_alembic_config())


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def _upgrade(engine: Engine) -> None:
    """Bring the schema to this kik's head revision; one query when it is there already.

    Raises:
        StoreError: the store's revision is unknown here (written by a newer kik).
    """
    config = _alembic_config()
    with _MIGRATION_LOCK, engine.begin() as connection:
        if schema_state(connection, _script()) == "current":
            return
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
