"""Writing partner-supplied text into spreadsheets without formula injection."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from openpyxl.cell.cell import Cell

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

__all__ = ["FORMULA_PREFIXES", "write_cell"]

#: Leading characters that make Excel or LibreOffice read a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def write_cell(ws: Worksheet, row: int, column: int, value: str | dt.date | None) -> Cell:
    """Write ``value`` as a plain value: text never becomes a formula.

    Text starting with ``=``, ``+``, ``-`` or ``@`` is stored as a string cell with
    the quote-prefix style, so spreadsheet programs show it and never evaluate it.
    """
    cell = ws.cell(row=row, column=column)
    if not isinstance(cell, Cell):
        raise TypeError(f"cell {row},{column} is part of a merged range")
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
    return cell
