"""The status rules, one test (at least) per rule, plus properties of the rounding."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kik_core import (
    Concept,
    Decision,
    Status,
    StatusReport,
    build_snapshot,
    changes_between,
    effective_statuses,
    largest_remainder_percentages,
    regressions,
)
from kik_core.rules import Change, StatusCounts, decision_in_force

from .strategies import concepts, counts, reports_for

W, B, I = Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT  # noqa: E741 - reads like the table
D1, D2, D3 = dt.date(2022, 9, 30), dt.date(2023, 3, 31), dt.date(2023, 9, 30)


def r(target: str, status: Status | None, day: dt.date, partner: str = "vhs") -> StatusReport:
    return StatusReport(target, status, day, partner)


# Rule 1: the latest report up to the date wins
def test_latest_report_wins(concept: Concept) -> None:
    reports = [r("BS-1.1", W, D1), r("BS-1.1", I, D3), r("BS-1.1", B, D2)]
    assert effective_statuses(concept, reports, D3)["BS-1.1"].status is I
    assert effective_statuses(concept, reports, D2)["BS-1.1"].status is B
    assert effective_statuses(concept, reports, D1)["BS-1.1"].status is W


def test_reports_after_the_date_are_ignored(concept: Concept) -> None:
    status = effective_statuses(concept, [r("BS-1.1", I, D3)], D2)["BS-1.1"]
    assert status.status is W
    assert not status.reported


# Rule 2: conflicts on the same latest date: least advanced wins, conflict listed
def test_conflict_takes_least_advanced_and_is_listed(concept: Concept) -> None:
    reports = [r("AA-1.2", I, D3, "vhs Kempten"), r("AA-1.2", B, D3, "Agentur für Arbeit")]
    snapshot = build_snapshot(concept, reports, D3)
    assert snapshot.status_of("AA-1.2") is B
    (conflict,) = snapshot.conflicts
    assert conflict.measure_id == "AA-1.2"
    assert conflict.as_of == D3
    assert conflict.statuses == {"Agentur für Arbeit": B, "vhs Kempten": I}


def test_same_status_from_two_partners_is_no_conflict(concept: Concept) -> None:
    reports = [r("AA-1.2", I, D3, "vhs Kempten"), r("AA-1.2", I, D3, "Agentur für Arbeit")]
    assert build_snapshot(concept, reports, D3).conflicts == ()


def test_a_partners_later_report_on_the_same_day_is_a_correction(concept: Concept) -> None:
    reports = [r("AA-1.2", I, D3, "vhs Kempten"), r("AA-1.2", B, D3, "VHS  Kempten")]
    snapshot = build_snapshot(concept, reports, D3)
    assert snapshot.conflicts == ()
    assert snapshot.status_of("AA-1.2") is B
    assert snapshot.statuses["AA-1.2"].reports == (reports[1],)


def test_older_disagreement_is_no_conflict(concept: Concept) -> None:
    reports = [r("AA-1.2", I, D1, "vhs"), r("AA-1.2", W, D1, "AfA"), r("AA-1.2", I, D3, "vhs")]
    snapshot = build_snapshot(concept, reports, D3)
    assert snapshot.conflicts == ()
    assert snapshot.status_of("AA-1.2") is I


# Rule 3: no report means wartend
def test_unreported_measure_is_wartend(concept: Concept) -> None:
    statuses = effective_statuses(concept, [], D3)
    assert {s.status for s in statuses.values()} == {W}
    assert all(s.as_of is None for s in statuses.values())


# Rule 4: regressions are allowed and flagged
def test_regression_is_allowed_and_flagged(concept: Concept) -> None:
    reports = [r("BS-1.1", I, D1), r("BS-1.1", B, D3), r("BS-1.2", B, D1), r("BS-1.2", W, D2)]
    assert effective_statuses(concept, reports, D3)["BS-1.1"].status is B
    found = {(c.measure_id, c.before, c.after) for c in regressions(concept, reports, D3)}
    assert found == {("BS-1.1", I, B), ("BS-1.2", B, W)}
    assert all(c.is_regression for c in regressions(concept, reports, D3))


def test_progress_is_not_a_regression(concept: Concept) -> None:
    reports = [r("BS-1.1", W, D1), r("BS-1.1", B, D2), r("BS-1.1", I, D3)]
    assert regressions(concept, reports, D3) == []


# Rule 5: aggregation with largest-remainder rounding
@pytest.mark.parametrize(
    ("impl", "bearb", "wart", "expected"),
    [
        (7, 11, 12, (23, 37, 40)),  # seed: Bildung und Sprache chart
        (7, 14, 3, (29, 58, 13)),  # seed: Gesellschaftliche Teilhabe
        (7, 13, 10, (23, 44, 33)),  # tie rule: .333 ties, larger count first
        (2, 13, 4, (11, 68, 21)),  # Gesundheit und Pflege
        (13, 7, 7, (48, 26, 26)),  # Arbeit und Ausbildung
        (9, 6, 3, (50, 33, 17)),  # Bürgerschaftliches Engagement
        (7, 9, 10, (27, 35, 38)),  # Interkulturelle Öffnung
        (1, 1, 1, (34, 33, 33)),  # full tie: the more advanced status gets the point
        (0, 0, 0, (0, 0, 0)),
    ],
)
def test_largest_remainder_examples(
    impl: int, bearb: int, wart: int, expected: tuple[int, int, int]
) -> None:
    p = largest_remainder_percentages({I: impl, B: bearb, W: wart})
    assert (p[I], p[B], p[W]) == expected


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        largest_remainder_percentages({I: -1, B: 2, W: 0})


@given(counts)
def test_rounding_sums_to_100_and_stays_within_one(c: dict[Status, int]) -> None:
    p = largest_remainder_percentages(c)
    total = sum(c.values())
    if total == 0:
        assert set(p.values()) == {0}
        return
    assert sum(p.values()) == 100
    for status, count in c.items():
        assert abs(p[status] - 100 * count / total) < 1


def test_aggregation_per_field_goal_and_overall(concept: Concept) -> None:
    reports = [r("BS-1.1", I, D3), r("BS-1.2", B, D3), r("AA-1.1", I, D3)]
    s = build_snapshot(concept, reports, D3)
    assert dict(s.by_field["BS"].counts) == {W: 1, B: 1, I: 1}
    assert dict(s.by_field["BS"].percentages) == {W: 33, B: 33, I: 34}
    assert dict(s.by_goal["BS-1"].counts) == {W: 0, B: 1, I: 1}
    assert s.by_goal["BS-2"].total == 1
    assert s.overall.total == 6
    assert dict(s.overall.counts) == {W: 3, B: 1, I: 2}
    assert s.overall[I] == 2


@given(st.data())
def test_aggregates_are_consistent(data: st.DataObject) -> None:
    concept = data.draw(concepts())
    reports = data.draw(reports_for(concept))
    s = build_snapshot(concept, reports, dt.date(2024, 1, 1))
    assert s.overall.total == len(concept.measures)
    assert sum(c.total for c in s.by_field.values()) == len(concept.measures)
    for status in Status:
        assert sum(c.counts[status] for c in s.by_field.values()) == s.overall.counts[status]
        assert sum(c.counts[status] for c in s.by_goal.values()) == s.overall.counts[status]


# Rule 6: changes between two dates
def test_changes_between_dates(concept: Concept) -> None:
    reports = [r("BS-1.1", B, D1), r("BS-1.1", I, D3), r("AA-1.1", I, D1), r("AA-1.1", B, D3)]
    changes = changes_between(concept, reports, D1, D3)
    assert [(c.measure_id, c.before, c.after, c.is_regression) for c in changes] == [
        ("BS-1.1", B, I, False),
        ("AA-1.1", I, B, True),
    ]
    snapshot = build_snapshot(concept, reports, D3, previous=D1)
    assert snapshot.changes == tuple(changes)
    assert snapshot.previous == D1


def test_previous_must_be_earlier(concept: Concept) -> None:
    with pytest.raises(ValueError, match="before"):
        build_snapshot(concept, [], D1, previous=D3)


def test_goal_texts_latest_per_partner(concept: Concept) -> None:
    reports = [
        StatusReport("BS-1", None, D1, "vhs", "alt", "alt"),
        StatusReport("BS-1", None, D3, "vhs", "neu", "weiter"),
        StatusReport("BS-1", None, D2, "SmF", "smf", ""),
    ]
    texts = build_snapshot(concept, reports, D3).goal_texts["BS-1"]
    assert [(t.partner, t.current_state) for t in texts] == [("vhs", "neu"), ("SmF", "smf")]
    # an empty goal report (an untouched template row) does not hide the earlier text
    empty = StatusReport("BS-1", None, D3 + dt.timedelta(days=1), "SmF")
    later = build_snapshot(concept, [*reports, empty], D3 + dt.timedelta(days=1))
    assert [t.current_state for t in later.goal_texts["BS-1"]] == ["neu", "smf"]
    assert build_snapshot(concept, reports, D3).goal_texts["AA-1"] == ()


def test_status_counts_of_nothing() -> None:
    empty = StatusCounts.of([])
    assert empty.total == 0
    assert set(empty.percentages.values()) == {0}


# Rule 7: office decisions
def decide(
    measure: str, status: Status, day: dt.date, *, at: int = 0, by: str = "Büro"
) -> Decision:
    decided_at = dt.datetime(2023, 10, 10, 9, at, tzinfo=dt.UTC)
    return Decision(measure, status, day, "Abgestimmt im Lenkungskreis", by, decided_at)


def test_decision_resolves_a_conflict_of_the_same_date(concept: Concept) -> None:
    reports = [r("BS-1.1", I, D3, "vhs"), r("BS-1.1", B, D3, "SmF")]
    decision = decide("BS-1.1", I, D3)
    snapshot = build_snapshot(concept, reports, D3, decisions=[decision])
    effective = snapshot.statuses["BS-1.1"]
    assert effective.status is I
    assert effective.decision == decision
    assert effective.decided
    assert effective.conflict is None
    assert snapshot.conflicts == ()
    assert effective.reports  # the partner reports stay as provenance
    assert snapshot.decisions == (decision,)
    assert snapshot.overall.counts[I] == 1


def test_decision_wins_over_earlier_reports(concept: Concept) -> None:
    reports = [r("BS-1.1", I, D1)]
    decisions = [decide("BS-1.1", B, D2)]
    assert effective_statuses(concept, reports, D3, decisions=decisions)["BS-1.1"].status is B
    # before its as_of the decision does not hold
    before = effective_statuses(concept, reports, D1, decisions=decisions)["BS-1.1"]
    assert before.status is I
    assert before.decision is None


def test_later_partner_report_supersedes_a_decision(concept: Concept) -> None:
    reports = [r("BS-1.1", B, D1), r("BS-1.1", I, D3)]
    decisions = [decide("BS-1.1", W, D2)]
    at_d2 = effective_statuses(concept, reports, D2, decisions=decisions)["BS-1.1"]
    assert at_d2.status is W
    assert at_d2.decided
    at_d3 = effective_statuses(concept, reports, D3, decisions=decisions)["BS-1.1"]
    assert at_d3.status is I
    assert not at_d3.decided


def test_latest_decision_in_force_wins(concept: Concept) -> None:
    first, second = decide("BS-1.1", B, D2, at=1), decide("BS-1.1", I, D2, at=2)
    older = decide("BS-1.1", W, D1, at=3)
    assert decision_in_force([second, older, first], "BS-1.1", D3) == second
    assert decision_in_force([second, older, first], "BS-1.1", D1) == older
    assert decision_in_force([second], "BS-1.2", D3) is None


def test_decision_on_an_unreported_measure(concept: Concept) -> None:
    effective = effective_statuses(concept, [], D3, decisions=[decide("BS-1.2", I, D2)])
    assert effective["BS-1.2"].status is I
    assert not effective["BS-1.2"].reported


def test_decisions_count_in_changes_and_regressions(concept: Concept) -> None:
    reports = [r("BS-1.1", I, D1)]
    decisions = [decide("BS-1.1", B, D2)]
    assert changes_between(concept, reports, D1, D3, decisions=decisions) == [
        Change("BS-1.1", I, B)
    ]
    assert regressions(concept, reports, D3, decisions=decisions) == [Change("BS-1.1", I, B)]
    assert regressions(concept, reports, D1, decisions=decisions) == []


def test_snapshot_with_decisions_survives_the_json_round_trip(concept: Concept) -> None:
    from kik_core.convert import snapshot_from_json, snapshot_to_json

    reports = [r("BS-1.1", I, D3, "vhs"), r("BS-1.1", B, D3, "SmF")]
    snapshot = build_snapshot(concept, reports, D3, decisions=[decide("BS-1.1", I, D3)])
    again = snapshot_from_json(snapshot_to_json(snapshot))
    assert again.decisions == snapshot.decisions
    assert again.statuses["BS-1.1"].decision == snapshot.statuses["BS-1.1"].decision
    assert again.status_of("BS-1.1") is I


# --- a municipality's own status scheme (issue 17) -------------------------------


def _five_concept(n: int = 6) -> Concept:
    from kik_core import FieldOfAction, Goal, Measure

    from .scheme_fixtures import FIVE

    return Concept(
        "Beispielstadt",
        "KIK",
        None,
        (FieldOfAction("BS", "Bildung"),),
        (Goal("BS-1", "Ziel"),),
        tuple(Measure(f"BS-1.{i}", f"M{i}") for i in range(1, n + 1)),
        FIVE,
    )


def test_scheme_counts_groups_and_leaves_entfallen_out_of_the_percentages() -> None:
    from .scheme_fixtures import ENTFAELLT, FIVE, OFFEN, UMGESETZT, UMSETZUNG, ZURUECK

    concept = _five_concept()
    reports = [
        StatusReport("BS-1.1", FIVE.parse("zurückgestellt"), D3, "vhs"),
        StatusReport("BS-1.2", FIVE.parse("in Umsetzung"), D3, "vhs"),
        StatusReport("BS-1.3", FIVE.parse("umgesetzt"), D3, "vhs"),
        StatusReport("BS-1.4", FIVE.parse("Entfällt"), D3, "vhs"),
        StatusReport("BS-1.5", FIVE.parse("entfällt"), D3, "vhs"),
    ]
    snapshot = build_snapshot(concept, reports, D3)
    assert snapshot.status_of("BS-1.6") is OFFEN  # rule 3: the scheme's initial status
    counts = snapshot.overall
    assert dict(counts.counts) == {OFFEN: 1, ZURUECK: 1, UMSETZUNG: 1, UMGESETZT: 1, ENTFAELLT: 2}
    assert ENTFAELLT not in counts.percentages
    assert sum(counts.percentages.values()) == 100
    assert counts.total == 6
    assert counts.counted_total == 4
    groups = snapshot.summary(counts)
    assert {s.label: n for s, n in groups.counts.items()} == {
        "wartend": 2,
        "in Bearbeitung": 1,
        "implementiert": 1,
        "entfallen": 2,
    }
    assert {s.label: p for s, p in groups.percentages.items()} == {
        "wartend": 50,
        "in Bearbeitung": 25,
        "implementiert": 25,
    }


def test_scheme_conflicts_and_regressions_follow_its_order() -> None:
    from .scheme_fixtures import FIVE, UMSETZUNG, ZURUECK

    concept = _five_concept(2)
    reports = [
        StatusReport("BS-1.1", FIVE.parse("in Umsetzung"), D3, "vhs"),
        StatusReport("BS-1.1", FIVE.parse("zurückgestellt"), D3, "Caritas"),
        StatusReport("BS-1.2", FIVE.parse("umgesetzt"), D2, "vhs"),
        StatusReport("BS-1.2", FIVE.parse("in Umsetzung"), D3, "vhs"),
    ]
    snapshot = build_snapshot(concept, reports, D3, previous=D2)
    assert snapshot.status_of("BS-1.1") is ZURUECK  # least advanced wins
    assert [c.measure_id for c in snapshot.conflicts] == ["BS-1.1"]
    [back] = regressions(concept, reports, D3)
    assert (back.measure_id, back.after, back.is_regression) == ("BS-1.2", UMSETZUNG, True)


def test_default_scheme_summary_is_the_counts_themselves() -> None:
    counts = StatusCounts.of([W, B, B, I])
    assert counts.summary(Concept("M", "K").statuses) is counts


def test_priority_figures_and_overdue_measures() -> None:
    from kik_core import FieldOfAction, Goal, Measure
    from kik_core.rules import overdue_measures, priority_figures

    from .scheme_fixtures import FIVE

    end = dt.date(2023, 6, 30)
    measures = (
        Measure("BS-1.1", "a", priority="1", end=end),  # umgesetzt: done, not overdue
        Measure("BS-1.2", "b", priority="2", end=end),  # in Umsetzung: overdue
        Measure("BS-1.3", "c", end=end),  # entfällt: not overdue
        Measure("BS-1.4", "d", end=D3),  # ends on the day: not yet overdue
        Measure("BS-1.5", "e"),  # no timeframe
    )
    concept = Concept(
        "B", "K", None, (FieldOfAction("BS", "B"),), (Goal("BS-1", "Z"),), measures, FIVE
    )
    reports = [
        StatusReport("BS-1.1", FIVE.parse("umgesetzt"), D2, "vhs"),
        StatusReport("BS-1.2", FIVE.parse("in Umsetzung"), D2, "vhs"),
        StatusReport("BS-1.3", FIVE.parse("entfällt"), D2, "vhs"),
    ]
    snapshot = build_snapshot(concept, reports, D3)
    figures = priority_figures(concept, snapshot)
    assert (figures.prioritised, figures.total, figures.done) == (2, 5, 1)
    assert [m.id for m in overdue_measures(concept, snapshot)] == ["BS-1.2"]


# --- work packages (rule 8, issue 17) ---------------------------------------------


def _packaged() -> Concept:
    from kik_core import FieldOfAction, Goal, Measure
    from kik_core.model import WorkPackage

    return Concept(
        "M", "K", None, (FieldOfAction("BS", "B"),), (Goal("BS-1", "Z"),),
        (Measure("BS-1.1", "a"), Measure("BS-1.2", "b")),
        work_packages=(
            WorkPackage("BS-1.1 AP1", "BS-1.1", "Kurs planen"),
            WorkPackage("BS-1.1 AP2", "BS-1.1", "Kurs durchführen"),
        ),
    )  # fmt: skip


def test_derive_status_from_work_packages() -> None:
    from kik_core.rules import derive_status

    from .scheme_fixtures import ENTFAELLT, FIVE, OFFEN, UMGESETZT, UMSETZUNG, ZURUECK

    assert derive_status(FIVE, []) is OFFEN
    assert derive_status(FIVE, [OFFEN, ZURUECK]) is OFFEN  # still waiting
    assert derive_status(FIVE, [OFFEN, UMGESETZT]) is UMSETZUNG  # some progress
    assert derive_status(FIVE, [UMGESETZT, ENTFAELLT]) is UMGESETZT  # dropped parts don't hold back
    assert derive_status(FIVE, [ENTFAELLT, ENTFAELLT]) is ENTFAELLT


def test_rule_8_measure_status_from_packages_or_set_directly() -> None:
    concept = _packaged()
    reports = [
        StatusReport("BS-1.1 AP1", I, D1, "vhs"),  # AP2 unreported: wartend
        StatusReport("BS-1.1", I, D2, "Caritas"),  # set directly, later
        StatusReport("BS-1.1 AP2", B, D3, "vhs"),  # packages reported again
    ]
    assert build_snapshot(concept, reports, D1).status_of("BS-1.1") is B
    assert build_snapshot(concept, reports, D2).status_of("BS-1.1") is I
    snapshot = build_snapshot(concept, reports, D3)
    assert snapshot.status_of("BS-1.1") is B
    assert snapshot.packages["BS-1.1 AP2"].status is B
    assert [(c.measure_id, c.before, c.after) for c in regressions(concept, reports, D3)] == [
        ("BS-1.1", I, B)
    ]
    assert snapshot.overall.total == 2  # packages are not counted as measures
