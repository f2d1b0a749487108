"""The presentation model: every sentence, number and label a report shows, computed once.

A renderer (the web edition in :mod:`kik_core.web`, the DOCX builder in
:mod:`kik_core.report`) lays out a :class:`Presentation`; it never counts, rounds,
formats a date or words a sentence itself. So two outputs built from the same
snapshot cannot disagree.

Everything here is plain data (frozen attrs classes of strings, numbers and
tuples): no HTML, no OOXML, no pictures. Markdown texts written by people (field
intros, goal texts, highlights) are passed through as Markdown source; each
renderer turns Markdown into its own format. Dates, numbers and plurals are
formatted by :mod:`kik_core._locale` only.

Example:
    >>> import datetime as dt
    >>> from kik_core.model import Concept, FieldOfAction, Goal, Measure, StatusReport
    >>> from kik_core.rules import build_snapshot
    >>> c = Concept("Musterstadt", "KIK", None, (FieldOfAction("BS", "Bildung"),),
    ...             (Goal("BS-1", "Ziel"),), (Measure("BS-1.1", "M1"), Measure("BS-1.2", "M2")))
    >>> r = StatusReport("BS-1.1", "implementiert", dt.date(2023, 9, 30), "vhs")
    >>> p = present(c, build_snapshot(c, [r], dt.date(2023, 9, 30)))
    >>> p.overview.sentence
    'Stand 30.09.2023: Von den 2 Maßnahmen des Integrationskonzepts ist 1 implementiert (50 %), 0 in Bearbeitung (0 %) und 1 wartend (50 %).'
    >>> p.fields[0].chart.description
    'Kreisdiagramm Umsetzungsstand Bildung: 1 implementiert (50 %), 0 in Bearbeitung (0 %), 1 wartend (50 %); insgesamt 2 Maßnahmen.'
"""  # noqa: E501 - doctest output is one line

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePath
from typing import TYPE_CHECKING

import attrs
from slugify import slugify

from kik_core._locale import (
    format_currency,
    format_date,
    format_month,
    format_signed,
)
from kik_core._locale import format_number as _format_number
from kik_core._locale import format_percent as _format_percent
from kik_core._locale import plural as _plural
from kik_core.board import format_time
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
from kik_core.rules import (
    Change,
    EffectiveStatus,
    Snapshot,
    StatusCounts,
    overdue_measures,
    priority_figures,
)

if TYPE_CHECKING:
    from kik_core.board import PartnerBoard
    from kik_core.concept_workbook import EditorialNote, ReportContent
    from kik_core.editions import EditionChange, Editions
    from kik_core.rounds import LateCorrection

__all__ = [
    "DECISIONS_ANNEX",
    "INFERRED",
    "NO_CONFLICTS_SENTENCE",
    "NO_FEEDBACK",
    "PARTNER_ANNEX",
    "SOURCES_COLUMNS",
    "STATUS_ORDER",
    "BoardView",
    "Chart",
    "ConflictView",
    "CountsView",
    "EditionView",
    "FieldView",
    "GoalTextView",
    "GoalView",
    "HighlightView",
    "HistoryPoint",
    "Labels",
    "MeasureView",
    "Overview",
    "Presentation",
    "ReportTextView",
    "StatusShare",
    "Table",
    "TextSection",
    "codes_sentence",
    "column_order",
    "concept_at",
    "conflicts_sentence",
    "count_text",
    "counts_view",
    "field_sentence",
    "measures",
    "overview_sentence",
    "present",
    "rounding_note",
    "rows_description",
    "slug",
    "sources_table",
    "status_key",
    "status_summary",
    "text_section",
    "trend_chart",
    "trend_points",
]

#: Statuses in display order (least to most advanced), as in the charts' stacks.
STATUS_ORDER: tuple[Status, ...] = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)
#: What a goal without any partner text shows.
NO_FEEDBACK = "Keine Rückmeldung"
#: What a measure no partner has reported on shows as its date.
NO_REPORT = "keine Meldung"
#: Marks a status the editors inferred from the text (concept workbook, sheet Hinweise).
INFERRED = "erschlossen"
#: The titles of the annexes on partners' reports and on the office's decisions.
PARTNER_ANNEX = "Anhang: Rückmeldungen der Partner"
DECISIONS_ANNEX = "Anhang: Entscheidungen des Integrationsbüros"
#: Columns of the machine-readable source list written beside the report.
SOURCES_COLUMNS = ("Maßnahme", "Status", "Partner", "Stand am", "Datei", "Zeile")

_UMLAUTS = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"]]

# A report formats the same few counts thousands of times (1,440 measures: ~15,000
# numbers); Babel parses its locale on every call. The same value gives the same text.
format_number = functools.lru_cache(maxsize=4096)(_format_number)
format_percent = functools.lru_cache(maxsize=512)(_format_percent)
plural = functools.lru_cache(maxsize=4096)(_plural)


def slug(value: str) -> str:
    """A file-name-safe, lower-case name: ``slug("BS-4.3") == "bs-4-3"``, ``Ü`` → ``ue``."""
    return slugify(value, replacements=_UMLAUTS) or "x"


def status_key(status: Status) -> str:
    """A stable ASCII key of a status for CSS classes and data: ``in-bearbeitung``."""
    return slug(status.value)


def measures(count: int) -> str:
    """``1 Maßnahme``, ``30 Maßnahmen``."""
    return plural(count, "Maßnahme", "Maßnahmen")


def count_text(counts: StatusCounts, status: Status) -> str:
    """``7 implementiert (23 %)``: count, label and rounded share of one status.

    A status or group outside the percentages (issue 17) says so:
    ``2 entfallen (nicht mitgezählt)``.
    """
    if status not in counts.percentages:
        return f"{format_number(counts.counts[status])} {status.label} (nicht mitgezählt)"
    return (
        f"{format_number(counts.counts[status])} {status.label} "
        f"({format_percent(counts.percentages[status])})"
    )


def status_order(counts: StatusCounts) -> tuple[Status, ...]:
    """The statuses (or summary groups) of ``counts``, least advanced first.

    For Kempten's scheme this is :data:`STATUS_ORDER`; pass counts through
    :meth:`~kik_core.rules.Snapshot.summary` first to get the scheme's groups.
    """
    return tuple(sorted(counts.counts, key=lambda s: s.position))


def _summary_order(counts: StatusCounts) -> tuple[Status, ...]:
    """Counted statuses most advanced first, then those outside the percentages."""
    counted = [s for s in status_order(counts) if s in counts.percentages]
    others = [s for s in status_order(counts) if s not in counts.percentages]
    return (*reversed(counted), *others)


def column_order(counts: StatusCounts) -> tuple[Status, ...]:
    """Table columns and chart stacks: counted statuses least advanced first, then the others."""
    counted = [s for s in status_order(counts) if s in counts.percentages]
    others = [s for s in status_order(counts) if s not in counts.percentages]
    return (*counted, *others)


def status_summary(counts: StatusCounts) -> str:
    """Every status, most advanced first, separated by commas."""
    return ", ".join(count_text(counts, s) for s in _summary_order(counts))


def _sentence(counts: StatusCounts) -> str:
    """``sind 7 implementiert (23 %), …`` with the verb agreeing (``ist 1 implementiert``)."""
    order = _summary_order(counts)
    parts = [count_text(counts, s) for s in order]
    verb = "ist" if order and counts.counts[order[0]] == 1 else "sind"
    listed = f"{', '.join(parts[:-1])} und {parts[-1]}" if len(parts) > 1 else "".join(parts)
    return f"{verb} {listed}"


def overview_sentence(snapshot: Snapshot) -> str:
    """``Stand 30.09.2023: Von den 144 Maßnahmen des Integrationskonzepts sind …``."""
    overall = snapshot.summary(snapshot.overall)
    return (
        f"Stand {format_date(snapshot.as_of)}: Von den {measures(overall.total)} des "
        f"Integrationskonzepts {_sentence(overall)}."
    )


def field_sentence(name: str, counts: StatusCounts, as_of: dt.date | None = None) -> str:
    """``Von den 30 Maßnahmen im Handlungsfeld Bildung und Sprache sind …``.

    With ``as_of`` the sentence says up to which date partners' reports count.
    """
    sentence = f"Von den {measures(counts.total)} im Handlungsfeld {name} {_sentence(counts)}"
    if as_of is not None:
        sentence += f" (Rückmeldungen der Partner bis zum {format_date(as_of)})"
    return sentence + "."


def codes_sentence(concept: Concept) -> str:
    """How to read the measures' numbers, said where the report first uses them.

    ``Die Maßnahmen tragen das Kürzel ihres Handlungsfelds (BS = Bildung, …): BS-1.2
    ist zum Beispiel Maßnahme 2 zu Ziel 1 im Handlungsfeld Bildung.``; a concept
    with free-form numbers (issue 17) names its levels instead. ``""`` without fields.
    """
    if not concept.fields:
        return ""
    if concept.free_numbers:
        return (
            "Ziele und Maßnahmen tragen die Nummern des Konzepts; es gliedert sich in "
            + " → ".join(concept.levels)
            + "."
        )
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
    return text + "."


