"""The cattrs converter: concepts and reports as JSON or YAML for developers.

Municipality staff edit the concept workbook; developers may prefer to keep a
concept in code review as YAML or JSON. One converter serves both formats.

Example:
    >>> import kik_core
    >>> c = kik_core.Concept("Musterstadt", "KIK", None,
    ...     (kik_core.FieldOfAction("BS", "Bildung"),), (kik_core.Goal("BS-1", "Ziel"),),
    ...     (kik_core.Measure("BS-1.1", "Maßnahme", partners=("vhs",)),))
    >>> concept_from_json(concept_to_json(c)) == c
    True
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from kik_core.model import (
    DEFAULT_SCHEME,
    Concept,
    Decision,
    FieldOfAction,
    Goal,
    Highlight,
    Indicator,
    Measure,
    Status,
    StatusGroup,
    StatusReport,
    StatusScheme,
    TimelineEntry,
)
from kik_core.rules import Snapshot

__all__ = [
    "concept_from_json",
    "concept_from_yaml",
    "concept_to_json",
    "concept_to_yaml",
    "configure_converter",
    "make_converter",
    "snapshot_from_json",
    "snapshot_to_json",
]

#: The version of the snapshot JSON written by :func:`snapshot_to_json`.
SNAPSHOT_FORMAT = 1

_WITH_SOURCE = (FieldOfAction, Goal, Measure)
#: Measure attributes written only where set, so a concept without them reads as before.
_MEASURE_OPTIONAL = ("priority", "priority_set_on", "start", "end", "lead", "budget")


def _scheme_to_data(scheme: StatusScheme) -> dict[str, Any]:
    return {
        "statuses": [
            {"label": s.label, "position": s.position, "group": s.group} for s in scheme.statuses
        ],
        "groups": [{"name": g.name, "counted": g.counted} for g in scheme.groups],
        "initial": scheme.initial,
    }


def _scheme_from_data(data: Any, _type: object = None) -> StatusScheme:
    if not isinstance(data, dict) or set(data) - {"statuses", "groups", "initial"}:
        raise ValueError(f"not a status scheme: {data!r}")
    return StatusScheme(
        statuses=tuple(
            Status(str(s["label"]), int(s["position"]), str(s.get("group", "")))
            for s in data["statuses"]
        ),
        groups=tuple(
            StatusGroup(str(g["name"]), bool(g.get("counted", True)))
            for g in data.get("groups", ())
        ),
        initial=str(data.get("initial", "")),
    )


def configure_converter(converter: cattrs.Converter, scheme: StatusScheme = DEFAULT_SCHEME) -> None:
    """Register kik's hooks on ``converter``: ISO dates, German status labels, no provenance.

    Statuses are written as their labels and read back with ``scheme``
    (Kempten's by default). A concept's or snapshot's scheme is written out only
    where it differs from the default, so data written before schemes existed
    reads back unchanged. Unknown keys are an error (``forbid_extra_keys``): a
    typo in a YAML concept must not pass silently.
    """
    converter.register_unstructure_hook(dt.date, dt.date.isoformat)
    converter.register_structure_hook(dt.date, lambda v, _: dt.date.fromisoformat(v))
    converter.register_unstructure_hook(dt.datetime, dt.datetime.isoformat)
    converter.register_structure_hook(dt.datetime, lambda v, _: dt.datetime.fromisoformat(v))
    converter.register_unstructure_hook(Status, lambda s: s.value)
    converter.register_structure_hook(Status, lambda v, _: scheme.parse(v))
    converter.register_unstructure_hook(StatusScheme, _scheme_to_data)
    converter.register_structure_hook(StatusScheme, _scheme_from_data)
    for cls in _WITH_SOURCE:
        overrides: dict[str, Any] = {"source": override(omit=True)}
        if cls is not FieldOfAction:
            overrides["parent"] = override(omit_if_default=True)
        if cls is Measure:
            overrides |= dict.fromkeys(_MEASURE_OPTIONAL, override(omit_if_default=True))
        converter.register_unstructure_hook(
            cls, make_dict_unstructure_fn(cls, converter, **overrides)
        )
        converter.register_structure_hook(
            cls,
            make_dict_structure_fn(
                cls, converter, source=override(omit=True), _cattrs_forbid_extra_keys=True
            ),
        )
    converter.register_unstructure_hook(
        Snapshot,
        make_dict_unstructure_fn(
            Snapshot,
            converter,
            scheme=override(omit_if_default=True),
            packages=override(omit_if_default=True),
        ),
    )
    converter.register_unstructure_hook(
        Concept,
        make_dict_unstructure_fn(
            Concept,
            converter,
            statuses=override(omit_if_default=True),
            levels=override(omit_if_default=True),
            work_packages=override(omit_if_default=True),
        ),
    )
    for plain in (Concept, Highlight, Indicator, TimelineEntry, StatusReport, Decision):
        converter.register_structure_hook(
            plain, make_dict_structure_fn(plain, converter, _cattrs_forbid_extra_keys=True)
        )


def make_converter(scheme: StatusScheme = DEFAULT_SCHEME) -> cattrs.Converter:
    """A new converter configured for kik's model (see :func:`configure_converter`)."""
    converter = cattrs.Converter(forbid_extra_keys=True)
    configure_converter(converter, scheme)
    return converter


_CONVERTER = make_converter()


def concept_to_data(concept: Concept) -> dict[str, Any]:
    """The concept as plain dicts, lists and strings."""
    data: dict[str, Any] = _CONVERTER.unstructure(concept)
    return data


def concept_from_data(data: dict[str, Any]) -> Concept:
    """Build a concept from plain data (raises cattrs' ``ClassValidationError`` on bad data)."""
    return _converter_for(data.get("statuses")).structure(data, Concept)


def _converter_for(scheme_data: Any) -> cattrs.Converter:
    """The converter that reads statuses of the scheme in ``scheme_data`` (None: default)."""
    if scheme_data is None:
        return _CONVERTER
    scheme = _scheme_from_data(scheme_data)
    return _CONVERTER if scheme == DEFAULT_SCHEME else make_converter(scheme)


def concept_to_json(concept: Concept) -> str:
    """The concept as pretty-printed JSON."""
    return json.dumps(concept_to_data(concept), ensure_ascii=False, indent=2)


def concept_from_json(text: str) -> Concept:
    """Build a concept from JSON written by :func:`concept_to_json`."""
    return concept_from_data(json.loads(text))


def concept_to_yaml(concept: Concept) -> str:
    """The concept as YAML (block style, Unicode kept)."""
    import yaml

    return str(yaml.safe_dump(concept_to_data(concept), allow_unicode=True, sort_keys=False))


def concept_from_yaml(text: str) -> Concept:
    """Build a concept from YAML written by :func:`concept_to_yaml`."""
    import yaml

    return concept_from_data(yaml.safe_load(text))


def snapshot_to_json(snapshot: Snapshot) -> str:
    """A snapshot as JSON: every effective status, count and text with its provenance.

    This is what an issued round stores (see :meth:`kik_core.store.Store.issue_round`),
    so its report can be shown again, unchanged, whatever arrives later.
    """
    data = {"format": SNAPSHOT_FORMAT, "snapshot": _CONVERTER.unstructure(snapshot, Snapshot)}
    return json.dumps(data, ensure_ascii=False)


def snapshot_from_json(text: str) -> Snapshot:
    """Rebuild a snapshot written by :func:`snapshot_to_json`.

    Raises:
        ValueError: the JSON was written in a format this version does not know.
    """
    data = json.loads(text)
    if data.get("format") != SNAPSHOT_FORMAT:
        raise ValueError(f"unknown snapshot format {data.get('format')!r}")
    return _converter_for(data["snapshot"].get("scheme")).structure(data["snapshot"], Snapshot)
