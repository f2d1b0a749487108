"""Process an inbox folder: claim, read, store, archive or quarantine every file.

Each file is claimed by renaming it atomically into a working folder
``inbox/.in-arbeit/<run>/`` first, so two ingests running at once never
process the same file; the store refuses a second copy of the same content
(unique content hash), so nothing is stored twice.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kik_core.errors import Problem
from kik_core.ingest._errorbook import format_problem, write_error_workbook
from kik_core.ingest._guard import Limits
from kik_core.ingest._read import FileResult, local_today, read_update_file
from kik_core.model import Concept

if TYPE_CHECKING:
    from kik_core.store import Store

__all__ = ["WORK_DIR", "FileOutcome", "IngestSummary", "Outcome", "inbox_files", "ingest_inbox"]

log = logging.getLogger("kik_core.ingest")

#: The working folder inside the inbox where files are claimed.
WORK_DIR = ".in-arbeit"


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
    """The outcomes of one inbox run."""

    files: tuple[FileOutcome, ...]

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


def inbox_files(inbox: Path) -> list[Path]:
    """The files waiting in ``inbox``, by name; dotfiles, ``~$`` lock files and folders skipped."""
    if not inbox.is_dir():
        return []
    return sorted(
        (p for p in inbox.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))),
        key=lambda p: p.name,
    )


def _move_unique(source: Path, folder: Path, name: str) -> Path:
    """Move ``source`` into ``folder`` as ``name``, adding ``_2``, ``_3`` … if taken.

    Never overwrites: a hard link (or an exclusive create and copy across file
    systems) reserves the target name before the source is removed.
    """
    folder.mkdir(parents=True, exist_ok=True)
    stem, suffix = Path(name).stem, Path(name).suffix
    for n in range(1, 10_000):
        target = folder / (name if n == 1 else f"{stem}_{n}{suffix}")
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        except OSError:
            try:
                with target.open("xb") as out, source.open("rb") as src:
                    shutil.copyfileobj(src, out)
            except FileExistsError:
                continue
        source.unlink()
        return target
    raise FileExistsError(f"no free name for {name} in {folder}")  # pragma: no cover


def _claim(path: Path, work: Path) -> Path | None:
    """Atomically take ``path`` from the inbox; None if another ingest was faster."""
    target = work / path.name
    try:
        path.replace(target)
    except FileNotFoundError:
        return None
    return target


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
) -> IngestSummary:
    """Ingest every file in ``inbox`` (sorted by name; dotfiles and ``~$`` lock files ignored).

    Readable files: accepted rows go into ``store`` (one transaction per file),
    the file moves to ``archive/<YYYY-MM-DD>/``, and rejected rows are written to
    an error workbook ``outbox/<stem>_Fehler.xlsx``. Unreadable files move to
    ``quarantine/`` with ``<name>.grund.txt`` beside them. A file whose content
    is already stored is archived as a duplicate. Nothing is ever deleted or
    overwritten.

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
        on_file: called with each file's outcome as soon as it is known.

    Raises:
        StoreError: the store failed; the file being processed is put back.
    """
    today = today or local_today()
    work = inbox / WORK_DIR / f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    work.mkdir(parents=True, exist_ok=True)
    day_folder = archive / today.isoformat()
    outcomes: list[FileOutcome] = []
    try:
        for path in inbox_files(inbox):
            claimed = _claim(path, work)
            if claimed is None:
                log.debug("%s was taken by another ingest", path.name)
                continue
            try:
                outcome = _process(
                    claimed,
                    concept=concept,
                    store=store,
                    day_folder=day_folder,
                    quarantine=quarantine,
                    outbox=outbox,
                    today=today,
                    limits=limits,
                )
            except BaseException:
                # put the file back so that nothing is lost; the next run retries it
                if claimed.exists():
                    _move_unique(claimed, inbox, claimed.name)
                raise
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
    finally:
        try:
            work.rmdir()
        except OSError:
            log.warning("Dateien in %s geblieben: bitte prüfen", work)
    return IngestSummary(tuple(outcomes))


def _process(
    path: Path,
    *,
    concept: Concept,
    store: Store,
    day_folder: Path,
    quarantine: Path,
    outbox: Path,
    today: dt.date,
    limits: Limits,
) -> FileOutcome:
    result = read_update_file(path, concept, today=today, limits=limits)
    if result.unreadable is not None:
        moved = _move_unique(path, quarantine, path.name)
        reason = moved.with_name(moved.name + ".grund.txt")
        reason.write_text(_reason_text(result), encoding="utf-8")
        return FileOutcome(path.name, Outcome.QUARANTINED, 0, 0, (result.unreadable,), None, moved)
    if store.has_file(result.content_hash) or not store.add_file(result):
        moved = _move_unique(path, day_folder, path.name)
        return FileOutcome(path.name, Outcome.DUPLICATE, 0, 0, (), None, moved)
    workbook = None
    if result.rejected:
        workbook = _error_workbook_path(outbox, path)
        write_error_workbook(result, workbook)
    moved = _move_unique(path, day_folder, path.name)
    if not result.rejected:
        kind = Outcome.ACCEPTED
    elif result.accepted:
        kind = Outcome.PARTIAL
    else:
        kind = Outcome.REJECTED
    return FileOutcome(
        path.name,
        kind,
        len(result.accepted),
        len(result.rejected),
        result.problems,
        workbook,
        moved,
    )


def _error_workbook_path(outbox: Path, path: Path) -> Path:
    outbox.mkdir(parents=True, exist_ok=True)
    for n in range(1, 10_000):
        name = f"{path.stem}_Fehler.xlsx" if n == 1 else f"{path.stem}_Fehler_{n}.xlsx"
        candidate = outbox / name
        try:
            candidate.open("xb").close()  # reserve the name
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"no free error workbook name for {path.name}")  # pragma: no cover


def _reason_text(result: FileResult) -> str:
    problem = result.unreadable
    assert problem is not None  # noqa: S101 - only called for unreadable files
    return (
        f"Datei: {result.path.name}\n"
        f"Grund: {problem.message}\n"
        f"Code: {problem.reason.value}\n"
        f"SHA-256: {result.content_hash}\n"
    )
