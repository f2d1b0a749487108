"""Pre-filled partner templates and the documented example file.

A template is an update file (sheet ``Rückmeldung``) with the measures a
partner is responsible for and their goals, the current status and texts
pre-filled, a status dropdown, locked id columns and an instruction sheet
``Anleitung``. Filled in and sent back, it ingests without errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
from openpyxl import Workbook
from openpyxl.styles import Font

from kik_core._atomic import atomic_path
from kik_core._cells import write_cell
from kik_core._locale import format_date
from kik_core._names import slug
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
from kik_core.ingest._sheet import TEXT_COLUMN, SheetRow, status_labels, update_workbook
from kik_core.model import (
    DEFAULT_SCHEME,
    Concept,
    Measure,
    PartnerContact,
    StatusScheme,
    WorkPackage,
    partner_key,
)

if TYPE_CHECKING:
    from kik_core.rules import Snapshot

__all__ = [
    "TEXT_COLUMN",
    "instructions",
    "partner_slug",
    "title_line",
    "write_example_file",
    "write_partner_templates",
]


def instructions(
    *, error_workbook: bool = False, scheme: StatusScheme = DEFAULT_SCHEME
) -> tuple[str, ...]:
    """The paragraphs of the ``Anleitung`` sheet (German), the statuses from ``scheme``."""
    labels = status_labels(scheme)
    steps = (
        "1. Im Blatt „Rückmeldung“ steht jede Maßnahme in einer Zeile: links die Nummer und "
        "der Text der Maßnahme, rechts die Felder, die Sie ausfüllen. Die Maßnahmen eines "
        "Ziels stehen unter der blau hinterlegten Zeile des Ziels.",
        f"2. „Status“: wählen Sie aus der Liste ({', '.join(labels)}).",
        "3. „Stand am“ ist das Datum, auf das sich Ihre Angaben beziehen (TT.MM.JJJJ). Es ist "
        "mit dem Stichtag vorausgefüllt; ein Datum in der Zukunft ist nicht erlaubt.",
        "4. „Aktueller Stand“ und „Ausblick“: kurze Sätze zum Stand und zu den nächsten "
        "Schritten. In den blauen Ziel-Zeilen bitte keinen Status, nur Text zum Ziel – "
        "oder nichts, wenn Sie zum Ziel nichts sagen möchten.",
        "5. Nummer und Text der Maßnahmen sind gesperrt (Blattschutz ohne Passwort). Unter der "
        "Tabelle sind freie Zeilen für weitere Maßnahmen; zusätzliche Spalten werden als "
        "Notiz übernommen.",
        "6. Speichern Sie die Datei als xlsx (ohne Passwort) und senden Sie sie zurück. "
        "Zeilen, die nicht übernommen werden können, erhalten Sie in derselben Form zurück, "
        "mit einem Hinweis neben jeder Zelle, die zu korrigieren ist.",
    )
    if not error_workbook:
        return steps
    return (
        "Diese Datei enthält nur die Zeilen Ihrer Rückmeldung, die nicht übernommen werden "
        "konnten; alle anderen Zeilen sind angenommen. Die zu korrigierenden Zellen sind rot "
        "markiert, der Grund steht in der Spalte „Hinweis“ und als Kommentar an der Zelle. "
        "Korrigieren Sie die markierten Zellen und senden Sie die Datei so zurück, wie sie ist.",
        "",
        *steps,
    )


def partner_slug(name: str) -> str:
    """A file-name-safe form of a partner's name (readable for any script).

    >>> partner_slug("Volkshochschule Kempten (vhs)")
    'Volkshochschule-Kempten-vhs'
    >>> partner_slug("Jugendmigrationsdienst Süd/Ost"), partner_slug("Ελληνική Κοινότητα")
    ('Jugendmigrationsdienst-Sued-Ost', 'Ellenike-Koinoteta')
    """
    return slug(name, fallback="Partner")


def title_line(concept: Concept) -> str:
    """The concept's name for a title line, the municipality named once.

    >>> from kik_core.model import Concept
    >>> title_line(Concept("Neustadt", "Neustadt", None, (), (), ()))
    'Neustadt'
    >>> title_line(Concept("Kempten", "Integrationskonzept", None, (), (), ()))
    'Integrationskonzept – Kempten'
    """
    if partner_key(concept.municipality) in partner_key(concept.title):
        return concept.title
    return f"{concept.title} – {concept.municipality}"


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


def _contact_line(contact: PartnerContact | None, office: str | None) -> str:
    parts = []
    if contact is not None:
        reach = ", ".join(x for x in (contact.email, contact.phone) if x)
        person = contact.contact or ""
        if person or reach:
            parts.append("Für: " + (f"{person} ({reach})" if person and reach else person or reach))
    if office:
        parts.append(f"Rückfragen und Rücksendung an: {office}")
    return " · ".join(parts)


def template_top(
    concept: Concept,
    partner: str,
    as_of: dt.date,
    *,
    deadline: dt.date | None,
    contact: PartnerContact | None = None,
    office: str | None = None,
) -> list[str]:
    """The lines above a template's table: for whom, Stichtag and deadline, whom to ask."""
    top = [
        f"Rückmeldung {partner}" if partner else "Rückmeldung zu allen Maßnahmen",
        title_line(concept),
    ]
    when = f"Stichtag: {format_date(as_of)}"
    if deadline is not None:
        when += f" · Bitte zurücksenden bis {format_date(deadline)}"
    top.append(when)
    if line := _contact_line(contact, office):
        top.append(line)
    return top


