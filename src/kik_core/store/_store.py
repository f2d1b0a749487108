"""The status store: ingested files and their accepted reports, in SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import os
import sqlite3
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import attrs
from sqlalchemy import (
    Table,
    bindparam,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from kik_core._locale import format_date
from kik_core.convert import SNAPSHOT_FORMAT, snapshot_from_json, snapshot_to_json
from kik_core.errors import RoundError, StoreError
from kik_core.model import DEFAULT_SCHEME, Decision, Provenance, StatusReport, StatusScheme
from kik_core.rounds import Round, RoundState
from kik_core.store._faults import (
    create_sqlite_file,
    explain,
    refuse_empty_sqlite,
    schema_state,
)
from kik_core.store._tables import (
    MUNICIPALITY_LENGTH,
    DecisionRow,
    IssuedSnapshotRow,
    ReminderRow,
    RoundRow,
    SourceFileRow,
    StatusReportRow,
)

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from kik_core.ingest import FileResult
    from kik_core.rules import Snapshot

#: The table of status reports, for Core bulk inserts.
_REPORTS_TABLE: Table = StatusReportRow.__table__  # type: ignore[assignment]
#: The table of ingested files, for Core inserts.
_FILES_TABLE: Table = SourceFileRow.__table__  # type: ignore[assignment]
#: Statements of the per-file path, built once (building one costs more than running it).
_HAS_FILE = select(_FILES_TABLE.c.id).where(
    _FILES_TABLE.c.municipality == bindparam("municipality"),
    _FILES_TABLE.c.content_hash == bindparam("content_hash"),
)
_INSERT_FILE = insert(_FILES_TABLE)
_INSERT_REPORTS = insert(_REPORTS_TABLE)

__all__ = ["MIGRATIONS", "SentReminder", "Store", "StoredFile", "sqlite_url"]

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


@attrs.frozen
class SentReminder:
    """A reminder e-mail that was sent to a partner for a round."""

    stichtag: dt.date
    partner: str
    address: str
    message_id: str
    sent_at: dt.datetime


def _round(row: RoundRow) -> Round:
    return Round(
        stichtag=row.stichtag,
        deadline=row.deadline,
        opened_at=row.opened_at,
        state=RoundState(row.state),
        issued_at=row.issued_at,
        drafts=row.drafts,
        issued_file=row.issued_file,
    )


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

    def __init__(self, engine: Engine, municipality: str = "") -> None:
        """Wrap an engine whose schema is up to date (use :meth:`open` instead)."""
        if len(municipality) > MUNICIPALITY_LENGTH:
            raise StoreError(
                f"Der Schlüssel der Kommune „{municipality[:40]}…“ ist zu lang "
                f"(höchstens {MUNICIPALITY_LENGTH} Zeichen)"
            )
        self._engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._municipality = municipality
        self._batches = threading.local()  # the open batch session of each thread

    @classmethod
    def open(cls, url: str, *, municipality: str = "") -> Store:
        """Connect to the store at ``url`` and create or upgrade its schema.

        Every row the store reads or writes belongs to ``municipality``: several
        municipalities can share one database. Rows written before the
        municipality key existed (schema revision 0001, key ``''``) are adopted by
        the first municipality with a non-empty key that opens the store.
        A new SQLite store is created only where no file exists yet, in one step
        (see :mod:`kik_core.store._faults`); an up-to-date schema costs one query.

        Args:
            url: an SQLAlchemy URL, e.g. ``sqlite:///path/kik.sqlite`` (the embedded
                default) or ``postgresql+psycopg://user:password@host/db``.
            municipality: the municipality's key (``[kommune] schluessel``);
                the empty default is the unscoped store of a library user.

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
        store = cls(engine, municipality)
        store._adopt_unscoped()
        return store

    @property
    def municipality(self) -> str:
        """The key of the municipality whose rows this store reads and writes."""
        return self._municipality

    def _adopt_unscoped(self) -> None:
        """Give rows written before the municipality key existed to this municipality."""
        if not self._municipality:
            return
        with self._session() as session, session.begin():
            adopted = 0
            for table in (SourceFileRow, StatusReportRow):
                result = session.execute(
                    update(table)
                    .where(table.municipality == "")
                    .values(municipality=self._municipality)
                )
                adopted += int(getattr(result, "rowcount", 0) or 0)
        if adopted:
            log.info(
                "Speicher: %d Zeilen aus der Zeit vor dem Kommunen-Schlüssel gehören jetzt zu „%s“",
                adopted,
                self._municipality,
            )

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
            raise self._explain(exc) from exc

    def _explain(self, exc: SQLAlchemyError) -> StoreError:
        url = self._engine.url
        file = _sqlite_file(url)
        where = str(file) if file else url.render_as_string(hide_password=True)
        return explain(
            exc, where, backend=url.get_backend_name(), busy_timeout_ms=SQLITE_BUSY_TIMEOUT_MS
        )

    def _batch_connection(self) -> Connection | None:
        return getattr(self._batches, "connection", None)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Group the :meth:`add_file` calls of the block into one transaction.

        One commit (for SQLite: one write of the journal to disk) for many files
        instead of one per file: ingest's group commit (issue 16). Each
        :meth:`add_file` in the block runs in a savepoint, so a duplicate file
        changes nothing and the others stay; :meth:`has_file` sees the files added
        in the block. Nothing of the block is committed before it ends without an
        exception; on an exception (or a failed commit) nothing of it is. For
        SQLite the write lock is held for the whole block (other writers wait).
        Per thread; a nested ``batch`` joins the open one.

        Raises:
            StoreError: the commit failed (German message); nothing of the block is stored.
        """
        if self._batch_connection() is not None:
            yield
            return
        try:
            # Core, not a Session: the ORM's savepoint and commit bookkeeping cost more
            # than the inserts of a small file
            with self._engine.begin() as connection:
                self._batches.connection = connection
                try:
                    yield
                finally:
                    self._batches.connection = None
        except SQLAlchemyError as exc:
            raise self._explain(exc) from exc

    def has_file(self, content_hash: str) -> bool:
        """Whether a file with this content (sha256 hex) has been ingested.

        Inside :meth:`batch`, files added earlier in the block count too.
        """
        values = {"municipality": self._municipality, "content_hash": content_hash}
        batch = self._batch_connection()
        if batch is not None:
            try:
                return batch.execute(_HAS_FILE, values).first() is not None
            except SQLAlchemyError as exc:
                raise self._explain(exc) from exc
        with self._session() as session:
            return session.connection().execute(_HAS_FILE, values).first() is not None

    def add_file(self, result: FileResult, *, ingested_at: dt.datetime | None = None) -> bool:
        """Store a file's accepted reports, in one transaction.

        Inside :meth:`batch` the file is stored in a savepoint of the batch's
        transaction and committed with it.

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
        file_values = {
            "municipality": self._municipality,
            "name": result.path.name,
            "content_hash": result.content_hash,
            "sheet": result.sheet,
            "partner": ", ".join(partners) or None,
            "ingested_at": when,
            "rows_accepted": len(result.accepted),
            "rows_rejected": len(result.rejected),
        }
        rows = [
            {
                "municipality": self._municipality,
                "target_id": r.target_id,
                "status": r.status.value if r.status is not None else None,
                "as_of": r.as_of,
                "partner": r.partner,
                "current_state": r.current_state,
                "outlook": r.outlook,
                "notes": [[column, value] for column, value in r.notes],
                "row": r.source.row if r.source else None,
                "sheet": r.source.sheet if r.source else result.sheet,
            }
            for r in result.accepted
        ]

        def insert_file(connection: Connection) -> None:
            # Core inserts: the ORM's unit of work cost 2/3 of row-heavy files, its
            # execution layer a third of a small file (issue 16)
            key = connection.execute(_INSERT_FILE, file_values).inserted_primary_key
            assert key is not None  # noqa: S101 - a single-row insert has one
            if rows:  # a duplicate content hash has failed above
                for values in rows:
                    values["file_id"] = key[0]
                connection.execute(_INSERT_REPORTS, rows)

        batch = self._batch_connection()
        try:
            if batch is not None:
                try:
                    with batch.begin_nested():
                        insert_file(batch)
                except IntegrityError:
                    raise
                except SQLAlchemyError as exc:
                    raise self._explain(exc) from exc
            else:
                with self._session() as session, session.begin():
                    insert_file(session.connection())
        except IntegrityError:
            log.info(
                "%s: derselbe Inhalt ist schon gespeichert, nichts hinzugefügt", result.path.name
            )
            return False
        return True

    def reports(self, scheme: StatusScheme = DEFAULT_SCHEME) -> list[StatusReport]:
        """Every stored report, in ingest order, with its provenance.

        Statuses are stored as labels and read back with ``scheme`` (the
        concept's status scheme, Kempten's by default).
        """
        with self._session() as session:
            rows = session.execute(
                select(StatusReportRow, SourceFileRow)
                .join(SourceFileRow, StatusReportRow.file_id == SourceFileRow.id)
                .where(StatusReportRow.municipality == self._municipality)
                .order_by(SourceFileRow.id, StatusReportRow.row, StatusReportRow.id)
            ).all()
            return [
                StatusReport(
                    target_id=r.target_id,
                    status=scheme.parse(r.status) if r.status else None,
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
                    select(StatusReportRow.as_of)
                    .where(StatusReportRow.municipality == self._municipality)
                    .distinct()
                    .order_by(StatusReportRow.as_of)
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
                for f in session.scalars(
                    select(SourceFileRow)
                    .where(SourceFileRow.municipality == self._municipality)
                    .order_by(SourceFileRow.id)
                )
            ]

    def count_reports(self) -> int:
        """The number of stored reports."""
        with self._session() as session:
            return (
                session.scalar(
                    select(func.count(StatusReportRow.id)).where(
                        StatusReportRow.municipality == self._municipality
                    )
                )
                or 0
            )

    # --- reporting rounds -------------------------------------------------------

    def _round_row(self, session: Session, stichtag: dt.date) -> RoundRow | None:
        return session.scalar(
            select(RoundRow).where(
                RoundRow.municipality == self._municipality, RoundRow.stichtag == stichtag
            )
        )

    def rounds(self) -> list[Round]:
        """Every reporting round of the municipality, by Stichtag."""
        with self._session() as session:
            rows = session.scalars(
                select(RoundRow)
                .where(RoundRow.municipality == self._municipality)
                .order_by(RoundRow.stichtag)
            )
            return [_round(r) for r in rows]

    def round(self, stichtag: dt.date) -> Round | None:
        """The round with this Stichtag, or None."""
        with self._session() as session:
            row = self._round_row(session, stichtag)
            return _round(row) if row is not None else None

    def current_round(self) -> Round | None:
        """The latest round that is not issued yet (offen or Entwurf), or None."""
        open_rounds = [r for r in self.rounds() if not r.is_issued]
        return open_rounds[-1] if open_rounds else None

    def open_round(self, new: Round) -> Round:
        """Store a new round (state offen).

        Raises:
            RoundError: a round with this Stichtag exists, another round is still
                open, or a later round exists (German message; nothing changes).
        """
        if new.state is not RoundState.OFFEN or new.drafts:
            raise RoundError("a new round starts in state offen without drafts")
        try:
            with self._session() as session, session.begin():
                existing = session.scalars(
                    select(RoundRow).where(RoundRow.municipality == self._municipality)
                ).all()
                for row in existing:
                    if row.stichtag == new.stichtag:
                        raise RoundError(
                            f"Die Runde zum Stichtag {format_date(new.stichtag)} gibt es schon "
                            f"(Stand: {RoundState(row.state).label}); "
                            "eine Runde wird nur einmal geöffnet"
                        )
                    if row.state != RoundState.HERAUSGEGEBEN.value:
                        raise RoundError(
                            f"Die Runde zum Stichtag {format_date(row.stichtag)} ist noch nicht "
                            "herausgegeben. Geben Sie sie zuerst heraus "
                            "(kik runde herausgeben), dann öffnen Sie die nächste"
                        )
                    if row.stichtag > new.stichtag:
                        raise RoundError(
                            f"Es gibt schon eine spätere Runde (Stichtag "
                            f"{format_date(row.stichtag)}); eine neue Runde muss danach liegen"
                        )
                session.add(
                    RoundRow(
                        municipality=self._municipality,
                        stichtag=new.stichtag,
                        deadline=new.deadline,
                        state=new.state.value,
                        opened_at=new.opened_at,
                        issued_at=None,
                        drafts=0,
                        issued_file=None,
                    )
                )
        except IntegrityError as exc:
            raise RoundError(
                f"Die Runde zum Stichtag {format_date(new.stichtag)} gibt es schon"
            ) from exc
        return new

    def record_draft(self, stichtag: dt.date, number: int) -> Round:
        """Note that draft ``number`` of a round was written (state Entwurf).

        Raises:
            RoundError: the round does not exist or is issued already.
        """
        with self._session() as session, session.begin():
            row = self._round_row(session, stichtag)
            if row is None:
                raise RoundError(f"Es gibt keine Runde zum Stichtag {format_date(stichtag)}")
            if row.state == RoundState.HERAUSGEGEBEN.value:
                raise RoundError(
                    f"Die Runde zum Stichtag {format_date(stichtag)} ist schon herausgegeben"
                )
            row.drafts = max(row.drafts, number)
            row.state = RoundState.ENTWURF.value
            return _round(row)

    def issue_round(
        self,
        stichtag: dt.date,
        snapshot: Snapshot,
        *,
        issued_at: dt.datetime,
        file_name: str,
    ) -> Round:
        """Freeze a round: store its snapshot and mark it herausgegeben, in one transaction.

        Raises:
            RoundError: the round does not exist or is issued already (nothing changes).
        """
        data = snapshot_to_json(snapshot)
        try:
            with self._session() as session, session.begin():
                row = self._round_row(session, stichtag)
                if row is None:
                    raise RoundError(f"Es gibt keine Runde zum Stichtag {format_date(stichtag)}")
                if row.state == RoundState.HERAUSGEGEBEN.value:
                    raise RoundError(
                        f"Die Runde zum Stichtag {format_date(stichtag)} ist schon herausgegeben "
                        f"({row.issued_file}); eine herausgegebene Runde ändert sich nicht mehr"
                    )
                row.state = RoundState.HERAUSGEGEBEN.value
                row.issued_at = issued_at
                row.issued_file = file_name
                session.flush()
                session.add(
                    IssuedSnapshotRow(
                        municipality=self._municipality,
                        stichtag=stichtag,
                        round_id=row.id,
                        created_at=issued_at,
                        format=SNAPSHOT_FORMAT,
                        data=data,
                    )
                )
                return _round(row)
        except IntegrityError as exc:
            raise RoundError(
                f"Die Runde zum Stichtag {format_date(stichtag)} ist schon herausgegeben"
            ) from exc

    def issued_snapshot(self, stichtag: dt.date) -> Snapshot | None:
        """The frozen snapshot of the issued round with this Stichtag, or None."""
        with self._session() as session:
            data = session.scalar(
                select(IssuedSnapshotRow.data).where(
                    IssuedSnapshotRow.municipality == self._municipality,
                    IssuedSnapshotRow.stichtag == stichtag,
                )
            )
        return snapshot_from_json(data) if data is not None else None

    def issued_snapshots(self) -> list[Snapshot]:
        """The frozen snapshots of every issued round, oldest first."""
        with self._session() as session:
            rows = session.scalars(
                select(IssuedSnapshotRow.data)
                .where(IssuedSnapshotRow.municipality == self._municipality)
                .order_by(IssuedSnapshotRow.stichtag)
            ).all()
        return [snapshot_from_json(d) for d in rows]

    # --- office decisions -------------------------------------------------------

    def add_decision(self, decision: Decision) -> None:
        """Store a decision of the integration office."""
        with self._session() as session, session.begin():
            session.add(
                DecisionRow(
                    municipality=self._municipality,
                    measure_id=decision.measure_id,
                    status=decision.status.value,
                    as_of=decision.as_of,
                    reason=decision.reason,
                    decided_by=decision.decided_by,
                    decided_at=decision.decided_at,
                )
            )

    def decisions(self, scheme: StatusScheme = DEFAULT_SCHEME) -> list[Decision]:
        """Every decision of the municipality's office, ordered by when it was made.

        Statuses are read back with ``scheme`` (see :meth:`reports`).
        """
        with self._session() as session:
            rows = session.scalars(
                select(DecisionRow)
                .where(DecisionRow.municipality == self._municipality)
                .order_by(DecisionRow.decided_at, DecisionRow.id)
            ).all()
            return [
                Decision(
                    measure_id=r.measure_id,
                    status=scheme.parse(r.status),
                    as_of=r.as_of,
                    reason=r.reason,
                    decided_by=r.decided_by,
                    decided_at=r.decided_at,
                )
                for r in rows
            ]

    # --- reminders --------------------------------------------------------------

    def reminder_sent(self, stichtag: dt.date, partner: str) -> bool:
        """Whether a reminder for this round was recorded as sent to ``partner``."""
        with self._session() as session:
            found = session.scalar(
                select(ReminderRow.id).where(
                    ReminderRow.municipality == self._municipality,
                    ReminderRow.stichtag == stichtag,
                    ReminderRow.partner == partner,
                )
            )
            return found is not None

    def record_reminder(
        self,
        stichtag: dt.date,
        partner: str,
        *,
        address: str,
        message_id: str,
        sent_at: dt.datetime,
    ) -> None:
        """Record a sent reminder; recording the same round and partner again changes nothing."""
        row = ReminderRow(
            municipality=self._municipality,
            stichtag=stichtag,
            partner=partner,
            address=address,
            message_id=message_id,
            sent_at=sent_at,
        )
        if self.reminder_sent(stichtag, partner):
            return
        try:
            with self._session() as session, session.begin():
                session.add(row)
        except IntegrityError:
            log.debug("reminder %s/%s recorded concurrently", stichtag, partner)

    def reminders(self, stichtag: dt.date) -> list[SentReminder]:
        """The reminders recorded for a round, by partner."""
        with self._session() as session:
            rows = session.scalars(
                select(ReminderRow)
                .where(
                    ReminderRow.municipality == self._municipality,
                    ReminderRow.stichtag == stichtag,
                )
                .order_by(ReminderRow.partner)
            ).all()
            return [
                SentReminder(r.stichtag, r.partner, r.address, r.message_id, r.sent_at)
                for r in rows
            ]


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


def _migrate_sqlite(path: Path) -> None:
    """Create a complete, migrated SQLite store at ``path`` (a new file)."""
    engine = _engine(make_url(sqlite_url(path)), wal=False)
    try:
        _upgrade(engine)
    finally:
        engine.dispose()


#: The bytes of a new store at the head revision, built once per process: a state-wide
#: run creates hundreds of stores, and each migration costs ~30 ms of CPU (issue 16).
_NEW_STORE: dict[str, bytes] = {}


def _build_sqlite(path: Path) -> None:
    """Create a complete, migrated SQLite store at ``path`` (a new temporary file).

    The first store of a process is migrated (:func:`_migrate_sqlite`) in a
    temporary folder; every store is a copy of its bytes, written and synced.
    """
    with _MIGRATION_LOCK:
        template = _NEW_STORE.get(HEAD_REVISION)
    if template is None:
        with tempfile.TemporaryDirectory() as folder:
            built = Path(folder) / "kik.sqlite"
            _migrate_sqlite(built)
            template = built.read_bytes()
        with _MIGRATION_LOCK:
            _NEW_STORE[HEAD_REVISION] = template
    with path.open("xb") as handle:
        handle.write(template)
        handle.flush()
        os.fsync(handle.fileno())


#: The head revision of kik's migrations; lets an up-to-date store open without
#: importing Alembic (~80 ms). tests/test_store.py checks it against the scripts.
HEAD_REVISION = "0002"


def _at_head(connection: Any) -> bool:
    """Whether the store's ``alembic_version`` holds exactly :data:`HEAD_REVISION`."""
    if not inspect(connection).has_table("alembic_version"):
        return False
    versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return list(versions) == [HEAD_REVISION]


@functools.cache
def _script() -> ScriptDirectory:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - only when migrating

    return ScriptDirectory.from_config(_alembic_config())


def _alembic_config() -> Config:
    from alembic.config import Config  # noqa: PLC0415 - only when migrating

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    return config


def _upgrade(engine: Engine) -> None:
    """Bring the schema to this kik's head revision; one query when it is there already.

    Raises:
        StoreError: the store's revision is unknown here (written by a newer kik).
    """
    with _MIGRATION_LOCK, engine.begin() as connection:
        if _at_head(connection) or schema_state(connection, _script()) == "current":
            return
        from alembic import command  # noqa: PLC0415 - only when migrating

        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
