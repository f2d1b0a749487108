"""Partner templates and the documented example file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from openpyxl import load_workbook

from kik_core.ingest import (
    partner_slug,
    read_update_file,
    write_example_file,
    write_partner_templates,
)
from kik_core.model import Concept, FieldOfAction, Goal, Measure, Status, StatusReport
from kik_core.rules import build_snapshot
from tests.ingest_helpers import TODAY, concept, plain_concept

AS_OF = dt.date(2024, 3, 1)
DOCS_EXAMPLE = Path(__file__).parent.parent / "docs" / "partner" / "beispiel-rueckmeldung.xlsx"


def snapshot_with_texts() -> object:
    reports = [
        StatusReport(
            "BS-4.1",
            "implementiert",
            dt.date(2023, 9, 30),
            "Volkshochschule",
            "Drei Kurse.",
            "Mehr Kurse.",
        ),
        StatusReport("BS-4", None, dt.date(2023, 9, 30), "Volkshochschule", "Stand Ziel.", ""),
        StatusReport("BS-5", None, dt.date(2023, 9, 30), "Stadtbibliothek", "", "Ausblick."),
        StatusReport("AA-1", None, dt.date(2023, 9, 30), "Jobcenter", "=1+1", ""),
    ]
    return build_snapshot(concept(), reports, dt.date(2023, 9, 30))


def test_one_template_per_partner(tmp_path: Path) -> None:
    paths = write_partner_templates(concept(), snapshot_with_texts(), tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    assert [p.name for p in paths] == [
        "Vorlage_Jobcenter.xlsx",
        "Vorlage_Stadtbibliothek.xlsx",
        "Vorlage_Volkshochschule.xlsx",
        "Vorlage_ohne_Zustaendigkeit.xlsx",
    ]
    ws = load_workbook(tmp_path / "Vorlage_Volkshochschule.xlsx")["Rückmeldung"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=1, max_row=5)]
    assert rows[0][:6] == [
        "Maßnahme",
        "Status",
        "Stand am",
        "Institution",
        "Aktueller Stand",
        "Ausblick",
    ]
    assert [r[0] for r in rows[1:]] == ["BS-4", "BS-4.1", "BS-4.2", "BS-4.3"]
    assert rows[1][4] == "Stand Ziel."
    assert rows[2][1] == "implementiert"
    assert rows[2][4] == "Drei Kurse."
    assert rows[3][1] == "wartend"
    assert rows[2][2] == dt.datetime(2024, 3, 1)
    assert {r[3] for r in rows[1:]} == {"Volkshochschule"}
    assert rows[4][6] == "Kinderbetreuung während der Kurse."
    # protection: ids and text locked, editable columns unlocked, no password
    assert ws.protection.sheet
    assert not ws.protection.password
    assert ws["A3"].protection.locked
    assert ws["G3"].protection.locked
    assert not ws["B3"].protection.locked
    assert ws["B2"].protection.locked  # no status on goal rows
    assert not ws["E2"].protection.locked
    assert not ws["A50"].protection.locked  # spare rows for new measures
    (validation,) = ws.data_validations.dataValidation
    assert validation.formula1 == '"wartend,in Bearbeitung,implementiert"'
    assert "B2" in str(validation.sqref)
    assert load_workbook(tmp_path / "Vorlage_Volkshochschule.xlsx")["Anleitung"]["A1"].value
    # formula-like texts are neutralised
    job = load_workbook(tmp_path / "Vorlage_Jobcenter.xlsx")["Rückmeldung"]
    assert job["E2"].value == "=1+1"
    assert job["E2"].data_type == "s"
    assert job["E2"].quotePrefix


def test_all_measures_in_one_template_without_partners(tmp_path: Path) -> None:
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    assert path.name == "Vorlage_alle.xlsx"
    ws = load_workbook(path)["Rückmeldung"]
    ids = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert [i for i in ids if i] == list(plain_concept().known_ids())


def test_round_trip_zero_errors(tmp_path: Path) -> None:
    snapshot = snapshot_with_texts()
    paths = write_partner_templates(concept(), snapshot, tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    path = tmp_path / "Vorlage_Volkshochschule.xlsx"
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    ws["B4"] = "implementiert"
    ws["B5"] = "In Bearbeitung"
    ws["F5"] = "Start im Mai."
    workbook.save(path)
    result = read_update_file(path, concept(), today=TODAY)
    assert result.rejected == ()
    statuses = {r.target_id: r.status for r in result.accepted}
    assert statuses == {
        "BS-4": None,
        "BS-4.1": Status.IMPLEMENTIERT,
        "BS-4.2": Status.IMPLEMENTIERT,
        "BS-4.3": Status.IN_BEARBEITUNG,
    }
    assert all(r.as_of == AS_OF for r in result.accepted)
    assert all(r.partner == "Volkshochschule" for r in result.accepted)
    # the read-only text column comes back as a note
    assert result.accepted[1].notes[0][1] == "Integrationskurse."
    for other in paths:
        if other.name in {"Vorlage_Volkshochschule.xlsx", "Vorlage_ohne_Zustaendigkeit.xlsx"}:
            continue
        again = read_update_file(other, concept(), today=TODAY)
        assert again.rejected == (), other.name


def test_round_trip_without_snapshot_after_filling_in(tmp_path: Path) -> None:
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    for row in range(2, ws.max_row + 1):
        target = ws.cell(row=row, column=1).value
        if not target:
            continue
        ws.cell(row=row, column=4).value = "Integrationsbüro"
        if target.count(".") == 0:
            ws.cell(row=row, column=5).value = f"Stand zu {target}."
    ws["B3"] = "implementiert"
    workbook.save(path)
    result = read_update_file(path, plain_concept(), today=TODAY)
    assert result.rejected == ()
    assert result.rows_total == len(list(plain_concept().known_ids()))


def test_untouched_template_ingests_without_errors(tmp_path: Path) -> None:
    """A partner who only changes a status, leaving the goal rows empty, gets no error."""
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=1).value:
            ws.cell(row=row, column=4).value = "Integrationsbüro"
    ws["B3"] = "implementiert"
    workbook.save(path)
    result = read_update_file(path, plain_concept(), today=TODAY)
    assert result.rejected == ()
    assert result.rows_total == len(list(plain_concept().known_ids()))


def test_partner_slug_collisions(tmp_path: Path) -> None:
    c = Concept(
        "S",
        "K",
        None,
        (FieldOfAction("BS", "B"),),
        (Goal("BS-1", "Z"),),
        (Measure("BS-1.1", "a", None, ("vhs Süd",)), Measure("BS-1.2", "b", None, ("vhs-Süd",))),
    )
    names = [p.name for p in write_partner_templates(c, None, tmp_path, as_of=AS_OF)]
    assert names == ["Vorlage_vhs-Sued-2.xlsx", "Vorlage_vhs-Sued.xlsx"]
    assert partner_slug("///") == "Partner"


def test_example_file_matches_the_docs(tmp_path: Path) -> None:
    example_concept = Concept(
        "S",
        "K",
        None,
        (FieldOfAction("BS", "Bildung"), FieldOfAction("AA", "Arbeit")),
        (Goal("BS-4", "Z"), Goal("AA-1", "Z")),
        (Measure("BS-4.1", "a"), Measure("BS-4.3", "b"), Measure("AA-1.2", "c")),
    )
    path = write_example_file(tmp_path / "beispiel.xlsx")
    result = read_update_file(path, example_concept, today=TODAY)
    assert result.rejected == ()
    assert len(result.accepted) == 4
    fresh = [[c.value for c in r] for r in load_workbook(path)["Rückmeldung"].iter_rows()]
    docs = [[c.value for c in r] for r in load_workbook(DOCS_EXAMPLE)["Rückmeldung"].iter_rows()]
    assert docs == fresh, "regenerate: python -c 'from kik_core.ingest import write_example_file'"
