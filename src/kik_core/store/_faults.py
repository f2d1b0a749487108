"""Store faults in German: corrupt, locked, empty, newer or unreachable databases.

SQLAlchemy, SQLite, psycopg and Alembic speak English and raise their own
exceptions. :meth:`kik_core.store.Store.open` and the store's sessions turn every
one of them into a :class:`~kik_core.errors.StoreError` whose German message says
what happened and what the office can do; the technical text goes to the log at
debug level (``kik -vv``).

SQLite files are created in one step: a new store is built in a temporary file
beside the target and linked into place only if the target still does not exist.
So kik never leaves a zero-byte store behind, and a zero-byte file found at the
store's path was truncated by something else: it is refused, never silently
treated as a new, empty history.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

from kik_core.errors import StoreError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

__all__ = [
    "create_sqlite_file",
    "explain",
    "refuse_empty_sqlite",
    "schema_state",
]

log = logging.getLogger("kik_core.store")

_RESTORE = (
    "Stellen Sie sie aus der Sicherung wieder her (die Dateien in archiv/ bleiben erhalten); "
    "kik ändert an ihr nichts, bis das geschehen ist."
)


def refuse_empty_sqlite(path: Path) -> None:
    """Refuse an existing zero-byte SQLite file: kik never creates one.

    Raises:
        StoreError: ``path`` exists and is empty.
    """
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    if size == 0:
        raise StoreError(
            f"Die Datenbank {path} ist leer (0 Byte) – vermutlich beschädigt oder "
            f"abgeschnitten. {_RESTORE} Nur wenn Sie bewusst ohne jede bisherige "
            "Statushistorie neu beginnen wollen: löschen Sie die leere Datei, dann legt "
            "kik eine neue an."
        )


def create_sqlite_file(path: Path, build: Callable[[Path], None]) -> None:
    """Create the SQLite store ``path`` in one step, unless it exists already.

    ``build`` gets a temporary path in the same folder and creates the complete
    store there (schema included). The file is then hard-linked to ``path``, which
    fails if another process got there first; the temporary file is removed
    either way.
    """
    temporary = path.with_name(f".{path.name}.neu-{os.getpid()}-{secrets.token_hex(4)}.tmp")
    try:
        build(temporary)
        try:
            os.link(temporary, path)
        except FileExistsError:
            log.debug("store %s was created by another process meanwhile", path)
        except OSError:
            _copy_exclusively(temporary, path)
    finally:
        for leftover in (temporary, *(Path(f"{temporary}{s}") for s in ("-journal", "-wal"))):
            leftover.unlink(missing_ok=True)


def _copy_exclusively(source: Path, target: Path) -> None:
    """For file systems without hard links: create ``target`` exclusively, then fill it.

    A copy that fails half-way is removed again, so no partial store is left behind.
    """
    try:
        handle = target.open("xb")
    except FileExistsError:
        return
    try:
        with handle:
            handle.write(source.read_bytes())
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def schema_state(connection: Connection, script: ScriptDirectory) -> str:
    """Compare the store's Alembic revision with this kik's migrations.

    Returns:
        ``"current"`` when the store is at the head revision, ``"behind"`` when it
        is older or new (``upgrade`` will run).

    Raises:
        StoreError: the store's revision is unknown here (a newer kik wrote it).
    """
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see Store._upgrade
    from alembic.util.exc import CommandError  # noqa: PLC0415

    current = set(MigrationContext.configure(connection).get_current_heads())
    heads = set(script.get_heads())
    if current == heads:
        return "current"
    for revision in current:
        try:
            known = script.get_revision(revision)
        except CommandError:
            known = None
        if known is None:
            raise StoreError(
                f"Die Datenbank {_where(connection)} wurde mit einer neueren kik-Version "
                f"geschrieben (Schema-Stand {revision}, diese kik-Version kennt nur "
                f"{', '.join(sorted(heads))}). Aktualisieren Sie kik, z. B. mit "
                "„pip install --upgrade kik-core“, und starten Sie erneut; die Datenbank "
                "bleibt unverändert."
            )
    return "behind"


def _where(connection: Connection) -> str:
    url = connection.engine.url
    if url.get_backend_name() == "sqlite" and url.database:
        return url.database
    return url.render_as_string(hide_password=True)


def _disk_full(file: str) -> bool:
    """Whether the file system holding ``file`` is (nearly) full: SQLite then often
    reports an I/O error (it could not create or grow its -wal/-shm files)."""
    try:
        return shutil.disk_usage(Path(file).parent).free < _NEARLY_FULL
    except OSError:
        return False


#: Below this many free bytes a file system counts as full.
_NEARLY_FULL = 256 * 1024


def _sqlite_code(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(getattr(orig, "sqlite_errorname", ""))


def _sqlstate(exc: BaseException) -> str:
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return str(getattr(orig, "sqlstate", "") or "")


def explain(
    exc: BaseException, where: str, *, backend: str, busy_timeout_ms: int | None = None
) -> StoreError:
    """Turn a database exception into a German :class:`StoreError` (detail to the log).

    Args:
        exc: what SQLAlchemy or the database driver raised.
        where: the store as the office knows it (file path, or URL without password).
        backend: the SQLAlchemy backend name (``sqlite``, ``postgresql``, ...).
        busy_timeout_ms: how long SQLite waited for a lock, for the locked message.
    """
    log.debug("store fault at %s", where, exc_info=exc)
    code = _sqlite_code(exc)
    if backend == "sqlite":
        if code in {"SQLITE_NOTADB", "SQLITE_CORRUPT"} or code.startswith("SQLITE_CORRUPT"):
            return StoreError(
                f"Die Datenbank {where} ist beschädigt: die Datei ist keine lesbare "
                f"SQLite-Datenbank. {_RESTORE}"
            )
        if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            seconds = (
                f" seit mehr als {busy_timeout_ms / 1000:g} Sekunden" if busy_timeout_ms else ""
            )
            return StoreError(
                f"Die Datenbank {where} ist gesperrt: ein anderer kik-Lauf oder ein anderes "
                f"Programm schreibt{seconds} in sie. Warten Sie, bis er fertig ist (oder "
                "beenden Sie das Programm, das die Datei offen hält), und starten Sie erneut."
            )
        full = code.startswith("SQLITE_IOERR") and _disk_full(where)
        if code.startswith("SQLITE_FULL") or full:
            return StoreError(
                f"Die Datenbank {where} kann nicht geschrieben werden: der Datenträger ist "
                "voll. Schaffen Sie Platz und starten Sie erneut; nichts wurde gespeichert."
            )
        if code.startswith(("SQLITE_READONLY", "SQLITE_PERM", "SQLITE_CANTOPEN", "SQLITE_AUTH")):
            return StoreError(
                f"Die Datenbank {where} kann nicht geöffnet oder geschrieben werden: "
                "prüfen Sie, ob die Datei und ihr Ordner für das Benutzerkonto, unter dem "
                "kik läuft, beschreibbar sind."
            )
        if code.startswith("SQLITE_IOERR"):
            return StoreError(
                f"Die Datenbank {where} kann nicht gelesen oder geschrieben werden "
                "(Ein-/Ausgabefehler des Datenträgers). Prüfen Sie den Datenträger bzw. "
                "das Netzlaufwerk und starten Sie erneut."
            )
    else:
        # Connection failures carry no SQLSTATE in libpq: classify by its (English,
        # never shown) text; a server that answered at all says "FATAL".
        state = _sqlstate(exc)
        detail = str(exc.orig if isinstance(exc, DBAPIError) else exc)
        if state.startswith("28") or any(
            words in detail
            for words in ("password authentication failed", "no pg_hba.conf entry", 'role "')
        ):
            return StoreError(
                f"Die Datenbank {where} lehnt die Anmeldung ab: prüfen Sie Benutzername und "
                "Passwort in [speicher] url in kik.toml."
            )
        if state == "3D000" or ('database "' in detail and "does not exist" in detail):
            return StoreError(
                f"Die Datenbank {where} gibt es auf dem Server nicht: prüfen Sie den "
                "Datenbanknamen in [speicher] url in kik.toml oder lassen Sie sie anlegen."
            )
        if not state and isinstance(exc, OperationalError):
            if "FATAL" in detail:
                return StoreError(
                    f"Der Datenbank-Server für {where} lehnt die Verbindung ab: prüfen Sie "
                    "Benutzername, Passwort und Datenbanknamen in [speicher] url in kik.toml."
                )
            return StoreError(
                f"Der Datenbank-Server für {where} ist nicht erreichbar. Prüfen Sie, ob er "
                "läuft und ob Rechnername und Port in [speicher] url in kik.toml stimmen, "
                "und starten Sie erneut."
            )
    if isinstance(exc, SQLAlchemyError):
        return StoreError(
            f"Die Datenbank {where} meldet einen Fehler ({type(exc).__name__}). Starten Sie "
            "mit „kik -vv …“ erneut, um die technischen Einzelheiten zu sehen, und wenden "
            "Sie sich damit an Ihre IT."
        )
    return StoreError(f"Die Datenbank {where} kann nicht verwendet werden ({type(exc).__name__}).")