def _write_template(
    lines: Sequence[_Line],
    path: Path,
    as_of: dt.date,
    top: list[str],
    scheme: StatusScheme = DEFAULT_SCHEME,
) -> Path:
    rows = [
        SheetRow(
            {
                COL_ID: line.target,
                TEXT_COLUMN: line.text,
                COL_STATUS: line.status,
                COL_DATE: as_of,
                COL_CURRENT: line.current,
                COL_OUTLOOK: line.outlook,
                COL_PARTNER: line.partner,
            },
            is_goal=line.is_goal,
        )
        for line in lines
    ]
    workbook = update_workbook(
        rows,
        top=top,
        heading="Anleitung: Rückmeldung zum Kommunalen Integrationskonzept",
        instructions=instructions(scheme=scheme),
        scheme=scheme,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


def write_partner_templates(
    concept: Concept,
    snapshot: Snapshot | None,
    outbox: Path,
    *,
    as_of: dt.date,
    deadline: dt.date | None = None,
    contacts: Sequence[PartnerContact] = (),
    office: str | None = None,
) -> list[Path]:
    """Write one pre-filled template per partner into ``outbox``.

    Each partner named in :attr:`Measure.partners` gets ``Vorlage_<partner>.xlsx``
    with their measures and those measures' goals; when no measure names a
    partner, one ``Vorlage_alle.xlsx`` holds every measure (``Institution`` then
    left empty). Measures without a partner, in a concept where others have
    one, go into ``Vorlage_ohne_Zustaendigkeit.xlsx``. The layout is described
    in :mod:`kik_core.ingest._sheet`.

    Args:
        concept: the concept.
        snapshot: the current state (statuses and texts to pre-fill); None
            pre-fills every measure as ``wartend`` with empty texts.
        outbox: the folder to write to.
        as_of: the reporting date (the round's Stichtag), pre-filled as ``Stand am``.
        deadline: the round's deadline for the partners, printed on the templates.
        contacts: the partners' contacts (sheet ``Partner``), printed at the top.
        office: how to reach the integration office (an e-mail address), printed at the top.

    Returns:
        The written files, sorted by name.
    """
    partners = concept.partners()
    written: list[Path] = []
    by_key = {c.key: c for c in contacts}
    if not partners:
        lines = _lines(concept, concept.measures, "", snapshot)
        top = template_top(concept, "", as_of, deadline=deadline, office=office)
        path = outbox / "Vorlage_alle.xlsx"
        return [_write_template(lines, path, as_of, top, concept.statuses)]
    used: set[str] = set()
    for partner in partners:
        name = base = partner_slug(partner)
        n = 2
        while name.casefold() in used:
            name, n = f"{base}-{n}", n + 1
        used.add(name.casefold())
        measures = [m for m in concept.measures if partner in m.responsible]
        lines = _lines(concept, measures, partner, snapshot)
        path = outbox / f"Vorlage_{name}.xlsx"
        contact = by_key.get(partner_key(partner))
        top = template_top(
            concept, partner, as_of, deadline=deadline, contact=contact, office=office
        )
        written.append(_write_template(lines, path, as_of, top, concept.statuses))
    orphans = [m for m in concept.measures if not m.responsible]
    if orphans:
        lines = _lines(concept, orphans, "", snapshot)
        path = outbox / "Vorlage_ohne_Zustaendigkeit.xlsx"
        top = template_top(concept, "(ohne Zuständigkeit)", as_of, deadline=deadline, office=office)
        written.append(_write_template(lines, path, as_of, top, concept.statuses))
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
