"""Hostile-input checks: size, type by content (magic bytes), zip bombs, encryption.

Nothing here parses a spreadsheet. The checks look at the file's size, its
first bytes and (for zip containers) the zip directory, so that a refused file
never reaches a parser.
"""

from __future__ import annotations

import enum
import functools
import logging
import re
import struct
import zipfile
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from typing import IO

import attrs
import olefile
from lxml import etree

from kik_core.errors import Location, Problem, Reason
from kik_core.ingest._format import SHEET, column_letter, normalize_header

__all__ = [
    "FileKind",
    "Limits",
    "Refused",
    "check_extent",
    "detect_kind",
    "human_size",
    "sheet_extents",
]

log = logging.getLogger("kik_core.ingest")

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
_ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")
_XLS_MARKERS = ("Workbook".encode("utf-16-le"), "Book".encode("utf-16-le"))
_TEXT_SUFFIXES = {".csv", ".txt"}
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


@attrs.frozen
class Limits:
    """Limits that protect ingest from oversized or malicious files.

    Attributes:
        max_bytes: largest file accepted, in bytes (default 20 MB).
        max_rows: most data rows accepted in one file (default 10 000).
        max_uncompressed: largest total uncompressed size of a zip container
            (xlsx, xlsm, xlsb, ods), in bytes (default 100 MB).
        max_members: most members of a zip container (default 1 000).
        max_ratio: highest compression ratio of a zip member larger than
            ``ratio_min_size`` (default 100).
        ratio_min_size: members below this uncompressed size are not ratio-checked.
        max_cell_chars: longest accepted text in one cell (default 10 000).
        max_columns: the right-most filled column a sheet may use (default 200);
            checked from the file's XML before any reader expands the sheet.
        max_cells: most cells (rows × columns up to the last filled cell) a
            sheet may span (default 4 000 000, about 150 MB in the reader).
    """

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 10_000
    max_uncompressed: int = 100 * 1024 * 1024
    max_members: int = 1_000
    max_ratio: float = 100.0
    ratio_min_size: int = 1024 * 1024
    max_cell_chars: int = 10_000
    max_columns: int = 200
    max_cells: int = 4_000_000


class FileKind(enum.Enum):
    """What a file is, judged by its content rather than its name."""

    XLSX = "xlsx"  # also xlsm (values only, macros are never run) and xlsb (binary records)
    ODS = "ods"
    XLS = "xls"
    CSV = "csv"


class Refused(Exception):  # noqa: N818 - internal control flow, carries the Problem
    """Internal: the whole file is refused; ``problem`` says why."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.problem = problem


def human_size(size: int) -> str:
    """Render a byte count for partners, e.g. ``20 MB`` or ``512 KB``."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB").replace(".", ",")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} Bytes"


def refuse(file: str, reason: Reason, **details: object) -> Refused:
    """Build the :class:`Refused` error for a whole-file problem."""
    return Refused(Problem.of(reason, Location(file), **details))


def check_size(path: Path, limits: Limits, name: str | None = None) -> int:
    """Refuse empty and oversized files before reading them; return the size."""
    name = name or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        log.debug("%s: %r", name, exc)
        raise refuse(name, Reason.NOT_READABLE, detail="nicht mehr vorhanden") from exc
    if size == 0:
        raise refuse(name, Reason.EMPTY_FILE)
    if size > limits.max_bytes:
        raise refuse(
            name, Reason.TOO_LARGE, size=human_size(size), limit=human_size(limits.max_bytes)
        )
    return size


def _utf16(data: bytes) -> bool:
    """Whether ``data`` looks like UTF-16 (Excel's "Unicode-Text"): NULs in every other byte."""
    sample = data[:4096]
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    return len(sample) >= 16 and min(even, odd) == 0 and max(even, odd) > 0.4 * half


def detect_kind(path: Path, data: bytes, limits: Limits, name: str | None = None) -> FileKind:
    """Decide how to read ``data`` from its first bytes, refusing what we cannot read safely.

    Raises:
        Refused: the file is encrypted, a zip bomb, corrupt or of an unsupported type.
    """
    name = name or path.name
    if data.startswith(ZIP_MAGIC):
        return _check_zip(path, limits, name)
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED_MARKER in data:
            raise refuse(name, Reason.ENCRYPTED)
        if any(marker in data for marker in _XLS_MARKERS):
            check_extent(path, FileKind.XLS, limits, name)
            return FileKind.XLS
        raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – kein Tabellendokument")
    if path.suffix.lower() in _TEXT_SUFFIXES:
        if b"\x00" in data[:8192] and not _utf16(data):
            raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – keine Textdatei")
        return FileKind.CSV
    suffix = path.suffix.lower() or "ohne Endung"
    raise refuse(
        name, Reason.UNSUPPORTED_TYPE, detail=f" – der Inhalt passt nicht zur Endung {suffix}"
    )


