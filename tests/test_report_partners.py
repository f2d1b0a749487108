"""Report sections on partners and office decisions (kik_core.report._partners)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import docx
import pytest

from kik_core.board import build_board
from kik_core.model import Decision, Status
from kik_core.report import ReportOptions
from kik_core.report._builder import compose
from kik_core.rules import build_snapshot
from tests.report_fixtures import AS_OF, CONFLICT_ID, Case, make_case, make_options
from tests.test_report import cell_texts, headings, table_by_caption

DEADLINE = dt.date(2023, 10, 21)
DECISION = Decision(
    CONFLICT_ID,
    Status.IMPLEMENTIERT,
    AS_OF,
    "Kurs läuft laut Jobcenter und Träger seit August",
    "Frau Amt",
    dt.datetime(2023, 10, 5, 8, 30, tzinfo=dt.UTC),
)


@pytest.fixture(scope="module")
def case() -> Case:
    return make_case()


def _document(case: Case, *, decisions: bool, board: bool, tmp: Any) -> Any:
    snapshot = build_snapshot(
        case.concept, case.reports, AS_OF, decisions=[DECISION] if decisions else []
    )
    partner_board = (
        build_board(
            case.concept,
            case.reports,
            stichtag=AS_OF,
            deadline=DEADLINE,
            in_round=lambda r: r.as_of == AS_OF,
        )
        if board
        else None
    )
    options = make_options()
    assert isinstance(options, ReportOptions)
    doc = compose(case.concept, snapshot, options=options, board=partner_board)
    path = tmp / "bericht.docx"
    doc.save(str(path))
    return docx.Document(str(path)), snapshot, partner_board


def test_decision_counts_and_is_listed_in_the_annex(case: Case, tmp_path: Any) -> None:
    document, snapshot, _ = _document(case, decisions=True, board=False, tmp=tmp_path)
    assert snapshot.status_of(CONFLICT_ID) is Status.IMPLEMENTIERT
    # the conflict is decided: no longer open (the overview says so in one sentence)
    paragraphs = [p.text for p in document.paragraphs]
    assert "Widersprüchliche Meldungen von Partnern gibt es zu diesem Stand nicht." in paragraphs
    assert "Offene Konflikte zwischen Partnern" not in [text for _, text in headings(document)]
    annex = table_by_caption(document, "Entscheidungen des Integrationsbüros")
    rows = [cell_texts(r) for r in annex.rows]
    assert rows[0] == ["Nr.", "Maßnahme", "Status", "gilt ab", "Begründung", "entschieden von, am"]
    assert rows[1][0] == CONFLICT_ID
    assert rows[1][2:] == [
        "implementiert",
        "30.09.2023",
        "Kurs läuft laut Jobcenter und Träger seit August",
        "Frau Amt\n05.10.2023, 10:30",
    ]
    assert (1, "Anhang: Entscheidungen des Integrationsbüros") in headings(document)
    # the status table of the field shows the decided status as well
    annex_all = table_by_caption(document, "Alle Maßnahmen und ihre letzte Meldung")
    by_id = {cell_texts(r)[0]: cell_texts(r) for r in annex_all.rows[1:]}
    assert by_id[CONFLICT_ID][2] == "implementiert"


def test_without_decisions_and_board_the_sections_are_absent(case: Case, tmp_path: Any) -> None:
    document, _, _ = _document(case, decisions=False, board=False, tmp=tmp_path)
    titles = [t for _, t in headings(document)]
    assert "Anhang: Entscheidungen des Integrationsbüros" not in titles
    assert "Anhang: Rückmeldungen der Partner" not in titles
    assert "Rückmeldungen der Partner" not in titles


def test_draft_shows_the_partner_board(case: Case, tmp_path: Any) -> None:
    document, _, board = _document(case, decisions=False, board=True, tmp=tmp_path)
    assert board is not None
    level_titles = headings(document)
    assert (2, "Rückmeldungen der Partner") in level_titles
    assert (1, "Anhang: Rückmeldungen der Partner") in level_titles
    texts = [p.text for p in document.paragraphs]
    assert any(board.sentence in t and "Frist 21.10.2023" in t for t in texts)
    table = table_by_caption(document, "Rückmeldungen der Partner")
    rows = [cell_texts(r) for r in table.rows[1:]]
    assert [r[0] for r in rows] == [p.partner for p in board.partners]
    for row, partner in zip(rows, board.partners, strict=True):
        assert row[1] == partner.state.label
        assert row[2] == f"{len(partner.arrived)} von {len(partner.asked)}"
        assert row[3] == (", ".join(partner.missing) or "–")
