"""Process an inbox folder: claim, read, store, archive or quarantine every file.

Each file is claimed by renaming it atomically into a working folder
``inbox/.in-arbeit/<run>/`` first, so two ingests running at once never
process the same file; the store refuses a second copy of the same content
(unique content hash), so nothing is stored twice.

Nothing is lost whatever fails:

* the partner's feedback (error workbook) is written before the file's rows are
  committed; if it cannot be written nothing is committed and the file goes
  back to the inbox;
* files are committed in small batches (group commit: one transaction, one
  write of the store's journal to disk, for up to :data:`BATCH_FILES` files or
  :data:`BATCH_SECONDS`; the first batches are smaller: 1, 2, 4 … files). A
  file moves to the archive only after its batch is committed; until then it
  stays in the working folder, so a run killed mid-batch leaves the batch's
  files there and the next run reads them again (the store has none of their
  rows; their error workbooks are found by content hash and not written twice);
* SIGTERM and SIGINT end a run at the next batch boundary;
* a run's working folder is locked (``flock``) for the run's lifetime; the next
  run adopts the folders of runs that died (kill -9, power loss) and reads
  their files again;
* temp files of killed runs are removed at the start.

From :data:`PARALLEL_FILES` files on (with more than one CPU, one of them spare
by the load average, in a single-threaded, non-daemon process), files are
read and validated, and their error workbooks made, in reader processes
(forked, so the concept is handed over once) while this process writes the
store: in order, at most :data:`PREFETCH` files ahead per reader. Readers only
read; claiming, feedback, commits and archiving stay here. A reader that fails
(killed, out of memory) loses nothing: its files are read here instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import fcntl
import gc
import hashlib
import logging
import multiprocessing
import os
import shutil
import signal
import stat
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import attrs

from kik_core._atomic import atomic_write_text, remove_stale_temp_files
from kik_core._locale import format_datetime
from kik_core.errors import FolderError, Location, Problem, Reason
from kik_core.ingest._errorbook import (
    StagedWorkbook,
    StagedWorkbooks,
    error_workbook_bytes,
    find_error_workbook,
    format_problem,
)
from kik_core.ingest._guard import Limits
from kik_core.ingest._read import FileResult, display_name, local_today, read_update_file
from kik_core.model import DEFAULT_SCHEME, Concept, StatusScheme

if TYPE_CHECKING:
    from kik_core.editions import Editions
    from kik_core.store import Store

__all__ = [
    "WORK_DIR",
    "AbandonedFile",
    "FileOutcome",
    "IngestSummary",
    "Outcome",
    "SkippedEntry",
    "abandoned_files",
    "abandoned_paths",
    "fit_name",
    "inbox_files",
    "ingest_inbox",
    "skipped_entries",
    "stop_for_process",
    "stop_on_signals",
]

log = logging.getLogger("kik_core.ingest")

#: The working folder inside the inbox where files are claimed.
WORK_DIR = ".in-arbeit"
#: The lock file of a run's working folder, held while the run lives.
LOCK_FILE = ".lauf.lock"
#: Temp files younger than this (seconds) may belong to a run still writing them.
STALE_AFTER = 120.0
#: The longest file name (bytes) most file systems allow.
MAX_NAME_BYTES = 255
#: The most files committed in one store transaction (group commit, issue 16).
BATCH_FILES = 64
#: A batch is committed once it has taken this long (seconds), however few files it has.
BATCH_SECONDS = 0.5
#: From this many files on, files are read in reader processes while the store is written.
PARALLEL_FILES = 16
#: Files claimed and read ahead per reader process (bounds the memory of results waiting).
PREFETCH = 4


@attrs.frozen
class SkippedEntry:
    """An entry of the inbox that is not read, and why (German)."""

    name: str
    reason: str


@attrs.frozen
class AbandonedFile:
    """A file claimed by a run that ended abnormally; the next ingest reads it again."""

    name: str
    since: dt.datetime

    @property
    def message(self) -> str:
        """The German note for ``kik validate``."""
        return (
            f"{self.name}: liegt seit {format_datetime(self.since)} in Bearbeitung eines "
            "abgebrochenen Laufs – wird beim nächsten Einlesen übernommen"
        )


class Outcome(enum.Enum):
    """What became of one inbox file."""

    ACCEPTED = "accepted"  # every row accepted
    PARTIAL = "partial"  # some rows accepted, some rejected
    REJECTED = "rejected"  # every row rejected
    QUARANTINED = "quarantined"  # the file could not be read at all
    DUPLICATE = "duplicate"  # the same content was ingested before

    @property
    def label(self) -> str:
        """The German word for the office (console, log)."""
        return _OUTCOME_LABELS[self]


#: German labels of the outcomes (the enum values are stable codes, not for people).
_OUTCOME_LABELS = {
    Outcome.ACCEPTED: "angenommen",
    Outcome.PARTIAL: "teilweise angenommen",
    Outcome.REJECTED: "abgelehnt",
    Outcome.QUARANTINED: "Quarantäne",
    Outcome.DUPLICATE: "schon eingelesen",
}


@attrs.frozen
class FileOutcome:
    """The outcome of one inbox file.

    Attributes:
        name: the file's name in the inbox.
        outcome: what became of it.
        rows_accepted: rows stored.
        rows_rejected: rows rejected (listed in the error workbook).
        problems: every problem (one whole-file problem for a quarantined file).
        error_workbook: the error workbook written to the outbox, if any.
        moved_to: where the file is now (archive or quarantine).
    """

    name: str
    outcome: Outcome
    rows_accepted: int
    rows_rejected: int
    problems: tuple[Problem, ...]
    error_workbook: Path | None
    moved_to: Path


@attrs.frozen
class IngestSummary:
    """The outcomes of one inbox run.

    Attributes:
        files: every file's outcome, in processing order.
        skipped: inbox entries not read (dotfiles, folders, links ...), with the reason.
        recovered: files taken over from runs that died, read again in this run.
        interrupted: the run was stopped (SIGTERM/SIGINT) at a batch boundary;
            the files not yet read are still in the inbox.
    """

    files: tuple[FileOutcome, ...]
    skipped: tuple[SkippedEntry, ...] = ()
    recovered: tuple[str, ...] = ()
    interrupted: bool = False

    @property
    def rows_accepted(self) -> int:
        """Rows stored, over all files."""
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        """Rows rejected, over all files."""
        return sum(f.rows_rejected for f in self.files)

    @property
    def files_quarantined(self) -> int:
        """Files that could not be read and were quarantined."""
        return sum(f.outcome is Outcome.QUARANTINED for f in self.files)

    def rejected_rows(self) -> list[dict[str, str | int]]:
        """One dict per rejected row (or quarantined file) for a table: Datei, Zeile, Fehler."""
        table: list[dict[str, str | int]] = []
        for outcome in self.files:
            by_row: dict[int, list[Problem]] = {}
            for problem in outcome.problems:
                by_row.setdefault(problem.location.row or 0, []).append(problem)
            for row, problems in sorted(by_row.items()):
                table.append(
                    {
                        "Datei": outcome.name,
                        "Zeile": row,
                        "Fehler": "; ".join(format_problem(p) for p in problems),
                        "Codes": ", ".join(p.reason.value for p in problems),
                    }
                )
        return table


def _root_of(inbox: Path) -> Path:
    return inbox.resolve().parent


def _link_target(path: Path, root: Path) -> Path | None:
    """The regular file a symlink points to, if it stays inside ``root``; else None."""
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not target.is_relative_to(root) or not target.is_file():
        return None
    return target


def _classify(path: Path, root: Path) -> str | None:
    """None when ``path`` is read; otherwise the German reason it is not."""
    name = path.name
    if name == WORK_DIR:
        return ""  # ours, never listed
    if name.startswith("~$"):
        return "Sperrdatei von Excel/LibreOffice (die Datei ist noch geöffnet) – wird nicht gelesen"
    if name.startswith("."):
        return "versteckte Datei (Name beginnt mit einem Punkt) – wird nicht gelesen"
    try:
        mode = path.lstat().st_mode
    except OSError:
        return "nicht mehr vorhanden"
    if stat.S_ISLNK(mode):
        if _link_target(path, root) is None:
            return (
                "Verknüpfung auf eine Datei außerhalb des Kommunen-Ordners (oder ins Leere) – "
                "wird aus Sicherheitsgründen nicht gelesen; bitte die Datei selbst ablegen"
            )
        return None
    if stat.S_ISDIR(mode):
        return "Unterordner – wird nicht gelesen; bitte die Dateien direkt in eingang/ legen"
    if not stat.S_ISREG(mode):
        return "keine gewöhnliche Datei – wird nicht gelesen"
    return None


def _entries(inbox: Path) -> list[Path]:
    try:
        return sorted(inbox.iterdir(), key=lambda p: p.name)
    except OSError:
        return []


def inbox_files(inbox: Path) -> list[Path]:
    """The files waiting in ``inbox`` that are read, by name.

    Regular files, and links to regular files inside the municipality folder.
    Everything else is listed by :func:`skipped_entries`.
    """
    if not inbox.is_dir():
        return []
    root = _root_of(inbox)
    return [p for p in _entries(inbox) if _classify(p, root) is None]


def skipped_entries(inbox: Path) -> list[SkippedEntry]:
    """The entries of ``inbox`` that are not read, each with the German reason."""
    if not inbox.is_dir():
        return []
    root = _root_of(inbox)
    found = []
    for path in _entries(inbox):
        reason = _classify(path, root)
        if reason:
            found.append(SkippedEntry(display_name(path.name), reason))
    return found


def fit_name(name: str, tail: str = "", *, reserve: int = 0) -> str:
    """``name`` (display form) shortened so that ``name + tail`` fits in one file name.

    ``reserve`` bytes are kept free for suffixes added later (``_2``,
    ``.grund.txt``). A shortened name keeps its start and extension and gets a
    short hash of the full name, so it stays recognisable and unique.

    >>> len(fit_name("x" * 300 + ".xlsx").encode())
    255
    """
    name = display_name(name)
    limit = MAX_NAME_BYTES - reserve - len(tail.encode("utf-8"))
    if len(name.encode("utf-8")) <= limit:
        return name + tail
    stem, suffix = Path(name).stem, Path(name).suffix
    if len(suffix.encode("utf-8")) > 16:
        stem, suffix = name, ""
    digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
    room = limit - len(suffix.encode("utf-8")) - len(digest) - 3  # "…" is 3 bytes
    short = stem.encode("utf-8")[: max(room, 1)].decode("utf-8", "ignore")
    return f"{short}…{digest}{suffix}{tail}"


def _move_unique(source: Path, folder: Path, name: str) -> Path:
    """Move ``source`` into ``folder`` as ``name``, adding ``_2``, ``_3`` … if taken.

    Never overwrites: a hard link (or an exclusive create and copy across file
    systems) reserves the target name before the source is removed. A copy
    that fails (full disk) is removed again, the source stays.
    """
    folder.mkdir(parents=True, exist_ok=True)
    name = fit_name(name, reserve=16)
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 10_000):
        target = folder / (name if n == 1 else f"{stem}_{n}{suffix}")
        try:
            os.link(source, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError:
            try:
                _copy_exclusive(source, target)
            except FileExistsError:
                continue
        source.unlink()
        return target
    raise FileExistsError(f"no free name for {name} in {folder}")  # pragma: no cover


def _copy_exclusive(source: Path, target: Path) -> None:
    with target.open("xb") as out:
        try:
            with source.open("rb") as src:
                shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                target.unlink()
            raise


# -- working folders: claim, lock, adopt ------------------------------------------------


def _work_dirs(inbox: Path) -> list[Path]:
    base = inbox / WORK_DIR
    try:
        return sorted(p for p in base.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []


@contextlib.contextmanager
def _try_lock(folder: Path) -> Iterator[bool]:
    """Whether the run owning ``folder`` is gone (its lock can be taken); held in the block."""
    lock = folder / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        # a folder of an older kik or one being set up this instant: judge by age
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            age = 0.0
        yield age > STALE_AFTER
        return
    except OSError:
        yield False
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _claimed_files(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.name != LOCK_FILE and p.is_file())
    except OSError:
        return []


def abandoned_files(inbox: Path) -> list[AbandonedFile]:
    """Files in working folders of runs that ended abnormally (see :func:`ingest_inbox`)."""
    found = []
    for folder in _work_dirs(inbox):
        with _try_lock(folder) as dead:
            if not dead:
                continue
            for path in _claimed_files(folder):
                with contextlib.suppress(OSError):
                    since = dt.datetime.fromtimestamp(path.stat().st_mtime).astimezone()
                    found.append(AbandonedFile(display_name(path.name), since))
    return found


def abandoned_paths(inbox: Path) -> list[Path]:
    """The paths of :func:`abandoned_files` (for ``kik validate`` to check their rows)."""
    found: list[Path] = []
    for folder in _work_dirs(inbox):
        with _try_lock(folder) as dead:
            if dead:
                found.extend(_claimed_files(folder))
    return found


def _adopt(inbox: Path) -> list[str]:
    """Move the files of dead runs back into the inbox; return their names."""
    adopted: list[str] = []
    for folder in _work_dirs(inbox):
        with _try_lock(folder) as dead:
            if not dead:
                continue
            for path in _claimed_files(folder):
                moved = _move_unique(path, inbox, path.name)
                log.warning("%s: aus einem abgebrochenen Lauf übernommen", display_name(moved.name))
                adopted.append(display_name(moved.name))
            remove_stale_temp_files(folder)
            with contextlib.suppress(OSError):
                (folder / LOCK_FILE).unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()
    return adopted


def _open_work_dir(inbox: Path) -> tuple[Path, int]:
    """Create and lock this run's working folder; the lock lives as long as the fd."""
    work = inbox / WORK_DIR / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    try:
        work.mkdir(parents=True)
        fd = os.open(work / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise FolderError(inbox, exc, action="Arbeitsordner anlegen") from exc
    fcntl.flock(fd, fcntl.LOCK_EX)
    return work, fd


def _close_work_dir(work: Path, fd: int) -> None:
    with contextlib.suppress(OSError):
        (work / LOCK_FILE).unlink()
    os.close(fd)
    try:
        work.rmdir()
    except OSError:
        log.warning("Dateien in %s geblieben: bitte prüfen", work)


def _claim(path: Path, work: Path, root: Path) -> Path | None:
    """Atomically take ``path`` from the inbox; None if another ingest was faster.

    The claimed file gets a name that is valid UTF-8 and fits the file system.
    A link (to a file inside the municipality folder) is replaced by a copy
    of the content it points to, so the archive keeps the content.
    """
    target = work / fit_name(path.name, reserve=24)
    if path.is_symlink():
        source = _link_target(path, root)
        if source is None:
            return None
        try:
            _copy_exclusive(source, target)
        except OSError:
            return None
        try:
            path.unlink()
        except FileNotFoundError:  # another ingest took the link
            target.unlink()
            return None
        return target
    try:
        path.replace(target)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise FolderError(path.parent, exc, action="Datei übernehmen") from exc
    return target


# -- stopping at a batch boundary ----------------------------------------------------------


class _StopFlag:
    """Set by SIGTERM/SIGINT; a second signal aborts at once (KeyboardInterrupt)."""

    def __init__(self) -> None:
        self.stop = False

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True
        log.warning(
            "Signal %d: der Lauf endet nach dem aktuellen Stapel (nochmal senden bricht sofort ab)",
            signum,
        )


_active: list[_StopFlag] = []


def stop_for_process() -> None:
    """Install the SIGTERM/SIGINT handlers of :func:`stop_on_signals` for the whole process.

    For the command line: from here until the process ends, a signal asks the run
    to stop at the next batch boundary (also a signal arriving just after the run,
    while the process exits, no longer kills it). Main thread only.
    """
    if _active or threading.current_thread() is not threading.main_thread():
        return
    flag = _StopFlag()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, flag.handle)
    _active.append(flag)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[_StopFlag]:
    """While the block runs, SIGTERM/SIGINT ask ingest to stop at the next batch boundary.

    :func:`ingest_inbox` installs this itself; the command line installs it
    around the whole command, so a signal during start-up (loading the concept,
    opening the store) ends the run cleanly too. A second signal aborts at once
    (KeyboardInterrupt). The previous handlers are restored afterwards; outside
    the main thread (where signals cannot be handled) nothing is installed.
    """
    if _active:
        yield _active[-1]
        return
    flag = _StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag  # signals reach the main thread only
        return
    previous = {sig: signal.signal(sig, flag.handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    _active.append(flag)
    try:
        yield flag
    finally:
        _active.remove(flag)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _clean_temp_files(*folders: Path) -> None:
    for folder in folders:
        for path in remove_stale_temp_files(folder, older_than=STALE_AFTER, dead_writers=True):
            log.info("Temporäre Datei eines abgebrochenen Laufs entfernt: %s", path)
        # temp names of earlier kik versions: .tmp-*.xlsx and *.docx.tmp
        with contextlib.suppress(OSError):
            for path in folder.iterdir():
                legacy = path.name.startswith(".tmp-") or path.name.endswith(".docx.tmp")
                if legacy and path.is_file() and time.time() - path.stat().st_mtime > STALE_AFTER:
                    path.unlink()


# -- reading in reader processes (issue 16) ------------------------------------------------

#: A file read ahead: its result and, if it has rejected rows, its error workbook (or None).
_Read = tuple[FileResult, bytes | None]


@attrs.frozen
class _Task:
    """What every file is read against (handed to the reader processes once, at the fork)."""

    concept: Concept
    today: dt.date
    limits: Limits
    editions: Editions | None


#: The task of this reader process (set by :func:`_start_reader`).
_reader_task: list[_Task] = []


def _reader_count(files: int) -> int:
    """Reader processes for ``files`` files: 0 (read here) unless it pays and is safe."""
    cpus = os.cpu_count() or 1
    if files < PARALLEL_FILES or cpus < 2:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0  # the concept is handed over by forking; elsewhere read here
    if threading.active_count() > 1:
        return 0  # a fork while other threads run may copy a held lock into the reader
    if multiprocessing.current_process().daemon:
        return 0  # daemon processes (Dask's, multiprocessing's) may not have children
    readers = min(cpus - 1, 3)
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = 0.0
    # the load counts this process too (and the runs just before it, in a loop): a
    # second CPU is spare unless the load exceeds it by half a process
    if load > cpus - readers + 0.5:
        return 0  # no spare CPU: readers would only add their cost (about a tenth)
    return readers


def _start_reader(task: _Task, lock: int) -> None:
    """Set up a reader process (forked): it only reads files, the parent does the rest."""
    _reader_task[:] = [task]
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)  # the parent stops the run, readers just end
    with contextlib.suppress(OSError):
        os.close(lock)  # the work folder's lock lives with the parent only
    if sys.platform == "linux":  # end with the parent, also after kill -9
        with contextlib.suppress(Exception):
            import ctypes  # noqa: PLC0415 - only in reader processes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
            if os.getppid() == 1:  # pragma: no cover - the parent died before prctl
                os._exit(1)
    gc.freeze()  # what the fork copied is never collected here: no scans, fewer copied pages


def _read_ahead(path: Path) -> _Read:
    """Read one claimed file in a reader process, and make its error workbook if it has one."""
    task = _reader_task[0]
    result = read_update_file(
        path, task.concept, today=task.today, limits=task.limits, editions=task.editions
    )
    data: bytes | None = None
    if result.unreadable is None and result.rejected:
        try:
            data = error_workbook_bytes(result, task.concept.statuses)
        except Exception:  # made again by the parent, which reports it
            data = None
    return result, data


def _serve(conn: Connection, parent_end: Connection, task: _Task, lock: int) -> None:
    """A reader process's life: read the claimed files it is sent until told to end."""
    parent_end.close()  # so that the reader sees the end when the parent dies
    _start_reader(task, lock)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        try:
            answer: tuple[bool, object] = (True, _read_ahead(path))
        except Exception as exc:  # the parent reads the file itself and meets it again
            answer = (False, repr(exc))
        conn.send(answer)


class _ReaderProcess:
    """One forked reader process and the files sent to it, oldest first."""

    def __init__(self, task: _Task, lock: int) -> None:
        context = multiprocessing.get_context("fork")
        self.conn, child_end = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(child_end, self.conn, task, lock), daemon=True
        )
        self.process.start()
        child_end.close()
        self.sent = 0
        self.alive = True

    def send(self, path: Path) -> bool:
        """Send a file to read; False if the reader is gone."""
        if self.alive:
            try:
                self.conn.send(path)
            except OSError:
                self.alive = False
            else:
                self.sent += 1
                return True
        return False

    def receive(self) -> _Read | None:
        """The oldest file's result; None if the reader failed (read it here)."""
        self.sent -= 1
        if not self.alive:
            return None
        try:
            ok, answer = self.conn.recv()
        except (EOFError, OSError) as exc:  # killed (OOM killer, kill -9)
            log.debug("reader %s ended: %r", self.process.pid, exc)
            self.alive = False
            return None
        if not ok:
            log.debug("reader failed, the file is read here: %s", answer)
            return None
        return answer  # type: ignore[no-any-return]

    def stop(self) -> None:
        """End the reader (at once: it only reads)."""
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()


