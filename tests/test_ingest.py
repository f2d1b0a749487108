"""Reading and validating partner update files: formats, every rule, hostile input."""

from __future__ import annotations

import datetime as dt
import time
import zipfile
from pathlib import Path

import pytest

from kik_core.errors import Reason
from kik_core.ingest import Limits, read_update_file
from kik_core.model import Provenance, Status
from tests.ingest_helpers import TODAY, concept, good_row, write_csv, write_ods, write_xlsx


def read(path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return read_update_file(path, concept(), today=TODAY, **kw)  # type: ignore[arg-type]


def messages(result, row: int) -> list[str]:  # type: ignore[no-untyped-def]
    (rejected,) = [r for r in result.rejected if r.row == row]
    return [
        f"Zeile {p.location.row}, Spalte {p.location.column}: {p.message}"
        if p.location.column
        else p.message
        for p in rejected.problems
    ]


def reasons(result, row: int) -> set[Reason]:  # type: ignore[no-untyped-def]
    (rejected,) = [r for r in result.rejected if r.row == row]
    return {p.reason for p in rejected.problems}


# --- formats -------------------------------------------------------------------------------


def test_xlsx_valid_rows_become_reports(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "vhs.xlsx",
        [
            good_row("BS-4.3", " In Bearbeitung ", Stand_am=dt.datetime(2024, 3, 1)),
            good_row("bs-4.1", "IMPLEMENTIERT", Stand_am="2024-02-01"),
            good_row("BS-4", "", Aktueller_Stand="Gut unterwegs.", Ausblick="Mehr Kurse."),
        ],
    )
    result = read(path)
    assert result.unreadable is None
    assert result.rejected == ()
    assert result.rows_total == 3
    first, second, goal = result.accepted
    assert first.target_id == "BS-4.3"
    assert first.status is Status.IN_BEARBEITUNG
    assert first.as_of == dt.date(2024, 3, 1)
    assert first.partner == "Volkshochschule"
    assert first.source == Provenance("vhs.xlsx", 2, "Rückmeldung", result.content_hash)
    assert second.target_id == "BS-4.1"
    assert second.status is Status.IMPLEMENTIERT
    assert second.as_of == dt.date(2024, 2, 1)
    assert goal.status is None
    assert goal.outlook == "Mehr Kurse."
    assert len(result.content_hash) == 64


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8-sig", ";"), ("utf-8", ","), ("cp1252", ";"), ("cp1252", ",")],
)
def test_csv_encodings_and_delimiters(tmp_path: Path, encoding: str, delimiter: str) -> None:
    path = write_csv(
        tmp_path / "jobcenter.csv",
        [
            good_row("AA-1.1", "wartend", Institution="Jobcenter Süd", Aktueller_Stand="a, b; c"),
            good_row("AA-1.2", "implementiert", Stand_am="2024-01-31"),
        ],
        delimiter=delimiter,
        encoding=encoding,
    )
    result = read(path)
    assert result.rejected == (), result.rejected
    assert [r.target_id for r in result.accepted] == ["AA-1.1", "AA-1.2"]
    assert result.accepted[0].partner == "Jobcenter Süd"
    assert result.accepted[0].current_state == "a, b; c"
    assert result.accepted[0].as_of == dt.date(2024, 3, 1)  # "01.03.2024" stays a date
    assert result.sheet is None


def test_ods(tmp_path: Path) -> None:
    path = write_ods(tmp_path / "bib.ods", [good_row("BS-5.1", "wartend"), good_row("XX-1.1")])
    result = read(path)
    assert [r.target_id for r in result.accepted] == ["BS-5.1"]
    assert [r.row for r in result.rejected] == [3]
    assert result.sheet == "Rückmeldung"


def test_xlsm_is_read_as_values_macros_ignored(tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "a.xlsx", [good_row()])
    path = tmp_path / "makro.xlsm"
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 64)
    result = read(path)
    assert len(result.accepted) == 1


def test_tolerant_headers_extra_columns_blank_rows(tmp_path: Path) -> None:
    header = [
        "  MASSNAHME ",
        "status",
        "Stand  am",
        "institution",
        "Aktueller Stand",
        "Ausblick",
        "Ansprechperson",
        "Fehler",
    ]
    rows = [
        [*good_row("BS-4.1", "wartend"), "Frau Muster", "alter Fehlertext"],
        [None] * 8,
        ["", "  ", "", "", "", "", "", ""],
        [*good_row("BS-4.2", "wartend"), "", ""],
    ]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows, header=header, sheet=" rückmeldung "))
    assert result.rows_total == 2
    first, second = result.accepted
    assert first.notes == (("Ansprechperson", "Frau Muster"),)  # Fehler column ignored
    assert second.notes == ()
    assert second.source is not None
    assert second.source.row == 5  # blank rows 3 and 4 are skipped, numbering kept


