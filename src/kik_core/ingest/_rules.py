"""Row validation: plain rule functions, each returning the problems it finds.

Every rule looks at one row (or, for duplicates, at the rows seen before) and
returns :class:`~kik_core.errors.Problem` values with a fixed
:class:`~kik_core.errors.Reason`; :func:`validate_row` runs them all, so a row
carries every problem it has, not only the first.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping

import attrs

from kik_core.errors import Location, Problem, Reason
from kik_core.ingest._format import (
    COL_CURRENT,
    COL_DATE,
    COL_ID,
    COL_OUTLOOK,
    COL_PARTNER,
    COL_STATUS,
    cell_text,
    format_date,
    parse_date,
)
from kik_core.ingest._guard import Limits
from kik_core.model import Concept, Provenance, StatusReport, is_goal_id, is_measure_id

__all__ = [
    "RowContext",
    "check_date",
    "check_date_range",
    "check_id",
    "check_required",
    "check_status",
    "check_text_length",
    "normalize_id",
    "row_key",
    "validate_row",
]

_DASHES = str.maketrans({"–": "-", "—": "-", "‑": "-", "‒": "-", "−": "-"})


#: The ids of the last concept seen: every file of a run shares one concept, and
#: rebuilding the tuple per file cost 2 ms at 19,000 ids (issue 16).
_KNOWN_IDS: list[tuple[Concept, tuple[str, ...]]] = []


def _known_ids(concept: Concept) -> tuple[str, ...]:
    cached = _KNOWN_IDS[:1]
    if cached and cached[0][0] is concept:
        return cached[0][1]
    ids = tuple(concept.known_ids())
    _KNOWN_IDS[:] = [(concept, ids)]
    return ids


@attrs.frozen
class RowContext:
    """What the rules need to know besides the row: the concept, the file, today."""

    concept: Concept
    file: str
    sheet: str | None
    today: dt.date
    limits: Limits
    content_hash: str
    known_ids: tuple[str, ...] = attrs.field(init=False)

    @known_ids.default
    def _known(self) -> tuple[str, ...]:
        return _known_ids(self.concept)

    def at(self, row: int, column: str | None = None) -> Location:
        """The location of a cell of this file."""
        return Location(self.file, self.sheet, row, column)


def normalize_id(text: str) -> str:
    """Tolerant id spelling: surrounding and inner spaces, case and dash variants ignored.

    >>> normalize_id(" bs – 4.3 ")
    'BS-4.3'
    """
    return "".join(text.translate(_DASHES).split()).upper()


def _cell(row: Mapping[str, object], column: str) -> str:
    return cell_text(row.get(column)).strip()


def _target(row: Mapping[str, object], ctx: RowContext) -> str:
    """The row's id as the concept spells it (free-form numbers: ``m 17`` → ``M17``)."""
    text = _cell(row, COL_ID)
    return ctx.concept.canonical_id(text) or normalize_id(text)


def check_required(row: Mapping[str, object], number: int, ctx: RowContext) -> list[Problem]:
    """Maßnahme and Institution must be filled in, and Status for a measure id."""
    required = [COL_ID, COL_PARTNER]
    target = _target(row, ctx)
    concept = ctx.concept
    if concept.is_measure(target) or concept.is_package(target) or is_measure_id(target):
        required.append(COL_STATUS)
    return [
        Problem.of(Reason.EMPTY_REQUIRED, ctx.at(number, column))
        for column in required
        if not _cell(row, column)
    ]


def check_id(row: Mapping[str, object], number: int, ctx: RowContext) -> list[Problem]:
    """The id must look like ``BS-4.3`` or ``BS-4`` and be known to the concept."""
    text = _cell(row, COL_ID)
    if not text:
        return []  # check_required reports it
    target = _target(row, ctx)
    where = ctx.at(number, COL_ID)
    if ctx.concept.has_id(target):
        return []
    if not (is_measure_id(target) or is_goal_id(target) or ctx.concept.free_numbers):
        return [Problem.of(Reason.INVALID_ID, where, value=text)]
    close = difflib.get_close_matches(target, ctx.known_ids, n=1, cutoff=0.6)
    hint = f" – meinten Sie „{close[0]}“?" if close else ""
    return [Problem.of(Reason.UNKNOWN_ID, where, value=text, hint=hint)]