class _Reader:
    """Claims the inbox's files in order and reads them ahead in reader processes.

    :meth:`take` gives the next file as ``(inbox path, claimed path or None,
    read ahead or None)``; None as read means: read it here (no readers, the
    reader failed, or one file in ``4 * readers + 1``, to even out the work).
    At most :data:`PREFETCH` files per reader are claimed and not yet taken;
    :meth:`close` puts those back in the inbox. No threads: the readers are fed
    and heard through one pipe each, in turn, so the order is kept.
    """

    def __init__(
        self,
        files: list[Path],
        work: Path,
        root: Path,
        inbox: Path,
        task: _Task,
        *,
        readers: int,
        lock: int,
    ) -> None:
        self._files = files
        self._position = 0
        self._work = work
        self._root = root
        self._inbox = inbox
        #: files claimed and not yet taken: (inbox path, claimed path, its reader or None)
        self._waiting: deque[tuple[Path, Path | None, _ReaderProcess | None]] = deque()
        self._readers = [_ReaderProcess(task, lock) for _ in range(readers)]
        self._turn = 0
        self._sent = 0

    def more(self) -> bool:
        """Whether files are left to take."""
        return bool(self._waiting) or self._position < len(self._files)

    def take(self) -> tuple[Path, Path | None, _Read | None]:
        """The next file: claimed now (no readers) or earlier, and what a reader read.

        Raises:
            FolderError: a file cannot be claimed.
        """
        if not self._readers:
            path = self._files[self._position]
            self._position += 1
            return path, _claim(path, self._work, self._root), None
        ahead = PREFETCH * len(self._readers)
        while len(self._waiting) < ahead and self._position < len(self._files):
            path = self._files[self._position]
            claimed = _claim(path, self._work, self._root)
            self._position += 1  # claimed: put back by close() unless taken
            reader = None
            self._sent += 1
            # one file in 4 per reader + 1 is read here: the readers' share is larger
            # than this process's (claim, store, archive), so this evens the two out
            share = 4 * len(self._readers) + 1
            if claimed is not None and self._sent % share != 0:
                reader = self._readers[self._turn]
                self._turn = (self._turn + 1) % len(self._readers)
                if not reader.send(claimed):
                    reader = None
            self._waiting.append((path, claimed, reader))
        path, claimed, reader = self._waiting.popleft()
        return path, claimed, None if reader is None else reader.receive()

    def close(self) -> None:
        """Stop the readers; files claimed ahead and not taken go back to the inbox."""
        readers, self._readers = self._readers, []
        for reader in readers:
            reader.stop()
        while self._waiting:
            _path, claimed, _reader = self._waiting.popleft()
            if claimed is not None and claimed.exists():
                _move_unique(claimed, self._inbox, claimed.name)


