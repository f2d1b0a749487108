"""Hostile and odd partner files (issue 11, points 3, 4, 5, 7, 13).

Far cells, repeated ODS cells, control characters, unbalanced quotes, UTF-16 and
stray bytes, dates that cannot be right, and library text that must not reach a
partner. The memory-hungry files also run through ``kik ingest`` in a child
process with an address-space limit, so a reader that expands them fails here
instead of taking the machine down.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from kik_core._cells import clean_text
from kik_core.concept_workbook import load_concept, write_concept_workbook
from kik_core.errors import ConceptWorkbookError, Reason
from kik_core.ingest import Limits, read_update_file, write_partner_templates
from kik_core.model import Concept
from kik_core.rules import build_snapshot
from tests.hostile import (
    biff12_record,
    control_characters_csv,
    control_characters_xlsx,
    far_cell_xls,
    far_cell_xlsb,
    far_cell_xlsx,
    repeated_ods,
    unbalanced_quote_csv,
)
from tests.ingest_helpers import HEADER, TODAY, concept, good_row, write_csv, write_xlsx

ROOT = Path(__file__).resolve().parents[1]
#: Address-space limit of the child ``kik ingest`` (Python, calamine, openpyxl, SQLAlchemy
#: need far less; the hostile files asked the old reader for 8 GB to 512 GiB).
CHILD_MEMORY = 3 * 1024**3


def _unreadable(path: Path, the_concept: Concept | None = None) -> tuple[Reason, str]:
    result = read_update_file(path, the_concept or concept(), today=TODAY)
    assert result.unreadable is not None
    return result.unreadable.reason, result.unreadable.message


# -- point 3: control characters are removed on reading --------------------------------


def test_clean_text_removes_control_characters_and_excel_escapes() -> None:
    assert clean_text("a\x0bb_x000B_c\x00d\x1fe\r\nf") == "a b cde\nf"
    assert clean_text("kein _x0041_ Steuerzeichen") == "kein _x0041_ Steuerzeichen"
    assert clean_text("normal\n") == "normal\n"


@pytest.mark.parametrize("writer", [control_characters_csv, control_characters_xlsx])
def test_control_characters_in_partner_cells_are_removed(tmp_path: Path, writer: object) -> None:
    path = writer(tmp_path / "datei")  # type: ignore[operator]
    path = path.rename(path.with_suffix(".csv" if "csv" in writer.__name__ else ".xlsx"))  # type: ignore[attr-defined]
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    [report] = result.accepted
    assert report.current_state.startswith("Läuft")
    assert clean_text(report.current_state) == report.current_state
    assert "_x000B_" not in report.current_state
    # the report's data goes into partner templates (openpyxl refuses control characters)
    snapshot = build_snapshot(concept(), list(result.accepted), TODAY)
    written = write_partner_templates(concept(), snapshot, tmp_path / "ausgang", as_of=TODAY)
    assert written


def test_control_characters_in_concept_workbook_are_removed(tmp_path: Path) -> None:
    path = write_concept_workbook(concept(), tmp_path / "konzept.xlsx")
    workbook = load_workbook(path)
    sheet = workbook["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    column = header.index("Maßnahme") + 1
    sheet.cell(row=2, column=column).value = "Integrationskurse_x000B_ mit Pause."
    workbook.save(path)
    loaded = load_concept(path)
    texts = [m.text for m in loaded.measures]
    assert any(t.startswith("Integrationskurse") for t in texts)
    assert all(clean_text(t) == t and "_x000B_" not in t for t in texts)


# -- point 4: bounded memory before expansion ------------------------------------------


@pytest.mark.parametrize("ref", ["XFD1048576", "GR1048576", "A1048576", "KA5"])
def test_far_cell_xlsx_is_refused_from_its_xml(tmp_path: Path, ref: str) -> None:
    path = far_cell_xlsx(tmp_path / "weit.xlsx", ref)
    assert path.stat().st_size < 10_000
    reason, message = _unreadable(path)
    assert reason is Reason.SHEET_TOO_LARGE
    assert "Rückmeldung" in message


def test_a_large_sheet_that_is_not_read_does_not_refuse_the_file(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "mehr.xlsx", [good_row("BS-4.1")], extra_sheets=["Eigene Daten"])
    workbook = load_workbook(path)
    workbook["Eigene Daten"]["XFD1048576"] = "x"  # never loaded: only Rückmeldung is read
    workbook.save(path)
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert len(result.accepted) == 1


def test_far_cell_within_limits_is_read(tmp_path: Path) -> None:
    path = far_cell_xlsx(tmp_path / "nah.xlsx", "H40")
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert len(result.accepted) == 1
    assert len(result.rejected) == 1  # row 40 holds only "x": rejected with its reasons


def test_far_cell_xls_is_refused_from_its_records(tmp_path: Path) -> None:
    reason, message = _unreadable(far_cell_xls(tmp_path / "weit.xls"))
    assert reason is Reason.SHEET_TOO_LARGE
    assert "Rückmeldung" in message
    assert "IV" in message


def test_plain_xls_is_read(tmp_path: Path) -> None:
    path = far_cell_xls(tmp_path / "alt.xls", row=0, column=0)
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert [r.target_id for r in result.accepted] == ["BS-4.1"]


def test_repeated_ods_cells_are_refused(tmp_path: Path) -> None:
    reason, message = _unreadable(repeated_ods(tmp_path / "wiederholt.ods"))
    assert reason is Reason.SHEET_TOO_LARGE
    assert "Rückmeldung" in message


def test_ods_with_empty_trailing_repeats_is_read(tmp_path: Path) -> None:
    # LibreOffice writes a million empty repeated rows and columns below every sheet
    path = repeated_ods(tmp_path / "normal.ods", rows=1, columns=1)
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert len(result.accepted) == 1


def test_limits_bound_columns_and_cells(tmp_path: Path) -> None:
    path = far_cell_xlsx(tmp_path / "breit.xlsx", "Z2")
    assert read_update_file(path, concept(), today=TODAY).unreadable is None
    narrow = Limits(max_columns=20)
    result = read_update_file(path, concept(), today=TODAY, limits=narrow)
    assert result.unreadable is not None
    assert result.unreadable.reason is Reason.SHEET_TOO_LARGE


def test_concept_workbook_with_far_cell_is_refused(tmp_path: Path) -> None:
    path = write_concept_workbook(concept(), tmp_path / "konzept.xlsx")
    workbook = load_workbook(path)
    workbook["Ziele"]["XFD1048576"] = "x"
    workbook.save(path)
    with pytest.raises(ConceptWorkbookError) as caught:
        load_concept(path)
    assert caught.value.problems[0].reason is Reason.SHEET_TOO_LARGE


# -- xlsb (Excel's binary workbook): BIFF12 records checked before calamine reads them ----


def test_hand_made_xlsb_is_read_like_an_xlsx(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    path = far_cell_xlsb(tmp_path / "gut.xlsb", None)
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Rückmeldung")
    assert sheet.to_python()[0] == list(HEADER)  # the records are valid for calamine
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert [r.target_id for r in result.accepted] == ["BS-4.1"]


def test_xlsb_far_cell_within_limits_is_read(tmp_path: Path) -> None:
    path = far_cell_xlsb(tmp_path / "nah.xlsb", 39, 7)  # H40
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert len(result.accepted) == 1
    assert len(result.rejected) == 1  # row 40 holds only "x": rejected with its reasons


@pytest.mark.parametrize(
    ("row", "column", "where"),
    [
        (1_048_575, 16_383, "Zeile 1048576, Spalte XFD"),
        (1_048_575, 0, "Zeile 1048576, Spalte F"),
        (4, 16_383, "Zeile 5, Spalte XFD"),
        (4, 200, "Zeile 5, Spalte GS"),
    ],
)
def test_far_cell_xlsb_is_refused_from_its_records(
    tmp_path: Path, row: int, column: int, where: str
) -> None:
    # without the guard calamine asks for up to 512 GiB and the process aborts
    path = far_cell_xlsb(tmp_path / "weit.xlsb", row, column)
    assert path.stat().st_size < 2_000
    reason, message = _unreadable(path)
    assert reason is Reason.SHEET_TOO_LARGE
    assert message.startswith(f"Das Tabellenblatt „Rückmeldung“ reicht bis {where} – ")


def test_xlsb_dimension_claiming_the_whole_sheet_is_refused(tmp_path: Path) -> None:
    # calamine caps what it reserves from BrtWsDim (100,000 cells; this file reads in
    # 10 MiB), but the claim is refused like an xlsx <dimension>: same verdict in both formats
    path = far_cell_xlsb(tmp_path / "dim.xlsb", None, dimension=(1_048_575, 16_383))
    reason, message = _unreadable(path)
    assert reason is Reason.SHEET_TOO_LARGE
    assert "„Rückmeldung“ reicht bis Zeile 1048576, Spalte XFD" in message


def test_xlsb_limits_bound_columns(tmp_path: Path) -> None:
    path = far_cell_xlsb(tmp_path / "breit.xlsb", 1, 25)  # Z2
    assert read_update_file(path, concept(), today=TODAY).unreadable is None
    result = read_update_file(path, concept(), today=TODAY, limits=Limits(max_columns=20))
    assert result.unreadable is not None
    assert result.unreadable.reason is Reason.SHEET_TOO_LARGE


def _with_sheet(path: Path, sheet: bytes) -> Path:
    """``path`` with its sheet's record stream replaced by ``sheet``."""
    import zipfile

    source = path.with_name("quelle.xlsb")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for info in old.infolist():
            data = sheet if info.filename.endswith("sheet1.bin") else old.read(info)
            new.writestr(info, data)
    return path


