"""The presentation model: every number and sentence comes from the snapshot, once."""

from __future__ import annotations

import datetime as dt

import pytest

from kik_core import Status, StatusReport, build_snapshot
from kik_core.presentation import (
    NO_CONFLICTS_SENTENCE,
    STATUS_ORDER,
    count_text,
    counts_view,
    present,
    slug,
    status_key,
)
from kik_core.rules import StatusCounts
from tests.conftest import small_concept
from tests.report_fixtures import CONFLICT_ID, REGRESSION_ID, make_case


@pytest.fixture(scope="module")
def case():
    return make_case()


@pytest.fixture(scope="module")
def presentation(case):
    return present(case.concept, case.snapshot, content=case.content, history=case.history)


def test_field_counts_and_sentences_come_from_the_snapshot(case, presentation) -> None:
    for field in presentation.fields:
        counts = case.snapshot.by_field[field.code]
        assert field.counts.total == counts.total
        for share in field.counts.shares:
            assert share.count == counts.counts[share.status]
            assert share.percent == counts.percentages[share.status]
        done, doing, waiting = case.expected[field.code]
        assert field.sentence == (
            f"Von den {counts.total} Maßnahmen im Handlungsfeld {field.name} sind "
            f"{done} implementiert ({counts.percentages[Status.IMPLEMENTIERT]} %), "
            f"{doing} in Bearbeitung ({counts.percentages[Status.IN_BEARBEITUNG]} %) und "
            f"{waiting} wartend ({counts.percentages[Status.WARTEND]} %) "
            "(Rückmeldungen der Partner bis zum 30.09.2023)."
        )
        assert sum(s.percent for s in field.counts.shares) == 100


def test_chart_texts_state_every_number(case, presentation) -> None:
    from kik_core.presentation import _donut

    assert _donut("Bildung und Sprache", counts(7, 13, 10)).description == (
        "Kreisdiagramm Umsetzungsstand Bildung und Sprache: 7 implementiert (23 %), "
        "13 in Bearbeitung (44 %), 10 wartend (33 %); insgesamt 30 Maßnahmen."
    )
    for field in presentation.fields:
        counts_ = case.snapshot.summary(case.snapshot.by_field[field.code])
        assert field.chart.series[0].source == counts_  # what the DOCX draws its donut from
        assert field.chart.description.endswith(
            f"{field.counts.summary}; insgesamt {field.counts.total_text}."
        )
    assert presentation.overview.chart.labels[-1] == "Gesamt"
    assert presentation.overview.chart.table.rows[-1][1] == "144"
    chart = presentation.overview.chart
    everything = range(len(chart.labels))
    assert chart.part_description(everything) == chart.description
    assert chart.part_description(range(2), 1, 3).startswith(
        "Balkendiagramm Umsetzungsstand je Handlungsfeld (Teil 1 von 3): "
    )
    assert presentation.overview.chart_intro(1).startswith("Das Diagramm und die Tabelle zeigen")
    assert presentation.overview.chart_intro(4).startswith("Die 4 Diagramme und die Tabelle")


def counts(implemented: int, doing: int, waiting: int) -> StatusCounts:
    return StatusCounts.of(
        [Status.IMPLEMENTIERT] * implemented
        + [Status.IN_BEARBEITUNG] * doing
        + [Status.WARTEND] * waiting
    )


def test_changes_regressions_and_conflicts(case, presentation) -> None:
    overview = presentation.overview
    changes = case.snapshot.changes
    regressions = [c for c in changes if c.is_regression]
    assert overview.changes_sentence.startswith(
        f"Seit dem 30.09.2022 hat sich der Status von {len(changes)} Maßnahmen"
    )
    assert overview.changes_table is not None
    assert overview.changes_table.rows[-1][0] == "Gesamt"
    assert int(overview.changes_table.rows[-1][2]) == len(regressions)
    assert any(line.startswith(REGRESSION_ID) for line in overview.regressions)
    assert overview.conflicts_table is not None
    assert [r[0] for r in overview.conflicts_table.rows] == [CONFLICT_ID]
    conflicted = presentation.measure(CONFLICT_ID)
    assert conflicted.conflict is not None
    assert conflicted.conflict.counted_as == case.snapshot.status_of(CONFLICT_ID).label


def test_measure_history_marks_the_regression(case, presentation) -> None:
    view = presentation.measure(REGRESSION_ID)
    assert [p.as_of for p in view.history] == sorted({s.as_of for s in case.history})
    assert view.history[-1].regression
    assert view.history_table is not None
    assert view.history_table.rows[-1][2] == "Rückschritt"
    assert view.status_label == case.snapshot.status_of(REGRESSION_ID).label


def test_trend_has_one_column_per_date(case, presentation) -> None:
    trend = presentation.overview.trend
    assert trend is not None
    assert trend.labels == ("30.09.2022", "30.09.2023")
    assert trend.series[-1].total == case.snapshot.overall.total