def ingest_inbox(
    inbox: Path,
    *,
    concept: Concept,
    store: Store,
    archive: Path,
    quarantine: Path,
    outbox: Path,
    today: dt.date | None = None,
    limits: Limits = Limits(),  # noqa: B008 - Limits is frozen, a shared default is safe
    on_file: Callable[[FileOutcome], None] | None = None,
    clean: tuple[Path, ...] = (),
    editions: Editions | None = None,
    readers: int | None = None,
) -> IngestSummary:
    """Ingest every file in ``inbox`` (sorted by name; see :func:`inbox_files`).

    Readable files: rejected rows are written to an error workbook
    ``outbox/<stem>_Fehler.xlsx`` first, then the accepted rows go into
    ``store`` and the file moves to ``archive/<YYYY-MM-DD>/`` once its batch is
    committed (group commit: see the module docs; each file is stored whole or not
    at all). Unreadable files move to ``quarantine/`` with
    ``<name>.grund.txt`` beside them. A file whose content is already stored is
    archived as a duplicate. Nothing is ever deleted or overwritten.

    Files left by runs that died are taken over first; SIGTERM/SIGINT (in the
    main thread) end the run after the current batch.

    Args:
        inbox: the folder partners' files arrive in.
        concept: the concept whose ids are valid.
        store: the status store.
        archive: where processed files go (one folder per day).
        quarantine: where unreadable files go.
        outbox: where error workbooks go.
        today: the ingest date (default: today in Germany); later ``Stand am``
            dates are refused.
        limits: size, row and zip limits.
        on_file: called with each file's outcome as soon as it is final (its
            batch committed and the file archived).
        clean: further folders to clear of temp files of killed runs (``berichte/``).
        editions: the concept's editions after a *Fortschreibung*: each row is
            checked against the edition in force at its "Stand am" (see
            :func:`read_update_file`).
        readers: reader processes that read files while the store is written
            (see the module docs); 0 reads every file here; None (default): one
            fewer than the CPUs (at most 3) from :data:`PARALLEL_FILES` files on,
            where processes can be forked safely and the load average leaves a
            CPU spare, else 0.

    Raises:
        StoreError: the store failed; the file being processed is put back.
        FolderError: a folder cannot be written; the file being processed is put back.
    """
    today = today or local_today()
    root = _root_of(inbox)
    _clean_temp_files(outbox, quarantine, archive, archive / today.isoformat(), *clean)
    try:
        recovered = _adopt(inbox)
    except OSError as exc:
        action = "Dateien eines abgebrochenen Laufs übernehmen"
        raise FolderError(inbox, exc, action=action) from exc
    skipped = tuple(skipped_entries(inbox))
    for entry in skipped:
        log.info("%s: %s", entry.name, entry.reason)  # the CLI and flows list them
    work, lock = _open_work_dir(inbox)
    day_folder = archive / today.isoformat()
    outcomes: list[FileOutcome] = []
    files = inbox_files(inbox)
    limit = 1  # slow start: the first file's outcome is known at once
    reader = _Reader(
        files,
        work,
        root,
        inbox,
        _Task(concept, today, limits, editions),
        readers=_reader_count(len(files)) if readers is None else readers,
        lock=lock,
    )
    try:
        with stop_on_signals() as flag:
            while reader.more() and not flag.stop:
                batch: list[_Done] = []
                current: Path | None = None
                staged = StagedWorkbooks(outbox)
                try:
                    with store.batch():
                        started = time.monotonic()
                        while (
                            reader.more()
                            and len(batch) < limit
                            and not _stopping(flag)
                            and time.monotonic() - started < BATCH_SECONDS
                        ):
                            path, current, read = reader.take()
                            if current is None:
                                log.debug("%s was taken by another ingest", display_name(path.name))
                                continue
                            batch.append(
                                _process(
                                    current,
                                    display_name(path.name),
                                    concept=concept,
                                    store=store,
                                    staged=staged,
                                    quarantine=quarantine,
                                    today=today,
                                    limits=limits,
                                    editions=editions,
                                    read=read,
                                )
                            )
                            current = None
                        # the partners' feedback is on disk before the rows are committed
                        _place(staged, batch, outbox)
                except BaseException:
                    # nothing of the batch is committed: no feedback either, and every
                    # file goes back to the inbox so that nothing is lost; the next run
                    # reads them again
                    staged.discard()
                    _undo(batch, current, inbox)
                    raise
                limit = min(limit * 2, BATCH_FILES)

                def report(outcome: FileOutcome) -> None:
                    outcomes.append(outcome)
                    log.info(
                        "%s: %s (%d angenommen, %d abgelehnt) → %s",
                        outcome.name,
                        outcome.outcome.label,
                        outcome.rows_accepted,
                        outcome.rows_rejected,
                        outcome.moved_to,
                    )
                    if on_file is not None:
                        on_file(outcome)

                _finish(batch, day_folder, inbox, report)
            interrupted = flag.stop
    finally:
        try:
            reader.close()  # files claimed ahead but not processed go back to the inbox
        finally:
            _close_work_dir(work, lock)
    return IngestSummary(tuple(outcomes), skipped, tuple(recovered), interrupted)


