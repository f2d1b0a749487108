"""Read and write the concept workbook (xlsx or ods) in which staff edit their concept.

The workbook has German sheets and columns (header in row 1):

=================  ===========================================================
sheet              columns
=================  ===========================================================
``Konzept``        ``Feld``, ``Wert``; rows ``Kommune``, ``Titel``, ``Beschlossen am``
``Handlungsfelder`` ``Kürzel``, ``Name``, ``Einleitung`` (optional)
``Ziele``          ``Handlungsfeld`` (the Kürzel), ``Nr``, ``Ziel``
``Maßnahmen``      ``Handlungsfeld``, ``Nr`` (``4.3``), ``Maßnahme``, ``Gruppe`` (optional),
                   ``Zuständig`` (optional, partners separated by ``;``)
``Highlights``     optional: ``Handlungsfeld``, ``Titel``, ``Organisation``, ``Text``,
                   ``Maßnahmen`` (ids separated by ``;``)
``Kennzahlen``     optional: ``Kennzahl``, ``Wert``, ``Einheit``, ``Stand am``, ``Quelle``
``Zeitleiste``     optional: ``Zeitraum``, ``Ereignis``
``Partner``        optional: ``Partner`` (as under "Zuständig"), ``Ansprechperson``,
                   ``E-Mail``, ``Telefon``
``Hinweise``       optional: ``Bezug`` (a Kürzel, goal or measure id), ``Hinweis``,
                   ``Art`` (optional: ``Hinweis`` or ``Status erschlossen``)
``Status``         optional: ``Status`` (the label), ``Gruppe`` (summary group,
                   default the label), ``mitgezählt`` (``ja``/``nein``: whether the
                   group counts toward the percentages, default ``ja``)
=================  ===========================================================

``Status`` is the municipality's status scheme, least advanced first (the row
order is the order; the first status is the one a measure has before anyone
reports). Without the sheet, or with it empty, Kempten's scheme applies
(wartend, in Bearbeitung, implementiert).

``Hinweise`` holds editorial notes: where the source contradicts itself, or a
status was inferred from the text rather than read (``Status erschlossen``); the
report prints them and marks inferred statuses.

A measure's id is ``Kürzel-Nr`` (``BS-4.3``), a goal's ``Kürzel-Nr`` (``BS-4``).
Every problem is collected and raised together in one :class:`ConceptWorkbookError`
whose German messages name the sheet, row and column.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import attrs

from kik_core._cells import cell_text, write_cell
from kik_core._locale import format_date
from kik_core.errors import (
    ConceptWorkbookError,
    KikError,
    Location,
    ModelError,
    Problem,
    Reason,
    german_message,
)
from kik_core.model import (
    DEFAULT_LEVELS,
    DEFAULT_SCHEME,
    MAX_STATUS_LABEL,
    Concept,
    FieldOfAction,
    Goal,
    Highlight,
    Indicator,
    Measure,
    PartnerContact,
    Provenance,
    Status,
    StatusGroup,
    StatusScheme,
    TimelineEntry,
    WorkPackage,
    partner_key,
)

__all__ = [
    "NOTE_KINDS",
    "SHEETS",
    "EditorialNote",
    "ReportContent",
    "load_concept",
    "load_partner_contacts",
    "load_report_content",
    "parse_date",
    "write_concept_template",
    "write_concept_workbook",
]

log = logging.getLogger("kik_core.concept_workbook")

#: Optional measure attributes (issue 17), written only where a concept uses them.
_ATTRIBUTES = ("Federführung", "Priorität", "Priorität seit", "Beginn", "Ende", "Budget")

#: Sheet name → (required columns, optional columns).
SHEETS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Konzept": (("Feld", "Wert"), ()),
    "Handlungsfelder": (("Kürzel", "Name"), ("Einleitung",)),
    "Ziele": (("Handlungsfeld", "Nr", "Ziel"), ("Übergeordnet",)),
    "Maßnahmen": (
        ("Handlungsfeld", "Nr", "Maßnahme"),
        ("Gruppe", "Zuständig", "Ziel", *_ATTRIBUTES),
    ),
    "Highlights": (("Handlungsfeld", "Titel"), ("Organisation", "Text", "Maßnahmen")),
    "Kennzahlen": (("Kennzahl", "Wert", "Stand am"), ("Einheit", "Quelle")),
    "Zeitleiste": (("Zeitraum", "Ereignis"), ()),
    "Partner": (("Partner",), ("Ansprechperson", "E-Mail", "Telefon")),
    "Hinweise": (("Bezug", "Hinweis"), ("Art",)),
    "Status": (("Status",), ("Gruppe", "mitgezählt")),
    "Arbeitspakete": (("Maßnahme", "Nr", "Arbeitspaket"), ()),
}
#: The ``Art`` values of the ``Hinweise`` sheet (casefolded) → inferred status?
NOTE_KINDS = {"hinweis": False, "status erschlossen": True}
_REQUIRED_SHEETS = ("Konzept", "Handlungsfelder", "Ziele", "Maßnahmen")
_KONZEPT_ROWS = ("Kommune", "Titel", "Beschlossen am")
_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y")


@attrs.frozen
class EditorialNote:
    """An editorial note on a field, goal or measure (sheet ``Hinweise``).

    Attributes:
        reference: the field code (``BS``), goal id (``BS-4``) or measure id (``AA-3.1``).
        text: the note (German, shown in the report).
        inferred: the measure's status was inferred from the text, not read from
            the source; the report marks it as "erschlossen".
    """

    reference: str
    text: str
    inferred: bool = False


@attrs.frozen
class ReportContent:
    """Report content kept beside the concept: highlights, key figures, timeline, notes."""

    highlights: tuple[Highlight, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    notes: tuple[EditorialNote, ...] = ()


def parse_date(value: object) -> dt.date | None:
    """Parse a spreadsheet date: a real date cell, ``dd.mm.yyyy`` or ISO ``yyyy-mm-dd``.

    Returns ``None`` for an empty cell and raises ``ValueError`` for anything else.

    >>> parse_date("30.09.2023"), parse_date("2023-09-30")
    (datetime.date(2023, 9, 30), datetime.date(2023, 9, 30))
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if not text:
        return None
    text = text.split(" ")[0] if re.match(r"^\d{4}-\d\d-\d\d[ T]\d", text) else text
    text = text.split("T")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def _cell_text(value: object) -> str:
    """A cell as the user sees it, without surrounding spaces (``4.3`` stays ``4.3``)."""
    return cell_text(value).strip()


