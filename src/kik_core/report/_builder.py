"""The DOCX builder: one function per section of the interim report.

Every number comes from the :class:`~kik_core.rules.Snapshot` (its
:class:`~kik_core.rules.StatusCounts`): the text, the tables, the charts and
their alt texts are all formatted from the same counts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt, Twips

from kik_core._cells import format_date as format_cell_date
from kik_core.errors import ReportError
from kik_core.model import Concept, FieldOfAction, Highlight, Indicator, Status
from kik_core.report import charts
from kik_core.report._markdown import render_markdown
from kik_core.report._ooxml import (
    Cell,
    append_rows,
    field_runs_xml,
    set_alt_text,
    set_document_language,
    set_table_description,
    set_update_fields,
)
from kik_core.report._options import ReportOptions
from kik_core.report._template import TABLE_STYLE, _page_footer, open_template
from kik_core.rules import Snapshot, StatusCounts

if TYPE_CHECKING:
    from kik_core.concept_workbook import ReportContent
    from kik_core.rounds import LateCorrection

__all__ = ["build_report", "format_date", "format_number"]

_MONTHS = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
#: Shading of goal rows in the status tables.
GOAL_SHADE = "DCE6F0"
#: The mark of a measure's status column.
MARK = "x"
#: Text width of the default A4 page in twips (21 cm − 2 × 2.2 cm).
_TEXT_WIDTH = 9412
NO_FEEDBACK = "Keine Rückmeldung"


def format_date(value: dt.date, *, long: bool = False) -> str:
    """``30.09.2023`` or, with ``long``, ``30. September 2023``."""
    if long:
        return f"{value.day}. {_MONTHS[value.month - 1]} {value.year}"
    return format_cell_date(value)


def format_number(value: float, decimals: int | None = None) -> str:
    """German number format: ``70.787``, ``16,5``."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 1
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _measures(n: int) -> str:
    return f"{n} Maßnahme" if n == 1 else f"{n} Maßnahmen"


