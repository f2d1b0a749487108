"""Generate the Musterstadt example: concept workbook, foreword, partner files and history.

``eingang/`` holds the partner files of the round 30.09.2024 (the minimal example:
copy the folder, ``kik run``). ``runden/`` holds the partner files of the two
earlier rounds and a late file for the second one; ``quartale.py`` plays the
three quarters through (all fictional).

Usage (from the repository root)::

    .venv/bin/python examples/musterstadt/make_example.py            # into examples/musterstadt
    .venv/bin/python examples/musterstadt/make_example.py --out DIR  # into DIR

The concept workbook is written with the public API (:func:`kik_core.write_concept_workbook`);
the partner files with openpyxl (``Rückmeldung`` sheet) and :mod:`csv` (``;``, UTF-8 with BOM),
the two formats partners send most. The output is deterministic: workbook properties and ZIP
member timestamps are fixed, so running the script again gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

import kik_core as kik
from kik_core.ingest import COLUMNS, SHEET

HERE = Path(__file__).resolve().parent

#: The reporting date of the example (``stichtag`` in kik.toml).
AS_OF = dt.date(2024, 9, 30)
#: Fixed timestamps so that rebuilding gives the same bytes.
ZIP_TIME = (2024, 10, 1, 9, 0, 0)
CORE_TIME = "2024-10-01T09:00:00Z"

VHS = "vhs Musterstadt"
JOBCENTER = "Jobcenter Musterstadt"

CONCEPT = kik.Concept(
    municipality="Musterstadt",
    title="Integrationskonzept der Stadt Musterstadt",
    adopted_on=dt.date(2024, 3, 1),
    fields=(
        kik.FieldOfAction(
            "SP",
            "Sprache",
            "Sprache ist der Schlüssel zur Teilhabe. Musterstadt sorgt dafür, dass alle "
            "Neuzugewanderten schnell einen passenden Sprachkurs finden.",
        ),
        kik.FieldOfAction(
            "AR",
            "Arbeit",
            "Arbeit sichert den Lebensunterhalt und schafft Kontakte. Zugewanderte sollen "
            "Arbeit und Ausbildung finden, die zu ihren Fähigkeiten passt.",
        ),
    ),
    goals=(
        kik.Goal("SP-1", "Alle Neuzugewanderten finden schnell einen passenden Sprachkurs."),
        kik.Goal("SP-2", "Eltern werden in die Sprachförderung ihrer Kinder einbezogen."),
        kik.Goal("AR-1", "Zugewanderte finden Arbeit, die ihrer Qualifikation entspricht."),
        kik.Goal("AR-2", "Junge Zugewanderte beginnen eine Ausbildung."),
    ),
    measures=(
        kik.Measure(
            "SP-1.1",
            "Die Volkshochschule bietet Integrationskurse in Voll- und Teilzeit an.",
            partners=(VHS,),
        ),
        kik.Measure(
            "SP-1.2",
            "Eine zentrale Kursberatung vermittelt in passende Kurse.",
            partners=("Integrationsbüro", VHS),
        ),
        kik.Measure(
            "SP-2.1",
            "Kitas bieten Elterncafés mit Sprachförderung an.",
            partners=("Kita-Verbund Musterstadt",),
        ),
        kik.Measure(
            "SP-2.2",
            "Die Stadtbibliothek richtet mehrsprachige Vorlesestunden ein.",
            partners=("Stadtbibliothek",),
        ),
        kik.Measure(
            "AR-1.1",
            "Das Jobcenter berät zur Anerkennung ausländischer Abschlüsse.",
            partners=(JOBCENTER,),
        ),
        kik.Measure(
            "AR-1.2",
            "Betriebe bieten Praktika für Geflüchtete an.",
            partners=(JOBCENTER, "IHK"),
        ),
        kik.Measure(
            "AR-2.1",
            "Berufsschulen und vhs bieten berufsbezogene Sprachkurse an.",
            partners=(VHS,),
        ),
        kik.Measure(
            "AR-2.2",
            "Ehrenamtliche Ausbildungspaten begleiten Auszubildende.",
            partners=(JOBCENTER,),
        ),
    ),
)

CONTENT = kik.ReportContent(
    highlights=(
        kik.Highlight(
            "Sprachcafé im Rathaus",
            VHS,
            "Jeden Donnerstag üben Lernende aus den Integrationskursen im Rathausfoyer "
            "Deutsch im Gespräch mit Ehrenamtlichen.",
            ("SP-1.1",),
            "SP",
        ),
    ),
    indicators=(
        kik.Indicator("Einwohnerinnen und Einwohner", 52_000.0, "", dt.date(2023, 12, 31)),
        kik.Indicator("Anteil ausländischer Staatsangehöriger", 14.2, "%", dt.date(2023, 12, 31)),
    ),
    timeline=(
        kik.TimelineEntry("März 2024", "Der Stadtrat beschließt das Integrationskonzept."),
        kik.TimelineEntry("September 2024", "Erste Rückmeldung der Partner (dieser Bericht)."),
    ),
)

FOREWORD = """\
Liebe Leserinnen und Leser,

