"""A Fortschreibung as the office does it, through the ``kik`` command and the workflow.

A fictional town reports on the old edition (20 measures) for two issued rounds,
then declares the new edition (21 measures: 3 renamed, 1 split, 1 merged, 2 dropped,
3 new; the same edition change as tests/test_editions.py) in kik.toml with a
mapping sheet written by ``kik vorlage zuordnung``. Old- and new-edition files are
ingested; the round after the change counts the new edition with the carried
history, lists the mapping, and the issued round before it never changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook

from kik_core import workflow
from kik_core.cli import main as kik
from kik_core.concept_workbook import write_concept_workbook
from kik_core.editions import load_edition_change
from kik_core.errors import ConceptWorkbookError, DecisionError, Reason, SettingsError
from kik_core.model import Concept, Measure
from kik_core.settings import load_settings
from tests import test_editions as lib
from tests.ingest_helpers import good_row, write_xlsx

D1, D2, D3 = lib.D1, lib.D2, lib.D3  # 30.09.2023, 31.03.2024, 30.09.2024
VALID_FROM = lib.VALID_FROM  # 01.06.2024
LATE_OLD = dt.date(2024, 5, 20)  # an old-edition report, dated before the change
PARTNER = {"BS": "Volkshochschule", "AA": "Jobcenter"}


def _with_partners(concept: Concept) -> Concept:
    measures = tuple(Measure(m.id, m.text, None, (PARTNER[m.id[:2]],)) for m in concept.measures)
    return Concept(
        concept.municipality,
        concept.title,
        concept.adopted_on,
        concept.fields,
        concept.goals,
        measures,
    )


OLD = _with_partners(lib.old_edition())
NEW = _with_partners(lib.new_edition())

SETTINGS = """\
[kommune]
name = "Musterstadt"

[konzept]
datei = "{datei}"
{fortschreibung}
[bericht]
titel = "KIK – Zwischenbericht"
"""

EDITION_BLOCK = """
[[konzept.fortschreibung]]
vorgaenger = "konzept_2021.xlsx"
zuordnung = "zuordnung.xlsx"
gilt_ab = 2024-06-01
"""


def _settings(folder: Path, *, new: bool) -> None:
    text = SETTINGS.format(
        datei="konzept_2024.xlsx" if new else "konzept_2021.xlsx",
        fortschreibung=EDITION_BLOCK if new else "",
    )
    (folder / "kik.toml").write_text(text, encoding="utf-8")


def _file(folder: Path, name: str, rows: list[tuple[str, str, dt.date]]) -> Path:
    cells = [
        good_row(
            target,
            status,
            Stand_am=day.strftime("%d.%m.%Y"),
            Institution=PARTNER.get(target[:2], "Jobcenter"),
        )
        for target, status, day in rows
    ]
    return write_xlsx(folder / "eingang" / name, cells)


def _rows(reports: list[object]) -> list[tuple[str, str, dt.date]]:
    return [(r.target_id, r.status.label, r.as_of) for r in reports]  # type: ignore[attr-defined]


def _fill_mapping(path: Path) -> None:
    """The office fills in the template: the rows of tests/test_editions.py's mapping."""
    workbook = load_workbook(path)
    sheet = workbook["Fortschreibung"]
    sheet.delete_rows(2, sheet.max_row)
    for link in lib.links():
        sheet.append([link.old_id, None, link.kind.value, link.new_id, None])
    workbook.save(path)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _report_rows(path: Path) -> tuple[list[list[str]], str]:
    document = docx.Document(str(path))
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return rows, "\n".join(p.text for p in document.paragraphs)


@pytest.fixture
def town(tmp_path: Path) -> Path:
    """The old edition's history: rounds 30.09.2023 and 31.03.2024 issued."""
    folder = workflow.init_folder(tmp_path / "musterstadt", "Musterstadt")
    (folder / "konzept.xlsx").unlink()
    write_concept_workbook(OLD, folder / "konzept_2021.xlsx")
    write_concept_workbook(NEW, folder / "konzept_2024.xlsx")
    _settings(folder, new=False)
    before = [r for r in lib.REPORTS if r.as_of < VALID_FROM]
    for stichtag, today in ((D1, dt.date(2023, 10, 25)), (D2, dt.date(2024, 4, 25))):
        workflow.open_round(folder, stichtag=stichtag, today=today)
        _file(
            folder,
            f"rueckmeldung_{stichtag}.xlsx",
            _rows([r for r in before if r.as_of == stichtag]),
        )
        summary = workflow.ingest(folder, today=today)
        assert summary.rows_rejected == 0
        workflow.issue(folder)
    return folder


