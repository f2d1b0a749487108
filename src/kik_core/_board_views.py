"""Renderers of the partner status board: the CLI table and the office workbook.

Both only lay out what :class:`kik_core.board.PartnerBoard` says; the words and
numbers come from there. This module imports rich and openpyxl: import it only
where a board is rendered (the CLI and workflow do so lazily).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from rich.markup import escape
from rich.table import Table

from kik_core._atomic import atomic_path
from kik_core._cells import write_cell
from kik_core._locale import format_date
from kik_core.board import PartnerBoard, PartnerState, format_time

__all__ = ["board_table", "measures_table", "write_board_xlsx"]

#: Colours per partner state (rich style, workbook fill).
_STATE_STYLE: dict[PartnerState, tuple[str, str]] = {
    PartnerState.COMPLETE: ("green", "E2EFDA"),
    PartnerState.PARTIAL: ("yellow", "FFF2CC"),
    PartnerState.PENDING: ("red", "FCE4D6"),
}
_PARTNER_HEADER = (
    "Partner",
    "Ansprechperson",
    "E-Mail",
    "Stand",
    "angefragt",
    "eingegangen",
    "fehlende Maßnahmen",
    "letzte Datei",
)
_MEASURE_HEADER = ("Nr.", "Maßnahme", "Zuständig", "gemeldet", "gemeldet von")
_PACKAGE_HEADER = ("Maßnahme", "Nr.", "Arbeitspaket", "Status", "gemeldet", "gemeldet von")


def board_table(board: PartnerBoard) -> Table:
    """The board as a rich table for the terminal (one row per partner)."""
    table = Table(
        title=(
            f"Rückmeldungen zum Stichtag {format_date(board.stichtag)} "
            f"(Frist {format_date(board.deadline)})"
        ),
        caption=f"{board.sentence} {board.measures_sentence}",
    )
    table.add_column("Partner", overflow="fold")
    table.add_column("Stand")
    table.add_column("eingegangen", justify="right")
    table.add_column("fehlend", overflow="fold")
    table.add_column("letzte Datei")
    for partner in board.partners:
        style = _STATE_STYLE[partner.state][0]
        table.add_row(
            escape(partner.partner),
            f"[{style}]{partner.state.label}[/]",
            f"{len(partner.arrived)} von {len(partner.asked)}",
            escape(", ".join(partner.missing)) or "–",
            format_time(partner.last_file),
        )
    return table


def measures_table(board: PartnerBoard) -> Table:
    """Per measure: reported this round, and by whom (for ``--massnahmen``)."""
    table = Table(title=f"Maßnahmen in der Runde zum Stichtag {format_date(board.stichtag)}")
    table.add_column("Nr.")
    table.add_column("Maßnahme", overflow="fold")
    table.add_column("Zuständig", overflow="fold")
    table.add_column("gemeldet")
    table.add_column("gemeldet von", overflow="fold")
    for measure in board.measures:
        table.add_row(
            escape(measure.measure_id),
            escape(measure.text),
            escape("; ".join(measure.partners)) or "–",
            "ja" if measure.reported else "[red]nein[/]",
            escape("; ".join(measure.reported_by)) or "–",
        )
        for package in measure.packages:  # issue 17: its work packages, indented
            table.add_row(
                escape(f"  {package.package_id}"),
                escape(f"Arbeitspaket: {package.text} ({package.status})"),
                "",
                "ja" if package.reported else "nein",
                escape("; ".join(package.reported_by)) or "–",
            )
    return table


def _sheet(workbook: Any, title: str, header: tuple[str, ...], widths: tuple[int, ...]) -> Any:
    sheet = workbook.create_sheet(title)
    for column, text in enumerate(header, start=1):
        cell = write_cell(sheet, 1, column, text)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    # printed: landscape, one page wide, the header on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:1"
    return sheet


def _packages_sheet(workbook: Any, board: PartnerBoard, top: Alignment) -> None:
    """The ``Arbeitspakete`` sheet (issue 17), only where measures have work packages."""
    rows = [(m, p) for m in board.measures for p in m.packages]
    if not rows:
        return
    sheet = _sheet(workbook, "Arbeitspakete", _PACKAGE_HEADER, (10, 14, 50, 18, 10, 34))
    _reported_rows(
        sheet,
        (
            (
                (measure.measure_id, package.package_id, package.text, package.status),
                package.reported,
                package.reported_by,
            )
            for measure, package in rows
        ),
        top,
    )
    sheet.auto_filter.ref = f"A1:F{len(rows) + 1}"


def _reported_rows(
    sheet: Any,
    rows: Iterable[tuple[tuple[str, ...], bool, tuple[str, ...]]],
    top: Alignment,
) -> None:
    """Rows from row 2: the values, then ``ja``/``nein`` and who reported.

    A ``nein`` cell is filled in the colour of a partner still pending.
    """
    for row, (values, reported, reported_by) in enumerate(rows, start=2):
        cells = (*values, "ja" if reported else "nein", "; ".join(reported_by))
        for column, value in enumerate(cells, start=1):
            write_cell(sheet, row, column, value).alignment = top
        if not reported:
            sheet.cell(row, len(values) + 1).fill = PatternFill(
                "solid", fgColor=_STATE_STYLE[PartnerState.PENDING][1]
            )


def write_board_xlsx(board: PartnerBoard, path: Path | str) -> Path:
    """Write the board as a formatted workbook for the office, atomically.

    Sheets: ``Partner`` (one row per partner, coloured by state), ``Maßnahmen``
    (one row per measure: reported this round, by whom), ``Arbeitspakete``
    (only where measures have work packages: status and who reported) and ``Runde``
    (Stichtag, deadline, the summary sentences). Headers are frozen and filtered.
    """
    path = Path(path)
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]  # the default sheet exists
    top = Alignment(vertical="top", wrap_text=True)

    partners = _sheet(workbook, "Partner", _PARTNER_HEADER, (34, 22, 32, 13, 11, 12, 40, 18))
    for row, partner in enumerate(board.partners, start=2):
        contact = partner.contact
        values: tuple[str | int, ...] = (
            partner.partner,
            contact.contact if contact else "",
            partner.email,
            partner.state.label,
            len(partner.asked),
            len(partner.arrived),
            ", ".join(partner.missing),
            format_time(partner.last_file) if partner.last_file else "",
        )
        fill = PatternFill("solid", fgColor=_STATE_STYLE[partner.state][1])
        for column, value in enumerate(values, start=1):
            cell = write_cell(partners, row, column, value)
            cell.alignment = top
            if column == 4:
                cell.fill = fill
    partners.auto_filter.ref = f"A1:H{max(len(board.partners) + 1, 2)}"

    measures = _sheet(workbook, "Maßnahmen", _MEASURE_HEADER, (10, 60, 34, 10, 34))
    _reported_rows(
        measures,
        (
            ((m.measure_id, m.text, "; ".join(m.partners)), m.reported, m.reported_by)
            for m in board.measures
        ),
        top,
    )
    measures.auto_filter.ref = f"A1:E{max(len(board.measures) + 1, 2)}"
    _packages_sheet(workbook, board, top)

    info = _sheet(workbook, "Runde", ("Angabe", "Wert"), (24, 80))
    rows: tuple[tuple[str, str | dt.date], ...] = (
        ("Stichtag", board.stichtag),
        ("Frist für die Partner", board.deadline),
        ("Partner", board.sentence),
        ("Maßnahmen", board.measures_sentence),
    )
    for row, (label, info_value) in enumerate(rows, start=2):
        write_cell(info, row, 1, label)
        cell = write_cell(info, row, 2, info_value)
        if isinstance(info_value, dt.date):
            cell.number_format = "DD.MM.YYYY"
            cell.alignment = Alignment(horizontal="left")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path
