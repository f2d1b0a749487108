"""Generate the Kempten example's binary/partner files from the YAML sources in this folder.

Usage (from the repository root)::

    .venv/bin/python examples/kempten/source/build.py            # writes into examples/kempten/
    .venv/bin/python examples/kempten/source/build.py --out DIR  # writes into DIR (DIR/konzept.xlsx, DIR/eingang/...)

Only openpyxl, csv, yaml and the standard library are used. The output is deterministic: workbook
properties and ZIP member timestamps are fixed, so rebuilding gives byte-identical files.
"""

# ruff: noqa: S101, DTZ001, E501, PLR0917, PLW2901  (standalone generator script; asserts are its checks)
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

SOURCE = Path(__file__).resolve().parent
DEFAULT_OUT = SOURCE.parent

FIXED_TIME = dt.datetime(2023, 12, 1, 9, 0, 0)  # publication month of the Zwischenbericht
ZIP_TIME = (2023, 12, 1, 9, 0, 0)
AUTHOR = "Stadt Kempten (Allgäu), Amt für Integration (Beispieldaten kik)"

UPDATE_COLUMNS = ["Maßnahme", "Status", "Stand am", "Institution", "Aktueller Stand", "Ausblick"]
DATE_FORMAT = "DD.MM.YYYY"


