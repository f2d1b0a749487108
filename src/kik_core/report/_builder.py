"""The DOCX builder: one function per section of the interim report.

The builder only lays out: every sentence, number, label, table row, caption
and alt text comes from the :class:`~kik_core.presentation.Presentation` of the
snapshot (:func:`kik_core.presentation.present`), the same values the web
edition shows. The charts are drawn from the counts the presentation carries
(:attr:`~kik_core.presentation.CountsView.source`). No date, number or plural is
formatted here (``tests/test_report.py`` checks it).
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, Twips

from kik_core._atomic import atomic_path
from kik_core.errors import ReportError
from kik_core.model import Concept
from kik_core.presentation import (
    SOURCES_COLUMNS,
    Chart,
    FieldView,
    HighlightView,
    MeasureView,
    Presentation,
    measures,
    present,
    rows_description,
    sources_table,
)
from kik_core.report import _partners, charts
from kik_core.report._markdown import add_text, render_markdown, strip_language_marks
from kik_core.report._ooxml import (
    BodyAppender,
    Cell,
    append_rows,
    field_runs_xml,
    set_alt_text,
    set_document_language,
    set_table_description,
    set_update_fields,
)
from kik_core.report._options import ReportOptions
from kik_core.report._template import (
    TABLE_STYLE,
    _page_footer,
    drop_leftover_parts,
    open_template,
)
from kik_core.rules import Snapshot

if TYPE_CHECKING:
    from kik_core.board import PartnerBoard
    from kik_core.concept_workbook import ReportContent
    from kik_core.editions import EditionChange
    from kik_core.rounds import LateCorrection

__all__ = ["SOURCES_COLUMNS", "build_report"]

#: Shading of goal rows in the status tables.
GOAL_SHADE = "DCE6F0"
#: Text width of the default A4 page in twips (21 cm − 2 × 2.2 cm).
_TEXT_WIDTH = 9412
#: A chapter with less text than this (characters) does not get a page of its own:
#: the next chapter starts on the same page.
SHORT_CHAPTER = 700
#: More contents entries than this and the contents list only the chapters (level 1).
TOC_MAX_ENTRIES = 30


def _measures(n: int) -> str:
    return measures(n)


#: Width of one character of 9 pt table text and a cell's side margins (twips).
_CHAR_TWIPS, _CELL_MARGIN = 115, 200
#: Longer "words" (addresses) may wrap anyway; they do not claim a whole column.
_LONGEST_WORD = 18


def _column_widths(rows: Sequence[Sequence[str]], n: int) -> list[int]:
    """Widths (twips, summing to the text width) for ``n`` columns of plain text."""
    longest = [
        max((min(len(word), _LONGEST_WORD) for r in rows for word in r[i].split()), default=1)
        for i in range(n)
    ]
    minimum = [w * _CHAR_TWIPS + _CELL_MARGIN for w in longest]
    if sum(minimum) >= _TEXT_WIDTH:  # the words cannot all fit: scale down evenly
        widths = [m * _TEXT_WIDTH // sum(minimum) for m in minimum]
    else:
        text = [sum(len(r[i]) for r in rows) or 1 for i in range(n)]
        spare = _TEXT_WIDTH - sum(minimum)
        widths = [m + spare * t // sum(text) for m, t in zip(minimum, text, strict=True)]
    widths[-1] += _TEXT_WIDTH - sum(widths)
    return widths


class _Writer:
    """Adds content to the document and remembers headings for the TOC."""

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self.headings: list[tuple[int, str]] = []
        self._last_level = 0
        self._styles: dict[str, Any] = {}
        self._body = BodyAppender(doc)
        self._table_style: tuple[str | None] | None = None
        #: Charts drawn ahead (in worker processes), by key; see :func:`_prerender`.
        self.charts: dict[tuple[str, str], bytes] = {}

    def chart(self, key: tuple[str, str], job: charts.ChartJob) -> bytes:
        """The chart ``key`` if it was drawn ahead, else drawn now from ``job``."""
        png = self.charts.pop(key, None)
        return png if png is not None else charts.render_all([job])[0]

    def style(self, name: str | None) -> Any:
        if name is None:
            return None
        if name not in self._styles:
            try:
                self._styles[name] = self.doc.styles[name]
            except KeyError:
                self._styles[name] = None
        return self._styles[name]

    def style_id(self, name: str) -> str:
        """The id of a style by its name ("" if the template lacks it)."""
        chosen = self.style(name)
        return "" if chosen is None else str(chosen.style_id)

    def _add(self, style: str | None, text: str = "") -> Any:
        """Add a paragraph, setting ``w:pStyle`` directly.

        python-docx resolves a style object to its id with an XPath search on
        every assignment, which dominated the build time of large reports.
        """
        paragraph = self._body.paragraph()
        chosen = self.style(style)
        if chosen is not None:
            paragraph._p.style = chosen.style_id
        if text:
            add_text(paragraph, text)
        return paragraph

    def heading(self, text: str, level: int) -> Any:
        level = max(1, min(level, self._last_level + 1, 9))
        self._last_level = level
        self.headings.append((level, strip_language_marks(text)))
        return self._add(f"Heading {level}", text)

    def paragraph(self, style: str | None = None, text: str = "") -> Any:
        chosen = self.style(style)
        if chosen is None and style and style.startswith("List"):
            paragraph = self._add("List Bullet")
        else:
            paragraph = self._add(style)
        if text:
            add_text(paragraph, text)
        return paragraph

    def label(self, text: str, value: str = "", *, style: str | None = None) -> Any:
        """A bold label (character style "Strong"), optionally followed by its value.

        A label always stays on the page of what follows it.
        """
        paragraph = self.paragraph(style)
        self.strong(paragraph, text)
        if value:
            add_text(paragraph, f" {value}")
        if style is None:
            paragraph.paragraph_format.keep_with_next = True
        return paragraph

    def strong(self, paragraph: Any, text: str) -> Any:
        """Add ``text`` in the character style "Strong" (bold where the template lacks it)."""
        run = paragraph.add_run(text)
        strong = self.style("Strong")
        if strong is not None:
            run._r.style = strong.style_id
        else:
            run.bold = True
        return run

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
        table = self._body.table(0, len(widths))
        if self._table_style is None:  # the style id is looked up once
            self._table_style = (None,)
            with contextlib.suppress(KeyError, ValueError):
                table.style = TABLE_STYLE
                self._table_style = (table._tbl.tblStyle_val,)
        elif self._table_style[0] is not None:
            table._tbl.tblStyle_val = self._table_style[0]
        table.autofit = False
        for grid_col, width in zip(table._tbl.tblGrid.gridCol_lst, widths, strict=True):
            grid_col.w = Twips(width)
        header_cells = [
            Cell(h, bold=True, width=w, vertical=i in vertical_header)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        ]
        strong = self.style_id("Strong")
        append_rows(
            table,
            [header_cells],
            header=True,
            height=1500 if vertical_header else 0,
            strong=strong,
        )
        append_rows(table, list(rows), strong=strong)
        set_table_description(table, strip_language_marks(caption), description)
        self._add("KIK Tabellenabstand")
        return table

    def data_table(self, header: Sequence[str], rows: Sequence[Sequence[str]], caption: str) -> Any:
        """A plain text table (from Markdown): column widths follow the content.

        Every column is at least as wide as its longest word (no mid-word breaks where
        the page allows it); the rest of the width is shared by the amount of text.
        """
        n = max([len(header), *(len(r) for r in rows)]) if (header or rows) else 1
        header = list(header) + [""] * (n - len(header))
        cells = [[strip_language_marks(v) for v in list(r) + [""] * (n - len(r))] for r in rows]
        widths = _column_widths([header, *cells], n)
        body = [[Cell(v, width=w) for v, w in zip(r, widths, strict=True)] for r in cells]
        return self.table(
            header,
            body,
            widths=widths,
            caption=caption,
            description=rows_description(caption, len(rows)),
        )

    def picture(self, png: bytes, alt: str, width_cm: float) -> Any:
        paragraph = self._add("KIK Abbildung")
        if self.style("KIK Abbildung") is None:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shape = self._body.picture(paragraph.add_run(), png, Cm(width_cm))
        set_alt_text(shape, alt)
        return shape


# --------------------------------------------------------------------------- sections


def _title_page(w: _Writer, p: Presentation) -> None:
    w.paragraph("KIK Kommune", p.municipality)
    w.paragraph("Title", p.title)
    if p.subtitle:
        w.paragraph("Subtitle", p.subtitle)
    for number, (label, value) in enumerate(p.facts):
        paragraph = w.label(label, value, style="KIK Angabe")
        if number == 0:
            paragraph.paragraph_format.space_before = Pt(36)


def _toc_placeholder(w: _Writer, p: Presentation) -> Any:
    w.paragraph("TOC Heading", p.labels.contents)
    return w.paragraph()


def _fill_toc(w: _Writer, placeholder: Any) -> None:
    """Replace the placeholder with a TOC field pre-filled with the headings."""
    depth = 2
    entries = [(lvl, text) for lvl, text in w.headings if lvl <= depth]
    if len(entries) > TOC_MAX_ENTRIES:  # the contents should fit on one page
        depth = 1
        entries = [(lvl, text) for lvl, text in entries if lvl <= depth]
    if not entries:
        entries = [(1, "Das Inhaltsverzeichnis wird beim Öffnen in Word aktualisiert.")]
    styles = {lvl: w.style(f"toc {lvl}") for lvl in (1, 2)}
    instruction = f'TOC \\o "1-{depth}" \\h \\z \\u'
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


def _foreword(w: _Writer, p: Presentation) -> None:
    for section in p.texts:
        if section.part != "foreword":
            continue
        w.heading(section.title, 1)
        w.markdown(section.markdown, base_level=2)
        for n, line in enumerate(section.author.splitlines()):
            w.paragraph("KIK Unterschrift" if n == 0 else None, line)


def _sections(w: _Writer, p: Presentation, part: str) -> None:
    """The office's texts before the overview (``front``) or after the fields (``back``)."""
    for section in p.texts:
        if section.part != part:
            continue
        if section.titled:
            w.heading(section.title, 1)
        w.markdown(section.markdown, base_level=1)


