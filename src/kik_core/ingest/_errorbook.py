"""Error workbooks: the rejected rows of a file, with the reasons, for the partner."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import itertools
import os
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kik_core._atomic import DEFAULT_MODE, atomic_write_bytes, fsync_dir, fsync_files, temp_path
from kik_core._cells import clean_text, parse_date
from kik_core.errors import Problem
from kik_core.ingest._format import (
    COL_DATE,
    COL_ID,
    COLUMNS,
    IGNORED_COLUMNS,
    SHEET,
    normalize_header,
)
from kik_core.ingest._read import FileResult, RejectedRow
from kik_core.ingest._rules import normalize_id
from kik_core.model import DEFAULT_SCHEME, StatusScheme, is_goal_id

if TYPE_CHECKING:
    from kik_core.ingest._sheet import SheetRow

__all__ = [
    "ERROR_COLUMN",
    "StagedWorkbook",
    "StagedWorkbooks",
    "error_workbook_bytes",
    "find_error_workbook",
    "format_problem",
    "reference_error_workbook",
    "write_error_workbook",
    "write_error_workbook_unique",
]

#: The column with the reasons (``Fehler`` in workbooks of earlier versions; the
#: ``Hinweis`` column of :mod:`kik_core.ingest._sheet`, which imports openpyxl).
ERROR_COLUMN = "Hinweis"


def format_problem(problem: Problem) -> str:
    """One problem as a line for the partner: ``Zeile 7, Spalte Status: …``."""
    where = []
    if problem.location.row is not None:
        where.append(f"Zeile {problem.location.row}")
    if problem.location.column:
        where.append(f"Spalte {problem.location.column}")
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


def write_error_workbook(
    result: FileResult, path: Path, scheme: StatusScheme = DEFAULT_SCHEME
) -> Path:
    """Write the rejected rows of ``result`` to ``path`` atomically.

    See :func:`error_workbook_bytes` for the content; ``scheme`` is the concept's.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, error_workbook_bytes(result, scheme))
    return path


def _marker(content_hash: str) -> str:
    return f"kik-fehlerliste:{content_hash}"


def find_error_workbook(folder: Path, names: Iterable[str], content_hash: str) -> Path | None:
    """The error workbook already written for the file with ``content_hash``, if any.

    A run killed after writing the feedback but before storing the rows wrote it;
    the rerun finds it here instead of writing a second one.
    """
    marker = _marker(content_hash).encode()
    for name in names:
        candidate = folder / name
        if not candidate.is_file():
            return None  # names are tried in order; the first gap ends the series
        try:
            with zipfile.ZipFile(candidate) as archive:
                if marker in archive.read("docProps/core.xml"):
                    return candidate
        except (OSError, KeyError, zipfile.BadZipFile, ValueError):
            continue
    return None


def write_error_workbook_unique(
    result: FileResult,
    folder: Path,
    names: Iterable[str],
    scheme: StatusScheme = DEFAULT_SCHEME,
) -> Path:
    """Write the error workbook under the first of ``names`` not taken in ``folder``.

    Never overwrites a file (the office may have edited an earlier one); the
    file appears complete or not at all.

    Raises:
        OSError: the folder cannot be written (read-only, full).
    """
    data = error_workbook_bytes(result, scheme)
    for name in names:
        try:
            return atomic_write_bytes(folder / name, data, overwrite=False)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free error workbook name in {folder}")  # pragma: no cover


@attrs.define
class StagedWorkbook:
    """An error workbook of a batch: its temp file, then (placed) its final path."""

    temp: Path
    names: Iterator[str]
    path: Path | None = None


