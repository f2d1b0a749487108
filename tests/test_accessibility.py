"""The accessibility checker: our report passes, a careless DOCX fails."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import docx
import pikepdf
import pytest
from docx.oxml.ns import qn

from kik_core.report import IssueCode, build_report, charts, check_docx, check_pdf
from kik_core.report._ooxml import Cell, add_field, append_rows
from tests.report_fixtures import make_case, make_options


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    case = make_case()
    return build_report(
        case.concept,
        case.snapshot,
        tmp_path_factory.mktemp("a11y") / "bericht.docx",
        options=make_options(),
        content=case.content,  # type: ignore[arg-type]
        history=case.history,
    )


def test_kempten_report_passes(report: Path) -> None:
    assert check_docx(report) == []


def test_report_language_and_headers(report: Path) -> None:
    doc = docx.Document(str(report))
    lang = doc.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
    )
    assert lang.get(qn("w:val")) == "de-DE"
    for table in doc.tables:
        tbl_pr = table._tbl.tblPr
        assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
        tags = [c.tag for c in tbl_pr]
        assert tags[-2:] == [qn("w:tblCaption"), qn("w:tblDescription")]
    shapes = doc.inline_shapes
    assert len(shapes) == 6 + 2  # six donuts, overview, trend
    for shape in shapes:
        assert shape._inline.docPr.get("descr")


def broken_docx(tmp_path: Path) -> Path:
    doc = docx.Document()
    doc.add_heading("Bericht", 1)
    doc.add_heading("Zu tief", 3)  # skips level 2
    doc.add_paragraph().add_run().add_picture(
        io.BytesIO(charts.donut_chart("X", charts.StatusCounts.of([]))), width=docx.shared.Cm(4)
    )
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "ohne Kopfzeile"
    lang = doc.styles.element.find(
        f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}"
    )
    if lang is not None:
        lang.getparent().remove(lang)
    doc.core_properties.title = ""
    path = tmp_path / "kaputt.docx"
    doc.save(str(path))
    return path


def test_broken_docx_fails_with_the_right_issues(tmp_path: Path) -> None:
    issues = check_docx(broken_docx(tmp_path))
    codes = [i.code for i in issues]
    assert sorted(codes, key=lambda c: c.value) == sorted(
        [
            IssueCode.NO_LANGUAGE,
            IssueCode.NO_TITLE,
            IssueCode.IMAGE_WITHOUT_ALT_TEXT,
            IssueCode.TABLE_WITHOUT_HEADER_ROW,
            IssueCode.TABLE_WITHOUT_DESCRIPTION,
            IssueCode.HEADING_LEVEL_SKIPPED,
            IssueCode.LEFTOVER_STYLES,  # python-docx' blank document has them
            IssueCode.NO_WIDOW_CONTROL,
        ],
        key=lambda c: c.value,
    )
    skipped = next(i for i in issues if i.code is IssueCode.HEADING_LEVEL_SKIPPED)
    assert "Zu tief" in skipped.location
    assert "Ebene 2" in skipped.message


def test_no_headings_and_unreadable(tmp_path: Path) -> None:
    doc = docx.Document()
    doc.add_paragraph("nur Text")
    path = tmp_path / "flach.docx"
    doc.save(str(path))
    assert IssueCode.NO_HEADINGS in [i.code for i in check_docx(path)]
    junk = tmp_path / "kein.docx"
    junk.write_bytes(b"not a zip")
    assert [i.code for i in check_docx(junk)] == [IssueCode.UNREADABLE]


def old_style_docx(tmp_path: Path) -> Path:
    """The first release's status table: a spanned goal row, merged groups, "x" marks."""
    doc = docx.Document(str(build_report_template()))
    doc.add_heading("Bericht", 1)
    table = doc.add_table(rows=0, cols=4)
    append_rows(
        table,
        [[Cell("Nr."), Cell("Maßnahme"), Cell("wartend"), Cell("implementiert")]],
        header=True,
    )
    append_rows(
        table,
        [
            [Cell("1."), Cell("Ein Ziel", span=3)],
            [Cell("1.1"), Cell("Eine Maßnahme"), Cell(""), Cell("x")],
        ],
    )
    table._tbl.tblPr.append(
        docx.oxml.parse_xml(
            '<w:tblCaption xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
            ' w:val="Status"/>'
        )
    )
    section = doc.sections[0]
    section.different_first_page_header_footer = True
    add_field(section.first_page_footer.paragraphs[0], "PAGE")
    path = tmp_path / "alt.docx"
    doc.save(str(path))
    return path


