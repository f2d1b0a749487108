"""Partner templates and the documented example file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kik_core.ingest import (
    COLUMNS,
    partner_slug,
    read_update_file,
    write_example_file,
    write_partner_templates,
)
from kik_core.model import (
    Concept,
    FieldOfAction,
    Goal,
    Measure,
    PartnerContact,
    Status,
    StatusReport,
)
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


def header_row(ws: Worksheet) -> int:
    """The row of the table header (the template has lines above it)."""
    return next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "Maßnahme")


def columns(ws: Worksheet) -> dict[str, int]:
    return {str(c.value): c.column for c in ws[header_row(ws)] if c.value}


def fill(ws: Worksheet, row: int, column: str, value: object) -> None:
    """Write a cell the way a partner can: only where the sheet protection allows it."""
    cell = ws.cell(row=row, column=columns(ws)[column])
    assert ws.protection.sheet
    assert not cell.protection.locked, f"{cell.coordinate} ({column}) is locked"
    cell.value = value


def test_one_template_per_partner(tmp_path: Path) -> None:
    contacts = (PartnerContact("Volkshochschule", "Frau Beispiel", "vhs@example.org"),)
    paths = write_partner_templates(
        concept(),
        snapshot_with_texts(),  # type: ignore[arg-type]
        tmp_path,
        as_of=AS_OF,
        deadline=dt.date(2024, 4, 12),
        contacts=contacts,
        office="integration@stadt.example",
    )
    assert [p.name for p in paths] == [
        "Vorlage_Jobcenter.xlsx",
        "Vorlage_Stadtbibliothek.xlsx",
        "Vorlage_Volkshochschule.xlsx",
        "Vorlage_ohne_Zustaendigkeit.xlsx",
    ]
    workbook = load_workbook(tmp_path / "Vorlage_Volkshochschule.xlsx")
    assert workbook.sheetnames == ["Anleitung", "Rückmeldung"]  # instructions first
    ws = workbook["Rückmeldung"]
    top = [ws.cell(row=r, column=1).value for r in range(1, header_row(ws))]
    assert top[0] == "Rückmeldung Volkshochschule"
    assert top[1] == "Integrationskonzept Musterstadt"  # the town named once
    assert top[2] == "Stichtag: 01.03.2024 · Bitte zurücksenden bis 12.04.2024"
    assert "Frau Beispiel (vhs@example.org)" in top[3]
    assert "integration@stadt.example" in top[3]
    head = header_row(ws)
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=head, max_row=head + 4)]
    # reading order: id, text, status, date, texts, institution
    assert rows[0] == [
        "Maßnahme",
        "Maßnahme (Text, nur zur Orientierung)",
        "Status",
        "Stand am",
        "Aktueller Stand",
        "Ausblick",
        "Institution",
    ]
    assert [r[0] for r in rows[1:]] == ["BS-4", "BS-4.1", "BS-4.2", "BS-4.3"]
    assert rows[1][4] == "Stand Ziel."
    assert rows[2][2] == "implementiert"
    assert rows[2][4] == "Drei Kurse."
    assert rows[3][2] == "wartend"
    assert rows[2][3] == dt.datetime(2024, 3, 1)  # a real date
    assert ws.cell(row=head + 2, column=4).number_format == "DD.MM.YYYY"
    assert {r[6] for r in rows[1:]} == {"Volkshochschule"}
    assert rows[4][1] == "Kinderbetreuung während der Kurse."
    # goal rows stand out, their measures are grouped below them
    assert ws.cell(row=head + 1, column=1).font.b
    assert not ws.row_dimensions[head + 1].outlineLevel
    assert ws.row_dimensions[head + 2].outlineLevel == 1
    # page: landscape, one page wide, header repeated, panes frozen below the header
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.fitToWidth == 1
    assert ws.page_setup.fitToHeight == 0
    assert ws.print_title_rows == f"${head}:${head}"
    assert ws.freeze_panes == f"C{head + 1}"
    # protection: ids and text locked, inputs unlocked, no password
    assert ws.protection.sheet
    assert not ws.protection.password
    measure = head + 2
    for column in "AB":
        assert ws[f"{column}{measure}"].protection.locked
    for column in "CDEFG":
        assert not ws[f"{column}{measure}"].protection.locked
    assert ws[f"C{head + 1}"].protection.locked  # no status on goal rows
    assert not ws[f"E{head + 1}"].protection.locked
    assert not ws[f"A{head + 10}"].protection.locked  # spare rows for new measures
    status, date = ws.data_validations.dataValidation
    assert status.formula1 == '"wartend,in Bearbeitung,implementiert"'
    assert f"C{head + 1}" in str(status.sqref)
    assert date.type == "date"
    assert f"D{head + 1}" in str(date.sqref)
    assert workbook["Anleitung"]["A1"].value.startswith("Anleitung")
    assert workbook["Anleitung"].row_dimensions[1].height  # rows do not overlap in print
    # formula-like texts are neutralised
    job = load_workbook(tmp_path / "Vorlage_Jobcenter.xlsx")["Rückmeldung"]
    goal = job.cell(row=header_row(job) + 1, column=5)
    assert goal.value == "=1+1"
    assert goal.data_type == "s"
    assert goal.quotePrefix


def test_all_measures_in_one_template_without_partners(tmp_path: Path) -> None:
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    assert path.name == "Vorlage_alle.xlsx"
    ws = load_workbook(path)["Rückmeldung"]
    ids = [ws.cell(row=r, column=1).value for r in range(header_row(ws) + 1, ws.max_row + 1)]
    assert [i for i in ids if i] == list(plain_concept().known_ids())


def test_partner_fills_only_input_cells_and_gets_no_error(tmp_path: Path) -> None:
    """Done-when of issue 14: filled in as a partner would, the template ingests cleanly."""
    snapshot = snapshot_with_texts()
    paths = write_partner_templates(concept(), snapshot, tmp_path, as_of=AS_OF)  # type: ignore[arg-type]
    path = tmp_path / "Vorlage_Volkshochschule.xlsx"
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    head = header_row(ws)
    fill(ws, head + 1, "Ausblick", "Mehr Kurse 2025.")  # the goal row: text only
    fill(ws, head + 3, "Status", "implementiert")
    fill(ws, head + 4, "Status", "In Bearbeitung")
    fill(ws, head + 4, "Stand am", dt.datetime(2024, 3, 10))
    fill(ws, head + 4, "Ausblick", "Start im Mai.")
    with pytest.raises(AssertionError, match="locked"):
        fill(ws, head + 2, "Maßnahme", "BS-9.9")
    with pytest.raises(AssertionError, match="locked"):
        fill(ws, head + 1, "Status", "implementiert")
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
    assert [r.as_of for r in result.accepted] == [AS_OF, AS_OF, AS_OF, dt.date(2024, 3, 10)]
    assert all(r.partner == "Volkshochschule" for r in result.accepted)
    # the read-only text column comes back as a note
    assert result.accepted[1].notes[0][1] == "Integrationskurse."
    for other in paths:
        if other.name in {"Vorlage_Volkshochschule.xlsx", "Vorlage_ohne_Zustaendigkeit.xlsx"}:
            continue
        again = read_update_file(other, concept(), today=TODAY)
        assert again.rejected == (), other.name


def test_previous_template_layout_is_still_read(tmp_path: Path) -> None:
    """Templates partners already hold: header in row 1, the old column order."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = "Rückmeldung"
    ws.append([*COLUMNS, "Maßnahme (Text, nur zur Orientierung)"])
    ws.append(["BS-4", None, dt.datetime(2024, 3, 1), "Volkshochschule", "Ziel.", None, "Z"])
    ws.append(["BS-4.1", "wartend", dt.datetime(2024, 3, 1), "Volkshochschule", None, None, "a"])
    ws.freeze_panes = "B2"
    workbook.create_sheet("Anleitung")
    workbook.save(tmp_path / "alt.xlsx")
    result = read_update_file(tmp_path / "alt.xlsx", concept(), today=TODAY)
    assert result.rejected == ()
    assert [r.target_id for r in result.accepted] == ["BS-4", "BS-4.1"]


