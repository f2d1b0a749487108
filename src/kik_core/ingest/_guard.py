"""Hostile-input checks: size, type by content (magic bytes), zip bombs, encryption.

Nothing here parses a spreadsheet. The checks look at the file's size, its
first bytes and (for zip containers) the zip directory, so that a refused file
never reaches a parser.
"""

from __future__ import annotations

import enum
import zipfile
from pathlib import Path

import attrs

from kik_core.errors import Location, Problem, Reason

__all__ = ["FileKind", "Limits", "Refused", "detect_kind", "human_size"]

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
            (xlsx, xlsm, ods), in bytes (default 100 MB).
        max_members: most members of a zip container (default 1 000).
        max_ratio: highest compression ratio of a zip member larger than
            ``ratio_min_size`` (default 100).
        ratio_min_size: members below this uncompressed size are not ratio-checked.
        max_cell_chars: longest accepted text in one cell (default 10 000).
    """

    max_bytes: int = 20 * 1024 * 1024
    max_rows: int = 10_000
    max_uncompressed: int = 100 * 1024 * 1024
    max_members: int = 1_000
    max_ratio: float = 100.0
    ratio_min_size: int = 1024 * 1024
    max_cell_chars: int = 10_000


class FileKind(enum.Enum):
    """What a file is, judged by its content rather than its name."""

    XLSX = "xlsx"  # also xlsm: values only, macros are never run
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


def check_size(path: Path, limits: Limits) -> int:
    """Refuse empty and oversized files before reading them; return the size."""
    size = path.stat().st_size
    if size == 0:
        raise refuse(path.name, Reason.EMPTY_FILE)
    if size > limits.max_bytes:
        raise refuse(
            path.name, Reason.TOO_LARGE, size=human_size(size), limit=human_size(limits.max_bytes)
        )
    return size


def detect_kind(path: Path, data: bytes, limits: Limits) -> FileKind:
    """Decide how to read ``data`` from its first bytes, refusing what we cannot read safely.

    Raises:
        Refused: the file is encrypted, a zip bomb, corrupt or of an unsupported type.
    """
    name = path.name
    if data.startswith(ZIP_MAGIC):
        return _check_zip(path, limits)
    if data.startswith(OLE2_MAGIC):
        if _ENCRYPTED_MARKER in data:
            raise refuse(name, Reason.ENCRYPTED)
        if any(marker in data for marker in _XLS_MARKERS):
            return FileKind.XLS
        raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – kein Tabellendokument")
    if path.suffix.lower() in _TEXT_SUFFIXES:
        if b"\x00" in data[:8192]:
            raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – keine Textdatei")
        return FileKind.CSV
    suffix = path.suffix.lower() or "ohne Endung"
    raise refuse(
        name, Reason.UNSUPPORTED_TYPE, detail=f" – der Inhalt passt nicht zur Endung {suffix}"
    )


def _check_zip(path: Path, limits: Limits) -> FileKind:
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise refuse(name, Reason.CORRUPT, detail=f"kein gültiges ZIP-Archiv: {exc}") from exc
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
        return FileKind.XLSX
    if mimetype.startswith(_ODS_MIMETYPE):
        return FileKind.ODS
    raise refuse(name, Reason.UNSUPPORTED_TYPE, detail=" – kein Tabellendokument")