def test_unreported_measure_says_so() -> None:
    concept = small_concept()
    snapshot = build_snapshot(concept, [], dt.date(2024, 3, 31))
    p = present(concept, snapshot)
    view = p.measures[0]
    assert not view.reported
    assert view.as_of_text == "keine Meldung"
    assert "bisher keine Meldung" in view.status_line
    assert view.history_table is None
    assert p.overview.trend is None
    assert p.overview.changes_sentence == ""
    assert p.overview.conflicts_sentence == NO_CONFLICTS_SENTENCE
    assert all(t.written == () for t in view.goal_texts)


def test_measure_texts_and_goal_texts_are_kept_as_markdown() -> None:
    concept = small_concept()
    day = dt.date(2024, 3, 31)
    reports = [
        StatusReport("BS-1.1", "implementiert", day, "vhs", "**Fertig**", "Weiter so"),
        StatusReport("BS-1", None, day, "vhs", "Stand *gut*", ""),
    ]
    p = present(concept, build_snapshot(concept, reports, day))
    view = p.measure("BS-1.1")
    assert view.reports[0].current_state == "**Fertig**"
    assert view.reports[0].source == "vhs, Stand 31.03.2024:"
    current, outlook = view.goal_texts
    assert current.written == (("vhs, Stand 31.03.2024:", "Stand *gut*"),)
    assert outlook.written == ()


def test_key_figures_and_timeline(case, presentation) -> None:
    assert presentation.key_figures is not None
    assert presentation.key_figures.header[0] == "Kennzahl"
    assert presentation.key_figures_sentence.startswith("Die Kennzahlen zeigen")
    assert presentation.timeline is not None
    assert len(presentation.timeline.rows) == len(case.content.timeline)


def test_singular_and_german_numbers() -> None:
    counts = StatusCounts.of([Status.IMPLEMENTIERT])
    view = counts_view(counts)
    assert view.total_text == "1 Maßnahme"
    assert count_text(counts, Status.IMPLEMENTIERT) == "1 implementiert (100 %)"
    big = StatusCounts.of([Status.WARTEND] * 1200)
    assert counts_view(big).total_text == "1.200 Maßnahmen"


def test_slugs_and_status_keys() -> None:
    assert slug("BS-4.3") == "bs-4-3"
    assert slug("ÜB-1.2") == "ueb-1-2"
    assert [status_key(s) for s in STATUS_ORDER] == ["wartend", "in-bearbeitung", "implementiert"]


def test_a_measure_added_later_has_history_from_when_it_exists() -> None:
    concept = small_concept()
    older = concept.__class__(
        concept.municipality,
        concept.title,
        concept.adopted_on,
        concept.fields,
        concept.goals,
        concept.measures[1:],
    )
    first, second = dt.date(2023, 9, 30), dt.date(2024, 3, 31)
    early = build_snapshot(older, [], first)
    now = build_snapshot(concept, [], second)
    p = present(concept, now, history=[early])
    assert [h.as_of for h in p.measures[0].history] == [second]
    assert [h.as_of for h in p.measures[1].history] == [first, second]


def test_texts_take_their_title_from_the_first_heading() -> None:
    concept = small_concept()
    snapshot = build_snapshot(concept, [], dt.date(2024, 3, 31))
    p = present(
        concept,
        snapshot,
        foreword="Liebe Leserinnen,\n\nes geht los.",
        foreword_author="Erika Mustermann\nBürgermeisterin",
        sections=["# Einführung\n\nText.\n\n## Mehr\n\nNoch mehr.", "# Einführung\n\nZwei.", " "],
        thanks="Danke!",
    )
    titles = [(t.title, t.slug) for t in p.texts]
    assert titles == [
        ("Vorwort", "vorwort"),
        ("Einführung", "einfuehrung"),
        ("Einführung", "einfuehrung-2"),
    ]
    assert p.texts[0].author == "Erika Mustermann\nBürgermeisterin"
    assert p.texts[1].markdown == "Text.\n\n## Mehr\n\nNoch mehr."
    assert p.thanks == "Danke!"


def test_the_docx_says_what_the_presentation_says(case, presentation, tmp_path) -> None:
    """The builder lays out the presentation: its sentences and captions are the DOCX's."""
    docx = pytest.importorskip("docx")
    from kik_core.report import build_report
    from tests.report_fixtures import make_options

    path = build_report(
        case.concept,
        case.snapshot,
        tmp_path / "bericht.docx",
        options=make_options(),
        content=case.content,
        history=case.history,
    )
    document = docx.Document(str(path))
    paragraphs = {p.text for p in document.paragraphs}
    overview = presentation.overview
    # the DOCX adds where its annex is; the site shows the full list on the same page
    assert f"{overview.changes_sentence} {overview.changes_annex_note}" in paragraphs
    for sentence in (
        overview.sentence,
        overview.conflicts_sentence,
        overview.codes_sentence,
        overview.changes_annex_sentence,
        presentation.key_figures_sentence,
        presentation.annex_sentence,
        *(f.sentence for f in presentation.fields),
    ):
        assert sentence in paragraphs
    captions = {
        t._tbl.tblPr.find(
            "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}tblCaption"
        ).get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val")
        for t in document.tables
    }
    for table in (
        overview.chart.table,
        overview.changes_table,
        overview.conflicts_table,
        presentation.annex,
        presentation.key_figures,
    ):
        assert table is not None
        assert table.caption in captions
