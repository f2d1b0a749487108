"""The concept and measure model: frozen, validated value objects.

An integration concept (:class:`Concept`) has fields of action
(:class:`FieldOfAction`, *Handlungsfelder*), each with goals (:class:`Goal`,
*Ziele*), each with measures (:class:`Measure`, *Maßnahmen*). Partners send
:class:`StatusReport` values about measures (a :class:`Status`) and about goals
(texts only). Ids are strings: a field's short code ``BS``, a goal ``BS-4``, a
measure ``BS-4.3``.

The model knows nothing of spreadsheets, SQL or DOCX: readers build these
objects, rules compute over them, renderers draw them.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

import attrs

from kik_core.errors import DuplicateIdError, Location, ModelError

__all__ = [
    "DEFAULT_SCHEME",
    "Concept",
    "Decision",
    "FieldOfAction",
    "Goal",
    "Highlight",
    "Indicator",
    "Measure",
    "PartnerContact",
    "Provenance",
    "ReportingPeriod",
    "Status",
    "StatusGroup",
    "StatusReport",
    "StatusScheme",
    "TimelineEntry",
    "WorkPackage",
    "goal_id_of",
    "is_goal_id",
    "is_measure_id",
    "parse_id",
    "partner_key",
]

_CODE = r"[A-ZÄÖÜ0-9][A-ZÄÖÜ0-9]{0,7}"
#: A free-form number (issue 17) such as "1.2.3", "A 3" or "M17": letters, digits,
#: spaces and . - / _, starting with a letter or digit, at most 24 characters.
FREE_ID_RE = re.compile(r"^[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß .\-/_]{0,23}$")
#: Kempten's levels: Handlungsfeld → Ziel → Maßnahme.
DEFAULT_LEVELS: tuple[str, ...] = ("Handlungsfeld", "Ziel", "Maßnahme")
CODE_RE = re.compile(rf"^{_CODE}$")
GOAL_ID_RE = re.compile(rf"^(?P<code>{_CODE})-(?P<goal>[1-9][0-9]{{0,2}})$")
MEASURE_ID_RE = re.compile(
    rf"^(?P<code>{_CODE})-(?P<goal>[1-9][0-9]{{0,2}})\.(?P<measure>[1-9][0-9]{{0,2}})$"
)


def is_goal_id(value: str) -> bool:
    """Return whether ``value`` has the form of a goal id such as ``BS-4``."""
    return GOAL_ID_RE.match(value) is not None


def is_measure_id(value: str) -> bool:
    """Return whether ``value`` has the form of a measure id such as ``BS-4.3``."""
    return MEASURE_ID_RE.match(value) is not None


def goal_id_of(measure_id: str) -> str:
    """Return the goal id of a measure id: ``goal_id_of("BS-4.3") == "BS-4"``."""
    return measure_id.rsplit(".", 1)[0]


def parse_id(value: str) -> tuple[str, int, int | None]:
    """Split a goal or measure id into (field code, goal number, measure number or None).

    >>> parse_id("BS-4.3")
    ('BS', 4, 3)
    >>> parse_id("AA-2")
    ('AA', 2, None)
    """
    if m := MEASURE_ID_RE.match(value):
        return m["code"], int(m["goal"]), int(m["measure"])
    if m := GOAL_ID_RE.match(value):
        return m["code"], int(m["goal"]), None
    raise ModelError(f"{value!r} is not a goal id (like 'BS-4') or measure id (like 'BS-4.3')")


def _sort_key(value: str) -> tuple[str, int, int]:
    code, goal, measure = parse_id(value)
    return code, goal, measure or 0


def _nonblank(_instance: object, attribute: attrs.Attribute[Any], value: str) -> None:
    if not value.strip():
        raise ModelError(f"{attribute.name} must not be empty")


def _strip(value: str) -> str:
    return value.strip()


def _optional_text(value: str | None) -> str | None:
    """Strip; an empty text is no text."""
    return (value.strip() or None) if value is not None else None


def _tuple_of_str(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for v in values if v.strip())


class _StatusType(type):
    """Iterating :class:`Status` itself yields the default scheme's statuses.

    This keeps ``for status in Status`` and ``min(Status)`` working as they did
    when the statuses were an enum of Kempten's three.
    """

    def __iter__(cls) -> Iterator[Status]:
        return iter(DEFAULT_SCHEME.statuses)

    def __len__(cls) -> int:
        return len(DEFAULT_SCHEME.statuses)


#: The longest status label: the store keeps statuses as labels in 32 characters.
MAX_STATUS_LABEL = 32


def _status_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def _label(value: str) -> str:
    return " ".join(str(value).split())


@functools.total_ordering
@attrs.frozen(eq=False)
class Status(metaclass=_StatusType):
    """A status of a measure: its label, its position in the order and its summary group.

    Statuses are data, defined per municipality in a :class:`StatusScheme`.
    Two statuses are equal when their labels are; they are ordered by
    ``position`` (lower is less advanced). ``group`` names the
    :class:`StatusGroup` the status counts toward in charts and percentages
    (it defaults to the label). Kempten's three statuses are the default
    scheme's and are available as class attributes.

    >>> Status.parse("  In Bearbeitung ") is Status.IN_BEARBEITUNG
    True
    >>> Status.WARTEND < Status.IMPLEMENTIERT
    True
    >>> Status("entfällt", 9, "entfallen").group
    'entfallen'
    """

    WARTEND: ClassVar[Status]
    IN_BEARBEITUNG: ClassVar[Status]
    IMPLEMENTIERT: ClassVar[Status]

    label: str = attrs.field(converter=_label, validator=_nonblank)
    position: int = 0
    group: str = attrs.field(default="", converter=_label)

    def __attrs_post_init__(self) -> None:
        if len(self.label) > MAX_STATUS_LABEL:
            raise ModelError(
                f"status label {self.label!r} is longer than {MAX_STATUS_LABEL} characters"
            )
        if not self.group:
            object.__setattr__(self, "group", self.label)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return _status_key(self.label) == _status_key(other.label)

    def __hash__(self) -> int:
        return hash(_status_key(self.label))

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Status):
            return NotImplemented
        return self.position < other.position

    @property
    def value(self) -> str:
        """The label, as stored in the status store and in spreadsheets."""
        return self.label

    @property
    def progress(self) -> int:
        """The position in the order: 0 for wartend, 1 for in Bearbeitung, 2 for implementiert."""
        return self.position

    @classmethod
    def parse_any(cls, value: Status | str) -> Status:
        """Return ``value`` if it is a status, else :meth:`parse` it (default scheme)."""
        return value if isinstance(value, Status) else cls.parse(value)

    @classmethod
    def parse(cls, text: str) -> Status:
        """Parse a label of the default scheme, ignoring case and surrounding spaces.

        Use :meth:`StatusScheme.parse` for a municipality's own scheme.

        Raises:
            ModelError: the text is not one of the default scheme's labels.
        """
        return DEFAULT_SCHEME.parse(text)


@attrs.frozen
class StatusGroup:
    """A summary group of statuses (*Zusammenfassung*), as shown in charts.

    ``counted`` groups share the percentages (which sum to 100); a group that is
    not counted (such as "entfallen") is listed with its count but left out of
    the percentages.
    """

    name: str = attrs.field(converter=_label, validator=_nonblank)
    counted: bool = True


def _statuses(values: Iterable[Status]) -> tuple[Status, ...]:
    return tuple(sorted(values, key=lambda s: s.position))


def _groups(values: Iterable[StatusGroup]) -> tuple[StatusGroup, ...]:
    return tuple(values)


@attrs.frozen
class StatusScheme:
    """A municipality's statuses and their summary groups (Kempten's is :data:`DEFAULT_SCHEME`).

    Statuses are kept in order of their ``position`` (least advanced first);
    labels must be unique (ignoring case), and so must positions. ``groups``
    lists the summary groups in display order (least advanced first); without
    it every status forms its own counted group. ``initial`` is the label of the
    status a measure has before anyone reports (rule 3); it defaults to the
    first status. The last counted group is the one that means *done*
    (:attr:`done_group`): overdue measures and "davon implementiert" use it.

    Example:
        >>> scheme = StatusScheme(
        ...     statuses=(Status("offen", 0, "wartend"), Status("zurückgestellt", 1, "wartend"),
        ...               Status("in Umsetzung", 2, "in Bearbeitung"),
        ...               Status("umgesetzt", 3, "implementiert"),
        ...               Status("entfällt", 4, "entfallen")),
        ...     groups=(StatusGroup("wartend"), StatusGroup("in Bearbeitung"),
        ...             StatusGroup("implementiert"), StatusGroup("entfallen", counted=False)),
        ... )
        >>> scheme.parse("Entfällt").group, scheme.initial_status.label, scheme.done_group.name
        ('entfallen', 'offen', 'implementiert')
    """

    statuses: tuple[Status, ...] = attrs.field(converter=_statuses)
    groups: tuple[StatusGroup, ...] = attrs.field(default=(), converter=_groups)
    initial: str = attrs.field(default="", converter=_label)

    def __attrs_post_init__(self) -> None:
        if not self.statuses:
            raise ModelError("a status scheme needs at least one status")
        labels = [_status_key(s.label) for s in self.statuses]
        if len(set(labels)) != len(labels):
            raise ModelError(f"status labels must be unique: {[s.label for s in self.statuses]}")
        positions = [s.position for s in self.statuses]
        if len(set(positions)) != len(positions):
            raise ModelError(f"status positions must be unique: {positions}")
        if not self.groups:
            names = dict.fromkeys(s.group for s in self.statuses)
            object.__setattr__(self, "groups", tuple(StatusGroup(n) for n in names))
        group_names = [_status_key(g.name) for g in self.groups]
        if len(set(group_names)) != len(group_names):
            raise ModelError(f"group names must be unique: {[g.name for g in self.groups]}")
        for status in self.statuses:
            if _status_key(status.group) not in group_names:
                raise ModelError(
                    f"status {status.label!r} counts toward group {status.group!r}, "
                    f"which the scheme does not list ({', '.join(g.name for g in self.groups)})"
                )
        if not any(g.counted for g in self.groups):
            raise ModelError("at least one status group must count toward the percentages")
        if not self.initial:
            object.__setattr__(self, "initial", self.statuses[0].label)
        elif _status_key(self.initial) not in labels:
            raise ModelError(f"the initial status {self.initial!r} is not one of the statuses")

    @property
    def labels(self) -> tuple[str, ...]:
        """The status labels in order."""
        return tuple(s.label for s in self.statuses)

    @property
    def initial_status(self) -> Status:
        """The status of a measure nobody has reported on yet."""
        return self.parse(self.initial)

    @property
    def counted_groups(self) -> tuple[StatusGroup, ...]:
        """The groups that share the percentages."""
        return tuple(g for g in self.groups if g.counted)

    @property
    def done_group(self) -> StatusGroup:
        """The most advanced counted group: a measure in it is implemented."""
        return self.counted_groups[-1]

    @property
    def is_simple(self) -> bool:
        """Whether every status forms its own counted group named like it (as Kempten's)."""
        return len(self.groups) == len(self.statuses) and all(
            g.counted and g.name == s.label and s.group == s.label
            for g, s in zip(self.groups, self.statuses, strict=True)
        )

    def group(self, name: str) -> StatusGroup:
        """The group called ``name`` (``KeyError`` if there is none)."""
        for group in self.groups:
            if _status_key(group.name) == _status_key(name):
                return group
        raise KeyError(name)

    def group_of(self, status: Status) -> StatusGroup:
        """The summary group ``status`` counts toward."""
        return self.group(self.get(status.label).group)

    def is_done(self, status: Status) -> bool:
        """Whether ``status`` belongs to the :attr:`done_group`."""
        return self.group_of(status) == self.done_group

    def get(self, label: str) -> Status:
        """The scheme's status with this label (``KeyError`` if there is none)."""
        key = _status_key(label)
        for status in self.statuses:
            if _status_key(status.label) == key:
                return status
        raise KeyError(label)

    def parse(self, text: str) -> Status:
        """Parse a label, ignoring case and surrounding or repeated spaces.

        Raises:
            ModelError: the text is not one of the scheme's labels.
        """
        try:
            return self.get(text)
        except KeyError:
            raise ModelError(f"{text!r} is not a status ({', '.join(self.labels)})") from None

    def resolve(self, status: Status) -> Status:
        """The scheme's own instance of ``status`` (with its position and group)."""
        return self.parse(status.label)


Status.WARTEND = Status("wartend", 0)
Status.IN_BEARBEITUNG = Status("in Bearbeitung", 1)
Status.IMPLEMENTIERT = Status("implementiert", 2)

#: Kempten's scheme: wartend, in Bearbeitung, implementiert, each its own counted group.
DEFAULT_SCHEME = StatusScheme((Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT))


@attrs.frozen
class Provenance:
    """Where a fact came from: the source file, its content hash, sheet and row."""

    file: str
    row: int | None = None
    sheet: str | None = None
    content_hash: str | None = None

    def __str__(self) -> str:
        return str(Location(self.file, self.sheet, self.row))


@attrs.frozen
class FieldOfAction:
    """A field of action (*Handlungsfeld*) such as ``BS`` "Bildung und Sprache"."""

    code: str = attrs.field(converter=_strip)
    name: str = attrs.field(converter=_strip, validator=_nonblank)
    intro: str = attrs.field(default="", converter=_strip)
    source: Provenance | None = attrs.field(default=None, eq=False, repr=False)

    @code.validator
    def _check_code(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not CODE_RE.match(value):
            raise ModelError(
                f"{value!r} is not a field code: use 1-8 capital letters or digits, "
                "starting with a letter, e.g. 'BS'"
            )

    @property
    def id(self) -> str:
        """The field's id: its short code."""
        return self.code


@attrs.frozen
class Goal:
    """A goal (*Ziel*) of a field, id ``<code>-<number>`` such as ``BS-4``.

    With an explicit ``parent`` (a field code or, in a four-level concept, the
    id of a higher goal) the id is a free-form number such as ``1.2`` or
    ``A 3`` (:data:`FREE_ID_RE`); without it, the parent is read from a
    Kempten-style id.
    """

    id: str = attrs.field(converter=_strip)
    text: str = attrs.field(converter=_strip, validator=_nonblank)
    source: Provenance | None = attrs.field(default=None, eq=False, repr=False)
    parent: str | None = attrs.field(default=None, converter=_optional_text, kw_only=True)

    @id.validator
    def _check_id(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if self.parent is None and not is_goal_id(value):
            raise ModelError(
                f"{value!r} is not a goal id: use '<field code>-<number>', e.g. 'BS-4'"
            )
        if self.parent is not None and not FREE_ID_RE.match(value):
            raise ModelError(f"{value!r} is not a number: use letters, digits, spaces and . - /")

    @property
    def parent_id(self) -> str:
        """The id of the field or goal this goal belongs to."""
        return self.parent if self.parent is not None else self.id.split("-", 1)[0]

    @property
    def field_code(self) -> str:
        """The code of the field of a Kempten-style goal (else: the parent's id)."""
        return self.parent_id

    @property
    def number(self) -> int | str:
        """The goal's number within its field (Kempten-style: an int; free-form: the id)."""
        return int(self.id.split("-", 1)[1]) if self.parent is None else self.id


@attrs.frozen
class Measure:
    """A measure (*Maßnahme*) of a goal, id ``<code>-<goal>.<number>`` such as ``BS-4.3``.

    With an explicit ``parent`` (the id of a goal of the lowest goal level, or a
    field code in a two-level concept) the id is a free-form number such as
    ``1.2.3`` or ``M17`` (:data:`FREE_ID_RE`).

    Optional attributes (issue 17), all keyword-only and empty for Kempten:
    ``priority`` (a label such as ``hoch`` or ``1``; any priority makes the measure
    *prioritär*) and ``priority_set_on`` (when it was set, e.g. by a Fachrunde);
    the timeframe ``start``/``end`` (only ``end``: "bis"); the ``lead`` partner
    (*federführend*), distinct from the contributing ``partners``; a ``budget``
    in euros.
    """

    id: str = attrs.field(converter=_strip)
    text: str = attrs.field(converter=_strip, validator=_nonblank)
    group: str | None = attrs.field(default=None, converter=_optional_text)
    partners: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    source: Provenance | None = attrs.field(default=None, eq=False, repr=False)
    parent: str | None = attrs.field(default=None, converter=_optional_text, kw_only=True)
    priority: str | None = attrs.field(default=None, converter=_optional_text, kw_only=True)
    priority_set_on: dt.date | None = attrs.field(default=None, kw_only=True)
    start: dt.date | None = attrs.field(default=None, kw_only=True)
    end: dt.date | None = attrs.field(default=None, kw_only=True)
    lead: str | None = attrs.field(default=None, converter=_optional_text, kw_only=True)
    budget: float | None = attrs.field(default=None, kw_only=True)

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ModelError(f"measure {self.id!r}: the end {self.end} lies before the start")
        if self.budget is not None and self.budget < 0:
            raise ModelError(f"measure {self.id!r}: a budget must not be negative")
        if self.priority_set_on is not None and self.priority is None:
            raise ModelError(f"measure {self.id!r}: a priority date needs a priority")
        if self.lead is not None and partner_key(self.lead) in {
            partner_key(p) for p in self.partners
        }:
            raise ModelError(
                f"measure {self.id!r}: the lead partner {self.lead!r} is not also a contributor"
            )

    @property
    def prioritised(self) -> bool:
        """Whether the measure has a priority (*prioritäre Maßnahme*)."""
        return self.priority is not None

    def is_overdue(self, as_of: dt.date, done: bool) -> bool:
        """Whether the timeframe ended before ``as_of`` and the measure is not ``done``."""
        return self.end is not None and self.end < as_of and not done

    @property
    def responsible(self) -> tuple[str, ...]:
        """Who reports on the measure: the lead partner (if any) first, then the contributors."""
        return (self.lead, *self.partners) if self.lead is not None else self.partners

    @id.validator
    def _check_id(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if self.parent is None and not is_measure_id(value):
            raise ModelError(
                f"{value!r} is not a measure id: use '<field code>-<goal>.<number>', e.g. 'BS-4.3'"
            )
        if self.parent is not None and not FREE_ID_RE.match(value):
            raise ModelError(f"{value!r} is not a number: use letters, digits, spaces and . - /")

    @property
    def goal_id(self) -> str:
        """The id of the goal (or, in a two-level concept, the field) it belongs to."""
        return self.parent if self.parent is not None else goal_id_of(self.id)

    @property
    def field_code(self) -> str:
        """The code of the field of a Kempten-style measure (use :meth:`Concept.field_of`)."""
        return self.id.split("-", 1)[0] if self.parent is None else self.parent

    @property
    def number(self) -> str:
        """The measure's number as shown in tables, e.g. ``4.3`` (free-form: the id)."""
        return self.id.split("-", 1)[1] if self.parent is None else self.id


def _place(item: FieldOfAction | Goal | Measure, index: int, kind: str) -> str:
    return str(item.source) if item.source is not None else f"{kind} Nr. {index + 1}"


def _reject_duplicates(items: Iterable[FieldOfAction | Goal | Measure], kind: str) -> None:
    seen: dict[str, tuple[int, FieldOfAction | Goal | Measure]] = {}
    for index, item in enumerate(items):
        if item.id in seen:
            first_index, first = seen[item.id]
            raise DuplicateIdError(
                f"duplicate {kind} id {item.id!r}: {_place(first, first_index, kind)} and "
                f"{_place(item, index, kind)}"
            )
        seen[item.id] = (index, item)


@attrs.frozen
class WorkPackage:
    """A work package (*Arbeitspaket*) of a measure, with its own status.

    Partners report on it like on a measure (its id in the template); how a
    measure's status follows from its packages is rule 8 in :mod:`kik_core.rules`.
    """

    id: str = attrs.field(converter=_strip)
    measure_id: str = attrs.field(converter=_strip)
    text: str = attrs.field(converter=_strip, validator=_nonblank)

    @id.validator
    def _check_id(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not FREE_ID_RE.match(value) or is_goal_id(value) or is_measure_id(value):
            raise ModelError(f"{value!r} is not a work package number (e.g. 'BS-4.3 AP1')")


def _packages(values: Iterable[WorkPackage]) -> tuple[WorkPackage, ...]:
    return tuple(values)


def _fields(values: Iterable[FieldOfAction]) -> tuple[FieldOfAction, ...]:
    return tuple(values)


def _goals(values: Iterable[Goal]) -> tuple[Goal, ...]:
    return tuple(values)


def _measures(values: Iterable[Measure]) -> tuple[Measure, ...]:
    return tuple(values)


@attrs.frozen
class Concept:
    """A municipality's integration concept: its fields, goals and measures.

    ``statuses`` is the municipality's status scheme (Kempten's by default).

    Construction checks that ids are unique, that every goal belongs to a field
    and every measure to a goal. Goals and measures are kept in id order
    (fields in the given order).

    Example:
        >>> import datetime as dt
        >>> c = Concept(
        ...     municipality="Musterstadt", title="KIK", adopted_on=dt.date(2021, 11, 18),
        ...     fields=(FieldOfAction("BS", "Bildung und Sprache"),),
        ...     goals=(Goal("BS-1", "Alle lernen Deutsch."),),
        ...     measures=(Measure("BS-1.1", "Sprachkurse werden angeboten."),),
        ... )
        >>> c.measure("BS-1.1").goal_id
        'BS-1'
    """

    municipality: str = attrs.field(converter=_strip, validator=_nonblank)
    title: str = attrs.field(converter=_strip, validator=_nonblank)
    adopted_on: dt.date | None = None
    fields: tuple[FieldOfAction, ...] = attrs.field(default=(), converter=_fields)
    goals: tuple[Goal, ...] = attrs.field(default=(), converter=_goals)
    measures: tuple[Measure, ...] = attrs.field(default=(), converter=_measures)
    statuses: StatusScheme = DEFAULT_SCHEME
    levels: tuple[str, ...] = attrs.field(default=DEFAULT_LEVELS, converter=_tuple_of_str)
    work_packages: tuple[WorkPackage, ...] = attrs.field(default=(), converter=_packages)

    def __attrs_post_init__(self) -> None:
        if not 2 <= len(self.levels) <= 4:
            raise ModelError(
                f"a concept has 2 to 4 levels (field … measure), not {len(self.levels)}: "
                f"{self.levels}"
            )
        _reject_duplicates(self.fields, "field")
        _reject_duplicates(self.goals, "goal")
        _reject_duplicates(self.measures, "measure")
        depth: dict[str, int] = {f.code: 0 for f in self.fields}
        pending = list(self.goals)
        while pending:  # a goal's level is its parent's + 1 (parents may come later)
            placed = [g for g in pending if g.parent_id in depth]
            if not placed:
                goal = pending[0]
                kind = "field" if goal.parent is None else "field or goal"
                raise ModelError(
                    f"goal {goal.id!r} ({_place(goal, 0, 'goal')}) belongs to {kind} "
                    f"{goal.parent_id!r}, which the concept does not have"
                )
            for goal in placed:
                if goal.id in depth:
                    raise DuplicateIdError(f"goal id {goal.id!r} is also a field code")
                depth[goal.id] = depth[goal.parent_id] + 1
            pending = [g for g in pending if g.id not in depth]
        lowest = len(self.levels) - 2  # the goal level measures hang under (0: fields)
        for goal in self.goals:
            if depth[goal.id] > lowest:
                raise ModelError(
                    f"goal {goal.id!r} lies on level {depth[goal.id] + 1}, but the concept has "
                    f"only {len(self.levels)} levels ({', '.join(self.levels)})"
                )
        for measure in self.measures:
            if depth.get(measure.goal_id) != lowest or (
                lowest > 0 and measure.goal_id in {f.code for f in self.fields}
            ):
                raise ModelError(
                    f"measure {measure.id!r} ({_place(measure, 0, 'measure')}) belongs to goal "
                    f"{measure.goal_id!r}, which the concept does not have"
                    + (f" on level {lowest + 1} ({self.levels[lowest]})" if lowest else "")
                )
            if measure.id in depth:
                raise DuplicateIdError(f"measure id {measure.id!r} is also a goal or field id")
        taken = set(depth) | {m.id for m in self.measures}
        seen_packages: set[str] = set()
        for package in self.work_packages:
            if package.measure_id not in {m.id for m in self.measures}:
                raise ModelError(
                    f"work package {package.id!r} belongs to measure {package.measure_id!r}, "
                    "which the concept does not have"
                )
            if package.id in taken or package.id in seen_packages:
                raise DuplicateIdError(f"work package id {package.id!r} is used twice")
            seen_packages.add(package.id)
        object.__setattr__(self, "_index", _Index.build(self))
        object.__setattr__(self, "goals", self._index.goal_order)
        object.__setattr__(self, "measures", self._index.measure_order)

    _index: _Index = attrs.field(init=False, eq=False, repr=False, default=None)

    def field(self, code: str) -> FieldOfAction:
        """Return the field with this code (``KeyError`` if there is none)."""
        return self._index.fields[code]

    def goal(self, goal_id: str) -> Goal:
        """Return the goal with this id (``KeyError`` if there is none)."""
        return self._index.goals[goal_id]

    def measure(self, measure_id: str) -> Measure:
        """Return the measure with this id (``KeyError`` if there is none)."""
        return self._index.measures[measure_id]

    def goals_of(self, code: str) -> tuple[Goal, ...]:
        """The goals directly under a field (or, with four levels, under a goal), in order."""
        return self._index.child_goals.get(code, ())

    def measures_of(self, goal_or_field_id: str) -> tuple[Measure, ...]:
        """Every measure under a goal (``BS-4``) or a whole field (``BS``), in order."""
        return self._index.measures_under.get(goal_or_field_id, ())

    def direct_measures_of(self, goal_or_field_id: str) -> tuple[Measure, ...]:
        """The measures directly under a goal (or, with two levels, a field)."""
        return self._index.child_measures.get(goal_or_field_id, ())

    def field_of(self, item_id: str) -> str:
        """The code of the field a goal or measure belongs to (``KeyError`` if unknown)."""
        return self._index.field_of[item_id]

    def level_of(self, item_id: str) -> int:
        """0 for a field, 1 for a top goal …, ``len(levels) - 1`` for a measure."""
        if item_id in self._index.measures:
            return len(self.levels) - 1
        return self._index.depth[item_id]

    def level_name(self, item_id: str) -> str:
        """The concept's name of the item's level, e.g. ``Leitziel`` or ``Maßnahme``."""
        return self.levels[self.level_of(item_id)]

    def is_goal(self, item_id: str) -> bool:
        """Whether ``item_id`` is one of the concept's goals."""
        return item_id in self._index.goals

    def is_measure(self, item_id: str) -> bool:
        """Whether ``item_id`` is one of the concept's measures."""
        return item_id in self._index.measures

    def canonical_id(self, text: str) -> str | None:
        """The goal or measure id ``text`` stands for, ignoring case, spaces and dashes."""
        return self._index.by_key.get(id_key(text))

    @property
    def free_numbers(self) -> bool:
        """Whether the concept numbers freely (explicit parents) rather than Kempten-style."""
        return any(g.parent is not None for g in self.goals) or any(
            m.parent is not None for m in self.measures
        )

    def has_id(self, value: str) -> bool:
        """Whether ``value`` is the id of one of this concept's goals, measures or work packages."""
        return (
            value in self._index.measures
            or value in self._index.goals
            or any(p.id == value for p in self.work_packages)
        )

    def packages_of(self, measure_id: str) -> tuple[WorkPackage, ...]:
        """The work packages (*Arbeitspakete*) of a measure, in order."""
        return tuple(p for p in self.work_packages if p.measure_id == measure_id)

    def is_package(self, item_id: str) -> bool:
        """Whether ``item_id`` is one of the concept's work packages."""
        return any(p.id == item_id for p in self.work_packages)

    def known_ids(self) -> Iterator[str]:
        """All goal and measure ids, in order (each goal followed by what lies under it)."""
        yield from self._index.tree_order

    def partners(self) -> tuple[str, ...]:
        """Every partner named as responsible (lead or contributing) for a measure, sorted."""
        return tuple(sorted({p for m in self.measures for p in m.responsible}, key=str.casefold))


_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})


def id_key(text: str) -> str:
    """An id for comparison: spaces dropped, dashes unified, case folded.

    >>> id_key(" bs – 4.3 ") == id_key("BS-4.3")
    True
    """
    return "".join(str(text).translate(_DASHES).split()).casefold()


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key: numbers by value, text by letters (``M2`` before ``M10``)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.findall(r"\d+|\D+", text)
    )


@attrs.frozen
class _Index:
    fields: dict[str, FieldOfAction]
    goals: dict[str, Goal]
    measures: dict[str, Measure]
    depth: dict[str, int]
    child_goals: dict[str, tuple[Goal, ...]]
    child_measures: dict[str, tuple[Measure, ...]]
    measures_under: dict[str, tuple[Measure, ...]]
    field_of: dict[str, str]
    by_key: dict[str, str]
    goal_order: tuple[Goal, ...]
    measure_order: tuple[Measure, ...]
    tree_order: tuple[str, ...]

    @classmethod
    def build(cls, concept: Concept) -> _Index:
        child_goals: dict[str, list[Goal]] = defaultdict(list)
        for goal in concept.goals:
            child_goals[goal.parent_id].append(goal)
        child_measures: dict[str, list[Measure]] = defaultdict(list)
        for measure in concept.measures:
            child_measures[measure.goal_id].append(measure)
        for goals in child_goals.values():
            goals.sort(key=lambda item: _natural(item.id))
        for measures in child_measures.values():
            measures.sort(key=lambda item: _natural(item.id))
        depth: dict[str, int] = {}
        field_of: dict[str, str] = {}
        goal_order: list[Goal] = []
        measure_order: list[Measure] = []
        tree_order: list[str] = []
        under: dict[str, list[Measure]] = {}

        def visit(node: str, level: int, code: str) -> list[Measure]:
            depth[node] = level
            field_of[node] = code
            found = list(child_measures.get(node, ()))
            for measure in found:
                field_of[measure.id] = code
            tree_order.extend(m.id for m in found)
            measure_order.extend(found)
            for goal in child_goals.get(node, ()):
                goal_order.append(goal)
                tree_order.append(goal.id)
                found += visit(goal.id, level + 1, code)
            under[node] = found
            return found

        for field in concept.fields:
            visit(field.code, 0, field.code)
        ids = [*(g.id for g in goal_order), *(m.id for m in measure_order)]
        return cls(
            fields={f.code: f for f in concept.fields},
            goals={g.id: g for g in goal_order},
            measures={m.id: m for m in measure_order},
            depth=depth,
            child_goals={k: tuple(v) for k, v in child_goals.items()},
            child_measures={k: tuple(v) for k, v in child_measures.items()},
            measures_under={k: tuple(v) for k, v in under.items()},
            field_of=field_of,
            by_key={id_key(i): i for i in [*ids, *(p.id for p in concept.work_packages)]},
            goal_order=tuple(goal_order),
            measure_order=tuple(measure_order),
            tree_order=tuple(tree_order),
        )


def _optional_status(value: Status | str | None) -> Status | None:
    if value is None or isinstance(value, Status):
        return value
    return Status.parse(value) if value.strip() else None


@attrs.frozen
class StatusReport:
    """One partner's report about a measure (status and texts) or a goal (texts only).

    ``current_state`` is the German "Aktueller Stand", ``outlook`` the "Ausblick".
    """

    target_id: str = attrs.field(converter=_strip)
    status: Status | None = attrs.field(converter=_optional_status)
    as_of: dt.date
    partner: str = attrs.field(converter=_strip, validator=_nonblank)
    current_state: str = ""
    outlook: str = ""
    source: Provenance | None = None
    notes: tuple[tuple[str, str], ...] = ()

    @target_id.validator
    def _check_target(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if not (is_measure_id(value) or is_goal_id(value) or FREE_ID_RE.match(value)):
            raise ModelError(f"{value!r} is neither a measure id ('BS-4.3') nor a goal id ('BS-4')")

    def __attrs_post_init__(self) -> None:
        if isinstance(self.as_of, dt.datetime) or not isinstance(self.as_of, dt.date):
            raise ModelError(f"as_of must be a date, not {self.as_of!r}")
        if is_goal_id(self.target_id) and self.status is not None:
            raise ModelError(f"{self.target_id!r} is a goal: goals carry texts, not a status")
        if is_measure_id(self.target_id) and self.status is None:
            raise ModelError(f"a report on measure {self.target_id!r} needs a status")

    @property
    def is_goal_report(self) -> bool:
        """Whether this report is about a goal (texts) rather than a measure (status).

        Kempten-style ids say it themselves; for free-form numbers (issue 17) a
        report without a status is a goal's (ingest checks it against the concept).
        """
        if is_goal_id(self.target_id) or is_measure_id(self.target_id):
            return is_goal_id(self.target_id)
        return self.status is None


def _status(value: Status | str) -> Status:
    return Status.parse_any(value)


@attrs.frozen
class Decision:
    """A status the integration office sets for a measure, with its reason (*Entscheidung*).

    The office decides where partners contradict each other or where it knows
    better. How a decision ranks against partner reports is a status rule (see
    :mod:`kik_core.rules`); the model only records it: which measure, which
    status from which date on, why, who decided and when.
    """

    measure_id: str = attrs.field(converter=_strip)
    status: Status = attrs.field(converter=_status)
    as_of: dt.date
    reason: str = attrs.field(converter=_strip, validator=_nonblank)
    decided_by: str = attrs.field(converter=_strip, validator=_nonblank)
    decided_at: dt.datetime

    @measure_id.validator
    def _check_measure(self, _attribute: attrs.Attribute[str], value: str) -> None:
        if is_goal_id(value) or not (is_measure_id(value) or FREE_ID_RE.match(value)):
            raise ModelError(f"{value!r} is not a measure id ('BS-4.3')")

    def __attrs_post_init__(self) -> None:
        if isinstance(self.as_of, dt.datetime) or not isinstance(self.as_of, dt.date):
            raise ModelError(f"as_of must be a date, not {self.as_of!r}")
        if self.decided_at.tzinfo is None:
            raise ModelError("decided_at must be timezone-aware")


@attrs.frozen
class Highlight:
    """A highlight project shown in the report, with the measures it covers."""

    title: str = attrs.field(converter=_strip, validator=_nonblank)
    organisation: str = ""
    text: str = ""
    measure_ids: tuple[str, ...] = attrs.field(default=(), converter=_tuple_of_str)
    field_code: str | None = None

    @measure_ids.validator
    def _check_ids(self, _attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        bad = [v for v in value if is_goal_id(v) or not (is_measure_id(v) or FREE_ID_RE.match(v))]
        if bad:
            raise ModelError(f"highlight {self.title!r}: {bad} are not measure ids")


@attrs.frozen
class Indicator:
    """A key figure (*Kennzahl*) such as the population at a date."""

    name: str = attrs.field(converter=_strip, validator=_nonblank)
    value: float
    unit: str
    as_of: dt.date
    source: str = ""


@attrs.frozen
class TimelineEntry:
    """One step of the implementation timeline ("Zeitliche Umsetzung")."""

    when: str = attrs.field(converter=_strip, validator=_nonblank)
    text: str = attrs.field(converter=_strip, validator=_nonblank)


@attrs.frozen
class ReportingPeriod:
    """The period a report covers: up to ``as_of``, compared with ``previous`` if given."""

    as_of: dt.date
    previous: dt.date | None = None
    label: str = ""

    def __attrs_post_init__(self) -> None:
        if self.previous is not None and self.previous >= self.as_of:
            raise ModelError(
                f"the comparison date {self.previous} must lie before the report date {self.as_of}"
            )


def partner_key(name: str) -> str:
    """A partner name for comparison: spaces collapsed, case folded.

    >>> partner_key("  vhs   Musterstadt ") == partner_key("VHS Musterstadt")
    True
    """
    return " ".join(name.split()).casefold()


@attrs.frozen
class PartnerContact:
    """How the office reaches a partner (sheet ``Partner`` of the concept workbook).

    ``partner`` is the name as it appears under a measure's "Zuständig";
    ``contact`` the person to address (*Ansprechperson*). ``email`` and
    ``phone`` may be empty. Whether an address is valid is checked where the
    sheet is read.
    """

    partner: str = attrs.field(converter=_strip, validator=_nonblank)
    contact: str = attrs.field(default="", converter=_strip)
    email: str = attrs.field(default="", converter=_strip)
    phone: str = attrs.field(default="", converter=_strip)
    source: Provenance | None = attrs.field(default=None, eq=False, repr=False)

    @property
    def key(self) -> str:
        """The partner's comparison key (see :func:`partner_key`)."""
        return partner_key(self.partner)