def _stopping(flag: _StopFlag) -> bool:
    """Whether a signal asked the run to stop (read afresh: a handler may set it any time)."""
    return flag.stop


@attrs.define
class _Done:
    """A file read in the open batch; final once the batch is committed.

    Attributes:
        claimed: the file in the run's working folder (or, quarantined, its new place).
        original: its name in the inbox (display form).
        outcome: what becomes of it.
        rows_accepted: rows stored.
        rows_rejected: rows rejected.
        problems: every problem.
        workbook: its error workbook, if any (known once placed).
        staged: the error workbook written by this run, placed before the commit.
        moved: the file has left the working folder (quarantine).
    """

    claimed: Path
    original: str
    outcome: Outcome
    rows_accepted: int = 0
    rows_rejected: int = 0
    problems: tuple[Problem, ...] = ()
    workbook: Path | None = None
    staged: StagedWorkbook | None = None
    moved: bool = False

    def final(self, moved_to: Path) -> FileOutcome:
        return FileOutcome(
            self.original,
            self.outcome,
            self.rows_accepted,
            self.rows_rejected,
            self.problems,
            self.workbook,
            moved_to,
        )


def _place(staged: StagedWorkbooks, batch: list[_Done], outbox: Path) -> None:
    """Put the batch's error workbooks in place (see :class:`StagedWorkbooks`)."""
    try:
        staged.place()
    except OSError as exc:
        raise FolderError(outbox, exc, action="Fehlerliste schreiben") from exc
    for done in batch:
        if done.staged is not None:
            done.workbook = done.staged.path


