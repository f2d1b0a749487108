"""The presentation model: every sentence, number and label a report shows, computed once.

A renderer (the web edition in :mod:`kik_core.web`, later the DOCX builder) lays
out a :class:`Presentation`; it never counts, rounds, formats a date or words a
sentence itself. So two outputs built from the same snapshot cannot disagree.

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
    'Stand 30.09.2023: Von den 2 Maßnahmen des Integrationskonzepts sind 1 implementiert (50 %), 0 in Bearbeitung (0 %) und 1 wartend (50 %).'
    >>> p.fields[0].chart.description
    'Kreisdiagramm Umsetzungsstand Bildung: 1 implementiert (50 %), 0 in Bearbeitung (0 %), 1 wartend (50 %); insgesamt 2 Maßnahmen.'
"""  # noqa: E501 - doctest output is one line

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import attrs
from slugify import slugify

from kik_core._locale import (
    format_currency,
    format_date,
    format_number,
    format_percent,
    format_signed,
    plural,
)
from kik_core.model import Concept, FieldOfAction, Goal, Highlight, Indicator, Measure, Status
from kik_core.rules import (
    Change,
    EffectiveStatus,
    Snapshot,
    StatusCounts,
    overdue_measures,
    priority_figures,
)

if TYPE_CHECKING:
    from kik_core.concept_workbook import ReportContent
    from kik_core.editions import Editions
    from kik_core.rounds import LateCorrection

__all__ = [
    "NO_CONFLICTS_SENTENCE",
    "NO_FEEDBACK",
    "STATUS_ORDER",
    "Chart",
    "ConflictView",
    "CountsView",
    "FieldView",
    "GoalTextView",
    "GoalView",
    "HighlightView",
    "HistoryPoint",
    "MeasureView",
    "Overview",
    "Presentation",
    "ReportTextView",
    "StatusShare",
    "Table",
    "TextSection",
    "concept_at",
    "conflicts_sentence",
    "count_text",
    "counts_view",
    "field_sentence",
    "measures",
    "overview_sentence",
    "present",
    "slug",
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

_UMLAUTS = [["Ä", "Ae"], ["Ö", "Oe"], ["Ü", "Ue"], ["ä", "ae"], ["ö", "oe"], ["ü", "ue"]]


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


def text_section(text: str, default_title: str, author: str = "") -> TextSection:
    """Split a Markdown text into its title (a leading ``# `` line) and body."""
    body = text.strip()
    first, _, rest = body.partition("\n")
    title = default_title
    if first.startswith("# "):
        title, body = first[2:].strip(), rest.strip()
    return TextSection(title=title, slug=slug(title), markdown=body, author=author)


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
) -> Table:
    order = status_order(rows[0]) if rows else STATUS_ORDER
    body = tuple(
        (
            label,
            format_number(r.total),
            *(
                f"{format_number(r.counts[s])} ({format_percent(r.percentages[s])})"
                if s in r.percentages
                else f"{format_number(r.counts[s])} (nicht mitgezählt)"
                for s in order
            ),
        )
        for label, r in zip(labels, rows, strict=True)
    )
    return Table(
        caption=caption,
        description=description,
        header=(first, "Maßnahmen", *(s.label for s in order)),
        rows=body,
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
    description = (
        "Balkendiagramm Umsetzungsstand je Handlungsfeld: "
        + "; ".join(
            f"{n}: {status_summary(r)}, insgesamt {measures(r.total)}"
            for n, r in zip(names, rows, strict=True)
        )
        + "."
    )
    return Chart(
        kind="bars",
        title="Umsetzungsstand je Handlungsfeld",
        description=description,
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
    description = (
        "Balkendiagramm Entwicklung des Umsetzungsstands: "
        + "; ".join(
            f"{d}: {status_summary(p.summary(p.overall))}"
            for d, p in zip(labels, points, strict=True)
        )
        + "."
    )
    return Chart(
        kind="columns",
        title="Entwicklung über die Berichtszeitpunkte",
        description=description,
        labels=tuple(labels),
        series=tuple(counts_view(p.summary(p.overall)) for p in points),
        table=_counts_table(
            "Entwicklung des Umsetzungsstands",
            f"Anzahl und Anteil der Maßnahmen je Status an {len(points)} Stichtagen",
            "Stichtag",
            labels,
            [p.summary(p.overall) for p in points],
            total_last=False,
        ),
    )


def _changes(
    concept: Concept, snapshot: Snapshot
) -> tuple[str, Table | None, tuple[str, ...], Table | None]:
    if snapshot.previous is None:
        return "", None, (), None
    since = format_date(snapshot.previous)
    changes = snapshot.changes
    regressions = [c for c in changes if c.is_regression]
    if not changes:
        return (
            f"Seit dem {since} hat sich der Status keiner Maßnahme verändert.",
            None,
            (),
            None,
        )
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
    )
    return sentence, summary, lines, annex


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
                "; ".join(f"{p} → {s.label}" for p, s in c.statuses.items()),
                snapshot.status_of(c.measure_id).label,
            )
            for c in snapshot.conflicts
        ),
    )
    return conflicts_sentence(len(snapshot.conflicts)), table


