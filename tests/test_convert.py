"""The cattrs converter: lossless JSON and YAML round trips, unknown keys refused."""

from __future__ import annotations

import json

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
