"""The partner status board: per partner asked / arrived / missing, per measure who reported."""

from __future__ import annotations

import datetime as dt
import doctest
from pathlib import Path

import pytest
from openpyxl import load_workbook
from rich.console import Console

import kik_core.board
from kik_core import Concept, PartnerContact, Provenance, StatusReport
from kik_core._board_views import board_table, measures_table, write_board_xlsx
from kik_core.board import PartnerState, build_board, format_time

STICHTAG, DEADLINE = dt.date(2024, 9, 30), dt.date(2024, 10, 21)
PREVIOUS = dt.date(2024, 6, 30)


def in_round(report: StatusReport) -> bool:
    return PREVIOUS < report.as_of <= DEADLINE


def rep(target: str, partner: str, day: dt.date = STICHTAG, file: str = "h1") -> StatusReport:
    source = Provenance(f"{file}.xlsx", 2, "Rückmeldung", file)
    return StatusReport(target, "in Bearbeitung", day, partner, source=source)


def test_partners_asked_arrived_missing(concept: Concept) -> None:
    # concept: BS-2.1 vhs Kempten; AA-1.1 Agentur; AA-1.2 Agentur + vhs Kempten
    reports = [
        rep("BS-2.1", " VHS  kempten", file="a"),  # spelling differs: still the vhs
        rep("AA-1.2", "Agentur für Arbeit", dt.date(2024, 3, 31), file="old"),  # last round
        rep("AA-1.1", "Agentur für Arbeit", file="b"),
    ]
    times = {
        "a": dt.datetime(2024, 10, 2, 8, 0, tzinfo=dt.UTC),
        "b": dt.datetime(2024, 10, 5, 12, 30, tzinfo=dt.UTC),
        "old": dt.datetime(2024, 4, 3, tzinfo=dt.UTC),
    }
    contact = PartnerContact("vhs Kempten", "Frau Berg", "vhs@kempten.example")
    board = build_board(
        concept,
        reports,
        stichtag=STICHTAG,
        deadline=DEADLINE,
        in_round=in_round,
        file_times=times,
        contacts=[contact],
    )
    agentur, vhs = board.partners
    assert agentur.partner == "Agentur für Arbeit"
    assert agentur.asked == ("AA-1.1", "AA-1.2")
    assert agentur.arrived == ("AA-1.1",)
    assert agentur.missing == ("AA-1.2",)  # the report of the last round does not count
    assert agentur.state is PartnerState.PARTIAL
    assert agentur.last_file == times["b"]
    assert agentur.email == ""
    assert vhs.asked == ("BS-2.1", "AA-1.2")
    assert vhs.missing == ("AA-1.2",)
    assert vhs.contact == contact
    assert vhs.email == "vhs@kempten.example"
    assert [p.partner for p in board.waiting] == ["Agentur für Arbeit", "vhs Kempten"]


def test_measures_reported_and_by_whom(concept: Concept) -> None:
    reports = [rep("BS-1.1", "SmF"), rep("BS-1.1", "vhs Kempten"), rep("AA-1.1", "x", PREVIOUS)]
    board = build_board(concept, reports, stichtag=STICHTAG, deadline=DEADLINE, in_round=in_round)
    by_id = {m.measure_id: m for m in board.measures}
    assert by_id["BS-1.1"].reported_by == ("SmF", "vhs Kempten")
    assert by_id["BS-1.1"].reported
    assert not by_id["AA-1.1"].reported  # dated on the previous Stichtag: an older round
    assert board.measures_reported == 1
    assert (
        board.measures_sentence == "Zu 1 von 6 Maßnahmen liegt eine Meldung aus dieser Runde vor."
    )


def test_goal_texts_do_not_count_as_a_measure_report(concept: Concept) -> None:
    goal = StatusReport("BS-2", None, STICHTAG, "vhs Kempten", current_state="Text")
    board = build_board(concept, [goal], stichtag=STICHTAG, deadline=DEADLINE, in_round=in_round)
    assert board.partners[1].arrived == ()
    assert board.partners[1].state is PartnerState.PENDING