def _target_text(concept: Concept, target_id: str) -> str:
    if not concept.has_id(target_id):
        return "–"
    if concept.is_measure(target_id):
        return concept.measure(target_id).text
    return concept.goal(target_id).text if concept.is_goal(target_id) else "–"


def _late(concept: Concept, late: Sequence[LateCorrection]) -> tuple[str, Table | None]:
    """Reports for issued rounds that arrived after the issue (rule 4 of the rounds)."""
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
                _target_text(concept, c.report.target_id),
                c.report.status.label if c.report.status else "Text zum Ziel",
                format_date(c.report.as_of),
                c.report.partner,
                format_date(c.round_stichtag),
            )
            for c in late
        ),
    )
    return sentence, table


def _highlight_field(highlight: Highlight) -> str | None:
    if highlight.field_code:
        return highlight.field_code
    codes = {m.split("-", 1)[0] for m in highlight.measure_ids}
    return codes.pop() if len(codes) == 1 else None


def _highlight(concept: Concept, highlight: Highlight) -> HighlightView:
    known = [m for m in highlight.measure_ids if concept.has_id(m)]
    return HighlightView(
        title=highlight.title,
        organisation=highlight.organisation,
        text=highlight.text,
        measures=tuple((m, slug(m), concept.measure(m).text) for m in known),
    )


def _report_text(partner: str, as_of: dt.date, current: str, outlook: str) -> ReportTextView:
    return ReportTextView(
        partner=partner,
        as_of=as_of,
        source=f"{partner}, Stand {format_date(as_of)}:",
        current_state=current,
        outlook=outlook,
    )


def _goal_texts(snapshot: Snapshot, goal_id: str) -> tuple[GoalTextView, ...]:
    texts = tuple(
        _report_text(t.partner, t.as_of, t.current_state, t.outlook)
        for t in snapshot.goal_texts.get(goal_id, ())
    )
    return (
        GoalTextView("Aktueller Stand", texts, "current_state"),
        GoalTextView("Ausblick", texts, "outlook"),
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


def _measure(
    concept: Concept,
    snapshot: Snapshot,
    measure: Measure,
    points: Sequence[Snapshot],
    goal_texts: tuple[GoalTextView, ...],
    *,
    carried: Mapping[dt.date, Mapping[str, Status]] | None = None,
    origin: str = "",
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
    )


def _field(
    concept: Concept,
    snapshot: Snapshot,
    field: FieldOfAction,
    views: dict[str, MeasureView],
    goal_texts: dict[str, tuple[GoalTextView, ...]],
    *,
    highlights: Iterable[Highlight],
) -> FieldView:
    counts = snapshot.summary(snapshot.by_field[field.code])
    goals = tuple(
        GoalView(
            id=g.id,
            number=g.number,
            heading=f"{concept.level_name(g.id)} {g.number}: {g.text}",
            text=g.text,
            counts=counts_view(snapshot.summary(snapshot.by_goal[g.id])),
            measures=tuple(views[m.id] for m in concept.direct_measures_of(g.id)),
            texts=goal_texts[g.id],
        )
        for g in _goals_under(concept, field.code)
    )
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
            ),
        )
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
            f"{plural(len(goals), 'Ziel', 'Ziele')} mit ihren {measures(counts.total)} "
            f"und dem Status jeder Maßnahme: {status_summary(counts)}"
        ),
        grouped=any(m.group for m in concept.measures_of(field.code)),
        goals=goals,
        highlights=tuple(_highlight(concept, h) for h in highlights),
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