def _uneven_rounding(rows: Sequence[StatusCounts]) -> tuple[int, int, int, int] | None:
    """Equal counts of equal totals shown with different percentages, if any.

    Returns ``(count, total, smaller %, larger %)`` of the first such case.
    """
    seen: dict[tuple[int, int], int] = {}
    for row in rows:
        for status in sorted(row.percentages, key=lambda s: s.position):
            key = (row.counts[status], row.counted_total)
            if key[0] == 0:
                continue
            percent = row.percentages[status]
            other = seen.setdefault(key, percent)
            if other != percent:
                return key[0], key[1], min(other, percent), max(other, percent)
    return None


def rounding_note(rows: Sequence[StatusCounts]) -> str:
    """Why the same count may show two percentages (largest remainders), or ``""``."""
    found = _uneven_rounding(rows)
    if found is None:
        return ""
    count, total, low, high = found
    return (
        "Hinweis zu den Prozentwerten: Sie sind so gerundet, dass jede Zeile zusammen 100 % "
        "ergibt (Verfahren der größten Reste). Deshalb kann dieselbe Anzahl unterschiedlich "
        f"gerundet erscheinen, hier etwa {count} von {total} als {low} % und als {high} %."
    )


def rows_description(caption: str, count: int) -> str:
    """The short description of a table written in Markdown: ``Caption (3 Zeilen)``."""
    return f"{caption} ({plural(count, 'Zeile', 'Zeilen')})"


# --------------------------------------------------------------------------- value objects


@attrs.frozen
class StatusShare:
    """One status of a set of measures: its count, rounded share and texts."""

    status: Status
    key: str
    label: str
    count: int
    percent: int | None  # None: a group outside the percentages (issue 17)
    text: str


@attrs.frozen
class CountsView:
    """Counts per status (least advanced first), their total and the summary text."""

    total: int
    total_text: str
    shares: tuple[StatusShare, ...]
    summary: str
    sentence: str
    #: The counts themselves, for a renderer that draws a picture of them.
    source: StatusCounts = attrs.field(eq=False, repr=False)

    def share(self, status: Status) -> StatusShare:
        """The share of one status."""
        return next(s for s in self.shares if s.status == status)


def counts_view(counts: StatusCounts) -> CountsView:
    """Turn a :class:`~kik_core.rules.StatusCounts` into display values."""
    shares = tuple(
        StatusShare(
            status=s,
            key=status_key(s),
            label=s.label,
            count=counts.counts[s],
            percent=counts.percentages.get(s),
            text=count_text(counts, s),
        )
        for s in status_order(counts)
    )
    return CountsView(
        total=counts.total,
        total_text=measures(counts.total),
        shares=shares,
        summary=status_summary(counts),
        sentence=_sentence(counts),
        source=counts,
    )


@attrs.frozen
class Table:
    """A data table: caption, short description, header and rows of display text.

    ``strong`` holds the indexes of rows to emphasise (goal rows, the total).
    """

    caption: str
    description: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    strong: frozenset[int] = frozenset()


@attrs.frozen
class Chart:
    """A status chart: what it shows, its text alternative and its data table.

    ``kind`` is ``donut`` (one set of measures), ``bars`` (horizontal 100 % bars,
    one per field) or ``columns`` (vertical 100 % bars, one per date).
    """

    kind: str
    title: str
    description: str
    labels: tuple[str, ...]
    series: tuple[CountsView, ...]
    table: Table
    #: The description's lead and one item per bar (bars and columns), so that a
    #: renderer drawing the bars on several pictures describes each part alike.
    lead: str = ""
    items: tuple[str, ...] = ()
    #: A sentence introducing the chart ("" for none).
    intro: str = ""

    def part_description(self, indexes: Sequence[int], number: int = 1, parts: int = 1) -> str:
        """The description of the bars ``indexes`` shown as part ``number`` of ``parts``.

        With one part and every bar this is :attr:`description`.
        """
        part = "" if parts == 1 else f" (Teil {number} von {parts})"
        return f"{self.lead}{part}: " + "; ".join(self.items[i] for i in indexes) + "."


@attrs.frozen
class HistoryPoint:
    """A measure's status at one reporting date."""

    as_of: dt.date
    date_text: str
    status: Status
    key: str
    label: str
    changed: bool
    regression: bool


@attrs.frozen
class ReportTextView:
    """A partner's texts on a measure or goal (Markdown source) with who and when."""

    partner: str
    as_of: dt.date
    source: str
    current_state: str
    outlook: str


@attrs.frozen
class GoalTextView:
    """A goal's "Aktueller Stand" or "Ausblick": the texts of every partner, or none."""

    title: str
    texts: tuple[ReportTextView, ...]
    attribute: str
    empty_text: str = NO_FEEDBACK
    #: The heading naming the goal too: ``Ziel 1 – Aktueller Stand``.
    heading: str = ""

    @property
    def named(self) -> bool:
        """Whether each text names its partner (several partners wrote on the goal)."""
        return len(self.texts) > 1

    @property
    def written(self) -> tuple[tuple[str, str], ...]:
        """(source line, Markdown) of each partner that wrote this part."""
        return tuple(
            (t.source, getattr(t, self.attribute))
            for t in self.texts
            if getattr(t, self.attribute).strip()
        )


@attrs.frozen
class ConflictView:
    """Partners reported different statuses for one measure on the same date."""

    date_text: str
    lines: tuple[str, ...]
    counted_as: str
    note: str


@attrs.frozen
class MeasureView:
    """Everything a measure's page and its row in lists show."""

    id: str
    number: str
    slug: str
    text: str
    field_code: str
    field_name: str
    field_slug: str
    goal_id: str
    goal_number: int | str
    goal_text: str
    group: str
    partners: tuple[str, ...]
    partners_text: str
    status: Status
    status_key: str
    status_label: str
    reported: bool
    as_of_text: str
    status_line: str
    reports: tuple[ReportTextView, ...]
    conflict: ConflictView | None
    history: tuple[HistoryPoint, ...]
    history_table: Table | None
    goal_texts: tuple[GoalTextView, ...]
    search_text: str
    attributes: MeasureAttributesView | None = None  # issue 17: set by with_attributes
    #: after a Fortschreibung: "Hervorgegangen aus BS-1.1 (umbenannt; ...)"; else empty
    origin: str = ""
    #: The status as tables show it: ``implementiert (erschlossen)`` where inferred.
    status_text: str = ""
    #: ``BS-1.1 Sprachkurse – implementiert``: the measure in a goal's list.
    line: str = ""
    #: ``vhs (federführend), Caritas``.
    responsible_text: str = ""
    #: When the counted status was reported, with the partner where another reported.
    reported_text: str = ""


@attrs.frozen
class GoalView:
    """A goal with its measures, counts and partner texts."""

    id: str
    number: int | str
    heading: str
    text: str
    counts: CountsView
    measures: tuple[MeasureView, ...]
    texts: tuple[GoalTextView, ...]  # empty: no goal texts (a two-level concept's field)
    #: ``Ziel 1``: the level's name and the goal's number.
    name: str = ""
    #: ``3 von 5 implementiert``: the goal row's summary ("" for a goal without measures).
    done_text: str = ""
    #: The group of the goal's first measure (tables with a group column).
    group: str = ""
    #: The measures sit directly under the field (a two-level concept): no goal row.
    direct: bool = False

    @property
    def anchor(self) -> str:
        """An HTML id part for the goal: ``bs-4``, ``1-1-2`` (free-form numbers, issue 17)."""
        return slug(self.id)


@attrs.frozen
class HighlightView:
    """A highlight project (Markdown text) and the measures it covers."""

    title: str
    organisation: str
    text: str
    measures: tuple[tuple[str, str, str], ...]
    """(id, slug, text) of each covered measure the concept knows."""
    lines: tuple[str, ...] = ()
    """``BS-1.1 Sprachkurse`` for each covered measure."""


@attrs.frozen
class FieldView:
    """A field of action: intro (Markdown), counts, chart, goals, highlights."""

    code: str
    name: str
    heading: str
    slug: str
    intro: str
    counts: CountsView
    sentence: str
    chart: Chart
    table_caption: str
    table_description: str
    grouped: bool
    goals: tuple[GoalView, ...]
    highlights: tuple[HighlightView, ...]
    priorities: PriorityView | None = None  # issue 17: set by with_attributes
    #: The editors' notes on the field (sheet Hinweise).
    notes: tuple[str, ...] = ()
    rounding_note: str = ""


@attrs.frozen
class TextSection:
    """A text of the report written by the office (Markdown), e.g. the foreword.

    ``title`` comes from the text's first ``# `` heading (which is then not part of
    ``markdown``), else from the default the section was given.
    """

    title: str
    slug: str
    markdown: str
    author: str = ""
    #: Whether the title came from the text (else it is the default).
    titled: bool = True
    #: Where the report places it: ``foreword``, ``front`` (before the overview) or ``back``.
    part: str = "front"


def text_section(
    text: str, default_title: str, author: str = "", *, part: str = "front"
) -> TextSection:
    """Split a Markdown text into its title (a leading ``# `` line) and body."""
    body = text.strip()
    first, _, rest = body.partition("\n")
    title = default_title
    titled = first.startswith("# ")
    if titled:
        title, body = first[2:].strip(), rest.strip()
    return TextSection(
        title=title, slug=slug(title), markdown=body, author=author, titled=titled, part=part
    )