@pytest.mark.parametrize(
    ("done", "partial", "total", "expected"),
    [
        (38, 2, 42, "38 von 42 Partnern haben gemeldet, 2 teilweise."),
        (1, 0, 2, "1 von 2 Partnern hat gemeldet."),
        (1, 0, 1, "1 von 1 Partner hat gemeldet."),
        (0, 1, 3, "Von 3 Partnern hat noch keiner vollständig gemeldet, 1 teilweise."),
        (0, 0, 0, "Keiner Maßnahme ist ein Partner zugeordnet."),
    ],
)
def test_sentence_is_plural_correct(done: int, partial: int, total: int, expected: str) -> None:
    from kik_core.board import BoardPartner, PartnerBoard

    rows = (
        [BoardPartner(f"c{i}", ("BS-1.1",), ("BS-1.1",)) for i in range(done)]
        + [BoardPartner(f"p{i}", ("BS-1.1", "BS-1.2"), ("BS-1.1",)) for i in range(partial)]
        + [BoardPartner(f"w{i}", ("BS-1.1",), ()) for i in range(total - done - partial)]
    )
    board = PartnerBoard(STICHTAG, DEADLINE, tuple(rows), ())
    assert board.sentence == expected


def test_artifact_rows_are_plain_german_dicts(concept: Concept) -> None:
    times = {"a": dt.datetime(2024, 10, 2, 8, 0, tzinfo=dt.UTC)}
    board = build_board(
        concept,
        [rep("BS-2.1", "vhs Kempten", file="a")],
        stichtag=STICHTAG,
        deadline=DEADLINE,
        in_round=in_round,
        file_times=times,
    )
    assert board.artifact_rows()[1] == {
        "Partner": "vhs Kempten",
        "Stand": "teilweise",
        "angefragt": 2,
        "eingegangen": 1,
        "fehlend": "AA-1.2",
        "letzte Datei": "02.10.2024, 10:00",
    }
    assert format_time(None) == "–"


def test_doctest() -> None:
    result = doctest.testmod(kik_core.board)
    assert result.attempted > 0
    assert result.failed == 0


def _board(concept: Concept) -> kik_core.board.PartnerBoard:
    contact = PartnerContact("vhs Kempten", "Frau Berg", "vhs@kempten.example")
    return build_board(
        concept,
        [rep("BS-2.1", "vhs Kempten", file="a"), rep("AA-1.1", "=Agentur für Arbeit", file="b")],
        stichtag=STICHTAG,
        deadline=DEADLINE,
        in_round=in_round,
        file_times={"a": dt.datetime(2024, 10, 2, 8, 0, tzinfo=dt.UTC)},
        contacts=[contact],
    )


def test_office_workbook(tmp_path: Path, concept: Concept) -> None:
    path = write_board_xlsx(_board(concept), tmp_path / "rueckmeldungen.xlsx")
    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Partner", "Maßnahmen", "Runde"]
    partners = workbook["Partner"]
    assert partners.freeze_panes == "A2"
    assert [c.value for c in partners[1]][:4] == ["Partner", "Ansprechperson", "E-Mail", "Stand"]
    assert [c.value for c in partners[3]] == [
        "vhs Kempten",
        "Frau Berg",
        "vhs@kempten.example",
        "teilweise",
        2,
        1,
        "AA-1.2",
        "02.10.2024, 10:00",
    ]
    measures = workbook["Maßnahmen"]
    by_id = {row[0].value: row for row in measures.iter_rows(min_row=2)}
    # a partner name that looks like a formula stays text
    assert by_id["AA-1.1"][4].value == "=Agentur für Arbeit"
    assert by_id["AA-1.1"][4].data_type == "s"
    assert by_id["BS-1.1"][3].value == "nein"
    assert workbook["Runde"]["B2"].value.date() == STICHTAG
    assert list(tmp_path.iterdir()) == [path]  # no temp file left


def test_cli_table_lists_every_partner(concept: Concept) -> None:
    console = Console(width=120, record=True)
    console.print(board_table(_board(concept)))
    text = console.export_text()
    assert "Rückmeldungen zum Stichtag 30.09.2024 (Frist 21.10.2024)" in text
    assert "Agentur für Arbeit" in text
    assert "Von 2 Partnern hat noch keiner vollständig gemeldet, 1 teilweise." in text


def test_cli_measures_table_says_who_reported(concept: Concept) -> None:
    console = Console(width=160, record=True)
    console.print(measures_table(_board(concept)))
    lines = console.export_text().splitlines()
    (bs21,) = [line for line in lines if "BS-2.1" in line]
    assert "ja" in bs21
    assert bs21.count("vhs Kempten") == 2  # responsible, and reported
    (bs11,) = [line for line in lines if "BS-1.1" in line]
    assert "nein" in bs11


