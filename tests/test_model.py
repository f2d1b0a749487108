"""The model: validation at construction, ids, ordering, duplicate detection."""

from __future__ import annotations

import datetime as dt

import attrs
import pytest

from kik_core import (
    Concept,
    DuplicateIdError,
    FieldOfAction,
    Goal,
    Highlight,
    Measure,
    ModelError,
    Provenance,
    ReportingPeriod,
    Status,
    StatusReport,
)
from kik_core.model import parse_id


def test_status_labels_are_exactly_the_german_ones() -> None:
    assert [s.label for s in Status] == ["wartend", "in Bearbeitung", "implementiert"]


def test_status_is_ordered_by_progress() -> None:
    assert Status.WARTEND < Status.IN_BEARBEITUNG < Status.IMPLEMENTIERT
    assert min(Status) is Status.WARTEND
    assert max(Status) is Status.IMPLEMENTIERT


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wartend", Status.WARTEND),
        ("  In Bearbeitung ", Status.IN_BEARBEITUNG),
        ("IMPLEMENTIERT", Status.IMPLEMENTIERT),
        ("in  bearbeitung", Status.IN_BEARBEITUNG),
    ],
)
def test_status_parse_ignores_case_and_spaces(text: str, expected: Status) -> None:
    assert Status.parse(text) is expected


def test_status_parse_rejects_other_words() -> None:
    with pytest.raises(ModelError, match="fertig"):
        Status.parse("fertig")


@pytest.mark.parametrize("bad", ["bs-1.1", "BS1.1", "BS-0.1", "BS-1.", "BS-1.1.1", "-1.1", ""])
def test_measure_ids_are_validated(bad: str) -> None:
    with pytest.raises(ModelError):
        Measure(bad, "Text")


@pytest.mark.parametrize("bad", ["BS-1.1", "BS", "bs-1", "BS-"])
def test_goal_ids_are_validated(bad: str) -> None:
    with pytest.raises(ModelError):
        Goal(bad, "Text")


def test_field_code_is_validated() -> None:
    with pytest.raises(ModelError, match="field code"):
        FieldOfAction("b s", "Bildung")


def test_empty_texts_are_rejected() -> None:
    with pytest.raises(ModelError):
        Measure("BS-1.1", "   ")
    with pytest.raises(ModelError):
        FieldOfAction("BS", "")


def test_ids_split_into_parts() -> None:
    assert parse_id("BS-4.3") == ("BS", 4, 3)
    assert parse_id("AA-12") == ("AA", 12, None)
    m = Measure("BS-4.3", "Text")
    assert (m.goal_id, m.field_code, m.number) == ("BS-4", "BS", "4.3")
    g = Goal("BS-4", "Ziel")
    assert (g.field_code, g.number) == ("BS", 4)


def test_value_objects_are_frozen(concept: Concept) -> None:
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        concept.measures[0].text = "anders"  # type: ignore[misc]


def test_concept_sorts_goals_and_measures_numerically() -> None:
    c = Concept(
        "M",
        "T",
        None,
        (FieldOfAction("BS", "B"), FieldOfAction("AA", "A")),
        (Goal("BS-10", "z"), Goal("AA-1", "a"), Goal("BS-2", "b")),
        (Measure("BS-2.10", "x"), Measure("BS-2.2", "y"), Measure("AA-1.1", "a")),
    )
    assert [g.id for g in c.goals] == ["BS-2", "BS-10", "AA-1"]
    assert [m.id for m in c.measures] == ["BS-2.2", "BS-2.10", "AA-1.1"]
    assert [m.id for m in c.measures_of("BS")] == ["BS-2.2", "BS-2.10"]
    assert list(c.known_ids()) == ["BS-2", "BS-2.2", "BS-2.10", "BS-10", "AA-1", "AA-1.1"]


def test_every_goal_needs_its_field() -> None:
    with pytest.raises(ModelError, match="'AA'"):
        Concept("M", "T", None, (FieldOfAction("BS", "B"),), (Goal("AA-1", "x"),))


def test_every_measure_needs_its_goal() -> None:
    with pytest.raises(ModelError, match="'BS-2'"):
        Concept(
            "M",
            "T",
            None,
            (FieldOfAction("BS", "B"),),
            (Goal("BS-1", "x"),),
            (Measure("BS-2.1", "y"),),
        )


