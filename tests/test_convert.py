"""The cattrs converter: lossless JSON and YAML round trips, unknown keys refused."""

from __future__ import annotations

import json
from pathlib import Path

import cattrs
import pytest
from hypothesis import given

from kik_core import Concept, concept_from_json, concept_to_json, make_converter
from kik_core.convert import concept_from_yaml, concept_to_yaml

from .strategies import concepts


@given(concepts())
def test_json_round_trip_is_lossless(concept: Concept) -> None:
    assert concept_from_json(concept_to_json(concept)) == concept


@given(concepts(max_fields=2))
def test_yaml_round_trip_is_lossless(concept: Concept) -> None:
    assert concept_from_yaml(concept_to_yaml(concept)) == concept


def test_json_shape(concept: Concept) -> None:
    data = json.loads(concept_to_json(concept))
    assert data["adopted_on"] == "2021-11-18"
    assert data["measures"][0] == {
        "id": "BS-1.1",
        "text": "Strukturen werden aufgebaut.",
        "group": "Informelle Bildung",
        "partners": [],
    }


def test_unknown_keys_are_an_error(concept: Concept) -> None:
    data = json.loads(concept_to_json(concept))
    data["measures"][0]["grupe"] = "Tippfehler"
    with pytest.raises(cattrs.errors.ClassValidationError):
        concept_from_json(json.dumps(data))


def test_converter_validates_model_rules(concept: Concept) -> None:
    data = json.loads(concept_to_json(concept))
    data["measures"][0]["id"] = "BS-7.1"
    with pytest.raises(cattrs.errors.ClassValidationError) as info:
        make_converter().structure(data, Concept)
    (cause,) = info.value.exceptions
    assert "belongs to goal 'BS-7'" in str(cause)


# --- status schemes and stored snapshots (issue 17) ------------------------------

DATA = Path(__file__).parent / "data"


def test_snapshot_written_before_schemes_still_loads_and_is_written_the_same() -> None:
    """tests/data/snapshot_format1.json was written by the code before status schemes."""
    from kik_core.convert import snapshot_from_json, snapshot_to_json
    from kik_core.model import DEFAULT_SCHEME, Status

    text = (DATA / "snapshot_format1.json").read_text(encoding="utf-8").strip()
    snapshot = snapshot_from_json(text)
    assert snapshot.scheme == DEFAULT_SCHEME
    assert snapshot.status_of("BS-1.2") is Status.IN_BEARBEITUNG
    assert snapshot.overall.percentages[Status.IMPLEMENTIERT] == 33
    assert [(c.measure_id, c.is_regression) for c in snapshot.changes] == [
        ("BS-1.1", True),
        ("BS-1.2", False),
        ("BS-1.3", False),
    ]
    assert snapshot_to_json(snapshot) == text


def test_snapshot_of_an_own_scheme_round_trips() -> None:
    import datetime as dt

    from kik_core import FieldOfAction, Goal, Measure, StatusReport, build_snapshot
    from kik_core.convert import snapshot_from_json, snapshot_to_json

    from .scheme_fixtures import ENTFAELLT, FIVE

    concept = Concept(
        "B", "K", None, (FieldOfAction("BS", "B"),), (Goal("BS-1", "Z"),),
        (Measure("BS-1.1", "M"), Measure("BS-1.2", "N")), FIVE,
    )  # fmt: skip
    day = dt.date(2024, 3, 31)
    snapshot = build_snapshot(concept, [StatusReport("BS-1.1", ENTFAELLT, day, "vhs")], day)
    back = snapshot_from_json(snapshot_to_json(snapshot))
    assert back == snapshot
    assert back.status_of("BS-1.1").group == "entfallen"
    assert back.scheme.group("entfallen").counted is False
    assert concept_from_json(concept_to_json(concept)).statuses == FIVE
    assert "statuses" not in json.loads(concept_to_json(attrs_evolve_default(concept)))


def attrs_evolve_default(concept: Concept) -> Concept:
    import attrs

    from kik_core.model import DEFAULT_SCHEME

    return attrs.evolve(concept, statuses=DEFAULT_SCHEME)


def test_measure_attributes_round_trip_and_are_omitted_when_unset() -> None:
    import datetime as dt

    from kik_core import FieldOfAction, Goal, Measure

    measure = Measure(
        "BS-1.1", "M", lead="vhs", priority="hoch", priority_set_on=dt.date(2022, 1, 1),
        start=dt.date(2022, 1, 1), end=dt.date(2024, 1, 1), budget=1000.0,
    )  # fmt: skip
    concept = Concept(
        "B", "K", None, (FieldOfAction("BS", "B"),), (Goal("BS-1", "Z"),),
        (measure, Measure("BS-1.2", "N")),
    )  # fmt: skip
    assert concept_from_json(concept_to_json(concept)) == concept
    data = json.loads(concept_to_json(concept))
    assert data["measures"][0]["end"] == "2024-01-01"
    assert set(data["measures"][1]) == {"id", "text", "group", "partners"}