_BEGIN = biff12_record(0x0081) + biff12_record(0x0094, bytes(16)) + biff12_record(0x0091)


@pytest.mark.parametrize(
    "sheet",
    [
        pytest.param(None, id="cut-in-a-cell"),
        pytest.param(_BEGIN + b"\x81\x81\x01\x00", id="type-of-three-bytes"),
        pytest.param(_BEGIN + b"\x00\xff\xff\xff\xff\x01", id="size-of-five-bytes"),
        pytest.param(_BEGIN + b"\x00\xff\xff\xff\x7f" + bytes(20), id="claims-256-MB"),
        pytest.param(_BEGIN + b"\x00\x02\x00\x00", id="row-header-too-short"),
        pytest.param(_BEGIN + b"\x94", id="cut-in-a-header"),
    ],
)
def test_broken_xlsb_records_are_refused_as_corrupt(tmp_path: Path, sheet: bytes | None) -> None:
    # cut 8 bytes: both end records and the last two bytes of the cell "Läuft."
    path = far_cell_xlsb(tmp_path / "kaputt.xlsb", None, truncate=8)
    if sheet is not None:
        path = _with_sheet(path, sheet)
    reason, message = _unreadable(path)
    assert reason is Reason.CORRUPT
    _assert_german(message)
    assert "Excel-Binärformat xlsb" in message
    assert "als Excel-Arbeitsmappe im Format xlsx speichern" in message


