"""The update workbook as partners see it: one layout for templates and error workbooks.

A partner gets the same workbook twice: as the pre-filled template of a round
and, for rows that were rejected, as the error workbook. Both are written here:

* sheet ``Anleitung`` first (prints on one page, row heights set), then
  ``Rückmeldung``;
* a few lines at the top (who it is for, Stichtag and deadline, whom to ask),
  then the header row, found by its names when the file comes back;
* columns in reading order: id, measure text (wide, wrapped), status (dropdown
  from the concept's :class:`~kik_core.model.StatusScheme`), ``Stand am`` (a real date),
  ``Aktueller Stand``, ``Ausblick``, ``Institution``; an error workbook adds
  ``Hinweis`` (the reasons) right after them;
* goal rows bold and tinted, their measures grouped below them (outline);
* landscape, fit to the page width, header row repeated on every page,
  frozen panes; the sheet is protected without password, only ids, texts and
  hints are locked.

The module only lays out rows it is given (:class:`SheetRow`); what goes into
them is decided by :mod:`._templates` and :mod:`._errorbook`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import attrs
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.header_footer import HeaderFooterItem, _HeaderFooterPart
from openpyxl.worksheet.properties import Outline, PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from kik_core._cells import clean_text, write_cell
from kik_core.ingest._format import (
    COL_CURRENT,
    COL_DATE,
    COL_ID,
    COL_OUTLOOK,
    COL_PARTNER,
    COL_STATUS,
    SHEET,
)
from kik_core.model import DEFAULT_SCHEME, StatusScheme

__all__ = [
    "HINT_COLUMN",
    "INSTRUCTIONS_SHEET",
    "LAYOUT",
    "TEXT_COLUMN",
    "SheetRow",
    "status_labels",
    "update_workbook",
]

#: The read-only orientation column (kept as a note on ingest, like any extra column).
TEXT_COLUMN = "Maßnahme (Text, nur zur Orientierung)"
#: The column of an error workbook with the reasons (ignored when the file comes back).
HINT_COLUMN = "Hinweis"
#: The instruction sheet, the first sheet of the workbook.
INSTRUCTIONS_SHEET = "Anleitung"
#: The columns of the partner's workbook in reading order, with their widths.
LAYOUT: tuple[tuple[str, int], ...] = (
    (COL_ID, 12),
    (TEXT_COLUMN, 46),
    (COL_STATUS, 15),
    (COL_DATE, 11),
    (COL_CURRENT, 38),
    (COL_OUTLOOK, 34),
    (COL_PARTNER, 16),
)
_HINT_WIDTH = 40
_EXTRA_WIDTH = 18
#: Spare editable rows below the pre-filled ones, for rows the partner adds.
SPARE_ROWS = 15
_WRAPPED = frozenset({TEXT_COLUMN, COL_CURRENT, COL_OUTLOOK, COL_PARTNER, HINT_COLUMN})

_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_GOAL_FILL = PatternFill("solid", fgColor="DDEBF7")
_LOCKED_FILL = PatternFill("solid", fgColor="F2F2F2")
_BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
#: The workbook's body font (named styles need it spelled out, or they fall back to a serif).
_BODY = "Calibri"
_HINT_FONT = Font(name=_BODY, size=11, color="9C0006")
_THIN = Side(style="thin", color="BFBFBF")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_TOP = Alignment(wrap_text=True, vertical="top")
#: Points per text line at the body font size (10 pt).
_LINE_HEIGHT = 13.0


def status_labels(scheme: StatusScheme = DEFAULT_SCHEME) -> tuple[str, ...]:
    """The values of the status dropdown: the labels of the concept's ``scheme``, in order.

    >>> status_labels()
    ('wartend', 'in Bearbeitung', 'implementiert')
    """
    return scheme.labels


def _either(labels: Sequence[str]) -> str:
    """``wartend, in Bearbeitung oder implementiert``: the labels for a German sentence."""
    *first, last = labels
    return f"{', '.join(first)} oder {last}" if first else last


@attrs.frozen
class SheetRow:
    """One row of the ``Rückmeldung`` sheet.

    Attributes:
        values: cell values by column name (layout columns and extra columns).
        is_goal: a goal row (bold, tinted; status locked unless it needs fixing).
        problems: messages by column name, shown as fill and comment on that
            cell (error workbooks); ``""`` collects messages without a column.
        hint: the text of the ``Hinweis`` column (error workbooks).
    """

    values: Mapping[str, str | dt.date | None]
    is_goal: bool = False
    problems: Mapping[str, Sequence[str]] = attrs.field(factory=dict)
    hint: str = ""


def _lines_needed(text: str, width: float) -> int:
    chars = max(width * 1.1, 1.0)  # characters per line at 10 pt in a column of ``width``
    return sum(max(1, math.ceil(len(part) / chars)) for part in text.split("\n"))


#: The width of the ``Anleitung`` sheet's one column.
_INSTRUCTIONS_WIDTH = 80


def instruction_height(row: int, text: str) -> float:
    """The height (points) of row ``row`` of the ``Anleitung`` sheet holding ``text``."""
    lines = _lines_needed(text, _INSTRUCTIONS_WIDTH * 0.95) if text else 1
    return lines * (19 if row == 1 else 15) + 2


def sheet_columns(
    extra_columns: Sequence[str] = (), *, hints: bool = False
) -> list[tuple[str, int]]:
    """The columns of the ``Rückmeldung`` sheet with their widths, in order."""
    columns = [(name, width) for name, width in LAYOUT]
    if hints:
        columns.append((HINT_COLUMN, _HINT_WIDTH))
    columns.extend((name, _EXTRA_WIDTH) for name in extra_columns)
    return columns


def text_lines(name: str, value: object, width: float) -> int:
    """The lines the value of column ``name`` takes in a data row (1 unless wrapped text)."""
    if isinstance(value, str) and name in _WRAPPED:
        return _lines_needed(value, width)
    return 1


def _instructions(
    workbook: Workbook, heading: str, paragraphs: Sequence[str], top: Sequence[str]
) -> None:
    sheet = workbook.create_sheet(INSTRUCTIONS_SHEET, 0)
    sheet.column_dimensions["A"].width = _INSTRUCTIONS_WIDTH
    texts = [heading, *top, "", *paragraphs]
    for row, text in enumerate(texts, 1):
        cell = write_cell(sheet, row, 1, text or None)
        cell.alignment = _TOP
        size = 14 if row == 1 else 11
        if row == 1:
            cell.font = Font(name=_BODY, bold=True, size=size)
        # explicit heights: LibreOffice and Excel do not grow rows of generated files
        sheet.row_dimensions[row].height = instruction_height(row, text)
    sheet.page_setup.orientation = "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_options.gridLines = False
    sheet.page_margins.left = sheet.page_margins.right = 0.6
    sheet.protection.sheet = True


def update_workbook(
    rows: Sequence[SheetRow],
    *,
    top: Sequence[str],
    heading: str,
    instructions: Sequence[str],
    extra_columns: Sequence[str] = (),
    hints: bool = False,
    spare_rows: int = SPARE_ROWS,
    scheme: StatusScheme = DEFAULT_SCHEME,
) -> Workbook:
    """Lay out an update workbook (see the module docs); the caller saves it.

    Args:
        rows: the data rows, in order (goal rows before their measures).
        top: lines above the header row (title, Stichtag and deadline, contact).
        heading: the title of the ``Anleitung`` sheet.
        instructions: the paragraphs of the ``Anleitung`` sheet.
        extra_columns: further columns of the partner's own (kept, editable).
        hints: add the ``Hinweis`` column (error workbooks).
        spare_rows: empty editable rows below the data, for rows the partner adds.
        scheme: the concept's status scheme (the values of the status dropdown).
    """
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # noqa: S101 - a new workbook always has a sheet
    ws.title = SHEET
    columns = sheet_columns(extra_columns, hints=hints)
    names = [name for name, _width in columns]
    index = {name: i for i, name in enumerate(names, start=1)}

    for row, text in enumerate(top, start=1):
        cell = write_cell(ws, row, 1, text)
        cell.font = Font(name=_BODY, bold=row == 1, size=14 if row == 1 else 11)
        ws.row_dimensions[row].height = 20 if row == 1 else 15
    header_row = len(top) + 2
    for name, column in index.items():
        cell = write_cell(ws, header_row, column, name)
        cell.font = Font(name=_BODY, bold=True, color="FFFFFF")
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        cell.border = _GRID
    ws.row_dimensions[header_row].height = 30

    first = header_row + 1
    for number, line in enumerate(rows, start=first):
        _write_row(ws, number, line, index, dict(columns))
    last = first + len(rows) - 1
    for number in range(last + 1, last + 1 + spare_rows):
        for name, column in index.items():
            spare = ws.cell(row=number, column=column)
            spare.protection = Protection(locked=name in (TEXT_COLUMN, HINT_COLUMN))
            spare.border = _GRID
            spare.alignment = _TOP
            if name == COL_DATE:
                spare.number_format = "DD.MM.YYYY"
    end = last + spare_rows

    status = get_column_letter(index[COL_STATUS])
    labels = status_labels(scheme)
    choose = DataValidation(
        type="list",
        formula1=f'"{",".join(labels)}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error=f"Bitte wählen Sie: {_either(labels)}.",
    )
    choose.add(f"{status}{first}:{status}{end}")
    ws.add_data_validation(choose)
    date = get_column_letter(index[COL_DATE])
    dated = DataValidation(
        type="date",
        operator="greaterThanOrEqual",
        formula1="36526",  # 01.01.2000 as a spreadsheet serial number
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Stand am",
        error="Bitte ein Datum eintragen (TT.MM.JJJJ).",
    )
    dated.add(f"{date}{first}:{date}{end}")
    ws.add_data_validation(dated)

    for name, column in index.items():
        ws.column_dimensions[get_column_letter(column)].width = dict(columns)[name]
    ws.freeze_panes = ws.cell(row=first, column=index[COL_STATUS]).coordinate
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.sheet_properties.outlinePr = Outline(summaryBelow=False, summaryRight=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    ws.oddFooter = HeaderFooterItem(center=_HeaderFooterPart(text="Seite &P von &N"))
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = False
    ws.protection.deleteRows = False
    _instructions(workbook, heading, instructions, top)
    workbook.active = 0
    return workbook


def _write_row(
    ws: Worksheet,
    number: int,
    line: SheetRow,
    index: Mapping[str, int],
    widths: Mapping[str, int],
) -> None:
    lines = 1
    for name, column in index.items():
        value = cell_value(line, name)
        messages = line.problems.get(name, ())
        kind, editable = cell_kind(line, name, value)
        ws.cell(row=number, column=column).style = _style(ws, kind, editable=editable)
        cell = write_cell(ws, number, column, value)  # after the style: keeps the quote prefix
        if messages:
            cell.comment = Comment(comment_text(messages), "kik", width=300, height=120)
        lines = max(lines, text_lines(name, value, widths[name]))
    ws.row_dimensions[number].height = row_height(lines)
    if not line.is_goal:
        ws.row_dimensions[number].outlineLevel = 1


def cell_value(line: SheetRow, name: str) -> str | dt.date | None:
    """The value of ``line`` in column ``name`` as written (text cleaned, empty text None)."""
    value = line.hint if name == HINT_COLUMN else line.values.get(name)
    if isinstance(value, str):
        value = clean_text(value) or None
    return value


def comment_text(messages: Sequence[str]) -> str:
    """The comment on a cell with problems: its messages, one per line."""
    return clean_text("\n".join(messages))


def row_height(lines: int) -> float:
    """The height (points) of a data row with ``lines`` lines of text."""
    return lines * _LINE_HEIGHT + 3


def cell_kind(line: SheetRow, name: str, value: object) -> tuple[str, bool]:
    """(kind, editable) of the cell of ``line`` in column ``name`` (see :func:`style_name`)."""
    messages = line.problems.get(name, ())
    if name in (TEXT_COLUMN, HINT_COLUMN):
        editable = False
    elif name == COL_ID:
        editable = bool(messages)  # a wrong id may be corrected
    elif name == COL_STATUS and line.is_goal:
        editable = bool(messages or value)  # goals have no status
    else:
        editable = True  # inputs and the partner's own columns
    if messages:
        kind = "bad"
    elif line.is_goal:
        kind = "goal-title" if name in (COL_ID, TEXT_COLUMN) else "goal"
    else:
        kind = "locked" if not editable else "input"
    if name == HINT_COLUMN:
        kind += "-hint"
    elif name == COL_DATE:
        kind += "-date"
    return kind, editable


#: Every kind of data cell (see :func:`cell_kind`).
CELL_KINDS = tuple(
    f"{base}{suffix}"
    for base in ("bad", "goal", "goal-title", "locked", "input")
    for suffix in ("", "-hint", "-date")
)


def style_name(kind: str, *, editable: bool) -> str:
    """The name of the named cell style of ``kind`` (shown in Excel's list of styles)."""
    words = [_STYLE_WORDS[part] for part in kind.split("-")]
    return " ".join(["kik", *words, *([] if editable else ["gesperrt"])])


_STYLE_WORDS = {
    "bad": "Fehler",
    "goal": "Ziel",
    "title": "Titel",
    "locked": "Text",
    "input": "Eingabe",
    "hint": "Hinweis",
    "date": "Datum",
}
_FILLS = {"bad": _BAD_FILL, "goal": _GOAL_FILL, "goal-title": _GOAL_FILL, "locked": _LOCKED_FILL}


def _style(ws: Worksheet, kind: str, *, editable: bool) -> str:
    """The name of the cell style for ``kind`` (made once per workbook: styling cell by
    cell costs openpyxl a hash of every style part, 10 s for 5000 rows)."""
    # the name shows in Excel's list of cell styles: German
    name = style_name(kind, editable=editable)
    workbook = ws.parent
    assert workbook is not None  # noqa: S101 - a sheet of a workbook
    if name not in workbook.named_styles:
        base = kind.removesuffix("-hint").removesuffix("-date")
        style = NamedStyle(
            name=name,
            font=_HINT_FONT
            if kind.endswith("-hint")
            else Font(name=_BODY, size=11, bold=base == "goal-title"),
            fill=_FILLS.get(base, PatternFill()),
            border=_GRID,
            alignment=_TOP,
            protection=Protection(locked=not editable),
            number_format="DD.MM.YYYY" if kind.endswith("-date") else "General",
        )
        workbook.add_named_style(style)
    return name