@attrs.frozen
class Overview:
    """The overview section: sentence, charts, changes, conflicts, highlights."""

    sentence: str
    counts: CountsView
    chart: Chart
    trend: Chart | None
    changes_sentence: str
    changes_table: Table | None
    regressions: tuple[str, ...]
    changes_annex: Table | None
    conflicts_sentence: str
    conflicts_table: Table | None
    highlights: tuple[HighlightView, ...]
    late_sentence: str = ""
    late_table: Table | None = None
    priorities: PriorityView | None = None  # issue 17: set by with_attributes
    overdue: OverdueView | None = None  # issue 17: set by with_attributes
    as_of_text: str = ""
    codes_sentence: str = ""
    rounding_note: str = ""
    #: Where the full list of changes is, for an output that puts it in an annex.
    changes_annex_note: str = ""
    #: The sentence introducing the list of every change.
    changes_annex_sentence: str = ""

    def chart_intro(self, parts: int = 1) -> str:
        """The sentence before the overview chart, drawn as ``parts`` pictures."""
        lead = (
            "Das Diagramm und die Tabelle zeigen"
            if parts == 1
            else f"Die {parts} Diagramme und die Tabelle zeigen"
        )
        return (
            f"{lead} den Umsetzungsstand je Handlungsfeld, gezählt aus den Rückmeldungen "
            f"der Partner bis zum {self.as_of_text}."
        )


@attrs.frozen
class EditionView:
    """Where the report spans a new edition of the concept: the mapping (issue 17)."""

    sentence: str
    table: Table


@attrs.frozen
class BoardView:
    """Who has reported this round (drafts): the overview's sentence and the annex."""

    sentence: str
    annex_sentence: str
    table: Table


@attrs.frozen
class Labels:
    """The headings and labels of the report's sections, the same in every output."""

    contents: str = "Inhalt"
    overview: str = "Umsetzungsstand im Überblick"
    changes: str = "Veränderungen seit dem letzten Bericht"
    regressions: str = "Rückschritte"
    conflicts: str = "Offene Konflikte zwischen Partnern"
    late: str = "Nachträgliche Korrekturen"
    partners: str = "Rückmeldungen der Partner"
    goals_and_measures: str = "Ziele und Maßnahmen"
    field_status: str = "Umsetzungsstand"
    highlights: str = "Highlights"
    highlight_measures: str = "Zu den Maßnahmen:"
    goal_texts: str = "Stand der Ziele"
    goal_measures: str = "Maßnahmen:"
    field_note: str = "Hinweis der Redaktion:"
    thanks: str = "Dank"
    annex: str = "Anhang: Alle Maßnahmen und ihre letzte Meldung"
    notes: str = "Hinweise der Redaktion"
    changes_annex: str = "Anhang: Alle Veränderungen seit dem letzten Bericht"
    edition_annex: str = "Anhang: Fortschreibung des Konzepts"


@attrs.frozen
class Presentation:
    """The whole report as display values; what every renderer lays out."""

    municipality: str
    title: str
    subtitle: str
    period_label: str
    publisher: str
    as_of: dt.date
    as_of_text: str
    as_of_long: str
    previous_text: str
    status_labels: tuple[tuple[str, str], ...]
    overview: Overview
    fields: tuple[FieldView, ...]
    measures: tuple[MeasureView, ...]
    partners: tuple[str, ...]
    timeline: Table | None
    key_figures_sentence: str
    key_figures: Table | None
    history_dates: tuple[str, ...]
    texts: tuple[TextSection, ...] = ()
    thanks: str = ""
    #: The one source of every key figure, said under the table ("" for several).
    key_figures_source: str = ""
    #: Facts of the title page: (label, value), only those with a value.
    facts: tuple[tuple[str, str], ...] = ()
    #: The document's title (properties): ``Kempten (Allgäu): KIK-Zwischenbericht Dezember 2023``.
    document_title: str = ""
    document_subject: str = ""
    document_comments: str = ""
    #: The annex of every measure with its status and report.
    annex_sentence: str = ""
    annex: Table | None = None
    #: The editors' notes on goals and measures: (lead ``AA-3.1: ``, text).
    notes: tuple[tuple[str, str], ...] = ()
    decisions_sentence: str = ""
    decisions: Table | None = None
    board: BoardView | None = None
    edition: EditionView | None = None
    labels: Labels = Labels()

    def measure(self, measure_id: str) -> MeasureView:
        """The view of one measure (``KeyError`` if there is none)."""
        for view in self.measures:
            if view.id == measure_id:
                return view
        raise KeyError(measure_id)


# --------------------------------------------------------------------------- builders


def _counts_table(
    caption: str,
    description: str,
    first: str,
    labels: Sequence[str],
    rows: Sequence[StatusCounts],
    *,
    total_last: bool,
    total_column_last: bool = False,
) -> Table:
    """Counts per status: the columns in :func:`column_order` of the last row.

    A status outside the percentages shows its count only (no share).
    """
    order = column_order(rows[-1]) if rows else STATUS_ORDER
    body = []
    for label, r in zip(labels, rows, strict=True):
        cells = tuple(
            f"{format_number(r.counts[s])} ({format_percent(r.percentages[s])})"
            if s in r.percentages
            else format_number(r.counts[s])  # the sentences say it is not counted
            for s in order
        )
        total = format_number(r.total)
        body.append((label, *cells, total) if total_column_last else (label, total, *cells))
    labels_ = tuple(s.label for s in order)
    header = (first, *labels_, "Maßnahmen") if total_column_last else (first, "Maßnahmen", *labels_)
    return Table(
        caption=caption,
        description=description,
        header=header,
        rows=tuple(body),
        strong=frozenset({len(body) - 1}) if total_last else frozenset(),
    )


def _donut(name: str, counts: StatusCounts) -> Chart:
    description = (
        f"Kreisdiagramm Umsetzungsstand {name}: {status_summary(counts)}; "
        f"insgesamt {measures(counts.total)}."
    )
    return Chart(
        kind="donut",
        title=f"Umsetzungsstand: {name}",
        description=description,
        labels=(name,),
        series=(counts_view(counts),),
        table=_counts_table(
            f"Umsetzungsstand {name} in Zahlen",
            f"Anzahl und Anteil der Maßnahmen je Status im Handlungsfeld {name}",
            "Handlungsfeld",
            [name],
            [counts],
            total_last=False,
        ),
    )


def _overview_chart(concept: Concept, snapshot: Snapshot) -> Chart:
    names = [f.name for f in concept.fields] + ["Gesamt"]
    rows = [snapshot.summary(c) for c in (*(snapshot.by_field[f.code] for f in concept.fields),)]
    rows.append(snapshot.summary(snapshot.overall))
    lead = "Balkendiagramm Umsetzungsstand je Handlungsfeld"
    items = tuple(
        f"{n}: {status_summary(r)}, insgesamt {measures(r.total)}"
        for n, r in zip(names, rows, strict=True)
    )
    return Chart(
        kind="bars",
        title="Umsetzungsstand je Handlungsfeld",
        description=f"{lead}: " + "; ".join(items) + ".",
        lead=lead,
        items=items,
        labels=tuple(names),
        series=tuple(counts_view(r) for r in rows),
        table=_counts_table(
            "Umsetzungsstand je Handlungsfeld",
            "Anzahl und Anteil der Maßnahmen je Status und Handlungsfeld, letzte Zeile Gesamt: "
            + status_summary(snapshot.summary(snapshot.overall)),
            "Handlungsfeld",
            names,
            rows,
            total_last=True,
        ),
    )


def trend_points(snapshot: Snapshot, history: Sequence[Snapshot]) -> list[Snapshot]:
    """The snapshots a trend shows: one per date, up to ``snapshot``, oldest first."""
    by_date = {s.as_of: s for s in history}
    by_date[snapshot.as_of] = snapshot
    return [by_date[d] for d in sorted(by_date) if d <= snapshot.as_of]


def trend_chart(points: Sequence[Snapshot]) -> Chart | None:
    """The trend chart over ``points`` (None with fewer than two): DOCX and web."""
    if len(points) < 2:
        return None
    labels = [format_date(p.as_of) for p in points]
    lead = "Balkendiagramm Entwicklung des Umsetzungsstands"
    items = tuple(
        f"{d}: {status_summary(p.summary(p.overall))}" for d, p in zip(labels, points, strict=True)
    )
    return Chart(
        kind="columns",
        title="Entwicklung über die Berichtszeitpunkte",
        description=f"{lead}: " + "; ".join(items) + ".",
        labels=tuple(labels),
        series=tuple(counts_view(p.summary(p.overall)) for p in points),
        table=_counts_table(
            "Entwicklung des Umsetzungsstands",
            f"Anzahl und Anteil der Maßnahmen je Status an {len(points)} Stichtagen",
            "Stichtag",
            labels,
            [p.summary(p.overall) for p in points],
            total_last=False,
            total_column_last=True,
        ),
        lead=lead,
        items=items,
        intro="Das Diagramm zeigt den Umsetzungsstand aller Maßnahmen zu jedem Stichtag, "
        "gezählt aus den Rückmeldungen der Partner bis zu diesem Tag.",
    )


