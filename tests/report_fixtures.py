"""A generated Kempten-shaped concept, its reports and snapshots, for report tests.

Six fields with the real names, 43 goals, 144 measures; at 2023-09-30 the
counts implementiert / in Bearbeitung / wartend per field are those of the
December 2023 Kempten interim report. The earlier date 2022-09-30 gives
changes (one of them a regression) and there is one conflict between partners.
``make_case(scale=10)`` builds a concept ten times larger for the benchmark.
"""

from __future__ import annotations

import datetime as dt
import random

import attrs

from kik_core.concept_workbook import EditorialNote, ReportContent
from kik_core.model import (
    Concept,
    FieldOfAction,
    Goal,
    Highlight,
    Indicator,
    Measure,
    Provenance,
    Status,
    StatusReport,
    TimelineEntry,
)
from kik_core.rules import Snapshot, build_snapshot

AS_OF = dt.date(2023, 9, 30)
PREVIOUS = dt.date(2022, 9, 30)

#: code, name, measures per goal, (implementiert, in Bearbeitung, wartend)
FIELDS: tuple[tuple[str, str, tuple[int, ...], tuple[int, int, int]], ...] = (
    ("BS", "Bildung und Sprache", (2, 4, 2, 6, 3, 5, 2, 6), (7, 13, 10)),
    ("AA", "Arbeit und Ausbildung", (4, 4, 3, 4, 4, 4, 4), (13, 7, 7)),
    ("GP", "Gesundheit und Pflege", (4, 3, 3, 3, 3, 3), (2, 13, 4)),
    ("BE", "Bürgerschaftliches Engagement", (3, 3, 3, 3, 3, 3), (9, 6, 3)),
    ("GT", "Gesellschaftliche Teilhabe", (3, 3, 3, 3, 3, 3, 3, 3), (7, 14, 3)),
    ("IO", "Interkulturelle Öffnung", (4, 3, 3, 3, 3, 3, 4, 3), (7, 9, 10)),
)
EXPECTED = {code: counts for code, _name, _goals, counts in FIELDS}
PARTNERS = ("Amt für Integration", "vhs Kempten", "Jobcenter", "Caritas", "SmF Kempten")
REGRESSION_ID = "BS-2.3"
CONFLICT_ID = "AA-1.2"

FOREWORD = """Sehr geehrte Kolleginnen und Kollegen,

im November 2021 ist das erste **Kommunale Integrationskonzept** (KIK) im Stadtrat
verabschiedet worden. Mit diesem *Zwischenbericht* legen wir den aktuellen Stand vor.

An dieser Stelle möchte ich mich bei allen Akteur*innen bedanken.
"""

INTRO = """# Einführung

Das erste Kommunale Integrationskonzept wurde am 18.11.2021 vom Stadtrat verabschiedet.
Der Bericht bezieht sich auf den Zeitraum von November 2021 bis September 2023.

## Steuerung und Umsetzung

Die Steuerung erfolgt durch das Sachgebiet Kommunale Integrationsarbeit. Maßnahmen gelten
als umgesetzt, wenn

- die im Konzept aufgeführten Einzelaufträge,
- die in den AGs konkretisierten Aufträge und
- die gesetzten Arbeitspakete

umgesetzt wurden. Mehr unter [kempten.de](https://www.kempten.de/integration).

#### Eine zu tiefe Überschrift

Sie wird auf die nächste Ebene gesetzt.
"""

CROSS_CUTTING = """# Querschnittsthemen

## Transparenz und Öffentlichkeitsarbeit

Über folgende Instrumente wird aktuell kommuniziert:

| Titel | Medium | Zielgruppe | Intervall |
|---|---|---|---|
| Kompakt-Info | E-Mail/PDF | Fachleute | monatlich |
| Homepage | Web | Bürger*innen | quartalsweise |
| Com-In | E-Mail/PDF | Communitys | bei Bedarf |
"""


@attrs.frozen
class Case:
    """A concept with everything needed to build its report."""

    concept: Concept
    reports: tuple[StatusReport, ...]
    snapshot: Snapshot
    history: tuple[Snapshot, ...]
    content: ReportContent
    expected: dict[str, tuple[int, int, int]]


def _fields(scale: int) -> list[tuple[str, str, tuple[int, ...], tuple[int, int, int]]]:
    if scale == 1:
        return list(FIELDS)
    return [
        (f"{code}{k}", f"{name} {k + 1}", goals, counts)
        for k in range(scale)
        for code, name, goals, counts in FIELDS
    ]