def _check_zip(path: Path, limits: Limits, name: str) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        # zipfile's English text goes to the log only
        log.debug("%s: zip directory not readable: %r", name, exc)
        raise refuse(
            name, Reason.CORRUPT, detail="kein gültiges Excel- oder OpenDocument-Archiv"
        ) from exc
    if len(infos) > limits.max_members:
        raise refuse(
            name, Reason.ZIP_BOMB, detail=f"{len(infos)} Teile, höchstens {limits.max_members}"
        )
    total = sum(info.file_size for info in infos)
    if total > limits.max_uncompressed:
        raise refuse(
            name,
            Reason.ZIP_BOMB,
            detail=f"{human_size(total)}, höchstens {human_size(limits.max_uncompressed)}",
        )
    for info in infos:
        if info.file_size < limits.ratio_min_size:
            continue
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise refuse(
                name,
                Reason.ZIP_BOMB,
                detail=f"Verhältnis {ratio:.0f}:1 in {info.filename}, höchstens "
                f"{limits.max_ratio:.0f}:1",
            )
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        check_extent(path, FileKind.XLSX, limits, name, read_sheet=SHEET)
        return FileKind.XLSX
    if mimetype.startswith(_ODS_MIMETYPE):
        check_extent(path, FileKind.ODS, limits, name)
        return FileKind.ODS
    raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – kein Tabellendokument")


# -- sheet extents, read from the XML before any reader expands a sheet ------------------

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,4})\$?(\d{1,8})$")
_WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$")
#: Excel's own sheet size: nothing real lies beyond it.
_EXCEL_ROWS, _EXCEL_COLUMNS = 1_048_576, 16_384


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


def _ref(text: str | None) -> tuple[int, int] | None:
    """``"GR1048576"`` → (row, column), 1-based; None for anything else."""
    match = _CELL_REF.match((text or "").strip())
    if match is None:
        return None
    return int(match[2]), _column_number(match[1])


def _int(text: str | None, default: int = 1) -> int:
    try:
        return max(int(text or default), 1)
    except ValueError:
        return default


def _parse(
    member: IO[bytes], tags: tuple[str, ...], events: tuple[str, ...] = ("start", "end")
) -> Iterator[tuple[str, etree._Element]]:
    # no DTDs, no entities, no network: the file is hostile until proven otherwise
    yield from etree.iterparse(
        member,
        events=events,
        tag=tags,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
    )


_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def _xlsx_sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member → the sheet's name as the user sees it (best effort)."""
    try:
        targets = {}
        with archive.open("xl/_rels/workbook.xml.rels") as member:
            for _event, rel in _parse(member, (f"{{{_PKG_REL_NS}}}Relationship",)):
                target = str(rel.get("Target", "")).lstrip("/").removeprefix("xl/")
                targets[str(rel.get("Id", ""))] = f"xl/{target}"
        names = {}
        with archive.open("xl/workbook.xml") as member:
            for event, sheet in _parse(member, (f"{{{_MAIN_NS}}}sheet",)):
                if event == "start":
                    rid = str(sheet.get(f"{{{_REL_NS}}}id", ""))
                    names[targets.get(rid, "")] = str(sheet.get("name", ""))
    except (KeyError, etree.XMLSyntaxError, OSError, ValueError):
        return {}
    return names


def _xlsx_extents(archive: zipfile.ZipFile) -> Iterator[tuple[str, int, int]]:
    """(sheet, last row, last column) of every worksheet, from its filled cells."""
    titles = _xlsx_sheet_names(archive)
    for member, rows, columns in _xlsx_member_extents(archive):
        yield _title(titles, member), rows, columns


def _title(titles: dict[str, str], member: str) -> str:
    return titles.get(member) or member.rsplit("/", 1)[-1].removesuffix(".xml")


def _lazy_title(titles: Callable[[], dict[str, str]], member: str) -> str:
    return _title(titles(), member)


