"""PDF export through LibreOffice (``soffice --headless``), tagged as PDF/UA."""

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

__all__ = ["PdfExportError", "export_pdf", "find_soffice", "find_uno_python"]

log = logging.getLogger("kik_core.report")

#: The export filter: writer_pdf_Export with PDF/UA (tagged, accessible PDF).
PDF_FILTER = 'pdf:writer_pdf_Export:{"PDFUACompliance":{"type":"boolean","value":"true"}}'
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


def _convert_with_uno(soffice: str, docx: Path, target: Path, work: str) -> bool:
    """Export through UNO with updated indexes; False where that is not possible."""
    python = find_uno_python()
    if python is None:
        return False
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
    except subprocess.TimeoutExpired:
        log.warning("PDF export through UNO timed out; converting without index update")
        return False
    if result.returncode != 0 or not target.is_file():
        log.warning("PDF export through UNO failed (%s); converting directly", result.stderr[-500:])
        return False
    return True


def export_pdf(docx: Path, output_dir: Path | None = None) -> Path:
    """Convert a DOCX to a PDF/UA file with LibreOffice.

    Where LibreOffice's Python bridge (``uno``, Debian package ``python3-uno``) is
    available, the table of contents is updated first, so the PDF lists page
    numbers; otherwise ``soffice --convert-to`` converts the document as written.
    LibreOffice runs with its own temporary user profile (so it neither
    collides with a running instance nor depends on the user's settings);
    the PDF is written to a temporary directory and moved into place.

    Args:
        docx: the report.
        output_dir: where to put the PDF (default: next to the DOCX).

    Returns:
        The path of the PDF (same stem as the DOCX).

    Raises:
        PdfExportError: LibreOffice is not installed, failed or timed out.
    """
    docx = Path(docx)
    if not docx.is_file():
        raise PdfExportError(f"Datei nicht gefunden / file not found: {docx}")
    soffice = find_soffice()
    if soffice is None:
        raise PdfExportError(
            "LibreOffice ist nicht installiert: für den PDF-Export wird „soffice“ benötigt "
            "(z. B. apt-get install libreoffice-writer-nogui). Der Word-Bericht wurde trotzdem "
            "erstellt. / LibreOffice is not installed: PDF export needs 'soffice' on PATH."
        )
    target_dir = Path(output_dir) if output_dir is not None else docx.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kik-soffice-") as work:
        profile = Path(work, "profile").as_uri()
        out = Path(work, "out")
        out.mkdir()
        via_uno = out / f"{docx.stem}.pdf"
        if _convert_with_uno(soffice, docx, via_uno, work):
            return _move_into_place(via_uno, target_dir / via_uno.name)
        command = [
            soffice,
            f"-env:UserInstallation={profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            PDF_FILTER,
            "--outdir",
            str(out),
            str(docx.resolve()),
        ]
        try:
            result = subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                check=False,
                env={**os.environ, "HOME": work},
            )
        except subprocess.TimeoutExpired as exc:
            raise PdfExportError(
                f"LibreOffice hat nach {TIMEOUT} s abgebrochen / timed out converting {docx}"
            ) from exc
        produced = out / f"{docx.stem}.pdf"
        if result.returncode != 0 or not produced.is_file():
            raise PdfExportError(
                f"LibreOffice konnte {docx.name} nicht umwandeln / could not convert "
                f"(Exit-Code {result.returncode}): {result.stderr.strip() or result.stdout.strip()}"
            )
        return _move_into_place(produced, target_dir / produced.name)


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
            f"schreibgeschützt?). Der Word-Bericht ist vollständig. / could not write: {exc}"
        ) from exc
    return target