class _Sheet:
    """One sheet's rows as dicts keyed by the (normalised) header."""

    def __init__(self, file: str, name: str, rows: list[list[Any]]) -> None:
        self.file = file
        self.name = name
        self.header: list[str] = [_cell_text(h) for h in rows[0]] if rows else []
        self.rows = rows[1:]

    def is_empty(self) -> bool:
        """Whether the sheet has no data row below its header."""
        return all(_cell_text(v) == "" for row in self.rows for v in row)

    def column_index(self) -> dict[str, int]:
        return {h.casefold(): i for i, h in enumerate(self.header) if h}

    def location(self, row: int, column: str | None = None) -> Location:
        return Location(self.file, self.name, row, column)


#: The sheets of the last few workbooks read, by path and content digest: ingest, report
#: and the report's content sheets read the same workbook in one process (issue 16).
_SHEETS: collections.OrderedDict[tuple[str, bytes], dict[str, _Sheet]] = collections.OrderedDict()
_SHEETS_SIZE = 4
_SHEETS_LOCK = threading.Lock()


def _digest(path: Path) -> bytes | None:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return None


def _read_sheets(path: Path) -> dict[str, _Sheet]:
    """Every sheet of the workbook; the same bytes are parsed once (a small cache)."""
    before = _digest(path)
    key = (str(path.absolute()), before or b"")
    with _SHEETS_LOCK:
        if before is not None and key in _SHEETS:
            _SHEETS.move_to_end(key)
            return _SHEETS[key]
    sheets = _parse_sheets(path)
    if before is not None and _digest(path) == before:  # unchanged while it was parsed
        with _SHEETS_LOCK:
            _SHEETS[key] = sheets
            while len(_SHEETS) > _SHEETS_SIZE:
                _SHEETS.popitem(last=False)
    return sheets


def _parse_sheets(path: Path) -> dict[str, _Sheet]:
    from python_calamine import CalamineWorkbook

    from kik_core._cells import clean_value
    from kik_core.ingest._guard import FileKind, Limits, Refused, check_extent

    kinds = {
        ".ods": FileKind.ODS,
        ".xlsx": FileKind.XLSX,
        ".xlsm": FileKind.XLSX,
        ".xlsb": FileKind.XLSX,  # Excel's binary workbook: its BIFF12 records are checked
        ".xls": FileKind.XLS,
    }
    kind = kinds.get(path.suffix.lower())
    try:
        if kind is not None and path.is_file():
            # refuse a sheet reaching to XFD1048576 before calamine expands it
            check_extent(path, kind, Limits())
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = {}
        for name in workbook.sheet_names:
            rows = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
            cleaned = [[clean_value(v) for v in row] for row in rows]
            sheets[name.strip()] = _Sheet(path.name, name.strip(), cleaned)
    except Refused as refused:
        raise ConceptWorkbookError([refused.problem]) from refused
    except FileNotFoundError:
        raise
    except Exception as exc:  # calamine raises several untyped errors
        log.debug("%s: concept workbook not readable: %r", path.name, exc)
        raise ConceptWorkbookError(
            [
                Problem.of(
                    Reason.CORRUPT,
                    Location(path.name),
                    detail="bitte mit Excel oder LibreOffice öffnen und neu speichern",
                )
            ]
        ) from exc
    return sheets


T = TypeVar("T")


class _Reader:
    """Collects problems while turning sheet rows into model objects."""

    def __init__(self, sheets: dict[str, _Sheet], file: str) -> None:
        self.sheets = sheets
        self.file = file
        self.problems: list[Problem] = []

    def rows(self, sheet_name: str, *, required: bool) -> Iterable[tuple[int, dict[str, Any]]]:
        sheet = self.sheets.get(sheet_name)
        if sheet is None:
            if required:
                self.problems.append(
                    Problem.of(Reason.MISSING_SHEET, Location(self.file), value=sheet_name)
                )
            return
        needed, optional = SHEETS[sheet_name]
        index = sheet.column_index()
        missing = [c for c in needed if c.casefold() not in index]
        for column in missing:
            self.problems.append(
                Problem(
                    Reason.MISSING_COLUMN,
                    Location(self.file, sheet_name, 1),
                    f"Die Spalte „{column}“ fehlt (erwartet: {', '.join(needed + optional)})",
                )
            )
        if missing:
            return
        for offset, raw in enumerate(sheet.rows):
            if all(_cell_text(v) == "" for v in raw):
                continue
            values = {
                column: (
                    raw[index[column.casefold()]] if index[column.casefold()] < len(raw) else None
                )
                for column in needed + optional
                if column.casefold() in index
            }
            yield offset + 2, values

    def problem(
        self, reason: Reason, sheet: str, row: int, column: str | None, **details: object
    ) -> None:
        self.problems.append(Problem.of(reason, Location(self.file, sheet, row, column), **details))

    def text(self, values: dict[str, Any], column: str, sheet: str, row: int) -> str | None:
        text = _cell_text(values.get(column))
        if not text:
            self.problem(Reason.EMPTY_REQUIRED, sheet, row, column)
            return None
        return text

    def build(
        self, sheet: str, row: int, make: Callable[[], T], column: str | None = None
    ) -> T | None:
        try:
            return make()
        except (ModelError, ValueError) as exc:
            model = exc if isinstance(exc, ModelError) else ModelError(str(exc))
            # the model words its errors for developers: German, with the column, here
            self.problems.append(
                Problem(
                    Reason.INVALID_VALUE,
                    Location(self.file, sheet, row, column),
                    german_message(model),
                )
            )
            return None


def _source(file: str, sheet: str, row: int) -> Provenance:
    return Provenance(file=file, sheet=sheet, row=row)