def test_duplicate_id_names_both_places() -> None:
    first = Measure("BS-1.1", "a", source=Provenance("konzept.xlsx", 2, "Maßnahmen"))
    second = Measure("BS-1.1", "b", source=Provenance("konzept.xlsx", 9, "Maßnahmen"))
    with pytest.raises(DuplicateIdError) as info:
        Concept("M", "T", None, (FieldOfAction("BS", "B"),), (Goal("BS-1", "x"),), (first, second))
    message = str(info.value)
    assert "Zeile 2" in message
    assert "Zeile 9" in message


def test_duplicate_ids_without_source_name_their_positions() -> None:
    with pytest.raises(DuplicateIdError, match=r"field Nr\. 1 and field Nr\. 2"):
        Concept("M", "T", None, (FieldOfAction("BS", "B"), FieldOfAction("BS", "C")))


def test_lookup_helpers(concept: Concept) -> None:
    assert concept.field("BS").name == "Bildung und Sprache"
    assert concept.goal("AA-1").text == "Beratung vor Ort."
    assert concept.measure("AA-1.2").partners == ("Agentur für Arbeit", "vhs Kempten")
    assert concept.has_id("BS-1")
    assert concept.has_id("BS-1.1")
    assert not concept.has_id("BS-9.9")
    assert concept.partners() == ("Agentur für Arbeit", "vhs Kempten")
    with pytest.raises(KeyError):
        concept.measure("XX-1.1")


def test_status_report_rules() -> None:
    day = dt.date(2023, 9, 30)
    report = StatusReport("BS-1.1", " implementiert ", day, "vhs")
    assert report.status is Status.IMPLEMENTIERT
    assert not report.is_goal_report
    goal_report = StatusReport("BS-1", None, day, "vhs", "Stand", "Ausblick")
    assert goal_report.is_goal_report
    with pytest.raises(ModelError, match="goal"):
        StatusReport("BS-1", Status.WARTEND, day, "vhs")
    with pytest.raises(ModelError, match="needs a status"):
        StatusReport("BS-1.1", None, day, "vhs")
    with pytest.raises(ModelError, match="date"):
        StatusReport("BS-1.1", Status.WARTEND, dt.datetime(2023, 9, 30, tzinfo=dt.UTC), "vhs")
    with pytest.raises(ModelError):
        StatusReport("BS-1.1", Status.WARTEND, day, "  ")


def test_highlight_ids_are_checked() -> None:
    assert Highlight("Dolmetscher-Pool", measure_ids=("BE-5.1", " BE-5.2")).measure_ids == (
        "BE-5.1",
        "BE-5.2",
    )
    with pytest.raises(ModelError, match="not measure ids"):
        Highlight("x", measure_ids=("BE-5",))


def test_reporting_period_order() -> None:
    ReportingPeriod(dt.date(2023, 9, 30), dt.date(2022, 9, 30))
    with pytest.raises(ModelError, match="before"):
        ReportingPeriod(dt.date(2023, 9, 30), dt.date(2023, 9, 30))


# --- status schemes (issue 17) ------------------------------------------------


def test_default_scheme_is_kempten_s_three_statuses() -> None:
    from kik_core.model import DEFAULT_SCHEME

    assert DEFAULT_SCHEME.labels == ("wartend", "in Bearbeitung", "implementiert")
    assert DEFAULT_SCHEME.is_simple
    assert DEFAULT_SCHEME.initial_status is Status.WARTEND
    assert DEFAULT_SCHEME.done_group.name == "implementiert"
    assert [g.name for g in DEFAULT_SCHEME.groups] == list(DEFAULT_SCHEME.labels)


def test_scheme_parses_orders_and_groups() -> None:
    from .scheme_fixtures import ENTFAELLT, FIVE, OFFEN, UMGESETZT, ZURUECK

    assert FIVE.parse("  ENTFÄLLT ") is ENTFAELLT
    assert FIVE.initial_status is OFFEN
    assert OFFEN < ZURUECK < UMGESETZT < ENTFAELLT
    assert FIVE.group_of(ZURUECK).name == "wartend"
    assert not FIVE.group_of(ENTFAELLT).counted
    assert FIVE.is_done(UMGESETZT)
    assert not FIVE.is_done(ENTFAELLT)
    assert not FIVE.is_simple
    with pytest.raises(ModelError, match="offen, zurückgestellt"):
        FIVE.parse("implementiert")