def make_case(scale: int = 1) -> Case:
    """Build the Kempten-shaped case (``scale`` times as many fields)."""
    rng = random.Random(2023)
    fields, goals, measures, reports = [], [], [], []
    expected: dict[str, tuple[int, int, int]] = {}
    row = 1

    def report(
        target: str, status: Status | None, when: dt.date, partner: str, **texts: str
    ) -> None:
        nonlocal row
        row += 1
        file = f"meldungen/{when:%Y-%m}_{partner.split(maxsplit=1)[0].lower()}.xlsx"
        reports.append(
            StatusReport(
                target, status, when, partner, source=Provenance(file, row, "Meldungen"), **texts
            )
        )

    for code, name, goal_sizes, counts in _fields(scale):
        expected[code] = counts
        fields.append(
            FieldOfAction(
                code,
                name,
                intro=(
                    f"Das Handlungsfeld **{name}** umfasst {len(goal_sizes)} Ziele.\n\n"
                    "Zwei Faktoren waren die größten Herausforderungen: der Fachkräftemangel und "
                    "die Fluchtbewegung aus der Ukraine im Jahr 2022."
                ),
            )
        )
        targets = (
            [Status.IMPLEMENTIERT] * counts[0]
            + [Status.IN_BEARBEITUNG] * counts[1]
            + [Status.WARTEND] * counts[2]
        )
        rng.shuffle(targets)
        index = 0
        for g, size in enumerate(goal_sizes, start=1):
            goal_id = f"{code}-{g}"
            goals.append(
                Goal(
                    goal_id,
                    f"Ziel {g} im Handlungsfeld {name}: Angebote werden "
                    "bekannt gemacht, vernetzt und genutzt.",
                )
            )
            group = None
            if code == "BS":
                group = "Informelle Bildung" if g <= 2 else ("Vernetzung" if g <= 4 else None)
            for m in range(1, size + 1):
                measure_id = f"{goal_id}.{m}"
                partners = rng.sample(PARTNERS, 2)
                measures.append(
                    Measure(
                        measure_id,
                        f"Maßnahme {g}.{m}: Bestehende Angebote werden gestärkt und ausgebaut.",
                        group=group,
                        partners=partners,
                    )
                )
                status = targets[index]
                index += 1
                if status is not Status.WARTEND or m % 2 == 0:
                    report(measure_id, status, AS_OF, partners[0])
                if status is not Status.WARTEND:
                    earlier = status
                    if m % 3 == 1:  # a quarter or so moved on since the last report
                        earlier = (
                            Status.WARTEND
                            if status is Status.IN_BEARBEITUNG
                            else (Status.IN_BEARBEITUNG)
                        )
                    report(measure_id, earlier, PREVIOUS, partners[0])
            if g % 4 != 3:
                report(
                    goal_id,
                    None,
                    AS_OF,
                    PARTNERS[g % len(PARTNERS)],
                    current_state=f"Zu Ziel {g} wurden Angebote **gebündelt**.\n\n"
                    "- ein Fachtag\n- eine Orientierungshilfe",
                    outlook="Für 2024 sind weitere Orientierungshilfen geplant.",
                )
            if g == 1:
                report(
                    goal_id,
                    None,
                    AS_OF,
                    "Stadtbibliothek",
                    current_state="Die Ausleihe mehrsprachiger Medien wurde erweitert.",
                )
    concept = Concept(
        "Kempten (Allgäu)",
        "Kommunales Integrationskonzept",
        dt.date(2021, 11, 18),
        fields,
        goals,
        measures,
    )
    if scale == 1:
        # fix the regression and conflict so that the counts stay as expected
        _swap_to(concept, reports, REGRESSION_ID, Status.IN_BEARBEITUNG)
        reports[:] = [
            r for r in reports if not (r.target_id == REGRESSION_ID and r.as_of == PREVIOUS)
        ]
        reports.append(
            StatusReport(
                REGRESSION_ID,
                Status.IMPLEMENTIERT,
                PREVIOUS,
                "vhs Kempten",
                source=Provenance("meldungen/2022-09_vhs.xlsx", 7),
            )
        )
        _conflict(concept, reports)
    snapshot = build_snapshot(concept, reports, AS_OF, previous=PREVIOUS)
    history = (build_snapshot(concept, reports, PREVIOUS), snapshot)
    return Case(concept, tuple(reports), snapshot, history, _content(concept), expected)


def _swap_to(
    concept: Concept, reports: list[StatusReport], measure_id: str, wanted: Status
) -> None:
    """Give ``measure_id`` the status ``wanted`` and another measure of its field its old one."""
    latest = {r.target_id: r for r in reports if r.as_of == AS_OF and r.status is not None}
    current = latest[measure_id].status if measure_id in latest else Status.WARTEND
    if current is wanted:
        return
    field = measure_id.split("-", 1)[0]
    for measure in concept.measures_of(field):
        other = latest.get(measure.id)
        status = other.status if other is not None else Status.WARTEND
        if measure.id != measure_id and status is wanted:
            _set(reports, measure.id, current)
            _set(reports, measure_id, wanted)
            return