def test_only_sheet_is_used_when_not_named(tmp_path: Path) -> None:
    result = read(write_xlsx(tmp_path / "x.xlsx", [good_row()], sheet="Tabelle1"))
    assert len(result.accepted) == 1


# --- row rules -----------------------------------------------------------------------------


def test_invalid_status_message(tmp_path: Path) -> None:
    rows = [
        good_row(),
        good_row(),
        good_row(),
        good_row(),
        good_row(),
        good_row("BS-4.1", "fertig"),
    ]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows))
    assert messages(result, 7) == [
        "Zeile 7, Spalte Status: „fertig“ ist kein gültiger Status "
        "(erlaubt: wartend, in Bearbeitung, implementiert)"
    ]


def test_unknown_id_suggests_closest(tmp_path: Path) -> None:
    result = read(write_xlsx(tmp_path / "x.xlsx", [good_row("BS-4.4"), good_row("ZZ-9.9")]))
    assert messages(result, 2) == [
        "Zeile 2, Spalte Maßnahme: „BS-4.4“ ist keine bekannte Maßnahme und kein bekanntes "
        "Ziel – meinten Sie „BS-4.3“?"
    ]
    assert reasons(result, 3) == {Reason.UNKNOWN_ID}


def test_invalid_id_form(tmp_path: Path) -> None:
    result = read(write_xlsx(tmp_path / "x.xlsx", [good_row("Sprachkurse"), good_row(4.3)]))
    assert reasons(result, 2) == {Reason.INVALID_ID}
    assert messages(result, 3) == [
        "Zeile 3, Spalte Maßnahme: „4.3“ ist keine gültige Nummer (erwartet z. B. „BS-4.3“ für "
        "eine Maßnahme oder „BS-4“ für ein Ziel)"
    ]


def test_dates(tmp_path: Path) -> None:
    rows = [
        good_row(Stand_am=""),
        good_row(Stand_am="31.02.2024"),
        good_row(Stand_am="März 2024"),
        good_row(Stand_am="16.03.2024"),
        good_row(Stand_am=dt.date(2024, 3, 15)),
        good_row(Stand_am=45352.0),
    ]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows))
    assert messages(result, 2) == [
        "Zeile 2, Spalte Stand am: Das Datum fehlt (bitte als TT.MM.JJJJ eintragen, "
        "z. B. 30.09.2023)"
    ]
    assert reasons(result, 3) == {Reason.INVALID_DATE}
    assert reasons(result, 4) == {Reason.INVALID_DATE}
    assert messages(result, 5) == [
        "Zeile 5, Spalte Stand am: Das Datum 16.03.2024 liegt in der Zukunft "
        "(heute ist der 15.03.2024)"
    ]
    assert [r.source.row for r in result.accepted if r.source] == [6]
    assert reasons(result, 7) == {Reason.INVALID_DATE}


def test_empty_required_cells_all_reported(tmp_path: Path) -> None:
    rows = [
        good_row("", "wartend"),
        good_row("BS-4.1", "", Institution=""),
        good_row("BS-4", "", Institution="", Aktueller_Stand="Text"),
    ]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows))
    assert messages(result, 2) == [
        "Zeile 2, Spalte Maßnahme: Die Zelle ist leer, muss aber ausgefüllt sein"
    ]
    assert [p.location.column for p in result.rejected[1].problems] == ["Institution", "Status"]
    assert [p.location.column for p in result.rejected[2].problems] == ["Institution"]


def test_goal_rules(tmp_path: Path) -> None:
    rows = [
        good_row("BS-4", "wartend"),
        good_row("BS-4", "", Aktueller_Stand="", Ausblick=""),
        good_row("BS-5", "", Aktueller_Stand="", Ausblick="Nächstes Jahr."),
    ]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows))
    assert reasons(result, 2) == {Reason.STATUS_ON_GOAL}
    # a goal row left without text (as in an untouched template) is accepted: it says nothing
    assert [r.target_id for r in result.accepted] == ["BS-4", "BS-5"]