class StagedWorkbooks:
    """The error workbooks of one ingest batch: written now, put in place together.

    Writing one workbook atomically costs two flushes to disk (the file, its
    folder); a batch pays them once (issue 16). :meth:`stage` writes a workbook
    to a temp file beside its final name; :meth:`place` flushes every temp file,
    links each under the first of its names not taken (never overwriting, like
    :func:`write_error_workbook_unique`) and flushes the folder once;
    :meth:`discard` removes whatever the batch wrote. So a workbook appears
    complete or not at all, and is on disk before the batch's rows are committed
    (the caller places before it commits).
    """

    def __init__(self, folder: Path) -> None:
        """Stage workbooks for ``folder``."""
        self.folder = folder
        self._items: list[StagedWorkbook] = []

    def stage(
        self,
        result: FileResult,
        names: Iterable[str],
        scheme: StatusScheme = DEFAULT_SCHEME,
        *,
        data: bytes | None = None,
    ) -> StagedWorkbook:
        """Write the error workbook of ``result`` to a temp file (placed by :meth:`place`).

        ``data`` is the workbook made ahead (:func:`error_workbook_bytes`, e.g. in
        a reader process); made here when None.

        Raises:
            OSError: the folder cannot be written (read-only, full).
            Exception: the workbook cannot be made from this content (any other error).
        """
        if data is None:
            data = error_workbook_bytes(result, scheme)
        candidates = iter(names)
        first = next(candidates)
        temp = temp_path(self.folder / first)
        try:
            with temp.open("xb") as handle:
                handle.write(data)
            with contextlib.suppress(OSError):
                temp.chmod(DEFAULT_MODE)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        item = StagedWorkbook(temp, itertools.chain([first], candidates))
        self._items.append(item)
        return item

    def place(self) -> None:
        """Flush the staged workbooks, give each its name, flush the folder.

        Raises:
            OSError: a file cannot be flushed or linked; what was placed stays
                (call :meth:`discard` to remove it).
        """
        waiting = [item for item in self._items if item.path is None]
        fsync_files([item.temp for item in waiting], self.folder)
        for item in waiting:
            for name in item.names:
                try:
                    os.link(item.temp, self.folder / name)
                except FileExistsError:
                    continue
                item.path = self.folder / name
                break
            else:  # pragma: no cover - 10,000 names taken
                raise FileExistsError(f"no free error workbook name in {self.folder}")
            item.temp.unlink()
        if waiting:
            fsync_dir(self.folder)

    def drop(self, item: StagedWorkbook) -> None:
        """Remove one staged (or placed) workbook."""
        for path in (item.temp, item.path):
            if path is not None:
                with contextlib.suppress(OSError):
                    path.unlink(missing_ok=True)
        with contextlib.suppress(ValueError):
            self._items.remove(item)

    def discard(self) -> None:
        """Remove every workbook of the batch (nothing of it was committed)."""
        for item in list(self._items):
            self.drop(item)


def error_workbook_bytes(result: FileResult, scheme: StatusScheme = DEFAULT_SCHEME) -> bytes:
    """The error workbook of ``result`` (xlsx): the partner's template, only the rejected rows.

    The layout is the template's (:mod:`kik_core.ingest._sheet`): Anleitung,
    dropdowns, protection, real dates. Each rejected row is one row; the cells
    a problem concerns are filled red and carry the reason as a comment, the
    ``Hinweis`` column beside the inputs lists every reason of the row and, last,
    the row of the partner's original file. Columns of the partner's own are
    kept. Corrected and sent back as it is, the workbook is read like any
    update file (the ``Hinweis`` column is ignored). All text is written as
    text (no formulas), without control characters. The file's content hash
    is kept in the document's identifier, so a rerun recognises its own feedback.

    Written by :mod:`kik_core.ingest._leanbook` from a skeleton that openpyxl
    makes once per scheme and set of extra columns (issue 16); the workbook is
    the one :func:`reference_error_workbook` builds cell by cell.
    """
    from kik_core.ingest._leanbook import lean_workbook_bytes  # noqa: PLC0415 - openpyxl

    name, rows, extra = _layout(result)
    return lean_workbook_bytes(
        _build,
        rows,
        name=name,
        title=_title(name),
        extra=extra,
        scheme=scheme,
        identifier=_marker(result.content_hash),
    )


