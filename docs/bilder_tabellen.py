"""Render the spreadsheets partners and staff get, as they print, for the docs.

Run: ``python docs/bilder_tabellen.py`` (needs LibreOffice ``soffice`` and
poppler's ``pdftoppm``). From the fictional Musterstadt example it writes

* ``docs/partner/vorlage-anleitung.png`` and ``docs/partner/vorlage-rueckmeldung.png``:
  the two printed pages of a partner template (``kik templates``);
* ``docs/partner/fehlerliste.png``: the error workbook of a file with mistakes;
* ``docs/kommunen/konzept-arbeitsbuch.png``: the ``Maßnahmen`` sheet and
  ``docs/kommunen/konzept-anleitung.png`` the instructions of the concept workbook.

Each picture is the printed page LibreOffice makes of one sheet (landscape,
fit to width, as set in the workbook), so what the docs show is what prints.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import load_workbook

from kik_core import load_concept, write_concept_workbook
from kik_core.ingest import read_update_file, write_error_workbook, write_partner_templates
from kik_core.model import PartnerContact

DOCS = Path(__file__).parent
EXAMPLE = DOCS.parent / "examples" / "musterstadt" / "konzept.xlsx"
STICHTAG = dt.date(2024, 9, 30)
DEADLINE = dt.date(2024, 10, 21)


def render(workbook: Path, sheet: str, out: Path, work: Path, dpi: int = 70) -> Path:
    """Print ``sheet`` of ``workbook`` to a PDF with LibreOffice; page 1 as PNG to ``out``."""
    book = load_workbook(workbook)
    for other in [s for s in book.sheetnames if s != sheet]:
        del book[other]
    single = work / f"{out.stem}.xlsx"
    book.save(single)
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{work}/profil",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work),
            str(single),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = single.with_suffix(".pdf")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf,
            out.with_suffix(""),
        ],
        check=True,
        timeout=60,
    )
    return out


def _faulty_file(template: Path, target: Path) -> Path:
    """The partner's template with three mistakes, as it might come back."""
    book = load_workbook(template)
    ws = book["Rückmeldung"]
    head = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "Maßnahme")
    ws.cell(row=head + 2, column=3).value = "fertig"
    ws.cell(row=head + 2, column=5).value = "Der Kurs läuft seit Mai."
    ws.cell(row=head + 3, column=4).value = "März 2024"
    ws.cell(row=head + 1, column=3).value = "implementiert"
    book.save(target)
    return target


def main() -> list[Path]:
    """Write every picture; return their paths."""
    concept = load_concept(EXAMPLE)
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kik-bilder-") as temp:
        work = Path(temp)
        contacts = (PartnerContact("vhs Musterstadt", "Frau Beispiel", "kurse@vhs.example"),)
        templates = write_partner_templates(
            concept,
            None,
            work / "ausgang",
            as_of=STICHTAG,
            deadline=DEADLINE,
            contacts=contacts,
            office="integration@musterstadt.example",
        )
        template = next(p for p in templates if "vhs" in p.name)
        written.append(
            render(template, "Anleitung", DOCS / "partner" / "vorlage-anleitung.png", work)
        )
        written.append(
            render(template, "Rückmeldung", DOCS / "partner" / "vorlage-rueckmeldung.png", work)
        )
        faulty = _faulty_file(template, work / "vhs_Rueckmeldung.xlsx")
        result = read_update_file(faulty, concept, today=DEADLINE)
        errors = write_error_workbook(result, work / "vhs_Rueckmeldung_Fehler.xlsx")
        written.append(
            render(errors, "Rückmeldung", DOCS / "partner" / "fehlerliste.png", work, dpi=90)
        )
        book = write_concept_workbook(concept, work / "konzept.xlsx")
        kommunen = DOCS / "kommunen"
        written.append(
            render(book, "Maßnahmen", kommunen / "konzept-arbeitsbuch.png", work, dpi=90)
        )
        written.append(render(book, "Anleitung", kommunen / "konzept-anleitung.png", work))
        shutil.rmtree(work / "profil", ignore_errors=True)
    return written


if __name__ == "__main__":
    for path in main():
        print(path)
