"""Generate the Musterstadt example: concept workbook, foreword, partner files and history.

``eingang/`` holds the partner files of the round 30.09.2024 (the minimal example:
copy the folder, ``kik run``). ``runden/`` holds the partner files of the two
earlier rounds and a late file for the second one; ``quartale.py`` plays the
three quarters through (all fictional). ``konzept_2025.xlsx`` and ``zuordnung_2025.xlsx``
are a second edition of the concept with its mapping, ``runden/2024-12-31/`` the files of
the round after it; ``fortschreibung.py`` plays that round.

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

from openpyxl import Workbook, load_workbook
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

#: Contacts for reminders (sheet ``Partner``): fictional ``.example`` addresses.
#: The Stadtbibliothek has no address, so it appears only in the mail-merge list.
PARTNERS = (
    kik.PartnerContact(VHS, "Frau Berg", "vhs@musterstadt.example", "01234 5678-10"),
    kik.PartnerContact(JOBCENTER, "Herr Yilmaz", "jobcenter@musterstadt.example", "01234 5678-20"),
    kik.PartnerContact("IHK", "Frau Novak", "ihk@musterstadt.example", ""),
    kik.PartnerContact("Kita-Verbund Musterstadt", "Herr Weber", "kita@musterstadt.example", ""),
    kik.PartnerContact("Stadtbibliothek", "Frau Schulz", "", "01234 5678-30"),
    kik.PartnerContact("Integrationsbüro", "", "integration@musterstadt.example", ""),
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


# --------------------------------------------------------------------------- Fortschreibung
#: The second edition (fictional): adopted in September 2024, in force from 01.10.2024.
#: SP-1.1, AR-1.1 and AR-2.1 stay; SP-1.2 is renamed SP-3.1; SP-2.1 and SP-2.2 are merged
#: into SP-2.1; AR-1.2 is split into AR-1.2 and AR-1.3; AR-2.2 is dropped; AR-3.1 is new.
EDITION_FROM = dt.date(2024, 10, 1)
Q4 = dt.date(2024, 12, 31)
_OLD = {m.id: m for m in CONCEPT.measures}
CONCEPT_2025 = kik.Concept(
    municipality="Musterstadt",
    title="Integrationskonzept der Stadt Musterstadt – Fortschreibung 2025",
    adopted_on=dt.date(2024, 9, 20),
    fields=CONCEPT.fields,
    goals=(
        CONCEPT.goals[0],
        kik.Goal("SP-2", "Familien lernen gemeinsam Deutsch."),
        kik.Goal("SP-3", "Beratung zu Sprachkursen aus einer Hand."),
        CONCEPT.goals[2],
        CONCEPT.goals[3],
        kik.Goal("AR-3", "Zugewanderte Frauen finden den Weg in den Beruf."),
    ),
    measures=(
        _OLD["SP-1.1"],
        kik.Measure(
            "SP-2.1",
            "Kitas und Stadtbibliothek bieten Elterncafés und mehrsprachige Vorlesestunden an.",
            partners=("Kita-Verbund Musterstadt", "Stadtbibliothek"),
        ),
        kik.Measure(
            "SP-3.1",
            "Die Kursberatung im Bürgerbüro vermittelt in passende Kurse.",
            partners=("Integrationsbüro", VHS),
        ),
        _OLD["AR-1.1"],
        kik.Measure(
            "AR-1.2", "Betriebe bieten Praktika für Geflüchtete an.", partners=(JOBCENTER,)
        ),
        kik.Measure(
            "AR-1.3",
            "Die IHK vermittelt Einstiegsqualifizierungen in Betrieben.",
            partners=(JOBCENTER, "IHK"),
        ),
        _OLD["AR-2.1"],
        kik.Measure(
            "AR-3.1",
            "Ein Mentoring-Programm begleitet zugewanderte Frauen in den Beruf.",
            partners=(JOBCENTER,),
        ),
    ),
)
#: (alt, Art, neu): what the office writes into the mapping template.
MAPPING_2025: tuple[tuple[str | None, str, str | None], ...] = (
    ("SP-1.1", "gleich", "SP-1.1"),
    ("SP-1.2", "umbenannt", "SP-3.1"),
    ("SP-2.1", "zusammengelegt", "SP-2.1"),
    ("SP-2.2", "zusammengelegt", "SP-2.1"),
    ("AR-1.1", "gleich", "AR-1.1"),
    ("AR-1.2", "geteilt", "AR-1.2"),
    ("AR-1.2", "geteilt", "AR-1.3"),
    ("AR-2.1", "gleich", "AR-2.1"),
    ("AR-2.2", "entfallen", None),
    (None, "neu", "AR-3.1"),
)
#: The round after the change: new numbers; and a late file of the old edition.
HISTORY_2025: dict[str, list[tuple[str, str, dt.date, str, str, str]]] = {
    "2024-12-31/2024-12-31_vhs-musterstadt.xlsx": [
        ("SP-1.1", "implementiert", Q4, VHS, "", ""),
        ("SP-3.1", "implementiert", Q4, VHS, "Die Kursberatung ist jeden Mittwoch offen.", ""),
        ("AR-2.1", "implementiert", Q4, VHS, "", ""),
    ],
    "2024-12-31/2024-12-31_jobcenter-musterstadt.csv": [
        ("AR-1.1", "implementiert", Q4, JOBCENTER, "", ""),
        ("AR-1.2", "implementiert", Q4, JOBCENTER, "", ""),
        ("AR-1.3", "in Bearbeitung", Q4, JOBCENTER, "", ""),
        ("AR-3.1", "in Bearbeitung", Q4, JOBCENTER, "Zwölf Mentorinnen sind gefunden.", ""),
    ],
    # dated before the change, with the old number: still accepted, carried into SP-2.1
    "2024-12-31/2024-09-27_kita-verbund.xlsx": [
        (
            "SP-2.1",
            "in Bearbeitung",
            dt.date(2024, 9, 27),
            "Kita-Verbund Musterstadt",
            "Zwei Kitas haben Elterncafés begonnen.",
            "",
        ),
    ],
}


def build_edition(out: Path) -> list[Path]:
    """Write the second edition, its filled-in mapping and the partner files after it."""
    concept = out / "konzept_2025.xlsx"
    kik.write_concept_workbook(CONCEPT_2025, concept, CONTENT, PARTNERS)
    _fixed_zip(concept)
    mapping = out / "zuordnung_2025.xlsx"
    mapping.unlink(missing_ok=True)
    kik.write_mapping_template(mapping, CONCEPT, CONCEPT_2025)
    workbook = load_workbook(mapping)
    sheet = workbook["Fortschreibung"]
    sheet.delete_rows(2, sheet.max_row)
    for old_id, kind, new_id in MAPPING_2025:
        old_text = _OLD[old_id].text if old_id else None
        new_text = CONCEPT_2025.measure(new_id).text if new_id else None
        sheet.append([old_id, old_text, kind, new_id, new_text])
    workbook.save(mapping)
    _fixed_zip(mapping)
    written = [concept, mapping]
    for name, rows in HISTORY_2025.items():
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
    kik.write_concept_workbook(CONCEPT, concept, CONTENT, PARTNERS)
    _fixed_zip(concept)
    foreword = out / "texte" / "vorwort.md"
    foreword.write_text(FOREWORD, encoding="utf-8")
    vhs = out / "eingang" / "2024-09-30_vhs-musterstadt.xlsx"
    write_partner_xlsx(vhs, VHS_ROWS)
    jobcenter = out / "eingang" / "2024-09-30_jobcenter-musterstadt.csv"
    write_partner_csv(jobcenter, JOBCENTER_ROWS)
    return [concept, foreword, vhs, jobcenter, *build_history(out), *build_edition(out)]


def main() -> None:
    """Command line: ``make_example.py [--out DIR]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="target folder (default: here)")
    args = parser.parse_args()
    for path in build(args.out):
        print(path)


if __name__ == "__main__":
    main()