@attrs.frozen
class _Changes:
    sentence: str = ""
    table: Table | None = None
    regressions: tuple[str, ...] = ()
    annex: Table | None = None
    annex_note: str = ""
    annex_sentence: str = ""


def _changes(concept: Concept, snapshot: Snapshot) -> _Changes:
    if snapshot.previous is None:
        return _Changes()
    since = format_date(snapshot.previous)
    changes = snapshot.changes
    regressions = [c for c in changes if c.is_regression]
    if not changes:
        return _Changes(f"Seit dem {since} hat sich der Status keiner Maßnahme verändert.")
    sentence = f"Seit dem {since} hat sich der Status von {measures(len(changes))} verändert" + (
        f", davon {plural(len(regressions), 'Rückschritt', 'Rückschritte')}."
        if regressions
        else "."
    )
    rows = []
    for field in [*concept.fields, None]:
        moved = [
            c for c in changes if field is None or concept.field_of(c.measure_id) == field.code
        ]
        rows.append(
            (
                "Gesamt" if field is None else field.name,
                format_number(sum(not c.is_regression for c in moved)),
                format_number(sum(c.is_regression for c in moved)),
                format_number(sum(snapshot.scheme.is_done(c.after) for c in moved)),
            )
        )
    summary = Table(
        caption="Veränderungen je Handlungsfeld",
        description=f"Fortschritte und Rückschritte je Handlungsfeld seit {since}",
        header=(
            "Handlungsfeld",
            "Fortschritte",
            "Rückschritte",
            f"neu {snapshot.scheme.done_group.name}",
        ),
        rows=tuple(rows),
        strong=frozenset({len(rows) - 1}),
    )
    lines = tuple(
        f"{c.measure_id} ({c.before.label} → {c.after.label}): {concept.measure(c.measure_id).text}"
        for c in regressions
    )
    annex = Table(
        caption="Veränderungen seit dem letzten Bericht",
        description=f"{measures(len(changes))} mit neuem Status seit {since}, davon "
        f"{plural(len(regressions), 'Rückschritt', 'Rückschritte')}",
        header=("Nr.", "Maßnahme", "vorher", "jetzt", "Richtung"),
        rows=tuple(
            (
                c.measure_id,
                concept.measure(c.measure_id).text,
                c.before.label,
                c.after.label,
                _direction(c),
            )
            for c in changes
        ),
        strong=frozenset(i for i, c in enumerate(changes) if c.is_regression),
    )
    return _Changes(
        sentence,
        summary,
        lines,
        annex,
        annex_note="Die vollständige Liste steht im Anhang „Alle Veränderungen“.",
        annex_sentence=f"Alle Maßnahmen, deren Status sich zwischen dem {since} "
        f"und dem {format_date(snapshot.as_of)} verändert hat.",
    )


def _direction(change: Change) -> str:
    return "Rückschritt" if change.is_regression else "Fortschritt"


_CONFLICT_NOTE = (
    "Bei diesen Maßnahmen haben Partner am selben Tag unterschiedliche Status gemeldet. "
    "Gezählt wird der am wenigsten fortgeschrittene Status, bis die Partner sich abstimmen."
)
#: The overview's sentence when no partners contradict each other (DOCX and web).
NO_CONFLICTS_SENTENCE = "Widersprüchliche Meldungen von Partnern gibt es zu diesem Stand nicht."


def conflicts_sentence(count: int) -> str:
    """The sentence introducing ``count`` open conflicts (DOCX and web say the same)."""
    return (
        f"Es gibt {plural(count, 'offenen Widerspruch', 'offene Widersprüche')}: "
        f"Bei {'dieser Maßnahme' if count == 1 else 'diesen Maßnahmen'} haben Partner am selben "
        "Tag unterschiedliche Status gemeldet. Gezählt wird der am wenigsten "
        "fortgeschrittene Status, bis die Partner sich abstimmen."
    )


def _conflicts(concept: Concept, snapshot: Snapshot) -> tuple[str, Table | None]:
    if not snapshot.conflicts:
        return NO_CONFLICTS_SENTENCE, None
    table = Table(
        caption="Offene Konflikte zwischen Partnern",
        description=f"{measures(len(snapshot.conflicts))} mit widersprüchlichen Meldungen",
        header=("Nr.", "Maßnahme", "Datum", "Partner → Status", "gezählt als"),
        rows=tuple(
            (
                c.measure_id,
                concept.measure(c.measure_id).text,
                format_date(c.as_of),
                "\n".join(f"{p} → {s.label}" for p, s in c.statuses.items()),
                snapshot.status_of(c.measure_id).label,
            )
            for c in snapshot.conflicts
        ),
    )
    return conflicts_sentence(len(snapshot.conflicts)), table


def _target_text(concept: Concept, target_id: str, earlier: Sequence[Concept] = ()) -> str:
    """The text of a measure or goal; an id only an earlier edition has is looked up there."""
    for edition in (concept, *reversed(earlier)):
        if not edition.has_id(target_id):
            continue
        if edition.is_measure(target_id):
            return edition.measure(target_id).text
        if edition.is_goal(target_id):
            return edition.goal(target_id).text
    return "–"


def _late(
    concept: Concept, late: Sequence[LateCorrection], earlier: Sequence[Concept] = ()
) -> tuple[str, Table | None]:
    """Reports for issued rounds that arrived after the issue (rule 4 of the rounds).

    ``earlier``: the concept's earlier editions, oldest first, for late reports on a
    number a *Fortschreibung* dropped.
    """
    if not late:
        return "", None
    rounds = sorted({c.round_stichtag for c in late})
    sentence = (
        "Diese Meldungen betreffen bereits herausgegebene Berichte (Stichtag "
        + ", ".join(format_date(d) for d in rounds)
        + "). Sie kamen erst nach der Herausgabe an. Die herausgegebenen Berichte "
        "bleiben unverändert; in diesem Bericht sind die Meldungen berücksichtigt, "
        "soweit keine neuere Meldung vorliegt."
    )
    table = Table(
        caption="Nachträgliche Korrekturen",
        description=f"{len(late)} Meldungen, die nach der Herausgabe eines Berichts eingingen",
        header=("Nr.", "Maßnahme", "gemeldet", "Stand am", "Partner", "Bericht vom"),
        rows=tuple(
            (
                c.report.target_id,
                _target_text(concept, c.report.target_id, earlier),
                c.report.status.label if c.report.status else "Text zum Ziel",
                format_date(c.report.as_of),
                c.report.partner,
                format_date(c.round_stichtag),
            )
            for c in late
        ),
    )
    return sentence, table


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


def _highlight(concept: Concept, highlight: Highlight) -> HighlightView:
    known = [m for m in highlight.measure_ids if concept.has_id(m)]
    return HighlightView(
        title=highlight.title,
        organisation=highlight.organisation,
        text=highlight.text,
        measures=tuple((m, slug(m), concept.measure(m).text) for m in known),
        lines=tuple(f"{m} {concept.measure(m).text}" for m in known),
    )


def _report_text(partner: str, as_of: dt.date, current: str, outlook: str) -> ReportTextView:
    return ReportTextView(
        partner=partner,
        as_of=as_of,
        source=f"{partner}, Stand {format_date(as_of)}:",
        current_state=current,
        outlook=outlook,
    )


def _goal_name(concept: Concept, goal: Goal) -> str:
    """``Ziel 1``: the level's name and the goal's number."""
    return f"{concept.level_name(goal.id)} {goal.number}"


def _goal_texts(snapshot: Snapshot, goal_id: str, name: str = "") -> tuple[GoalTextView, ...]:
    texts = tuple(
        _report_text(t.partner, t.as_of, t.current_state, t.outlook)
        for t in snapshot.goal_texts.get(goal_id, ())
    )
    return tuple(
        GoalTextView(title, texts, attribute, heading=f"{name} – {title}")
        for title, attribute in (("Aktueller Stand", "current_state"), ("Ausblick", "outlook"))
    )


def _history(
    measure_id: str,
    points: Sequence[Snapshot],
    carried: Mapping[dt.date, Mapping[str, Status]] | None = None,
) -> tuple[HistoryPoint, ...]:
    result: list[HistoryPoint] = []
    previous: Status | None = None
    for point in points:
        if measure_id in point.statuses:
            status = point.status_of(measure_id)
        elif carried is not None and measure_id in carried.get(point.as_of, {}):
            status = carried[point.as_of][measure_id]  # an earlier edition: its predecessors
        else:
            continue  # the measure was added to the concept after this date
        result.append(
            HistoryPoint(
                as_of=point.as_of,
                date_text=format_date(point.as_of),
                status=status,
                key=status_key(status),
                label=status.label,
                changed=previous is not None and status != previous,
                regression=previous is not None and status < previous,
            )
        )
        previous = status
    return tuple(result)


