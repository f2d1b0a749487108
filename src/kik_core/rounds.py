"""Reporting rounds (*Berichtsrunden*): the quarter as the integration office lives it.

A :class:`Round` has a *Stichtag* (the date the report describes), a deadline for
the partners (by default the Stichtag plus three weeks) and a state::

    offen ──(first draft written)──▶ Entwurf ──(issued)──▶ herausgegeben

Rules (pure functions over the model, like :mod:`kik_core.rules`):

1. **Default Stichtag.** The last end of a cadence period (quarter, half-year or
   year, set in ``kik.toml`` ``[runde] rhythmus``) *strictly before* today in
   Europe/Berlin: on 1 October 2024 the default is 30.09.2024, on 30 September
   2024 it is 30.06.2024.
2. **Membership.** Rounds are kept in Stichtag order. A row (a partner's
   "Stand am") belongs to the first round whose *deadline* is on or after its
   date, i.e. round *k* covers the dates ``(deadline of round k-1, deadline of
   round k]``. So a row dated after the Stichtag but on or before the deadline
   belongs to the round; the next round's window starts the day after that
   deadline. A row dated after the last round's deadline belongs to no round
   yet (it waits for the next one).
3. **What a round's report counts.** Every stored row dated on or before the
   round's deadline, with the status rules of :mod:`kik_core.rules` (latest
   report wins, ...). The report is labelled with the Stichtag; each measure
   keeps the date its partner gave.
4. **Late corrections.** A row whose date lies inside a round that was already
   issued when the row's file was ingested never changes that round: its issued
   snapshot is stored and frozen. The row is kept; it counts from the next round
   on (rule 3) and is listed as a late correction ("Nachträgliche Korrekturen")
   in the report of the first round built after it arrived.
5. **History.** The trend and the changes since the last report are built from
   issued rounds only (their stored snapshots), never from partner dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from kik_core._locale import format_date
from kik_core.errors import RoundError
from kik_core.model import Concept, Decision, Status, StatusReport, StatusScheme
from kik_core.rules import Change, Snapshot, build_snapshot

__all__ = [
    "DEFAULT_DEADLINE_WEEKS",
    "Cadence",
    "LateCorrection",
    "Round",
    "RoundState",
    "changes_since",
    "default_deadline",
    "default_stichtag",
    "late_corrections",
    "local_now",
    "local_today",
    "round_for_date",
    "round_snapshot",
]

#: Weeks between the Stichtag and the partners' deadline unless kik.toml says otherwise.
DEFAULT_DEADLINE_WEEKS = 3
#: The time zone of the municipality's calendar.
TIMEZONE = "Europe/Berlin"


def _zone() -> dt.tzinfo:
    try:
        return ZoneInfo(TIMEZONE)
    except ZoneInfoNotFoundError:  # pragma: no cover - systems without a tz database
        return dt.UTC


def local_now() -> dt.datetime:
    """The current time in Germany (Europe/Berlin), timezone-aware."""
    return dt.datetime.now(_zone())


def local_today() -> dt.date:
    """Today's date in Germany (Europe/Berlin)."""
    return local_now().date()


class Cadence(enum.Enum):
    """How often the municipality reports: ``[runde] rhythmus`` in kik.toml."""

    QUARTAL = "quartal"
    HALBJAHR = "halbjahr"
    JAHR = "jahr"

    @property
    def months(self) -> int:
        """The length of one period in months."""
        return {Cadence.QUARTAL: 3, Cadence.HALBJAHR: 6, Cadence.JAHR: 12}[self]

    @property
    def label(self) -> str:
        """The German adjective: quartalsweise, halbjährlich, jährlich."""
        return {
            Cadence.QUARTAL: "quartalsweise",
            Cadence.HALBJAHR: "halbjährlich",
            Cadence.JAHR: "jährlich",
        }[self]

    @classmethod
    def parse(cls, text: str) -> Cadence:
        """Parse ``quartal``, ``halbjahr`` or ``jahr`` (also the adjectives).

        >>> Cadence.parse("Halbjährlich")
        <Cadence.HALBJAHR: 'halbjahr'>

        Raises:
            RoundError: the text names no cadence.
        """
        key = text.strip().casefold().replace("ä", "ae")
        aliases = {
            "quartal": cls.QUARTAL,
            "quartalsweise": cls.QUARTAL,
            "vierteljaehrlich": cls.QUARTAL,
            "halbjahr": cls.HALBJAHR,
            "halbjaehrlich": cls.HALBJAHR,
            "jahr": cls.JAHR,
            "jaehrlich": cls.JAHR,
        }
        if key not in aliases:
            raise RoundError(
                f"„{text}“ ist kein Berichtsrhythmus: erlaubt sind „quartal“, „halbjahr“ und „jahr“"
            )
        return aliases[key]

    def period_ends(self, year: int) -> list[dt.date]:
        """The ends of this cadence's periods in ``year``, ascending."""
        return [
            dt.date(year, month, calendar.monthrange(year, month)[1])
            for month in range(self.months, 13, self.months)
        ]


