"""PDF export through LibreOffice's UNO bridge, tagged as PDF/UA and repaired with pikepdf."""

from __future__ import annotations

import functools
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from kik_core._atomic import atomic_path
from kik_core.errors import ReportError
from kik_core.report._pdf_tags import docx_table_texts, repair_tags

__all__ = ["PdfExportError", "export_pdf", "find_soffice", "find_uno_python"]

log = logging.getLogger("kik_core.report")

#: Seconds LibreOffice may take for one conversion.
TIMEOUT = 300


class PdfExportError(ReportError):
    """The PDF could not be produced (LibreOffice missing, failed or timed out)."""


def find_soffice() -> str | None:
    """The LibreOffice binary on ``PATH`` (``soffice`` or ``libreoffice``), or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


#: Pythons that may carry LibreOffice's ``uno`` bridge (``KIK_UNO_PYTHON`` first).
UNO_PYTHONS = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "python3")
UNO_SCRIPT = Path(__file__).with_name("_uno_export.py")


@functools.cache
def find_uno_python() -> str | None:
    """A Python that can ``import uno`` (LibreOffice's bridge), or None.

    ``KIK_UNO_PYTHON`` names one explicitly; otherwise the system Python and
    LibreOffice's bundled one are tried.
    """
    candidates = [os.environ.get("KIK_UNO_PYTHON", ""), *UNO_PYTHONS]
    for candidate in filter(None, candidates):
        binary = shutil.which(candidate)
        if binary is None:
            continue
        try:
            probe = subprocess.run(
                [binary, "-c", "import uno"], capture_output=True, timeout=30, check=False
            )
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return binary
    return None


def _convert_with_uno(python: str, soffice: str, docx: Path, target: Path, work: str) -> None:
    """Export through UNO with updated indexes (the table of contents gets page numbers)."""
    profile = Path(work, "uno-profile").as_uri()
    try:
        result = subprocess.run(
            [python, str(UNO_SCRIPT), soffice, profile, str(docx.resolve()), str(target)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
            env={**os.environ, "HOME": work},
        )
    except subprocess.TimeoutExpired as exc:
        raise PdfExportError(
            f"LibreOffice hat nach {TIMEOUT} s abgebrochen beim Umwandeln von {docx.name}"
        ) from exc
    if result.returncode != 0 or not target.is_file():
        log.debug("UNO export failed: %s", result.stderr[-2000:])
        raise PdfExportError(
            f"LibreOffice konnte {docx.name} nicht in ein PDF umwandeln "
            f"(Exit-Code {result.returncode}); Einzelheiten mit kik -vv."
        )


def export_pdf(docx: Path, output_dir: Path | None = None, *, title: str = "") -> Path:
    """Convert a DOCX to a tagged PDF (PDF/UA) whose table of contents has page numbers.

    There is one route: LibreOffice through its Python bridge (``uno``, Debian
    package ``python3-uno``). It updates every index before the export, so the
    contents list page numbers; without the bridge there is no PDF (never a
    silent conversion without page numbers). LibreOffice runs with its own
    temporary user profile. The PDF is then repaired with pikepdf (each chart
    becomes a real figure with its alt text, tables get caption and summary,
    see :mod:`kik_core.report._pdf_tags`) and moved into place atomically.

    Args:
        docx: the report.
        output_dir: where to put the PDF (default: next to the DOCX).
        title: the document title (default: the DOCX's title).

    Returns:
        The path of the PDF (same stem as the DOCX).

    Raises:
        PdfExportError: LibreOffice or its Python bridge is not installed, failed
            or timed out.
    """
    docx = Path(docx)
    if not docx.is_file():
        raise PdfExportError(f"Datei nicht gefunden: {docx}")
    soffice = find_soffice()
    if soffice is None:
        raise PdfExportError(
            "LibreOffice ist nicht installiert: für den PDF-Export wird „soffice“ benötigt "
            "(z. B. apt-get install libreoffice-writer-nogui python3-uno). Der Word-Bericht "
            "wurde trotzdem erstellt."
        )
    python = find_uno_python()
    if python is None:
        raise PdfExportError(
            "Für den PDF-Export fehlt die Python-Anbindung von LibreOffice (Paket "
            "„python3-uno“, oder KIK_UNO_PYTHON auf ein Python mit „import uno“ setzen); "
            "ohne sie hätte das Inhaltsverzeichnis keine Seitenzahlen. Der Word-Bericht "
            "wurde trotzdem erstellt."
        )
    target_dir = Path(output_dir) if output_dir is not None else docx.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / f"{docx.stem}.pdf"
    with tempfile.TemporaryDirectory(prefix="kik-soffice-") as work:
        produced = Path(work, f"{docx.stem}.pdf")
        _convert_with_uno(python, soffice, docx, produced, work)
        try:
            figures = repair_tags(
                produced, docx_table_texts(docx), title=title or _docx_title(docx)
            )
        except Exception as exc:  # pikepdf/lxml raise assorted errors on a broken file
            log.debug("PDF tag repair failed: %r", exc)
            raise PdfExportError(
                f"Das PDF aus {docx.name} konnte nicht barrierefrei nachbearbeitet werden; "
                "Einzelheiten mit kik -vv."
            ) from exc
        log.debug("PDF %s: %d figures re-tagged", produced.name, figures)
        return _move_into_place(produced, target)


def _move_into_place(produced: Path, target: Path) -> Path:
    """Copy the PDF to a temp file beside ``target``, then rename it (never half a PDF).

    The system temp folder is often another file system, so a plain move would
    copy straight to the final name: on a full disk that left a truncated PDF.
    """
    try:
        with atomic_path(target) as temp:
            shutil.copyfile(produced, temp)
    except OSError as exc:
        raise PdfExportError(
            f"Die PDF-Datei {target} konnte nicht geschrieben werden (Ordner voll oder "
            "schreibgeschützt?). Der Word-Bericht ist vollständig."
        ) from exc
    return target


def _docx_title(docx: Path) -> str:
    import docx as python_docx  # noqa: PLC0415 - only needed here

    return str(python_docx.Document(str(docx)).core_properties.title or "")