def test_repeated_row(tmp_path: Path) -> None:
    rows = [good_row(), good_row("BS-4.1"), good_row(), good_row(Ausblick="anders")]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows))
    assert messages(result, 4) == ["Diese Zeile wiederholt Zeile 2 derselben Datei"]
    assert len(result.accepted) == 3


def test_all_problems_of_a_row_are_collected(tmp_path: Path) -> None:
    row = good_row("BS-9.9", "fertig", Stand_am="gestern", Institution="")
    result = read(write_xlsx(tmp_path / "x.xlsx", [row]))
    assert reasons(result, 2) == {
        Reason.EMPTY_REQUIRED,
        Reason.UNKNOWN_ID,
        Reason.INVALID_STATUS,
        Reason.INVALID_DATE,
    }
    assert result.rejected[0].values["Maßnahme"] == "BS-9.9"
    assert list(result.rejected[0].values) == list(result.columns)


def test_cell_too_long(tmp_path: Path) -> None:
    result = read(
        write_xlsx(tmp_path / "x.xlsx", [good_row(Ausblick="x" * 101)]),
        limits=Limits(max_cell_chars=100),
    )
    assert messages(result, 2) == [
        "Zeile 2, Spalte Ausblick: Der Text ist zu lang (101 Zeichen, höchstens 100)"
    ]


def test_formula_text_is_kept_as_text(tmp_path: Path) -> None:
    rows = [good_row(Aktueller_Stand='=HYPERLINK("http://x")', Ausblick="@SUM(A1)")]
    result = read(write_csv(tmp_path / "x.csv", rows))
    assert result.accepted[0].current_state == '=HYPERLINK("http://x")'
    assert result.accepted[0].outlook == "@SUM(A1)"


# --- whole-file problems -------------------------------------------------------------------


def unreadable(path: Path, **kw: object) -> tuple[Reason, str]:
    result = read(path, **kw)
    assert result.unreadable is not None
    assert result.rows_total == 0
    return result.unreadable.reason, result.unreadable.message


def test_missing_column_and_sheet(tmp_path: Path) -> None:
    # a readable table without a required column: every row goes back with the reason
    rows = [["BS-4.1", "wartend"], ["BS-4.2", "implementiert"]]
    result = read(write_xlsx(tmp_path / "x.xlsx", rows, header=["Maßnahme", "Status"]))
    assert result.unreadable is None
    assert result.accepted == ()
    assert result.rows_total == 2
    assert messages(result, 2) == [
        "Zeile 2, Spalte Stand am: Die Spalte „Stand am“ fehlt (erwartet: Maßnahme, Status, "
        "Stand am, Institution, Aktueller Stand, Ausblick)",
        "Zeile 2, Spalte Institution: Die Spalte „Institution“ fehlt (erwartet: Maßnahme, "
        "Status, Stand am, Institution, Aktueller Stand, Ausblick)",
    ]
    path = write_xlsx(tmp_path / "y.xlsx", [good_row()], sheet="Daten", extra_sheets=["Mehr"])
    assert unreadable(path) == (Reason.MISSING_SHEET, "Das Tabellenblatt „Rückmeldung“ fehlt")
    path = write_xlsx(tmp_path / "z.xlsx", [["a", "b"]], header=["Name", "Wert"])
    assert unreadable(path)[0] is Reason.MISSING_COLUMN


def test_empty_files(tmp_path: Path) -> None:
    (tmp_path / "leer.csv").write_bytes(b"")
    assert unreadable(tmp_path / "leer.csv") == (Reason.EMPTY_FILE, "Die Datei enthält keine Daten")
    assert unreadable(write_xlsx(tmp_path / "nur-kopf.xlsx", []))[0] is Reason.EMPTY_FILE
    assert unreadable(write_xlsx(tmp_path / "leer.xlsx", [], header=[]))[0] is Reason.EMPTY_FILE


def test_too_large_and_too_many_rows(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [good_row(Ausblick=str(i)) for i in range(30)])
    reason, message = unreadable(path, limits=Limits(max_bytes=1000))
    assert reason is Reason.TOO_LARGE
    assert message.startswith("Die Datei ist zu groß (")
    assert unreadable(path, limits=Limits(max_rows=29)) == (
        Reason.TOO_MANY_ROWS,
        "Die Datei hat zu viele Zeilen (30, erlaubt sind höchstens 29)",
    )