def load(name: str) -> dict:
    with (SOURCE / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


# --------------------------------------------------------------------------- workbook helpers


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = AUTHOR
    wb.properties.lastModifiedBy = AUTHOR
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    return wb


def add_sheet(
    wb: Workbook, title: str, header: list[str], rows: list[list], widths: dict[str, int]
):
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(row)
    for idx, name in enumerate(header, start=1):
        letter = get_column_letter(idx)
        ws.column_dimensions[letter].width = widths.get(name, 14)
        if widths.get(name, 14) >= 40:
            for cell in ws[letter][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = DATE_FORMAT
    ws.freeze_panes = "A2"
    return ws


def save_deterministic(wb: Workbook, path: Path) -> None:
    """Save like openpyxl would, but with fixed core properties and ZIP timestamps."""
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    wb.properties.modified = FIXED_TIME
    ExcelWriter(wb, archive).save()  # closes the archive; does not touch properties.modified
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, src.read(info.filename))
    path.write_bytes(out.getvalue())


# --------------------------------------------------------------------------- concept


def measure_ids(konzept: dict):
    for hf in konzept["handlungsfelder"]:
        for ziel in hf["ziele"]:
            for nr in ziel["massnahmen"]:
                yield f"{hf['kuerzel']}-{nr}"


def build_konzept(
    out: Path,
    konzept: dict,
    partners: dict,
    status23: dict,
    highlights: dict,
    kennzahlen: dict,
    zeitleiste: dict,
) -> None:
    wb = new_workbook()
    add_sheet(
        wb,
        "Konzept",
        ["Feld", "Wert"],
        [
            ["Kommune", konzept["kommune"]],
            ["Titel", konzept["titel"]],
            ["Beschlossen am", konzept["beschlossen_am"]],
        ],
        {"Feld": 18, "Wert": 50},
    )
    add_sheet(
        wb,
        "Handlungsfelder",
        ["Kürzel", "Name", "Einleitung"],
        [[hf["kuerzel"], hf["name"], hf["einleitung"]] for hf in konzept["handlungsfelder"]],
        {"Kürzel": 8, "Name": 30, "Einleitung": 100},
    )
    add_sheet(
        wb,
        "Ziele",
        ["Handlungsfeld", "Nr", "Ziel"],
        [
            [hf["kuerzel"], int(z["nr"]), z["ziel"]]
            for hf in konzept["handlungsfelder"]
            for z in hf["ziele"]
        ],
        {"Handlungsfeld": 14, "Nr": 6, "Ziel": 100},
    )
    rows = []
    for hf in konzept["handlungsfelder"]:
        for ziel in hf["ziele"]:
            for nr, text in ziel["massnahmen"].items():
                mid = f"{hf['kuerzel']}-{nr}"
                partner = partners[status23["massnahmen"][mid][1]]["name"]
                rows.append([hf["kuerzel"], str(nr), text, ziel.get("gruppe"), partner])
    add_sheet(
        wb,
        "Maßnahmen",
        ["Handlungsfeld", "Nr", "Maßnahme", "Gruppe", "Zuständig"],
        rows,
        {"Handlungsfeld": 14, "Nr": 6, "Maßnahme": 100, "Gruppe": 20, "Zuständig": 40},
    )
    add_sheet(
        wb,
        "Highlights",
        ["Handlungsfeld", "Titel", "Organisation", "Text", "Maßnahmen"],
        [
            [h["handlungsfeld"], h["titel"], h["organisation"], h["text"], h["massnahmen"]]
            for h in highlights["highlights"]
        ],
        {"Handlungsfeld": 14, "Titel": 40, "Organisation": 40, "Text": 100, "Maßnahmen": 40},
    )
    krows = []
    for stichtag in ("2020-12-31", "2022-12-31"):
        day = dt.date.fromisoformat(stichtag)
        for k in kennzahlen["kennzahlen"]:
            krows.append([k["kennzahl"], k[stichtag], k["einheit"], day, kennzahlen["quelle"]])
    add_sheet(
        wb,
        "Kennzahlen",
        ["Kennzahl", "Wert", "Einheit", "Stand am", "Quelle"],
        krows,
        {"Kennzahl": 48, "Wert": 10, "Einheit": 10, "Stand am": 12, "Quelle": 50},
    )
    add_sheet(
        wb,
        "Zeitleiste",
        ["Zeitraum", "Ereignis"],
        [[z["zeitraum"], z["ereignis"]] for z in zeitleiste["zeitleiste"]],
        {"Zeitraum": 30, "Ereignis": 100},
    )
    save_deterministic(wb, out / "konzept.xlsx")


# --------------------------------------------------------------------------- partner files


def partner_rows(konzept, status, goal_texts, stand_am, extra=None):
    """Rows per partner key, in concept order: each goal row (if any) before its measures."""
    rows: dict[str, list[list]] = defaultdict(list)
    statuses = status["massnahmen"]
    partner_of = {mid: v[1] for mid, v in load("status_2023.yaml")["massnahmen"].items()}
    remarks = status.get("bemerkungen") or {}
    for hf in konzept["handlungsfelder"]:
        for ziel in hf["ziele"]:
            gid = f"{hf['kuerzel']}-{ziel['nr']}"
            if goal_texts and gid in goal_texts:
                g = goal_texts[gid]
                rows[g["partner"]].append(
                    [gid, None, stand_am, None, g["aktueller_stand"], g["ausblick"]]
                )
            for nr in ziel["massnahmen"]:
                mid = f"{hf['kuerzel']}-{nr}"
                value = statuses[mid]
                st = value[0] if isinstance(value, list) else value
                rem = remarks.get(mid, {})
                rows[partner_of[mid]].append(
                    [mid, st, stand_am, None, rem.get("aktueller_stand"), rem.get("ausblick")]
                )
    return rows


def write_update_file(path: Path, fmt: str, institution: str, rows: list[list]):
    header = list(UPDATE_COLUMNS)
    full = []
    for r in rows:
        r = list(r)
        r[3] = institution
        full.append(r)
    if fmt == "xlsx":
        wb = new_workbook()
        add_sheet(
            wb,
            "Rückmeldung",
            header,
            full,
            {
                "Maßnahme": 11,
                "Status": 16,
                "Stand am": 12,
                "Institution": 30,
                "Aktueller Stand": 70,
                "Ausblick": 70,
            },
        )
        save_deterministic(wb, path)
    else:  # csv as Excel writes it: UTF-8 with BOM, ';' delimiter, CRLF, German dates
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        for r in full:
            writer.writerow(
                [
                    "" if v is None else v.strftime("%d.%m.%Y") if isinstance(v, dt.date) else v
                    for v in r
                ]
            )
        path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def build_eingang(out: Path, konzept, partners, status23, goal_texts) -> list[Path]:
    eingang = out / "eingang"
    eingang.mkdir(parents=True, exist_ok=True)
    for old in list(eingang.glob("*.xlsx")) + list(eingang.glob("*.csv")):
        old.unlink()
    written = []
    stand_am = status23["stand_am"]
    rows = partner_rows(konzept, status23, goal_texts, stand_am)
    for key, partner in partners.items():
        if not rows.get(key):
            continue
        path = eingang / f"{stand_am.isoformat()}_{partner['datei']}.{partner['format']}"
        write_update_file(path, partner["format"], partner["name"], rows[key])
        written.append(path)
    return written


# --------------------------------------------------------------------------- checks


def check(konzept, status23, goal_texts, partners) -> None:
    ids = list(measure_ids(konzept))
    assert len(ids) == len(set(ids)) == 144, len(ids)
    assert sum(len(hf["ziele"]) for hf in konzept["handlungsfelder"]) == 43
    assert set(status23["massnahmen"]) == set(ids)
    assert len(goal_texts) == 43
    assert all(v[1] in partners for v in status23["massnahmen"].values())
    assert all(g["partner"] in partners for g in goal_texts.values())
    expected = {
        "BS": (7, 13, 10),
        "AA": (13, 7, 7),
        "GP": (2, 13, 4),
        "BE": (9, 6, 3),
        "GT": (7, 14, 3),
        "IO": (7, 9, 10),
    }
    counts: dict[str, Counter] = defaultdict(Counter)
    for mid, (st, _) in status23["massnahmen"].items():
        counts[mid.split("-")[0]][st] += 1
    for code, (imp, bea, wart) in expected.items():
        got = counts[code]
        assert (got["implementiert"], got["in Bearbeitung"], got["wartend"]) == (imp, bea, wart), (
            code,
            got,
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="target folder (default: examples/kempten)"
    )
    args = parser.parse_args(argv)
    konzept = load("konzept.yaml")
    partners = load("partner.yaml")["partner"]
    status23 = load("status_2023.yaml")
    goal_texts = load("goal_texts.yaml")
    check(konzept, status23, goal_texts, partners)
    args.out.mkdir(parents=True, exist_ok=True)
    build_konzept(
        args.out,
        konzept,
        partners,
        status23,
        load("highlights.yaml"),
        load("kennzahlen.yaml"),
        load("zeitleiste.yaml"),
    )
    written = build_eingang(args.out, konzept, partners, status23, goal_texts)
    print(
        f"wrote {args.out / 'konzept.xlsx'} and {len(written)} partner files in {args.out / 'eingang'}"
    )


if __name__ == "__main__":
    main()