def test_board_of_an_issued_round_never_changes(tmp_path: Path) -> None:
    from kik_core import workflow, write_concept_workbook

    from .ingest_helpers import concept as small_concept
    from .ingest_helpers import good_row, write_csv

    folder = workflow.init_folder(tmp_path / "m", "Musterstadt")
    write_concept_workbook(small_concept(), folder / "konzept.xlsx")
    workflow.open_round(folder, stichtag=dt.date(2024, 3, 31), today=dt.date(2024, 4, 1))
    rows = [good_row("BS-4.1", "implementiert", Stand_am="31.03.2024")]
    write_csv(folder / "eingang" / "vhs.csv", rows)
    workflow.ingest(folder, today=dt.date(2024, 4, 10))
    workflow.issue(folder, accept_conflicts=True, pdf=False)
    before = workflow.partner_board(folder).board
    # a late file for the issued round
    late = [
        good_row("BS-5.1", "in Bearbeitung", Stand_am="30.03.2024", Institution="Stadtbibliothek")
    ]
    write_csv(folder / "eingang" / "bib.csv", late)
    workflow.ingest(folder, today=dt.date(2024, 5, 2))
    after = workflow.partner_board(folder, stichtag=dt.date(2024, 3, 31))
    assert after.round.is_issued
    assert after.board == before
    library = next(p for p in after.board.partners if p.partner == "Stadtbibliothek")
    assert library.arrived == ()


# --- work packages (issue 17) ------------------------------------------------------


def _package_board() -> kik_core.board.PartnerBoard:
    from kik_core import FieldOfAction, Goal, Measure
    from kik_core.model import WorkPackage

    concept = Concept(
        "Paketstadt",
        "KIK",
        None,
        (FieldOfAction("BS", "Bildung"),),
        (Goal("BS-1", "Ziel"),),
        (
            Measure("BS-1.1", "Kurse", partners=("vhs",)),
            Measure("BS-1.2", "Paten", partners=("vhs",)),
        ),
        work_packages=(
            WorkPackage("BS-1.1 AP1", "BS-1.1", "Räume finden"),
            WorkPackage("BS-1.1 AP2", "BS-1.1", "Lehrkräfte gewinnen"),
        ),
    )
    reports = [
        StatusReport("BS-1.1 AP1", "implementiert", STICHTAG, "VHS"),
        StatusReport("BS-1.1 AP2", "in Bearbeitung", PREVIOUS, "vhs"),  # last round
    ]
    return build_board(concept, reports, stichtag=STICHTAG, deadline=DEADLINE, in_round=in_round)


def test_board_lists_work_packages_with_their_status() -> None:
    board = _package_board()
    courses, mentors = board.measures
    assert [(p.package_id, p.status, p.reported_by) for p in courses.packages] == [
        ("BS-1.1 AP1", "implementiert", ("VHS",)),
        ("BS-1.1 AP2", "in Bearbeitung", ()),  # its status stands, but not reported this round
    ]
    assert mentors.packages == ()
    # a report on a work package is a report on its measure (rule 8)
    assert courses.reported_by == ("VHS",)
    [vhs] = board.partners
    assert vhs.arrived == ("BS-1.1",)
    assert vhs.missing == ("BS-1.2",)


def test_board_renderers_show_the_work_packages(tmp_path: Path) -> None:
    board = _package_board()
    console = Console(width=160, record=True)
    console.print(measures_table(board))
    lines = console.export_text().splitlines()
    (ap2,) = [line for line in lines if "BS-1.1 AP2" in line]
    assert "Arbeitspaket: Lehrkräfte gewinnen (in Bearbeitung)" in ap2
    assert "nein" in ap2
    workbook = load_workbook(write_board_xlsx(board, tmp_path / "board.xlsx"))
    assert workbook.sheetnames == ["Partner", "Maßnahmen", "Arbeitspakete", "Runde"]
    rows = [[c.value for c in row] for row in workbook["Arbeitspakete"].iter_rows()]
    assert rows == [
        ["Maßnahme", "Nr.", "Arbeitspaket", "Status", "gemeldet", "gemeldet von"],
        ["BS-1.1", "BS-1.1 AP1", "Räume finden", "implementiert", "ja", "VHS"],
        ["BS-1.1", "BS-1.1 AP2", "Lehrkräfte gewinnen", "in Bearbeitung", "nein", None],
    ]