def _xlsx_member_extents(
    archive: zipfile.ZipFile, members: list[str] | None = None
) -> Iterator[tuple[str, int, int]]:
    """(worksheet member, last row, last column) of ``members`` (default: every worksheet).

    The declared ``<dimension>`` comes first when there is one, then the filled cells.
    """
    if members is None:
        members = sorted(n for n in archive.namelist() if _WORKSHEET.match(n))
    for member_name in members:
        with archive.open(member_name) as member:
            found = _xlsx_referenced_extent(member)
        if found is None:  # cells without a reference: count positions
            with archive.open(member_name) as member:
                found = _xlsx_counted_extent(member)
        declared, last_row, last_col = found
        if declared is not None:
            yield member_name, *declared
        yield member_name, last_row, last_col


_Extent = tuple[tuple[int, int] | None, int, int]


def _xlsx_referenced_extent(member: IO[bytes]) -> _Extent | None:
    """(declared extent, last filled row, column) if every filled cell names its place, else None.

    The common case, and faster than :func:`_xlsx_counted_extent`: only the ends
    of cells are looked at (issue 16).
    """
    cell, dim = f"{{{_MAIN_NS}}}c", f"{{{_MAIN_NS}}}dimension"
    declared = None
    last_row = last_col = 0
    for _event, elem in _parse(member, (cell, dim), events=("end",)):
        if elem.tag == dim:
            declared = _ref(str(elem.get("ref", "")).split(":")[-1])
            continue
        if len(elem) or elem.text:  # a value, an inline string or a formula
            found = _ref(elem.get("r"))
            if found is None:
                return None
            last_row, last_col = max(last_row, found[0]), max(last_col, found[1])
        elem.clear()
    return declared, last_row, last_col


def _xlsx_counted_extent(member: IO[bytes]) -> _Extent:
    """(declared extent, last filled row, column), cell positions counted where not named."""
    cell, row_tag, dim = f"{{{_MAIN_NS}}}c", f"{{{_MAIN_NS}}}row", f"{{{_MAIN_NS}}}dimension"
    declared = None
    last_row = last_col = row = col = 0
    for event, elem in _parse(member, (cell, row_tag, dim)):
        if elem.tag == dim and event == "start":
            declared = _ref(str(elem.get("ref", "")).split(":")[-1])
        elif elem.tag == row_tag and event == "start":
            row = _int(elem.get("r"), row + 1)
            col = 0
        elif elem.tag == cell and event == "end":
            found = _ref(elem.get("r"))
            row, col = found if found is not None else (row, col + 1)
            if len(elem) or elem.text:  # a value, an inline string or a formula
                last_row, last_col = max(last_row, row), max(last_col, col)
            elem.clear()
        elif elem.tag == row_tag and event == "end":
            elem.clear()
    return declared, last_row, last_col


def _ods_extents(archive: zipfile.ZipFile) -> Iterator[tuple[str, int, int]]:
    """(table, last row, last column) of every table, repeats of filled cells expanded."""
    table, row_tag = f"{{{_TABLE_NS}}}table", f"{{{_TABLE_NS}}}table-row"
    cells = (f"{{{_TABLE_NS}}}table-cell", f"{{{_TABLE_NS}}}covered-table-cell")
    value_type = f"{{{_OFFICE_NS}}}value-type"
    rows_repeated = f"{{{_TABLE_NS}}}number-rows-repeated"
    cols_repeated = f"{{{_TABLE_NS}}}number-columns-repeated"
    name = ""
    row = col = last_row = last_col = 0
    row_filled = False
    with archive.open("content.xml") as member:
        for event, elem in _parse(member, (table, row_tag, *cells)):
            if elem.tag == table:
                if event == "start":
                    name = str(elem.get(f"{{{_TABLE_NS}}}name", ""))
                    row = last_row = last_col = 0
                else:
                    yield name, last_row, last_col
                    elem.clear()
            elif elem.tag == row_tag:
                if event == "start":
                    col, row_filled = 0, False
                else:
                    repeat = _int(elem.get(rows_repeated))
                    if row_filled:
                        last_row = row + repeat
                    row += repeat
                    elem.clear()
            elif event == "end":  # a cell
                repeat = _int(elem.get(cols_repeated))
                if elem.get(value_type) is not None or len(elem):
                    last_col = max(last_col, col + repeat)
                    row_filled = True
                col += repeat
                elem.clear()


