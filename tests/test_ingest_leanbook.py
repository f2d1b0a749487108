"""The lean error workbook writer gives the workbook openpyxl builds cell by cell (issue 16).

Every case is written twice – by :func:`error_workbook_bytes` (skeleton + spliced
rows) and by :func:`reference_error_workbook` (openpyxl's object model) – and the
two are compared as a partner's program reads them: every cell's value, type,
style, protection and comment, every row's height and outline level, the
dropdowns, the frozen panes, the protection, the document identifier; and the
XML of each part except the style sheet (the lean one holds every cell style, so
its style indices differ).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kik_core.errors import Location, Problem, Reason
from kik_core.ingest import FileResult, read_update_file
from kik_core.ingest._errorbook import error_workbook_bytes, reference_error_workbook
from kik_core.ingest._read import RejectedRow
from kik_core.model import DEFAULT_SCHEME, StatusScheme
from tests.ingest_helpers import HEADER, TODAY, concept, good_row, write_csv, write_xlsx
from tests.scheme_fixtures import FIVE


def _dump(data: bytes) -> list[tuple[Any, ...]]:
    workbook = load_workbook(io.BytesIO(data))
    found: list[tuple[Any, ...]] = [
        ("properties", workbook.properties.identifier, workbook.properties.creator),
        ("sheets", tuple(workbook.sheetnames), workbook.active.title if workbook.active else None),
    ]
    for ws in workbook.worksheets:
        validations = [
            (str(v.sqref), v.type, v.formula1, v.error) for v in ws.data_validations.dataValidation
        ]
        found.append((ws.title, ws.dimensions, ws.freeze_panes, ws.print_title_rows, validations))
        found.append((ws.title, ws.protection.sheet, ws.page_setup.orientation))
        for number, dimension in sorted(ws.row_dimensions.items()):
            found.append((ws.title, number, dimension.height, dimension.outlineLevel))
        for letter, dimension in sorted(ws.column_dimensions.items()):
            found.append((ws.title, letter, dimension.width))
        for row in ws.iter_rows():
            for cell in row:
                found.append(
                    (
                        cell.coordinate,
                        cell.value,
                        cell.data_type,
                        cell.style,
                        cell.number_format,
                        cell.font.b,
                        cell.font.color.rgb if cell.font.color else None,
                        cell.fill.fgColor.rgb,
                        cell.protection.locked,
                        cell.quotePrefix,
                        cell.alignment.wrap_text,
                        cell.border.left.style,
                        (cell.comment.text, cell.comment.author) if cell.comment else None,
                    )
                )
    return found


def _parts(data: bytes) -> dict[str, str]:
    """Each part's canonical XML; style indices dropped (``_dump`` compares cell styles)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: re.sub(r' s="\d+"', "", ET.canonicalize(archive.read(name).decode("utf-8")))
            for name in archive.namelist()
            if name not in ("xl/styles.xml", "docProps/core.xml")
        }


def _assert_same(result: FileResult, scheme: StatusScheme = DEFAULT_SCHEME) -> None:
    lean = error_workbook_bytes(result, scheme)
    reference = reference_error_workbook(result, scheme)
    assert _dump(lean) == _dump(reference)
    assert _parts(lean) == _parts(reference)


def _read(path: Path) -> FileResult:
    return read_update_file(path, concept(), today=TODAY)


def test_mixed_rows_are_written_as_openpyxl_writes_them(tmp_path: Path) -> None:
    rows = [
        good_row("BS-4.1", "fertig"),
        good_row("XX-1.1", Aktueller_Stand="=SUMME(A1)"),
        good_row("BS-4.2"),
        good_row("BS-4", "wartend"),  # a goal row with a status
        good_row("BS-4.3", **{"Stand am": "01.01.2099"}),
        good_row("", Ausblick="  lang " * 60),
        good_row("-1", "@x", Institution="+49 831"),
    ]
    result = _read(write_xlsx(tmp_path / "teils & <Probe> „ä“.xlsx", rows))
    assert len(result.rejected) == 6
    _assert_same(result)


def test_extra_columns_and_many_rows(tmp_path: Path) -> None:
    header = (*HEADER, "Notiz", "Ansprechperson")
    rows = [[*good_row("XX-9.9"), f"Notiz {i}", "Frau A"] for i in range(120)]
    result = _read(write_csv(tmp_path / "viele.csv", rows, header))
    assert len(result.rejected) == 120
    _assert_same(result)


def test_a_row_without_cell_problems_has_no_comments(tmp_path: Path) -> None:
    result = FileResult(
        path=tmp_path / "ohne.xlsx",
        content_hash="0" * 64,
        sheet="Rückmeldung",
        rejected=(
            RejectedRow(
                4,
                dict(zip(HEADER, ["BS-4.1", "wartend", "01.03.2024", "VHS", "", ""], strict=True)),
                (Problem.of(Reason.DUPLICATE_ROW, Location("ohne.xlsx", row=4), first=2),),
            ),
        ),
        columns=HEADER,
    )
    lean = error_workbook_bytes(result)
    with zipfile.ZipFile(io.BytesIO(lean)) as archive:
        assert not [n for n in archive.namelist() if "comment" in n.lower()]
    _assert_same(result)


@pytest.mark.parametrize("scheme", [DEFAULT_SCHEME, FIVE], ids=["kempten", "fuenf"])
def test_the_dropdown_follows_the_scheme(tmp_path: Path, scheme: StatusScheme) -> None:
    result = _read(write_xlsx(tmp_path / "s.xlsx", [good_row("BS-4.1", "fertig")]))
    _assert_same(result, scheme)


def test_the_identifier_and_dates_are_the_files(tmp_path: Path) -> None:
    result = _read(write_xlsx(tmp_path / "d.xlsx", [good_row("XX-1.1")]))
    workbook = load_workbook(io.BytesIO(error_workbook_bytes(result)))
    assert workbook.properties.identifier == f"kik-fehlerliste:{result.content_hash}"
    created = workbook.properties.created
    assert created is not None
    assert abs(created - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
