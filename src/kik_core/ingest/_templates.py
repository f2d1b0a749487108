"""Pre-filled partner templates and the documented example file.

A template is an update file (sheet ``Rückmeldung``) with the measures a
partner is responsible for and their goals, the current status and texts
pre-filled, a status dropdown, locked id columns and an instruction sheet
``Anleitung``. Filled in and sent back, it ingests without errors.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from kik_core._atomic import atomic_path
from kik_core._cells import write_cell
from kik_core.ingest._format import (
    COL_CURRENT,
    COL_DATE,
    COL_ID,
    COL_OUTLOOK,
    COL_PARTNER,
    COL_STATUS,
    COLUMNS,
    SHEET,
)
from kik_core.model import DEFAULT_SCHEME, Concept, Measure, StatusScheme, WorkPackage

if TYPE_CHECKING:
    from kik_core.rules import Snapshot

__all__ = ["TEXT_COLUMN", "partner_slug", "write_example_file", "write_partner_templates"]

#: The read-only orientation column of templates (kept as a note on ingest).
TEXT_COLUMN = "Maßnahme (Text, nur zur Orientierung)"
#: Spare editable rows below the pre-filled ones, for rows the partner adds.
SPARE_ROWS = 50
_UMLAUTS: dict[int, str] = {
    ord(k): v
    for k, v in {
        "ä": "ae",
        "ö": "oe",
        "ü": "ue",
        "Ä": "Ae",
        "Ö": "Oe",
        "Ü": "Ue",
        "ß": "ss",
    }.items()
}
_LOCKED_FILL = "EDEDED"
_GOAL_FILL = "DDEBF7"

_INSTRUCTIONS = (
    "Anleitung: Rückmeldung zum Kommunalen Integrationskonzept",
    "",
    "1. Tragen Sie im Blatt „Rückmeldung“ für jede Maßnahme den aktuellen Status ein "
    "(Auswahlliste: {statuses}).",
    "2. „Stand am“ ist das Datum, auf das sich Ihre Angaben beziehen (TT.MM.JJJJ). "
    "Es ist mit dem Stichtag vorausgefüllt; ein Datum in der Zukunft ist nicht erlaubt.",
    "3. „Aktueller Stand“ und „Ausblick“: kurze Sätze zum Stand und zu den nächsten Schritten.",
    "4. Zeilen mit einer Ziel-Nummer (z. B. BS-4, blau hinterlegt) sind für Text zum Ziel: "
    "bitte keinen Status eintragen, nur „Aktueller Stand“ und „Ausblick“. Wenn Sie zum Ziel "
    "nichts sagen möchten, lassen Sie die Texte einfach leer.",
    "5. Die Spalten „Maßnahme“ (Nummer) und „Maßnahme (Text …)“ sind gesperrt. "
    "Der Blattschutz hat kein Passwort. Unten sind freie Zeilen für weitere Maßnahmen.",
    "6. Zusätzliche Spalten sind erlaubt und werden als Notiz übernommen.",
    "7. Speichern Sie die Datei (xlsx, ohne Passwort) und senden Sie sie zurück. "
    "Fehlerhafte Zeilen erhalten Sie mit einer Erklärung in der Spalte „Fehler“ zurück.",
)


def partner_slug(name: str) -> str:
    """A file-name-safe form of a partner's name.

    >>> partner_slug("Volkshochschule Kempten (vhs)")
    'Volkshochschule-Kempten-vhs'
    >>> partner_slug("Jugendmigrationsdienst Süd/Ost")
    'Jugendmigrationsdienst-Sued-Ost'
    """
    text = name.translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:80] or "Partner"


@attrs.frozen
class _Line:
    target: str
    text: str
    status: str
    partner: str
    current: str
    outlook: str
    is_goal: bool


def _lines(
    concept: Concept, measures: Sequence[Measure], partner: str, snapshot: Snapshot | None
) -> list[_Line]:
    lines: list[_Line] = []
    wanted = {m.id for m in measures}
    for item_id in concept.known_ids():  # tree order, any depth (issue 17)
        if concept.is_measure(item_id):
            if item_id in wanted:
                lines.append(_measure_line(concept.measure(item_id), partner, snapshot, concept))
                for package in concept.packages_of(item_id):  # work packages (issue 17)
                    lines.append(_package_line(package, partner, snapshot, concept))
            continue
        goal = concept.goal(item_id)
        if not any(m.id in wanted for m in concept.measures_of(goal.id)):
            continue
        texts = snapshot.goal_texts.get(goal.id, ()) if snapshot is not None else ()
        text = next((t for t in texts if t.partner == partner), texts[0] if texts else None)
        lines.append(
            _Line(
                goal.id,
                goal.text,
                "",
                partner,
                text.current_state if text else "",
                text.outlook if text else "",
                True,
            )
        )
    return lines


def _package_line(
    package: WorkPackage, partner: str, snapshot: Snapshot | None, concept: Concept
) -> _Line:
    effective = snapshot.packages.get(package.id) if snapshot is not None else None
    status = effective.status if effective is not None else concept.statuses.initial_status
    report = effective.reports[0] if effective is not None and effective.reports else None
    current, outlook = (report.current_state, report.outlook) if report else ("", "")
    return _Line(package.id, package.text, status.label, partner, current, outlook, False)


def _measure_line(
    measure: Measure, partner: str, snapshot: Snapshot | None, concept: Concept
) -> _Line:
    status = concept.statuses.initial_status
    current = outlook = ""
    if snapshot is not None and measure.id in snapshot.statuses:
        effective = snapshot.statuses[measure.id]
        status = effective.status
        reports = effective.reports
        report = next((r for r in reports if r.partner == partner), reports[0] if reports else None)
        if report is not None:
            current, outlook = report.current_state, report.outlook
    return _Line(measure.id, measure.text, status.label, partner, current, outlook, False)


def _write_template(
    lines: Sequence[_Line],
    path: Path,
    as_of: dt.date,
    title: str,
    deadline: dt.date | None = None,
    *,
    scheme: StatusScheme = DEFAULT_SCHEME,
) -> Path:
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # noqa: S101 - a new workbook always has a sheet
    ws.title = SHEET
    headers = [*COLUMNS, TEXT_COLUMN]
    bold = Font(bold=True)
    locked_fill = PatternFill("solid", fgColor=_LOCKED_FILL)
    goal_fill = PatternFill("solid", fgColor=_GOAL_FILL)
    wrap = Alignment(wrap_text=True, vertical="top")
    for index, name in enumerate(headers, start=1):
        write_cell(ws, 1, index, name).font = bold
    editable = {COL_STATUS, COL_DATE, COL_PARTNER, COL_CURRENT, COL_OUTLOOK}
    for row, line in enumerate(lines, start=2):
        values: dict[str, str | dt.date] = {
            COL_ID: line.target,
            COL_STATUS: line.status,
            COL_DATE: as_of,
            COL_PARTNER: line.partner,
            COL_CURRENT: line.current,
            COL_OUTLOOK: line.outlook,
            TEXT_COLUMN: line.text,
        }
        for index, name in enumerate(headers, start=1):
            value = values[name]
            cell = write_cell(ws, row, index, value if value != "" else None)
            cell.alignment = wrap
            unlocked = name in editable and not (line.is_goal and name == COL_STATUS)
            cell.protection = Protection(locked=not unlocked)
            if name == COL_DATE:
                cell.number_format = "DD.MM.YYYY"
            if line.is_goal:
                cell.fill = goal_fill
            elif not unlocked:
                cell.fill = locked_fill
    last = len(lines) + 1
    for row in range(last + 1, last + 1 + SPARE_ROWS):
        for index, name in enumerate(headers, start=1):
            spare = ws.cell(row=row, column=index)
            spare.protection = Protection(locked=name == TEXT_COLUMN)
            if name == COL_DATE:
                spare.number_format = "DD.MM.YYYY"
    status_col = get_column_letter(headers.index(COL_STATUS) + 1)
    validation = DataValidation(
        type="list",
        formula1=f'"{",".join(scheme.labels)}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status",
        error=f"Bitte wählen Sie: {_either(scheme)}.",
    )
    validation.add(f"{status_col}2:{status_col}{last + SPARE_ROWS}")
    ws.add_data_validation(validation)
    for name, width in zip(headers, (12, 16, 12, 24, 50, 50, 50), strict=True):
        ws.column_dimensions[get_column_letter(headers.index(name) + 1)].width = width
    ws.freeze_panes = "B2"
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.protection.insertRows = False
    ws.protection.deleteRows = False
    _instructions(workbook, title, as_of, deadline, scheme)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


def _either(scheme: StatusScheme) -> str:
    """``wartend, in Bearbeitung oder implementiert``: the labels for a German sentence."""
    *first, last = scheme.labels
    return f"{', '.join(first)} oder {last}" if first else last


def _instructions(
    workbook: Workbook,
    title: str,
    as_of: dt.date,
    deadline: dt.date | None = None,
    scheme: StatusScheme = DEFAULT_SCHEME,
) -> None:
    sheet = workbook.create_sheet("Anleitung")
    stand = f"Stichtag: {as_of:%d.%m.%Y}"
    if deadline is not None:
        stand += f" – bitte senden Sie die Rückmeldung bis zum {deadline:%d.%m.%Y} zurück"
    statuses = ", ".join(scheme.labels)
    texts = (*(t.format(statuses=statuses) for t in _INSTRUCTIONS), "", title, stand)
    for row, text in enumerate(texts, 1):
        cell = write_cell(sheet, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = Font(bold=True, size=14)
    sheet.column_dimensions["A"].width = 110


def write_partner_templates(
    concept: Concept,
    snapshot: Snapshot | None,
    outbox: Path,
    *,
    as_of: dt.date,
    deadline: dt.date | None = None,
) -> list[Path]:
    """Write one pre-filled template per partner into ``outbox``.

    Each partner named in :attr:`Measure.partners` gets ``Vorlage_<partner>.xlsx``
    with their measures and those measures' goals; when no measure names a
    partner, one ``Vorlage_alle.xlsx`` holds every measure (``Institution`` then
    left empty). Measures without a partner, in a concept where others have
    one, go into ``Vorlage_ohne_Zustaendigkeit.xlsx``.

    Args:
        concept: the concept.
        snapshot: the current state (statuses and texts to pre-fill); None
            pre-fills every measure as ``wartend`` with empty texts.
        outbox: the folder to write to.
        as_of: the reporting date (the round's Stichtag), pre-filled as ``Stand am``.
        deadline: the round's deadline for the partners, printed on the templates.

    Returns:
        The written files, sorted by name.
    """
    partners = concept.partners()
    written: list[Path] = []
    title = f"{concept.title} – {concept.municipality}"
    if not partners:
        lines = _lines(concept, concept.measures, "", snapshot)
        return [
            _write_template(
                lines, outbox / "Vorlage_alle.xlsx", as_of, title, deadline, scheme=concept.statuses
            )
        ]
    used: set[str] = set()
    for partner in partners:
        slug = base = partner_slug(partner)
        n = 2
        while slug.casefold() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.casefold())
        measures = [m for m in concept.measures if partner in m.responsible]
        lines = _lines(concept, measures, partner, snapshot)
        path = outbox / f"Vorlage_{slug}.xlsx"
        written.append(
            _write_template(
                lines, path, as_of, f"{title} – {partner}", deadline, scheme=concept.statuses
            )
        )
    orphans = [m for m in concept.measures if not m.responsible]
    if orphans:
        lines = _lines(concept, orphans, "", snapshot)
        path = outbox / "Vorlage_ohne_Zustaendigkeit.xlsx"
        written.append(
            _write_template(lines, path, as_of, title, deadline, scheme=concept.statuses)
        )
    return sorted(written)


#: The rows of the documented example file (docs/partner/beispiel-rueckmeldung.xlsx).
EXAMPLE_ROWS: tuple[tuple[str, str, dt.date | str, str, str, str], ...] = (
    (
        "BS-4",
        "",
        dt.date(2023, 9, 30),
        "Volkshochschule",
        "Die Sprachkursangebote sind ausgebaut.",
        "2024 kommen Abendkurse dazu.",
    ),
    (
        "BS-4.1",
        "implementiert",
        dt.date(2023, 9, 30),
        "Volkshochschule",
        "Seit März 2023 laufen drei Integrationskurse.",
        "",
    ),
    (
        "BS-4.3",
        "in Bearbeitung",
        "30.09.2023",
        "Volkshochschule",
        "Die Kinderbetreuung während der Kurse ist beantragt.",
        "Start im Frühjahr 2024.",
    ),
    ("AA-1.2", "wartend", "2023-09-30", "Jobcenter", "", "Die Planung beginnt 2024."),
)


def write_example_file(path: Path) -> Path:
    """Write the example update file shown in the partner documentation."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None  # noqa: S101 - a new workbook always has a sheet
    ws.title = SHEET
    for index, name in enumerate(COLUMNS, start=1):
        write_cell(ws, 1, index, name).font = Font(bold=True)
    for row, values in enumerate(EXAMPLE_ROWS, start=2):
        for index, value in enumerate(values, start=1):
            cell = write_cell(ws, row, index, value or None)
            if isinstance(value, dt.date):
                cell.number_format = "DD.MM.YYYY"
    for letter, width in zip("ABCDEF", (10, 16, 12, 18, 50, 40), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path