#: BIFF records that hold a cell: row (2 bytes) and column (2 bytes) come first.
_BIFF_CELLS = {0x00FD, 0x0203, 0x027E, 0x0204, 0x0205, 0x0006, 0x00D6, 0x0201, 0x0103, 0x0003}
_BIFF_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first column, ..., last column
_BIFF_BOF, _BIFF_EOF, _BIFF_SHEET, _BIFF_DIMENSIONS = 0x0809, 0x000A, 0x0085, 0x0200


def _biff_sheet_name(body: bytes) -> str:
    length, flags = body[6], body[7] if len(body) > 7 else 0
    raw = body[8 : 8 + length * (2 if flags & 1 else 1)]
    return raw.decode("utf-16-le" if flags & 1 else "latin-1", "replace")


def _xls_extents(path: Path) -> Iterator[tuple[str, int, int]]:
    """(sheet, last row, last column) of every sheet of an .xls (BIFF) workbook, from records."""
    with olefile.OleFileIO(str(path)) as ole:
        stream = "Workbook" if ole.exists("Workbook") else "Book"
        data = ole.openstream(stream).read()
    names: dict[int, str] = {}
    sheet, last_row, last_col, pos = "", 0, 0, 0
    while pos + 4 <= len(data):
        kind, length = struct.unpack_from("<HH", data, pos)
        body = data[pos + 4 : pos + 4 + length]
        if kind == _BIFF_SHEET and len(body) >= 8:
            names[struct.unpack_from("<I", body)[0]] = _biff_sheet_name(body)
        elif kind == _BIFF_BOF:
            sheet, last_row, last_col = names.get(pos, sheet), 0, 0
        elif kind in _BIFF_CELLS and len(body) >= 4:
            row, col = struct.unpack_from("<HH", body)
            last_row, last_col = max(last_row, row + 1), max(last_col, col + 1)
        elif kind in _BIFF_MULTI and len(body) >= 6:
            row = struct.unpack_from("<H", body)[0]
            col = struct.unpack_from("<H", body, len(body) - 2)[0]
            last_row, last_col = max(last_row, row + 1), max(last_col, col + 1)
        elif kind == _BIFF_DIMENSIONS and len(body) >= 12:
            rows, _first_col, cols = struct.unpack_from("<4xIHH", body)
            last_row, last_col = max(last_row, rows), max(last_col, cols)
        elif kind == _BIFF_EOF and sheet:
            yield sheet, last_row, last_col
            sheet = ""
        pos += 4 + length


# -- xlsb (Excel's binary workbook): BIFF12 records, read before calamine expands a sheet --
#
# calamine sizes a sheet from its filled cells: one value at XFD1048576 makes it ask for
# some 512 GiB, and the failed allocation aborts the whole process (no Python exception).
# BrtWsDim only sizes a reservation that calamine caps at 100,000 cells (measured: a
# BrtWsDim claiming A1:XFD1048576 over two rows reads in 10 MiB); it is still refused like
# the <dimension> of an xlsx, so a workbook gets the same verdict in either format.

_XLSB_WORKBOOK = "xl/workbook.bin"
_XLSB_RELS = "xl/_rels/workbook.bin.rels"
#: Other record streams calamine reads whole: their framing is checked too (a record
#: claiming 256 MB in a small file would have calamine allocate that much first).
_XLSB_PARTS = ("xl/sharedstrings.bin", "xl/styles.bin")
#: Folders calamine reads an xlsb sheet from (the second part of the path it resolves).
_XLSB_SHEET_DIRS = ("xl/worksheets/", "xl/chartsheets/", "xl/dialogsheets/")
_BRT_ROW_HDR, _BRT_WS_DIM, _BRT_BUNDLE_SH = 0x0000, 0x0094, 0x009C
#: Cell records holding a value (BrtCellRk … BrtFmlaError): the column comes first (4 bytes),
#: the row from the BrtRowHdr before them. BrtCellBlank (0x0001, a formatted empty cell) is
#: skipped by calamine, like an xlsx ``<c>`` without a value here.
_BRT_CELLS = range(0x0002, 0x000C)
_BRT_SHEET_RECORDS = frozenset({_BRT_ROW_HDR, _BRT_WS_DIM, *_BRT_CELLS})
#: Bytes of a record body that are kept (a sheet's name in BrtBundleSh is at most 31
#: characters); the rest of a longer body is skipped, never held.
_BRT_HEAD = 4096
_CHUNK = 1024 * 1024
_XLSB_CORRUPT = (
    "die Tabellendaten im Excel-Binärformat xlsb sind unvollständig oder fehlerhaft; "
    "bitte die Datei als Excel-Arbeitsmappe im Format xlsx speichern und erneut senden"
)


