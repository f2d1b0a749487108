"""The interim report DOCX: structure, numbers, atomic write, templates, PDF export."""

from __future__ import annotations

import csv
import io
import itertools
import re
import shutil
import zipfile
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.oxml.ns import qn

from kik_core.errors import ReportError
from kik_core.model import Status
from kik_core.report import PdfExportError, ReportOptions, build_report, export_pdf
from kik_core.report import _builder as builder_module
from kik_core.report._template import DEFAULT_TEMPLATE, build_default_template
from tests.report_fixtures import CONFLICT_ID, REGRESSION_ID, Case, make_case, make_options
from tests.web_fixtures import musterstadt_played_folder

__all__ = ["musterstadt_played_folder"]  # a fixture used here

STATUSES = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


@pytest.fixture(scope="module")
def report(case: Case, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "Zwischenbericht.docx"
    options = make_options()
    assert isinstance(options, ReportOptions)
    return build_report(
        case.concept,
        case.snapshot,
        out,
        options=options,
        content=case.content,
        history=case.history,
    )


@pytest.fixture(scope="module")
def document(report: Path) -> Any:
    return docx.Document(str(report))


def caption(table: Any) -> str:
    element = table._tbl.tblPr.find(qn("w:tblCaption"))
    return "" if element is None else str(element.get(qn("w:val")))


def table_by_caption(document: Any, text: str) -> Any:
    found = [t for t in document.tables if caption(t) == text]
    assert len(found) == 1, [caption(t) for t in document.tables]
    return found[0]


def cell_texts(row: Any) -> list[str]:
    """Texts of the row's real cells (a spanned cell once)."""
    return [
        "\n".join("".join(t.text or "" for t in p.iter(qn("w:t"))) for p in tc.iter(qn("w:p")))
        for tc in row._tr.tc_lst
    ]


def is_bold_row(row: Any) -> bool:
    runs = list(row._tr.iter(qn("w:r")))
    return bool(runs) and all(r.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None for r in runs)


def headings(document: Any) -> list[tuple[int, str]]:
    result = []
    for p in document.paragraphs:
        m = re.match(r"Heading (\d)", p.style.name)
        if m:
            result.append((int(m[1]), p.text))
    return result


def test_top_level_structure(document: Any, case: Case) -> None:
    top = [text for level, text in headings(document) if level == 1]
    assert top == [
        "Vorwort",
        "Einführung",
        "Zeitliche Umsetzung",
        "Kennzahlen",
        "Umsetzungsstand im Überblick",
        *(f"Handlungsfeld {f.name}" for f in case.concept.fields),
        "Querschnittsthemen",
        "Dank",
        "Anhang: Alle Maßnahmen und ihre letzte Meldung",
        "Anhang: Alle Veränderungen seit dem letzten Bericht",
    ]


def test_heading_levels_never_skip(document: Any) -> None:
    levels = [level for level, _ in headings(document)]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    # the Markdown "####" after a "##" is demoted to level 3
    assert (3, "Eine zu tiefe Überschrift") in headings(document)


def test_title_page_and_properties(document: Any) -> None:
    texts = [p.text for p in document.paragraphs[:10]]
    assert "Kempten (Allgäu)" in texts
    assert "Kommunales Integrationskonzept – Zwischenbericht" in texts
    assert "Dezember 2023" in texts
    assert any("November 2021 bis September 2023" in t for t in texts)
    assert any("Stadt Kempten (Allgäu), Amt für Integration" in t for t in texts)
    assert any("1. Dezember 2023" in t for t in texts)
    props = document.core_properties
    assert props.title == "Kempten (Allgäu): KIK-Zwischenbericht Dezember 2023"
    assert props.language == "de-DE"
    assert props.subject == "Kommunales Integrationskonzept – Zwischenbericht – Dezember 2023"
    # every title-page paragraph is in a named style, none formatted by hand
    for paragraph in itertools.takewhile(
        lambda p: p.style.name != "TOC Heading", document.paragraphs
    ):
        assert paragraph.style.name in {"KIK Kommune", "Title", "Subtitle", "KIK Angabe"}, (
            paragraph.text
        )
        for run in paragraph.runs:
            assert run.font.size is None
            assert run.bold is None
    # no page number on the title page: a first-page footer without fields
    section = document.sections[0]
    assert section.different_first_page_header_footer
    first = section.first_page_footer._element
    assert not list(first.iter(qn("w:instrText")))


def test_toc_is_a_prefilled_field(document: Any) -> None:
    body = document.element.body
    instr = [e.text for e in body.iter(qn("w:instrText"))]
    assert any(t.strip().startswith("TOC") for t in instr)
    toc_entries = [
        p.text
        for p in document.paragraphs
        if p.style.name.lower().startswith("toc ") and p.style.name != "TOC Heading"
    ]
    assert "Umsetzungsstand im Überblick" in toc_entries
    assert "Handlungsfeld Bildung und Sprache" in toc_entries
    # the contents fit on one page: with many sub-headings only the chapters are listed
    assert len(toc_entries) <= builder_module.TOC_MAX_ENTRIES
    assert toc_entries == [text for level, text in headings(document) if level == 1]
    settings = document.settings.element
    update = settings.find(qn("w:updateFields"))
    assert update is not None
    assert update.get(qn("w:val")) == "true"
    tags = [child.tag for child in settings]
    compat = qn("w:compat")
    if compat in tags:
        assert tags.index(qn("w:updateFields")) < tags.index(compat)


def test_status_tables_say_each_status_in_words(document: Any, case: Case) -> None:
    for field in case.concept.fields:
        table = table_by_caption(document, f"Ziele und Maßnahmen im Handlungsfeld {field.name}")
        header = cell_texts(table.rows[0])
        grouped = field.code == "BS"
        assert header == (["Gruppe"] if grouped else []) + ["Nr.", "Ziel/Maßnahme", "Status"]
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        # no merged cells inside the data table
        assert table._tbl.find(f".//{qn('w:gridSpan')}") is None
        assert table._tbl.find(f".//{qn('w:vMerge')}") is None
        found = dict.fromkeys(STATUSES, 0)
        goal_rows = measure_rows = 0
        rows = list(table.rows[1:])
        for index, row in enumerate(rows):
            texts = cell_texts(row)
            assert len(texts) == len(header)
            if texts[-3].startswith("Ziel "):
                goal_rows += 1
                assert is_bold_row_part(row, -3), texts
                # a goal row stays on the page of its first measure
                keep = row._tr.findall(f".//{qn('w:keepNext')}")
                assert len(keep) >= len(header), texts
                assert not cell_texts(rows[index + 1])[-3].startswith("Ziel ")
                continue
            measure_rows += 1
            measure_id = texts[-3]
            status = case.snapshot.status_of(measure_id)
            # read linearly the row says "BS-1.1 … implementiert"
            assert texts[-1].split(" (")[0] == status.label, texts
            found[status] += 1
        assert goal_rows == len(case.concept.goals_of(field.code))
        assert measure_rows == len(case.concept.measures_of(field.code))
        assert found == dict(case.snapshot.by_field[field.code].counts)


def is_bold_row_part(row: Any, index: int) -> bool:
    tc = row._tr.tc_lst[index]
    runs = list(tc.iter(qn("w:r")))
    return bool(runs) and all(
        r.find(f"{qn('w:rPr')}/{qn('w:rStyle')}") is not None
        or r.find(f"{qn('w:rPr')}/{qn('w:b')}") is not None
        for r in runs
    )


def test_editorial_notes_and_inferred_status(document: Any, report: Path) -> None:
    from tests.report_fixtures import INFERRED_ID

    text = "\n".join(p.text for p in document.paragraphs)
    assert "Hinweis der Redaktion: Die Tabelle der Quelle sagt 10/13/7" in text
    annex = table_by_caption(document, "Alle Maßnahmen und ihre letzte Meldung")
    by_id = {cell_texts(r)[0]: cell_texts(r) for r in annex.rows[1:]}
    assert by_id[INFERRED_ID][2].endswith("(erschlossen)")
    assert sum(1 for r in by_id.values() if "erschlossen" in r[2]) == 1
    assert f"{INFERRED_ID}: Im Bericht nur „x“; aus dem Text erschlossen." in text


def test_rounding_footnote() -> None:
    from kik_core import presentation
    from kik_core.rules import StatusCounts

    # 2 of 12 rounds to 16 % once and 17 % once (largest remainder: 16.67 each)
    uneven = StatusCounts.of(
        [Status.IMPLEMENTIERT] * 2 + [Status.IN_BEARBEITUNG] * 2 + [Status.WARTEND] * 8
    )
    assert presentation._uneven_rounding([uneven]) == (2, 12, 16, 17)
    assert presentation.rounding_note([uneven]).endswith(
        "hier etwa 2 von 12 als 16 % und als 17 %."
    )
    even = StatusCounts.of([Status.IMPLEMENTIERT] * 2 + [Status.WARTEND] * 2)
    assert presentation._uneven_rounding([even]) is None
    assert presentation.rounding_note([even]) == ""


def test_plural_correct_sentences() -> None:
    from kik_core.presentation import field_sentence, measures
    from kik_core.rules import StatusCounts

    one = StatusCounts.of([Status.IMPLEMENTIERT, Status.WARTEND, Status.WARTEND])
    assert field_sentence("Sprache", one).startswith(
        "Von den 3 Maßnahmen im Handlungsfeld Sprache ist 1 implementiert"
    )
    assert measures(1) == "1 Maßnahme"
    assert measures(1131) == "1.131 Maßnahmen"


def test_no_direct_formatting_outside_tables(report: Path) -> None:
    """All text is in named styles, so a corporate template restyles everything."""
    with zipfile.ZipFile(report) as z:
        xml = z.read("word/document.xml").decode()
        names = z.namelist()
    assert "word/stylesWithEffects.xml" not in names
    assert "<w:sz " not in xml  # no hand-set font sizes
    assert "<w:i/>" not in xml  # italics come from styles


def test_foreign_language_is_marked(document: Any) -> None:
    langs = {
        "".join(t.text for t in r.iter(qn("w:t"))): lang.get(qn("w:val"))
        for r in document.element.body.iter(qn("w:r"))
        if (lang := r.find(f"{qn('w:rPr')}/{qn('w:lang')}")) is not None
    }
    assert langs["Meet the World"] == "en"
    assert langs["World of Unity!"] == "en-GB"
    text = "\n".join(p.text for p in document.paragraphs)
    assert "{lang=" not in text


def test_chapter_after_a_short_one_shares_its_page(document: Any) -> None:
    heading_1 = [p for p in document.paragraphs if p.style.name == "Heading 1"]
    thanks = next(i for i, p in enumerate(heading_1) if p.text == "Dank")
    after = heading_1[thanks + 1]._p.pPr
    assert after.find(qn("w:pageBreakBefore")).get(qn("w:val")) == "0"
    # long chapters keep their own page
    second = next(p for p in heading_1 if p.text == "Handlungsfeld Arbeit und Ausbildung")
    assert second._p.pPr.find(qn("w:pageBreakBefore")) is None


def alt_texts(report: Path) -> list[str]:
    with zipfile.ZipFile(report) as z:
        xml = z.read("word/document.xml").decode()
    return re.findall(r'<wp:docPr [^>]*descr="([^"]*)"', xml)


def parse_summary(text: str) -> dict[Status, tuple[int, int]]:
    found = {}
    for status in STATUSES:
        m = re.search(rf"(\d+) {status.label} \((\d+) %\)", text)
        assert m, (status, text)
        found[status] = (int(m[1]), int(m[2]))
    return found


def test_donut_alt_texts_agree_with_snapshot(report: Path, case: Case) -> None:
    texts = alt_texts(report)
    for field in case.concept.fields:
        [alt] = [t for t in texts if t.startswith(f"Kreisdiagramm Umsetzungsstand {field.name}:")]
        counts = case.snapshot.by_field[field.code]
        assert parse_summary(alt) == {
            s: (counts.counts[s], counts.percentages[s]) for s in STATUSES
        }
        assert f"insgesamt {counts.total} Maßnahmen" in alt
    assert (
        "Kreisdiagramm Umsetzungsstand Bildung und Sprache: 7 implementiert (23 %), "
        "13 in Bearbeitung (44 %), 10 wartend (33 %); insgesamt 30 Maßnahmen."
    ) in texts
    assert any(t.startswith("Balkendiagramm Umsetzungsstand je Handlungsfeld") for t in texts)
    assert any(t.startswith("Balkendiagramm Entwicklung") for t in texts)


def test_overview_table_agrees_with_marks_and_snapshot(document: Any, case: Case) -> None:
    table = table_by_caption(document, "Umsetzungsstand je Handlungsfeld")
    assert cell_texts(table.rows[0]) == [
        "Handlungsfeld",
        "Maßnahmen",
        "wartend",
        "in Bearbeitung",
        "implementiert",
    ]
    rows = {cell_texts(r)[0]: cell_texts(r) for r in table.rows[1:]}
    names = {f.name: f.code for f in case.concept.fields}
    assert set(rows) == {*names, "Gesamt"}
    for name, texts in rows.items():
        counts = case.snapshot.overall if name == "Gesamt" else case.snapshot.by_field[names[name]]
        assert int(texts[1]) == counts.total
        for status, text in zip(STATUSES, texts[2:], strict=True):
            assert text == f"{counts.counts[status]} ({counts.percentages[status]} %)"
    total = sum(int(rows[n][1]) for n in names)
    assert total == int(rows["Gesamt"][1]) == 144


def test_changes_conflicts_and_annex(document: Any, case: Case, report: Path) -> None:
    changes = table_by_caption(document, "Veränderungen seit dem letzten Bericht")
    rows = [cell_texts(r) for r in changes.rows[1:]]
    assert len(rows) == len(case.snapshot.changes)
    [regression] = [r for r in rows if r[0] == REGRESSION_ID]
    assert regression[2:] == ["implementiert", "in Bearbeitung", "Rückschritt"]
    assert sum(1 for r in rows if r[-1] == "Rückschritt") == sum(
        1 for c in case.snapshot.changes if c.is_regression
    )

    summary = table_by_caption(document, "Veränderungen je Handlungsfeld")
    per_field = {cell_texts(r)[0]: cell_texts(r)[1:] for r in summary.rows[1:]}
    assert list(per_field) == [*(f.name for f in case.concept.fields), "Gesamt"]
    forward, back, _new = (int(x) for x in per_field["Gesamt"])
    assert forward + back == len(case.snapshot.changes)
    assert back == sum(1 for c in case.snapshot.changes if c.is_regression)
    assert sum(int(v[1]) for k, v in per_field.items() if k != "Gesamt") == back

    conflicts = table_by_caption(document, "Offene Konflikte zwischen Partnern")
    [row] = [cell_texts(r) for r in conflicts.rows[1:]]
    assert row[0] == CONFLICT_ID
    assert "Jobcenter → implementiert" in row[3]
    assert row[4] == "wartend"

    annex = table_by_caption(document, "Alle Maßnahmen und ihre letzte Meldung")
    assert len(annex.rows) == 1 + len(case.concept.measures)
    assert cell_texts(annex.rows[0]) == [
        "Nr.",
        "Maßnahme",
        "Status",
        "Verantwortlich",
        "Gemeldet am",
    ]
    by_id = {cell_texts(r)[0]: cell_texts(r) for r in annex.rows[1:]}
    measure = case.concept.measure("BS-1.1")
    assert by_id["BS-1.1"][3] == ", ".join(measure.partners)
    effective = case.snapshot.statuses[CONFLICT_ID]
    # the annex names partner and date, not file and row
    measure = case.concept.measure(CONFLICT_ID)
    for r in effective.reports:
        named = (
            ""
            if r.partner in measure.partners and len(effective.reports) == 1
            else (f" von {r.partner}")
        )
        assert f"{r.as_of:%d.%m.%Y}{named}" in by_id[CONFLICT_ID][4].splitlines()
    assert "30.09.2023 von Jobcenter" in by_id[CONFLICT_ID][4]
    assert "Zeile" not in by_id[CONFLICT_ID][4]
    # file and row are in the machine-readable list beside the report
    sources = builder_module.sources_path(report)
    rows = list(csv.reader(io.StringIO(sources.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert tuple(rows[0]) == builder_module.SOURCES_COLUMNS
    listed = {(r[0], r[4], r[5]) for r in rows[1:]}
    for r in effective.reports:
        assert r.source is not None
        assert (CONFLICT_ID, Path(r.source.file).name, str(r.source.row)) in listed
    assert {r[0] for r in rows[1:]} == {m.id for m in case.concept.measures}


def test_goal_texts_highlights_and_markdown(document: Any, case: Case) -> None:
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Keine Rückmeldung" in text  # goals 3, 7, ... have no texts
    # sub-headings name their goal, so navigation and bookmarks stay useful
    assert (4, "Ziel 1 – Aktueller Stand") in headings(document)
    assert (4, "Ziel 1 – Ausblick") in headings(document)
    assert "Ausblick" in text
    assert "KitaMUTter und Starke Mamas" in text
    assert f"BS-6.1 {case.concept.measure('BS-6.1').text}" in text
    # links are written as text with their address
    assert "kempten.de (https://www.kempten.de/integration)" in text
    # the Markdown pipe table became a real table with a header row
    table = table_by_caption(document, "Tabelle: Titel, Medium, Zielgruppe, Intervall")
    assert cell_texts(table.rows[0]) == ["Titel", "Medium", "Zielgruppe", "Intervall"]
    assert cell_texts(table.rows[2])[0] == "Homepage"
    # bold from Markdown, as the character style "Strong"
    assert any(
        r.style.name == "Strong" and r.text == "Kommunale Integrationskonzept"
        for p in document.paragraphs
        for r in p.runs
    )


def test_key_figures_side_by_side(document: Any) -> None:
    table = table_by_caption(document, "Kennzahlen")
    assert cell_texts(table.rows[0]) == [
        "Kennzahl",
        "Stand 31.12.2020",
        "Stand 31.12.2022",
        "Veränderung",
    ]
    # one source for every figure: named once under the table, not in every row
    assert "Quelle: Amt für Statistik" in [p.text for p in document.paragraphs]
    rows = {cell_texts(r)[0]: cell_texts(r) for r in table.rows[1:]}
    assert rows["Einwohner*innen"][1:4] == ["70.787", "71.918", "+1.131"]
    assert rows["Anteil Ausländer*innen"][1:4] == ["16,5 %", "18,8 %", "+2,3 Prozentpunkte"]


def test_page_numbers_in_footer(document: Any) -> None:
    footer = document.sections[-1].footer._element
    instr = " ".join(e.text for e in footer.iter(qn("w:instrText")))
    assert "PAGE" in instr
    assert "NUMPAGES" in instr
    assert "Seite" in "".join(e.text or "" for e in footer.iter(qn("w:t")))


def test_build_failure_keeps_the_old_report(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "bericht.docx"
    out.write_bytes(b"the last good report")

    def broken_save(self: Any, stream: Any) -> None:
        stream.write(b"PK half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(docx.document.Document, "save", broken_save)
    with pytest.raises(ReportError, match="disk full"):
        build_report(
            case.concept,
            case.snapshot,
            out,
            options=make_options(),  # type: ignore[arg-type]
            content=case.content,
        )
    assert out.read_bytes() == b"the last good report"
    assert [p.name for p in tmp_path.iterdir()] == ["bericht.docx"]


def test_failure_while_composing_keeps_the_old_report(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "bericht.docx"
    out.write_bytes(b"old")

    def boom(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("chart failed")

    monkeypatch.setattr(builder_module, "_annex", boom)
    with pytest.raises(RuntimeError, match="chart failed"):
        build_report(case.concept, case.snapshot, out, options=make_options())  # type: ignore[arg-type]
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["bericht.docx"]


def _municipality_template(tmp_path: Path) -> Path:
    """A corporate template: custom heading colour, a header text, a body to be removed."""
    doc = docx.Document()
    doc.sections[0].header.paragraphs[0].text = "Stadt Musterhausen – Corporate Design"
    doc.styles["Heading 1"].font.size = docx.shared.Pt(22)
    doc.add_paragraph("Dieser Mustertext muss verschwinden.")
    path = tmp_path / "vorlage.docx"
    doc.save(str(path))
    return path


def _as_dotx(source: Path, target: Path) -> Path:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"document.main+xml", b"template.main+xml")
            dst.writestr(info, data)
    return target


@pytest.mark.parametrize("kind", ["docx", "dotx"])
def test_municipality_template_is_used(case: Case, tmp_path: Path, kind: str) -> None:
    template = _municipality_template(tmp_path)
    if kind == "dotx":
        template = _as_dotx(template, tmp_path / "vorlage.dotx")
        with pytest.raises(ValueError, match="not a Word file"):
            docx.Document(str(template))  # why the conversion is needed
    out = build_report(
        case.concept,
        case.snapshot,
        tmp_path / "mit_vorlage.docx",
        options=make_options(template=template),  # type: ignore[arg-type]
        content=case.content,
        history=case.history,
    )
    result = docx.Document(str(out))
    assert result.sections[0].header.paragraphs[0].text == "Stadt Musterhausen – Corporate Design"
    assert result.styles["Heading 1"].font.size == docx.shared.Pt(22)
    text = "\n".join(p.text for p in result.paragraphs)
    assert "Dieser Mustertext muss verschwinden." not in text
    assert "Umsetzungsstand im Überblick" in text
    # python-docx' blank template has no footer: the page numbers are added
    footer = result.sections[-1].footer._element
    assert "NUMPAGES" in " ".join(e.text for e in footer.iter(qn("w:instrText")))


def test_missing_template_is_a_report_error(case: Case, tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="template not found"):
        build_report(
            case.concept,
            case.snapshot,
            tmp_path / "x.docx",
            options=make_options(template=tmp_path / "fehlt.dotx"),
        )  # type: ignore[arg-type]


def test_default_template_is_reproducible() -> None:
    assert build_default_template() == DEFAULT_TEMPLATE.read_bytes()
    doc = docx.Document(io.BytesIO(DEFAULT_TEMPLATE.read_bytes()))
    section = doc.sections[0]
    assert round(section.page_width.cm, 1) == 21.0
    assert round(section.page_height.cm, 1) == 29.7
    assert doc.styles["Normal"].font.name == "Arial"


def test_pdf_export_without_libreoffice(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    with pytest.raises(PdfExportError, match="LibreOffice ist nicht installiert") as info:
        export_pdf(report, tmp_path)
    assert "not installed" not in str(info.value)  # German only
    assert isinstance(info.value, ReportError)


def test_pdf_export_without_the_uno_bridge_makes_no_pdf(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a silent conversion without page numbers in the contents."""
    from kik_core.report import _pdf

    monkeypatch.setattr(_pdf, "find_soffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(_pdf, "find_uno_python", lambda: None)
    with pytest.raises(PdfExportError, match="python3-uno"):
        export_pdf(report, tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_pdf_export(report: Path, tmp_path: Path) -> None:
    from kik_core.report import check_pdf
    from kik_core.report._pdf import find_uno_python

    if find_uno_python() is None:
        pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed")
    pdf = export_pdf(report, tmp_path)
    assert pdf == tmp_path / "Zwischenbericht.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert check_pdf(pdf) == []  # tagged, language, title, figures with content, TH scopes
    import pikepdf

    with pikepdf.open(pdf) as document:
        assert str(document.docinfo["/Title"]) == (
            "Kempten (Allgäu): KIK-Zwischenbericht Dezember 2023"
        )
    assert [p.name for p in tmp_path.iterdir()] == ["Zwischenbericht.pdf"]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_table_of_contents_has_page_numbers(report: Path, tmp_path: Path) -> None:
    """With LibreOffice's Python bridge the TOC is updated before export."""
    import subprocess

    from kik_core.report._pdf import find_uno_python

    if find_uno_python() is None:
        pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed")
    pdf = export_pdf(report, tmp_path)
    contents = subprocess.run(
        ["pdftotext", "-f", "2", "-l", "2", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    entries = [line for line in contents.splitlines() if line.startswith("Handlungsfeld ")]
    assert entries, contents
    assert all(re.search(r"\.{3,}\s*\d+$", line) for line in entries), entries
    assert b"/StructTreeRoot" in pdf.read_bytes()


def test_sentence_introducing_a_list_stays_with_it(document: Any) -> None:
    [intro] = [p for p in document.paragraphs if p.text.startswith("Die Steuerung erfolgt")]
    assert intro.paragraph_format.keep_with_next
    [plain] = [p for p in document.paragraphs if p.text.startswith("Sie wird auf die nächste")]
    assert not plain.paragraph_format.keep_with_next


def test_markdown_table_columns_fit_their_longest_word() -> None:
    rows = [
        ["Titel", "Kurzbeschreibung"],
        ["Homepage", "Grundlegende Informationen zur Integrationsarbeit"],
        ["Com-In", "Kurz"],
        ["www.Kempten.de/Integration/Kommunikation", "(Neu-) Zugewanderte"],
    ]
    widths = builder_module._column_widths(rows, 2)
    assert sum(widths) == builder_module._TEXT_WIDTH
    for column, width in enumerate(widths):
        longest = max(
            min(len(word), builder_module._LONGEST_WORD)
            for row in rows
            for word in row[column].split()
        )
        assert width >= longest * builder_module._CHAR_TWIPS + builder_module._CELL_MARGIN
    assert widths[1] > widths[0]  # more text, more room


def test_no_conflicts_is_one_sentence_not_a_section(case: Case) -> None:
    import attrs

    calm = attrs.evolve(case.snapshot, conflicts=())
    doc = builder_module.compose(
        case.concept,
        calm,
        options=make_options(),  # type: ignore[arg-type]
        content=case.content,
    )
    assert "Offene Konflikte zwischen Partnern" not in [p.text for p in doc.paragraphs]
    assert "Widersprüchliche Meldungen von Partnern gibt es zu diesem Stand nicht." in [
        p.text for p in doc.paragraphs
    ]


def test_every_chart_says_where_its_numbers_come_from(document: Any) -> None:
    paragraphs = document.paragraphs
    for index, paragraph in enumerate(paragraphs):
        if paragraph._p.find(f".//{qn('w:drawing')}") is None:
            continue
        before = paragraphs[index - 1]
        assert "Rückmeldungen der Partner" in before.text, before.text
        assert before.paragraph_format.keep_with_next  # the chart stays with its sentence


def test_pdf_that_cannot_be_repaired_is_not_written(
    report: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kik_core.report import _pdf

    def fake_convert(_python: str, _soffice: str, _docx: Path, target: Path, _work: str) -> None:
        target.write_bytes(b"%PDF-1.7 but broken")

    monkeypatch.setattr(_pdf, "find_soffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(_pdf, "find_uno_python", lambda: "/usr/bin/python3")
    monkeypatch.setattr(_pdf, "_convert_with_uno", fake_convert)
    with pytest.raises(PdfExportError, match="nachbearbeitet"):
        export_pdf(report, tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- the builder only lays out the presentation (issue 15, point 7) -----------------------

#: Formatting the builder must leave to kik_core.presentation: dates, numbers, plurals
#: (kik_core._locale, Babel) and the text helpers the charts module used to have.
FORMATTING = frozenset(
    {
        "_locale",
        "babel",
        "format_count",
        "format_date",
        "format_datetime",
        "format_decimal",
        "format_month",
        "format_number",
        "format_percent",
        "format_signed",
        "format_time",
        "plural",
        "status_alt_text",
        "status_summary",
    }
)
#: Sections another change moves into the presentation (priorities, overdue measures, work
#: packages: issue 17 attributes); until then they may still format. Empty this set then.
PENDING: frozenset[str] = frozenset()
LAYOUT_MODULES = ("_builder.py", "_partners.py")


def formatting_calls(source: str, allowed: frozenset[str] = PENDING) -> list[str]:
    """``function: name`` for each use of a formatting name outside ``allowed`` functions."""
    import ast

    tree = ast.parse(source)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] + [getattr(node, "module", None) or ""]
            if any(m.split(".")[0] == "babel" for m in modules):
                found.append(f"import: {', '.join(modules)}")
            if isinstance(node, ast.ImportFrom) and node.module == "kik_core.report.charts":
                found += [f"import: {a.name}" for a in node.names if a.name in FORMATTING]
    for top in tree.body:
        if not isinstance(top, (ast.FunctionDef, ast.ClassDef)) or top.name in allowed:
            continue
        for node in ast.walk(top):
            name = None
            if isinstance(node, ast.Name):
                name = node.id
            elif isinstance(node, ast.Attribute):
                name = node.attr
            if name in FORMATTING:
                found.append(f"{top.name}: {name}")
    return found


def test_the_builder_formats_nothing_itself() -> None:
    """Every date, number and plural of the DOCX comes from kik_core.presentation."""
    folder = Path(builder_module.__file__).parent
    for name in LAYOUT_MODULES:
        assert formatting_calls((folder / name).read_text(encoding="utf-8")) == [], name
    # the check finds what it is meant to find
    assert formatting_calls(
        "from babel.numbers import format_decimal\n"
        "def _field(w, p):\n    w.paragraph(text=f'Stand {format_date(p.as_of)}')\n"
        "def _key(w, c):\n    w.paragraph(text=charts.status_summary(c))\n"
    ) == [
        "import: format_decimal, babel.numbers",
        "_field: format_date",
        "_key: status_summary",
    ]


def _presentation_texts(p: Any) -> tuple[set[str], list[str]]:
    """Every string of a presentation, and the Markdown sources among them."""
    import attrs

    from kik_core import presentation as pm
    from kik_core.report import charts
    from kik_core.report._markdown import strip_language_marks

    markdown_fields = {
        (pm.FieldView, "intro"),
        (pm.HighlightView, "text"),
        (pm.ReportTextView, "current_state"),
        (pm.ReportTextView, "outlook"),
        (pm.TextSection, "markdown"),
        (pm.Presentation, "thanks"),
    }
    texts: set[str] = set()
    markdown: list[str] = []

    def visit(value: Any, owner: Any = None, name: str = "") -> None:
        if isinstance(value, str):
            value = strip_language_marks(value)  # the DOCX marks the language, not the text
            texts.update({value, value.strip(), *value.splitlines()})
            if (type(owner), name) in markdown_fields:
                markdown.append(value)
        elif attrs.has(type(value)):
            for field in attrs.fields(type(value)):
                visit(getattr(value, field.name), value, field.name)
        elif isinstance(value, (tuple, list, frozenset)):
            for item in value:
                visit(item, owner, name)

    visit(p)
    texts.update(v for v in vars(pm).values() if isinstance(v, str))  # e.g. annex titles
    pages = charts.overview_pages(len(p.overview.chart.labels))
    texts.add(p.overview.chart_intro(len(pages)))
    texts.update(
        p.overview.chart.part_description(page, n, len(pages))
        for n, page in enumerate(pages, start=1)
    )
    return texts, markdown


def _builder_constants() -> set[str]:
    """The builder's own words: headings and labels written as plain string constants."""
    import ast

    folder = Path(builder_module.__file__).parent
    found: set[str] = set()
    for name in LAYOUT_MODULES:
        tree = ast.parse((folder / name).read_text(encoding="utf-8"))
        in_fstrings = {
            id(c) for j in ast.walk(tree) if isinstance(j, ast.JoinedStr) for c in j.values
        }
        found.update(
            n.value.strip()
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in in_fstrings
        )
    return found


def _docx_texts(path: Path) -> list[str]:
    """Every paragraph, table cell and picture description of the document body."""
    document = docx.Document(str(path))
    found = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            found += [cell.text for cell in row.cells]
    found += [
        d.get("descr", "")
        for d in document.element.body.iter(
            "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}docPr"
        )
    ]
    return [t for t in found if t.strip()]


def unexplained(path: Path, p: Any) -> list[str]:
    """The DOCX texts that are neither presentation values nor the builder's own labels.

    A text may join two of them (``label value``); a paragraph rendered from a
    Markdown source of the presentation must be part of that source (letters and
    digits compared, so Markdown syntax does not matter).
    """
    texts, markdown = _presentation_texts(p)
    pool = texts | _builder_constants()
    plain = [re.sub(r"\W", "", m) for m in markdown]

    def known(part: str) -> bool:
        return part in pool or part.strip() in pool

    def explained(text: str) -> bool:
        if known(text) or all(known(line) for line in text.split("\n")):
            return True
        if any(known(text[:i]) and known(text[i:]) for i in range(1, len(text))):
            return True
        letters = re.sub(r"\W", "", text)
        return bool(letters) and any(letters in m for m in plain)

    return [t for t in _docx_texts(path) if not explained(t)]


def _capture_presentation(monkeypatch) -> list[Any]:
    captured: list[Any] = []
    original = builder_module.present

    def present(*args: Any, **kwargs: Any) -> Any:
        captured.append(original(*args, **kwargs))
        return captured[-1]

    monkeypatch.setattr(builder_module, "present", present)
    return captured


def test_every_kempten_docx_text_comes_from_the_presentation(tmp_path, monkeypatch) -> None:
    import datetime as dt

    from kik_core import workflow

    captured = _capture_presentation(monkeypatch)
    folder = tmp_path / "kempten"
    repo = Path(__file__).resolve().parents[1]
    shutil.copytree(repo / "examples" / "kempten", folder, ignore=shutil.ignore_patterns("source"))
    result = workflow.run(folder, pdf=False, today=dt.date(2023, 12, 1))
    assert result.report is not None
    assert unexplained(result.report.docx, captured[-1]) == []
    # and the check notices a text the builder would word itself
    document = docx.Document(str(result.report.docx))
    document.add_paragraph(f"Stand {captured[-1].as_of_text}: alles gut")
    document.save(str(tmp_path / "anders.docx"))
    assert unexplained(tmp_path / "anders.docx", captured[-1]) == [
        f"Stand {captured[-1].as_of_text}: alles gut"
    ]


def test_every_musterstadt_docx_text_comes_from_the_presentation(
    musterstadt_played_folder, tmp_path, monkeypatch
) -> None:
    """A draft of the fourth round: history, changes, the partner board and its annex."""
    import datetime as dt

    from kik_core import workflow
    from tests.web_fixtures import copy_folder

    folder = copy_folder(musterstadt_played_folder, tmp_path)
    workflow.open_round(folder, stichtag=dt.date(2024, 12, 31), today=dt.date(2025, 1, 2))
    captured = _capture_presentation(monkeypatch)
    result = workflow.run(folder, pdf=False, today=dt.date(2025, 1, 2))
    assert result.report is not None
    p = captured[-1]
    assert p.board is not None
    assert p.overview.trend is not None
    assert unexplained(result.report.docx, p) == []