def _key_figures(content: ReportContent | None) -> tuple[str, Table | None]:
    if content is None or not content.indicators:
        return "", None
    by_name: dict[str, dict[dt.date, Indicator]] = {}
    for indicator in content.indicators:
        by_name.setdefault(indicator.name, {})[indicator.as_of] = indicator
    dates = sorted({i.as_of for i in content.indicators})
    sentence = (
        "Die Kennzahlen zeigen die Entwicklung der Bevölkerung zu den Stichtagen "
        + " und ".join(format_date(d) for d in dates)
        + "."
    )
    rows = []
    for name, values in by_name.items():
        ordered = [values[d] for d in sorted(values)]
        change = _indicator_change(ordered[0], ordered[-1]) if len(ordered) > 1 else "–"
        sources = "; ".join(dict.fromkeys(i.source for i in ordered if i.source))
        rows.append(
            (name, *(_indicator_value(values.get(d)) for d in dates), change, sources or "–")
        )
    table = Table(
        caption="Kennzahlen",
        description=f"{len(rows)} Kennzahlen zu {len(dates)} Stichtagen mit Veränderung",
        header=("Kennzahl", *(f"Stand {format_date(d)}" for d in dates), "Veränderung", "Quelle"),
        rows=tuple(rows),
    )
    return sentence, table


def _timeline(content: ReportContent | None) -> Table | None:
    if content is None or not content.timeline:
        return None
    return Table(
        caption="Zeitliche Umsetzung",
        description=f"Zeitleiste der Umsetzung mit {len(content.timeline)} Schritten",
        header=("Zeitpunkt", "Schritt"),
        rows=tuple((e.when, e.text) for e in content.timeline),
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
            leading ``# `` line), in report order.
        thanks: the thanks at the end of the report (Markdown).
        late: late corrections the round's report lists ("Nachträgliche Korrekturen").
        editions: after a *Fortschreibung*, the concept's editions: a measure's
            history follows the mapping into earlier editions (its predecessors'
            statuses) and its page says where it came from.

    Returns:
        The presentation every renderer lays out.
    """
    points = trend_points(snapshot, history)
    goal_texts = {g.id: _goal_texts(snapshot, g.id) for g in concept.goals}
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
        )
        for m in concept.measures
    }
    by_field: dict[str | None, list[Highlight]] = {}
    for highlight in content.highlights if content is not None else ():
        by_field.setdefault(_highlight_field(highlight), []).append(highlight)
    fields = tuple(
        _field(concept, snapshot, f, views, goal_texts, highlights=by_field.get(f.code, []))
        for f in concept.fields
    )
    changes_sentence, changes_table, regression_lines, annex = _changes(concept, snapshot)
    conflicts_sentence, conflicts_table = _conflicts(concept, snapshot)
    late_sentence, late_table = _late(concept, late)
    overview = Overview(
        sentence=overview_sentence(snapshot),
        counts=counts_view(snapshot.summary(snapshot.overall)),
        chart=_overview_chart(concept, snapshot),
        trend=trend_chart(points),
        changes_sentence=changes_sentence,
        changes_table=changes_table,
        regressions=regression_lines,
        changes_annex=annex,
        conflicts_sentence=conflicts_sentence,
        conflicts_table=conflicts_table,
        highlights=tuple(_highlight(concept, h) for h in by_field.get(None, [])),
        late_sentence=late_sentence,
        late_table=late_table,
    )
    key_sentence, key_table = _key_figures(content)
    presentation = Presentation(
        municipality=concept.municipality,
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
        texts=_texts(foreword, foreword_author, sections),
        thanks=thanks.strip(),
    )
    return with_attributes(concept, snapshot, presentation)


def _texts(foreword: str, author: str, sections: Sequence[str]) -> tuple[TextSection, ...]:
    found = []
    if foreword.strip():
        found.append(text_section(foreword, "Vorwort", author))
    found += [
        text_section(text, f"Abschnitt {number}")
        for number, text in enumerate(sections, start=1)
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