def test_xlsb_sheet_that_is_not_read_does_not_refuse_the_file(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    path = far_cell_xlsb(tmp_path / "mehr.xlsb", None, other_sheet=(1_048_575, 16_383))
    assert CalamineWorkbook.from_path(str(path)).sheet_names == ["Rückmeldung", "Eigene Daten"]
    result = read_update_file(path, concept(), today=TODAY)  # only Rückmeldung is read
    assert result.unreadable is None
    assert len(result.accepted) == 1


def test_xlsb_sheets_are_named_from_the_workbook(tmp_path: Path) -> None:
    from kik_core.ingest._guard import FileKind, Refused, check_extent, sheet_extents

    path = far_cell_xlsb(tmp_path / "zwei.xlsb", 39, 7, other_sheet=(4, 30))
    assert sheet_extents(path, FileKind.XLSX) == [
        ("Rückmeldung", 40, 8),  # BrtWsDim
        ("Rückmeldung", 40, 8),  # the filled cells
        ("Eigene Daten", 5, 31),
        ("Eigene Daten", 5, 31),
    ]
    narrow = Limits(max_columns=20)
    check_extent(path, FileKind.XLSX, narrow, read_sheet="Rückmeldung")  # the one read
    with pytest.raises(Refused) as caught:  # every sheet counts (the concept workbook)
        check_extent(path, FileKind.XLSX, narrow)
    assert caught.value.problem.reason is Reason.SHEET_TOO_LARGE
    assert "„Eigene Daten“ reicht bis Zeile 5, Spalte AE" in caught.value.problem.message


def test_broken_xlsb_workbook_part_is_refused_as_corrupt(tmp_path: Path) -> None:
    import zipfile

    good = far_cell_xlsb(tmp_path / "gut.xlsb", None)
    broken = tmp_path / "kaputt.xlsb"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.bin":
                data = data[:-4]  # inside the BrtBundleSh
            target.writestr(info, data)
    reason, message = _unreadable(broken)
    assert reason is Reason.CORRUPT
    assert "Excel-Binärformat xlsb" in message


def test_concept_workbook_as_xlsb_is_checked(tmp_path: Path) -> None:
    path = far_cell_xlsb(tmp_path / "konzept.xlsb")
    with pytest.raises(ConceptWorkbookError) as caught:
        load_concept(path)
    assert caught.value.problems[0].reason is Reason.SHEET_TOO_LARGE


def _kik(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    def limit() -> None:  # pragma: no cover - runs in the child
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))

    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.run(
        [sys.executable, "-m", "kik_core", "ingest", str(folder), "--heute", "2024-03-15", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        preexec_fn=limit,
        env=env,
    )


def _folder(tmp_path: Path) -> Path:
    from kik_core.workflow import init_folder

    folder = init_folder(tmp_path / "stadt", "Musterstadt")
    write_concept_workbook(concept(), folder / "konzept.xlsx")
    return folder


def test_one_hostile_file_never_stops_the_inbox(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    inbox = folder / "eingang"
    far_cell_xlsx(inbox / "a_weit.xlsx")
    far_cell_xlsx(inbox / "b_mittel.xlsx", "GR1048576")
    repeated_ods(inbox / "c_wiederholt.ods")
    unbalanced_quote_csv(inbox / "d_anfuehrung.csv")
    write_xlsx(inbox / "z_gut.xlsx", [good_row("BS-4.2")])
    done = _kik(folder)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert (folder / "archiv" / "2024-03-15" / "z_gut.xlsx").is_file()
    quarantined = sorted(p.name for p in (folder / "quarantaene").iterdir())
    assert [n for n in quarantined if not n.endswith(".grund.txt")] == [
        "a_weit.xlsx",
        "b_mittel.xlsx",
        "c_wiederholt.ods",
        "d_anfuehrung.csv",
    ]
    assert [p.name for p in inbox.iterdir()] == [".in-arbeit"]
    assert not list((inbox / ".in-arbeit").iterdir())


def test_hostile_xlsb_files_are_quarantined_with_their_reason(tmp_path: Path) -> None:
    # the child runs under an address-space limit: calamine expanding a far cell would abort it
    folder = _folder(tmp_path)
    inbox = folder / "eingang"
    far_cell_xlsb(inbox / "a_weit.xlsb")
    far_cell_xlsb(inbox / "b_dim.xlsb", None, dimension=(1_048_575, 16_383))
    far_cell_xlsb(inbox / "c_kaputt.xlsb", None, truncate=8)
    far_cell_xlsb(inbox / "z_gut.xlsb", None)
    done = _kik(folder)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert (folder / "archiv" / "2024-03-15" / "z_gut.xlsb").is_file()
    quarantine = folder / "quarantaene"
    assert sorted(p.name for p in quarantine.iterdir() if not p.name.endswith(".grund.txt")) == [
        "a_weit.xlsb",
        "b_dim.xlsb",
        "c_kaputt.xlsb",
    ]
    reasons = {p.name: p.read_text(encoding="utf-8") for p in quarantine.glob("*.grund.txt")}
    assert len(reasons) == 3
    text = "\n".join(f"{n}: {r}" for n, r in sorted(reasons.items()))
    assert text.count("reicht bis Zeile 1048576, Spalte XFD") == 2, text
    assert "Excel-Binärformat xlsb" in text
    assert [p.name for p in inbox.iterdir()] == [".in-arbeit"]
    assert not list((inbox / ".in-arbeit").iterdir())


# -- point 5: CSV strictly and in the right encoding -------------------------------------


def test_unbalanced_quote_names_the_row_where_it_opened(tmp_path: Path) -> None:
    reason, message = _unreadable(unbalanced_quote_csv(tmp_path / "x.csv"))
    assert reason is Reason.UNBALANCED_QUOTE
    assert "Zeile 2" in message


def test_quote_swallowing_rows_in_the_middle_is_refused(tmp_path: Path) -> None:
    lines = [
        ";".join(HEADER),
        'BS-4.1;wartend;01.03.2024;Volkshochschule;"Läuft;',
        "BS-4.2;wartend;01.03.2024;Volkshochschule;gut;",
        'BS-4.3;wartend;01.03.2024;Volkshochschule;Ende";',
    ]
    path = tmp_path / "mitte.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reason, message = _unreadable(path)
    assert reason is Reason.UNBALANCED_QUOTE
    assert "Zeile 2" in message


def test_quoted_line_breaks_are_still_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "umbruch.csv", [good_row("BS-4.1", Aktueller_Stand="Zeile 1\nZeile 2; mit ;")]
    )
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert result.accepted[0].current_state == "Zeile 1\nZeile 2; mit ;"


def test_field_over_the_csv_limit_rejects_only_its_row(tmp_path: Path) -> None:
    huge = "x" * (csv.field_size_limit() + 10)
    path = write_csv(
        tmp_path / "lang.csv",
        [good_row("BS-4.1"), good_row("BS-4.2", Aktueller_Stand=huge), good_row("BS-4.3")],
    )
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert [r.target_id for r in result.accepted] == ["BS-4.1", "BS-4.3"]
    [rejected] = result.rejected
    assert rejected.row == 3
    assert rejected.problems[0].reason is Reason.FIELD_TOO_LONG


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "cp1252", "utf-8"])
def test_csv_encodings_are_detected(tmp_path: Path, encoding: str) -> None:
    path = write_csv(
        tmp_path / "x.csv",
        [good_row("BS-4.1", Aktueller_Stand="Größere Räume für Übungen")],
        encoding=encoding,
        delimiter="\t" if encoding.startswith("utf-16") else ";",
    )
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None, result.unreadable
    assert result.accepted[0].current_state == "Größere Räume für Übungen"


