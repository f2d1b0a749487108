"""Open data: tidy frames, CSV for German Excel, XLSX, JSON valid against the shipped schema."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import jsonschema
import openpyxl
import pytest

from kik_core import Status, StatusReport, build_snapshot
from kik_core.opendata import (
    LICENCES,
    history_frame,
    load_dictionary,
    load_schema,
    snapshot_frame,
    write_open_data,
)
from tests.conftest import small_concept
from tests.report_fixtures import CONFLICT_ID, REGRESSION_ID, make_case


@pytest.fixture(scope="module")
def case():
    return make_case()


@pytest.fixture(scope="module")
def written(case, tmp_path_factory):
    folder = tmp_path_factory.mktemp("daten")
    paths = write_open_data(
        folder,
        case.concept,
        case.snapshot,
        history=case.history,
        title="Zwischenbericht",
        licence=LICENCES["dl-de/by-2-0"],
        attribution="Stadt Musterstadt",
    )
    return folder, paths


def test_snapshot_frame_has_one_row_per_measure(case) -> None:
    frame = snapshot_frame(case.concept, case.snapshot)
    assert len(frame) == len(case.concept.measures)
    assert list(frame["massnahme_id"]) == [m.id for m in case.concept.measures]
    counts = frame.groupby("handlungsfeld_kuerzel")["status"].value_counts()
    for code, (done, doing, waiting) in case.expected.items():
        assert counts[code].get("implementiert", 0) == done
        assert counts[code].get("in Bearbeitung", 0) == doing
        assert counts[code].get("wartend", 0) == waiting
    row = frame.set_index("massnahme_id").loc[CONFLICT_ID]
    assert bool(row["konflikt"])


def test_history_frame_is_long_and_tidy(case) -> None:
    frame = history_frame(case.concept, case.history)
    dates = sorted({s.as_of for s in case.history})
    assert len(frame) == len(dates) * len(case.concept.measures)
    assert sorted(set(frame["stichtag"])) == dates
    moved = frame[frame["massnahme_id"] == REGRESSION_ID]["status"].tolist()
    assert Status.parse(moved[-1]) < Status.parse(moved[0])


def test_csv_opens_in_german_excel(written, case) -> None:
    folder, _paths = written
    raw = (folder / "massnahmen.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel detects the encoding
    text = raw.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["stichtag", "massnahme_id", "handlungsfeld_kuerzel"]
    assert all(len(r) == len(header) for r in rows)
    assert len(rows) == len(case.concept.measures) + 1
    fields = {r[header.index("handlungsfeld")] for r in rows[1:]}
    assert "Bürgerschaftliches Engagement" in fields  # umlauts survive
    assert {r[header.index("konflikt")] for r in rows[1:]} == {"ja", "nein"}
    assert rows[1][0] == "2023-09-30"


def test_csv_never_carries_a_formula(tmp_path) -> None:
    concept = small_concept()
    day = dt.date(2024, 3, 31)
    reports = [StatusReport("BS-1.1", "implementiert", day, "vhs", '=HYPERLINK("x")', "@SUM")]
    write_open_data(tmp_path, concept, build_snapshot(concept, reports, day))
    text = (tmp_path / "massnahmen.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "'@SUM" in text
    sheet = openpyxl.load_workbook(tmp_path / "massnahmen.xlsx")["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("aktueller_stand") + 1)
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("x")'


def test_json_validates_against_the_shipped_schema(written, case) -> None:
    folder, _paths = written
    document = json.loads((folder / "massnahmen.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(load_schema())
    jsonschema.validate(document, load_schema(), format_checker=jsonschema.FormatChecker())
    assert document["lizenz"]["id"] == "dl-de/by-2-0"
    assert len(document["massnahmen"]) == len(case.concept.measures)
    copy = json.loads((folder / "massnahmen.schema.json").read_text(encoding="utf-8"))
    assert copy == load_schema()


def test_schema_rejects_a_wrong_status(written) -> None:
    folder, _paths = written
    document = json.loads((folder / "massnahmen.json").read_text(encoding="utf-8"))
    document["massnahmen"][0]["status"] = "fertig"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, load_schema())


def test_xlsx_has_the_three_sheets_with_real_dates(written, case) -> None:
    folder, _paths = written
    book = openpyxl.load_workbook(folder / "massnahmen.xlsx")
    assert book.sheetnames == ["Maßnahmen", "Ziele", "Verlauf"]
    sheet = book["Maßnahmen"]
    assert sheet.max_row == len(case.concept.measures) + 1
    assert isinstance(sheet["A2"].value, dt.datetime)


def test_dictionary_describes_every_column(written) -> None:
    folder, _paths = written
    dictionary = load_dictionary()
    for name in ("massnahmen", "ziele", "verlauf"):
        with (folder / f"{name}.csv").open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle, delimiter=";"))
        assert header == list(dictionary["dateien"][name]["spalten"])
    written_names = {p.name for p in folder.iterdir()}
    assert set(dictionary["downloads"]) == written_names
