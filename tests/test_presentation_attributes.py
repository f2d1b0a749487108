"""Presentation views of the measure attributes (issue 17, point 5).

Priorities, overdue measures, timeframes, lead partner, budget and work packages
are worded once in :mod:`kik_core.presentation`; the DOCX and the web edition
only lay them out. A concept without these attributes gets none of the views.
"""

from __future__ import annotations

import datetime as dt

import pytest

from kik_core import Concept, FieldOfAction, Goal, Measure, StatusReport, build_snapshot
from kik_core.model import WorkPackage
from kik_core.presentation import (
    measure_attributes,
    overdue_view,
    package_progress,
    present,
    priority_view,
    timeframe_text,
)
from tests.conftest import small_concept

from .scheme_fixtures import FIVE

AS_OF = dt.date(2024, 9, 30)


def attributed() -> Concept:
    return Concept(
        "Attributstadt",
        "KIK",
        None,
        (FieldOfAction("SP", "Sprache"), FieldOfAction("AR", "Arbeit")),
        (Goal("SP-1", "Deutsch"), Goal("AR-1", "Arbeit")),
        (
            Measure(
                "SP-1.1",
                "Sprachcafé",
                partners=("Caritas",),
                lead="Volkshochschule",
                priority="hoch",
                priority_set_on=dt.date(2022, 11, 9),
                start=dt.date(2024, 3, 1),
                end=dt.date(2024, 6, 30),
                budget=12500.0,
            ),
            Measure("SP-1.2", "Kurse", partners=("Volkshochschule",), end=dt.date(2025, 12, 31)),
            Measure(
                "SP-1.3", "Dolmetscher", partners=("Volkshochschule",), end=dt.date(2024, 1, 1)
            ),
            Measure("AR-1.1", "Jobbörse", partners=("Jobcenter",), priority="1"),
            Measure("AR-1.2", "Mentoring", partners=("Jobcenter",), start=dt.date(2024, 1, 1)),
        ),
        FIVE,
        work_packages=(
            WorkPackage("AR-1.1 AP1", "AR-1.1", "Räume finden"),
            WorkPackage("AR-1.1 AP2", "AR-1.1", "Firmen gewinnen"),
            WorkPackage("AR-1.1 AP3", "AR-1.1", "Start"),
        ),
    )


def _reports() -> list[StatusReport]:
    return [
        StatusReport("SP-1.1", FIVE.parse("in Umsetzung"), dt.date(2024, 9, 1), "Volkshochschule"),
        StatusReport("SP-1.3", FIVE.parse("entfällt"), dt.date(2024, 9, 1), "Volkshochschule"),
        StatusReport("AR-1.1 AP1", FIVE.parse("umgesetzt"), dt.date(2024, 9, 1), "Jobcenter"),
        StatusReport("AR-1.1 AP2", FIVE.parse("umgesetzt"), dt.date(2024, 9, 1), "Jobcenter"),
    ]


@pytest.fixture(scope="module")
def concept() -> Concept:
    return attributed()


@pytest.fixture(scope="module")
def snapshot(concept: Concept):
    return build_snapshot(concept, _reports(), AS_OF)


def test_priority_sentence_uses_the_done_group(concept, snapshot) -> None:
    view = priority_view(concept, snapshot)
    assert view is not None
    assert (view.prioritised, view.total, view.done) == (2, 5, 0)
    assert view.sentence == "Prioritäre Maßnahmen: 2 von 5, davon 0 implementiert."
    field = priority_view(concept, snapshot, concept.measures_of("AR"))
    assert field is not None
    assert field.sentence == "Prioritäre Maßnahmen: 1 von 2, davon 0 implementiert."


def test_overdue_measures_sentence_and_rows(concept, snapshot) -> None:
    view = overdue_view(concept, snapshot)
    assert view is not None
    # SP-1.3 ended too, but "entfällt" is not counted, so it is not overdue
    assert view.ids == ("SP-1.1",)
    assert view.slugs == ("sp-1-1",)
    assert view.sentence == (
        "Bei 1 Maßnahme ist der Zeitraum vor dem 30.09.2024 abgelaufen, "
        "ohne dass sie implementiert ist."
    )
    assert view.table is not None
    assert view.table.header == ("Nr.", "Maßnahme", "bis", "Status", "federführend")
    assert view.table.rows == (
        ("SP-1.1", "Sprachcafé", "30.06.2024", "in Umsetzung", "Volkshochschule"),
    )