def test_utf8_with_one_stray_byte_rejects_that_row_only(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "x.csv",
        [good_row("BS-4.1", Aktueller_Stand="Schön"), good_row("BS-4.2", Aktueller_Stand="MARK")],
        encoding="utf-8",
    )
    path.write_bytes(path.read_bytes().replace(b"MARK", b"Gr\xf6\xdfe"))
    result = read_update_file(path, concept(), today=TODAY)
    assert result.unreadable is None
    assert [r.target_id for r in result.accepted] == ["BS-4.1"]
    assert result.accepted[0].current_state == "Schön"
    [rejected] = result.rejected
    assert rejected.problems[0].reason is Reason.ENCODING
    assert "UTF-8" in rejected.problems[0].message


# -- point 7: dates that cannot be right ---------------------------------------------------


@pytest.mark.parametrize(
    ("date", "reason"),
    [
        ("01.01.1900", Reason.DATE_TOO_EARLY),
        ("0030-03-01", Reason.DATE_TOO_EARLY),
        ("17.11.2021", Reason.DATE_TOO_EARLY),  # the day before the concept's adoption
        ("16.03.2024", Reason.FUTURE_DATE),
    ],
)
def test_impossible_dates_are_rejected(tmp_path: Path, date: str, reason: Reason) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [good_row("BS-4.1", Stand_am=date)])
    result = read_update_file(path, concept(), today=TODAY)
    assert not result.accepted
    [rejected] = result.rejected
    assert [p.reason for p in rejected.problems] == [reason]
    assert "Datum" in rejected.problems[0].message