def _history_table(measure: Measure, history: Sequence[HistoryPoint]) -> Table | None:
    if len(history) < 2:
        return None
    rows = []
    for point in history:
        change = "–"
        if point.regression:
            change = "Rückschritt"
        elif point.changed:
            change = "Fortschritt"
        rows.append((point.date_text, point.label, change))
    return Table(
        caption=f"Verlauf der Maßnahme {measure.id}",
        description=f"Status der Maßnahme {measure.id} an {len(history)} Stichtagen",
        header=("Stichtag", "Status", "Veränderung"),
        rows=tuple(rows),
    )


def _responsible(measure: Measure) -> str:
    """``"vhs (federführend), Caritas"``: the lead partner marked, then the contributors."""
    lead = [f"{measure.lead} (federführend)"] if measure.lead else []
    return ", ".join([*lead, *measure.partners]) or "–"


def _reported(partners: Sequence[str], reports: Sequence[StatusReport]) -> str:
    """``30.09.2023``; ``30.09.2023 von Jobcenter`` where another or several partners reported."""
    counted = [r for r in reports if r.status is not None]
    lines = []
    for report in counted:
        line = format_date(report.as_of)
        if report.partner not in partners or len(counted) > 1:  # several: name each
            line += f" von {report.partner}"
        lines.append(line)
    return "\n".join(dict.fromkeys(lines)) or NO_REPORT


def _measure(
    concept: Concept,
    snapshot: Snapshot,
    measure: Measure,
    points: Sequence[Snapshot],
    goal_texts: tuple[GoalTextView, ...],
    *,
    carried: Mapping[dt.date, Mapping[str, Status]] | None = None,
    origin: str = "",
    inferred: bool = False,
) -> MeasureView:
    effective: EffectiveStatus = snapshot.statuses[measure.id]
    field = concept.field(concept.field_of(measure.id))
    goal = concept.goal(measure.goal_id) if concept.is_goal(measure.goal_id) else None
    status = effective.status
    as_of_text = format_date(effective.as_of) if effective.as_of else NO_REPORT
    if effective.reported:
        reporters = ", ".join(dict.fromkeys(r.partner for r in effective.reports))
        status_line = f"{status.label}, gemeldet am {as_of_text} von {reporters}"
    else:
        status_line = f"{status.label} (bisher keine Meldung; gezählt als {status.label})"
    conflict = None
    if effective.conflict is not None:
        conflict = ConflictView(
            date_text=format_date(effective.conflict.as_of),
            lines=tuple(f"{p} → {s.label}" for p, s in effective.conflict.statuses.items()),
            counted_as=status.label,
            note=_CONFLICT_NOTE,
        )
    reports = tuple(
        _report_text(r.partner, r.as_of, r.current_state, r.outlook)
        for r in effective.reports
        if r.current_state.strip() or r.outlook.strip()
    )
    history = _history(measure.id, points, carried)
    partners_text = ", ".join(measure.partners) or "–"
    search = " ".join(
        [
            measure.id,
            measure.text,
            field.name,
            goal.text if goal else "",
            measure.group or "",
            *measure.partners,
        ]
    )
    return MeasureView(
        id=measure.id,
        number=measure.number,
        slug=slug(measure.id),
        text=measure.text,
        field_code=field.code,
        field_name=field.name,
        field_slug=slug(field.code),
        goal_id=goal.id if goal else "",
        goal_number=goal.number if goal else "",
        goal_text=goal.text if goal else "",
        group=measure.group or "",
        partners=measure.partners,
        partners_text=partners_text,
        status=status,
        status_key=status_key(status),
        status_label=status.label,
        reported=effective.reported,
        as_of_text=as_of_text,
        status_line=status_line,
        reports=reports,
        conflict=conflict,
        history=history,
        history_table=_history_table(measure, history),
        goal_texts=goal_texts,
        search_text=search.lower(),
        origin=origin,
        status_text=f"{status.label} ({INFERRED})" if inferred else status.label,
        line=f"{measure.id} {measure.text} – {status.label}",
        responsible_text=_responsible(measure),
        reported_text=_reported(measure.responsible, effective.reports),
    )


def _field(
    concept: Concept,
    snapshot: Snapshot,
    field: FieldOfAction,
    views: dict[str, MeasureView],
    goal_texts: dict[str, tuple[GoalTextView, ...]],
    *,
    highlights: Iterable[Highlight],
    notes: Sequence[str] = (),
) -> FieldView:
    counts = snapshot.summary(snapshot.by_field[field.code])
    raw = snapshot.by_field[field.code]
    under = _goals_under(concept, field.code)
    goals: tuple[GoalView, ...] = ()
    direct = concept.direct_measures_of(field.code)
    if direct:  # a two-level concept (issue 17): the measures sit directly under the field
        goals += (
            GoalView(
                id=field.code,
                number=field.code,
                heading=f"Handlungsfeld {field.name}",
                text=field.name,
                counts=counts_view(counts),
                measures=tuple(views[m.id] for m in direct),
                texts=(),
                name=f"Handlungsfeld {field.name}",
                direct=True,
            ),
        )
    goals += tuple(_goal_view(concept, snapshot, g, views, goal_texts) for g in under)
    return FieldView(
        code=field.code,
        name=field.name,
        heading=f"Handlungsfeld {field.name}",
        slug=slug(field.code),
        intro=field.intro,
        counts=counts_view(counts),
        sentence=field_sentence(field.name, counts, snapshot.as_of),
        chart=_donut(field.name, counts),
        table_caption=f"Ziele und Maßnahmen im Handlungsfeld {field.name}",
        table_description=(
            f"{plural(len(under), 'Ziel', 'Ziele')} (fett) mit ihren {measures(raw.total)}; "
            f"je Maßnahme steht der Status in der letzten Spalte: {status_summary(raw)}"
        ),
        grouped=any(m.group for m in concept.measures_of(field.code)),
        goals=goals,
        highlights=tuple(_highlight(concept, h) for h in highlights),
        notes=tuple(notes),
        rounding_note=rounding_note([counts]),
    )


def _goal_view(
    concept: Concept,
    snapshot: Snapshot,
    goal: Goal,
    views: dict[str, MeasureView],
    goal_texts: dict[str, tuple[GoalTextView, ...]],
) -> GoalView:
    below = concept.measures_of(goal.id)  # at any depth
    done_group = snapshot.scheme.done_group
    raw = snapshot.by_goal.get(goal.id)
    done = sum(
        n
        for s, n in (raw.counts.items() if raw is not None else ())
        if snapshot.scheme.group_of(s) == done_group
    )
    return GoalView(
        id=goal.id,
        number=goal.number,
        heading=f"{_goal_name(concept, goal)}: {goal.text}",
        text=goal.text,
        counts=counts_view(snapshot.summary(snapshot.by_goal[goal.id])),
        measures=tuple(views[m.id] for m in concept.direct_measures_of(goal.id)),
        texts=goal_texts[goal.id],
        name=_goal_name(concept, goal),
        done_text=f"{done} von {len(below)} {done_group.name}" if below else "",
        group=(below[0].group or "") if below else "",
    )


def _goals_under(concept: Concept, code: str) -> list[Goal]:
    """Every goal under a field, at any depth, in tree order (issue 17)."""
    found: list[Goal] = []
    for goal in concept.goals_of(code):
        found.append(goal)
        found.extend(_goals_under(concept, goal.id))
    return found


def _indicator_value(indicator: Indicator | None) -> str:
    if indicator is None:
        return "–"
    unit = f" {indicator.unit}" if indicator.unit else ""
    return f"{format_number(indicator.value)}{unit}"


def _indicator_change(first: Indicator, last: Indicator) -> str:
    decimals = 0 if (float(first.value).is_integer() and float(last.value).is_integer()) else 1
    unit = "Prozentpunkte" if first.unit.strip() == "%" else first.unit
    return format_signed(last.value - first.value, unit, decimals)


def _key_figures(content: ReportContent | None) -> tuple[str, Table | None, str]:
    """The sentence, the table and, where every figure has the same source, that source."""
    if content is None or not content.indicators:
        return "", None, ""
    by_name: dict[str, dict[dt.date, Indicator]] = {}
    for indicator in content.indicators:
        by_name.setdefault(indicator.name, {})[indicator.as_of] = indicator
    dates = sorted({i.as_of for i in content.indicators})
    sentence = (
        (
            "Die Kennzahlen zeigen die Entwicklung der Bevölkerung zu den Stichtagen "
            if len(dates) > 1
            else "Die Kennzahlen zeigen die Bevölkerung zum Stichtag "
        )
        + " und ".join(format_date(d) for d in dates)
        + "."
    )
    all_sources = list(dict.fromkeys(i.source for i in content.indicators if i.source))
    per_row = len(all_sources) > 1  # one source for all: a sentence under the table
    rows = []
    for name, values in by_name.items():
        ordered = [values[d] for d in sorted(values)]
        change = _indicator_change(ordered[0], ordered[-1]) if len(ordered) > 1 else "–"
        sources = "; ".join(dict.fromkeys(i.source for i in ordered if i.source))
        rows.append(
            (
                name,
                *(_indicator_value(values.get(d)) for d in dates),
                change,
                *([sources] if per_row else []),
            )
        )
    single = all_sources[0] if len(all_sources) == 1 else ""
    table = Table(
        caption="Kennzahlen",
        description=f"{plural(len(rows), 'Kennzahl', 'Kennzahlen')} zu "
        f"{plural(len(dates), 'Stichtag', 'Stichtagen')} mit Veränderung"
        + (f"; Quelle: {single}" if single else ""),
        header=(
            "Kennzahl",
            *(f"Stand {format_date(d)}" for d in dates),
            "Veränderung",
            *(["Quelle"] if per_row else []),
        ),
        rows=tuple(rows),
    )
    return sentence, table, f"Quelle: {single}" if single else ""