def _undo(batch: list[_Done], current: Path | None, inbox: Path) -> None:
    """A batch was not committed (its feedback is removed already): put its files back."""
    back = [d.claimed for d in batch if not d.moved]
    if current is not None:
        back.append(current)
    for claimed in back:
        if claimed.exists():
            _move_unique(claimed, inbox, claimed.name)


def _finish(
    batch: list[_Done], day_folder: Path, inbox: Path, report: Callable[[FileOutcome], None]
) -> None:
    """Archive the files of a committed batch in order, reporting each outcome.

    If archiving (or reporting) fails, the files not yet archived go back to the
    inbox; their rows are stored, so the next run archives them as already read.
    """
    left = list(batch)
    try:
        while left:
            done = left[0]
            moved_to = done.claimed if done.moved else _archive(done.claimed, day_folder)
            left.pop(0)
            report(done.final(moved_to))
    finally:
        for done in left:
            if not done.moved and done.claimed.exists():
                _move_unique(done.claimed, inbox, done.claimed.name)


def _process(
    path: Path,
    original: str,
    *,
    concept: Concept,
    store: Store,
    staged: StagedWorkbooks,
    quarantine: Path,
    today: dt.date,
    limits: Limits,
    editions: Editions | None = None,
    read: _Read | None = None,
) -> _Done:
    """Read one claimed file (unless a reader did) and add it to the store's open batch.

    Unreadable files are quarantined at once; every other file stays in the
    working folder until its batch is committed (see :func:`_finish`).
    """
    if read is None:
        result = read_update_file(path, concept, today=today, limits=limits, editions=editions)
        made: bytes | None = None
    else:
        result, made = read
    if result.unreadable is not None:
        moved = _quarantine(path, quarantine, _reason_text(result, original))
        return _Done(
            moved, original, Outcome.QUARANTINED, problems=(result.unreadable,), moved=True
        )
    if store.has_file(result.content_hash):
        return _Done(path, original, Outcome.DUPLICATE)
    workbook: Path | None = None
    fresh: StagedWorkbook | None = None
    if result.rejected:
        # the partner's feedback exists before anything is committed
        try:
            workbook, fresh = _write_feedback(result, staged, path, concept.statuses, made)
        except _FeedbackFailed as failed:
            log.debug("%s: error workbook failed: %r", original, failed.__cause__)
            problem = Problem.of(Reason.FEEDBACK_FAILED, Location(original))
            moved = _quarantine(path, quarantine, _reason_text(result, original, problem))
            return _Done(moved, original, Outcome.QUARANTINED, problems=(problem,), moved=True)
    if not store.add_file(result):  # on an error the caller discards the batch's feedback
        if fresh is not None:
            staged.drop(fresh)  # another run stored it and wrote its own
        return _Done(path, original, Outcome.DUPLICATE)
    if not result.rejected:
        kind = Outcome.ACCEPTED
    elif result.accepted:
        kind = Outcome.PARTIAL
    else:
        kind = Outcome.REJECTED
    return _Done(
        path,
        original,
        kind,
        len(result.accepted),
        len(result.rejected),
        result.problems,
        workbook,
        fresh,
    )