def test_wrong_types_judged_by_content(tmp_path: Path) -> None:
    pdf = tmp_path / "bericht.xlsx"
    pdf.write_bytes(b"%PDF-1.7\n" + b"x" * 100)
    assert unreadable(pdf)[0] is Reason.UNSUPPORTED_TYPE
    text = tmp_path / "notiz.docx"
    text.write_text("Maßnahme;Status\n")
    assert unreadable(text)[0] is Reason.UNSUPPORTED_TYPE
    binary_csv = tmp_path / "bild.csv"
    binary_csv.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert unreadable(binary_csv)[0] is Reason.UNSUPPORTED_TYPE
    docx = tmp_path / "brief.xlsx"
    with zipfile.ZipFile(docx, "w") as z:
        z.writestr("word/document.xml", "<w/>")
    assert unreadable(docx)[0] is Reason.UNSUPPORTED_TYPE
    # an xlsx named .csv is read as xlsx
    real = write_xlsx(tmp_path / "falsch.csv", [good_row()])
    assert len(read(real).accepted) == 1


def test_corrupt_zip_and_truncated_xlsx(tmp_path: Path) -> None:
    broken = tmp_path / "kaputt.xlsx"
    broken.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    assert unreadable(broken)[0] is Reason.CORRUPT
    good = write_xlsx(tmp_path / "gut.xlsx", [good_row()]).read_bytes()
    truncated = tmp_path / "halb.xlsx"
    truncated.write_bytes(good[: len(good) // 2])
    assert unreadable(truncated)[0] is Reason.CORRUPT
    bad_xml = tmp_path / "xml.xlsx"
    with zipfile.ZipFile(tmp_path / "gut.xlsx") as src, zipfile.ZipFile(bad_xml, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, b"<<<nicht xml" if "sheet1" in item.filename else data)
    assert unreadable(bad_xml)[0] is Reason.CORRUPT


def test_encrypted_ole2(tmp_path: Path) -> None:
    path = tmp_path / "geheim.xlsx"
    path.write_bytes(
        bytes.fromhex("D0CF11E0A1B11AE1")
        + b"\x00" * 500
        + "EncryptedPackage".encode("utf-16-le")
        + b"\x00" * 500
    )
    assert unreadable(path) == (
        Reason.ENCRYPTED,
        "Die Datei ist mit einem Passwort geschützt: bitte ohne Passwort speichern und "
        "erneut senden",
    )
    other = tmp_path / "alt.doc"
    other.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1000)
    assert unreadable(other)[0] is Reason.UNSUPPORTED_TYPE


def test_zip_bomb_by_total_size_ratio_and_members(tmp_path: Path) -> None:
    bomb = tmp_path / "bombe.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", b"\x00" * (5 * 1024 * 1024))
    reason, message = unreadable(bomb, limits=Limits(max_uncompressed=4 * 1024 * 1024))
    assert reason is Reason.ZIP_BOMB
    assert "aus Sicherheitsgründen nicht gelesen" in message
    assert unreadable(bomb)[0] is Reason.ZIP_BOMB  # ratio ~1000:1 above the default 100:1
    many = tmp_path / "viele.xlsx"
    with zipfile.ZipFile(many, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
        for i in range(20):
            z.writestr(f"x/{i}.xml", "<a/>")
    assert unreadable(many, limits=Limits(max_members=10))[0] is Reason.ZIP_BOMB


def test_billion_laughs_is_harmless(tmp_path: Path) -> None:
    source = write_xlsx(tmp_path / "gut.xlsx", [good_row(Aktueller_Stand="LAUGH")])
    laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(
            f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
            for i in range(1, 10)
        )
        + "]>"
    )
    path = tmp_path / "lol.xlsx"
    replaced = False
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if b"LAUGH" in data:
                text = data.decode()
                text = text.split("?>", 1)[1] if "?>" in text else text
                data = (laughs + text.replace("LAUGH", "&lol9;")).encode()
                replaced = True
            dst.writestr(item, data)
    assert replaced
    start = time.perf_counter()
    result = read(path)
    assert time.perf_counter() - start < 5
    if result.unreadable is None:
        texts = [r.current_state for r in result.accepted] + [
            v for r in result.rejected for v in r.values.values()
        ]
        assert all(len(t) < 1000 for t in texts)
    else:
        assert result.unreadable.reason is Reason.CORRUPT


def test_cp1252_undecodable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes("Maßnahme;Status\n".encode("cp1252") + b"\x81\x8d\x90\n")
    assert unreadable(path)[0] is Reason.ENCODING


def test_read_never_moves(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [good_row("XX")])
    read(path)
    assert path.exists()