def _timeline(content: ReportContent | None) -> Table | None:
    if content is None or not content.timeline:
        return None
    return Table(
        caption="Zeitliche Umsetzung",
        description=f"Zeitleiste der Umsetzung mit {len(content.timeline)} Schritten",
        header=("Zeitpunkt", "Schritt"),
        rows=tuple((e.when, e.text) for e in content.timeline),
    )


def _annex(
    concept: Concept, snapshot: Snapshot, views: dict[str, MeasureView], inferred: bool
) -> tuple[str, Table]:
    """Every measure with its status, who is responsible and when it was reported."""
    sentence = (
        f"Für jede Maßnahme: ihr Status am {format_date(snapshot.as_of)}, die verantwortlichen "
        "Partner und das Datum ihrer Meldung; hat ein anderer Partner gemeldet, steht sein "
        "Name dabei. Datei und Zeile jeder Meldung stehen in der Quellenliste (CSV) neben "
        "dem Bericht."
    )
    if inferred:
        sentence += (
            f" „{INFERRED}“: Die Quelle nennt diesen Status nicht ausdrücklich; die Redaktion "
            "hat ihn aus dem Text erschlossen (Begründung in den Hinweisen unter der Tabelle)."
        )
    rows = tuple(
        (v.id, v.text, v.status_text, v.responsible_text, v.reported_text)
        for v in (views[m.id] for m in concept.measures)
    )
    table = Table(
        caption="Alle Maßnahmen und ihre letzte Meldung",
        description=f"{measures(len(rows))} mit Status, Verantwortlichen und Datum der "
        "Meldung (mit Namen, wo ein anderer Partner gemeldet hat)",
        header=("Nr.", "Maßnahme", "Status", "Verantwortlich", "Gemeldet am"),
        rows=rows,
    )
    return sentence, table


def _edition(edition: EditionChange | None) -> EditionView | None:
    """The mapping from the old to the new edition, one row per link (issue 17)."""
    if edition is None:
        return None
    # editions reads workbooks (openpyxl): imported only where a report spans two editions
    from kik_core.editions import LinkKind  # noqa: PLC0415

    counts = ", ".join(
        f"{len(edition.of_kind(kind))} {kind.value}" for kind in LinkKind if edition.of_kind(kind)
    )
    sentence = (
        f"Ab dem {format_date(edition.valid_from)} gilt die neue Fassung des Konzepts "
        f"({measures(len(edition.new.measures))}; bisher {len(edition.old.measures)}). "
        f"Die Zuordnung: {counts}. Bis dahin gemeldete Status gelten für die Nachfolger weiter; "
        "zusammengelegte Maßnahmen übernehmen den am wenigsten fortgeschrittenen."
    )
    rows = tuple(
        (
            link.old_id or "–",
            edition.old.measure(link.old_id).text if link.old_id else "",
            f"{link.kind.value} → {link.new_id or '–'}",
            edition.new.measure(link.new_id).text if link.new_id else "",
        )
        for link in edition.links
    )
    table = Table(
        caption="Fortschreibung: Zuordnung der Maßnahmen",
        description=f"{len(rows)} Zuordnungen von der bisherigen zur neuen Fassung",
        header=("bisher", "Maßnahme (bisher)", "Art → neu", "Maßnahme (neu)"),
        rows=rows,
    )
    return EditionView(sentence, table)


def _board(board: PartnerBoard | None) -> BoardView | None:
    """Who has reported this round: the overview's sentence and the annex (drafts)."""
    if board is None:
        return None
    stichtag, deadline = format_date(board.stichtag), format_date(board.deadline)
    sentence = (
        f"Rückmeldungen zum Stichtag {stichtag} (Frist {deadline}): {board.sentence} "
        f"{board.measures_sentence} Einzelheiten stehen im „{PARTNER_ANNEX}“."
    )
    annex_sentence = (
        f"Stand der Rückmeldungen zum Stichtag {stichtag} (Frist {deadline}). "
        f"{board.sentence} {board.measures_sentence} Als gemeldet zählt eine Maßnahme, wenn "
        "der Partner in dieser Runde einen Status dazu geschickt hat."
    )
    rows = tuple(
        (
            p.partner,
            p.state.label,
            f"{len(p.arrived)} von {len(p.asked)}",
            ", ".join(p.missing) or "–",
            format_time(p.last_file),
        )
        for p in board.partners
    )
    table = Table(
        caption="Rückmeldungen der Partner",
        description=(
            f"{len(rows)} Partner mit Stand, Anzahl gemeldeter Maßnahmen, fehlenden "
            "Maßnahmen und Eingang der letzten Datei"
        ),
        header=("Partner", "Stand", "gemeldet", "fehlende Maßnahmen", "letzte Datei"),
        rows=rows,
    )
    return BoardView(sentence, annex_sentence, table)


def _decisions(concept: Concept, snapshot: Snapshot) -> tuple[str, Table | None]:
    """Every office decision that set a status at the report date."""
    if not snapshot.decisions:
        return "", None
    count = len(snapshot.decisions)
    sentence = (
        f"Bei {measures(count)} hat das Integrationsbüro den Status festgelegt, etwa weil "
        "Partner sich widersprachen. Eine Entscheidung gilt ab ihrem Datum und geht den "
        "Meldungen der Partner bis zu diesem Datum vor; eine spätere Meldung eines Partners "
        "ersetzt sie. Im Bericht ist der entschiedene Status gezählt."
    )
    table = Table(
        caption="Entscheidungen des Integrationsbüros",
        description=f"{count} Entscheidungen mit Status, Datum, Begründung und Person",
        header=("Nr.", "Maßnahme", "Status", "gilt ab", "Begründung", "entschieden von, am"),
        rows=tuple(
            (
                d.measure_id,
                concept.measure(d.measure_id).text,
                d.status.label,
                format_date(d.as_of),
                d.reason,
                f"{d.decided_by}\n{format_time(d.decided_at)}",
            )
            for d in snapshot.decisions
        ),
    )
    return sentence, table


def sources_table(concept: Concept, snapshot: Snapshot) -> Table:
    """Which file and row each measure's counted status comes from (for the office).

    One row per report that counts; a measure without any report has one row
    with empty source columns. The report writes it beside itself as CSV.
    """
    rows = []
    for measure in concept.measures:
        effective = snapshot.statuses[measure.id]
        reports: list[StatusReport | None] = [r for r in effective.reports if r.status is not None]
        for r in reports or [None]:
            source = r.source if r is not None else None
            rows.append(
                (
                    measure.id,
                    effective.status.label,
                    r.partner if r is not None else "",
                    format_date(r.as_of) if r is not None else "",
                    PurePath(source.file).name if source is not None else "",
                    "" if source is None or source.row is None else str(source.row),
                )
            )
    return Table(
        caption="Quellen der Status",
        description=f"{len(rows)} Meldungen mit Datei und Zeile",
        header=SOURCES_COLUMNS,
        rows=tuple(rows),
    )


def concept_at(concept: Concept, snapshot: Snapshot) -> Concept:
    """The concept as ``snapshot`` knows it.

    An issued round's frozen snapshot predates later additions to the concept:
    fields, goals and measures it has no figures for are left out, so the round is
    shown as it was issued.
    """
    if (
        all(m.id in snapshot.statuses for m in concept.measures)
        and all(g.id in snapshot.by_goal for g in concept.goals)
        and all(f.code in snapshot.by_field for f in concept.fields)
    ):
        return concept
    fields = tuple(f for f in concept.fields if f.code in snapshot.by_field)
    codes = {f.code for f in fields}
    goals = tuple(
        g for g in concept.goals if concept.field_of(g.id) in codes and g.id in snapshot.by_goal
    )
    parents = {g.id for g in goals} | codes  # a two-level concept's measures sit under a field
    measures = tuple(
        m for m in concept.measures if m.goal_id in parents and m.id in snapshot.statuses
    )
    return attrs.evolve(concept, fields=fields, goals=goals, measures=measures)