def _declare_new_edition(folder: Path) -> None:
    assert kik(["vorlage", "zuordnung", str(folder), "--alt", "konzept_2021.xlsx", "--neu",
                "konzept_2024.xlsx"]) == 0  # fmt: skip
    _fill_mapping(folder / "zuordnung.xlsx")
    _settings(folder, new=True)


def test_mapping_template_is_prefilled_with_dropdowns_and_never_overwritten(
    town: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kik(["vorlage", "zuordnung", str(town), "--alt", "konzept_2021.xlsx", "--neu",
                "konzept_2024.xlsx"]) == 0  # fmt: skip
    assert "[[konzept.fortschreibung]]" in " ".join(capsys.readouterr().out.split())
    path = town / "zuordnung.xlsx"
    workbook = load_workbook(path)
    assert workbook.sheetnames == [
        "Anleitung",
        "Fortschreibung",
        "Bisherige Fassung",
        "Neue Fassung",
    ]
    sheet = workbook["Fortschreibung"]
    header = [c.value for c in sheet[1]]
    assert header == ["alt", "Maßnahme (bisher)", "Art", "neu", "Maßnahme (neu)"]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    kinds = [r[2] for r in rows]
    assert kinds.count("gleich") == 12  # the numbers both editions have
    assert kinds.count("neu") == 9  # numbers only the new edition has: the office checks them
    assert kinds.count(None) == 8  # old numbers the new edition lacks: the office decides
    assert ["BS-1.1", "alt BS 1", None, None, None] in rows
    lists = {
        str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation
    }
    assert lists["C2"] == '"gleich,umbenannt,geteilt,zusammengelegt,entfallen,neu"'
    assert lists["D2"] == "='Neue Fassung'!$A$2:$A$22"
    # as written it is incomplete: every problem is listed with sheet, row and column
    with pytest.raises(ConceptWorkbookError) as info:
        load_edition_change(path, OLD, NEW, VALID_FROM)
    messages = [str(p) for p in info.value.problems]
    assert (
        "zuordnung.xlsx, Blatt Fortschreibung, Zeile 2, Spalte Art: Die Zelle ist leer"
        in messages[0]
    )
    assert sum("Spalte Art: Die Zelle ist leer" in m for m in messages) == 8
    # the office edits it: a second call never replaces it
    edited = _sha(path)
    capsys.readouterr()
    assert kik(["vorlage", "zuordnung", str(town), "--alt", "konzept_2021.xlsx", "--neu",
                "konzept_2024.xlsx", "--ausgabe", str(path)]) == 1  # fmt: skip
    assert "überschreibt keine Datei" in capsys.readouterr().out
    assert _sha(path) == edited
    # without --ausgabe the next free name is used
    assert kik(["vorlage", "zuordnung", str(town), "--alt", "konzept_2021.xlsx", "--neu",
                "konzept_2024.xlsx"]) == 0  # fmt: skip
    assert (town / "zuordnung_2.xlsx").is_file()
    assert _sha(path) == edited


def test_validate_lists_mapping_problems(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _declare_new_edition(town)
    workbook = load_workbook(town / "zuordnung.xlsx")
    sheet = workbook["Fortschreibung"]
    sheet.append(["BS-1.5", None, "gleich", "BS-1.6", None])  # row 26: a second row for BS-1.5
    sheet.append(["AA-1.7", None, "weg", None, None])  # row 27
    workbook.save(town / "zuordnung.xlsx")
    capsys.readouterr()
    assert kik(["validate", str(town)]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert (
        "zuordnung.xlsx, Blatt Fortschreibung, Zeile 27, Spalte Art: „weg“ ist kein gültiger Wert"
        in out
    )
    assert (
        "Zeile 26, Spalte neu: „gleich“ verbindet gleiche Nummern, nicht BS-1.5 und BS-1.6" in out
    )
    assert "Die alte Maßnahme „BS-1.5“ steht 2-mal in der Zuordnung" in out
    assert "Keine Dateien" not in out  # the inbox is not read while the mapping has errors


def test_a_fortschreibung_end_to_end(town: Path, capsys: pytest.CaptureFixture[str]) -> None:
    settings = load_settings(town)
    issued_q1 = settings.report_path(D2, "herausgegeben")
    q1_bytes = _sha(issued_q1)
    _declare_new_edition(town)
    assert kik(["validate", str(town)]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "Fassung KIK 2021: bis 31.05.2024 (20 Maßnahmen)" in out
    assert "Fassung KIK 2024: ab 01.06.2024 (21 Maßnahmen)" in out
    assert "Alles in Ordnung" in out

    # the round after the change: templates are the new edition's, with the carried history
    today = dt.date(2024, 10, 7)
    workflow.open_round(town, stichtag=D3, today=today)
    templates = workflow.templates(town, today=today)
    ids: dict[str, tuple[object, ...]] = {}
    for path in templates:
        rows = list(load_workbook(path)["Rückmeldung"].iter_rows(values_only=True))
        header = next(i for i, row in enumerate(rows) if row[0] == "Maßnahme")
        assert rows[header][2] == "Status"
        ids |= {str(row[0]): row for row in rows[header + 1 :] if row[0]}
    assert {"BS-2.1", "BS-3.1", "AA-1.11", "AA-2.1"} <= set(ids)
    assert not {"BS-1.1", "BS-1.4", "AA-1.3"} & set(ids)  # old numbers: renamed, split, dropped
    assert ids["BS-2.2"][2] == "implementiert"  # carried from BS-1.2, with its partner's text
    assert ids["BS-2.2"][4] == "Läuft."
    assert ids["BS-3.2"][2] == "in Bearbeitung"  # split from BS-1.4
    assert ids["AA-2.1"][2] == "wartend"  # new

    # an old-edition file dated before the change still counts (carried into BS-2.3);
    # a new-edition file; an old number after the change is refused with the reason
    _file(town, "alt_nachgereicht.xlsx", [("BS-1.3", "in Bearbeitung", LATE_OLD)])
    after = [r for r in lib.REPORTS if r.as_of >= VALID_FROM]
    _file(town, "neu.xlsx", [*_rows(after), ("BS-1.1", "implementiert", D3)])
    result = workflow.validate(town, today=today)
    by_name = {f.name: f for f in result.files}
    assert len(by_name["alt_nachgereicht.xlsx"].accepted) == 1
    refused = by_name["neu.xlsx"].rejected
    assert [r.problems[0].reason for r in refused] == [Reason.OTHER_EDITION]
    assert refused[0].problems[0].message == (
        "„BS-1.1“ gilt seit der Fortschreibung des Konzepts am 01.06.2024 nicht mehr "
        "(jetzt: BS-2.1). Bitte die neue Nummer verwenden (neue Vorlage: kik templates)"
    )
    summary = workflow.ingest(town, today=today)
    assert (summary.rows_accepted, summary.rows_rejected) == (5, 1)

    draft = workflow.report(town, today=today)
    counts = draft.snapshot.overall
    assert draft.concept.title == "KIK 2024"
    assert counts.total == 21
    assert [counts[s] for s in (lib.W, lib.B, lib.I)] == [11, 5, 5]
    moved = {(c.measure_id, c.before.label, c.after.label) for c in draft.snapshot.changes}
    assert moved == {
        ("BS-2.3", "wartend", "in Bearbeitung"),  # the late old-edition report, carried
        ("BS-3.1", "in Bearbeitung", "implementiert"),  # split from BS-1.4
        ("AA-1.11", "in Bearbeitung", "implementiert"),  # merged from AA-1.1 and AA-1.2
        ("AA-1.5", "implementiert", "in Bearbeitung"),
        ("AA-2.1", "wartend", "in Bearbeitung"),  # new
    }
    rows, text = _report_rows(draft.docx)
    # the trend: each date counted in the edition in force then
    assert ["30.09.2023", "14 (70 %)", "2 (10 %)", "4 (20 %)", "20"] in rows
    assert ["31.03.2024", "11 (55 %)", "3 (15 %)", "6 (30 %)", "20"] in rows
    assert ["30.09.2024", "11 (52 %)", "5 (24 %)", "5 (24 %)", "21"] in rows
    assert "Ab dem 01.06.2024 gilt die neue Fassung des Konzepts (21 Maßnahmen; bisher 20)" in text
    assert ["BS-1.4", "alt BS 4", "geteilt → BS-3.1", "neu BS-3.1"] in rows
    assert ["AA-1.3", "alt AA 3", "entfallen → –", ""] in rows

    issued = workflow.issue(town, accept_conflicts=True)
    assert issued.snapshot.overall.total == 21
    assert _sha(issued_q1) == q1_bytes  # the old round's issued report never changes

    # the web edition: the new measure's page shows its predecessor's history
    site = workflow.publish(town)
    page = (site.folder / "massnahmen" / "bs-2-2.html").read_text(encoding="utf-8")
    assert "Hervorgegangen aus BS-1.2 (umbenannt; neue Fassung des Konzepts ab 01.06.2024)." in page
    verlauf = page[page.index("Verlauf der Maßnahme BS-2.2") :]
    for day, label in (("30.09.2023", "in Bearbeitung"), ("31.03.2024", "implementiert"),
                       ("30.09.2024", "implementiert")):  # fmt: skip
        assert day in verlauf
        assert label in verlauf[verlauf.index(day) :][:200]
    merged = (site.folder / "massnahmen" / "aa-1-11.html").read_text(encoding="utf-8")
    assert "Hervorgegangen aus AA-1.1, AA-1.2 (zusammengelegt" in merged
    assert not (site.folder / "massnahmen" / "bs-1-1.html").exists()
    # the earlier round, published again, keeps its own edition
    old_site = workflow.publish(town, as_of=D2, target=town / "alt")
    assert (old_site.folder / "massnahmen" / "bs-1-1.html").is_file()
    assert not (old_site.folder / "massnahmen" / "bs-2-1.html").exists()
    assert old_site.snapshot.overall.total == 20


def test_no_edition_keeps_the_single_concept(town: Path) -> None:
    editions = workflow.load_editions(load_settings(town))
    assert editions.changes == ()
    assert editions.current == OLD
    assert editions.concept_at(D3) is editions.current


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "fehlt.xlsx"\nzuordnung = "zuordnung.xlsx"\n'
            "gilt_ab = 2024-06-01\n",
            "[[konzept.fortschreibung]] Nr. 1 vorgaenger: „fehlt.xlsx“ nicht gefunden",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2021.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = "1. Juni 2024"\n',
            "gilt_ab = '1. Juni 2024' ist kein Datum",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2021.xlsx"\ngilt_ab = 2024-06-01\n',
            "in [[konzept.fortschreibung]] Nr. 1 fehlt zuordnung",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "../konzept_2021.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = 2024-06-01\n',
            "zeigt aus dem Ordner der Kommune hinaus",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2021.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = 2024-06-01\nbis = 2025-01-01\n',
            "unbekannte Einstellung(en) in [[konzept.fortschreibung]] Nr. 1: bis",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2024.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = 2024-06-01\n',
            "vorgaenger ist dieselbe Datei wie [konzept] datei",
        ),
        (
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2021.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = 2024-06-01\n'
            '[[konzept.fortschreibung]]\nvorgaenger = "konzept_2021.xlsx"\n'
            'zuordnung = "zuordnung.xlsx"\ngilt_ab = 2024-01-01\n',
            "gilt_ab 2024-01-01 muss nach 2024-06-01 liegen",
        ),
    ],
)
def test_settings_refuse_a_wrong_fortschreibung(tmp_path: Path, block: str, message: str) -> None:
    folder = tmp_path / "stadt"
    folder.mkdir()
    write_concept_workbook(OLD, folder / "konzept_2021.xlsx")
    write_concept_workbook(NEW, folder / "konzept_2024.xlsx")
    (folder / "zuordnung.xlsx").write_bytes(b"")
    (tmp_path / "konzept_2021.xlsx").write_bytes(b"")
    text = SETTINGS.format(datei="konzept_2024.xlsx", fortschreibung=block)
    (folder / "kik.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_settings(folder)
    assert message in str(info.value)


def test_an_old_kik_toml_stays_valid(tmp_path: Path) -> None:
    folder = workflow.init_folder(tmp_path / "stadt", "Stadt")
    settings = load_settings(folder)
    assert settings.editions == ()
    assert "[[konzept.fortschreibung]]" in (folder / "kik.toml").read_text(encoding="utf-8")


def test_a_new_number_before_the_change_is_explained(town: Path) -> None:
    _declare_new_edition(town)
    _file(town, "zu_frueh.xlsx", [("AA-2.1", "in Bearbeitung", LATE_OLD)])
    result = workflow.validate(town, today=dt.date(2024, 10, 7))
    (problem,) = result.files[0].rejected[0].problems
    assert problem.reason is Reason.OTHER_EDITION
    assert "gilt erst ab der Fortschreibung des Konzepts am 01.06.2024" in problem.message


def test_a_decision_names_a_measure_of_the_edition_in_force_then(town: Path) -> None:
    _declare_new_edition(town)
    before = workflow.decide(
        town, "BS-1.3", "implementiert", reason="Abgeschlossen", by="Büro", as_of=LATE_OLD,
        today=dt.date(2024, 10, 7),
    )  # fmt: skip
    assert before.measure_id == "BS-1.3"
    with pytest.raises(DecisionError, match=r"„BS-1\.3“ gibt es im Konzept nicht"):
        workflow.decide(
            town, "BS-1.3", "implementiert", reason="x", by="Büro", as_of=D3,
            today=dt.date(2024, 10, 7),
        )  # fmt: skip
    # the old edition's decision carries into the renamed measure
    workflow.open_round(town, stichtag=D3, today=dt.date(2024, 10, 7))
    draft = workflow.report(town, today=dt.date(2024, 10, 7))
    assert draft.snapshot.status_of("BS-2.3").label == "implementiert"


def test_a_round_before_the_change_keeps_the_old_edition(town: Path) -> None:
    _declare_new_edition(town)  # declared while the last round of the old edition is open
    today = dt.date(2024, 6, 10)
    workflow.open_round(town, stichtag=dt.date(2024, 5, 31), today=today)
    templates = workflow.templates(town, today=today)
    text = " ".join(
        str(c) for p in templates for row in load_workbook(p)["Rückmeldung"].values for c in row
    )
    assert "BS-1.1" in text
    assert "BS-2.1" not in text
    _file(town, "spaet.xlsx", [("BS-1.3", "in Bearbeitung", LATE_OLD)])
    assert workflow.ingest(town, today=today).rows_accepted == 1
    issued = workflow.issue(town, accept_conflicts=True)
    assert issued.concept.title == "KIK 2021"
    assert issued.snapshot.overall.total == 20
    assert issued.snapshot.status_of("BS-1.3").label == "in Bearbeitung"
    _rows, text = _report_rows(issued.docx)
    assert "Fortschreibung" not in text


def test_the_mapping_template_says_what_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = workflow.init_folder(tmp_path / "stadt", "Stadt")
    assert kik(["vorlage", "zuordnung", str(folder)]) == 1
    assert "Welche Fassung ist die bisherige?" in capsys.readouterr().out
    assert kik(["vorlage", "zuordnung", str(folder), "--alt", "fehlt.xlsx"]) == 1
    out = " ".join(capsys.readouterr().out.split())
    assert "--alt: das Konzept-Arbeitsbuch" in out
    assert "fehlt.xlsx gibt es nicht" in out
    assert kik(["vorlage", "zuordnung", str(folder), "--alt", "konzept.xlsx"]) == 1
    assert "dieselbe Datei" in capsys.readouterr().out
    assert not list(folder.glob("zuordnung*"))