def _archive(path: Path, day_folder: Path) -> Path:
    try:
        return _move_unique(path, day_folder, path.name)
    except OSError as exc:
        raise FolderError(day_folder.parent, exc, action="Datei archivieren") from exc


def _quarantine(path: Path, quarantine: Path, reason: str) -> Path:
    try:
        moved = _move_unique(path, quarantine, path.name)
    except OSError as exc:
        raise FolderError(quarantine, exc, action="Datei in Quarantäne legen") from exc
    try:
        atomic_write_text(moved.with_name(moved.name + ".grund.txt"), reason, overwrite=False)
    except OSError as exc:
        with contextlib.suppress(OSError):
            moved.replace(path)  # back to the working folder: the caller puts it back
        raise FolderError(quarantine, exc, action="Begründung schreiben") from exc
    return moved


def _workbook_names(path: Path) -> Iterator[str]:
    for n in range(1, 10_000):
        yield fit_name(path.stem, "_Fehler.xlsx" if n == 1 else f"_Fehler_{n}.xlsx")


class _FeedbackFailed(Exception):  # noqa: N818 - internal control flow
    """The error workbook cannot be made from this file's content (a permanent problem)."""


def _write_feedback(
    result: FileResult,
    staged: StagedWorkbooks,
    path: Path,
    scheme: StatusScheme = DEFAULT_SCHEME,
    data: bytes | None = None,
) -> tuple[Path | None, StagedWorkbook | None]:
    """Find (after a killed run) or stage the error workbook: (found, staged now).

    ``data`` is the workbook a reader process made ahead (None: made here).
    """
    outbox = staged.folder
    try:
        outbox.mkdir(parents=True, exist_ok=True)
        found = find_error_workbook(outbox, _workbook_names(path), result.content_hash)
        if found is not None:
            return found, None
        return None, staged.stage(result, _workbook_names(path), scheme, data=data)
    except OSError as exc:
        raise FolderError(outbox, exc, action="Fehlerliste schreiben") from exc
    except Exception as exc:  # a permanent problem of this file's content
        raise _FeedbackFailed from exc


def _reason_text(result: FileResult, original: str, problem: Problem | None = None) -> str:
    problem = problem or result.unreadable
    assert problem is not None  # noqa: S101 - only called for unreadable files
    return (
        f"Datei: {original}\n"
        f"Grund: {problem.message}\n"
        f"Code: {problem.reason.value}\n"
        f"SHA-256: {result.content_hash}\n"
    )