def _set(reports: list[StatusReport], measure_id: str, status: Status) -> None:
    reports[:] = [r for r in reports if r.target_id != measure_id]
    reports.append(
        StatusReport(
            measure_id,
            status,
            AS_OF,
            "Amt für Integration",
            source=Provenance("meldungen/2023-09_amt.xlsx", 99),
        )
    )


def _conflict(concept: Concept, reports: list[StatusReport]) -> None:
    """Make CONFLICT_ID wartend (least advanced) with a contradicting partner report."""
    latest = {r.target_id: r.status for r in reports if r.as_of == AS_OF and r.status}
    if latest.get(CONFLICT_ID, Status.WARTEND) is not Status.WARTEND:
        # swap with a wartend measure of AA to keep the counts
        other = next(
            m
            for m in (x.id for x in concept.measures_of("AA"))
            if latest.get(m, Status.WARTEND) is Status.WARTEND and m != CONFLICT_ID
        )
        _set(reports, other, latest[CONFLICT_ID])  # type: ignore[arg-type]
    _set(reports, CONFLICT_ID, Status.WARTEND)
    reports.append(
        StatusReport(
            CONFLICT_ID,
            Status.IMPLEMENTIERT,
            AS_OF,
            "Jobcenter",
            source=Provenance("meldungen/2023-09_jobcenter.xlsx", 4),
        )
    )


#: The measure whose status the fixture marks as inferred ("Status erschlossen").
INFERRED_ID = "AA-3.1"


def _content(concept: Concept) -> ReportContent:
    first = concept.fields[0].code
    second = concept.fields[1].code
    return ReportContent(
        notes=(
            EditorialNote(first, "Die Tabelle der Quelle sagt 10/13/7, ihr Diagramm 12/11/7."),
            EditorialNote(f"{second}-3.1", "Im Bericht nur „x“; aus dem Text erschlossen.", True),
        ),
        highlights=(
            Highlight(
                "KitaMUTter und Starke Mamas",
                "Sozialdienst muslimischer Frauen",
                "Das niederschwellige Projekt richtet sich an **Mütter**, deren Kinder "
                "eine Kindertagesstätte besuchen.",
                (f"{first}-6.1", f"{first}-6.5"),
            ),
            Highlight(
                "[Meet the World]{lang=en}",
                "Diakonie Allgäu",
                "80 ehrenamtliche Dolmetscher*innen decken 31 Sprachen ab: "
                "[World of Unity!]{lang=en-GB}",
                (),
                None,
            ),
        ),
        indicators=(
            Indicator("Einwohner*innen", 70787, "", dt.date(2020, 12, 31), "Amt für Statistik"),
            Indicator("Einwohner*innen", 71918, "", dt.date(2022, 12, 31), "Amt für Statistik"),
            Indicator("Anteil Ausländer*innen", 16.5, "%", dt.date(2020, 12, 31)),
            Indicator("Anteil Ausländer*innen", 18.8, "%", dt.date(2022, 12, 31)),
            Indicator("Menschen mit Migrationshintergrund", 27027, "", dt.date(2020, 12, 31)),
            Indicator("Menschen mit Migrationshintergrund", 29081, "", dt.date(2022, 12, 31)),
        ),
        timeline=(
            TimelineEntry("18. November 2021", "Beschluss des KIK im Stadtrat"),
            TimelineEntry("März bis Juli 2022", "Pause wegen der Fluchtbewegung aus der Ukraine"),
            TimelineEntry("seit September 2022", "Umsetzung der priorisierten Maßnahmen"),
            TimelineEntry("25. Oktober 2023", "Zwischenbericht im Ausschuss für Soziale Fragen"),
        ),
    )


def make_options(**changes: object) -> object:
    """Kempten-like report options (``ReportOptions``), with ``changes`` applied."""
    from kik_core.report import ReportOptions

    options = ReportOptions(
        title="Kommunales Integrationskonzept – Zwischenbericht",
        municipality="Kempten (Allgäu)",
        subtitle="Dezember 2023",
        period_label="November 2021 bis September 2023",
        publisher="Stadt Kempten (Allgäu), Amt für Integration",
        foreword=FOREWORD,
        foreword_author="Philipp Wagner\nAmtsleiter Amt für Integration",
        sections_front=(INTRO,),
        sections_back=(CROSS_CUTTING,),
        thanks="Die Stadt Kempten (Allgäu) bedankt sich bei allen Beteiligten.",
        published_on=dt.date(2023, 12, 1),
    )
    return attrs.evolve(options, **changes)
