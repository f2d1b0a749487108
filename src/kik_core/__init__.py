"""kik_core: track a municipal integration concept and report on it.

The public API: the model (:class:`Concept`, :class:`FieldOfAction`, :class:`Goal`,
:class:`Measure`, :class:`Status`, :class:`StatusReport`, ...), the status rules
(:func:`build_snapshot` and friends), reporting rounds (:class:`Round`,
:func:`default_stichtag`), the concept workbook
(:func:`load_concept`, :func:`write_concept_template`) and the errors.
Ingest, store and report live in the subpackages :mod:`kik_core.ingest`,
:mod:`kik_core.store` and :mod:`kik_core.report`.
"""

import importlib
from typing import TYPE_CHECKING

from kik_core._version import __version__

if TYPE_CHECKING:  # the names below are imported on first use (issue 16: fast start-up)
    from kik_core.concept_workbook import (
        ReportContent,
        load_concept,
        load_partner_contacts,
        load_report_content,
        write_concept_template,
        write_concept_workbook,
    )
    from kik_core.convert import concept_from_json, concept_to_json, make_converter
    from kik_core.editions import (
        EditionChange,
        EditionLink,
        Editions,
        LinkKind,
        carry_history,
        edition_snapshot,
        load_edition_change,
        write_mapping_template,
    )
    from kik_core.errors import (
        ConceptWorkbookError,
        DuplicateIdError,
        KikError,
        Location,
        ModelError,
        Problem,
        Reason,
        ReportError,
        RoundError,
        SettingsError,
        StoreError,
        UnreadableFileError,
    )
    from kik_core.model import (
        Concept,
        Decision,
        FieldOfAction,
        Goal,
        Highlight,
        Indicator,
        Measure,
        PartnerContact,
        Provenance,
        ReportingPeriod,
        Status,
        StatusGroup,
        StatusReport,
        StatusScheme,
        TimelineEntry,
    )
    from kik_core.rounds import Cadence, LateCorrection, Round, RoundState, default_stichtag
    from kik_core.rules import (
        Change,
        Conflict,
        EffectiveStatus,
        GoalText,
        Snapshot,
        StatusCounts,
        build_snapshot,
        changes_between,
        effective_statuses,
        goal_texts,
        largest_remainder_percentages,
        regressions,
    )

__all__ = [
    "Cadence",
    "Change",
    "Concept",
    "ConceptWorkbookError",
    "Conflict",
    "Decision",
    "DuplicateIdError",
    "EditionChange",
    "EditionLink",
    "Editions",
    "EffectiveStatus",
    "FieldOfAction",
    "Goal",
    "GoalText",
    "Highlight",
    "Indicator",
    "KikError",
    "LateCorrection",
    "LinkKind",
    "Location",
    "Measure",
    "ModelError",
    "PartnerContact",
    "Problem",
    "Provenance",
    "Reason",
    "ReportContent",
    "ReportError",
    "ReportingPeriod",
    "Round",
    "RoundError",
    "RoundState",
    "SettingsError",
    "Snapshot",
    "Status",
    "StatusCounts",
    "StatusGroup",
    "StatusReport",
    "StatusScheme",
    "StoreError",
    "TimelineEntry",
    "UnreadableFileError",
    "__version__",
    "build_snapshot",
    "carry_history",
    "changes_between",
    "concept_from_json",
    "concept_to_json",
    "default_stichtag",
    "edition_snapshot",
    "effective_statuses",
    "goal_texts",
    "largest_remainder_percentages",
    "load_concept",
    "load_edition_change",
    "load_partner_contacts",
    "load_report_content",
    "make_converter",
    "regressions",
    "write_concept_template",
    "write_concept_workbook",
    "write_mapping_template",
]


#: Where each public name lives; imported on first access (PEP 562), so that ``kik --help``
#: does not pay for openpyxl, cattrs and the model.
_LAZY: dict[str, str] = {
    "EditionChange": "kik_core.editions",
    "EditionLink": "kik_core.editions",
    "LinkKind": "kik_core.editions",
    "carry_history": "kik_core.editions",
    "edition_snapshot": "kik_core.editions",
    "load_edition_change": "kik_core.editions",
    "Editions": "kik_core.editions",
    "write_mapping_template": "kik_core.editions",
    "StatusGroup": "kik_core.model",
    "StatusScheme": "kik_core.model",
    "ReportContent": "kik_core.concept_workbook",
    "load_concept": "kik_core.concept_workbook",
    "load_partner_contacts": "kik_core.concept_workbook",
    "load_report_content": "kik_core.concept_workbook",
    "write_concept_template": "kik_core.concept_workbook",
    "write_concept_workbook": "kik_core.concept_workbook",
    "concept_from_json": "kik_core.convert",
    "concept_to_json": "kik_core.convert",
    "make_converter": "kik_core.convert",
    "ConceptWorkbookError": "kik_core.errors",
    "DuplicateIdError": "kik_core.errors",
    "KikError": "kik_core.errors",
    "Location": "kik_core.errors",
    "ModelError": "kik_core.errors",
    "Problem": "kik_core.errors",
    "Reason": "kik_core.errors",
    "ReportError": "kik_core.errors",
    "RoundError": "kik_core.errors",
    "SettingsError": "kik_core.errors",
    "StoreError": "kik_core.errors",
    "UnreadableFileError": "kik_core.errors",
    "Concept": "kik_core.model",
    "Decision": "kik_core.model",
    "FieldOfAction": "kik_core.model",
    "Goal": "kik_core.model",
    "Highlight": "kik_core.model",
    "Indicator": "kik_core.model",
    "Measure": "kik_core.model",
    "PartnerContact": "kik_core.model",
    "Provenance": "kik_core.model",
    "ReportingPeriod": "kik_core.model",
    "Status": "kik_core.model",
    "StatusReport": "kik_core.model",
    "TimelineEntry": "kik_core.model",
    "Cadence": "kik_core.rounds",
    "LateCorrection": "kik_core.rounds",
    "Round": "kik_core.rounds",
    "RoundState": "kik_core.rounds",
    "default_stichtag": "kik_core.rounds",
    "Change": "kik_core.rules",
    "Conflict": "kik_core.rules",
    "EffectiveStatus": "kik_core.rules",
    "GoalText": "kik_core.rules",
    "Snapshot": "kik_core.rules",
    "StatusCounts": "kik_core.rules",
    "build_snapshot": "kik_core.rules",
    "changes_between": "kik_core.rules",
    "effective_statuses": "kik_core.rules",
    "goal_texts": "kik_core.rules",
    "largest_remainder_percentages": "kik_core.rules",
    "regressions": "kik_core.rules",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'kik_core' has no attribute {name!r}")

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