def check_status(row: Mapping[str, object], number: int, ctx: RowContext) -> list[Problem]:
    """A measure's status must be one of the scheme's labels; a goal must have none."""
    text = _cell(row, COL_STATUS)
    if not text:
        return []
    target = _target(row, ctx)
    where = ctx.at(number, COL_STATUS)
    if ctx.concept.is_goal(target) or is_goal_id(target):
        return [Problem.of(Reason.STATUS_ON_GOAL, where, value=target)]
    try:
        ctx.concept.statuses.parse(text)
    except ValueError:
        allowed = ", ".join(ctx.concept.statuses.labels)
        return [Problem.of(Reason.INVALID_STATUS, where, value=text, allowed=allowed)]
    return []


def check_date(row: Mapping[str, object], number: int, ctx: RowContext) -> list[Problem]:
    """``Stand am`` must be a valid date, within :func:`check_date_range`."""
    raw = row.get(COL_DATE)
    where = ctx.at(number, COL_DATE)
    if not cell_text(raw).strip():
        return [Problem.of(Reason.MISSING_DATE, where)]
    parsed = parse_date(raw)
    if parsed is None:
        return [Problem.of(Reason.INVALID_DATE, where, value=cell_text(raw).strip())]
    return check_date_range(parsed, where, ctx)


#: The earliest ``Stand am`` accepted when the concept has no adoption date.
EARLIEST_DATE = dt.date(2000, 1, 1)


def check_date_range(date: dt.date, where: Location, ctx: RowContext) -> list[Problem]:
    """A ``Stand am`` date must lie between the concept's adoption and the day of the run.

    Before the adoption date (or before 2000-01-01 when the concept has none)
    the concept did not exist yet (01.01.1900 is Excel's empty date, year 30 a
    typo); after ``ctx.today`` the report has not happened yet.
    """
    if date > ctx.today:
        return [
            Problem.of(
                Reason.FUTURE_DATE, where, value=format_date(date), today=format_date(ctx.today)
            )
        ]
    adopted = ctx.concept.adopted_on
    earliest = adopted or EARLIEST_DATE
    if date < earliest:
        why = "Beschluss des Integrationskonzepts" if adopted else "frühestes mögliches Datum"
        return [
            Problem.of(
                Reason.DATE_TOO_EARLY,
                where,
                value=format_date(date),
                since=format_date(earliest),
                why=why,
            )
        ]
    return []


def check_text_length(row: Mapping[str, object], number: int, ctx: RowContext) -> list[Problem]:
    """No cell may be longer than ``limits.max_cell_chars``."""
    limit = ctx.limits.max_cell_chars
    return [
        Problem.of(Reason.CELL_TOO_LONG, ctx.at(number, column), length=len(text), limit=limit)
        for column, value in row.items()
        if len(text := cell_text(value)) > limit
    ]


RULES = (check_required, check_id, check_status, check_date, check_text_length)


def row_key(row: Mapping[str, object]) -> tuple[str, ...]:
    """What makes two rows "the same report": id, status, date, institution and texts."""
    date = parse_date(row.get(COL_DATE))
    return (
        normalize_id(_cell(row, COL_ID)),
        " ".join(_cell(row, COL_STATUS).split()).casefold(),
        date.isoformat() if date else _cell(row, COL_DATE),
        " ".join(_cell(row, COL_PARTNER).split()).casefold(),
        _cell(row, COL_CURRENT),
        _cell(row, COL_OUTLOOK),
    )


def validate_row(
    row: Mapping[str, object],
    number: int,
    ctx: RowContext,
    notes: tuple[tuple[str, str], ...] = (),
) -> tuple[StatusReport | None, tuple[Problem, ...]]:
    """Run every rule on one row; return the report (if it has no problem) and the problems.

    Args:
        row: the row's raw cell values by canonical column name.
        number: the spreadsheet row number the partner sees.
        ctx: the concept, file and date the rules check against.
        notes: extra columns of the row, kept on the report.
    """
    problems = tuple(p for rule in RULES for p in rule(row, number, ctx))
    if problems:
        return None, problems
    date = parse_date(row.get(COL_DATE))
    assert date is not None  # noqa: S101 - check_date has vouched for it
    status_text = _cell(row, COL_STATUS)
    report = StatusReport(
        target_id=_target(row, ctx),
        status=ctx.concept.statuses.parse(status_text) if status_text else None,
        as_of=date,
        partner=" ".join(_cell(row, COL_PARTNER).split()),
        current_state=_cell(row, COL_CURRENT),
        outlook=_cell(row, COL_OUTLOOK),
        source=Provenance(ctx.file, number, ctx.sheet, ctx.content_hash),
        notes=notes,
    )
    return report, ()