def test_no_overdue_measure_says_so(concept) -> None:
    day = dt.date(2024, 9, 1)
    done = [
        StatusReport("SP-1.1", FIVE.parse("umgesetzt"), day, "Volkshochschule"),
        StatusReport("SP-1.3", FIVE.parse("entfällt"), day, "Volkshochschule"),
    ]
    view = overdue_view(concept, build_snapshot(concept, done, AS_OF))
    assert view is not None
    assert view.table is None
    assert view.sentence == (
        "Am 30.09.2024 ist keine Maßnahme überfällig: jede, deren Zeitraum abgelaufen ist, "
        "ist implementiert."
    )


def test_measure_attributes_as_display_strings(concept, snapshot) -> None:
    view = measure_attributes(concept, snapshot, concept.measure("SP-1.1"))
    assert view.priority == "hoch (festgelegt am 09.11.2022)"
    assert view.timeframe == "01.03.2024 – 30.06.2024"
    assert view.overdue
    assert view.overdue_text.startswith("Überfällig: der Zeitraum endete am 30.06.2024")
    assert view.lead == "Volkshochschule"
    assert view.contributors == "Caritas"
    assert view.responsible == ("Volkshochschule", "Caritas")
    assert view.budget == "12.500,00\xa0€"
    assert view.tags == (("prioritaer", "prioritär"), ("ueberfaellig", "überfällig"))
    assert dict(view.facts) == {
        "Priorität": "hoch (festgelegt am 09.11.2022)",
        "Zeitraum": "01.03.2024 – 30.06.2024",
        "Federführend": "Volkshochschule",
        "Beteiligt": "Caritas",
        "Budget": "12.500,00\xa0€",
    }
    later = measure_attributes(concept, snapshot, concept.measure("SP-1.2"))
    assert later.timeframe == "bis 31.12.2025"
    assert not later.overdue
    assert dict(later.facts) == {"Zeitraum": "bis 31.12.2025"}
    assert timeframe_text(dt.date(2024, 1, 1), None) == "ab 01.01.2024"


def test_work_packages_with_their_statuses(concept, snapshot) -> None:
    assert package_progress(concept, snapshot, "AR-1.1") == "Arbeitspakete: 2 von 3 implementiert"
    assert package_progress(concept, snapshot, "AR-1.2") == ""
    view = measure_attributes(concept, snapshot, concept.measure("AR-1.1"))
    assert [(p.id, p.status_label, p.done) for p in view.packages] == [
        ("AR-1.1 AP1", "umgesetzt", True),
        ("AR-1.1 AP2", "umgesetzt", True),
        ("AR-1.1 AP3", "offen", False),
    ]
    assert view.packages_table is not None
    assert view.packages_table.rows[2] == ("AR-1.1 AP3", "Start", "offen", "keine Meldung")
    assert dict(view.facts)["Arbeitspakete"] == "2 von 3 implementiert"


def test_present_wires_the_views_in(concept, snapshot) -> None:
    p = present(concept, snapshot)
    assert p.overview.priorities == priority_view(concept, snapshot)
    assert p.overview.overdue == overdue_view(concept, snapshot)
    measure = p.measure("SP-1.1")
    assert measure.attributes is not None
    assert measure.attributes.overdue
    assert "volkshochschule" in measure.search_text  # the lead partner is searchable
    [language, work] = p.fields
    assert language.priorities is not None
    assert language.priorities.sentence == "Prioritäre Maßnahmen: 1 von 3, davon 0 implementiert."
    in_goal = next(m for g in language.goals for m in g.measures if m.id == "SP-1.1")
    assert in_goal == measure  # the field's tables show the same view
    assert work.goals[0].measures[0].attributes.package_progress.startswith("Arbeitspakete")


def test_a_concept_without_attributes_shows_none() -> None:
    concept = small_concept()
    snapshot = build_snapshot(concept, [], dt.date(2023, 9, 30))
    p = present(concept, snapshot)
    assert p.overview.priorities is None
    assert p.overview.overdue is None
    assert all(f.priorities is None for f in p.fields)
    assert all(m.attributes is not None and not m.attributes.any for m in p.measures)
    assert all(not m.attributes.prioritised and not m.attributes.overdue for m in p.measures)
