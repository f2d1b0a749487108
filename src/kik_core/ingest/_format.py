"""The update file format: sheet name, column names and cell conversion."""

from __future__ import annotations

from kik_core._cells import cell_text, format_date, parse_date

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
#: Columns we write ourselves (error workbooks: ``Hinweis``, earlier ``Fehler``) and
#: ignore when a file comes back.
IGNORED_COLUMNS: tuple[str, ...] = ("Hinweis", "Fehler")


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