im März 2024 hat der Stadtrat das Integrationskonzept der Stadt Musterstadt beschlossen.
Dieser erste Zwischenbericht zeigt, wie weit die Maßnahmen in den Handlungsfeldern
**Sprache** und **Arbeit** zum 30.09.2024 umgesetzt sind.

Herzlichen Dank allen Partnerinnen und Partnern für ihre Rückmeldungen.
"""

# (Maßnahme, Status, Stand am, Institution, Aktueller Stand, Ausblick); a goal row has no status.
VHS_ROWS: list[tuple[str, str, dt.date, str, str, str]] = [
    ("SP-1.1", "implementiert", AS_OF, VHS, "", ""),
    ("SP-1.2", "in Bearbeitung", AS_OF, VHS, "", ""),
    (
        "SP-1",
        "",
        AS_OF,
        VHS,
        "Seit April 2024 laufen vier Integrationskurse, zwei davon in Teilzeit am Abend.",
        "Ab 2025 soll die Kursberatung im Bürgerbüro jede Woche angeboten werden.",
    ),
    ("AR-2.1", "in Bearbeitung", AS_OF, VHS, "", ""),
]
JOBCENTER_ROWS: list[tuple[str, str, dt.date, str, str, str]] = [
    ("AR-1.1", "implementiert", AS_OF, JOBCENTER, "", ""),
    ("AR-1.2", "in Bearbeitung", AS_OF, JOBCENTER, "", ""),
    (
        "AR-1",
        "",
        AS_OF,
        JOBCENTER,
        "Die Anerkennungsberatung findet jeden Dienstag statt; 38 Beratungen bis September.",
        "Mit der IHK werden weitere Praktikumsbetriebe gewonnen.",
    ),
    ("AR-2.2", "wartend", AS_OF, JOBCENTER, "", ""),
]


def _fixed_zip(path: Path) -> None:
    """Rewrite an xlsx with fixed member timestamps and core-property dates."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(path) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in sorted(src.infolist(), key=lambda i: i.filename):
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = re.sub(
                    r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                    rf"\g<1>{CORE_TIME}\g<2>",
                    data.decode("utf-8"),
                )
                data = text.encode("utf-8")
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, data)
    path.write_bytes(out.getvalue())


def write_partner_xlsx(path: Path, rows: list[tuple[str, str, dt.date, str, str, str]]) -> None:
    """A partner's update workbook: sheet ``Rückmeldung`` with the six columns."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has one sheet
    sheet.title = SHEET
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([value or None for value in row])
        sheet.cell(sheet.max_row, 3).number_format = "DD.MM.YYYY"
    for letter, width in zip("ABCDEF", (10, 16, 12, 24, 60, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    workbook.save(path)
    _fixed_zip(path)


def write_partner_csv(path: Path, rows: list[tuple[str, str, dt.date, str, str, str]]) -> None:
    """A partner's update file as CSV: ``;``-separated, UTF-8 with BOM (as Excel saves it)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for ident, status, as_of, partner, current, outlook in rows:
            writer.writerow([ident, status, as_of.strftime("%d.%m.%Y"), partner, current, outlook])