def present(
    concept: Concept,
    snapshot: Snapshot,
    *,
    content: ReportContent | None = None,
    history: Sequence[Snapshot] = (),
    title: str = "Kommunales Integrationskonzept – Zwischenbericht",
    subtitle: str = "",
    period_label: str = "",
    publisher: str = "",
    foreword: str = "",
    foreword_author: str = "",
    sections: Sequence[str] = (),
    thanks: str = "",
    late: Sequence[LateCorrection] = (),
    editions: Editions | None = None,
    sections_back: Sequence[str] = (),
    municipality: str = "",
    version_label: str = "",
    published_on: dt.date | None = None,
    board: PartnerBoard | None = None,
    edition: EditionChange | None = None,
) -> Presentation:
    """Compute every display value of the report from one snapshot.

    Args:
        concept: the integration concept.
        snapshot: the state at the report date; the source of every number.
        content: highlights, key figures and timeline from the concept workbook.
        history: snapshots at earlier reporting dates (any order); with the
            snapshot itself they give the trend and each measure's history.
        title: the report's title.
        subtitle: e.g. ``Dezember 2023``.
        period_label: e.g. ``November 2021 bis September 2023``.
        publisher: who publishes the report.
        foreword: the foreword (Markdown; a leading ``# `` line is its title).
        foreword_author: who signed the foreword (lines).
        sections: further texts of the report (Markdown, each titled by its
            leading ``# `` line), in report order, before the overview.
        thanks: the thanks at the end of the report (Markdown).
        late: late corrections the round's report lists ("Nachträgliche Korrekturen").
        editions: after a *Fortschreibung*, the concept's editions: a measure's
            history follows the mapping into earlier editions (its predecessors'
            statuses) and its page says where it came from.
        sections_back: further texts after the fields of action.
        municipality: the name the report gives the municipality (default: the concept's).
        version_label: the report's version, e.g. ``Entwurf 2`` ('' for none).
        published_on: the publication date (default: today).
        board: the round's partner board (drafts): who has reported.
        edition: where the report spans a new edition of the concept, the mapping.

    Returns:
        The presentation every renderer lays out.
    """
    points = trend_points(snapshot, history)
    notes: Sequence[EditorialNote] = content.notes if content is not None else ()
    inferred = {n.reference for n in notes if n.inferred}
    goal_texts = {g.id: _goal_texts(snapshot, g.id, _goal_name(concept, g)) for g in concept.goals}
    carried: dict[dt.date, Mapping[str, Status]] | None = None
    index = 0
    if editions is not None:
        index = editions.index_of(snapshot)
        carried = {
            p.as_of: editions.statuses_in(p, index) for p in points if editions.index_of(p) < index
        }
    views = {
        m.id: _measure(
            concept,
            snapshot,
            m,
            points,
            goal_texts.get(m.goal_id, ()),
            carried=carried,
            origin=editions.origin(m.id, index) if editions is not None else "",
            inferred=m.id in inferred,
        )
        for m in concept.measures
    }
    by_field: dict[str | None, list[Highlight]] = {}
    for highlight in content.highlights if content is not None else ():
        by_field.setdefault(_highlight_field(concept, highlight), []).append(highlight)
    fields = tuple(
        _field(
            concept,
            snapshot,
            f,
            views,
            goal_texts,
            highlights=by_field.get(f.code, []),
            notes=[n.text for n in notes if n.reference == f.code],
        )
        for f in concept.fields
    )
    changes = _changes(concept, snapshot)
    conflicts_sentence, conflicts_table = _conflicts(concept, snapshot)
    earlier: tuple[Concept, ...] = ()
    if editions is not None:
        earlier = editions.concepts[:-1]
    elif edition is not None:
        earlier = (edition.old,)
    late_sentence, late_table = _late(concept, late, earlier)
    rows = [snapshot.summary(snapshot.by_field[f.code]) for f in concept.fields]
    overview = Overview(
        sentence=overview_sentence(snapshot),
        counts=counts_view(snapshot.summary(snapshot.overall)),
        chart=_overview_chart(concept, snapshot),
        trend=trend_chart(points),
        changes_sentence=changes.sentence,
        changes_table=changes.table,
        regressions=changes.regressions,
        changes_annex=changes.annex,
        conflicts_sentence=conflicts_sentence,
        conflicts_table=conflicts_table,
        highlights=tuple(_highlight(concept, h) for h in by_field.get(None, [])),
        late_sentence=late_sentence,
        late_table=late_table,
        as_of_text=format_date(snapshot.as_of),
        codes_sentence=codes_sentence(concept),
        rounding_note=rounding_note([*rows, snapshot.summary(snapshot.overall)]),
        changes_annex_note=changes.annex_note,
        changes_annex_sentence=changes.annex_sentence,
    )
    key_sentence, key_table, key_source = _key_figures(content)
    annex_sentence, annex = _annex(concept, snapshot, views, bool(inferred))
    decisions_sentence, decisions = _decisions(concept, snapshot)
    municipality = municipality or concept.municipality
    published = published_on or dt.date.today()  # noqa: DTZ011 - a calendar date
    facts = (
        ("Berichtszeitraum:", period_label),
        ("Datenstand:", format_date(snapshot.as_of, long=True)),
        ("Fassung:", version_label),
        ("Herausgeber:", publisher),
        ("Veröffentlicht am:", format_date(published, long=True)),
    )
    presentation = Presentation(
        municipality=municipality,
        title=title,
        subtitle=subtitle,
        period_label=period_label,
        publisher=publisher,
        as_of=snapshot.as_of,
        as_of_text=format_date(snapshot.as_of),
        as_of_long=format_date(snapshot.as_of, long=True),
        previous_text=format_date(snapshot.previous) if snapshot.previous else "",
        status_labels=tuple((status_key(s), s.label) for s in snapshot.scheme.statuses),
        overview=overview,
        fields=fields,
        measures=tuple(views[m.id] for m in concept.measures),
        partners=concept.partners(),
        timeline=_timeline(content),
        key_figures_sentence=key_sentence,
        key_figures=key_table,
        history_dates=tuple(format_date(p.as_of) for p in points),
        texts=_texts(foreword, foreword_author, sections, sections_back),
        thanks=thanks.strip(),
        key_figures_source=key_source,
        facts=tuple((label, value) for label, value in facts if value),
        document_title=f"{municipality}: KIK-Zwischenbericht {format_month(published)}",
        document_subject=" – ".join(t for t in (title, subtitle) if t),
        document_comments=f"Datenstand {format_date(snapshot.as_of)}",
        annex_sentence=annex_sentence,
        annex=annex,
        notes=tuple(
            (f"{n.reference}: ", n.text)
            for n in notes
            if n.reference and concept.has_id(n.reference)
        ),
        decisions_sentence=decisions_sentence,
        decisions=decisions,
        board=_board(board),
        edition=_edition(edition),
    )
    return with_attributes(concept, snapshot, presentation)


def _texts(
    foreword: str, author: str, sections: Sequence[str], back: Sequence[str] = ()
) -> tuple[TextSection, ...]:
    found = []
    if foreword.strip():
        found.append(text_section(foreword, "Vorwort", author, part="foreword"))
    found += [
        text_section(
            text, f"Abschnitt {number}", part="front" if number <= len(sections) else "back"
        )
        for number, text in enumerate([*sections, *back], start=1)
        if text.strip()
    ]
    # slugs name pages: keep them unique
    seen: dict[str, int] = {}
    unique = []
    for section in found:
        count = seen.get(section.slug, 0)
        seen[section.slug] = count + 1
        unique.append(
            attrs.evolve(section, slug=f"{section.slug}-{count + 1}") if count else section
        )
    return tuple(unique)


# --------------------------------------------------------------------------- measure attributes
# Issue 17, point 5: priorities, overdue measures and work packages, worded once for
# the DOCX and the web edition. A concept without these attributes (Kempten) gets
# no views here, so neither output shows anything of them.

__all__ += [
    "OVERDUE_HEADING",
    "OVERDUE_TAG",
    "PRIORITY_TAG",
    "MeasureAttributesView",
    "OverdueView",
    "PriorityView",
    "WorkPackageView",
    "measure_attributes",
    "overdue_view",
    "package_progress",
    "package_views",
    "priority_view",
    "timeframe_text",
    "with_attributes",
]

#: The mark of a prioritised measure in lists (both renderers).
PRIORITY_TAG = "prioritär"
#: The mark of an overdue measure in lists (both renderers).
OVERDUE_TAG = "überfällig"
#: The heading of the overdue measures (DOCX section, web start page).
OVERDUE_HEADING = "Überfällige Maßnahmen"


@attrs.frozen
class PriorityView:
    """How the prioritised measures of a set stand.

    ``sentence`` is ``Prioritäre Maßnahmen: 23 von 144, davon 9 implementiert.``;
    the last word is the name of the scheme's done group.
    """

    prioritised: int
    total: int
    done: int
    sentence: str


@attrs.frozen
class OverdueView:
    """Measures whose timeframe has passed and that are not done.

    ``ids``/``slugs`` name the measures of ``table``'s rows in order (for links);
    ``table`` is None when no measure is overdue.
    """

    heading: str
    sentence: str
    table: Table | None
    ids: tuple[str, ...]
    slugs: tuple[str, ...]


@attrs.frozen
class WorkPackageView:
    """A work package of a measure with its effective status."""

    id: str
    text: str
    status: Status
    status_key: str
    status_label: str
    as_of_text: str
    done: bool


