"""Hostile partner files: tiny files that blow a naive reader up, odd text, odd names.

Used by ``tests/test_hostile_files.py``, ``tests/test_faults.py`` and
``benchmarks/bench_hostile.py`` (peak memory of ``kik ingest`` per file).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.ingest_helpers import HEADER, good_row, write_xlsx

__all__ = [
    "HOSTILE",
    "control_characters_csv",
    "control_characters_xlsx",
    "far_cell_xls",
    "far_cell_xlsx",
    "repeated_ods",
    "unbalanced_quote_csv",
]


def far_cell_xlsx(path: Path, ref: str = "XFD1048576") -> Path:
    """A valid update file plus one cell far away (5 KB; naive readers allocate GBs)."""
    from openpyxl import load_workbook

    write_xlsx(path, [good_row("BS-4.1")])
    workbook = load_workbook(path)
    workbook.active[ref] = "x"  # type: ignore[index]
    workbook.save(path)
    return path


def far_cell_xls(path: Path, row: int = 65_535, column: int = 255) -> Path:
    """An old-format .xls update file plus one cell at ``IV65536`` (a 6 KB file, 1.2 GB read)."""
    import xlwt

    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Rückmeldung")
    for index, name in enumerate(HEADER):
        sheet.write(0, index, name)
    for index, value in enumerate(good_row("BS-4.1")):
        sheet.write(1, index, value)
    if row or column:
        sheet.write(row, column, "x")
    workbook.save(str(path))
    return path


_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
 manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2"
  manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""

_CONTENT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">
<office:body><office:spreadsheet><table:table table:name="Rückmeldung">
<table:table-row>{header}</table:table-row>
<table:table-row>{row}</table:table-row>
{extra}
</table:table></office:spreadsheet></office:body></office:document-content>
"""


def _text_cell(text: str, repeat: int = 1) -> str:
    attr = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    return (
        f'<table:table-cell office:value-type="string"{attr}>'
        f"<text:p>{text}</text:p></table:table-cell>"
    )


def repeated_ods(path: Path, *, rows: int = 99_000, columns: int = 1_000) -> Path:
    """An ods whose one filled cell is repeated ``columns`` times in a row repeated ``rows`` times.

    The default stays just below calamine's own limit of 100 million cells, so a
    reader without the extent guard expands it (some 10 GB). With
    ``rows=columns=1`` (and trailing empty repeats, as LibreOffice writes them)
    it is an ordinary valid file.
    """
    header = "".join(_text_cell(h) for h in HEADER)
    row = "".join(_text_cell(str(c)) for c in good_row("BS-4.1"))
    if rows > 1 or columns > 1:
        extra = (
            f'<table:table-row table:number-rows-repeated="{rows}">'
            f"{_text_cell('x', columns)}</table:table-row>"
        )
    else:  # what LibreOffice writes below the data: empty repeats
        extra = (
            '<table:table-row table:number-rows-repeated="1048574">'
            '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        )
    content = _CONTENT.format(header=header, row=row, extra=extra)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "mimetype",
            "application/vnd.oasis.opendocument.spreadsheet",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("META-INF/manifest.xml", _MANIFEST, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _csv_line(cells: list[object]) -> str:
    return ";".join("" if c is None else str(c) for c in cells)


def unbalanced_quote_csv(path: Path) -> Path:
    """Two rows; the first opens a quote it never closes (it would swallow the second)."""
    first = good_row("BS-4.1")
    first[4] = '"Läuft gut'
    lines = [_csv_line(list(HEADER)), _csv_line(first), _csv_line(good_row("BS-4.2"))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def control_characters_csv(path: Path) -> Path:
    """Control characters (vertical tab, NUL-free) inside an accepted ``Aktueller Stand``."""
    row = good_row("BS-4.1", Aktueller_Stand="Läuft\x0bgut\x07 voran")
    path.write_text(_csv_line(list(HEADER)) + "\n" + _csv_line(row) + "\n", encoding="utf-8")
    return path


def control_characters_xlsx(path: Path) -> Path:
    """Excel's escaped control character ``_x000B_`` in a cell."""
    return write_xlsx(path, [good_row("BS-4.1", Aktueller_Stand="Läuft_x000B_gut")])


#: name → writer of every hostile file kind (the benchmark measures each).
HOSTILE: dict[str, Callable[[Path], Path]] = {
    "zelle_XFD1048576.xlsx": far_cell_xlsx,
    "zelle_GR1048576.xlsx": lambda p: far_cell_xlsx(p, "GR1048576"),
    "zelle_IV65536.xls": far_cell_xls,
    "wiederholt.ods": repeated_ods,
    "wiederholt_riesig.ods": lambda p: repeated_ods(p, rows=1_048_000, columns=16_000),
    "anfuehrungszeichen.csv": unbalanced_quote_csv,
    "steuerzeichen.csv": control_characters_csv,
    "steuerzeichen.xlsx": control_characters_xlsx,
}