def _read_concept(reader: _Reader) -> Concept | None:
    file = reader.file
    head: dict[str, tuple[int, Any]] = {}
    for row, values in reader.rows("Konzept", required=True):
        head[_cell_text(values["Feld"]).casefold()] = (row, values["Wert"])
    municipality = title = ""
    adopted: dt.date | None = None
    levels: tuple[str, ...] | None = None  # None: Kempten-style numbering
    if "Konzept" in reader.sheets:
        for key in _KONZEPT_ROWS[:2]:
            row, value = head.get(key.casefold(), (0, None))
            if not _cell_text(value):
                reader.problems.append(
                    Problem(
                        Reason.EMPTY_REQUIRED,
                        Location(file, "Konzept", row or None, "Wert"),
                        f"Der Wert für „{key}“ fehlt",
                    )
                )
        municipality = _cell_text(head.get("kommune", (0, None))[1])
        title = _cell_text(head.get("titel", (0, None))[1])
        levels = _read_levels(reader, head)
        row, raw = head.get("beschlossen am", (0, None))
        try:
            adopted = parse_date(raw)
        except ValueError:
            reader.problem(Reason.INVALID_DATE, "Konzept", row, "Wert", value=_cell_text(raw))

    fields: list[FieldOfAction] = []
    for row, values in reader.rows("Handlungsfelder", required=True):
        code = reader.text(values, "Kürzel", "Handlungsfelder", row)
        name = reader.text(values, "Name", "Handlungsfelder", row)
        if code and name:
            intro = _cell_text(values.get("Einleitung"))
            built = reader.build(
                "Handlungsfelder",
                row,
                functools.partial(
                    FieldOfAction, code, name, intro, _source(file, "Handlungsfelder", row)
                ),
                "Kürzel",
            )
            if built:
                fields.append(built)
    codes = {f.code for f in fields}

    goals: list[Goal] = []
    for row, values in reader.rows("Ziele", required=True):
        code = reader.text(values, "Handlungsfeld", "Ziele", row)
        if _number_as_date(reader, values, "Ziele", row):
            continue
        number = reader.text(values, "Nr", "Ziele", row)
        text = reader.text(values, "Ziel", "Ziele", row)
        if code and code not in codes and "Handlungsfelder" in reader.sheets:
            reader.problem(Reason.UNKNOWN_FIELD, "Ziele", row, "Handlungsfeld", value=code)
            continue
        if code and number and text:
            goal_id = f"{code}-{number.rstrip('.')}" if levels is None else number
            parent = None if levels is None else _cell_text(values.get("Übergeordnet")) or code
            built_goal = reader.build(
                "Ziele",
                row,
                functools.partial(Goal, goal_id, text, _source(file, "Ziele", row), parent=parent),
                "Nr",
            )
            if built_goal:
                goals.append(built_goal)
    goal_ids = {g.id for g in goals}

    measures: list[Measure] = []
    decimals: set[int] = set()
    for row, values in reader.rows("Maßnahmen", required=True):
        code = reader.text(values, "Handlungsfeld", "Maßnahmen", row)
        if _number_as_date(reader, values, "Maßnahmen", row):
            continue
        if isinstance(values.get("Nr"), float):
            decimals.add(row)  # 4.10 may have become 4.1: named if it collides
        number = reader.text(values, "Nr", "Maßnahmen", row)
        text = reader.text(values, "Maßnahme", "Maßnahmen", row)
        if not (code and number and text):
            continue
        if code not in codes and "Handlungsfelder" in reader.sheets:
            reader.problem(Reason.UNKNOWN_FIELD, "Maßnahmen", row, "Handlungsfeld", value=code)
            continue
        if levels is None:
            measure_id = f"{code}-{number.rstrip('.')}"
            goal_id = measure_id.rsplit(".", 1)[0]
            parent = None
            if "." in measure_id and goal_id not in goal_ids:
                reader.problem(Reason.UNKNOWN_GOAL, "Maßnahmen", row, "Nr", value=goal_id)
                continue
        else:  # free-form numbers (issue 17): "Ziel" names the goal, or the number's prefix
            measure_id = number
            parent = _cell_text(values.get("Ziel")) or (
                number.rsplit(".", 1)[0] if "." in number else ""
            )
            if len(levels) == 2:
                parent = code
            elif parent not in goal_ids:
                reader.problem(
                    Reason.UNKNOWN_GOAL, "Maßnahmen", row, "Ziel", value=parent or "(leer)"
                )
                continue
        group = _cell_text(values.get("Gruppe")) or None
        partners = tuple(_cell_text(values.get("Zuständig")).split(";"))
        extra = _measure_attributes(reader, values, row, partners)
        if extra is None:
            continue
        built_measure = reader.build(
            "Maßnahmen",
            row,
            functools.partial(
                Measure,
                measure_id,
                text,
                group,
                partners,
                _source(file, "Maßnahmen", row),
                parent=parent,
                **extra,
            ),
            "Nr",
        )
        if built_measure:
            measures.append(built_measure)

    two_levels = levels is not None and len(levels) == 2  # no goals (issue 17)
    for sheet in ("Handlungsfelder", "Ziele", "Maßnahmen"):
        if sheet == "Ziele" and two_levels:
            continue
        if sheet in reader.sheets and reader.sheets[sheet].is_empty():
            reader.problems.append(
                Problem.of(Reason.EMPTY_SHEET, Location(file, sheet, 2), value=sheet)
            )
    _collect_duplicates(reader, fields, "Handlungsfelder", "Kürzel")
    _collect_duplicates(reader, goals, "Ziele", "Nr")
    _collect_duplicates(reader, measures, "Maßnahmen", "Nr", decimals)
    if levels is not None:
        _check_goal_parents(reader, goals, codes, len(levels))
    scheme = _read_scheme(reader)
    packages = _read_packages(reader, measures)
    if reader.problems:
        return None
    try:
        return Concept(
            municipality,
            title,
            adopted,
            tuple(fields),
            tuple(goals),
            tuple(measures),
            scheme,
            levels or DEFAULT_LEVELS,
            packages,
        )
    except KikError as exc:  # pragma: no cover - every rule is checked above
        problem = Problem(Reason.INVALID_VALUE, Location(file), str(exc))
        raise ConceptWorkbookError([problem]) from exc