@attrs.frozen
class MeasureAttributesView:
    """A measure's attributes as display strings ('' where the concept sets none).

    Attributes:
        prioritised: whether the measure has a priority.
        priority: ``hoch (festgelegt am 09.11.2022)``.
        overdue: whether its timeframe has passed and it is not done.
        overdue_text: ``Überfällig: der Zeitraum endete am 30.06.2024, …``.
        timeframe: ``01.03.2024 – 31.12.2025``, ``bis 31.12.2025`` or ``ab 01.03.2024``.
        lead: the lead partner (*federführend*).
        contributors: the contributing partners, comma-separated.
        responsible: lead first, then the contributors (for filters).
        budget: ``12.500,00 €``.
        packages: the work packages with their statuses.
        package_progress: ``Arbeitspakete: 2 von 3 implementiert``.
        packages_table: the packages as a table (None without packages).
        facts: (label, value) of every attribute that is set, in display order.
        tags: (key, label) of the measure's marks in lists: ``("prioritaer",
            "prioritär")``, ``("ueberfaellig", "überfällig")``.
    """

    prioritised: bool
    priority: str
    overdue: bool
    overdue_text: str
    timeframe: str
    lead: str
    contributors: str
    responsible: tuple[str, ...]
    budget: str
    packages: tuple[WorkPackageView, ...]
    package_progress: str
    packages_table: Table | None
    facts: tuple[tuple[str, str], ...]
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def any(self) -> bool:
        """Whether the measure has any attribute to show."""
        return bool(self.facts)


def priority_view(
    concept: Concept, snapshot: Snapshot, within: Sequence[Measure] | None = None
) -> PriorityView | None:
    """The priority sentence over ``within`` (default: every measure), None without priorities.

    Example: ``Prioritäre Maßnahmen: 23 von 144, davon 9 implementiert.``
    """
    if not any(m.prioritised for m in concept.measures):
        return None
    if within is None:
        figures = priority_figures(concept, snapshot)
        chosen, total, done = figures.prioritised, figures.total, figures.done
    else:
        picked = [m for m in within if m.prioritised]
        chosen, total = len(picked), len(within)
        done = sum(snapshot.scheme.is_done(snapshot.status_of(m.id)) for m in picked)
    sentence = (
        f"Prioritäre Maßnahmen: {format_number(chosen)} von {format_number(total)}, "
        f"davon {format_number(done)} {snapshot.scheme.done_group.name}."
    )
    return PriorityView(prioritised=chosen, total=total, done=done, sentence=sentence)


def overdue_view(concept: Concept, snapshot: Snapshot) -> OverdueView | None:
    """The overdue measures: sentence and table; None where no measure has a timeframe end."""
    if not any(m.end is not None for m in concept.measures):
        return None
    late = overdue_measures(concept, snapshot)
    done = snapshot.scheme.done_group.name
    day = format_date(snapshot.as_of)
    if not late:
        return OverdueView(
            heading=OVERDUE_HEADING,
            sentence=f"Am {day} ist keine Maßnahme überfällig: jede, deren Zeitraum "
            f"abgelaufen ist, ist {done}.",
            table=None,
            ids=(),
            slugs=(),
        )
    verb = "ist" if len(late) == 1 else "sind"
    table = Table(
        caption=OVERDUE_HEADING,
        description=f"{measures(len(late))} mit abgelaufenem Zeitraum, nicht {done}",
        header=("Nr.", "Maßnahme", "bis", "Status", "federführend"),
        rows=tuple(
            (
                m.id,
                m.text,
                format_date(m.end) if m.end else "",
                snapshot.status_of(m.id).label,
                m.lead or "–",
            )
            for m in late
        ),
    )
    return OverdueView(
        heading=OVERDUE_HEADING,
        sentence=f"Bei {measures(len(late))} ist der Zeitraum vor dem {day} abgelaufen, "
        f"ohne dass sie {done} {verb}.",
        table=table,
        ids=tuple(m.id for m in late),
        slugs=tuple(slug(m.id) for m in late),
    )


def package_views(
    concept: Concept, snapshot: Snapshot, measure_id: str
) -> tuple[WorkPackageView, ...]:
    """The work packages of a measure that ``snapshot`` knows, with their statuses."""
    found = []
    for package in concept.packages_of(measure_id):
        effective = snapshot.packages.get(package.id)
        if effective is None:
            continue  # added to the concept after this snapshot
        found.append(
            WorkPackageView(
                id=package.id,
                text=package.text,
                status=effective.status,
                status_key=status_key(effective.status),
                status_label=effective.status.label,
                as_of_text=format_date(effective.as_of) if effective.as_of else NO_REPORT,
                done=snapshot.scheme.is_done(effective.status),
            )
        )
    return tuple(found)


def package_progress(concept: Concept, snapshot: Snapshot, measure_id: str) -> str:
    """``Arbeitspakete: 2 von 3 implementiert`` for a measure with work packages, else ''."""
    packages = package_views(concept, snapshot, measure_id)
    if not packages:
        return ""
    done = sum(p.done for p in packages)
    return (
        f"Arbeitspakete: {format_number(done)} von {format_number(len(packages))} "
        f"{snapshot.scheme.done_group.name}"
    )


def timeframe_text(start: dt.date | None, end: dt.date | None) -> str:
    """``01.03.2024 – 31.12.2025``, ``bis 31.12.2025``, ``ab 01.03.2024`` or ''."""
    if start is not None and end is not None:
        return f"{format_date(start)} – {format_date(end)}"
    if end is not None:
        return f"bis {format_date(end)}"
    if start is not None:
        return f"ab {format_date(start)}"
    return ""


def measure_attributes(
    concept: Concept, snapshot: Snapshot, measure: Measure, *, overdue: bool | None = None
) -> MeasureAttributesView:
    """A measure's priority, timeframe, partners, budget and work packages as display strings.

    ``overdue`` may be passed when known (from :func:`~kik_core.rules.overdue_measures`);
    otherwise it is worked out with the same rule.
    """
    if overdue is None:
        overdue = measure.id in {m.id for m in overdue_measures(concept, snapshot)}
    done = snapshot.scheme.done_group.name
    priority = measure.priority or ""
    if measure.priority and measure.priority_set_on is not None:
        priority += f" (festgelegt am {format_date(measure.priority_set_on)})"
    overdue_text = ""
    if overdue and measure.end is not None:
        overdue_text = (
            f"{OVERDUE_TAG.capitalize()}: der Zeitraum endete am {format_date(measure.end)}, "
            f"die Maßnahme ist nicht {done}"
        )
    packages = package_views(concept, snapshot, measure.id)
    table = None
    if packages:
        table = Table(
            caption=f"Arbeitspakete der Maßnahme {measure.id}",
            description=(
                f"{plural(len(packages), 'Arbeitspaket', 'Arbeitspakete')} der Maßnahme "
                "mit Status und Datum der Meldung"
            ),
            header=("Nr.", "Arbeitspaket", "Status", "gemeldet"),
            rows=tuple((p.id, p.text, p.status_label, p.as_of_text) for p in packages),
        )
    timeframe = timeframe_text(measure.start, measure.end)
    lead = measure.lead or ""
    contributors = ", ".join(measure.partners)
    budget = format_currency(measure.budget) if measure.budget is not None else ""
    progress = package_progress(concept, snapshot, measure.id)
    facts = [
        ("Priorität", priority),
        ("Zeitraum", timeframe),
        ("Federführend", lead),
        ("Beteiligt", (contributors or "–") if lead else ""),
        ("Budget", budget),
        ("Arbeitspakete", progress.removeprefix("Arbeitspakete: ")),
    ]
    return MeasureAttributesView(
        prioritised=measure.prioritised,
        priority=priority,
        overdue=overdue,
        overdue_text=overdue_text,
        timeframe=timeframe,
        lead=lead,
        contributors=contributors,
        responsible=measure.responsible,
        budget=budget,
        packages=packages,
        package_progress=progress,
        packages_table=table,
        facts=tuple((label, value) for label, value in facts if value),
        tags=tuple(
            (slug(tag), tag)
            for tag, on in ((PRIORITY_TAG, measure.prioritised), (OVERDUE_TAG, overdue))
            if on
        ),
    )


def with_attributes(concept: Concept, snapshot: Snapshot, p: Presentation) -> Presentation:
    """``p`` with the views of the measure attributes filled in (called by :func:`present`).

    Sets :attr:`MeasureView.attributes` of every measure (also inside the fields'
    goals), :attr:`FieldView.priorities`, :attr:`Overview.priorities` and
    :attr:`Overview.overdue`. Where the concept has no priorities or timeframes
    those stay None.
    """
    late = {m.id for m in overdue_measures(concept, snapshot)}
    views: dict[str, MeasureView] = {}
    for view in p.measures:
        measure = concept.measure(view.id)
        extra = measure_attributes(concept, snapshot, measure, overdue=view.id in late)
        search = view.search_text
        if measure.lead:
            search += " " + measure.lead.lower()
        views[view.id] = attrs.evolve(view, attributes=extra, search_text=search)
    fields = tuple(
        attrs.evolve(
            f,
            goals=tuple(
                attrs.evolve(g, measures=tuple(views.get(m.id, m) for m in g.measures))
                for g in f.goals
            ),
            priorities=priority_view(concept, snapshot, concept.measures_of(f.code)),
        )
        for f in p.fields
    )
    overview = attrs.evolve(
        p.overview,
        priorities=priority_view(concept, snapshot),
        overdue=overdue_view(concept, snapshot),
    )
    return attrs.evolve(
        p,
        measures=tuple(views[m.id] for m in p.measures),
        fields=fields,
        overview=overview,
    )
