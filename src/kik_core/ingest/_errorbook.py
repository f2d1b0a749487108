"""Error workbooks: the rejected rows of a file, with the reasons, for the partner."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kik_core._atomic import atomic_write_bytes
from kik_core._cells import clean_text, write_cell
from kik_core.errors import Problem
from kik_core.ingest._format import SHEET, normalize_header
from kik_core.ingest._read import FileResult

__all__ = [
    "ERROR_COLUMN",
    "error_workbook_bytes",
    "find_error_workbook",
    "format_problem",
    "write_error_workbook",
    "write_error_workbook_unique",
]

ERROR_COLUMN = "Fehler"
_BAD_FILL = "FFC7CE"
_HEADER_FILL = "DDEBF7"


def format_problem(problem: Problem) -> str:
    """One problem as a line for the partner: ``Zeile 7, Spalte Status: …``."""
    where = []
    if problem.location.row is not None:
        where.append(f"Zeile {problem.location.row}")
    if problem.location.column:
        where.append(f"Spalte {problem.location.column}")
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


def write_error_workbook(result: FileResult, path: Path) -> Path:
    """Write the rejected rows of ``result`` to ``path`` atomically.

    See :func:`error_workbook_bytes` for the content.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, error_workbook_bytes(result))
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


def write_error_workbook_unique(result: FileResult, folder: Path, names: Iterable[str]) -> Path:
    """Write the error workbook under the first of ``names`` not taken in ``folder``.

    Never overwrites a file (the office may have edited an earlier one); the
    file appears complete or not at all.

    Raises:
        OSError: the folder cannot be written (read-only, full).
    """
    data = error_workbook_bytes(result)
    for name in names:
        try:
            return atomic_write_bytes(folder / name, data, overwrite=False)
        except FileExistsError:
            continue
    raise FileExistsError(f"no free error workbook name in {folder}")  # pragma: no cover


def error_workbook_bytes(result: FileResult) -> bytes:
    """Write the rejected rows of ``result`` to ``path`` (xlsx), with a ``Fehler`` column.

    The sheet is called ``Rückmeldung`` and has the file's own columns, so the
    partner can correct the rows and send the workbook back as it is (the
    ``Fehler`` column is ignored on ingest). Bad cells are filled red and carry a
    comment with the reason; all text is written as text (no formulas), without
    control characters. The file's content hash is kept in the document's
    identifier, so a rerun recognises its own feedback.
    """
    columns = list(result.columns or (result.rejected[0].values if result.rejected else ()))
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # noqa: S101 - a new workbook always has a sheet
    ws.title = SHEET
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=_HEADER_FILL)
    bad_fill = PatternFill("solid", fgColor=_BAD_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, name in enumerate([*columns, ERROR_COLUMN], start=1):
        cell = write_cell(ws, 1, index, clean_text(name))
        cell.font = bold
        cell.fill = header_fill
    position = {normalize_header(name): i for i, name in enumerate(columns, start=1)}
    for out_row, rejected in enumerate(result.rejected, start=2):
        for index, name in enumerate(columns, start=1):
            write_cell(ws, out_row, index, clean_text(rejected.values.get(name, "")))
        messages: dict[int, list[str]] = {}
        for problem in rejected.problems:
            column = position.get(normalize_header(problem.location.column or ""))
            if column is not None:
                messages.setdefault(column, []).append(problem.message)
        for column, texts in messages.items():
            bad = ws.cell(row=out_row, column=column)
            bad.fill = bad_fill
            bad.comment = Comment(clean_text("\n".join(texts)), "kik")
        error_cell = write_cell(
            ws,
            out_row,
            len(columns) + 1,
            clean_text("\n".join(format_problem(p) for p in rejected.problems)),
        )
        error_cell.alignment = wrap
        error_cell.font = Font(color="9C0006")
    for index in range(1, len(columns) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 18
    ws.column_dimensions[get_column_letter(len(columns) + 1)].width = 80
    ws.freeze_panes = "B2"
    workbook.properties.identifier = _marker(result.content_hash)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
