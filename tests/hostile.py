"""Hostile partner files: tiny files that blow a naive reader up, odd text, odd names.

Used by ``tests/test_hostile_files.py``, ``tests/test_faults.py`` and
``benchmarks/bench_hostile.py`` (peak memory of ``kik ingest`` per file).
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

from tests.ingest_helpers import HEADER, good_row, write_xlsx

__all__ = [
    "HOSTILE",
    "biff12_record",
    "control_characters_csv",
    "control_characters_xlsx",
    "far_cell_xls",
    "far_cell_xlsb",
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


def biff12_record(kind: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: type (1–2 bytes) and size (1–4 bytes) as 7-bit varints, then the body."""
    head = bytes([kind & 0x7F | 0x80, kind >> 7]) if kind > 0x7F else bytes([kind])
    size, varint = len(body), bytearray()
    while True:
        byte, size = size & 0x7F, size >> 7
        varint.append(byte | (0x80 if size else 0))
        if not size:
            return head + bytes(varint) + body


def _wide(text: str) -> bytes:
    """An XLWideString: character count (4 bytes), then UTF-16-LE."""
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def _xlsb_cell(column: int, text: str) -> bytes:
    # BrtCellSt: column, style (3 bytes) + flags (1 byte), the text
    return biff12_record(0x0006, struct.pack("<II", column, 0) + _wide(text))


def _xlsb_row(row: int) -> bytes:
    # BrtRowHdr: row, style, height, flags, no column spans
    return biff12_record(0x0000, struct.pack("<IIHHBI", row, 0, 300, 0, 0, 0))


_XLSB_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
{overrides}</Types>
"""
_XLSB_OVERRIDE = (
    '<Override PartName="/xl/worksheets/{name}" '
    'ContentType="application/vnd.ms-excel.worksheet"/>\n'
)
_XLSB_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
{relationships}</Relationships>
"""
_XLSB_REL = (
    '<Relationship Id="{rid}" Target="{target}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{kind}"/>\n'
)


def _xlsb_sheet(rows: list[list[str]], far: tuple[int, int] | None, last: tuple[int, int]) -> bytes:
    """A sheet's record stream: ``rows`` from A1, one ``x`` at ``far``, BrtWsDim up to ``last``."""
    data = bytearray(biff12_record(0x0081))  # BrtBeginSheet
    data += biff12_record(0x0094, struct.pack("<4I", 0, last[0], 0, last[1]))  # BrtWsDim
    data += biff12_record(0x0091)  # BrtBeginSheetData
    for index, values in enumerate(rows):
        data += _xlsb_row(index)
        for col, value in enumerate(values):
            if value:
                data += _xlsb_cell(col, value)
    if far is not None:
        data += _xlsb_row(far[0]) + _xlsb_cell(far[1], "x")
    return bytes(data + biff12_record(0x0092) + biff12_record(0x0082))  # end data, sheet


def far_cell_xlsb(
    path: Path,
    row: int | None = 1_048_575,
    column: int = 16_383,
    *,
    dimension: tuple[int, int] | None = None,
    truncate: int = 0,
    other_sheet: tuple[int, int] | None = None,
) -> Path:
    """A valid update file in Excel's binary format (.xlsb), written record by record.

    Sheet "Rückmeldung" holds the header and one good row, plus one cell ``x`` at
    the 0-based ``row``/``column`` (default ``XFD1048576``; ``None``: no far
    cell). Its BrtWsDim claims the range up to ``dimension`` (0-based last row,
    last column; default: the filled cells). ``truncate`` cuts that many bytes
    off the end of the sheet's record stream (a broken file). ``other_sheet``
    adds a sheet "Eigene Daten" with one ``x`` at that 0-based (row, column).
    """
    rows: list[list[str]] = [list(HEADER), [str(c) for c in good_row("BS-4.1")]]
    far = None if row is None else (row, column)
    last = (len(rows) - 1, len(HEADER) - 1)
    if far is not None:
        last = max(last[0], far[0]), max(last[1], far[1])
    sheets = [("Rückmeldung", _xlsb_sheet(rows, far, dimension or last))]
    sheets[0] = sheets[0][0], sheets[0][1][: len(sheets[0][1]) - truncate]
    if other_sheet is not None:
        sheets.append(("Eigene Daten", _xlsb_sheet([], other_sheet, other_sheet)))
    records = [biff12_record(0x0083), biff12_record(0x008F)]  # BrtBeginBook, BrtBeginBundleShs
    for index, (title, _data) in enumerate(sheets, 1):
        bundle = struct.pack("<II", 0, index) + _wide(f"rId{index}") + _wide(title)
        records.append(biff12_record(0x009C, bundle))  # BrtBundleSh
    records += [biff12_record(0x0090), biff12_record(0x0084)]  # BrtEndBundleShs, BrtEndBook
    names = [f"sheet{index}.bin" for index in range(1, len(sheets) + 1)]
    relationships = "".join(
        _XLSB_REL.format(rid=f"rId{index}", target=f"worksheets/{name}", kind="worksheet")
        for index, name in enumerate(names, 1)
    )
    package = _XLSB_REL.format(rid="rId1", target="xl/workbook.bin", kind="officeDocument")
    overrides = "".join(_XLSB_OVERRIDE.format(name=name) for name in names)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _XLSB_TYPES.format(overrides=overrides))
        archive.writestr("_rels/.rels", _XLSB_RELS.format(relationships=package))
        archive.writestr(
            "xl/_rels/workbook.bin.rels", _XLSB_RELS.format(relationships=relationships)
        )
        archive.writestr("xl/workbook.bin", b"".join(records))
        for name, (_title, data) in zip(names, sheets, strict=True):
            archive.writestr(f"xl/worksheets/{name}", data)
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
    "zelle_XFD1048576.xlsb": far_cell_xlsb,
    "dimension_XFD1048576.xlsb": lambda p: far_cell_xlsb(p, None, dimension=(1_048_575, 16_383)),
    "wiederholt.ods": repeated_ods,
    "wiederholt_riesig.ods": lambda p: repeated_ods(p, rows=1_048_000, columns=16_000),
    "anfuehrungszeichen.csv": unbalanced_quote_csv,
    "steuerzeichen.csv": control_characters_csv,
    "steuerzeichen.xlsx": control_characters_xlsx,
}
