"""The DOCX builder: one function per section of the interim report.

Every number comes from the :class:`~kik_core.rules.Snapshot` (its
:class:`~kik_core.rules.StatusCounts`): the text, the tables, the charts and
their alt texts are all formatted from the same counts.
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
from kik_core._locale import format_date, format_month, format_number, plural
from kik_core.editions import LinkKind
from kik_core.errors import ReportError
from kik_core.model import (
    Concept,
    FieldOfAction,
    Goal,
    Highlight,
    Indicator,
    Measure,
    Status,
    StatusReport,
)
from kik_core.presentation import (
    NO_CONFLICTS_SENTENCE,
    conflicts_sentence,
    field_sentence,
    overdue_view,
    overview_sentence,
    package_progress,
    priority_view,
    trend_chart,
    trend_points,
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
from kik_core.rules import Snapshot, StatusCounts

if TYPE_CHECKING:
    from kik_core.board import PartnerBoard
    from kik_core.concept_workbook import EditorialNote, ReportContent
    from kik_core.editions import EditionChange
    from kik_core.rounds import LateCorrection

__all__ = ["build_report", "format_date", "format_number"]

#: Shading of goal rows in the status tables.
GOAL_SHADE = "DCE6F0"
#: Text width of the default A4 page in twips (21 cm − 2 × 2.2 cm).
_TEXT_WIDTH = 9412
NO_FEEDBACK = "Keine Rückmeldung"
#: A chapter with less text than this (characters) does not get a page of its own:
#: the next chapter starts on the same page.
SHORT_CHAPTER = 700
#: More contents entries than this and the contents list only the chapters (level 1).
TOC_MAX_ENTRIES = 30
#: Marks a status the editors inferred from the text (concept workbook, sheet Hinweise).
INFERRED = "erschlossen"


def _measures(n: int) -> str:
    return plural(n, "Maßnahme", "Maßnahmen")


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
            description=f"{caption} ({plural(len(rows), 'Zeile', 'Zeilen')})",
        )

    def picture(self, png: bytes, alt: str, width_cm: float) -> Any:
        paragraph = self._add("KIK Abbildung")
        if self.style("KIK Abbildung") is None:
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shape = self._body.picture(paragraph.add_run(), png, Cm(width_cm))
        set_alt_text(shape, alt)
        return shape


# --------------------------------------------------------------------------- sections


def _title_page(w: _Writer, options: ReportOptions, snapshot: Snapshot) -> None:
    w.paragraph("KIK Kommune", options.municipality)
    w.paragraph("Title", options.title)
    if options.subtitle:
        w.paragraph("Subtitle", options.subtitle)
    first = True
    published = options.published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    for label, value in (
        ("Berichtszeitraum:", options.period_label),
        ("Datenstand:", format_date(snapshot.as_of, long=True)),
        ("Fassung:", options.version_label),
        ("Herausgeber:", options.publisher),
        ("Veröffentlicht am:", format_date(published, long=True)),
    ):
        if not value:
            continue
        paragraph = w.label(label, value, style="KIK Angabe")
        if first:
            paragraph.paragraph_format.space_before = Pt(36)
            first = False


def document_title(options: ReportOptions) -> str:
    """``Kempten (Allgäu): KIK-Zwischenbericht Dezember 2023`` (municipality and month)."""
    published = options.published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    return f"{options.municipality}: KIK-Zwischenbericht {format_month(published)}"


def _toc_placeholder(w: _Writer) -> Any:
    w.paragraph("TOC Heading", "Inhalt")
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
            w.paragraph("KIK Unterschrift" if n == 0 else None, line)


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
            (
                "Die Kennzahlen zeigen die Entwicklung der Bevölkerung zu den Stichtagen "
                if len(dates) > 1
                else "Die Kennzahlen zeigen die Bevölkerung zum Stichtag "
            )
            + " und ".join(format_date(d) for d in dates)
            + "."
        )
    )
    all_sources = list(dict.fromkeys(i.source for i in content.indicators if i.source))
    per_row = len(all_sources) > 1  # one source for all: a sentence under the table
    name_w, change_w = 2900, 1900  # "Prozentpunkte" fits without a break
    rest = _TEXT_WIDTH - name_w - change_w
    if per_row:
        date_w = rest * 2 // (2 * len(dates) + 3)
        source_w = rest - date_w * len(dates)
    else:
        date_w, source_w = rest // len(dates), 0
        name_w += rest - date_w * len(dates)
    widths = [name_w, *([date_w] * len(dates)), change_w] + ([source_w] if per_row else [])
    header = ["Kennzahl", *(f"Stand {format_date(d)}" for d in dates), "Veränderung"]
    if per_row:
        header.append("Quelle")
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
                *([Cell(sources, width=source_w)] if per_row else []),
            ]
        )
    w.table(
        header,
        rows,
        widths=widths,
        caption="Kennzahlen",
        description=f"{plural(len(rows), 'Kennzahl', 'Kennzahlen')} zu "
        f"{plural(len(dates), 'Stichtag', 'Stichtagen')} mit Veränderung"
        + (f"; Quelle: {all_sources[0]}" if len(all_sources) == 1 else ""),
    )
    if len(all_sources) == 1:
        w.paragraph("KIK Fußnote", f"Quelle: {all_sources[0]}")


def _responsible(measure: Measure) -> str:
    """``"vhs (federführend), Caritas"``: the lead partner marked, then the contributors."""
    lead = [f"{measure.lead} (federführend)"] if measure.lead else []
    return ", ".join([*lead, *measure.partners]) or "–"


def _counts_cell(counts: StatusCounts, status: Status, width: int) -> Cell:
    if status not in counts.percentages:  # a group left out of the percentages
        return Cell(format_number(counts.counts[status]), center=True, width=width)
    return Cell(
        f"{format_number(counts.counts[status])} ({counts.percentages[status]} %)",
        center=True,
        width=width,
    )


def _overview_rows(concept: Concept, snapshot: Snapshot) -> tuple[list[str], list[StatusCounts]]:
    names = [f.name for f in concept.fields] + ["Gesamt"]
    rows = [snapshot.summary(snapshot.by_field[f.code]) for f in concept.fields]
    return names, [*rows, snapshot.summary(snapshot.overall)]


def _overview_job(names: list[str], rows: list[StatusCounts], page: range) -> charts.ChartJob:
    return (charts.overview_chart, ([names[i] for i in page], [rows[i] for i in page]))


def _prerender(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """Draw the overview and field charts ahead, in worker processes where that pays."""
    names, rows = _overview_rows(concept, snapshot)
    jobs: dict[tuple[str, str], charts.ChartJob] = {
        ("overview", str(number)): _overview_job(names, rows, page)
        for number, page in enumerate(charts.overview_pages(len(rows)), start=1)
    }
    for field in concept.fields:
        jobs[("donut", field.code)] = (
            charts.donut_chart,
            (field.name, snapshot.summary(snapshot.by_field[field.code])),
        )
    w.charts = dict(zip(jobs, charts.render_all(list(jobs.values())), strict=True))


def _columns(counts: StatusCounts) -> tuple[Status, ...]:
    """Table columns: the counted statuses (or groups) least advanced first, then the others."""
    return (*charts.order(counts), *charts.summary_order(counts)[len(charts.order(counts)) :])


def _split(widths: Sequence[int], count: int, first: int) -> list[int]:
    """``widths`` with the ``count`` status columns after the ``first`` ones evenly re-split."""
    if count == 3:
        return list(widths)
    space = sum(widths[first : first + 3])
    return [*widths[:first], *([space // count] * count), *widths[first + 3 :]]


def _overview(
    w: _Writer,
    concept: Concept,
    snapshot: Snapshot,
    history: Sequence[Snapshot],
    highlights: Sequence[Highlight],
) -> None:
    w.heading("Umsetzungsstand im Überblick", 1)
    overall = snapshot.summary(snapshot.overall)
    w.paragraph(text=overview_sentence(snapshot))
    _codes_sentence(w, concept)
    _priorities(w, concept, snapshot)
    if not snapshot.conflicts:
        w.paragraph(text=NO_CONFLICTS_SENTENCE)
    names, rows = _overview_rows(concept, snapshot)
    pages = charts.overview_pages(len(rows))
    if len(pages) == 1:
        intro_text = "Das Diagramm und die Tabelle zeigen"
    else:  # many fields: one chart per part, so that none outgrows its page
        intro_text = f"Die {len(pages)} Diagramme und die Tabelle zeigen"
    intro = w.paragraph(
        text=f"{intro_text} den Umsetzungsstand je Handlungsfeld, "
        f"gezählt aus den Rückmeldungen der Partner bis zum {format_date(snapshot.as_of)}."
    )
    intro.paragraph_format.keep_with_next = True
    for number, page in enumerate(pages, start=1):
        part = "" if len(pages) == 1 else f" (Teil {number} von {len(pages)})"
        alt = (
            f"Balkendiagramm Umsetzungsstand je Handlungsfeld{part}: "
            + "; ".join(
                f"{names[i]}: {charts.status_summary(r)}, insgesamt {_measures(r.total)}"
                for i in page
                for r in (rows[i],)
            )
            + "."
        )
        w.picture(
            w.chart(("overview", str(number)), _overview_job(names, rows, page)),
            alt,
            charts.OVERVIEW_WIDTH_CM,
        )
    statuses = _columns(overall)
    widths = _split([2912, 1400, 1600, 1800, 1700], len(statuses), 2)
    body = [
        [
            Cell(n, bold=(n == "Gesamt"), width=widths[0]),
            Cell(format_number(r.total), center=True, width=widths[1]),
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
    _rounding_note(w, rows)
    _trend(w, snapshot, history)
    _changes(w, concept, snapshot)
    _overdue(w, concept, snapshot)
    _conflicts(w, concept, snapshot)
    if highlights:
        _highlights(w, concept, highlights)


def _priorities(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """``Prioritäre Maßnahmen: 23 von 144, davon 9 implementiert.`` where the concept has any."""
    view = priority_view(concept, snapshot)
    if view is None or not view.prioritised:
        return
    w.paragraph(text=view.sentence)


def _overdue(w: _Writer, concept: Concept, snapshot: Snapshot) -> None:
    """Measures whose timeframe has passed and that are not done (only where timeframes exist)."""
    view = overdue_view(concept, snapshot)
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


def _codes_sentence(w: _Writer, concept: Concept) -> None:
    """Explain the field codes where the report first uses them."""
    if not concept.fields:
        return
    if concept.free_numbers:  # free-form numbers (issue 17): name the levels instead
        w.paragraph(
            text="Ziele und Maßnahmen tragen die Nummern des Konzepts; es gliedert sich in "
            + " → ".join(concept.levels)
            + "."
        )
        return
    example = next(iter(concept.measures), None)
    codes = ", ".join(f"{f.code} = {f.name}" for f in concept.fields)
    text = f"Die Maßnahmen tragen das Kürzel ihres Handlungsfelds ({codes})"
    if example is not None:
        goal, _, number = example.number.partition(".")
        field = next(f for f in concept.fields if f.code == example.id.split("-", 1)[0])
        text += (
            f": {example.id} ist zum Beispiel Maßnahme {number or example.number} "
            f"zu Ziel {goal} im Handlungsfeld {field.name}"
        )
    w.paragraph(text=text + ".")


def _uneven_rounding(rows: Sequence[StatusCounts]) -> tuple[int, int, int, int] | None:
    """Equal counts of equal totals shown with different percentages, if any.

    Returns ``(count, total, smaller %, larger %)`` of the first such case.
    """
    seen: dict[tuple[int, int], int] = {}
    for row in rows:
        for status in charts.order(row):
            key = (row.counts[status], row.counted_total)
            if key[0] == 0:
                continue
            percent = row.percentages[status]
            other = seen.setdefault(key, percent)
            if other != percent:
                return key[0], key[1], min(other, percent), max(other, percent)
    return None


def _rounding_note(w: _Writer, rows: Sequence[StatusCounts]) -> None:
    found = _uneven_rounding(rows)
    if found is None:
        return
    count, total, low, high = found
    w.paragraph(
        "KIK Fußnote",
        "Hinweis zu den Prozentwerten: Sie sind so gerundet, dass jede Zeile zusammen 100 % "
        "ergibt (Verfahren der größten Reste). Deshalb kann dieselbe Anzahl unterschiedlich "
        f"gerundet erscheinen, hier etwa {count} von {total} als {low} % und als {high} %.",
    )


def _trend(w: _Writer, snapshot: Snapshot, history: Sequence[Snapshot]) -> None:
    points = trend_points(snapshot, history)
    chart = trend_chart(points)
    if chart is None:
        return
    w.heading(chart.title, 2)
    labels = list(chart.labels)
    alt = chart.description
    w.paragraph(
        text="Das Diagramm zeigt den Umsetzungsstand aller Maßnahmen zu jedem Stichtag, "
        "gezählt aus den Rückmeldungen der Partner bis zu diesem Tag."
    ).paragraph_format.keep_with_next = True
    w.picture(
        w.chart(
            ("trend", ""),
            (charts.trend_chart, (labels, [p.summary(p.overall) for p in points])),
        ),
        alt,
        charts.trend_width_cm(len(points)),
    )
    statuses = _columns(snapshot.summary(snapshot.overall))
    widths = _split([2412, 1750, 1750, 1750, 1750], len(statuses), 1)
    body = [
        [
            Cell(d, width=widths[0]),
            *(_counts_cell(p.summary(p.overall), s, widths[1 + i]) for i, s in enumerate(statuses)),
            Cell(format_number(p.overall.total), center=True, width=widths[-1]),
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
                f", davon {plural(len(regressions), 'Rückschritt', 'Rückschritte')}."
                if regressions
                else "."
            )
            + " Die vollständige Liste steht im Anhang „Alle Veränderungen“."
        )
    )
    widths = [3612, 1500, 1500, 2000]
    body = []
    for field in [*concept.fields, None]:
        moved = [
            c for c in changes if field is None or concept.field_of(c.measure_id) == field.code
        ]
        body.append(
            [
                Cell(
                    "Gesamt" if field is None else field.name, bold=field is None, width=widths[0]
                ),
                Cell(
                    format_number(sum(not c.is_regression for c in moved)),
                    center=True,
                    width=widths[1],
                ),
                Cell(
                    format_number(sum(c.is_regression for c in moved)), center=True, width=widths[2]
                ),
                Cell(
                    format_number(sum(snapshot.scheme.is_done(c.after) for c in moved)),
                    center=True,
                    width=widths[3],
                ),
            ]
        )
    w.table(
        ["Handlungsfeld", "Fortschritte", "Rückschritte", f"neu {snapshot.scheme.done_group.name}"],
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
    widths = [1000, 3912, 1500, 1500, 1500]
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
        description=f"{_measures(len(changes))} mit neuem Status seit "
        f"{format_date(snapshot.previous)}, davon "
        f"{plural(regressions, 'Rückschritt', 'Rückschritte')}",
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
    if not snapshot.conflicts:  # said in one sentence of the overview
        return
    w.heading("Offene Konflikte zwischen Partnern", 2)
    n = len(snapshot.conflicts)
    w.paragraph(text=conflicts_sentence(n)).paragraph_format.keep_with_next = True
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
        description=f"{_measures(len(body))} mit widersprüchlichen Meldungen",
    )


def _status_table(
    w: _Writer,
    concept: Concept,
    snapshot: Snapshot,
    field: FieldOfAction,
    notes: Sequence[EditorialNote] = (),
) -> None:
    """Goals and measures with each measure's status in words (no merged cells).

    A screen reader reads a measure row as "BS-1.1 … implementiert"; a goal row
    stays on the page of its first measure.
    """
    measures = concept.measures_of(field.code)
    grouped = any(m.group for m in measures)
    group_w = 1500 if grouped else 0
    nr_w, status_w = (1500 if concept.free_numbers else 1000), 1650
    text_w = _TEXT_WIDTH - group_w - nr_w - status_w
    widths = ([group_w] if grouped else []) + [nr_w, text_w, status_w]
    header = (["Gruppe"] if grouped else []) + ["Nr.", "Ziel/Maßnahme", "Status"]
    inferred = {n.reference for n in notes if n.inferred}
    rows: list[list[Cell]] = []
    for measure in concept.direct_measures_of(field.code):  # a two-level concept
        rows.append(
            _measure_row(
                concept, measure, snapshot, inferred=inferred, grouped=grouped, widths=widths
            )
        )
    for goal in _field_goals(concept, field):
        goal_measures = concept.measures_of(goal.id)
        goal_group = goal_measures[0].group if goal_measures else None
        counts = snapshot.by_goal.get(goal.id)
        done_group = snapshot.scheme.done_group
        done = sum(
            n
            for s, n in (counts.counts.items() if counts is not None else ())
            if snapshot.scheme.group_of(s) == done_group
        )
        summary = f"{done} von {len(goal_measures)} {done_group.name}" if goal_measures else ""
        rows.append(
            [
                *(
                    [Cell(goal_group or "", shade=GOAL_SHADE, width=group_w, keep_with_next=True)]
                    if grouped
                    else []
                ),
                Cell(
                    f"{concept.level_name(goal.id)} {goal.number}",
                    bold=True,
                    shade=GOAL_SHADE,
                    width=nr_w,
                    keep_with_next=True,
                ),
                Cell(goal.text, bold=True, shade=GOAL_SHADE, width=text_w, keep_with_next=True),
                Cell(summary, shade=GOAL_SHADE, width=status_w, keep_with_next=True),
            ]
        )
        for measure in concept.direct_measures_of(goal.id):
            rows.append(
                _measure_row(
                    concept, measure, snapshot, inferred=inferred, grouped=grouped, widths=widths
                )
            )
    counts = snapshot.by_field[field.code]
    w.table(
        header,
        rows,
        widths=widths,
        caption=f"Ziele und Maßnahmen im Handlungsfeld {field.name}",
        description=(
            f"{plural(len(_field_goals(concept, field)), 'Ziel', 'Ziele')} (fett) mit ihren "
            f"{_measures(counts.total)}; je Maßnahme steht der Status in der letzten Spalte: "
            f"{charts.status_summary(counts)}"
        ),
    )


def _field_goals(concept: Concept, field: FieldOfAction) -> tuple[Goal, ...]:
    """Every goal of a field at any level, in tree order (Leitziel, its Teilziele, …)."""
    found: list[Goal] = []

    def visit(parent: str) -> None:
        for goal in concept.goals_of(parent):
            found.append(goal)
            visit(goal.id)

    visit(field.code)
    return tuple(found)


def _measure_row(
    concept: Concept,
    measure: Measure,
    snapshot: Snapshot,
    *,
    inferred: set[str],
    grouped: bool,
    widths: Sequence[int],
) -> list[Cell]:
    status = snapshot.status_of(measure.id).label
    if measure.id in inferred:
        status += f" ({INFERRED})"
    progress = package_progress(concept, snapshot, measure.id)
    if progress:
        status += f" ({progress})"
    *group_w, nr_w, text_w, status_w = widths
    return [
        *([Cell(measure.group or "", width=group_w[0])] if grouped else []),
        Cell(measure.id, width=nr_w),
        Cell(measure.text, width=text_w),
        Cell(status, width=status_w),
    ]


def _highlights(w: _Writer, concept: Concept, highlights: Sequence[Highlight]) -> None:
    w.heading("Highlights", 2)
    for highlight in highlights:
        w.heading(highlight.title, 3)
        if highlight.organisation:
            w.paragraph("KIK Quelle", highlight.organisation)
        w.markdown(highlight.text, base_level=4)
        known = [m for m in highlight.measure_ids if concept.has_id(m)]
        if known:
            w.label("Zu den Maßnahmen:")
            for measure_id in known:
                w.paragraph("List Bullet", f"{measure_id} {concept.measure(measure_id).text}")


def _goal_texts(w: _Writer, concept: Concept, snapshot: Snapshot, field: FieldOfAction) -> None:
    goals = _field_goals(concept, field)
    if not goals:  # a two-level concept has no goals to report texts on
        return
    w.heading("Stand der Ziele", 2)
    for goal in goals:
        name = f"{concept.level_name(goal.id)} {goal.number}"
        w.heading(f"{name}: {goal.text}", 3)
        measures = concept.direct_measures_of(goal.id)
        if measures:
            w.label("Maßnahmen:")
            for measure in measures:
                w.paragraph(
                    "List Bullet",
                    f"{measure.id} {measure.text} – {snapshot.status_of(measure.id).label}",
                )
        texts = snapshot.goal_texts.get(goal.id, ())
        for title, attribute in (("Aktueller Stand", "current_state"), ("Ausblick", "outlook")):
            # named with the goal, so the navigation and bookmarks stay useful
            w.heading(f"{name} – {title}", 4)
            written = [t for t in texts if getattr(t, attribute).strip()]
            if not written:
                w.paragraph("KIK Hinweis", NO_FEEDBACK)
                continue
            for text in written:
                if len(texts) > 1:
                    w.paragraph("KIK Quelle", f"{text.partner}, Stand {format_date(text.as_of)}:")
                w.markdown(getattr(text, attribute), base_level=5)


def _field(
    w: _Writer,
    concept: Concept,
    snapshot: Snapshot,
    field: FieldOfAction,
    highlights: Sequence[Highlight],
    *,
    notes: Sequence[EditorialNote] = (),
) -> None:
    w.heading(f"Handlungsfeld {field.name}", 1)
    w.markdown(field.intro, base_level=2)
    counts = snapshot.summary(snapshot.by_field[field.code])
    w.heading("Ziele und Maßnahmen", 2)
    field_notes = [n for n in notes if n.reference == field.code]
    measure_notes = [
        n
        for n in notes
        if n.reference != field.code and _field_or_none(concept, n.reference) == field.code
    ]
    _status_table(w, concept, snapshot, field, measure_notes)
    for note in field_notes:
        paragraph = w.paragraph("KIK Hinweis")
        w.strong(paragraph, "Hinweis der Redaktion: ")
        add_text(paragraph, note.text)
    w.heading("Umsetzungsstand", 2)
    sentence = w.paragraph(text=field_sentence(field.name, counts, snapshot.as_of))
    sentence.paragraph_format.keep_with_next = True  # the chart stays with its sentence
    w.picture(
        w.chart(("donut", field.code), (charts.donut_chart, (field.name, counts))),
        charts.status_alt_text(field.name, counts),
        charts.DONUT_WIDTH_CM,
    )
    _rounding_note(w, [counts])
    if highlights:
        _highlights(w, concept, highlights)
    _goal_texts(w, concept, snapshot, field)


def _annex(
    w: _Writer, concept: Concept, snapshot: Snapshot, notes: Sequence[EditorialNote] = ()
) -> None:
    w.heading("Anhang: Alle Maßnahmen und ihre letzte Meldung", 1)
    inferred = {n.reference for n in notes if n.inferred}
    w.paragraph(
        text=(
            "Für jede Maßnahme: ihr Status am "
            f"{format_date(snapshot.as_of)}, die verantwortlichen Partner und das Datum "
            "ihrer Meldung; hat ein anderer Partner gemeldet, steht sein Name dabei. Datei "
            "und Zeile jeder Meldung stehen in der Quellenliste (CSV) neben dem Bericht."
            + (
                f" „{INFERRED}“: Die Quelle nennt diesen Status nicht ausdrücklich; die "
                "Redaktion hat ihn aus dem Text erschlossen (Begründung in den Hinweisen "
                "unter der Tabelle)."
                if inferred
                else ""
            )
        )
    )
    widths = [950, 3450, 1500, 2250, 1262]
    rows = []
    for measure in concept.measures:
        effective = snapshot.statuses[measure.id]
        status = effective.status.label
        if measure.id in inferred:
            status += f" ({INFERRED})"
        rows.append(
            [
                Cell(measure.id, width=widths[0]),
                Cell(measure.text, width=widths[1]),
                Cell(status, width=widths[2]),
                Cell(_responsible(measure), width=widths[3]),
                Cell(_reported(measure.responsible, effective.reports), width=widths[4]),
            ]
        )
    w.table(
        ["Nr.", "Maßnahme", "Status", "Verantwortlich", "Gemeldet am"],
        rows,
        widths=widths,
        caption="Alle Maßnahmen und ihre letzte Meldung",
        description=f"{_measures(len(rows))} mit Status, Verantwortlichen und Datum der "
        "Meldung (mit Namen, wo ein anderer Partner gemeldet hat)",
    )
    other = [n for n in notes if n.reference != "" and concept.has_id(n.reference)]
    if other:
        w.heading("Hinweise der Redaktion", 2)
        for note in other:
            paragraph = w.paragraph("List Bullet")
            w.strong(paragraph, f"{note.reference}: ")
            add_text(paragraph, note.text)


def _reported(partners: Sequence[str], reports: Sequence[StatusReport]) -> str:
    """``30.09.2023``; ``30.09.2023 von Jobcenter`` where another or several partners reported."""
    counted = [r for r in reports if r.status is not None]
    lines = []
    for report in counted:
        line = format_date(report.as_of)
        if report.partner not in partners or len(counted) > 1:  # several: name each
            line += f" von {report.partner}"
        lines.append(line)
    return "\n".join(dict.fromkeys(lines)) or "keine Meldung"


def _edition_annex(w: _Writer, edition: EditionChange | None) -> None:
    """The mapping from the old to the new edition, one row per link (issue 17)."""
    if edition is None:
        return
    w.heading("Anhang: Fortschreibung des Konzepts", 1)
    counts = ", ".join(
        f"{len(edition.of_kind(kind))} {kind.value}" for kind in LinkKind if edition.of_kind(kind)
    )
    w.paragraph(
        text=f"Ab dem {format_date(edition.valid_from)} gilt die neue Fassung des Konzepts "
        f"({_measures(len(edition.new.measures))}; bisher {len(edition.old.measures)}). "
        f"Die Zuordnung: {counts}. Bis dahin gemeldete Status gelten für die Nachfolger weiter; "
        "zusammengelegte Maßnahmen übernehmen den am wenigsten fortgeschrittenen."
    )
    widths = [1000, 2906, 2600, 2906]
    rows = []
    for link in edition.links:
        old = edition.old.measure(link.old_id).text if link.old_id else ""
        new = edition.new.measure(link.new_id).text if link.new_id else ""
        rows.append(
            [
                Cell(link.old_id or "–", width=widths[0]),
                Cell(old, width=widths[1]),
                Cell(f"{link.kind.value} → {link.new_id or '–'}", width=widths[2]),
                Cell(new, width=widths[3]),
            ]
        )
    w.table(
        ["bisher", "Maßnahme (bisher)", "Art → neu", "Maßnahme (neu)"],
        rows,
        widths=widths,
        caption="Fortschreibung: Zuordnung der Maßnahmen",
        description=f"{len(rows)} Zuordnungen von der bisherigen zur neuen Fassung",
    )


def _field_or_none(concept: Concept, item_id: str) -> str | None:
    try:
        return concept.field_of(item_id)
    except KeyError:
        return None


def _highlight_field(concept: Concept, highlight: Highlight) -> str | None:
    if highlight.field_code:
        return highlight.field_code
    codes = {_field_or_none(concept, m) or m.split("-", 1)[0] for m in highlight.measure_ids}
    return codes.pop() if len(codes) == 1 else None


def _properties(doc: Any, options: ReportOptions, snapshot: Snapshot) -> None:
    props = doc.core_properties
    props.title = document_title(options)
    props.subject = " – ".join(p for p in (options.title, options.subtitle) if p)
    props.author = options.publisher or options.municipality
    props.last_modified_by = "kik"
    props.language = "de-DE"
    props.keywords = "Integrationskonzept; Zwischenbericht; Maßnahmen"
    props.comments = f"Datenstand {format_date(snapshot.as_of)}"
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
    doc = open_template(options.template)
    w = _Writer(doc)
    _prerender(w, concept, snapshot)
    notes = content.notes if content is not None else ()
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
    _partners.partner_overview(w, board)
    _late_corrections(w, concept, late)
    for field in concept.fields:
        _field(w, concept, snapshot, field, by_field.get(field.code, []), notes=notes)
    for text in options.sections_back:
        w.markdown(text, base_level=1)
    if options.thanks.strip():
        w.heading("Dank", 1)
        w.markdown(options.thanks, base_level=2)
    _annex(w, concept, snapshot, notes)
    _changes_annex(w, concept, snapshot)
    _partners.decisions_annex(w, concept, snapshot)
    _partners.partner_annex(w, board)
    _edition_annex(w, edition)
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
    _properties(doc, options, snapshot)
    return doc


#: Columns of the machine-readable source list written beside the report.
SOURCES_COLUMNS = ("Maßnahme", "Status", "Partner", "Stand am", "Datei", "Zeile")


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
    writer.writerow(SOURCES_COLUMNS)
    for measure in concept.measures:
        effective = snapshot.statuses[measure.id]
        reports: list[StatusReport | None] = [r for r in effective.reports if r.status is not None]
        for r in reports or [None]:
            source = r.source if r is not None else None
            writer.writerow(
                [
                    measure.id,
                    effective.status.label,
                    r.partner if r is not None else "",
                    format_date(r.as_of) if r is not None else "",
                    Path(source.file).name if source is not None else "",
                    "" if source is None or source.row is None else source.row,
                ]
            )
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
