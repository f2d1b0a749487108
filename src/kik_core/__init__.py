"""kik_core: track a municipal integration concept and report on it.

The public API: the model (:class:`Concept`, :class:`FieldOfAction`, :class:`Goal`,
:class:`Measure`, :class:`Status`, :class:`StatusReport`, ...), the status rules
(:func:`build_snapshot` and friends), reporting rounds (:class:`Round`,
:func:`default_stichtag`), the concept workbook
(:func:`load_concept`, :func:`write_concept_template`) and the errors.
Ingest, store and report live in the subpackages :mod:`kik_core.ingest`,
:mod:`kik_core.store` and :mod:`kik_core.report`.
"""

from kik_core._version import __version__
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
    LinkKind,
    carry_history,
    edition_snapshot,
    load_edition_change,
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
]


def __dir__() -> list[str]:
    return list(__all__)