def reference_error_workbook(result: FileResult, scheme: StatusScheme = DEFAULT_SCHEME) -> bytes:
    """The error workbook of ``result`` built cell by cell with openpyxl (the reference).

    :func:`error_workbook_bytes` writes the same workbook faster; tests compare the two.
    """
    name, rows, extra = _layout(result)
    return _build(name, rows, tuple(extra), scheme, _marker(result.content_hash), None)


def _title(name: str) -> str:
    return f"Rückmeldung: zu korrigierende Zeilen aus „{name}“"


def _layout(result: FileResult) -> tuple[str, list[SheetRow], list[str]]:
    """(file name, rows, extra columns) of the error workbook of ``result``."""
    from kik_core.ingest._sheet import HINT_COLUMN, LAYOUT  # noqa: PLC0415 - openpyxl

    canonical = {normalize_header(name): name for name, _width in LAYOUT}
    skip = {normalize_header(name) for name in (*IGNORED_COLUMNS, HINT_COLUMN)}
    columns = list(result.columns or (result.rejected[0].values if result.rejected else ()))
    extra = [
        name
        for name in columns
        if normalize_header(name) not in canonical and normalize_header(name) not in skip
    ]
    rows = [_row(rejected, canonical, extra) for rejected in result.rejected]
    return clean_text(result.name), rows, extra


def _build(  # noqa: PLR0917 - the lean writer's Builder signature
    name: str,
    rows: Sequence[SheetRow],
    extra: tuple[str, ...],
    scheme: StatusScheme,
    identifier: str,
    probe: Callable[[object], None] | None,
) -> bytes:
    """The error workbook laid out by openpyxl (see :func:`error_workbook_bytes`)."""
    from kik_core.ingest._sheet import update_workbook  # noqa: PLC0415 - openpyxl
    from kik_core.ingest._templates import instructions  # noqa: PLC0415 - openpyxl

    workbook = update_workbook(
        rows,
        top=[
            _title(name),
            "Bitte korrigieren Sie die rot markierten Zellen (Grund in der Spalte „Hinweis“) "
            "und senden Sie die Datei zurück. Alle anderen Zeilen sind angenommen.",
        ],
        heading="Anleitung: zu korrigierende Zeilen Ihrer Rückmeldung",
        instructions=instructions(error_workbook=True, scheme=scheme),
        extra_columns=extra,
        hints=True,
        spare_rows=0,
        scheme=scheme,
    )
    if probe is not None:
        probe(workbook[SHEET])
    workbook.properties.identifier = identifier
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(rejected: RejectedRow, canonical: dict[str, str], extra: list[str]) -> SheetRow:
    from kik_core.ingest._sheet import TEXT_COLUMN, SheetRow  # noqa: PLC0415 - openpyxl

    values: dict[str, str | dt.date | None] = {}
    for column, text in rejected.values.items():
        key = normalize_header(column)
        target = canonical.get(key) or (column if column in extra else None)
        if target is not None and target not in values:
            values[target] = text
    date = parse_date(values.get(COL_DATE))
    if date is not None:
        values[COL_DATE] = date  # a real date again, as in the template
    known = {normalize_header(c): c for c in (*COLUMNS, TEXT_COLUMN, *extra)}
    problems: dict[str, list[str]] = {}
    hints: list[str] = []
    for problem in rejected.problems:
        where = known.get(normalize_header(problem.location.column or ""))
        if where is not None:
            problems.setdefault(where, []).append(problem.message)
            hints.append(f"{where}: {problem.message}")
        else:
            hints.append(problem.message)
    hints.append(f"(Zeile {rejected.row} Ihrer Datei)")
    target = normalize_id(str(values.get(COL_ID) or ""))
    return SheetRow(values, is_goal=is_goal_id(target), problems=problems, hint="\n".join(hints))
