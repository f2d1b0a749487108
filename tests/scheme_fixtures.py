"""A status scheme unlike Kempten's, built from scratch for the tests (issue 17).

Five statuses in three counted groups and one that is listed but left out of
the percentages ("entfällt" → group "entfallen").
"""

from __future__ import annotations

from openpyxl.worksheet.worksheet import Worksheet

from kik_core.model import Status, StatusGroup, StatusScheme

OFFEN = Status("offen", 0, "wartend")
ZURUECK = Status("zurückgestellt", 1, "wartend")
UMSETZUNG = Status("in Umsetzung", 2, "in Bearbeitung")
UMGESETZT = Status("umgesetzt", 3, "implementiert")
ENTFAELLT = Status("entfällt", 4, "entfallen")

FIVE = StatusScheme(
    statuses=(OFFEN, ZURUECK, UMSETZUNG, UMGESETZT, ENTFAELLT),
    groups=(
        StatusGroup("wartend"),
        StatusGroup("in Bearbeitung"),
        StatusGroup("implementiert"),
        StatusGroup("entfallen", counted=False),
    ),
)


def header_row(sheet: Worksheet) -> int:
    """The row of a template's table header (the template has lines above it)."""
    return next(r for r in range(1, 12) if sheet.cell(row=r, column=1).value == "Maßnahme")
