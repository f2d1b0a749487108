"""Error workbooks: the rejected rows of a file, with the reasons, for the partner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kik_core._cells import write_cell
from kik_core.errors import Problem
from kik_core.ingest._format import SHEET, normalize_header
from kik_core.ingest._read import FileResult

__all__ = ["ERROR_COLUMN", "format_problem", "write_error_workbook"]

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
    """Write the rejected rows of ``result`` to ``path`` (xlsx), with a ``Fehler`` column.

    The sheet is called ``Rückmeldung`` and has the file's own columns, so the
    partner can correct the rows and send the workbook back as it is (the
    ``Fehler`` column is ignored on ingest). Bad cells are filled red and carry a
    comment with the reason; all text is written as text (no formulas).
    The file is written to a temporary name first and then renamed into place.
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
        cell = write_cell(ws, 1, index, name)
        cell.font = bold
        cell.fill = header_fill
    position = {normalize_header(name): i for i, name in enumerate(columns, start=1)}
    for out_row, rejected in enumerate(result.rejected, start=2):
        for index, name in enumerate(columns, start=1):
            write_cell(ws, out_row, index, rejected.values.get(name, ""))
        messages: dict[int, list[str]] = {}
        for problem in rejected.problems:
            column = position.get(normalize_header(problem.location.column or ""))
            if column is not None:
                messages.setdefault(column, []).append(problem.message)
        for column, texts in messages.items():
            bad = ws.cell(row=out_row, column=column)
            bad.fill = bad_fill
            bad.comment = Comment("\n".join(texts), "kik")
        error_cell = write_cell(
            ws, out_row, len(columns) + 1, "\n".join(format_problem(p) for p in rejected.problems)
        )
        error_cell.alignment = wrap
        error_cell.font = Font(color="9C0006")
    for index in range(1, len(columns) + 1):
        ws.column_dimensions[get_column_letter(index)].width = 18
    ws.column_dimensions[get_column_letter(len(columns) + 1)].width = 80
    ws.freeze_panes = "B2"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        workbook.save(tmp)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
