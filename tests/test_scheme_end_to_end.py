"""End to end with a status scheme unlike Kempten's (issue 17).

A concept built here from scratch (Beispielstadt: five statuses, among them
"entfällt", which is listed but left out of the percentages) runs through
partner templates → filled in → ingest (with validation against the scheme)
→ draft report → issued round, and every figure is checked against what the
partners reported. The web edition lives on another branch; it reads the same
snapshot (``Snapshot.scheme``/``Snapshot.summary``) once merged.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from kik_core import (
    Concept,
    FieldOfAction,
    Goal,
    Measure,
    workflow,
    write_concept_workbook,
)

from .scheme_fixtures import ENTFAELLT, FIVE, OFFEN, UMGESETZT, UMSETZUNG, ZURUECK, header_row

STICHTAG = dt.date(2024, 9, 30)
TODAY = dt.date(2024, 10, 2)

#: What the partner fills in: measure id → status label.
FILLED = {
    "SP-1.1": "umgesetzt",
    "SP-1.2": "in Umsetzung",
    "SP-2.1": "entfällt",
    "AR-1.1": "zurückgestellt",
    "AR-1.2": "Umgesetzt",
    "AR-1.3": "in Umsetzung",
    "AR-2.1": "implementiert",  # Kempten's label: not in Beispielstadt's scheme
}


def beispielstadt() -> Concept:
    return Concept(
        "Beispielstadt",
        "Integrationskonzept Beispielstadt",
        dt.date(2022, 5, 4),
        (FieldOfAction("SP", "Sprache"), FieldOfAction("AR", "Arbeit")),
        (
            Goal("SP-1", "Alle lernen Deutsch."),
            Goal("SP-2", "Dolmetschen ist geregelt."),
            Goal("AR-1", "Zugang zu Arbeit."),
            Goal("AR-2", "Anerkennung von Abschlüssen."),
        ),
        (
            Measure(
                "SP-1.1",
                "Sprachcafé",
                partners=("Volkshochschule",),
                priority="hoch",
                priority_set_on=dt.date(2022, 11, 9),
                end=dt.date(2024, 1, 31),
            ),
            Measure(
                "SP-1.2",
                "Kurse mit Kinderbetreuung",
                partners=("Volkshochschule",),
                end=dt.date(2024, 6, 30),
            ),
            Measure(
                "SP-2.1", "Dolmetscherpool", partners=("Volkshochschule",), end=dt.date(2024, 6, 30)
            ),
            Measure("AR-1.1", "Jobbörse", partners=("Volkshochschule",), priority="hoch"),
            Measure("AR-1.2", "Mentoring", partners=("Volkshochschule",), budget=12500.0),
            Measure("AR-1.3", "Praktika", partners=("Volkshochschule",)),
            Measure("AR-2.1", "Anerkennungsberatung", partners=("Volkshochschule",)),
            Measure(
                "AR-2.2",
                "Nachqualifizierung",
                lead="Volkshochschule",
                priority="mittel",
                start=dt.date(2024, 1, 1),
                end=dt.date(2025, 12, 31),
            ),
        ),
        FIVE,
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = workflow.init_folder(tmp_path_factory.mktemp("schema") / "beispielstadt")
    (folder / "konzept.xlsx").unlink()
    write_concept_workbook(beispielstadt(), folder / "konzept.xlsx")
    return folder


@pytest.fixture(scope="module")
def template(folder: Path) -> Path:
    [path] = workflow.templates(folder, as_of=STICHTAG, today=TODAY)
    return path


@pytest.fixture(scope="module")
def run(folder: Path, template: Path) -> workflow.RunResult:
    workbook = load_workbook(template)
    sheet = workbook["Rückmeldung"]
    top = header_row(sheet)
    header = [c.value for c in sheet[top]]
    id_col, status_col = header.index("Maßnahme") + 1, header.index("Status") + 1
    for row in range(top + 1, sheet.max_row + 1):
        target = sheet.cell(row, id_col).value
        if target in FILLED:
            sheet.cell(row, status_col).value = FILLED[target]
    workbook.save(folder / "eingang" / "Rueckmeldung_vhs.xlsx")
    return workflow.run(folder, as_of=STICHTAG, today=TODAY)


def test_template_offers_the_scheme_s_statuses(template: Path) -> None:
    workbook = load_workbook(template)
    validations = workbook["Rückmeldung"].data_validations.dataValidation
    [validation] = [v for v in validations if v.type == "list"]  # the other one checks dates
    assert validation.formula1 == '"offen,zurückgestellt,in Umsetzung,umgesetzt,entfällt"'
    assert validation.error == (
        "Bitte wählen Sie: offen, zurückgestellt, in Umsetzung, umgesetzt oder entfällt."
    )
    instructions = [c.value for c in workbook["Anleitung"]["A"] if c.value]
    assert any(
        "(offen, zurückgestellt, in Umsetzung, umgesetzt, entfällt)" in t for t in instructions
    )
    sheet = workbook["Rückmeldung"]
    top = header_row(sheet)
    status_col = [c.value for c in sheet[top]].index("Status")
    statuses = {
        r[0].value: r[status_col].value for r in sheet.iter_rows(min_row=top + 1) if r[0].value
    }
    assert statuses["SP-1.1"] == "offen"  # pre-filled with the scheme's initial status


def test_ingest_validates_against_the_scheme(folder: Path, run: workflow.RunResult) -> None:
    assert run.ingest.rows_rejected == 1
    [errors] = (folder / "ausgang").glob("*_Fehler.xlsx")
    workbook = load_workbook(errors)
    texts = [str(c.value) for row in workbook["Rückmeldung"].iter_rows() for c in row]
    assert any(
        "„implementiert“ ist kein gültiger Status (erlaubt: offen, zurückgestellt, "
        "in Umsetzung, umgesetzt, entfällt)" in t
        for t in texts
    )
    # the error workbook offers the concept's statuses, not Kempten's
    validations = workbook["Rückmeldung"].data_validations.dataValidation
    [validation] = [v for v in validations if v.type == "list"]
    assert validation.formula1 == '"offen,zurückgestellt,in Umsetzung,umgesetzt,entfällt"'
    instructions = " ".join(str(c.value) for c in workbook["Anleitung"]["A"] if c.value)
    assert "(offen, zurückgestellt, in Umsetzung, umgesetzt, entfällt)" in instructions


def test_snapshot_counts_the_groups_and_leaves_entfallen_out(run: workflow.RunResult) -> None:
    snapshot = run.report.snapshot
    assert snapshot.scheme == FIVE
    assert snapshot.status_of("SP-2.1") == ENTFAELLT
    assert snapshot.status_of("SP-2.1").group == "entfallen"
    assert snapshot.status_of("AR-2.2") == OFFEN
    assert snapshot.status_of("AR-2.1") == OFFEN  # its row was rejected
    assert dict(snapshot.overall.counts) == {
        OFFEN: 2,
        ZURUECK: 1,
        UMSETZUNG: 2,
        UMGESETZT: 2,
        ENTFAELLT: 1,
    }
    groups = snapshot.summary(snapshot.overall)
    assert {s.label: (n, groups.percentages.get(s)) for s, n in groups.counts.items()} == {
        "wartend": (3, 43),
        "in Bearbeitung": (2, 28),  # a tie in the remainders goes to the more advanced group
        "implementiert": (2, 29),
        "entfallen": (1, None),
    }


def _table(document: docx.document.Document, first: str) -> list[list[str]]:
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and rows[0][0] == first:
            return rows
    raise AssertionError(first)


def test_report_shows_groups_and_statuses_in_words(run: workflow.RunResult) -> None:
    document = docx.Document(str(run.report.docx))
    overview = _table(document, "Handlungsfeld")
    assert overview[0] == [
        "Handlungsfeld",
        "Maßnahmen",
        "wartend",
        "in Bearbeitung",
        "implementiert",
        "entfallen",
    ]
    assert overview[-1] == ["Gesamt", "8", "3 (43 %)", "2 (28 %)", "2 (29 %)", "1"]
    text = "\n".join(p.text for p in document.paragraphs)
    assert (
        "Von den 8 Maßnahmen des Integrationskonzepts sind 2 implementiert (29 %), "
        "2 in Bearbeitung (28 %), 3 wartend (43 %) und 1 entfallen (nicht mitgezählt)."
    ) in text
    cells = {c.text for t in document.tables for row in t.rows for c in row.cells}
    assert {"zurückgestellt", "entfällt", "umgesetzt", "in Umsetzung"} <= cells
    assert "1 von 2 implementiert" in cells  # goal SP-1: the done group


def test_issued_round_keeps_the_scheme(folder: Path, run: workflow.RunResult) -> None:
    issued = workflow.issue(folder)
    assert issued.snapshot == run.report.snapshot
    with workflow.open_store(workflow._settings(folder)) as store:
        [again] = store.issued_snapshots()
    assert again.scheme == FIVE
    assert again.status_of("SP-2.1").group == "entfallen"


def test_report_shows_priorities_and_overdue_measures(run: workflow.RunResult) -> None:
    """Issue 17, point 3: priorities, timeframes and the lead partner."""
    document = docx.Document(str(run.report.docx))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Prioritäre Maßnahmen: 3 von 8, davon 1 implementiert." in text
    # SP-1.2 ran until 30.06.2024 and is in Umsetzung; SP-2.1 (entfällt) and SP-1.1
    # (umgesetzt) are not overdue, AR-2.2 runs until 2025
    assert "Bei 1 Maßnahme ist der Zeitraum vor dem 30.09.2024 abgelaufen" in text
    overdue = _table(document, "Nr.")
    rows = [r for t in document.tables for r in [[c.text for c in row.cells] for row in t.rows]]
    assert ["SP-1.2", "Kurse mit Kinderbetreuung", "30.06.2024", "in Umsetzung", "–"] in rows
    assert overdue[0][0] == "Nr."
    assert any("Volkshochschule (federführend)" in cell for row in rows for cell in row)


def test_concept_attributes_survive_the_workbook(folder: Path) -> None:
    from kik_core import load_concept

    assert load_concept(folder / "konzept.xlsx") == beispielstadt()
