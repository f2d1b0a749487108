"""Helpers for the ingest and store tests: a small concept and real partner files."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from kik_core.ingest import COLUMNS
from kik_core.model import Concept, FieldOfAction, Goal, Measure

TODAY = dt.date(2024, 3, 15)
HEADER: tuple[str, ...] = COLUMNS

Cell = str | dt.date | dt.datetime | float | int | None


def concept() -> Concept:
    """Two fields, three goals, seven measures; some measures name partners."""
    return Concept(
        municipality="Musterstadt",
        title="Integrationskonzept Musterstadt",
        adopted_on=dt.date(2021, 11, 18),
        fields=(FieldOfAction("BS", "Bildung und Sprache"), FieldOfAction("AA", "Arbeit")),
        goals=(
            Goal("BS-4", "Alle lernen Deutsch."),
            Goal("BS-5", "Eltern sind beteiligt."),
            Goal("AA-1", "Beratung vor Ort."),
        ),
        measures=(
            Measure("BS-4.1", "Integrationskurse.", None, ("Volkshochschule",)),
            Measure("BS-4.2", "Sprachcafé.", None, ("Volkshochschule", "Stadtbibliothek")),
            Measure("BS-4.3", "Kinderbetreuung während der Kurse.", None, ("Volkshochschule",)),
            Measure("BS-5.1", "Elternabende.", None, ("Stadtbibliothek",)),
            Measure("AA-1.1", "Perspektivberatung.", None, ("Jobcenter",)),
            Measure("AA-1.2", "Anerkennungsberatung.", None, ("Jobcenter",)),
            Measure("AA-1.3", "Jobcafé.", None, ()),
        ),
    )


def plain_concept() -> Concept:
    """The same ids, but no measure names a partner."""
    c = concept()
    measures = tuple(Measure(m.id, m.text) for m in c.measures)
    return Concept(c.municipality, c.title, c.adopted_on, c.fields, c.goals, measures)


def good_row(target: str = "BS-4.3", status: str = "in Bearbeitung", **kw: Cell) -> list[Cell]:
    """A valid data row in HEADER order; keyword arguments override cells."""
    values: dict[str, Cell] = {
        "Maßnahme": target,
        "Status": status,
        "Stand am": "01.03.2024",
        "Institution": "Volkshochschule",
        "Aktueller Stand": "Läuft.",
        "Ausblick": "",
    }
    for key, value in kw.items():
        values[key.replace("_", " ")] = value
    return [values[c] for c in HEADER]


def write_xlsx(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    header: Sequence[str] = HEADER,
    sheet: str = "Rückmeldung",
    extra_sheets: Sequence[str] = (),
) -> Path:
    """Write a real xlsx with openpyxl; header in row 1."""
    from openpyxl import Workbook

    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    for name in extra_sheets:
        workbook.create_sheet(name)
    workbook.save(path)
    return path


def write_csv(
    path: Path,
    rows: Sequence[Sequence[Cell]],
    header: Sequence[str] = HEADER,
    *,
    delimiter: str = ";",
    encoding: str = "utf-8-sig",
) -> Path:
    """Write a CSV as Excel would (every cell as text)."""
    with path.open("w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, delimiter=delimiter)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if c is None else str(c) for c in row])
    return path


def write_ods(path: Path, rows: Sequence[Sequence[Cell]], header: Sequence[str] = HEADER) -> Path:
    """Write a real ods with pandas/odfpy (sheet Rückmeldung, header in row 1)."""
    import pandas as pd

    frame = pd.DataFrame([list(r) for r in rows], columns=list(header), dtype=object)
    with pd.ExcelWriter(path, engine="odf") as writer:
        frame.to_excel(writer, sheet_name="Rückmeldung", index=False)
    return path