def test_spreadsheet_date_of_1900_is_rejected(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [good_row("BS-4.1", Stand_am=dt.datetime(1900, 1, 1))])
    result = read_update_file(path, concept(), today=TODAY)
    assert not result.accepted
    assert result.rejected[0].problems[0].reason is Reason.DATE_TOO_EARLY


def test_without_adoption_date_2000_is_the_earliest(tmp_path: Path) -> None:
    c = concept()
    undated = Concept(c.municipality, c.title, None, c.fields, c.goals, c.measures)
    path = write_xlsx(
        tmp_path / "x.xlsx",
        [good_row("BS-4.1", Stand_am="31.12.1999"), good_row("BS-4.2", Stand_am="01.01.2000")],
    )
    result = read_update_file(path, undated, today=TODAY)
    assert [r.target_id for r in result.accepted] == ["BS-4.2"]
    assert "01.01.2000" in result.rejected[0].problems[0].message


def test_adoption_day_and_run_day_are_accepted(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "x.xlsx",
        [good_row("BS-4.1", Stand_am="18.11.2021"), good_row("BS-4.2", Stand_am="15.03.2024")],
    )
    result = read_update_file(path, concept(), today=TODAY)
    assert len(result.accepted) == 2


# -- point 13: no English library text reaches partners ------------------------------------

_ENGLISH = ("zip", "file", "error", "expected", "invalid", "not ", "sheet", "cannot", "found")


def _assert_german(message: str) -> None:
    lowered = message.lower()
    assert not any(word in lowered for word in _ENGLISH if word not in ("zip",)), message


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04kaputt",
        b"PK\x03\x04" + b"\x00" * 200,
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + "Workbook".encode("utf-16-le") + b"\x00" * 300,
    ],
)
def test_library_errors_become_german_reasons(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "kaputt.xlsx"
    path.write_bytes(content)
    reason, message = _unreadable(path)
    assert reason is Reason.CORRUPT
    _assert_german(message)


def test_broken_sheet_xml_gives_a_german_reason(tmp_path: Path) -> None:
    import zipfile

    good = write_xlsx(tmp_path / "gut.xlsx", [good_row()])
    broken = tmp_path / "kaputt.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]
            target.writestr(info, data)
    reason, message = _unreadable(broken)
    assert reason is Reason.CORRUPT
    _assert_german(message)
    assert "Tabelleninhalt" in message  # says what is wrong, not the library's "(t)"
