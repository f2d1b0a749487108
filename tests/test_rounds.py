"""The round model and its pure rules: cadence, default Stichtag, membership, late corrections."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kik_core import Provenance, Status, StatusReport, build_snapshot
from kik_core.errors import RoundError
from kik_core.rounds import (
    Cadence,
    LateCorrection,
    Round,
    RoundState,
    changes_since,
    default_deadline,
    default_stichtag,
    late_corrections,
    round_for_date,
    round_snapshot,
)
from tests.conftest import small_concept

OPENED = dt.datetime(2024, 10, 1, 8, tzinfo=dt.UTC)


def _round(stichtag: dt.date, **changes: object) -> Round:
    base = Round(stichtag, default_deadline(stichtag), OPENED)
    return attrs.evolve(base, **changes) if changes else base


@pytest.mark.parametrize(
    ("today", "cadence", "expected"),
    [
        (dt.date(2024, 10, 1), Cadence.QUARTAL, dt.date(2024, 9, 30)),
        (dt.date(2024, 9, 30), Cadence.QUARTAL, dt.date(2024, 6, 30)),
        (dt.date(2024, 1, 1), Cadence.QUARTAL, dt.date(2023, 12, 31)),
        (dt.date(2024, 3, 31), Cadence.QUARTAL, dt.date(2023, 12, 31)),
        (dt.date(2024, 4, 1), Cadence.QUARTAL, dt.date(2024, 3, 31)),
        (dt.date(2024, 7, 1), Cadence.HALBJAHR, dt.date(2024, 6, 30)),
        (dt.date(2024, 6, 30), Cadence.HALBJAHR, dt.date(2023, 12, 31)),
        (dt.date(2024, 12, 31), Cadence.JAHR, dt.date(2023, 12, 31)),
        (dt.date(2025, 1, 1), Cadence.JAHR, dt.date(2024, 12, 31)),
    ],
)
def test_default_stichtag_is_the_last_period_end_before_today(
    today: dt.date, cadence: Cadence, expected: dt.date
) -> None:
    assert default_stichtag(today, cadence) == expected


@given(st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_default_stichtag_properties(today: dt.date) -> None:
    stichtag = default_stichtag(today)
    assert stichtag < today
    assert (stichtag + dt.timedelta(days=1)).day == 1  # a month end
    assert stichtag.month in (3, 6, 9, 12)
    assert (today - stichtag).days <= 92  # no quarter end in between


def test_cadence_parses_german_words() -> None:
    assert Cadence.parse("Quartal") is Cadence.QUARTAL
    assert Cadence.parse("halbjährlich") is Cadence.HALBJAHR
    assert Cadence.parse(" jahr ") is Cadence.JAHR
    with pytest.raises(RoundError, match="kein Berichtsrhythmus"):
        Cadence.parse("monatlich")


def test_deadline_before_stichtag_is_refused() -> None:
    with pytest.raises(RoundError, match=r"Frist 29\.09\.2024 liegt vor dem Stichtag"):
        Round(dt.date(2024, 9, 30), dt.date(2024, 9, 29), OPENED)
    with pytest.raises(RoundError):
        Round(dt.date(2024, 9, 30), dt.date(2024, 10, 21), dt.datetime(2024, 10, 1))
    with pytest.raises(RoundError):  # issued without a time
        Round(dt.date(2024, 9, 30), dt.date(2024, 10, 21), OPENED, RoundState.HERAUSGEGEBEN)


def test_membership_runs_from_the_previous_deadline_to_the_own_deadline() -> None:
    q2, q3 = _round(dt.date(2024, 6, 30)), _round(dt.date(2024, 9, 30))
    rounds = [q3, q2]  # order does not matter
    assert round_for_date(rounds, dt.date(2023, 1, 1)) is q2  # before the first: the first
    assert round_for_date(rounds, dt.date(2024, 7, 21)) is q2  # after Stichtag, by deadline
    assert round_for_date(rounds, dt.date(2024, 7, 22)) is q3  # the day after the deadline
    assert round_for_date(rounds, dt.date(2024, 10, 21)) is q3
    assert round_for_date(rounds, dt.date(2024, 10, 22)) is None  # waits for the next round


def test_round_snapshot_counts_rows_up_to_the_deadline_labelled_with_the_stichtag() -> None:
    concept = small_concept()
    q3 = _round(dt.date(2024, 9, 30))
    reports = [
        StatusReport("BS-1.1", "in Bearbeitung", dt.date(2024, 9, 28), "vhs"),
        StatusReport("BS-1.1", "implementiert", dt.date(2024, 10, 2), "vhs"),  # in the window
        StatusReport("BS-1.2", "implementiert", dt.date(2024, 10, 22), "vhs"),  # next round
    ]
    snapshot = round_snapshot(concept, reports, q3)
    assert snapshot.as_of == dt.date(2024, 9, 30)
    assert snapshot.status_of("BS-1.1") is Status.IMPLEMENTIERT
    assert snapshot.statuses["BS-1.1"].as_of == dt.date(2024, 10, 2)  # the partner's own date
    assert snapshot.status_of("BS-1.2") is Status.WARTEND
    assert snapshot.previous is None
    assert snapshot.changes == ()


def test_changes_are_against_the_issued_snapshot() -> None:
    concept = small_concept()
    q2, q3 = _round(dt.date(2024, 6, 30)), _round(dt.date(2024, 9, 30))
    first = [StatusReport("BS-1.1", "implementiert", dt.date(2024, 6, 30), "vhs")]
    issued = round_snapshot(concept, first, q2)
    later = [
        *first,
        # a late correction for round 2 would change a recomputed "before"; the issued one stays
        StatusReport("BS-1.2", "in Bearbeitung", dt.date(2024, 6, 20), "vhs"),
        StatusReport("BS-1.1", "in Bearbeitung", dt.date(2024, 9, 30), "vhs"),
    ]
    snapshot = round_snapshot(concept, later, q3, previous=issued)
    assert snapshot.previous == dt.date(2024, 6, 30)
    assert {(c.measure_id, c.before, c.after) for c in snapshot.changes} == {
        ("BS-1.1", Status.IMPLEMENTIERT, Status.IN_BEARBEITUNG),
        ("BS-1.2", Status.WARTEND, Status.IN_BEARBEITUNG),
    }
    assert [c.measure_id for c in snapshot.changes if c.is_regression] == ["BS-1.1"]
    assert changes_since(snapshot, snapshot) == ()


def test_late_corrections_are_listed_once_in_the_next_round() -> None:
    issued_q2 = dt.datetime(2024, 7, 25, 9, tzinfo=dt.UTC)
    issued_q3 = dt.datetime(2024, 10, 25, 9, tzinfo=dt.UTC)
    q2 = _round(dt.date(2024, 6, 30), state=RoundState.HERAUSGEGEBEN, issued_at=issued_q2)
    q3 = _round(dt.date(2024, 9, 30))
    on_time = StatusReport(
        "BS-1.1", "implementiert", dt.date(2024, 6, 30), "vhs", source=Provenance("a", 2, None, "a")
    )
    late = StatusReport(
        "BS-1.2", "wartend", dt.date(2024, 6, 25), "bib", source=Provenance("b", 2, None, "b")
    )
    current = StatusReport(
        "BS-2.1", "wartend", dt.date(2024, 9, 30), "vhs", source=Provenance("c", 2, None, "c")
    )
    ingested = {
        "a": issued_q2 - dt.timedelta(days=3),
        "b": issued_q2 + dt.timedelta(days=10),
        "c": issued_q2 + dt.timedelta(days=70),
    }
    found = late_corrections([on_time, late, current], [q2, q3], ingested, current=q3)
    assert found == (LateCorrection(late, dt.date(2024, 6, 30), ingested["b"]),)
    # once round 3 is issued, round 4 does not list it again
    q3_issued = attrs.evolve(q3, state=RoundState.HERAUSGEGEBEN, issued_at=issued_q3)
    q4 = _round(dt.date(2024, 12, 31))
    assert late_corrections([on_time, late], [q2, q3_issued, q4], ingested, current=q4) == ()
    # no issued round before the current one: nothing is late
    assert late_corrections([late], [_round(dt.date(2024, 6, 30))], ingested, current=q2) == ()


def test_round_snapshot_round_trips_through_the_converter() -> None:
    from kik_core.convert import snapshot_from_json, snapshot_to_json

    concept = small_concept()
    reports = [
        StatusReport(
            "BS-1.1",
            "implementiert",
            dt.date(2024, 9, 30),
            "vhs",
            "Läuft.",
            source=Provenance("vhs.xlsx", 3, "Rückmeldung", "abc"),
            notes=(("Kontakt", "Frau Muster"),),
        ),
        StatusReport("BS-1.1", "wartend", dt.date(2024, 9, 30), "jc"),
        StatusReport("BS-1", None, dt.date(2024, 9, 30), "vhs", "Stand", "Ausblick"),
    ]
    snapshot = build_snapshot(concept, reports, dt.date(2024, 9, 30))
    assert snapshot.conflicts  # conflicts, texts and provenance survive
    again = snapshot_from_json(snapshot_to_json(snapshot))
    assert again == snapshot
    assert again.statuses["BS-1.1"].reports[1].source == reports[0].source
    assert list(again.statuses) == list(snapshot.statuses)


def test_module_examples_run() -> None:
    import doctest

    import kik_core.rounds
    import kik_core.settings

    for module in (kik_core.rounds, kik_core.settings):
        assert doctest.testmod(module).failed == 0, module.__name__
