"""The update file format: sheet name, column names and cell conversion."""

from __future__ import annotations

import datetime as dt
import re

__all__ = [
    "COLUMNS",
    "COL_CURRENT",
    "COL_DATE",
    "COL_ID",
    "COL_OUTLOOK",
    "COL_PARTNER",
    "COL_STATUS",
    "IGNORED_COLUMNS",
    "REQUIRED_COLUMNS",
    "SHEET",
    "cell_text",
    "column_letter",
    "format_date",
    "normalize_header",
    "parse_date",
]

#: The sheet partners fill in.
SHEET = "Rückmeldung"

COL_ID = "Maßnahme"
COL_STATUS = "Status"
COL_DATE = "Stand am"
COL_PARTNER = "Institution"
COL_CURRENT = "Aktueller Stand"
COL_OUTLOOK = "Ausblick"

#: The columns of an update file, in the order templates write them.
COLUMNS: tuple[str, ...] = (COL_ID, COL_STATUS, COL_DATE, COL_PARTNER, COL_CURRENT, COL_OUTLOOK)
#: Columns a file must have; the two text columns may be left out.
REQUIRED_COLUMNS: tuple[str, ...] = (COL_ID, COL_STATUS, COL_DATE, COL_PARTNER)
#: Columns we write ourselves (error workbooks) and ignore when a file comes back.
IGNORED_COLUMNS: tuple[str, ...] = ("Fehler",)

_GERMAN_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")


def normalize_header(value: object) -> str:
    """A header cell as a matching key: case, spacing and a trailing colon ignored.

    >>> normalize_header("  stand   AM: ") == normalize_header("Stand am")
    True
    """
    return " ".join(cell_text(value).split()).rstrip(":").strip().casefold()


def column_letter(index: int) -> str:
    """The spreadsheet letter of a 0-based column index: 0 → ``A``, 27 → ``AB``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def format_date(value: dt.date) -> str:
    """A date as partners write it: ``30.09.2023``."""
    return f"{value.day:02d}.{value.month:02d}.{value.year:04d}"


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
        return f"{format_date(value.date())} {value:%H:%M}"
    if isinstance(value, dt.date):
        return format_date(value)
    if isinstance(value, dt.time):
        return f"{value:%H:%M}"
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
