"""Report sections about partners and the office: who reported, and what the office decided.

* :func:`partner_overview`: a short sub-section of the overview with the board's
  sentence ("38 von 42 Partnern haben gemeldet") — only in drafts, where a board
  is passed;
* :func:`decisions_annex`: "Anhang: Entscheidungen des Integrationsbüros", every
  office decision that set a status in this report (absent when there is none);
* :func:`partner_annex`: "Anhang: Rückmeldungen der Partner", the board per
  partner (absent without a board).

The builder calls these from :func:`kik_core.report._builder.compose`; the words
and numbers come from the :class:`~kik_core.presentation.Presentation`
(``board``, ``decisions``), these functions only lay them out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kik_core.presentation import DECISIONS_ANNEX, PARTNER_ANNEX
from kik_core.report._ooxml import Cell

if TYPE_CHECKING:
    from kik_core.presentation import Presentation
    from kik_core.report._builder import _Writer

__all__ = [
    "DECISIONS_ANNEX",
    "PARTNER_ANNEX",
    "decisions_annex",
    "partner_annex",
    "partner_overview",
]


def partner_overview(w: _Writer, p: Presentation) -> None:
    """The overview's sub-section "Rückmeldungen der Partner" (drafts only)."""
    if p.board is None:
        return
    w.heading(p.labels.partners, 2)
    w.paragraph(text=p.board.sentence)


def decisions_annex(w: _Writer, p: Presentation) -> None:
    """Every office decision that set a status at the report date (absent when none)."""
    table = p.decisions
    if table is None:
        return
    w.heading(DECISIONS_ANNEX, 1)
    w.paragraph(text=p.decisions_sentence)
    widths = [900, 1962, 1550, 1300, 2100, 1600]
    body = [
        [Cell(v, center=i == 3, width=widths[i]) for i, v in enumerate(row)] for row in table.rows
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)


def partner_annex(w: _Writer, p: Presentation) -> None:
    """The board per partner: asked, arrived, missing, last file (absent without a board)."""
    if p.board is None:
        return
    w.heading(PARTNER_ANNEX, 1)
    w.paragraph(text=p.board.annex_sentence)
    table = p.board.table
    widths = [2300, 1400, 1100, 2912, 1700]
    body = [
        [Cell(v, center=i == 2, width=widths[i]) for i, v in enumerate(row)] for row in table.rows
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)