class _RecordStreamError(Exception):
    """A BIFF12 record stream breaks its framing (the English text goes to the debug log)."""


def _biff12_records(
    member: IO[bytes], wanted: Container[int] = range(0x4000)
) -> Iterator[tuple[int, bytes]]:
    """(type, body) of the ``wanted`` BIFF12 records of a zip member, read in 1 MiB chunks.

    A record is its type (1–2 bytes), its size (1–4 bytes), both 7-bit varints
    (high bit: another byte follows), then the body. Bodies longer than
    ``_BRT_HEAD`` are cut to it. The member's reader never returns more than the
    size the zip directory declares (bounded by :func:`_check_zip`).

    Raises:
        _RecordStreamError: a type or size longer than the spec allows, or a record cut off.
    """
    buf, pos = b"", 0
    while True:
        if len(buf) - pos < 6:  # room for the longest header
            buf, pos = buf[pos:] + member.read(_CHUNK), 0
            if not buf:
                return
        end = len(buf)
        kind = buf[pos]
        pos += 1
        if kind & 0x80:
            if pos >= end:
                raise _RecordStreamError("record type cut off")
            high = buf[pos]
            pos += 1
            if high & 0x80:
                raise _RecordStreamError(f"record type longer than 2 bytes at {high:#x}")
            kind = kind & 0x7F | high << 7
        size = shift = 0
        for _ in range(4):
            if pos >= end:
                raise _RecordStreamError(f"size of record {kind:#06x} cut off")
            byte = buf[pos]
            pos += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        else:
            raise _RecordStreamError(f"size of record {kind:#06x} longer than 4 bytes")
        if size <= end - pos:
            if kind in wanted:
                yield kind, buf[pos : pos + min(size, _BRT_HEAD)]
            pos += size
            continue
        # the body runs past the chunk: keep its head, skip the rest without holding it
        head = min(size, _BRT_HEAD)
        body, missing = buf[pos:], size - (end - pos)
        buf, pos = b"", 0
        if len(body) < head:
            more = member.read(head - len(body))
            body, missing = body + more, missing - len(more)
        while missing > 0:
            skipped = len(member.read(min(missing, _CHUNK)))
            if not skipped:
                raise _RecordStreamError(f"record {kind:#06x} of {size} bytes cut off")
            missing -= skipped
        if kind in wanted:
            yield kind, body[:head]


def _wide_string(body: bytes, offset: int) -> tuple[str | None, int]:
    """An XL(Nullable)WideString at ``offset``: (text or None, offset after it)."""
    if offset + 4 > len(body):
        raise _RecordStreamError(f"string at {offset} past the end of a {len(body)}-byte record")
    (count,) = struct.unpack_from("<I", body, offset)
    if count == 0xFFFFFFFF:
        return None, offset + 4
    end = offset + 4 + 2 * count
    if end > len(body):
        raise _RecordStreamError(f"string of {count} characters in a {len(body)}-byte record")
    return body[offset + 4 : end].decode("utf-16-le", "replace"), end


def _xlsb_sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(member, sheet name) of every sheet calamine could read from an xlsb.

    The sheets of ``xl/workbook.bin`` (BrtBundleSh: state, tab id, relationship
    id, name) are resolved through ``xl/_rels/workbook.bin.rels`` as calamine
    does (``xl/`` + target, matched without case); every other ``.bin`` member
    of the sheet folders counts too, named by its file name.

    Raises:
        _RecordStreamError: ``xl/workbook.bin`` is not a valid record stream.
    """
    members = {_xlsb_key(n): n for n in archive.namelist()}
    targets: dict[str, str] = {}
    if _XLSB_RELS in members:
        with archive.open(members[_XLSB_RELS]) as rels:
            for _event, rel in _parse(rels, (f"{{{_PKG_REL_NS}}}Relationship",)):
                targets[str(rel.get("Id", ""))] = str(rel.get("Target", ""))
    found: dict[str, str] = {}
    with archive.open(members[_XLSB_WORKBOOK]) as workbook:
        for _kind, body in _biff12_records(workbook, (_BRT_BUNDLE_SH,)):
            if len(body) < 12:
                raise _RecordStreamError("BrtBundleSh too short")
            rid, offset = _wide_string(body, 8)
            title = _wide_string(body, offset)[0]
            target = targets.get(rid or "")
            if target is None:
                continue  # calamine cannot open it either
            member = members.get(_xlsb_key(f"xl/{target}"))
            if member is not None and member not in found:
                found[member] = title or _xlsb_member_title(member)
    for member in sorted(archive.namelist()):  # every spelling, even one differing in case
        lowered = _xlsb_key(member)
        in_sheets = lowered.startswith(_XLSB_SHEET_DIRS) and "/_rels/" not in lowered
        if in_sheets and lowered.endswith(".bin") and member not in found:
            found[member] = _xlsb_member_title(member)
    return list(found.items())


def _xlsb_key(name: str) -> str:
    """A zip member's name as calamine matches it: forward slashes, any case."""
    return name.replace("\\", "/").lower()