def _number_as_date(reader: _Reader, values: dict[str, Any], sheet: str, row: int) -> bool:
    """Report a ``Nr`` that the spreadsheet program turned into a date (``1.2`` → 01.02.)."""
    raw = values.get("Nr")
    if not isinstance(raw, dt.date):
        return False
    # German Excel reads "1.2" as day 1, month 2 (of the current year)
    reader.problem(
        Reason.NUMBER_AS_DATE,
        sheet,
        row,
        "Nr",
        value=f"{raw.day}.{raw.month}",
        date=f"{format_date(raw)}",
        spalte="Nr",
    )
    return True


def _read_packages(reader: _Reader, measures: Sequence[Measure]) -> tuple[WorkPackage, ...]:
    """The optional ``Arbeitspakete`` sheet: work packages per measure (issue 17)."""
    known = {m.id for m in measures}
    taken: dict[str, int] = {}
    found: list[WorkPackage] = []
    for row, values in reader.rows("Arbeitspakete", required=False):
        measure = reader.text(values, "Maßnahme", "Arbeitspakete", row)
        number = reader.text(values, "Nr", "Arbeitspakete", row)
        text = reader.text(values, "Arbeitspaket", "Arbeitspakete", row)
        if not (measure and number and text):
            continue
        if measure not in known:
            reader.problem(
                Reason.UNKNOWN_ID, "Arbeitspakete", row, "Maßnahme", value=measure, hint=""
            )
            continue
        if number in taken or number in known:
            where = f"Zeile {taken[number]}" if number in taken else "den Maßnahmen"
            reader.problem(
                Reason.DUPLICATE_ID, "Arbeitspakete", row, "Nr", value=number, other=where
            )
            continue
        taken[number] = row
        built = reader.build(
            "Arbeitspakete", row, functools.partial(WorkPackage, number, measure, text)
        )
        if built is not None:
            found.append(built)
    return tuple(found)


def _read_levels(reader: _Reader, head: dict[str, tuple[int, Any]]) -> tuple[str, ...] | None:
    """The ``Ebenen`` row: level names, field first, measure last (None: Kempten-style)."""
    row, raw = head.get("ebenen", (0, None))
    text = _cell_text(raw)
    if not text:
        return None
    names = tuple(n.strip() for n in re.split(r"[;→>]", text) if n.strip())
    if not 2 <= len(names) <= 4:
        reader.problem(
            Reason.INVALID_VALUE,
            "Konzept",
            row,
            "Wert",
            value=text,
            detail=" (2 bis 4 Ebenen, getrennt durch ;, z. B. "
            "„Handlungsfeld; Leitziel; Teilziel; Maßnahme“)",
        )
        return None
    return names


def _check_goal_parents(
    reader: _Reader, goals: Sequence[Goal], codes: set[str], depth: int
) -> None:
    """Free-form goals: a parent is the field or a goal; no deeper than the levels allow."""
    by_id = {g.id: g for g in goals}
    for goal in goals:
        parent = goal.parent_id
        level = 1
        while parent in by_id and level <= depth:
            parent, level = by_id[parent].parent_id, level + 1
        row = goal.source.row if goal.source else None
        if parent not in codes:
            reader.problem(
                Reason.UNKNOWN_GOAL, "Ziele", row or 0, "Übergeordnet", value=goal.parent_id
            )
        elif level > depth - 2:
            reader.problem(
                Reason.INVALID_VALUE,
                "Ziele",
                row or 0,
                "Übergeordnet",
                value=goal.parent_id,
                detail=f": das Konzept hat nur {depth} Ebenen",
            )


def _measure_attributes(
    reader: _Reader, values: dict[str, Any], row: int, partners: tuple[str, ...]
) -> dict[str, Any] | None:
    """The optional attributes of a measure row, checked in German (None: a problem)."""
    problems = len(reader.problems)
    dates: dict[str, dt.date | None] = {}
    for column in ("Priorität seit", "Beginn", "Ende"):
        raw = values.get(column)
        try:
            dates[column] = parse_date(raw)
        except ValueError:
            reader.problem(Reason.INVALID_DATE, "Maßnahmen", row, column, value=_cell_text(raw))
    budget = _budget(reader, values.get("Budget"), row)
    lead = _cell_text(values.get("Federführung")) or None
    priority = _cell_text(values.get("Priorität")) or None
    start, end = dates.get("Beginn"), dates.get("Ende")
    if start is not None and end is not None and end < start:
        reader.problem(
            Reason.INVALID_VALUE,
            "Maßnahmen",
            row,
            "Ende",
            value=format_date(end),
            detail=f": das Ende liegt vor dem Beginn ({format_date(start)})",
        )
    if dates.get("Priorität seit") is not None and priority is None:
        reader.problem(Reason.EMPTY_REQUIRED, "Maßnahmen", row, "Priorität")
    if lead is not None and partner_key(lead) in {partner_key(p) for p in partners if p.strip()}:
        reader.problem(
            Reason.INVALID_VALUE,
            "Maßnahmen",
            row,
            "Federführung",
            value=lead,
            detail=": die federführende Stelle steht nicht zusätzlich unter „Zuständig“",
        )
    if len(reader.problems) > problems:
        return None
    return {
        "priority": priority,
        "priority_set_on": dates.get("Priorität seit"),
        "start": start,
        "end": end,
        "lead": lead,
        "budget": budget,
    }