@pytest.mark.parametrize(
    ("statuses", "groups", "message"),
    [
        ((Status("a", 0), Status("A", 1)), (), "unique"),
        ((Status("a", 0), Status("b", 0)), (), "positions"),
        ((Status("a", 0, "g"),), (), None),
        ((Status("a", 0, "x"),), ("y",), "group 'x'"),
        ((Status("a", 0),), ("a!",), "group 'a'"),
    ],
)
def test_scheme_validation(
    statuses: tuple[Status, ...], groups: tuple[str, ...], message: str | None
) -> None:
    from kik_core.model import StatusGroup, StatusScheme

    made = tuple(StatusGroup(g) for g in groups)
    if message is None:
        assert StatusScheme(statuses, made).groups == (StatusGroup("g"),)
        return
    with pytest.raises(ModelError, match=message):
        StatusScheme(statuses, made)


def test_scheme_needs_a_counted_group_and_a_known_initial() -> None:
    from kik_core.model import StatusGroup, StatusScheme

    with pytest.raises(ModelError, match="at least one"):
        StatusScheme((Status("a", 0, "g"),), (StatusGroup("g", counted=False),))
    with pytest.raises(ModelError, match="initial"):
        StatusScheme((Status("a", 0),), initial="b")
    assert StatusScheme((Status("a", 0), Status("b", 1)), initial="B").initial_status.label == "b"


def test_statuses_are_equal_by_label() -> None:
    assert Status("wartend", 7, "x") == Status.WARTEND
    assert hash(Status(" Wartend ")) == hash(Status.WARTEND)
    assert Status.WARTEND.value == "wartend"
    assert len(Status) == 3


# --- measure attributes (issue 17) ----------------------------------------------


def test_measure_attributes_are_checked() -> None:
    day = dt.date(2024, 1, 1)
    m = Measure("BS-1.1", "M", partners=("Caritas",), lead="vhs", priority="hoch", end=day)
    assert m.prioritised
    assert m.responsible == ("vhs", "Caritas")
    assert m.is_overdue(dt.date(2024, 1, 2), done=False)
    assert not m.is_overdue(dt.date(2024, 1, 2), done=True)
    assert not m.is_overdue(day, done=False)
    with pytest.raises(ModelError, match="before the start"):
        Measure("BS-1.1", "M", start=day, end=dt.date(2023, 12, 31))
    with pytest.raises(ModelError, match="not also a contributor"):
        Measure("BS-1.1", "M", partners=("VHS ",), lead="vhs")
    with pytest.raises(ModelError, match="needs a priority"):
        Measure("BS-1.1", "M", priority_set_on=day)
    with pytest.raises(ModelError, match="negative"):
        Measure("BS-1.1", "M", budget=-1.0)


# --- levels and free-form numbers (issue 17) --------------------------------------


def _field() -> tuple[FieldOfAction, ...]:
    return (FieldOfAction("1", "Sprache"),)


def test_levels_are_checked() -> None:
    with pytest.raises(ModelError, match="2 to 4 levels"):
        Concept("M", "K", levels=("Maßnahme",))
    with pytest.raises(ModelError, match="only 3 levels"):
        Concept(
            "M", "K", None, _field(),
            (Goal("1.1", "a", parent="1"), Goal("1.1.1", "b", parent="1.1")),
        )  # fmt: skip
    with pytest.raises(ModelError, match=r"belongs to goal '1\.1'"):
        Concept(
            "M", "K", None, _field(),
            (Goal("1.1", "a", parent="1"), Goal("1.1.1", "b", parent="1.1")),
            (Measure("1.1.9", "m", parent="1.1"),),
            levels=("H", "L", "T", "M"),
        )  # fmt: skip
    with pytest.raises(ModelError, match="field or goal '9'"):
        Concept("M", "K", None, _field(), (Goal("9.1", "a", parent="9"),))
    with pytest.raises(DuplicateIdError, match="also a goal"):
        Concept(
            "M", "K", None, _field(), (Goal("1.1", "a", parent="1"),),
            (Measure("1.1", "m", parent="1.1"),),
        )  # fmt: skip


def test_free_numbers_are_checked() -> None:
    with pytest.raises(ModelError, match="not a number"):
        Measure("M;17", "m", parent="BI")
    assert Measure("A 3", "m", parent="A").number == "A 3"
    assert Goal("1.2", "z", parent="1").number == "1.2"
    report = StatusReport("M17", None, dt.date(2024, 1, 1), "vhs", "Text")
    assert report.is_goal_report  # free-form: no status means a goal's texts
