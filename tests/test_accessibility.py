"""The accessibility checker: our report passes, a careless DOCX fails."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from kik_core.report import IssueCode, build_report, charts, check_docx
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