def _xlsb_member_title(member: str) -> str:
    return member.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".bin")


def _xlsb_member_extent(member: IO[bytes]) -> _Extent:
    """(declared extent, last filled row, column) of one xlsb sheet, 1-based, from its records."""
    declared: tuple[int, int] | None = None
    row = last_row = last_col = 0
    for kind, body in _biff12_records(member, _BRT_SHEET_RECORDS):
        if kind in _BRT_CELLS:
            if len(body) < 4:
                raise _RecordStreamError(f"cell record {kind:#06x} of {len(body)} bytes")
            (col,) = struct.unpack_from("<I", body)
            last_row, last_col = max(last_row, row + 1), max(last_col, col + 1)
        elif kind == _BRT_ROW_HDR:
            if len(body) < 4:
                raise _RecordStreamError(f"BrtRowHdr of {len(body)} bytes")
            (row,) = struct.unpack_from("<I", body)
        elif kind == _BRT_WS_DIM:
            if len(body) < 16:
                raise _RecordStreamError(f"BrtWsDim of {len(body)} bytes")
            _first_row, rows, _first_col, cols = struct.unpack_from("<4I", body)
            old_rows, old_cols = declared or (0, 0)
            declared = max(old_rows, rows + 1), max(old_cols, cols + 1)
    return declared, last_row, last_col


def _is_xlsb(archive: zipfile.ZipFile) -> bool:
    return any(_xlsb_key(n) == _XLSB_WORKBOOK for n in archive.namelist())


def _xlsb_extents(
    archive: zipfile.ZipFile, read_sheet: str | None = None
) -> Iterator[tuple[str, int, int]]:
    """(sheet, last row, last column) of the sheets of an xlsb, the declared BrtWsDim first.

    With ``read_sheet``, only the sheets of that name (all when none has it).

    Raises:
        _RecordStreamError: a record stream breaks its framing.
    """
    sheets = _xlsb_sheets(archive)
    for part in archive.namelist():
        if _xlsb_key(part) in _XLSB_PARTS:
            with archive.open(part) as member:
                for _record in _biff12_records(member, ()):
                    pass  # the framing is checked while walking
    if read_sheet is not None and len(sheets) > 1:
        wanted = normalize_header(read_sheet)
        sheets = [s for s in sheets if normalize_header(s[1]) == wanted] or sheets
    for member_name, title in sheets:
        with archive.open(member_name) as member:
            declared, last_row, last_col = _xlsb_member_extent(member)
        if declared is not None:
            yield title, *declared
        yield title, last_row, last_col


def _xlsb_corrupt(path: Path, name: str | None, exc: _RecordStreamError) -> Refused:
    log.debug("%s: xlsb record stream not readable: %s", path.name, exc)
    return refuse(name or path.name, Reason.CORRUPT, detail=_XLSB_CORRUPT)


_UNREADABLE = (
    etree.XMLSyntaxError,
    zipfile.BadZipFile,
    KeyError,
    OSError,
    EOFError,
    ValueError,
    RuntimeError,
    struct.error,
)


def _corrupt(path: Path, name: str | None, exc: BaseException) -> Refused:
    log.debug("%s: sheet XML not readable: %r", path.name, exc)
    return refuse(
        name or path.name, Reason.CORRUPT, detail="der Tabelleninhalt ist kein gültiges XML"
    )