def _timeline(w: _Writer, p: Presentation) -> None:
    table = p.timeline
    if table is None:
        return
    w.heading(table.caption, 1)
    widths = [2800, _TEXT_WIDTH - 2800]
    rows = [
        [Cell(when, bold=True, width=widths[0]), Cell(text, width=widths[1])]
        for when, text in table.rows
    ]
    w.table(table.header, rows, widths=widths, caption=table.caption, description=table.description)


def _key_figures(w: _Writer, p: Presentation) -> None:
    table = p.key_figures
    if table is None:
        return
    w.heading(table.caption, 1)
    w.paragraph(text=p.key_figures_sentence)
    per_row = table.header[-1] == "Quelle"  # several sources: one per row
    dates = len(table.header) - 2 - per_row
    name_w, change_w = 2900, 1900  # "Prozentpunkte" fits without a break
    rest = _TEXT_WIDTH - name_w - change_w
    if per_row:
        date_w = rest * 2 // (2 * dates + 3)
        source_w = rest - date_w * dates
    else:
        date_w, source_w = rest // dates, 0
        name_w += rest - date_w * dates
    widths = [name_w, *([date_w] * dates), change_w] + ([source_w] if per_row else [])
    rows = [
        [
            Cell(row[0], width=name_w),
            *(Cell(value, center=True, width=date_w) for value in row[1 : 1 + dates]),
            Cell(row[1 + dates], center=True, width=change_w),
            *([Cell(row[-1], width=source_w)] if per_row else []),
        ]
        for row in table.rows
    ]
    w.table(table.header, rows, widths=widths, caption=table.caption, description=table.description)
    if p.key_figures_source:
        w.paragraph("KIK Fußnote", p.key_figures_source)


