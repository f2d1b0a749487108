"""Spreadsheet cells: the text a user sees in one, dates in it, and safe writing.

Shared by the concept workbook and the partner files (ingest, error workbooks,
templates). Imports nothing heavy: openpyxl only when a cell is written.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from kik_core import _locale

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = [
    "FORMULA_PREFIXES",
    "cell_text",
    "clean_text",
    "clean_value",
    "format_date",
    "parse_date",
    "write_cell",
]

#: Leading characters that make Excel or LibreOffice read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_cell(ws: Worksheet, row: int, column: int, value: str | float | dt.date | None) -> Cell:
    """Write ``value`` as a plain value: text never becomes a formula.

    Text starting with ``=``, ``+``, ``-`` or ``@`` is stored as a string cell with
    the quote-prefix style, so spreadsheet programs show it and never evaluate it.
    Characters no XML document can hold (control characters pasted from other
    programs, lone surrogates, the non-characters U+FFFE and U+FFFF) are dropped:
    openpyxl and lxml would refuse the whole workbook for them.
    """
    from openpyxl.cell.cell import Cell

    cell = ws.cell(row=row, column=column)
    if not isinstance(cell, Cell):
        raise TypeError(f"cell {row},{column} is part of a merged range")
    if isinstance(value, str) and not value.isprintable():
        value = _NOT_XML.sub("", value)
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    return cell


#: Characters no document format can hold (XML 1.0 forbids them, openpyxl and
#: python-docx refuse them) plus C1 controls and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: Characters XML 1.0 forbids (tab, line feed and carriage return are allowed).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Excel's escaped form of a control character in a cell, e.g. ``_x000B_``.
_EXCEL_ESCAPE = re.compile(r"_x(00[01][0-9A-Fa-f]|007[Ff]|00[89][0-9A-Fa-f])_")


def clean_text(text: str) -> str:
    """Remove control characters (also Excel's ``_x000B_`` form) from a text read from a file.

    Line breaks stay (``\r\n`` and ``\r`` become ``\n``), tabs and vertical tabs
    become spaces; everything else a document cannot hold is dropped.

    >>> clean_text("Läuft\x0bgut_x000B_.\r\nWeiter\x00")
    'Läuft gut .\nWeiter'
    """
    if "_x" in text:
        text = _EXCEL_ESCAPE.sub(" ", text)
    if text.isprintable():
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\t", " ").replace("\x0b", " ").replace("\x0c", " ")
    return _CONTROL.sub("", text)


def clean_value(value: object) -> object:
    """:func:`clean_text` for text cells; other values pass unchanged."""
    return clean_text(value) if isinstance(value, str) else value


_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


def format_date(value: dt.date) -> str:
    """A date as partners write it: ``30.09.2023`` (:func:`kik_core._locale.format_date`)."""
    return _locale.format_date(value)


def cell_text(value: object) -> str:
    """The text a partner sees in a cell, for any value a reader returns.

    >>> cell_text(3.0), cell_text(dt.date(2024, 3, 1)), cell_text(None)
    ('3', '01.03.2024', '')
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return format_date(value.date())
        return f"{format_date(value.date())} {_locale.format_time(value)}"
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, dt.time):
        return _locale.format_time(value)
    return str(value)


def parse_date(value: object) -> dt.date | None:
    """Parse a ``Stand am`` cell: a spreadsheet date, ``dd.mm.yyyy`` or ISO ``yyyy-mm-dd``.

    Returns None when the value is not a valid date (an empty cell included).

    >>> parse_date("1.3.2024"), parse_date("2024-03-01"), parse_date("2024-02-30")
    (datetime.date(2024, 3, 1), datetime.date(2024, 3, 1), None)
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if m := _GERMAN_DATE.match(text):
            return dt.date(int(m[3]), int(m[2]), int(m[1]))
        if m := _ISO_DATE.match(text):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None
    return None