def sheet_extents(
    path: Path, kind: FileKind, name: str | None = None
) -> list[tuple[str, int, int]]:
    """The last filled row and column of every sheet of an xlsx/xlsm/xlsb, ods or xls file.

    Read from the XML as a stream, so a sheet that a reader would blow up to
    gigabytes (one cell at ``XFD1048576``, a value repeated a million times)
    costs no memory here. The declared ``<dimension>`` of an xlsx sheet counts
    too. For xls the BIFF cell records are scanned, for xlsb (a zip with
    ``xl/workbook.bin``, kind xlsx) the BIFF12 records, its BrtWsDim counting
    like an xlsx ``<dimension>``. CSV gives an empty list.

    Raises:
        Refused: the XML or the xlsb records cannot be parsed (corrupt file).
    """
    try:
        if kind is FileKind.XLS:
            return list(_xls_extents(path))
        with zipfile.ZipFile(path) as archive:
            if kind is FileKind.XLSX:
                extents = list(_xlsx_extents(archive))
                if _is_xlsb(archive):
                    extents += _xlsb_extents(archive)
                return extents
            if kind is FileKind.ODS:
                return list(_ods_extents(archive))
    except _RecordStreamError as exc:
        raise _xlsb_corrupt(path, name, exc) from exc
    except _UNREADABLE as exc:
        raise _corrupt(path, name, exc) from exc
    return []


def _check(
    path: Path, limits: Limits, name: str | None, sheet: Callable[[], str], extent: tuple[int, int]
) -> None:
    rows, columns = extent
    too_wide = columns > min(limits.max_columns, _EXCEL_COLUMNS)
    if too_wide or rows > _EXCEL_ROWS or rows * columns > limits.max_cells:
        title = sheet()
        log.debug("%s: sheet %s spans %d rows × %d columns", path.name, title, rows, columns)
        raise refuse(
            name or path.name,
            Reason.SHEET_TOO_LARGE,
            sheet=title,
            rows=rows,
            columns=column_letter(columns - 1) if columns else "A",
            max_columns=limits.max_columns,
        )


def _check_xlsx_sheet(path: Path, limits: Limits, name: str | None, read_sheet: str) -> None:
    """:func:`check_extent` of the one sheet of an xlsx that is read (every sheet without it).

    The sheet names as the user sees them are read only when there is a choice
    or a refusal to word (a fifth of the check of a small file; issue 16).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = sorted(n for n in archive.namelist() if _WORKSHEET.match(n))
            titles = functools.cache(lambda: _xlsx_sheet_names(archive))
            if len(members) > 1:
                wanted = normalize_header(read_sheet)
                chosen = [m for m in members if normalize_header(_title(titles(), m)) == wanted]
                members = chosen or members
            for member, rows, columns in _xlsx_member_extents(archive, members):
                title = functools.partial(_lazy_title, titles, member)
                _check(path, limits, name, title, (rows, columns))
            if _is_xlsb(archive):  # Excel's binary workbook: BIFF12 records
                for sheet, rows, columns in _xlsb_extents(archive, read_sheet):
                    _check(path, limits, name, functools.partial(str, sheet), (rows, columns))
    except Refused:
        raise
    except _RecordStreamError as exc:
        raise _xlsb_corrupt(path, name, exc) from exc
    except _UNREADABLE as exc:
        raise _corrupt(path, name, exc) from exc


def check_extent(
    path: Path,
    kind: FileKind,
    limits: Limits,
    name: str | None = None,
    *,
    read_sheet: str | None = None,
) -> None:
    """Refuse a spreadsheet whose sheets reach too far right or down (see :func:`sheet_extents`).

    Args:
        path: the file.
        kind: its kind (xlsx, also xlsb; ods, xls; CSV is not checked).
        limits: the column and cell limits.
        name: the file's display name for the message.
        read_sheet: for xlsx, the sheet that will be read: other sheets are never
            loaded, so only it is checked (when it is there; otherwise every sheet).
            ODS and xls readers load every sheet, so every sheet counts there.

    Raises:
        Refused: with :attr:`Reason.SHEET_TOO_LARGE` naming the sheet and its extent;
            :attr:`Reason.CORRUPT` when the sheet's XML or xlsb records are broken.
    """
    if read_sheet is not None and kind is FileKind.XLSX:
        _check_xlsx_sheet(path, limits, name, read_sheet)
        return
    for sheet, rows, columns in sheet_extents(path, kind, name):
        _check(path, limits, name, functools.partial(str, sheet), (rows, columns))
