"""Report sections about partners and the office: who reported, and what the office decided.

* :func:`partner_overview`: a short sub-section of the overview with the board's
  sentence ("38 von 42 Partnern haben gemeldet") — only in drafts, where a board
  is passed;
* :func:`decisions_annex`: "Anhang: Entscheidungen des Integrationsbüros", every
  office decision that set a status in this report (absent when there is none);
* :func:`partner_annex`: "Anhang: Rückmeldungen der Partner", the board per
  partner (absent without a board).

The builder calls these from :func:`kik_core.report._builder.compose`; words and
numbers come from :class:`~kik_core.board.PartnerBoard` and the snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kik_core._locale import format_date, plural
from kik_core.board import PartnerBoard, format_time
from kik_core.report._ooxml import Cell

if TYPE_CHECKING:
    from kik_core.model import Concept
    from kik_core.report._builder import _Writer
    from kik_core.rules import Snapshot

__all__ = ["decisions_annex", "partner_annex", "partner_overview"]

PARTNER_ANNEX = "Anhang: Rückmeldungen der Partner"
DECISIONS_ANNEX = "Anhang: Entscheidungen des Integrationsbüros"


def partner_overview(w: _Writer, board: PartnerBoard | None) -> None:
    """The overview's sub-section "Rückmeldungen der Partner" (drafts only)."""
    if board is None:
        return
    w.heading("Rückmeldungen der Partner", 2)
    w.paragraph(
        text=(
            f"Rückmeldungen zum Stichtag {format_date(board.stichtag)} (Frist "
            f"{format_date(board.deadline)}): {board.sentence} {board.measures_sentence} "
            f"Einzelheiten stehen im „{PARTNER_ANNEX}“."
        )
    )


def decisions_annex(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """Every office decision that set a status at the report date (absent when none)."""
    if not snapshot.decisions:
        return
    w.heading(DECISIONS_ANNEX, 1)
    count = len(snapshot.decisions)
    w.paragraph(
        text=(
            f"Bei {plural(count, 'Maßnahme', 'Maßnahmen')} hat das Integrationsbüro den Status "
            "festgelegt, etwa weil Partner sich widersprachen. Eine Entscheidung gilt ab ihrem "
            "Datum und geht den Meldungen der Partner bis zu diesem Datum vor; eine spätere "
            "Meldung eines Partners ersetzt sie. Im Bericht ist der entschiedene Status gezählt."
        )
    )
    widths = [900, 1962, 1550, 1300, 2100, 1600]
    body = [
        [
            Cell(d.measure_id, width=widths[0]),
            Cell(concept.measure(d.measure_id).text, width=widths[1]),
            Cell(d.status.label, width=widths[2]),
            Cell(format_date(d.as_of), center=True, width=widths[3]),
            Cell(d.reason, width=widths[4]),
            Cell(f"{d.decided_by}\n{format_time(d.decided_at)}", width=widths[5]),
        ]
        for d in snapshot.decisions
    ]
    w.table(
        ["Nr.", "Maßnahme", "Status", "gilt ab", "Begründung", "entschieden von, am"],
        body,
        widths=widths,
        caption="Entscheidungen des Integrationsbüros",
        description=f"{count} Entscheidungen mit Status, Datum, Begründung und Person",
    )


def partner_annex(w: _Writer, board: PartnerBoard | None) -> None:
    """The board per partner: asked, arrived, missing, last file (absent without a board)."""
    if board is None:
        return
    w.heading(PARTNER_ANNEX, 1)
    w.paragraph(
        text=(
            f"Stand der Rückmeldungen zum Stichtag {format_date(board.stichtag)} (Frist "
            f"{format_date(board.deadline)}). {board.sentence} {board.measures_sentence} "
            "Als gemeldet zählt eine Maßnahme, wenn der Partner in dieser Runde einen Status "
            "dazu geschickt hat."
        )
    )
    widths = [2300, 1400, 1100, 2912, 1700]
    body = [
        [
            Cell(p.partner, width=widths[0]),
            Cell(p.state.label, width=widths[1]),
            Cell(f"{len(p.arrived)} von {len(p.asked)}", center=True, width=widths[2]),
            Cell(", ".join(p.missing) or "–", width=widths[3]),
            Cell(format_time(p.last_file), width=widths[4]),
        ]
        for p in board.partners
    ]
    w.table(
        ["Partner", "Stand", "gemeldet", "fehlende Maßnahmen", "letzte Datei"],
        body,
        widths=widths,
        caption="Rückmeldungen der Partner",
        description=(
            f"{len(body)} Partner mit Stand, Anzahl gemeldeter Maßnahmen, fehlenden "
            "Maßnahmen und Eingang der letzten Datei"
        ),
    )