def default_stichtag(today: dt.date, cadence: Cadence = Cadence.QUARTAL) -> dt.date:
    """The last end of a cadence period strictly before ``today``.

    >>> default_stichtag(dt.date(2024, 10, 1))
    datetime.date(2024, 9, 30)
    >>> default_stichtag(dt.date(2024, 9, 30))
    datetime.date(2024, 6, 30)
    >>> default_stichtag(dt.date(2024, 3, 1), Cadence.HALBJAHR)
    datetime.date(2023, 12, 31)
    """
    for end in reversed(cadence.period_ends(today.year)):
        if end < today:
            return end
    return dt.date(today.year - 1, 12, 31)


def default_deadline(stichtag: dt.date, weeks: int = DEFAULT_DEADLINE_WEEKS) -> dt.date:
    """The partners' deadline: the Stichtag plus ``weeks`` weeks.

    >>> default_deadline(dt.date(2023, 9, 30))
    datetime.date(2023, 10, 21)
    """
    return stichtag + dt.timedelta(weeks=weeks)


class RoundState(enum.Enum):
    """Where a round stands: offen → Entwurf → herausgegeben."""

    OFFEN = "offen"
    ENTWURF = "entwurf"
    HERAUSGEGEBEN = "herausgegeben"

    @property
    def label(self) -> str:
        """The German label shown to the office."""
        return {"offen": "offen", "entwurf": "Entwurf", "herausgegeben": "herausgegeben"}[
            self.value
        ]


def _aware(_instance: object, attribute: attrs.Attribute[Any], value: dt.datetime | None) -> None:
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise RoundError(f"{attribute.name} must be timezone-aware, not {value!r}")


@attrs.frozen
class Round:
    """One reporting round of a municipality.

    Attributes:
        stichtag: the date the round's report describes.
        deadline: the partners' deadline (on or after the Stichtag).
        state: offen, Entwurf or herausgegeben.
        opened_at: when the round was opened.
        issued_at: when it was issued (only in state herausgegeben).
        drafts: how many draft reports have been written (the last draft's number).
        issued_file: the file name of the issued report.
    """

    stichtag: dt.date
    deadline: dt.date
    opened_at: dt.datetime = attrs.field(validator=_aware)
    state: RoundState = RoundState.OFFEN
    issued_at: dt.datetime | None = attrs.field(default=None, validator=_aware)
    drafts: int = 0
    issued_file: str | None = None

    def __attrs_post_init__(self) -> None:
        if self.deadline < self.stichtag:
            raise RoundError(
                f"Die Frist {format_date(self.deadline)} liegt vor dem Stichtag "
                f"{format_date(self.stichtag)}: die Frist muss am oder nach dem Stichtag liegen"
            )
        if (self.state is RoundState.HERAUSGEGEBEN) != (self.issued_at is not None):
            raise RoundError("issued_at is set exactly when the round is herausgegeben")

    @property
    def is_issued(self) -> bool:
        """Whether the round is herausgegeben (frozen)."""
        return self.state is RoundState.HERAUSGEGEBEN

    def __str__(self) -> str:
        return f"Runde {format_date(self.stichtag)} ({self.state.label})"


def _ordered(rounds: Iterable[Round]) -> list[Round]:
    return sorted(rounds, key=lambda r: r.stichtag)