def test_round_trip_without_snapshot_after_filling_in(tmp_path: Path) -> None:
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    head = header_row(ws)
    for row in range(head + 1, ws.max_row + 1):
        target = ws.cell(row=row, column=1).value
        if not target:
            continue
        fill(ws, row, "Institution", "Integrationsbüro")
        if target.count(".") == 0:
            fill(ws, row, "Aktueller Stand", f"Stand zu {target}.")
    fill(ws, head + 2, "Status", "implementiert")
    workbook.save(path)
    result = read_update_file(path, plain_concept(), today=TODAY)
    assert result.rejected == ()
    assert result.rows_total == len(list(plain_concept().known_ids()))


def test_untouched_template_ingests_without_errors(tmp_path: Path) -> None:
    """A partner who only changes a status, leaving the goal rows empty, gets no error."""
    (path,) = write_partner_templates(plain_concept(), None, tmp_path, as_of=AS_OF)
    workbook = load_workbook(path)
    ws = workbook["Rückmeldung"]
    head = header_row(ws)
    for row in range(head + 1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value:
            fill(ws, row, "Institution", "Integrationsbüro")
    fill(ws, head + 2, "Status", "implementiert")
    workbook.save(path)
    result = read_update_file(path, plain_concept(), today=TODAY)
    assert result.rejected == ()
    assert result.rows_total == len(list(plain_concept().known_ids()))


def test_title_names_the_town_once(tmp_path: Path) -> None:
    c = Concept(
        "Neustadt",
        "Neustadt",
        None,
        (FieldOfAction("SP", "Sprache"),),
        (Goal("SP-1", "Z"),),
        (Measure("SP-1.2", "Sprachkurse.", None, ("Caritas Neustadt",)),),
    )
    (path,) = write_partner_templates(c, None, tmp_path, as_of=AS_OF)
    ws = load_workbook(path)["Rückmeldung"]
    assert [ws["A1"].value, ws["A2"].value] == ["Rückmeldung Caritas Neustadt", "Neustadt"]


def test_partner_names_in_other_scripts_stay_readable(tmp_path: Path) -> None:
    names = ("Кемптен Центр", "Ελληνική Κοινότητα", "جمعية الجالية")
    c = Concept(
        "S",
        "K",
        None,
        (FieldOfAction("BS", "B"),),
        (Goal("BS-1", "Z"),),
        tuple(Measure(f"BS-1.{i}", "a", None, (n,)) for i, n in enumerate(names, 1)),
    )
    files = [p.name for p in write_partner_templates(c, None, tmp_path, as_of=AS_OF)]
    assert "Vorlage_Kempten-Tsentr.xlsx" in files
    assert "Vorlage_Ellenike-Koinoteta.xlsx" in files
    assert not [f for f in files if f.startswith("Vorlage_Partner")]


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


@pytest.mark.slow
def test_printed_page_shows_id_text_and_status_together(tmp_path: Path) -> None:
    """Printed with LibreOffice: the table's first page holds id, text and status of a measure."""
    import shutil
    import subprocess

    if not (shutil.which("soffice") and shutil.which("pdftotext")):
        pytest.skip("LibreOffice or poppler not installed")
    paths = write_partner_templates(concept(), None, tmp_path, as_of=AS_OF)
    template = next(p for p in paths if "Volkshochschule" in p.name)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{tmp_path}/profil",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(template),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = template.with_suffix(".pdf")
    pages = []
    for page in (1, 2):
        text = subprocess.run(
            ["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        pages.append(text)
    guide, table = pages
    assert guide.lstrip().startswith("Anleitung")  # the instructions print first
    line = next(x for x in table.splitlines() if "BS-4.3" in x)
    assert "Kinderbetreuung" in line
    assert "wartend" in line
    assert "01.03.2024" in line