def _budget(reader: _Reader, raw: object, row: int) -> float | None:
    """A budget in euros: a number cell, or German text such as ``12.500,50 €``."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    else:
        text = _cell_text(raw).replace("€", "").replace("EUR", "").strip()
        if not text:
            return None
        from babel.numbers import NumberFormatError, parse_decimal

        try:
            value = float(parse_decimal(text, locale="de_DE", strict=True))
        except NumberFormatError:
            value = -1.0
    if value < 0:
        reader.problem(
            Reason.INVALID_VALUE,
            "Maßnahmen",
            row,
            "Budget",
            value=_cell_text(raw),
            detail=" (ein Betrag in Euro, z. B. 12.500,00)",
        )
        return None
    return value


_YES_NO = {"ja": True, "j": True, "x": True, "nein": False, "n": False}


def _read_scheme(reader: _Reader) -> StatusScheme:
    """The ``Status`` sheet as a scheme (Kempten's where the sheet is absent or empty)."""
    statuses: list[Status] = []
    counted: dict[str, tuple[bool, int]] = {}
    groups: list[str] = []
    seen: dict[str, int] = {}
    problems = len(reader.problems)
    for row, values in reader.rows("Status", required=False):
        label = reader.text(values, "Status", "Status", row)
        if not label:
            continue
        group = _cell_text(values.get("Gruppe")) or label
        flag = _cell_text(values.get("mitgezählt")).casefold()
        if flag and flag not in _YES_NO:
            reader.problem(
                Reason.INVALID_VALUE,
                "Status",
                row,
                "mitgezählt",
                value=flag,
                detail=" (ja oder nein)",
            )
            continue
        if len(label) > MAX_STATUS_LABEL:
            reader.problem(
                Reason.INVALID_VALUE,
                "Status",
                row,
                "Status",
                value=label,
                detail=f": höchstens {MAX_STATUS_LABEL} Zeichen",
            )
            continue
        if label.casefold() in seen:
            reader.problem(
                Reason.INVALID_VALUE,
                "Status",
                row,
                "Status",
                value=label,
                detail=f": den Status gibt es schon in Zeile {seen[label.casefold()]}",
            )
            continue
        seen[label.casefold()] = row
        counts = _YES_NO.get(flag, True)
        key = group.casefold()
        if key in counted and counted[key][0] != counts:
            reader.problem(
                Reason.INVALID_VALUE,
                "Status",
                row,
                "mitgezählt",
                value=flag or "ja",
                detail=f": die Gruppe „{group}“ steht in Zeile {counted[key][1]} anders",
            )
            continue
        if key not in counted:
            counted[key] = (counts, row)
            groups.append(group)
        built = reader.build("Status", row, functools.partial(Status, label, len(statuses), group))
        if built is not None:
            statuses.append(built)
    if not statuses or len(reader.problems) > problems:
        return DEFAULT_SCHEME
    if not any(c for c, _row in counted.values()):
        reader.problems.append(
            Problem(
                Reason.INVALID_VALUE,
                Location(reader.file, "Status", None, "mitgezählt"),
                "Mindestens eine Gruppe muss mitgezählt werden (mitgezählt = ja)",
            )
        )
        return DEFAULT_SCHEME
    try:
        return StatusScheme(
            tuple(statuses), tuple(StatusGroup(g, counted[g.casefold()][0]) for g in groups)
        )
    except ModelError as exc:  # pragma: no cover - every rule is checked above
        log.debug("status scheme rejected: %s", exc)
        reader.problems.append(
            Problem(
                Reason.INVALID_VALUE, Location(reader.file, "Status"), "Ungültiges Status-Schema"
            )
        )
        return DEFAULT_SCHEME


def _collect_duplicates(
    reader: _Reader,
    items: Sequence[FieldOfAction | Goal | Measure],
    sheet: str,
    column: str,
    decimals: Collection[int] = (),  # rows whose Nr was a number, not a text
) -> None:
    first: dict[str, FieldOfAction | Goal | Measure] = {}
    for item in items:
        if item.id in first:
            other = first[item.id].source
            where = f"Zeile {other.row}" if other else "einer früheren Zeile"
            row = item.source.row if item.source else None
            rows = (row, other.row if other else None)
            if isinstance(item, Measure) and any(r in decimals for r in rows if r is not None):
                number = item.id.split("-", 1)[-1]
                reader.problem(
                    Reason.NUMBER_AS_DECIMAL,
                    sheet,
                    row or 0,
                    column,
                    value=number,
                    other=where,
                    decimal=number.replace(".", ","),
                    spalte=column,
                )
                continue
            reader.problems.append(
                Problem.of(
                    Reason.DUPLICATE_ID,
                    Location(reader.file, sheet, row, column),
                    value=item.id,
                    other=where,
                )
            )
        else:
            first[item.id] = item


def load_concept(path: Path | str) -> Concept:
    """Load a concept from its workbook (xlsx, xlsm or ods).

    Raises:
        ConceptWorkbookError: listing every problem found, each naming sheet, row and column.
        FileNotFoundError: the file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"concept workbook not found: {path}")
    reader = _Reader(_read_sheets(path), path.name)
    concept = _read_concept(reader)
    if concept is None:
        raise ConceptWorkbookError(reader.problems)
    return concept


def load_report_content(path: Path | str, concept: Concept | None = None) -> ReportContent:
    """Load the optional report-content sheets (Highlights, Kennzahlen, Zeitleiste).

    With ``concept`` given, highlight measure ids and field codes are checked against it.

    Raises:
        ConceptWorkbookError: listing every problem found.
    """
    path = Path(path)
    reader = _Reader(_read_sheets(path), path.name)
    highlights: list[Highlight] = []
    for row, values in reader.rows("Highlights", required=False):
        title = reader.text(values, "Titel", "Highlights", row)
        code = _cell_text(values.get("Handlungsfeld")) or None
        ids = tuple(i.strip() for i in _cell_text(values.get("Maßnahmen")).split(";") if i.strip())
        if concept is not None:
            if code and code not in {f.code for f in concept.fields}:
                reader.problem(Reason.UNKNOWN_FIELD, "Highlights", row, "Handlungsfeld", value=code)
            for unknown in (i for i in ids if not concept.has_id(i)):
                reader.problem(
                    Reason.UNKNOWN_ID, "Highlights", row, "Maßnahmen", value=unknown, hint=""
                )
        if title:
            org = _cell_text(values.get("Organisation"))
            text = _cell_text(values.get("Text"))
            built = reader.build(
                "Highlights",
                row,
                functools.partial(Highlight, title, org, text, ids, code),
            )
            if built:
                highlights.append(built)
    indicators: list[Indicator] = []
    for row, values in reader.rows("Kennzahlen", required=False):
        name = reader.text(values, "Kennzahl", "Kennzahlen", row)
        raw_value = values.get("Wert")
        try:
            number = float(str(raw_value).replace(",", ".")) if _cell_text(raw_value) else None
        except ValueError:
            reader.problem(
                Reason.INVALID_VALUE, "Kennzahlen", row, "Wert", value=_cell_text(raw_value)
            )
            continue
        try:
            as_of = parse_date(values.get("Stand am"))
        except ValueError:
            reader.problem(
                Reason.INVALID_DATE,
                "Kennzahlen",
                row,
                "Stand am",
                value=_cell_text(values.get("Stand am")),
            )
            continue
        if number is None:
            reader.problem(Reason.EMPTY_REQUIRED, "Kennzahlen", row, "Wert")
        if as_of is None:
            reader.problem(Reason.MISSING_DATE, "Kennzahlen", row, "Stand am")
        if name and number is not None and as_of is not None:
            unit = _cell_text(values.get("Einheit"))
            quelle = _cell_text(values.get("Quelle"))
            indicators.append(Indicator(name, number, unit, as_of, quelle))
    timeline: list[TimelineEntry] = []
    for row, values in reader.rows("Zeitleiste", required=False):
        when = reader.text(values, "Zeitraum", "Zeitleiste", row)
        event = reader.text(values, "Ereignis", "Zeitleiste", row)
        if when and event:
            timeline.append(TimelineEntry(when, event))
    notes = _read_notes(reader, concept)
    if reader.problems:
        raise ConceptWorkbookError(reader.problems)
    return ReportContent(tuple(highlights), tuple(indicators), tuple(timeline), notes)


def _read_notes(reader: _Reader, concept: Concept | None) -> tuple[EditorialNote, ...]:
    notes: list[EditorialNote] = []
    for row, values in reader.rows("Hinweise", required=False):
        reference = reader.text(values, "Bezug", "Hinweise", row)
        text = reader.text(values, "Hinweis", "Hinweise", row)
        kind = _cell_text(values.get("Art")) or "Hinweis"
        if kind.casefold() not in NOTE_KINDS:
            reader.problem(
                Reason.INVALID_VALUE,
                "Hinweise",
                row,
                "Art",
                value=kind,
                detail=" (erlaubt: „Hinweis“ oder „Status erschlossen“)",
            )
            continue
        inferred = NOTE_KINDS[kind.casefold()]
        if reference and concept is not None:
            known = concept.has_id(reference) or reference in {f.code for f in concept.fields}
            if not known:
                reader.problem(
                    Reason.UNKNOWN_ID, "Hinweise", row, "Bezug", value=reference, hint=""
                )
                continue
            if inferred and reference not in {m.id for m in concept.measures}:
                reader.problem(
                    Reason.INVALID_VALUE,
                    "Hinweise",
                    row,
                    "Art",
                    value=kind,
                    detail=" (ein erschlossener Status gehört zu einer Maßnahme, z. B. AA-3.1)",
                )
                continue
        if reference and text:
            notes.append(EditorialNote(reference, text, inferred))
    return tuple(notes)


def _valid_email(address: str) -> bool:
    """Whether ``address`` is a syntactically valid e-mail address (no DNS lookup)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as exc:
        log.debug("invalid e-mail address %r: %s", address, exc)
        return False
    return True


def load_partner_contacts(path: Path | str, concept: Concept) -> tuple[PartnerContact, ...]:
    """Load the optional ``Partner`` sheet: how to reach each partner.

    Every partner named there must appear under some measure's "Zuständig"
    (compared without regard to case and spacing); e-mail addresses must be
    valid; a partner may be listed once. Without the sheet the result is empty.

    Raises:
        ConceptWorkbookError: listing every problem, each naming sheet, row and column.
    """
    path = Path(path)
    reader = _Reader(_read_sheets(path), path.name)
    known = {partner_key(p) for p in concept.partners()}
    contacts: list[PartnerContact] = []
    seen: dict[str, int] = {}
    for row, values in reader.rows("Partner", required=False):
        name = reader.text(values, "Partner", "Partner", row)
        email = _cell_text(values.get("E-Mail"))
        if email and not _valid_email(email):
            reader.problem(Reason.INVALID_EMAIL, "Partner", row, "E-Mail", value=email)
        if not name:
            continue
        key = partner_key(name)
        if key not in known:
            reader.problem(Reason.UNKNOWN_PARTNER, "Partner", row, "Partner", value=name)
            continue
        if key in seen:
            reader.problem(
                Reason.DUPLICATE_ID,
                "Partner",
                row,
                "Partner",
                value=name,
                other=f"Zeile {seen[key]}",
            )
            continue
        seen[key] = row
        contact = _cell_text(values.get("Ansprechperson"))
        phone = _cell_text(values.get("Telefon"))
        contacts.append(
            PartnerContact(name, contact, email, phone, _source(path.name, "Partner", row))
        )
    if reader.problems:
        raise ConceptWorkbookError(reader.problems)
    return tuple(contacts)


def _style_sheet(sheet: Any, widths: Sequence[int]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    for cell in sheet[1]:
        cell.font = Font(name="Calibri", bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E79")
        cell.alignment = Alignment(vertical="top")
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
    # printed: landscape, all columns on the page, the header on every page
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = "1:1"


def _write_rows(sheet: Any, rows: Iterable[Sequence[str | float | dt.date | None]]) -> None:
    """Append rows; text never becomes a formula, and characters no cell can hold are dropped.

    See :func:`kik_core._cells.write_cell`.
    """
    for row in rows:
        number = sheet.max_row + 1
        for column, value in enumerate(row, start=1):
            write_cell(sheet, number, column, value)


#: Column order when writing (the documented order; reading goes by header name).
_HEADERS = {name: (*needed, *optional) for name, (needed, optional) in SHEETS.items()} | {
    "Kennzahlen": ("Kennzahl", "Wert", "Einheit", "Stand am", "Quelle"),
    "Maßnahmen": ("Handlungsfeld", "Nr", "Maßnahme", "Gruppe", "Zuständig"),
    "Ziele": ("Handlungsfeld", "Nr", "Ziel"),
}

_WIDTHS = {
    "Konzept": (18, 60),
    "Handlungsfelder": (10, 36, 90),
    "Ziele": (14, 6, 90),
    "Maßnahmen": (14, 8, 90, 22, 40),
    "Highlights": (14, 36, 30, 90, 30),
    "Kennzahlen": (40, 12, 14, 12, 40),
    "Zeitleiste": (30, 90),
    "Partner": (40, 30, 36, 20),
    "Hinweise": (14, 90, 20),
    "Status": (24, 24, 14),
    "Arbeitspakete": (14, 18, 90),
}


#: Rows prepared (text format, dropdowns) below the data for staff to fill in.
_PREPARED_ROWS = 300
#: Columns holding numbers that must stay text (``1.2`` is no date, ``1.10`` no 1.1).
#: Found by header, so the free-form reference columns of issue 17 stay text as well.
_TEXT_COLUMNS = {
    "Ziele": ("Nr", "Übergeordnet"),
    "Maßnahmen": ("Nr", "Ziel"),
    "Arbeitspakete": ("Maßnahme", "Nr"),
}

_CONCEPT_INSTRUCTIONS = (
    "Anleitung: Konzept-Arbeitsbuch",
    "In diesem Arbeitsbuch pflegen Sie Ihr Integrationskonzept: Handlungsfelder, Ziele und "
    "Maßnahmen. kik liest die Blätter anhand ihrer Namen und der Spaltenüberschriften in "
    "Zeile 1; bitte Blätter und Überschriften nicht umbenennen.",
    "1. Blatt „Konzept“: Name der Kommune, Titel des Konzepts, Datum des Beschlusses (TT.MM.JJJJ).",
    "2. Blatt „Handlungsfelder“: ein Kürzel (1 bis 8 Großbuchstaben oder Ziffern, z. B. „BS“) "
    "und ein Name je Handlungsfeld.",
    "3. Blatt „Ziele“: das Kürzel des Handlungsfelds (Auswahlliste) und die Nummer des Ziels "
    "(„4“ ergibt das Ziel BS-4).",
    "4. Blatt „Maßnahmen“: das Kürzel (Auswahlliste) und die Nummer „Ziel.Maßnahme“ (z. B. "
    "„4.3“ ergibt BS-4.3). Das Ziel muss im Blatt „Ziele“ stehen. Unter „Zuständig“ die "
    "Partner, getrennt durch „;“.",
    "5. Die Spalten „Nr“ sind als Text formatiert, damit Excel aus „1.2“ kein Datum und aus "
    "„1.10“ nicht 1,1 macht. Wenn Sie Nummern aus einer anderen Datei einfügen, fügen Sie "
    "nur die Werte ein (Einfügen → Werte), sonst geht das Textformat verloren.",
    "6. Optional: „Highlights“, „Kennzahlen“, „Zeitleiste“ für den Bericht, „Partner“ "
    "(Ansprechperson und E-Mail je Partner, für Vorlagen und Erinnerungen) und „Hinweise“ "
    "(redaktionelle Hinweise zu einem Kürzel, Ziel oder einer Maßnahme).",
    "7. Prüfen Sie das Arbeitsbuch mit „kik validate ORDNER“: jede Meldung nennt Blatt, Zeile "
    "und Spalte.",
    "8. Eigene Nummerierung: Steht im Blatt „Konzept“ die Zeile „Ebenen“ (z. B. "
    "„Handlungsfeld; Leitziel; Teilziel; Maßnahme“, 2 bis 4 Ebenen), gelten die Nummern so, "
    "wie sie in „Nr“ stehen. Dann nennt „Übergeordnet“ (Ziele) das übergeordnete Ziel und "
    "„Ziel“ (Maßnahmen) das Ziel einer Maßnahme.",
    "9. Optional: Blatt „Status“ mit Ihren eigenen Status (vom ersten bis zum letzten "
    "Umsetzungsschritt), Blatt „Arbeitspakete“ mit Arbeitspaketen je Maßnahme.",
)


def _instructions_sheet(
    workbook: Any, lines: Sequence[str] = _CONCEPT_INSTRUCTIONS, *, spacing: int = 4
) -> Any:
    """An ``Anleitung`` sheet in front: one paragraph per row, printed on A4 portrait.

    Shared by the concept workbook and the mapping workbook of a *Fortschreibung*.
    """
    from openpyxl.styles import Alignment, Font
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet = workbook.create_sheet("Anleitung", 0)
    width = 76
    sheet.column_dimensions["A"].width = width
    for row, text in enumerate(lines, start=1):
        cell = write_cell(sheet, row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = Font(name="Calibri", bold=True, size=14)
        rows = max(1, -(-len(text) // int(width * 1.05)))
        sheet.row_dimensions[row].height = rows * 15 + (6 if row == 1 else spacing)
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_margins.left = sheet.page_margins.right = 0.6
    return sheet


def _prepare_inputs(workbook: Any, free_numbers: bool = False) -> None:
    """Text format for ``Nr`` columns; dropdowns and checks for the references.

    With ``free_numbers`` (issue 17) a measure number need not have the form
    ``Ziel.Maßnahme``, so the goal check on ``Nr`` is left out.
    """
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    last = _PREPARED_ROWS + 1
    for name, headers in _TEXT_COLUMNS.items():
        if name not in workbook.sheetnames:
            continue
        sheet = workbook[name]
        letters = [
            get_column_letter(cell.column) for cell in sheet[1] if cell.value in set(headers)
        ]
        for letter in letters:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, max(sheet.max_row, last) + 1):
                cell = sheet[f"{letter}{row}"]
                cell.number_format = "@"
                if cell.value is not None and not isinstance(cell.value, str):
                    cell.value = cell_text(cell.value)
    codes = "Handlungsfelder!$A$2:$A$200"
    for name in ("Ziele", "Maßnahmen", "Highlights"):
        field = DataValidation(
            type="list",
            formula1=codes,
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Handlungsfeld",
            error="Bitte ein Kürzel aus dem Blatt „Handlungsfelder“ wählen (dort zuerst anlegen).",
        )
        field.add(f"A2:A{last}")
        workbook[name].add_data_validation(field)
    goal = DataValidation(
        type="custom",
        formula1=(
            'COUNTIFS(Ziele!$A$2:$A$1000,$A2,Ziele!$B$2:$B$1000,LEFT($B2,FIND(".",$B2&".")-1))>0'
        ),
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="Nr",
        error=(
            "Die Nummer hat die Form Ziel.Maßnahme (z. B. 4.3), und das Ziel (hier 4) muss "
            "im Blatt „Ziele“ zu diesem Handlungsfeld stehen."
        ),
    )
    if not free_numbers:
        goal.add(f"B2:B{last}")
        workbook["Maßnahmen"].add_data_validation(goal)
    kinds = DataValidation(
        type="list",
        formula1='"Hinweis,Status erschlossen"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Art",
        error="Bitte „Hinweis“ oder „Status erschlossen“ wählen.",
    )
    kinds.add(f"C2:C{last}")
    workbook["Hinweise"].add_data_validation(kinds)


def _attribute_values(m: Measure) -> tuple[str | float | dt.date | None, ...]:
    return (m.lead, m.priority, m.priority_set_on, m.start, m.end, m.budget)


def write_concept_workbook(
    concept: Concept | None,
    path: Path | str,
    content: ReportContent | None = None,
    partners: Sequence[PartnerContact] = (),
) -> Path:
    """Write a concept workbook; with ``concept=None`` a blank template.

    ``partners`` fill the ``Partner`` sheet (contacts for reminders). The result
    loads back with :func:`load_concept` and :func:`load_partner_contacts` (round trip).
    The ``Nr`` columns are formatted as text, the Handlungsfeld columns offer the
    codes of the ``Handlungsfelder`` sheet, measure numbers are checked against
    the ``Ziele`` sheet, and an ``Anleitung`` sheet comes first. Written atomically.
    """
    return _save(_concept_workbook(concept, content, partners), Path(path))


def _save(workbook: Any, path: Path) -> Path:
    from kik_core._atomic import atomic_path

    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as temp:
        workbook.save(temp)
    return path


def _concept_workbook(
    concept: Concept | None,
    content: ReportContent | None = None,
    partners: Sequence[PartnerContact] = (),
) -> Any:
    from openpyxl import Workbook

    workbook = Workbook()
    for default_sheet in list(workbook.worksheets):
        workbook.remove(default_sheet)
    for name in SHEETS:
        if name == "Arbeitspakete" and not (concept is not None and concept.work_packages):
            continue  # only where the concept has work packages
        sheet = workbook.create_sheet(name)
        sheet.append(list(_HEADERS[name]))
        _style_sheet(sheet, _WIDTHS[name])
    if concept is None:
        _write_rows(workbook["Konzept"], [(key, None) for key in _KONZEPT_ROWS])
    else:
        _write_rows(
            workbook["Konzept"],
            [
                ("Kommune", concept.municipality),
                ("Titel", concept.title),
                ("Beschlossen am", concept.adopted_on),
                *([("Ebenen", "; ".join(concept.levels))] if concept.free_numbers else []),
            ],
        )
        _write_rows(
            workbook["Handlungsfelder"], [(f.code, f.name, f.intro) for f in concept.fields]
        )
        free = concept.free_numbers
        if free:  # free-form numbers (issue 17): the parents are explicit
            write_cell(workbook["Ziele"], 1, 4, "Übergeordnet")
        _write_rows(
            workbook["Ziele"],
            [
                (
                    concept.field_of(g.id),
                    g.number,
                    g.text,
                    *([g.parent_id if concept.is_goal(g.parent_id) else None] if free else []),
                )
                for g in concept.goals
            ],
        )
        attributed = any(
            _attribute_values(m) != (None,) * len(_ATTRIBUTES) for m in concept.measures
        )
        extra = (("Ziel",) if free else ()) + (_ATTRIBUTES if attributed else ())
        for offset, header in enumerate(extra, start=len(_HEADERS["Maßnahmen"]) + 1):
            write_cell(workbook["Maßnahmen"], 1, offset, header)  # only where used
        _write_rows(
            workbook["Maßnahmen"],
            [
                (
                    concept.field_of(m.id),
                    m.number.split("-")[-1] if not free else m.number,
                    m.text,
                    m.group,
                    "; ".join(m.partners) or None,
                    *([None if len(concept.levels) == 2 else m.goal_id] if free else []),
                    *(_attribute_values(m) if attributed else ()),
                )
                for m in concept.measures
            ],
        )
    if content is not None:
        _write_rows(
            workbook["Highlights"],
            [
                (h.field_code, h.title, h.organisation, h.text, "; ".join(h.measure_ids))
                for h in content.highlights
            ],
        )
        _write_rows(
            workbook["Kennzahlen"],
            [(i.name, i.value, i.unit, i.as_of, i.source) for i in content.indicators],
        )
        _write_rows(workbook["Zeitleiste"], [(t.when, t.text) for t in content.timeline])
        _write_rows(
            workbook["Hinweise"],
            [
                (n.reference, n.text, "Status erschlossen" if n.inferred else "Hinweis")
                for n in content.notes
            ],
        )
    _write_rows(
        workbook["Partner"],
        [(c.partner, c.contact or None, c.email or None, c.phone or None) for c in partners],
    )
    if concept is not None and concept.work_packages:
        _write_rows(
            workbook["Arbeitspakete"],
            [(p.measure_id, p.id, p.text) for p in concept.work_packages],
        )
    scheme = concept.statuses if concept is not None else DEFAULT_SCHEME
    _write_rows(
        workbook["Status"],
        [
            (st.label, st.group, "ja" if scheme.group_of(st).counted else "nein")
            for st in scheme.statuses
        ],
    )
    for sheet_name in ("Konzept", "Kennzahlen", "Maßnahmen"):
        for row in workbook[sheet_name].iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "DD.MM.YYYY"
    _prepare_inputs(workbook, concept is not None and concept.free_numbers)
    _instructions_sheet(workbook)
    workbook.active = 0
    return workbook


def write_concept_template(
    path: Path | str, municipality: str | None = None, title: str | None = None
) -> Path:
    """Write the blank concept workbook a municipality fills in (see the module docs).

    ``municipality`` and ``title``, when given, are pre-filled on the ``Konzept`` sheet.
    """
    workbook = _concept_workbook(None)
    sheet = workbook["Konzept"]
    if municipality:
        write_cell(sheet, 2, 2, municipality)
    if title:
        write_cell(sheet, 3, 2, title)
    return _save(workbook, Path(path))