def round_for_date(rounds: Iterable[Round], day: dt.date) -> Round | None:
    """The round a row dated ``day`` belongs to (membership rule 2), or None.

    >>> now = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    >>> q3 = Round(dt.date(2024, 9, 30), dt.date(2024, 10, 21), now)
    >>> q4 = Round(dt.date(2024, 12, 31), dt.date(2025, 1, 21), now)
    >>> tuple(round_for_date([q3, q4], d).stichtag.month for d in
    ...       (dt.date(2024, 5, 1), dt.date(2024, 10, 21), dt.date(2024, 10, 22)))
    (9, 9, 12)
    >>> round_for_date([q3, q4], dt.date(2025, 2, 1)) is None
    True
    """
    for candidate in _ordered(rounds):
        if day <= candidate.deadline:
            return candidate
    return None


@attrs.frozen
class LateCorrection:
    """A report for a date inside a round that was already issued when it arrived."""

    report: StatusReport
    round_stichtag: dt.date
    ingested_at: dt.datetime


def late_corrections(
    reports: Iterable[StatusReport],
    rounds: Sequence[Round],
    ingested_at: Mapping[str, dt.datetime],
    *,
    current: Round,
) -> tuple[LateCorrection, ...]:
    """The late corrections the report of round ``current`` lists (rule 4).

    Args:
        reports: every stored report, with provenance (``source.content_hash``).
        rounds: every round of the municipality.
        ingested_at: when each file (by content hash) was ingested.
        current: the round whose report is being built.

    Returns:
        Reports dated inside a round issued before their file was ingested, and
        ingested after the last round issued before ``current`` (so each is listed
        once, in the first report built after it arrived), ordered by measure id.
    """
    ordered = _ordered(rounds)
    earlier_issued = [r for r in ordered if r.is_issued and r.stichtag < current.stichtag]
    if not earlier_issued:
        return ()
    since = max(r.issued_at for r in earlier_issued if r.issued_at is not None)
    found: list[LateCorrection] = []
    for report in reports:
        if report.source is None or report.source.content_hash is None:
            continue
        when = ingested_at.get(report.source.content_hash)
        owner = round_for_date(ordered, report.as_of)
        if when is None or owner is None or owner.issued_at is None:
            continue
        if owner.stichtag < current.stichtag and when > owner.issued_at and when > since:
            found.append(LateCorrection(report, owner.stichtag, when))
    return tuple(sorted(found, key=lambda c: (c.report.target_id, c.report.as_of)))


def _in_scheme(scheme: StatusScheme, status: Status) -> Status:
    """``status`` as the scheme knows it; a label the scheme dropped keeps its own position."""
    try:
        return scheme.get(status.label)
    except KeyError:
        return status


def changes_since(previous: Snapshot, current: Snapshot) -> tuple[Change, ...]:
    """The measures whose effective status differs from an issued snapshot's.

    Measures the earlier snapshot does not know (added to the concept later)
    count as wartend there (no report means wartend: the scheme's initial status).
    Statuses are compared by their positions in the current snapshot's scheme.
    """
    found = []
    scheme = current.scheme
    for measure_id, effective in current.statuses.items():
        before = previous.statuses.get(measure_id)
        old = before.status if before is not None else scheme.initial_status
        if old != effective.status:
            found.append(Change(measure_id, _in_scheme(scheme, old), effective.status))
    return tuple(found)


def round_snapshot(
    concept: Concept,
    reports: Iterable[StatusReport],
    current: Round,
    *,
    previous: Snapshot | None = None,
    decisions: Iterable[Decision] = (),
) -> Snapshot:
    """The snapshot of round ``current`` (rule 3), compared with an issued one.

    Args:
        concept: the integration concept.
        reports: every stored report (rows dated after the deadline are ignored).
        current: the round.
        previous: the snapshot of the last issued round before this one, if any:
            the changes are computed against it (rule 5).
        decisions: the office's decisions (status rule 7 of :mod:`kik_core.rules`).

    Returns:
        A snapshot labelled with the round's Stichtag.
    """
    snapshot = build_snapshot(concept, reports, current.deadline, decisions=decisions)
    snapshot = attrs.evolve(snapshot, as_of=current.stichtag)
    if previous is None:
        return snapshot
    return attrs.evolve(
        snapshot, previous=previous.as_of, changes=changes_since(previous, snapshot)
    )