def build_report_template() -> Path:
    from kik_core.report._template import DEFAULT_TEMPLATE

    return DEFAULT_TEMPLATE


def test_first_release_tables_and_title_page_fail(tmp_path: Path) -> None:
    codes = {i.code for i in check_docx(old_style_docx(tmp_path))}
    assert codes == {
        IssueCode.MERGED_CELLS,
        IssueCode.MARK_WITHOUT_WORDS,
        IssueCode.PAGE_NUMBER_ON_TITLE_PAGE,
    }


def test_default_template_passes_the_template_checks() -> None:
    codes = {i.code for i in check_docx(build_report_template())}
    assert codes <= {IssueCode.NO_HEADINGS}


def test_pdf_check_on_a_pdf_without_tags(tmp_path: Path) -> None:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page()
    path = tmp_path / "leer.pdf"
    pdf.save(path)
    [issue] = check_pdf(path)
    assert issue.code is IssueCode.PDF_STRUCTURE
    assert "nicht getaggt" in issue.message
    junk = tmp_path / "kein.pdf"
    junk.write_bytes(b"not a pdf")
    assert [i.code for i in check_pdf(junk)] == [IssueCode.UNREADABLE]


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
@pytest.mark.parametrize("example", ["kempten", "musterstadt"])
def test_example_reports_pass_docx_and_pdf_checks(
    example: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The acceptance check of issue 13: both examples, DOCX and PDF."""
    from kik_core import workflow
    from kik_core.report._pdf import find_uno_python

    if find_uno_python() is None:
        pytest.skip("LibreOffice's Python bridge (python3-uno) is not installed")
    folder = tmp_path_factory.mktemp(example) / example
    shutil.copytree(
        EXAMPLES / example, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*")
    )
    # each example's "today" lies after its Stichtag (kik.toml), as in the office
    today = {"kempten": dt.date(2023, 12, 1), "musterstadt": dt.date(2024, 10, 15)}[example]
    result = workflow.run(folder, pdf=True, today=today)
    assert check_docx(result.report.docx) == []
    assert result.report.pdf is not None
    assert check_pdf(result.report.pdf) == []
    with pikepdf.open(result.report.pdf) as pdf:
        figures = [e for e in _struct_elements(pdf.Root.StructTreeRoot) if e.get("/S") == "/Figure"]
        tables = [e for e in _struct_elements(pdf.Root.StructTreeRoot) if e.get("/S") == "/Table"]
    shapes = docx.Document(str(result.report.docx)).inline_shapes
    assert len(figures) == len(shapes)  # every chart is a figure with alt text and content
    document = docx.Document(str(result.report.docx))
    trend = any(p.text == "Entwicklung über die Berichtszeitpunkte" for p in document.paragraphs)
    fields = len(result.report.concept.fields)
    assert len(figures) == fields + 1 + trend  # donuts, overview, trend where there is history
    assert all(str(f.Alt).strip() and "/K" in f for f in figures)
    # table captions and summaries survive into the PDF
    assert tables
    assert all("/T" in t for t in tables)


def _struct_elements(root: object) -> list:
    from kik_core.report._pdf_tags import _elements

    return _elements(root)


def test_picture_must_stay_with_its_sentence(tmp_path: Path) -> None:
    doc = docx.Document(str(build_report_template()))
    doc.add_heading("Bericht", 1)
    sentence = doc.add_paragraph("Das Diagramm zeigt den Stand.")
    run = doc.add_paragraph().add_run()
    shape = run.add_picture(
        io.BytesIO(charts.donut_chart("X", charts.StatusCounts.of([]))), width=docx.shared.Cm(4)
    )
    shape._inline.docPr.set("descr", "Kreisdiagramm ohne Maßnahmen")
    path = tmp_path / "bild.docx"
    doc.save(str(path))
    [issue] = [i for i in check_docx(path) if i.code is IssueCode.PICTURE_NOT_KEPT]
    assert "Das Diagramm zeigt den Stand." in issue.location
    sentence.paragraph_format.keep_with_next = True
    doc.save(str(path))
    assert IssueCode.PICTURE_NOT_KEPT not in {i.code for i in check_docx(path)}