#: The history (fictional): the rounds before 30.09.2024 and a late file for round 2.
Q1 = dt.date(2024, 3, 31)
Q2 = dt.date(2024, 6, 30)
#: After Q2's Stichtag, before its deadline (21.07.2024): still counts for round 2.
Q2_JOBCENTER = dt.date(2024, 7, 5)
#: Dated inside round 2, but it arrives only after round 2 was issued.
LATE = dt.date(2024, 6, 25)
HISTORY: dict[str, list[tuple[str, str, dt.date, str, str, str]]] = {
    "2024-03-31/2024-03-31_vhs-musterstadt.xlsx": [
        ("SP-1.1", "in Bearbeitung", Q1, VHS, "Die ersten Kurse sind ausgeschrieben.", ""),
        ("SP-1.2", "wartend", Q1, VHS, "", ""),
        ("AR-2.1", "wartend", Q1, VHS, "", ""),
    ],
    "2024-03-31/2024-03-31_jobcenter-musterstadt.csv": [
        ("AR-1.1", "in Bearbeitung", Q1, JOBCENTER, "", ""),
        ("AR-1.2", "wartend", Q1, JOBCENTER, "", ""),
        ("AR-2.2", "wartend", Q1, JOBCENTER, "", ""),
    ],
    "2024-06-30/2024-06-30_vhs-musterstadt.xlsx": [
        ("SP-1.1", "implementiert", Q2, VHS, "Vier Integrationskurse laufen.", ""),
        ("SP-1.2", "in Bearbeitung", Q2, VHS, "", ""),
        ("AR-2.1", "wartend", Q2, VHS, "", ""),
    ],
    "2024-06-30/2024-07-05_jobcenter-musterstadt.csv": [
        ("AR-1.1", "in Bearbeitung", Q2_JOBCENTER, JOBCENTER, "", ""),
        ("AR-1.2", "in Bearbeitung", Q2_JOBCENTER, JOBCENTER, "", ""),
        ("AR-2.2", "in Bearbeitung", Q2_JOBCENTER, JOBCENTER, "Zwei Patenschaften.", ""),
    ],
    "2024-06-30_nachtrag/2024-06-25_stadtbibliothek.xlsx": [
        (
            "SP-2.2",
            "in Bearbeitung",
            LATE,
            "Stadtbibliothek",
            "Die ersten Vorlesestunden auf Arabisch und Ukrainisch sind geplant.",
            "",
        ),
    ],
}


def build_history(out: Path) -> list[Path]:
    """Write the partner files of the earlier rounds into ``out/runden``."""
    written = []
    for name, rows in HISTORY.items():
        path = out / "runden" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".csv":
            write_partner_csv(path, rows)
        else:
            write_partner_xlsx(path, rows)
        written.append(path)
    return written


def build(out: Path) -> list[Path]:
    """Write the example into ``out``; return the files written."""
    (out / "eingang").mkdir(parents=True, exist_ok=True)
    (out / "texte").mkdir(parents=True, exist_ok=True)
    concept = out / "konzept.xlsx"
    kik.write_concept_workbook(CONCEPT, concept, CONTENT)
    _fixed_zip(concept)
    foreword = out / "texte" / "vorwort.md"
    foreword.write_text(FOREWORD, encoding="utf-8")
    vhs = out / "eingang" / "2024-09-30_vhs-musterstadt.xlsx"
    write_partner_xlsx(vhs, VHS_ROWS)
    jobcenter = out / "eingang" / "2024-09-30_jobcenter-musterstadt.csv"
    write_partner_csv(jobcenter, JOBCENTER_ROWS)
    return [concept, foreword, vhs, jobcenter, *build_history(out)]


def main() -> None:
    """Command line: ``make_example.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="target folder (default: here)")
    args = parser.parse_args()
    for path in build(args.out):
        print(path)


if __name__ == "__main__":
    main()
