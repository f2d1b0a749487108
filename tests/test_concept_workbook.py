"""The concept workbook: blank template, round trip, and German errors naming the place."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from openpyxl import Workbook, load_workbook

from kik_core import (
    Concept,
    ConceptWorkbookError,
    Highlight,
    Indicator,
    PartnerContact,
    ReportContent,
    TimelineEntry,
    load_concept,
    load_partner_contacts,
    load_report_content,
    write_concept_template,
    write_concept_workbook,
)
from kik_core.concept_workbook import EditorialNote, parse_date
from kik_core.errors import Reason

from .strategies import concepts


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)  # type: ignore[arg-type]
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)
    return path


def _valid_sheets() -> dict[str, list[list[object]]]:
    return {
        "Konzept": [
            ["Feld", "Wert"],
            ["Kommune", "Musterstadt"],
            ["Titel", "KIK"],
            ["Beschlossen am", dt.datetime(2021, 11, 18)],
        ],
        "Handlungsfelder": [["Kürzel", "Name", "Einleitung"], ["BS", "Bildung und Sprache", "x"]],
        "Ziele": [["Handlungsfeld", "Nr", "Ziel"], ["BS", 1, "Ziel eins"], ["BS", 2, "Ziel zwei"]],
        "Maßnahmen": [
            ["Handlungsfeld", "Nr", "Maßnahme", "Gruppe", "Zuständig"],
            ["BS", "1.1", "Erste", "Informelle Bildung", "vhs; SmF"],
            ["BS", 1.2, "Zweite", None, None],
            ["BS", "2.10", "Zehnte", None, ""],
        ],
    }


def test_blank_template_has_every_sheet_and_column(tmp_path: Path) -> None:
    path = write_concept_template(tmp_path / "konzept.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Anleitung",
        "Konzept",
        "Handlungsfelder",
        "Ziele",
        "Maßnahmen",
        "Highlights",
        "Kennzahlen",
        "Zeitleiste",
        "Partner",
        "Hinweise",
        "Status",
    ]
    assert [c.value for c in wb["Hinweise"][1]] == ["Bezug", "Hinweis", "Art"]
    assert [[c.value for c in row] for row in wb["Status"].iter_rows()] == [
        ["Status", "Gruppe", "mitgezählt"],
        ["wartend", "wartend", "ja"],
        ["in Bearbeitung", "in Bearbeitung", "ja"],
        ["implementiert", "implementiert", "ja"],
    ]
    assert [c.value for c in wb["Maßnahmen"][1]] == [
        "Handlungsfeld",
        "Nr",
        "Maßnahme",
        "Gruppe",
        "Zuständig",
    ]
    assert [c.value for c in wb["Konzept"]["A"]] == ["Feld", "Kommune", "Titel", "Beschlossen am"]


def test_blank_template_explains_what_is_missing(tmp_path: Path) -> None:
    path = write_concept_template(tmp_path / "konzept.xlsx")
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(path)
    messages = [str(p) for p in info.value.problems]
    assert "konzept.xlsx, Blatt Konzept, Zeile 2, Spalte Wert: Der Wert für „Kommune“ fehlt" in (
        messages
    )
    assert len(messages) == 5  # Kommune, Titel, and the three empty sheets


def test_prefilled_template_asks_for_the_concept(tmp_path: Path) -> None:
    path = write_concept_template(tmp_path / "konzept.xlsx", "Musterstadt", "KIK Musterstadt")
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(path)
    assert [str(p) for p in info.value.problems] == [
        "konzept.xlsx, Blatt Handlungsfelder, Zeile 2: Das Tabellenblatt „Handlungsfelder“ "
        "enthält noch keine Einträge: bitte ab Zeile 2 ausfüllen",
        "konzept.xlsx, Blatt Ziele, Zeile 2: Das Tabellenblatt „Ziele“ "
        "enthält noch keine Einträge: bitte ab Zeile 2 ausfüllen",
        "konzept.xlsx, Blatt Maßnahmen, Zeile 2: Das Tabellenblatt „Maßnahmen“ "
        "enthält noch keine Einträge: bitte ab Zeile 2 ausfüllen",
    ]


def test_load_valid_workbook(tmp_path: Path) -> None:
    concept = load_concept(_workbook(tmp_path / "k.xlsx", _valid_sheets()))
    assert concept.municipality == "Musterstadt"
    assert concept.adopted_on == dt.date(2021, 11, 18)
    assert [m.id for m in concept.measures] == ["BS-1.1", "BS-1.2", "BS-2.10"]
    first = concept.measure("BS-1.1")
    assert first.group == "Informelle Bildung"
    assert first.partners == ("vhs", "SmF")
    assert first.source is not None
    assert (first.source.sheet, first.source.row) == ("Maßnahmen", 2)


def test_round_trip(tmp_path: Path, concept: Concept) -> None:
    content = ReportContent(
        highlights=(Highlight("Sprachcafé", "SmF", "Text", ("BS-1.1",), "BS"),),
        indicators=(Indicator("Einwohner", 70787.0, "Personen", dt.date(2020, 12, 31), "Amt"),),
        timeline=(TimelineEntry("18. November 2021", "Beschluss im Stadtrat"),),
        notes=(
            EditorialNote("BS", "Tabelle und Diagramm der Quelle widersprechen sich."),
            EditorialNote("BS-1.2", "Status aus dem Text erschlossen.", inferred=True),
        ),
    )
    path = write_concept_workbook(concept, tmp_path / "k.xlsx", content)
    assert load_concept(path) == concept
    assert load_report_content(path, concept) == content


def test_ods_is_read_too(tmp_path: Path) -> None:
    import pandas as pd

    path = tmp_path / "k.ods"
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, rows in _valid_sheets().items():
            pd.DataFrame(rows[1:], columns=rows[0]).to_excel(writer, sheet_name=name, index=False)
    assert len(load_concept(path).measures) == 3


def test_every_problem_is_collected_with_its_place(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Ziele"].append(["XX", 1, "Feld gibt es nicht"])
    sheets["Ziele"].append(["BS", 1, "doppelt"])
    sheets["Maßnahmen"].append(["BS", "3.1", "Ziel 3 gibt es nicht", None, None])
    sheets["Maßnahmen"].append(["BS", "1.3", None, None, None])
    sheets["Konzept"][3][1] = "irgendwann"
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    got = {
        (p.reason, p.location.sheet, p.location.row, p.location.column) for p in info.value.problems
    }
    assert got == {
        (Reason.INVALID_DATE, "Konzept", 4, "Wert"),
        (Reason.UNKNOWN_FIELD, "Ziele", 4, "Handlungsfeld"),
        (Reason.DUPLICATE_ID, "Ziele", 5, "Nr"),
        (Reason.UNKNOWN_GOAL, "Maßnahmen", 5, "Nr"),
        (Reason.EMPTY_REQUIRED, "Maßnahmen", 6, "Maßnahme"),
    }
    text = str(info.value)
    assert "Blatt Ziele, Zeile 5, Spalte Nr: „BS-1“ ist doppelt (schon in Zeile 2)" in text
    assert "Das Handlungsfeld „XX“ gibt es im Blatt „Handlungsfelder“ nicht" in text


def test_missing_sheet_and_column(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    del sheets["Ziele"]
    sheets["Maßnahmen"][0][2] = "Text"
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    messages = [p.message for p in info.value.problems]
    assert "Das Tabellenblatt „Ziele“ fehlt" in messages
    assert any(m.startswith("Die Spalte „Maßnahme“ fehlt") for m in messages)


def test_invalid_id_parts_are_reported(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Handlungsfelder"].append(["sp-neu", "Kaputt", None])
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    (problem,) = info.value.problems
    where = (problem.location.sheet, problem.location.row, problem.location.column)
    assert where == ("Handlungsfelder", 3, "Kürzel")
    # German, with the value; not the model's English ("is not a field code")
    assert problem.message.startswith("„sp-neu“ ist kein gültiges Kürzel eines Handlungsfelds")
    assert "field code" not in str(info.value)


def test_blank_template_formats_numbers_as_text_and_offers_references(tmp_path: Path) -> None:
    wb = load_workbook(write_concept_template(tmp_path / "konzept.xlsx"))
    for sheet in ("Ziele", "Maßnahmen"):
        assert wb[sheet]["B2"].number_format == "@"
        assert wb[sheet]["B250"].number_format == "@"
        assert wb[sheet].column_dimensions["B"].number_format == "@"
    (field, goal) = wb["Maßnahmen"].data_validations.dataValidation
    assert field.type == "list"
    assert field.formula1 == "Handlungsfelder!$A$2:$A$200"
    assert "A2" in str(field.sqref)
    assert goal.type == "custom"
    assert "Ziele!" in goal.formula1
    assert wb["Ziele"].data_validations.dataValidation[0].formula1 == field.formula1
    guide = [c.value for c in wb["Anleitung"]["A"] if c.value]
    assert guide[0] == "Anleitung: Konzept-Arbeitsbuch"
    assert any("als Text formatiert" in line for line in guide)


def test_written_numbers_stay_text(tmp_path: Path, concept: Concept) -> None:
    wb = load_workbook(write_concept_workbook(concept, tmp_path / "k.xlsx"))
    for sheet in ("Ziele", "Maßnahmen"):
        values = [c.value for c in wb[sheet]["B"][1:] if c.value is not None]
        assert values
        assert all(isinstance(v, str) for v in values)


def test_number_turned_into_a_date_gets_its_own_message(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Maßnahmen"].append(["BS", dt.datetime(2026, 2, 1), "Excel war schneller", None, None])
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    (problem,) = info.value.problems
    assert problem.reason is Reason.NUMBER_AS_DATE
    assert (problem.location.sheet, problem.location.row, problem.location.column) == (
        "Maßnahmen",
        5,
        "Nr",
    )
    assert problem.message.startswith(
        "Excel hat die Nummer 1.2 in ein Datum umgewandelt (01.02.2026)"
    )
    assert "„Nr“ als Text formatieren" in problem.message


def test_number_that_lost_its_trailing_zero_is_named(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Maßnahmen"].append(["BS", "1.1", "Erste", None, None])
    sheets["Maßnahmen"][1] = ["BS", 1.1, "Zehnte, als Zahl 1,1 gespeichert", None, None]
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    (problem,) = info.value.problems
    assert problem.reason is Reason.NUMBER_AS_DECIMAL
    assert problem.message.startswith("„1.1“ ist doppelt (schon in Zeile 2) – vermutlich hat Excel")
    assert "„1.10“ als Zahl 1,1" in problem.message


def test_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "k.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(path)
    assert info.value.problems[0].reason is Reason.CORRUPT


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_concept(tmp_path / "fehlt.xlsx")


def test_report_content_checks_ids(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Highlights"] = [
        ["Handlungsfeld", "Titel", "Organisation", "Text", "Maßnahmen"],
        ["BS", "Projekt", "vhs", "Text", "BS-1.1; BS-9.9"],
    ]
    sheets["Kennzahlen"] = [
        ["Kennzahl", "Wert", "Einheit", "Stand am", "Quelle"],
        ["Einwohner", "viele", "Personen", "31.12.2020", ""],
    ]
    path = _workbook(tmp_path / "k.xlsx", sheets)
    with pytest.raises(ConceptWorkbookError) as info:
        load_report_content(path, load_concept(path))
    reasons = [(p.reason, p.location.sheet) for p in info.value.problems]
    assert reasons == [(Reason.UNKNOWN_ID, "Highlights"), (Reason.INVALID_VALUE, "Kennzahlen")]


def test_editorial_notes_are_checked(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Hinweise"] = [
        ["Bezug", "Hinweis", "Art"],
        ["BS", "Tabelle und Diagramm widersprechen sich.", ""],
        ["BS-1.1", "aus dem Text erschlossen", "Status erschlossen"],
        ["BS-9.9", "unbekannt", "Hinweis"],
        ["BS", "ein Feld kann keinen erschlossenen Status haben", "Status erschlossen"],
        ["BS-1.2", "falsche Art", "Vermutung"],
    ]
    path = _workbook(tmp_path / "k.xlsx", sheets)
    with pytest.raises(ConceptWorkbookError) as info:
        load_report_content(path, load_concept(path))
    found = [(p.reason, p.location.row, p.location.column) for p in info.value.problems]
    assert found == [
        (Reason.UNKNOWN_ID, 4, "Bezug"),
        (Reason.INVALID_VALUE, 5, "Art"),
        (Reason.INVALID_VALUE, 6, "Art"),
    ]
    del sheets["Hinweise"][3:]
    path = _workbook(tmp_path / "k2.xlsx", sheets)
    assert load_report_content(path, load_concept(path)).notes == (
        EditorialNote("BS", "Tabelle und Diagramm widersprechen sich."),
        EditorialNote("BS-1.1", "aus dem Text erschlossen", inferred=True),
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30.09.2023", dt.date(2023, 9, 30)),
        ("2023-09-30", dt.date(2023, 9, 30)),
        ("2023-09-30 00:00:00", dt.date(2023, 9, 30)),
        (dt.datetime(2023, 9, 30, 0, 0), dt.date(2023, 9, 30)),
        (dt.date(2023, 9, 30), dt.date(2023, 9, 30)),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: object, expected: dt.date | None) -> None:
    assert parse_date(value) == expected


def test_parse_date_rejects_garbage() -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_date("31.02.2023")


@settings(max_examples=25, deadline=None)
@given(concepts())
def test_workbook_round_trip_is_lossless(concept: Concept) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        path = write_concept_workbook(concept, Path(work) / "k.xlsx")
        assert load_concept(path) == concept


def test_control_characters_are_dropped_when_writing(tmp_path: Path, concept: Concept) -> None:
    field = concept.fields[0]
    pasted = attrs.evolve(field, intro="Absatz\x0beins\x08")
    changed = attrs.evolve(concept, fields=(pasted, *concept.fields[1:]))
    loaded = load_concept(write_concept_workbook(changed, tmp_path / "k.xlsx"))
    assert loaded.field("BS").intro == "Absatzeins"


def test_characters_no_xml_can_hold_are_dropped_when_writing(
    tmp_path: Path, concept: Concept
) -> None:
    """Found by Hypothesis: a non-character (U+FFFE) made lxml refuse the whole workbook."""
    changed = attrs.evolve(concept, title="Konzept\ufffe 2025\uffff\x00")
    assert load_concept(write_concept_workbook(changed, tmp_path / "k.xlsx")).title == (
        "Konzept 2025"
    )


def test_partner_sheet_round_trip(tmp_path: Path, concept: Concept) -> None:
    contacts = (
        PartnerContact("vhs Kempten", "Frau Berg", "vhs@musterstadt.example", "0831 1234"),
        PartnerContact("Agentur für Arbeit", "", "", ""),
    )
    path = write_concept_workbook(concept, tmp_path / "k.xlsx", partners=contacts)
    assert load_partner_contacts(path, concept) == contacts
    assert load_concept(path) == concept


def test_partner_sheet_is_optional_and_in_the_blank_template(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    path = _workbook(tmp_path / "k.xlsx", sheets)
    assert load_partner_contacts(path, load_concept(path)) == ()
    template = write_concept_template(tmp_path / "blank.xlsx")
    header = [c.value for c in load_workbook(template)["Partner"][1]]
    assert header == ["Partner", "Ansprechperson", "E-Mail", "Telefon"]


def test_partner_sheet_problems_name_sheet_row_and_column(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Partner"] = [
        ["Partner", "Ansprechperson", "E-Mail", "Telefon"],
        ["  VHS ", "Frau Berg", "vhs@musterstadt.example", ""],  # matches "vhs"
        ["Sportverein", "Herr Lauf", "sport@musterstadt.example", ""],
        ["SmF", "", "smf at musterstadt", ""],
        ["vhs", "", "", ""],
    ]
    path = _workbook(tmp_path / "k.xlsx", sheets)
    with pytest.raises(ConceptWorkbookError) as info:
        load_partner_contacts(path, load_concept(path))
    found = [
        (p.reason, p.location.sheet, p.location.row, p.location.column) for p in info.value.problems
    ]
    assert found == [
        (Reason.UNKNOWN_PARTNER, "Partner", 3, "Partner"),
        (Reason.INVALID_EMAIL, "Partner", 4, "E-Mail"),
        (Reason.DUPLICATE_ID, "Partner", 5, "Partner"),
    ]
    message = str(info.value)
    assert "Blatt Partner, Zeile 3, Spalte Partner" in message
    assert "„Sportverein“ steht bei keiner Maßnahme unter „Zuständig“" in message
    assert "„smf at musterstadt“ ist keine gültige E-Mail-Adresse" in message


# --- the Status sheet: a municipality's own scheme (issue 17) ---------------------


def test_status_sheet_sets_the_scheme_and_round_trips(tmp_path: Path) -> None:
    from .scheme_fixtures import FIVE

    sheets = _valid_sheets()
    sheets["Status"] = [
        ["Status", "Gruppe", "mitgezählt"],
        ["offen", "wartend", "ja"],
        ["zurückgestellt", "wartend", None],
        ["in Umsetzung", "in Bearbeitung", "ja"],
        ["umgesetzt", "implementiert", "ja"],
        ["entfällt", "entfallen", "nein"],
    ]
    concept = load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    assert concept.statuses == FIVE
    assert [g.counted for g in concept.statuses.groups] == [True, True, True, False]
    again = load_concept(write_concept_workbook(concept, tmp_path / "again.xlsx"))
    assert again.statuses == FIVE
    assert again.statuses.groups == FIVE.groups


def test_status_sheet_without_groups_gives_one_group_per_status(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Status"] = [["Status"], ["geplant"], ["läuft"], ["erledigt"]]
    scheme = load_concept(_workbook(tmp_path / "k.xlsx", sheets)).statuses
    assert scheme.labels == ("geplant", "läuft", "erledigt")
    assert scheme.is_simple
    assert scheme.initial == "geplant"


def test_status_sheet_problems_are_collected_in_german(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Status"] = [
        ["Status", "Gruppe", "mitgezählt"],
        ["offen", "wartend", "vielleicht"],
        ["fertig", "fertig", "ja"],
        ["Fertig", "fertig", "ja"],
        ["weg", "fertig", "nein"],
    ]
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    text = str(info.value)
    assert "Blatt Status, Zeile 2, Spalte mitgezählt: „vielleicht“ ist kein gültiger Wert" in text
    assert "den Status gibt es schon in Zeile 3" in text
    assert "die Gruppe „fertig“ steht in Zeile 3 anders" in text


def test_status_sheet_needs_a_counted_group(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Status"] = [["Status", "mitgezählt"], ["offen", "nein"]]
    with pytest.raises(ConceptWorkbookError, match="Mindestens eine Gruppe muss mitgezählt"):
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))


# --- measure attributes (issue 17) ----------------------------------------------


def test_measure_attribute_columns_are_read_and_checked(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    header = [*sheets["Maßnahmen"][0], "Federführung", "Priorität", "Priorität seit"]
    header += ["Beginn", "Ende", "Budget"]
    sheets["Maßnahmen"] = [
        header,
        ["BS", "1.1", "Erste", None, "SmF", "vhs", "hoch", "09.11.2022", None, "31.12.2025",
         "12.500,50 €"],
        ["BS", "1.2", "Zweite", None, None, None, None, None, None, None, 3000],
        ["BS", "2.10", "Zehnte", None, None, None, None, None, None, None, None],
    ]  # fmt: skip
    concept = load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    first = concept.measure("BS-1.1")
    assert (first.lead, first.partners, first.priority) == ("vhs", ("SmF",), "hoch")
    assert (first.priority_set_on, first.start, first.end) == (
        dt.date(2022, 11, 9),
        None,
        dt.date(2025, 12, 31),
    )
    assert first.budget == 12500.5
    assert concept.measure("BS-1.2").budget == 3000.0
    again = load_concept(write_concept_workbook(concept, tmp_path / "again.xlsx"))
    assert again == concept

    sheets["Maßnahmen"] = [
        header,
        ["BS", "1.1", "Erste", None, "vhs", "VHS", None, "01.01.2023", "01.01.2025", "01.01.2024",
         "viel"],
    ]  # fmt: skip
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "bad.xlsx", sheets))
    text = str(info.value)
    assert "Spalte Ende: „01.01.2024“ ist kein gültiger Wert: das Ende liegt vor dem Beginn" in text
    assert "Spalte Priorität:" in text
    assert "Spalte Federführung: „VHS“ ist kein gültiger Wert" in text
    assert "Spalte Budget: „viel“ ist kein gültiger Wert" in text


def test_workbook_without_attributes_keeps_its_columns(tmp_path: Path) -> None:
    concept = load_concept(_workbook(tmp_path / "k.xlsx", _valid_sheets()))
    path = write_concept_workbook(concept, tmp_path / "again.xlsx")
    header = [c.value for c in load_workbook(path)["Maßnahmen"][1]]
    assert header == ["Handlungsfeld", "Nr", "Maßnahme", "Gruppe", "Zuständig"]


# --- levels and free-form numbers (issue 17) --------------------------------------


def test_free_numbering_problems_are_collected_in_german(tmp_path: Path) -> None:
    sheets = {
        "Konzept": [
            ["Feld", "Wert"],
            ["Kommune", "Vierstadt"],
            ["Titel", "KIK"],
            ["Ebenen", "Handlungsfeld; Leitziel; Teilziel; Maßnahme"],
        ],
        "Handlungsfelder": [["Kürzel", "Name"], ["1", "Sprache"]],
        "Ziele": [
            ["Handlungsfeld", "Nr", "Ziel", "Übergeordnet"],
            ["1", "1.1", "Leitziel", None],
            ["1", "1.1.1", "Teilziel", "1.1"],
            ["1", "1.1.1.1", "zu tief", "1.1.1"],
            ["1", "1.9.1", "Waise", "1.9"],
        ],
        "Maßnahmen": [
            ["Handlungsfeld", "Nr", "Maßnahme", "Ziel"],
            ["1", "1.1.1.1", "ok", None],
            ["1", "1.1.1.2", "kein Ziel", "1.7"],
        ],
    }
    with pytest.raises(ConceptWorkbookError) as info:
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))
    text = str(info.value)
    assert "Blatt Ziele, Zeile 4, Spalte Übergeordnet: „1.1.1“ ist kein gültiger Wert: " in text
    assert "das Konzept hat nur 4 Ebenen" in text
    assert "Blatt Ziele, Zeile 5, Spalte Übergeordnet: Das Ziel „1.9“ gibt es" in text
    assert "Blatt Maßnahmen, Zeile 3, Spalte Ziel: Das Ziel „1.7“ gibt es" in text


def test_levels_row_must_name_two_to_four_levels(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Konzept"].append(["Ebenen", "Maßnahme"])
    with pytest.raises(ConceptWorkbookError, match="2 bis 4 Ebenen"):
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))


def test_status_labels_fit_the_store(tmp_path: Path) -> None:
    sheets = _valid_sheets()
    sheets["Status"] = [["Status"], ["offen"], ["x" * 33]]
    with pytest.raises(ConceptWorkbookError, match="höchstens 32 Zeichen"):
        load_concept(_workbook(tmp_path / "k.xlsx", sheets))


def test_free_form_numbers_keep_text_columns_without_the_goal_check(tmp_path: Path) -> None:
    """Issue 17 with issue 14: references stay text; Nr is not checked as Ziel.Maßnahme."""
    from tests.test_structures_end_to_end import vierstadt

    concept = vierstadt()
    path = write_concept_workbook(concept, tmp_path / "vier.xlsx")
    workbook = load_workbook(path)
    measures, goals = workbook["Maßnahmen"], workbook["Ziele"]
    headers = [c.value for c in measures[1]]
    assert headers[5] == "Ziel"  # the parent reference; optional attribute columns follow it
    assert measures["F2"].value == "1.1.1"
    assert {measures["B2"].number_format, measures["F2"].number_format} == {"@"}
    assert goals["D2"].number_format == "@"  # Übergeordnet
    kinds = [v.type for v in measures.data_validations.dataValidation]
    assert kinds == ["list"]  # the field dropdown only, no COUNTIFS check on Nr
    assert load_concept(path) == concept
    kempten_style = load_workbook(write_concept_workbook(None, tmp_path / "leer.xlsx"))
    assert "custom" in [v.type for v in kempten_style["Maßnahmen"].data_validations.dataValidation]


def test_the_same_workbook_is_parsed_once_and_a_changed_one_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16: ingest and report read the workbook in one process; its bytes decide."""
    from kik_core import concept_workbook

    path = _workbook(tmp_path / "konzept.xlsx", _valid_sheets())
    parsed: list[Path] = []
    parse = concept_workbook._parse_sheets

    def counting(p: Path) -> object:
        parsed.append(p)
        return parse(p)

    monkeypatch.setattr(concept_workbook, "_parse_sheets", counting)
    first = load_concept(path)
    assert load_concept(path) == first
    assert len(parsed) == 1
    sheets = _valid_sheets()
    sheets["Maßnahmen"].append(["BS", "2.11", "Elfte", None, None])
    _workbook(path, sheets)
    assert [m.id for m in load_concept(path).measures][-1] == "BS-2.11"
    assert len(parsed) == 2