def _overview_job(chart: Chart, page: range) -> charts.ChartJob:
    return (
        charts.overview_chart,
        ([chart.labels[i] for i in page], [chart.series[i].source for i in page]),
    )


def _donut_job(field: FieldView) -> charts.ChartJob:
    return (charts.donut_chart, (field.name, field.chart.series[0].source))


def _prerender(w: _Writer, p: Presentation) -> None:
    """Draw the overview and field charts ahead, in worker processes where that pays."""
    chart = p.overview.chart
    jobs: dict[tuple[str, str], charts.ChartJob] = {
        ("overview", str(number)): _overview_job(chart, page)
        for number, page in enumerate(charts.overview_pages(len(chart.labels)), start=1)
    }
    for field in p.fields:
        jobs[("donut", field.code)] = _donut_job(field)
    w.charts = dict(zip(jobs, charts.render_all(list(jobs.values())), strict=True))


def _split(widths: Sequence[int], count: int, first: int) -> list[int]:
    """``widths`` with the ``count`` status columns after the ``first`` ones evenly re-split."""
    if count == 3:
        return list(widths)
    space = sum(widths[first : first + 3])
    return [*widths[:first], *([space // count] * count), *widths[first + 3 :]]


def _overview(w: _Writer, p: Presentation, concept: Concept, snapshot: Snapshot) -> None:
    overview = p.overview
    w.heading(p.labels.overview, 1)
    w.paragraph(text=overview.sentence)
    if overview.codes_sentence:
        w.paragraph(text=overview.codes_sentence)
    _priorities(w, p)
    if overview.conflicts_table is None:
        w.paragraph(text=overview.conflicts_sentence)
    chart = overview.chart
    pages = charts.overview_pages(len(chart.labels))
    intro = w.paragraph(text=overview.chart_intro(len(pages)))
    intro.paragraph_format.keep_with_next = True
    for number, page in enumerate(pages, start=1):
        w.picture(
            w.chart(("overview", str(number)), _overview_job(chart, page)),
            chart.part_description(page, number, len(pages)),
            charts.OVERVIEW_WIDTH_CM,
        )
    table = chart.table
    widths = _split([2912, 1400, 1600, 1800, 1700], len(table.header) - 2, 2)
    body = [
        [
            Cell(row[0], bold=index in table.strong, width=widths[0]),
            *(Cell(value, center=True, width=widths[1 + i]) for i, value in enumerate(row[1:])),
        ]
        for index, row in enumerate(table.rows)
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)
    if overview.rounding_note:
        w.paragraph("KIK Fußnote", overview.rounding_note)
    _trend(w, p)
    _changes(w, p)
    _overdue(w, p)
    _conflicts(w, p)
    if overview.highlights:
        _highlights(w, p, overview.highlights)


def _priorities(w: _Writer, p: Presentation) -> None:
    """``Prioritäre Maßnahmen: 23 von 144, davon 9 implementiert.`` where the concept has any."""
    view = p.overview.priorities
    if view is None or not view.prioritised:
        return
    w.paragraph(text=view.sentence)


def _overdue(w: _Writer, p: Presentation) -> None:
    """Measures whose timeframe has passed and that are not done (only where timeframes exist)."""
    view = p.overview.overdue
    if view is None:
        return
    w.heading(view.heading, 2)
    w.paragraph(text=view.sentence)
    if view.table is None:
        return
    widths = [1100, 4512, 1300, 1300, 1200]
    centred = (False, False, True, True, False)
    w.table(
        list(view.table.header),
        [
            [Cell(text, center=centred[i], width=widths[i]) for i, text in enumerate(row)]
            for row in view.table.rows
        ],
        widths=widths,
        caption=view.table.caption,
        description=view.table.description,
    )


def _trend(w: _Writer, p: Presentation) -> None:
    chart = p.overview.trend
    if chart is None:
        return
    w.heading(chart.title, 2)
    w.paragraph(text=chart.intro).paragraph_format.keep_with_next = True
    w.picture(
        w.chart(
            ("trend", ""),
            (charts.trend_chart, (list(chart.labels), [s.source for s in chart.series])),
        ),
        chart.description,
        charts.trend_width_cm(len(chart.labels)),
    )
    table = chart.table
    widths = _split([2412, 1750, 1750, 1750, 1750], len(table.header) - 2, 1)
    body = [
        [
            Cell(row[0], width=widths[0]),
            *(Cell(value, center=True, width=widths[1 + i]) for i, value in enumerate(row[1:])),
        ]
        for row in table.rows
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)


def _changes(w: _Writer, p: Presentation) -> None:
    """A summary per field in the overview; the full list goes to the annex."""
    overview = p.overview
    if not overview.changes_sentence:
        return
    w.heading(p.labels.changes, 2)
    table = overview.changes_table
    if table is None:
        w.paragraph(text=overview.changes_sentence)
        return
    w.paragraph(text=f"{overview.changes_sentence} {overview.changes_annex_note}")
    widths = [3612, 1500, 1500, 2000]
    body = [
        [
            Cell(row[0], bold=index in table.strong, width=widths[0]),
            *(Cell(value, center=True, width=widths[1 + i]) for i, value in enumerate(row[1:])),
        ]
        for index, row in enumerate(table.rows)
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)
    if overview.regressions:
        w.paragraph(text=f"{p.labels.regressions}:").paragraph_format.keep_with_next = True
        for line in overview.regressions:
            w.paragraph("List Bullet", line)


def _changes_annex(w: _Writer, p: Presentation) -> None:
    """Every measure whose status changed since the comparison date."""
    table = p.overview.changes_annex
    if table is None:
        return
    w.heading(p.labels.changes_annex, 1)
    w.paragraph(text=p.overview.changes_annex_sentence)
    widths = [1000, 3912, 1500, 1500, 1500]
    body = [
        [
            Cell(row[0], width=widths[0]),
            Cell(row[1], width=widths[1]),
            Cell(row[2], center=True, width=widths[2]),
            Cell(row[3], center=True, width=widths[3]),
            Cell(row[4], bold=index in table.strong, center=True, width=widths[4]),
        ]
        for index, row in enumerate(table.rows)
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)


def _late_corrections(w: _Writer, p: Presentation) -> None:
    """Reports for already issued rounds that arrived after the issue (absent when none)."""
    table = p.overview.late_table
    if table is None:
        return
    w.heading(p.labels.late, 2)
    w.paragraph(text=p.overview.late_sentence)
    widths = [900, 2762, 1800, 1250, 1650, 1250]
    centred = {3, 5}
    body = [
        [Cell(v, center=i in centred, width=widths[i]) for i, v in enumerate(row)]
        for row in table.rows
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)


def _conflicts(w: _Writer, p: Presentation) -> None:
    table = p.overview.conflicts_table
    if table is None:  # said in one sentence of the overview
        return
    w.heading(p.labels.conflicts, 2)
    w.paragraph(text=p.overview.conflicts_sentence).paragraph_format.keep_with_next = True
    widths = [900, 3462, 1250, 2500, 1300]
    centred = {2, 4}
    body = [
        [Cell(v, center=i in centred, width=widths[i]) for i, v in enumerate(row)]
        for row in table.rows
    ]
    w.table(table.header, body, widths=widths, caption=table.caption, description=table.description)


def _status_table(w: _Writer, concept: Concept, snapshot: Snapshot, field: FieldView) -> None:
    """Goals and measures with each measure's status in words (no merged cells).

    A screen reader reads a measure row as "BS-1.1 … implementiert"; a goal row
    stays on the page of its first measure.
    """
    grouped = field.grouped
    group_w = 1500 if grouped else 0
    nr_w, status_w = (1500 if concept.free_numbers else 1000), 1650
    text_w = _TEXT_WIDTH - group_w - nr_w - status_w
    widths = ([group_w] if grouped else []) + [nr_w, text_w, status_w]
    header = (["Gruppe"] if grouped else []) + ["Nr.", "Ziel/Maßnahme", "Status"]
    rows: list[list[Cell]] = []
    for goal in field.goals:  # a two-level concept's measures (no goal row) come first
        if not goal.direct:
            rows.append(
                [
                    *(
                        [Cell(goal.group, shade=GOAL_SHADE, width=group_w, keep_with_next=True)]
                        if grouped
                        else []
                    ),
                    Cell(goal.name, bold=True, shade=GOAL_SHADE, width=nr_w, keep_with_next=True),
                    Cell(goal.text, bold=True, shade=GOAL_SHADE, width=text_w, keep_with_next=True),
                    Cell(goal.done_text, shade=GOAL_SHADE, width=status_w, keep_with_next=True),
                ]
            )
        for view in goal.measures:
            rows.append(_measure_row(concept, view, snapshot, grouped=grouped, widths=widths))
    w.table(
        header,
        rows,
        widths=widths,
        caption=field.table_caption,
        description=field.table_description,
    )


def _measure_row(
    concept: Concept,
    view: MeasureView,
    snapshot: Snapshot,
    *,
    grouped: bool,
    widths: Sequence[int],
) -> list[Cell]:
    status = view.status_text
    if view.attributes is not None and view.attributes.package_progress:
        status += f" ({view.attributes.package_progress})"
    *group_w, nr_w, text_w, status_w = widths
    return [
        *([Cell(view.group, width=group_w[0])] if grouped else []),
        Cell(view.id, width=nr_w),
        Cell(view.text, width=text_w),
        Cell(status, width=status_w),
    ]


def _highlights(w: _Writer, p: Presentation, highlights: Sequence[HighlightView]) -> None:
    w.heading(p.labels.highlights, 2)
    for highlight in highlights:
        w.heading(highlight.title, 3)
        if highlight.organisation:
            w.paragraph("KIK Quelle", highlight.organisation)
        w.markdown(highlight.text, base_level=4)
        if highlight.lines:
            w.label(p.labels.highlight_measures)
            for line in highlight.lines:
                w.paragraph("List Bullet", line)


def _goal_texts(w: _Writer, p: Presentation, field: FieldView) -> None:
    goals = [g for g in field.goals if not g.direct]
    if not goals:  # a two-level concept has no goals to report texts on
        return
    w.heading(p.labels.goal_texts, 2)
    for goal in goals:
        w.heading(goal.heading, 3)
        if goal.measures:
            w.label(p.labels.goal_measures)
            for view in goal.measures:
                w.paragraph("List Bullet", view.line)
        for part in goal.texts:
            # named with the goal, so the navigation and bookmarks stay useful
            w.heading(part.heading, 4)
            written = part.written
            if not written:
                w.paragraph("KIK Hinweis", part.empty_text)
                continue
            for source, text in written:
                if part.named:
                    w.paragraph("KIK Quelle", source)
                w.markdown(text, base_level=5)


def _field(
    w: _Writer, p: Presentation, concept: Concept, snapshot: Snapshot, field: FieldView
) -> None:
    w.heading(field.heading, 1)
    w.markdown(field.intro, base_level=2)
    w.heading(p.labels.goals_and_measures, 2)
    _status_table(w, concept, snapshot, field)
    for note in field.notes:
        paragraph = w.paragraph("KIK Hinweis")
        w.strong(paragraph, f"{p.labels.field_note} ")
        add_text(paragraph, note)
    w.heading(p.labels.field_status, 2)
    sentence = w.paragraph(text=field.sentence)
    sentence.paragraph_format.keep_with_next = True  # the chart stays with its sentence
    w.picture(
        w.chart(("donut", field.code), _donut_job(field)),
        field.chart.description,
        charts.DONUT_WIDTH_CM,
    )
    if field.rounding_note:
        w.paragraph("KIK Fußnote", field.rounding_note)
    if field.highlights:
        _highlights(w, p, field.highlights)
    _goal_texts(w, p, field)


def _annex(w: _Writer, p: Presentation) -> None:
    table = p.annex
    if table is None:
        return
    w.heading(p.labels.annex, 1)
    w.paragraph(text=p.annex_sentence)
    widths = [950, 3450, 1500, 2250, 1262]
    rows = [[Cell(v, width=widths[i]) for i, v in enumerate(row)] for row in table.rows]
    w.table(table.header, rows, widths=widths, caption=table.caption, description=table.description)
    if p.notes:
        w.heading(p.labels.notes, 2)
        for lead, text in p.notes:
            paragraph = w.paragraph("List Bullet")
            w.strong(paragraph, lead)
            add_text(paragraph, text)


def _edition_annex(w: _Writer, p: Presentation) -> None:
    """The mapping from the old to the new edition, one row per link (issue 17)."""
    if p.edition is None:
        return
    w.heading(p.labels.edition_annex, 1)
    w.paragraph(text=p.edition.sentence)
    table = p.edition.table
    widths = [1000, 2906, 2600, 2906]
    rows = [[Cell(v, width=widths[i]) for i, v in enumerate(row)] for row in table.rows]
    w.table(table.header, rows, widths=widths, caption=table.caption, description=table.description)


def _properties(doc: Any, options: ReportOptions, p: Presentation) -> None:
    props = doc.core_properties
    props.title = p.document_title
    props.subject = p.document_subject
    props.author = p.publisher or p.municipality
    props.last_modified_by = "kik"
    props.language = "de-DE"
    props.keywords = "Integrationskonzept; Zwischenbericht; Maßnahmen"
    props.comments = p.document_comments
    published = options.published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    stamp = dt.datetime(published.year, published.month, published.day, tzinfo=dt.UTC)
    props.created = props.modified = stamp
    props.revision = 1


def _chapter_length(paragraphs: Sequence[Any]) -> int:
    return sum(len("".join(t.text or "" for t in p.iter(qn("w:t")))) for p in paragraphs)


def _join_short_chapters(doc: Any, heading_style: str) -> None:
    """A chapter after a short one starts on the same page (no near-empty pages).

    Chapters start on a new page (``Heading 1`` has "page break before"); after
    a chapter with less than :data:`SHORT_CHAPTER` characters of text (tables
    included) and no picture, the next chapter's heading gets ``pageBreakBefore=0``.
    """
    body = doc.element.body
    chapter: list[Any] = []
    in_chapter = False
    short_tag: set[str] = set()
    for child in list(body):
        is_heading = False
        if child.tag == qn("w:p"):
            style = child.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
            is_heading = style is not None and style.get(qn("w:val")) == heading_style
        if is_heading:
            if in_chapter and _is_short(chapter, short_tag):
                ppr = child.get_or_add_pPr()
                ppr.append(parse_xml(f'<w:pageBreakBefore {nsdecls("w")} w:val="0"/>'))
                _reorder_ppr(ppr)
            chapter = []
            in_chapter = True
        elif in_chapter:
            chapter.append(child)


def _is_short(chapter: Sequence[Any], blocking: set[str]) -> bool:
    if any(c.tag in blocking for c in chapter):
        return False
    if any(list(c.iter(qn("w:drawing"))) for c in chapter):
        return False
    return _chapter_length(chapter) < SHORT_CHAPTER


_PPR_ORDER = [
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku",
    "wordWrap", "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi",
    "adjustRightInd", "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents",
    "suppressOverlap", "jc", "textDirection", "textAlignment", "textboxTightWrap",
    "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange",
]  # fmt: skip


def _reorder_ppr(ppr: Any) -> None:
    order = {qn(f"w:{t}"): i for i, t in enumerate(_PPR_ORDER)}
    children = sorted(ppr, key=lambda c: order.get(c.tag, len(order)))
    for child in children:
        ppr.append(child)


def compose(
    concept: Concept,
    snapshot: Snapshot,
    *,
    options: ReportOptions,
    content: ReportContent | None = None,
    history: Sequence[Snapshot] = (),
    late: Sequence[LateCorrection] = (),
    board: PartnerBoard | None = None,
    edition: EditionChange | None = None,
) -> Any:
    """Build the report as an in-memory python-docx ``Document``."""
    missing = [f.code for f in concept.fields if f.code not in snapshot.by_field]
    if missing:
        raise ReportError(f"the snapshot has no counts for the fields {missing}")
    presentation = present(
        concept,
        snapshot,
        content=content,
        history=history,
        title=options.title,
        subtitle=options.subtitle,
        period_label=options.period_label,
        publisher=options.publisher,
        foreword=options.foreword,
        foreword_author=options.foreword_author,
        sections=options.sections_front,
        sections_back=options.sections_back,
        thanks=options.thanks,
        late=late,
        municipality=options.municipality,
        version_label=options.version_label,
        published_on=options.published_on,
        board=board,
        edition=edition,
    )
    doc = open_template(options.template)
    w = _Writer(doc)
    _prerender(w, presentation)
    _title_page(w, presentation)
    toc = _toc_placeholder(w, presentation)
    _foreword(w, presentation)
    _sections(w, presentation, "front")
    _timeline(w, presentation)
    _key_figures(w, presentation)
    _overview(w, presentation, concept, snapshot)
    _partners.partner_overview(w, presentation)
    _late_corrections(w, presentation)
    for field in presentation.fields:
        _field(w, presentation, concept, snapshot, field)
    _sections(w, presentation, "back")
    if presentation.thanks:
        w.heading(presentation.labels.thanks, 1)
        w.markdown(presentation.thanks, base_level=2)
    _annex(w, presentation)
    _changes_annex(w, presentation)
    _partners.decisions_annex(w, presentation)
    _partners.partner_annex(w, presentation)
    _edition_annex(w, presentation)
    _fill_toc(w, toc)
    heading_1 = w.style_id("Heading 1")
    if heading_1:
        _join_short_chapters(doc, heading_1)

    section = doc.sections[-1]
    if section.footer.is_linked_to_previous:
        _page_footer(section)
    section.different_first_page_header_footer = True  # the title page has no page number
    set_document_language(doc.styles.element)
    set_update_fields(doc.settings.element)
    drop_leftover_parts(doc)
    _properties(doc, options, presentation)
    return doc


def sources_path(report: Path) -> Path:
    """Where :func:`build_report` writes the source list of ``report`` (``…_Quellen.csv``)."""
    return report.with_name(f"{report.stem}_Quellen.csv")


def sources_csv(concept: Concept, snapshot: Snapshot) -> str:
    """Which file and row each measure's counted status comes from (for the office).

    Excel-style CSV (``;``, German dates); one row per report that counts, a
    measure without any report has one row with empty source columns.
    """
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    table = sources_table(concept, snapshot)
    writer.writerow(table.header)
    writer.writerows(table.rows)
    return buffer.getvalue()


def build_report(
    concept: Concept,
    snapshot: Snapshot,
    output: Path,
    *,
    options: ReportOptions,
    content: ReportContent | None = None,
    history: Sequence[Snapshot] = (),
    late: Sequence[LateCorrection] = (),
    board: PartnerBoard | None = None,
    edition: EditionChange | None = None,
) -> Path:
    """Build the committee-ready interim report (DOCX) and write it atomically.

    The document is composed in memory and written through
    :func:`kik_core._atomic.atomic_path`: a failure never leaves a half-written
    report in place of the last good one. Beside it, ``<name>_Quellen.csv`` lists
    the file and row each counted status comes from (see :func:`sources_csv`).

    Args:
        concept: the integration concept (fields, goals, measures).
        snapshot: the state at the report date; the single source of every number.
        output: where to write the ``.docx``.
        options: titles, texts and the corporate-design template.
        content: highlights, key figures, timeline and editorial notes from the
            concept workbook.
        history: the snapshots of the issued rounds and of this report (oldest first)
            for the trend; with fewer than two the trend is absent.
        late: late corrections to list ("Nachträgliche Korrekturen"; absent when empty).
        board: the round's partner board (drafts): the overview's "Rückmeldungen der
            Partner" and the annex of the same name; absent when None.
        edition: where the report spans a new edition of the concept, the mapping
            (annex "Fortschreibung des Konzepts"); absent when None.

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
    doc = compose(
        concept,
        snapshot,
        options=options,
        content=content,
        history=history,
        late=late,
        board=board,
        edition=edition,
    )
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(output) as temp, temp.open("wb") as stream:
            doc.save(stream)
        with atomic_path(sources_path(output)) as temp:
            temp.write_text(sources_csv(concept, snapshot), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ReportError(
            f"Bericht kann nicht geschrieben werden / cannot write {output}: {exc}"
        ) from exc
    return output
