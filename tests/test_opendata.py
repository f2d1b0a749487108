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


@pytest.mark.parametrize(
    ("column", "value"),
    [
        # statuses are the municipality's own (issue 17): the label is free text,
        # but its key is a slug and every column has its type
        ("status", ""),
        ("status_code", "In Bearbeitung"),
        ("budget_euro", -1),
        ("budget_euro", "12.500,00 €"),
        ("arbeitspakete_gesamt", 0),
        ("ueberfaellig", "ja"),
        ("ende", "31.12.2025"),
    ],
)
def test_schema_rejects_a_wrong_value(written, column, value) -> None:
    folder, _paths = written
    document = json.loads((folder / "massnahmen.json").read_text(encoding="utf-8"))
    document["massnahmen"][0][column] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, load_schema())


def test_schema_requires_every_column(written) -> None:
    folder, _paths = written
    document = json.loads((folder / "massnahmen.json").read_text(encoding="utf-8"))
    del document["massnahmen"][0]["prioritaet"]
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


# --- measure attributes (issue 17) ------------------------------------------------


def test_attribute_columns_in_frame_csv_xlsx_and_json(tmp_path) -> None:
    from tests.test_presentation_attributes import AS_OF, _reports, attributed

    concept = attributed()
    snapshot = build_snapshot(concept, _reports(), AS_OF)
    frame = snapshot_frame(concept, snapshot).set_index("massnahme_id")
    cafe = frame.loc["SP-1.1"]
    assert cafe["prioritaet"] == "hoch"
    assert cafe["prioritaet_seit"] == dt.date(2022, 11, 9)
    assert (cafe["beginn"], cafe["ende"]) == (dt.date(2024, 3, 1), dt.date(2024, 6, 30))
    assert cafe["ueberfaellig"] is True
    assert cafe["federfuehrend"] == "Volkshochschule"
    assert cafe["budget_euro"] == 12500.0
    jobs = frame.loc["AR-1.1"]
    assert (jobs["arbeitspakete_erledigt"], jobs["arbeitspakete_gesamt"]) == (2, 3)
    assert frame.loc["SP-1.3", "ueberfaellig"] is False  # entfällt: not overdue
    assert frame.loc["AR-1.2", "ueberfaellig"] is None  # no end: not known

    write_open_data(tmp_path, concept, snapshot)
    rows = list(
        csv.DictReader(
            io.StringIO((tmp_path / "massnahmen.csv").read_text(encoding="utf-8-sig")),
            delimiter=";",
        )
    )
    first = rows[0]
    assert (first["budget_euro"], first["ueberfaellig"], first["ende"]) == (
        "12500,00",
        "ja",
        "2024-06-30",
    )
    assert rows[1]["budget_euro"] == ""
    assert (rows[3]["arbeitspakete_erledigt"], rows[3]["arbeitspakete_gesamt"]) == ("2", "3")
    document = json.loads((tmp_path / "massnahmen.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, load_schema(), format_checker=jsonschema.FormatChecker())
    assert document["massnahmen"][0]["budget_euro"] == 12500.0
    assert document["massnahmen"][3]["arbeitspakete_gesamt"] == 3
    assert document["massnahmen"][4]["ueberfaellig"] is None
    sheet = openpyxl.load_workbook(tmp_path / "massnahmen.xlsx")["Maßnahmen"]
    header = [c.value for c in sheet[1]]
    budget = sheet.cell(row=2, column=header.index("budget_euro") + 1)
    assert budget.value == 12500
    assert "€" in budget.number_format
    assert sheet.cell(row=5, column=header.index("arbeitspakete_gesamt") + 1).value == 3


def test_kempten_shaped_data_leaves_the_attribute_columns_empty(written) -> None:
    folder, _paths = written
    rows = list(
        csv.DictReader(
            io.StringIO((folder / "massnahmen.csv").read_text(encoding="utf-8-sig")),
            delimiter=";",
        )
    )
    attributes = ("prioritaet", "prioritaet_seit", "beginn", "ende", "ueberfaellig")
    attributes += ("federfuehrend", "budget_euro", "arbeitspakete_erledigt", "arbeitspakete_gesamt")
    assert {r[c] for r in rows for c in attributes} == {""}