class _Writer:
    """Adds content to the document and remembers headings for the TOC."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.headings: list[tuple[int, str]] = []
        self._last_level = 0
        self._styles: dict[str, Any] = {}

    def style(self, name: str | None) -> Any:
        if name is None:
            return None
        if name not in self._styles:
            try:
                self._styles[name] = self.doc.styles[name]
            except KeyError:
                self._styles[name] = None
        return self._styles[name]

    def _add(self, style: str | None, text: str = "") -> Any:
        """Add a paragraph, setting ``w:pStyle`` directly.

        python-docx resolves a style object to its id with an XPath search on
        every assignment, which dominated the build time of large reports.
        """
        paragraph = self.doc.add_paragraph(text)
        chosen = self.style(style)
        if chosen is not None:
            paragraph._p.style = chosen.style_id
        return paragraph

    def heading(self, text: str, level: int) -> Any:
        level = max(1, min(level, self._last_level + 1, 9))
        self._last_level = level
        self.headings.append((level, text))
        return self._add(f"Heading {level}", text)

    def paragraph(self, style: str | None = None, text: str = "") -> Any:
        chosen = self.style(style)
        if chosen is None and style and style.startswith("List"):
            paragraph = self._add("List Bullet")
        else:
            paragraph = self._add(style)
        if text:
            paragraph.add_run(text)
        return paragraph

    def label(self, text: str, value: str = "") -> Any:
        paragraph = self.paragraph()
        paragraph.add_run(text).bold = True
        if value:
            paragraph.add_run(f" {value}")
        else:  # a label that introduces what follows stays on its page
            paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def markdown(self, text: str, base_level: int) -> None:
        if text.strip():
            render_markdown(self, text, base_level=base_level)

    def table(
        self,
        header: Sequence[str],
        rows: Iterable[Sequence[Cell]],
        *,
        widths: Sequence[int],
        caption: str,
        description: str,
        vertical_header: Sequence[int] = (),
    ) -> Any:
        table = self.doc.add_table(rows=0, cols=len(widths))
        with contextlib.suppress(KeyError, ValueError):
            table.style = TABLE_STYLE
        table.autofit = False
        for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = Twips(width)
        header_cells = [
            Cell(h, bold=True, width=w, vertical=i in vertical_header)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        ]
        append_rows(table, [header_cells], header=True, height=1500 if vertical_header else 0)
        append_rows(table, list(rows))
        set_table_description(table, caption, description)
        self._add(None).paragraph_format.space_after = Pt(2)
        return table

    def data_table(self, header: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> Any:
        """A plain text table (from Markdown): equal column widths."""
        n = max([len(header), *(len(r) for r in rows)]) if (header or rows) else 1
        width = _TEXT_WIDTH // n
        widths = [width] * n
        header = list(header) + [""] * (n - len(header))
        body = [[Cell(v, width=width) for v in list(r) + [""] * (n - len(r))] for r in rows]
        return self.table(
            header,
            body,
            widths=widths,
            caption=caption,
            description=f"{caption} ({len(rows)} Zeilen)",
        )

    def picture(self, png: bytes, alt: str, width_cm: float) -> Any:
        paragraph = self.doc.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.keep_with_next = False
        shape = paragraph.add_run().add_picture(io.BytesIO(png), width=Cm(width_cm))
        set_alt_text(shape, alt)
        return shape


# --------------------------------------------------------------------------- sections


def _title_page(w: _Writer, options: ReportOptions, snapshot: Snapshot) -> None:
    top = w.paragraph(text=options.municipality)
    top.paragraph_format.space_before = Pt(120)
    for run in top.runs:
        run.font.size = Pt(16)
        run.bold = True
    w.paragraph("Title", options.title)
    if options.subtitle:
        w.paragraph("Subtitle", options.subtitle)
    if options.period_label:
        w.label("Berichtszeitraum:", options.period_label).paragraph_format.space_before = Pt(36)
    w.label("Datenstand:", format_date(snapshot.as_of, long=True))
    if options.version_label:
        w.label("Fassung:", options.version_label)
    if options.publisher:
        w.label("Herausgeber:", options.publisher)
    published = options.published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    w.label("Veröffentlicht am:", format_date(published, long=True))


def _toc_placeholder(w: _Writer) -> Any:
    w.paragraph("TOC Heading", "Inhalt")
    return w.paragraph()


def _fill_toc(w: _Writer, placeholder: Any) -> None:
    """Replace the placeholder with a TOC field pre-filled with the headings."""
    entries = [(lvl, text) for lvl, text in w.headings if lvl <= 2]
    if not entries:
        entries = [(1, "Das Inhaltsverzeichnis wird beim Öffnen in Word aktualisiert.")]
    styles = {lvl: w.style(f"toc {lvl}") for lvl in (1, 2)}
    instruction = 'TOC \\o "1-2" \\h \\z \\u'
    begin = field_runs_xml(instruction, "").rsplit("<w:r><w:t", 1)[0]
    anchor = placeholder._p
    for index, (level, text) in enumerate(entries):
        style = styles[level]
        ppr = f'<w:pPr><w:pStyle w:val="{style.style_id}"/></w:pPr>' if style is not None else ""
        runs = begin if index == 0 else ""
        runs += f'<w:r><w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
        if index == len(entries) - 1:
            runs += '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
        anchor.addprevious(parse_xml(f"<w:p {nsdecls('w')}>{ppr}{runs}</w:p>"))
    anchor.getparent().remove(anchor)


def _foreword(w: _Writer, options: ReportOptions) -> None:
    if not options.foreword.strip():
        return
    text = options.foreword.strip()
    # a foreword that brings its own title ("# Vorwort von ...") uses it instead of ours
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        w.heading(first[2:].strip(), 1)
        text = rest
    else:
        w.heading("Vorwort", 1)
    w.markdown(text, base_level=2)
    if options.foreword_author:
        for n, line in enumerate(options.foreword_author.splitlines()):
            paragraph = w.paragraph(text=line)
            if n == 0:
                paragraph.paragraph_format.space_before = Pt(12)
                paragraph.runs[0].bold = True


def _timeline(w: _Writer, content: ReportContent | None) -> None:
    if content is None or not content.timeline:
        return
    w.heading("Zeitliche Umsetzung", 1)
    widths = [2800, _TEXT_WIDTH - 2800]
    rows = [
        [Cell(e.when, bold=True, width=widths[0]), Cell(e.text, width=widths[1])]
        for e in content.timeline
    ]
    w.table(
        ["Zeitpunkt", "Schritt"],
        rows,
        widths=widths,
        caption="Zeitliche Umsetzung",
        description=f"Zeitleiste der Umsetzung mit {len(rows)} Schritten",
    )


def _indicator_value(indicator: Indicator | None) -> str:
    if indicator is None:
        return "–"
    unit = f" {indicator.unit}" if indicator.unit else ""
    return f"{format_number(indicator.value)}{unit}"


def _indicator_change(first: Indicator, last: Indicator) -> str:
    delta = last.value - first.value
    decimals = 0 if (float(first.value).is_integer() and float(last.value).is_integer()) else 1
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    unit = (
        " Prozentpunkte" if first.unit.strip() == "%" else (f" {first.unit}" if first.unit else "")
    )
    return f"{sign}{format_number(abs(delta), decimals)}{unit}"


def _key_figures(w: _Writer, content: ReportContent | None) -> None:
    if content is None or not content.indicators:
        return
    w.heading("Kennzahlen", 1)
    by_name: dict[str, dict[dt.date, Indicator]] = {}
    for indicator in content.indicators:
        by_name.setdefault(indicator.name, {})[indicator.as_of] = indicator
    dates = sorted({i.as_of for i in content.indicators})
    w.paragraph(
        text=(
            "Die Kennzahlen zeigen die Entwicklung der Bevölkerung zu den Stichtagen "
            + " und ".join(format_date(d) for d in dates)
            + "."
        )
    )
    name_w, change_w = 3000, 1500
    rest = _TEXT_WIDTH - name_w - change_w
    date_w = rest * 2 // (2 * len(dates) + 3)
    source_w = rest - date_w * len(dates)
    widths = [name_w, *([date_w] * len(dates)), change_w, source_w]
    header = ["Kennzahl", *(f"Stand {format_date(d)}" for d in dates), "Veränderung", "Quelle"]
    rows = []
    for name, values in by_name.items():
        ordered = [values[d] for d in sorted(values)]
        change = _indicator_change(ordered[0], ordered[-1]) if len(ordered) > 1 else "–"
        sources = "; ".join(dict.fromkeys(i.source for i in ordered if i.source))
        rows.append(
            [
                Cell(name, width=name_w),
                *(Cell(_indicator_value(values.get(d)), center=True, width=date_w) for d in dates),
                Cell(change, center=True, width=change_w),
                Cell(sources, width=source_w),
            ]
        )
    w.table(
        header,
        rows,
        widths=widths,
        caption="Kennzahlen",
        description=f"{len(rows)} Kennzahlen zu {len(dates)} Stichtagen mit Veränderung",
    )


def _counts_cell(counts: StatusCounts, status: Status, width: int) -> Cell:
    return Cell(
        f"{counts.counts[status]} ({counts.percentages[status]} %)", center=True, width=width
    )


def _overview(
    w: _Writer,
    concept: Concept,
    snapshot: Snapshot,
    history: Sequence[Snapshot],
    highlights: Sequence[Highlight],
) -> None:
    w.heading("Umsetzungsstand im Überblick", 1)
    overall = snapshot.overall
    w.paragraph(
        text=(
            f"Stand {format_date(snapshot.as_of)}: Von den {_measures(overall.total)} des "
            f"Integrationskonzepts sind {_sentence(overall)}."
        )
    )
    names = [f.name for f in concept.fields] + ["Gesamt"]
    rows = [snapshot.by_field[f.code] for f in concept.fields] + [overall]
    alt = (
        "Balkendiagramm Umsetzungsstand je Handlungsfeld: "
        + "; ".join(
            f"{n}: {charts.status_summary(r)}, insgesamt {_measures(r.total)}"
            for n, r in zip(names, rows, strict=True)
        )
        + "."
    )
    w.picture(charts.overview_chart(names, rows), alt, 16.5)
    widths = [2912, 1400, 1600, 1800, 1700]
    statuses = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)
    body = [
        [
            Cell(n, bold=(n == "Gesamt"), width=widths[0]),
            Cell(str(r.total), center=True, width=widths[1]),
            *(_counts_cell(r, s, widths[2 + i]) for i, s in enumerate(statuses)),
        ]
        for n, r in zip(names, rows, strict=True)
    ]
    w.table(
        ["Handlungsfeld", "Maßnahmen", *(s.label for s in statuses)],
        body,
        widths=widths,
        caption="Umsetzungsstand je Handlungsfeld",
        description="Anzahl und Anteil der Maßnahmen je Status und Handlungsfeld, "
        f"letzte Zeile Gesamt: {charts.status_summary(overall)}",
    )
    _trend(w, snapshot, history)
    _changes(w, concept, snapshot)
    _conflicts(w, concept, snapshot)
    if highlights:
        _highlights(w, concept, highlights)


def _sentence(counts: StatusCounts) -> str:
    parts = [
        charts.format_count(counts, s)
        for s in (Status.IMPLEMENTIERT, Status.IN_BEARBEITUNG, Status.WARTEND)
    ]
    return f"{parts[0]}, {parts[1]} und {parts[2]}"


def _trend(w: _Writer, snapshot: Snapshot, history: Sequence[Snapshot]) -> None:
    by_date = {s.as_of: s for s in history}
    by_date[snapshot.as_of] = snapshot
    points = [by_date[d] for d in sorted(by_date) if d <= snapshot.as_of]
    if len(points) < 2:
        return
    w.heading("Entwicklung über die Berichtszeitpunkte", 2)
    labels = [format_date(p.as_of) for p in points]
    alt = (
        "Balkendiagramm Entwicklung des Umsetzungsstands: "
        + "; ".join(
            f"{d}: {charts.status_summary(p.overall)}" for d, p in zip(labels, points, strict=True)
        )
        + "."
    )
    w.picture(charts.trend_chart(labels, [p.overall for p in points]), alt, 11.0)
    widths = [2412, 1750, 1750, 1750, 1750]
    statuses = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)
    body = [
        [
            Cell(d, width=widths[0]),
            *(_counts_cell(p.overall, s, widths[1 + i]) for i, s in enumerate(statuses)),
            Cell(str(p.overall.total), center=True, width=widths[4]),
        ]
        for d, p in zip(labels, points, strict=True)
    ]
    w.table(
        ["Stichtag", *(s.label for s in statuses), "Maßnahmen"],
        body,
        widths=widths,
        caption="Entwicklung des Umsetzungsstands",
        description=f"Anzahl und Anteil der Maßnahmen je Status an {len(points)} Stichtagen",
    )


def _changes(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """A summary per field in the overview; the full list goes to the annex."""
    if snapshot.previous is None:
        return
    w.heading("Veränderungen seit dem letzten Bericht", 2)
    changes = snapshot.changes
    regressions = [c for c in changes if c.is_regression]
    if not changes:
        w.paragraph(
            text=f"Seit dem {format_date(snapshot.previous)} hat sich der Status "
            "keiner Maßnahme verändert."
        )
        return
    w.paragraph(
        text=(
            f"Seit dem {format_date(snapshot.previous)} hat sich der Status von "
            f"{_measures(len(changes))} verändert"
            + (
                f", davon {len(regressions)} Rückschritt{'e' if len(regressions) != 1 else ''}."
                if regressions
                else "."
            )
            + " Die vollständige Liste steht im Anhang „Alle Veränderungen“."
        )
    )
    widths = [3612, 1500, 1500, 2000]
    body = []
    for field in [*concept.fields, None]:
        moved = [c for c in changes if field is None or c.measure_id.startswith(f"{field.code}-")]
        body.append(
            [
                Cell(
                    "Gesamt" if field is None else field.name, bold=field is None, width=widths[0]
                ),
                Cell(str(sum(not c.is_regression for c in moved)), center=True, width=widths[1]),
                Cell(str(sum(c.is_regression for c in moved)), center=True, width=widths[2]),
                Cell(
                    str(sum(c.after is Status.IMPLEMENTIERT for c in moved)),
                    center=True,
                    width=widths[3],
                ),
            ]
        )
    w.table(
        ["Handlungsfeld", "Fortschritte", "Rückschritte", "neu implementiert"],
        body,
        widths=widths,
        caption="Veränderungen je Handlungsfeld",
        description=f"Fortschritte und Rückschritte je Handlungsfeld seit "
        f"{format_date(snapshot.previous)}",
    )
    if regressions:
        w.paragraph(text="Rückschritte:").paragraph_format.keep_with_next = True
        for change in regressions:
            w.paragraph(
                "List Bullet",
                f"{change.measure_id} ({change.before.label} → {change.after.label}): "
                f"{concept.measure(change.measure_id).text}",
            )


def _changes_annex(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """Every measure whose status changed since the comparison date."""
    if snapshot.previous is None or not snapshot.changes:
        return
    changes = snapshot.changes
    regressions = sum(1 for c in changes if c.is_regression)
    w.heading("Anhang: Alle Veränderungen seit dem letzten Bericht", 1)
    w.paragraph(
        text=f"Alle Maßnahmen, deren Status sich zwischen dem {format_date(snapshot.previous)} "
        f"und dem {format_date(snapshot.as_of)} verändert hat."
    )
    widths = [900, 4312, 1500, 1500, 1200]
    body = [
        [
            Cell(c.measure_id, width=widths[0]),
            Cell(concept.measure(c.measure_id).text, width=widths[1]),
            Cell(c.before.label, center=True, width=widths[2]),
            Cell(c.after.label, center=True, width=widths[3]),
            Cell(
                "Rückschritt" if c.is_regression else "Fortschritt",
                bold=c.is_regression,
                center=True,
                width=widths[4],
            ),
        ]
        for c in changes
    ]
    w.table(
        ["Nr.", "Maßnahme", "vorher", "jetzt", "Richtung"],
        body,
        widths=widths,
        caption="Veränderungen seit dem letzten Bericht",
        description=f"{len(changes)} Maßnahmen mit neuem Status seit "
        f"{format_date(snapshot.previous)}, davon {regressions} Rückschritte",
    )


def _late_corrections(w: _Writer, concept: Concept, late: Sequence[LateCorrection]) -> None:
    """Reports for already issued rounds that arrived after the issue (absent when none)."""
    if not late:
        return
    w.heading("Nachträgliche Korrekturen", 2)
    rounds = sorted({c.round_stichtag for c in late})
    w.paragraph(
        text=(
            "Diese Meldungen betreffen bereits herausgegebene Berichte (Stichtag "
            + ", ".join(format_date(d) for d in rounds)
            + "). Sie kamen erst nach der Herausgabe an. Die herausgegebenen Berichte "
            "bleiben unverändert; in diesem Bericht sind die Meldungen berücksichtigt, "
            "soweit keine neuere Meldung vorliegt."
        )
    )
    widths = [900, 2762, 1800, 1250, 1650, 1250]
    body = [
        [
            Cell(c.report.target_id, width=widths[0]),
            Cell(_target_text(concept, c.report.target_id), width=widths[1]),
            Cell(c.report.status.label if c.report.status else "Text zum Ziel", width=widths[2]),
            Cell(format_date(c.report.as_of), center=True, width=widths[3]),
            Cell(c.report.partner, width=widths[4]),
            Cell(format_date(c.round_stichtag), center=True, width=widths[5]),
        ]
        for c in late
    ]
    w.table(
        ["Nr.", "Maßnahme", "gemeldet", "Stand am", "Partner", "Bericht vom"],
        body,
        widths=widths,
        caption="Nachträgliche Korrekturen",
        description=f"{len(body)} Meldungen, die nach der Herausgabe eines Berichts eingingen",
    )


def _target_text(concept: Concept, target_id: str) -> str:
    if concept.has_id(target_id):
        item = concept.goal(target_id) if "." not in target_id else concept.measure(target_id)
        return item.text
    return "–"


def _conflicts(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    w.heading("Offene Konflikte zwischen Partnern", 2)
    if not snapshot.conflicts:
        w.paragraph(text="Es gibt keine widersprüchlichen Meldungen.")
        return
    w.paragraph(
        text=(
            "Bei diesen Maßnahmen haben Partner am selben Tag unterschiedliche Status gemeldet. "
            "Gezählt wird der am wenigsten fortgeschrittene Status, bis die Partner sich abstimmen."
        )
    )
    widths = [900, 3462, 1250, 2500, 1300]
    body = [
        [
            Cell(c.measure_id, width=widths[0]),
            Cell(concept.measure(c.measure_id).text, width=widths[1]),
            Cell(format_date(c.as_of), center=True, width=widths[2]),
            Cell("\n".join(f"{p} → {s.label}" for p, s in c.statuses.items()), width=widths[3]),
            Cell(snapshot.status_of(c.measure_id).label, center=True, width=widths[4]),
        ]
        for c in snapshot.conflicts
    ]
    w.table(
        ["Nr.", "Maßnahme", "Datum", "Partner → Status", "gezählt als"],
        body,
        widths=widths,
        caption="Offene Konflikte zwischen Partnern",
        description=f"{len(body)} Maßnahmen mit widersprüchlichen Meldungen",
    )


def _status_table(w: _Writer, concept: Concept, snapshot: Snapshot, field: FieldOfAction) -> None:
    measures = concept.measures_of(field.code)
    grouped = any(m.group for m in measures)
    status_w = 760
    group_w = 620 if grouped else 0
    nr_w = 650
    text_w = _TEXT_WIDTH - group_w - nr_w - 3 * status_w
    widths = ([group_w] if grouped else []) + [nr_w, text_w, status_w, status_w, status_w]
    statuses = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)
    header = (["Gruppe"] if grouped else []) + [
        "Nr.",
        "Ziel/Maßnahme",
        *(s.label for s in statuses),
    ]
    rows: list[list[Cell]] = []
    previous_group: str | None = None

    def group_cell(group: str | None) -> list[Cell]:
        nonlocal previous_group
        if not grouped:
            return []
        if group and group == previous_group:
            return [Cell(width=group_w, vmerge="continue")]
        previous_group = group
        if group:
            return [Cell(group, bold=True, vertical=True, width=group_w, vmerge="restart")]
        return [Cell(width=group_w)]

    for goal in concept.goals_of(field.code):
        goal_measures = concept.measures_of(goal.id)
        goal_group = goal_measures[0].group if goal_measures else None
        rows.append(
            [
                *group_cell(goal_group),
                Cell(f"{goal.number}.", bold=True, shade=GOAL_SHADE, width=nr_w),
                Cell(goal.text, bold=True, shade=GOAL_SHADE, span=4, width=text_w + 3 * status_w),
            ]
        )
        for measure in goal_measures:
            status = snapshot.status_of(measure.id)
            rows.append(
                [
                    *group_cell(measure.group),
                    Cell(measure.number, width=nr_w),
                    Cell(measure.text, width=text_w),
                    *(
                        Cell(MARK if s is status else "", center=True, width=status_w)
                        for s in statuses
                    ),
                ]
            )
    counts = snapshot.by_field[field.code]
    first_status = len(header) - 3
    w.table(
        header,
        rows,
        widths=widths,
        vertical_header=(0, first_status, first_status + 1, first_status + 2)
        if grouped
        else (first_status, first_status + 1, first_status + 2),
        caption=f"Ziele und Maßnahmen im Handlungsfeld {field.name}",
        description=(
            f"{len(concept.goals_of(field.code))} Ziele (fett) mit ihren "
            f"{_measures(counts.total)}; je Maßnahme ist der Status mit {MARK} markiert: "
            f"{charts.status_summary(counts)}"
        ),
    )


def _highlights(w: _Writer, concept: Concept, highlights: Sequence[Highlight]) -> None:
    w.heading("Highlights", 2)
    for highlight in highlights:
        w.heading(highlight.title, 3)
        if highlight.organisation:
            w.paragraph(text=highlight.organisation).runs[0].italic = True
        w.markdown(highlight.text, base_level=4)
        known = [m for m in highlight.measure_ids if concept.has_id(m)]
        if known:
            w.label("Zu den Maßnahmen:")
            for measure_id in known:
                w.paragraph("List Bullet", f"{measure_id} {concept.measure(measure_id).text}")


def _goal_texts(w: _Writer, concept: Concept, snapshot: Snapshot, field: FieldOfAction) -> None:
    w.heading("Stand der Ziele", 2)
    for goal in concept.goals_of(field.code):
        w.heading(f"Ziel {goal.number}: {goal.text}", 3)
        measures = concept.measures_of(goal.id)
        if measures:
            w.label("Maßnahmen:")
            for measure in measures:
                w.paragraph(
                    "List Bullet",
                    f"{measure.number} {measure.text} – {snapshot.status_of(measure.id).label}",
                )
        texts = snapshot.goal_texts.get(goal.id, ())
        for title, attribute in (("Aktueller Stand", "current_state"), ("Ausblick", "outlook")):
            w.heading(title, 4)
            written = [t for t in texts if getattr(t, attribute).strip()]
            if not written:
                w.paragraph(text=NO_FEEDBACK).runs[0].italic = True
                continue
            for text in written:
                if len(texts) > 1:
                    source = w.paragraph(text=f"{text.partner}, Stand {format_date(text.as_of)}:")
                    source.runs[0].italic = True
                    source.paragraph_format.keep_with_next = True
                w.markdown(getattr(text, attribute), base_level=5)


def _field(
    w: _Writer,
    concept: Concept,
    snapshot: Snapshot,
    field: FieldOfAction,
    highlights: Sequence[Highlight],
) -> None:
    w.heading(f"Handlungsfeld {field.name}", 1)
    w.markdown(field.intro, base_level=2)
    counts = snapshot.by_field[field.code]
    w.heading("Ziele und Maßnahmen", 2)
    _status_table(w, concept, snapshot, field)
    w.heading("Umsetzungsstand", 2)
    w.paragraph(
        text=(
            f"Von den {_measures(counts.total)} im Handlungsfeld {field.name} sind "
            f"{_sentence(counts)}."
        )
    )
    w.picture(
        charts.donut_chart(field.name, counts), charts.status_alt_text(field.name, counts), 13.0
    )
    if highlights:
        _highlights(w, concept, highlights)
    _goal_texts(w, concept, snapshot, field)


def _annex(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    w.heading("Anhang: Alle Maßnahmen und ihre letzte Meldung", 1)
    w.paragraph(
        text=(
            "Für jede Maßnahme: die verantwortlichen Partner, ihr Status am "
            f"{format_date(snapshot.as_of)} und woher die letzte Meldung stammt (Datei und Zeile)."
        )
    )
    widths = [950, 2662, 1450, 1500, 1250, 1600]
    rows = []
    for measure in concept.measures:
        effective = snapshot.statuses[measure.id]
        sources = "\n".join(
            f"{Path(r.source.file).name}"
            + (f"\nZeile {r.source.row}" if r.source.row is not None else "")
            for r in effective.reports
            if r.source is not None
        )
        rows.append(
            [
                Cell(measure.id, width=widths[0]),
                Cell(measure.text, width=widths[1]),
                Cell(effective.status.label, width=widths[2]),
                Cell(", ".join(measure.partners) or "–", width=widths[3]),
                Cell(
                    format_date(effective.as_of) if effective.as_of else "keine Meldung",
                    width=widths[4],
                ),
                Cell(sources or "–", width=widths[5]),
            ]
        )
    w.table(
        ["Nr.", "Maßnahme", "Status", "Verantwortlich", "Stand am", "Quelle"],
        rows,
        widths=widths,
        caption="Alle Maßnahmen und ihre letzte Meldung",
        description=f"{len(rows)} Maßnahmen mit Status, Verantwortlichen, Datum und "
        "Quelle der letzten Meldung",
    )


def _highlight_field(concept: Concept, highlight: Highlight) -> str | None:
    if highlight.field_code:
        return highlight.field_code
    codes = {m.split("-", 1)[0] for m in highlight.measure_ids}
    return codes.pop() if len(codes) == 1 else None


def _properties(doc: Any, options: ReportOptions, snapshot: Snapshot) -> None:
    props = doc.core_properties
    props.title = options.title
    props.subject = " – ".join(p for p in (options.municipality, options.subtitle) if p)
    props.author = options.publisher or options.municipality
    props.last_modified_by = "kik"
    props.language = "de-DE"
    props.keywords = "Integrationskonzept; Zwischenbericht; Maßnahmen"
    props.comments = f"Datenstand {format_date(snapshot.as_of)}"
    published = options.published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    stamp = dt.datetime(published.year, published.month, published.day, tzinfo=dt.UTC)
    props.created = props.modified = stamp
    props.revision = 1


def compose(
    concept: Concept,
    snapshot: Snapshot,
    *,
    options: ReportOptions,
    content: ReportContent | None = None,
    history: Sequence[Snapshot] = (),
    late: Sequence[LateCorrection] = (),
) -> Any:
    """Build the report as an in-memory python-docx ``Document``."""
    missing = [f.code for f in concept.fields if f.code not in snapshot.by_field]
    if missing:
        raise ReportError(f"the snapshot has no counts for the fields {missing}")
    doc = open_template(options.template)
    w = _Writer(doc)
    _title_page(w, options, snapshot)
    toc = _toc_placeholder(w)
    _foreword(w, options)
    for text in options.sections_front:
        w.markdown(text, base_level=1)
    _timeline(w, content)
    _key_figures(w, content)
    by_field: dict[str | None, list[Highlight]] = {}
    for highlight in content.highlights if content is not None else ():
        by_field.setdefault(_highlight_field(concept, highlight), []).append(highlight)
    _overview(w, concept, snapshot, history, by_field.get(None, []))
    _late_corrections(w, concept, late)
    for field in concept.fields:
        _field(w, concept, snapshot, field, by_field.get(field.code, []))
    for text in options.sections_back:
        w.markdown(text, base_level=1)
    if options.thanks.strip():
        w.heading("Dank", 1)
        w.markdown(options.thanks, base_level=2)
    _annex(w, concept, snapshot)
    _changes_annex(w, concept, snapshot)
    _fill_toc(w, toc)

    section = doc.sections[-1]
    if section.footer.is_linked_to_previous:
        _page_footer(section)
    set_document_language(doc.styles.element)
    set_update_fields(doc.settings.element)
    _properties(doc, options, snapshot)
    return doc


def build_report(
    concept: Concept,
    snapshot: Snapshot,
    output: Path,
    *,
    options: ReportOptions,
    content: ReportContent | None = None,
    history: Sequence[Snapshot] = (),
    late: Sequence[LateCorrection] = (),
) -> Path:
    """Build the committee-ready interim report (DOCX) and write it atomically.

    The document is composed in memory, saved to a temporary file next to
    ``output`` and moved over it with :func:`os.replace`: a failure never leaves a
    half-written report in place of the last good one.

    Args:
        concept: the integration concept (fields, goals, measures).
        snapshot: the state at the report date; the single source of every number.
        output: where to write the ``.docx``.
        options: titles, texts and the corporate-design template.
        content: highlights, key figures and timeline from the concept workbook.
        history: the snapshots of the issued rounds and of this report (oldest first)
            for the trend; with fewer than two the trend is absent.
        late: late corrections to list ("Nachträgliche Korrekturen"; absent when empty).

    Returns:
        The path of the written report.

    Raises:
        ReportError: the template cannot be used or the file cannot be written.

    Example:
        >>> from kik_core.report import ReportOptions, build_report  # doctest: +SKIP
        >>> build_report(concept, snapshot, Path("bericht.docx"),  # doctest: +SKIP
        ...              options=ReportOptions("KIK – Zwischenbericht", "Musterstadt"))
    """
    output = Path(output)
    doc = compose(concept, snapshot, options=options, content=content, history=history, late=late)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{output.stem}.", suffix=".docx.tmp", dir=output.parent
        )
    except OSError as exc:
        raise ReportError(
            f"Bericht kann nicht geschrieben werden / cannot write {output}: {exc}"
        ) from exc
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as stream:
            doc.save(stream)
            stream.flush()
            os.fsync(stream.fileno())
        temp.chmod(0o644)
        temp.replace(output)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ReportError(
                f"Bericht kann nicht geschrieben werden / cannot write {output}: {exc}"
            ) from exc
        raise
    return output
