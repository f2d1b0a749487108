"""The status rules: pure functions over the model.

Statuses are data: each concept has a :class:`~kik_core.model.StatusScheme`
(Kempten's three statuses by default). "Advanced" means a higher ``position``
in the scheme; percentages are shared among the statuses whose summary group
is counted (a group such as "entfallen" is listed, but has no share).

1. **Latest report wins.** The effective status of a measure at a date comes from
   its reports up to that date; the one with the latest as-of date wins.
2. **Conflicts are listed, least advanced wins.** When partners report different
   statuses for a measure on the same latest date, the effective status is the
   least advanced of them and the conflict is listed in the snapshot. A partner's
   own later report on the same date (in the order given, which is the store's
   ingest order) is a correction and replaces its earlier one.
3. **No report means wartend** (the scheme's initial status, see
   :class:`~kik_core.model.StatusScheme`).
4. **Regressions are allowed and flagged.** A move back (implementiert → in
   Bearbeitung, or to wartend) is accepted and reported as a regression.
5. **Aggregation** per field, per goal and overall: counts per status and
   percentages by the largest-remainder method, summing to exactly 100; ties
   in the remainder go to the larger count, then to the more advanced status.
6. **Changes between two dates**: which measures moved, from what to what.
7. **Office decisions** (:class:`~kik_core.model.Decision`) hold from their
   ``as_of`` date. At a date, a measure's decision in force is the one with the
   latest ``as_of`` up to that date (ties: the later ``decided_at``). It wins over
   the partner reports of the same or an earlier date, including a conflict
   between them (the conflict counts as resolved and is no longer listed). A
   partner report dated *after* the decision's ``as_of`` supersedes it: the
   partner brings news the office could not know when it decided, and a
   decision must not freeze a measure for ever (the office can decide again).
   :class:`EffectiveStatus` carries the decision that set the status.
8. **Work packages.** A measure with work packages (*Arbeitspakete*) takes the
   status derived from them (:func:`derive_status`; a package nobody reported on
   has the initial status) from the latest date a partner reported on one of
   them. A report or decision on the measure itself dated *later* sets its
   status directly, until a package is reported again. Derived: all packages
   done → done (the least advanced of them); some progress while the least
   advanced is still in the initial group → the first status after that group;
   otherwise the least advanced package's status. Packages in a group left out
   of the percentages ("entfällt") do not hold a measure back, unless all are.

Every number in the report comes from one :class:`Snapshot`, built by
:func:`build_snapshot`.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

import attrs

from kik_core.model import (
    DEFAULT_SCHEME,
    Concept,
    Decision,
    Measure,
    Status,
    StatusReport,
    StatusScheme,
)

__all__ = [
    "Change",
    "Conflict",
    "EffectiveStatus",
    "GoalText",
    "Snapshot",
    "StatusCounts",
    "build_snapshot",
    "changes_between",
    "count_statuses",
    "decision_in_force",
    "derive_status",
    "effective_statuses",
    "goal_texts",
    "largest_remainder_percentages",
    "overdue_measures",
    "package_statuses",
    "priority_figures",
    "regressions",
]

#: Statuses in display order (least to most advanced).
STATUSES: tuple[Status, ...] = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)


def largest_remainder_percentages(counts: Mapping[Status, int]) -> dict[Status, int]:
    """Round the shares of ``counts`` to whole percentages that sum to exactly 100.

    Each status first gets the floor of its exact share; the points still
    missing go to the largest remainders. Where remainders tie, the larger
    count wins, then the more advanced status (higher ``position``). With a
    total of 0 every share is 0. The statuses are the keys of ``counts``: pass
    only those that count toward the percentages.

    Example:
        >>> p = largest_remainder_percentages(
        ...     {Status.IMPLEMENTIERT: 7, Status.IN_BEARBEITUNG: 13, Status.WARTEND: 10})
        >>> [p[s] for s in (Status.IMPLEMENTIERT, Status.IN_BEARBEITUNG, Status.WARTEND)]
        [23, 44, 33]
    """
    keys = tuple(counts)
    total = sum(counts.values())
    if total == 0:
        return dict.fromkeys(keys, 0)
    if any(v < 0 for v in counts.values()):
        raise ValueError(f"counts must not be negative: {dict(counts)}")
    floors = {s: counts[s] * 100 // total for s in keys}
    # remainders as exact integers (numerator over `total`) to avoid float ties
    remainders = {s: counts[s] * 100 % total for s in keys}
    missing = 100 - sum(floors.values())
    ranked = sorted(
        keys,
        key=lambda s: (remainders[s], counts[s], s.position),
        reverse=True,
    )
    for status in ranked[:missing]:
        floors[status] += 1
    return floors


@attrs.frozen
class StatusCounts:
    """Counts per status and their rounded percentages for one set of measures.

    ``counts`` has every status of the scheme (zero where none); ``percentages``
    only those whose group counts toward the percentages (rule 5), so a status
    like "entfällt" has a count but no share. :meth:`summary` gives the same
    view per summary group, which is what charts and tables show.
    """

    counts: Mapping[Status, int]
    percentages: Mapping[Status, int]

    @property
    def total(self) -> int:
        """The number of measures counted (every status, counted group or not)."""
        return sum(self.counts.values())

    @property
    def counted_total(self) -> int:
        """The number of measures that share the percentages."""
        return sum(self.counts[s] for s in self.percentages)

    def __getitem__(self, status: Status) -> int:
        return self.counts[status]

    @classmethod
    def of(cls, statuses: Iterable[Status], scheme: StatusScheme = DEFAULT_SCHEME) -> StatusCounts:
        """Count ``statuses`` of ``scheme`` and round the counted ones' percentages."""
        counts = dict.fromkeys(scheme.statuses, 0)
        for status in statuses:
            counts[status] += 1
        counted = {s: n for s, n in counts.items() if scheme.group_of(s).counted}
        return cls(counts, largest_remainder_percentages(counted))

    def summary(self, scheme: StatusScheme) -> StatusCounts:
        """The counts per summary group of ``scheme``, each group standing as a status.

        A group appears as ``Status(group name, index, group name)``; its
        percentage is rounded over the counted groups (largest remainder), so
        the counted groups' shares sum to 100. For a scheme where every status
        is its own group (Kempten's), the result equals ``self``.
        """
        if scheme.is_simple:
            return self
        groups = {g.name: Status(g.name, i, g.name) for i, g in enumerate(scheme.groups)}
        counts = dict.fromkeys(groups.values(), 0)
        for status, n in self.counts.items():
            counts[groups[scheme.group_of(status).name]] += n
        counted = {groups[g.name]: counts[groups[g.name]] for g in scheme.counted_groups}
        return StatusCounts(counts, largest_remainder_percentages(counted))


def count_statuses(
    statuses: Iterable[Status], scheme: StatusScheme = DEFAULT_SCHEME
) -> StatusCounts:
    """Count statuses and round their percentages (see :class:`StatusCounts`)."""
    return StatusCounts.of(statuses, scheme)


@attrs.frozen
class Conflict:
    """Partners reported different statuses for one measure on the same latest date."""

    measure_id: str
    as_of: dt.date
    reports: tuple[StatusReport, ...]

    @property
    def statuses(self) -> dict[str, Status]:
        """The status each partner reported."""
        return {r.partner: r.status for r in self.reports if r.status is not None}


@attrs.frozen
class EffectiveStatus:
    """The status a measure has at a date, and the reports it rests on."""

    measure_id: str
    status: Status
    as_of: dt.date | None
    reports: tuple[StatusReport, ...] = ()
    conflict: Conflict | None = None
    decision: Decision | None = None

    @property
    def reported(self) -> bool:
        """False where no partner has reported on the measure yet (it counts as wartend)."""
        return bool(self.reports)

    @property
    def decided(self) -> bool:
        """True where an office decision set the status (rule 7)."""
        return self.decision is not None


@attrs.frozen
class Change:
    """A measure whose effective status differs between two dates."""

    measure_id: str
    before: Status
    after: Status

    @property
    def is_regression(self) -> bool:
        """True when the measure moved back (e.g. implementiert → in Bearbeitung)."""
        return self.after < self.before


@attrs.frozen
class GoalText:
    """A partner's texts on a goal: "Aktueller Stand" and "Ausblick"."""

    goal_id: str
    partner: str
    as_of: dt.date
    current_state: str
    outlook: str


def _measure_reports(
    reports: Iterable[StatusReport], as_of: dt.date
) -> dict[str, list[StatusReport]]:
    by_measure: dict[str, list[StatusReport]] = defaultdict(list)
    for report in reports:
        if report.status is not None and report.as_of <= as_of:
            by_measure[report.target_id].append(report)
    return by_measure


def _partner_key(partner: str) -> str:
    return " ".join(partner.split()).casefold()


def _resolve(
    measure_id: str, reports: Sequence[StatusReport], scheme: StatusScheme
) -> EffectiveStatus:
    if not reports:
        return EffectiveStatus(measure_id, scheme.initial_status, None)
    latest = max(r.as_of for r in reports)
    # one report per partner: a later report (in ingest order) on the same date corrects
    # the partner's earlier one; different partners disagreeing is a conflict
    per_partner = {_partner_key(r.partner): r for r in reports if r.as_of == latest}
    last = tuple(sorted(per_partner.values(), key=lambda r: r.partner.casefold()))
    statuses = {scheme.resolve(r.status) for r in last if r.status is not None}
    status = min(statuses)
    conflict = Conflict(measure_id, latest, last) if len(statuses) > 1 else None
    return EffectiveStatus(measure_id, status, latest, last, conflict)


def decision_in_force(
    decisions: Iterable[Decision], measure_id: str, as_of: dt.date
) -> Decision | None:
    """The office decision on ``measure_id`` in force at ``as_of``, if any (rule 7).

    That is the decision with the latest ``as_of`` up to the date; of several on
    the same date, the one decided last.
    """
    candidates = [d for d in decisions if d.measure_id == measure_id and d.as_of <= as_of]
    if not candidates:
        return None
    return max(candidates, key=lambda d: (d.as_of, d.decided_at))


def _apply_decision(
    effective: EffectiveStatus, decision: Decision | None, scheme: StatusScheme
) -> EffectiveStatus:
    """Rule 7: a decision wins unless a partner reported after its ``as_of``."""
    if decision is None:
        return effective
    if effective.as_of is not None and effective.as_of > decision.as_of:
        return effective  # a later partner report supersedes the decision
    return EffectiveStatus(
        effective.measure_id,
        scheme.resolve(decision.status),
        decision.as_of,
        effective.reports,
        None,
        decision,
    )


def derive_status(scheme: StatusScheme, statuses: Iterable[Status]) -> Status:
    """A measure's status from its work packages' statuses (rule 8).

    >>> derive_status(DEFAULT_SCHEME, [Status.IMPLEMENTIERT, Status.WARTEND]).label
    'in Bearbeitung'
    >>> derive_status(DEFAULT_SCHEME, [Status.IMPLEMENTIERT, Status.IMPLEMENTIERT]).label
    'implementiert'
    """
    given = [scheme.resolve(s) for s in statuses]
    if not given:
        return scheme.initial_status
    counted = [s for s in given if scheme.group_of(s).counted] or given
    low = min(counted)
    start = scheme.group_of(scheme.initial_status)
    if scheme.group_of(low) == start and any(scheme.group_of(s) != start for s in counted):
        return next(s for s in scheme.statuses if s > low and scheme.group_of(s) not in (start,))
    return low


def _with_packages(
    concept: Concept,
    effective: EffectiveStatus,
    packages: Mapping[str, EffectiveStatus],
) -> EffectiveStatus:
    """Rule 8: the status derived from the work packages, unless set directly later."""
    own = [packages[p.id] for p in concept.packages_of(effective.measure_id)]
    dates = [p.as_of for p in own if p.as_of is not None]
    if not dates:
        return effective
    latest = max(dates)
    if effective.as_of is not None and effective.as_of > latest:
        return effective  # set directly, after the packages' latest report
    derived = derive_status(concept.statuses, (p.status for p in own))
    reports = tuple(r for p in own for r in p.reports)
    return EffectiveStatus(effective.measure_id, derived, latest, reports)


def package_statuses(
    concept: Concept, reports: Iterable[StatusReport], as_of: dt.date
) -> dict[str, EffectiveStatus]:
    """The effective status of every work package at ``as_of`` (rules 1 to 3)."""
    by_package = _measure_reports(reports, as_of)
    return {
        p.id: _resolve(p.id, by_package.get(p.id, []), concept.statuses)
        for p in concept.work_packages
    }


def _decisions_by_measure(decisions: Iterable[Decision]) -> dict[str, list[Decision]]:
    by_measure: dict[str, list[Decision]] = defaultdict(list)
    for decision in decisions:
        by_measure[decision.measure_id].append(decision)
    return by_measure


def effective_statuses(
    concept: Concept,
    reports: Iterable[StatusReport],
    as_of: dt.date,
    *,
    decisions: Iterable[Decision] = (),
) -> dict[str, EffectiveStatus]:
    """The effective status of every measure of ``concept`` at ``as_of``.

    Reports and decisions dated after ``as_of`` are ignored; reports and
    decisions on ids the concept does not know are ignored too (ingest and the
    decision command reject them before they get here).
    """
    reports = list(reports)
    by_measure = _measure_reports(reports, as_of)
    decided = _decisions_by_measure(decisions)
    scheme = concept.statuses
    packages = package_statuses(concept, reports, as_of) if concept.work_packages else {}
    return {
        m.id: _with_packages(
            concept,
            _apply_decision(
                _resolve(m.id, by_measure.get(m.id, []), scheme),
                decision_in_force(decided.get(m.id, ()), m.id, as_of),
                scheme,
            ),
            packages,
        )
        for m in concept.measures
    }


def changes_between(
    concept: Concept,
    reports: Iterable[StatusReport],
    before: dt.date,
    after: dt.date,
    *,
    decisions: Iterable[Decision] = (),
) -> list[Change]:
    """The measures whose effective status differs between ``before`` and ``after``."""
    reports = list(reports)
    decisions = list(decisions)
    old = effective_statuses(concept, reports, before, decisions=decisions)
    new = effective_statuses(concept, reports, after, decisions=decisions)
    return [
        Change(m.id, old[m.id].status, new[m.id].status)
        for m in concept.measures
        if old[m.id].status != new[m.id].status
    ]


def regressions(
    concept: Concept,
    reports: Iterable[StatusReport],
    as_of: dt.date,
    *,
    decisions: Iterable[Decision] = (),
) -> list[Change]:
    """Every step back in the reported history of each measure up to ``as_of``.

    The history is the sequence of effective statuses on each date a partner
    reported on the measure or the office decided on it; each decrease in it is
    one regression.
    """
    found: list[Change] = []
    by_measure = _measure_reports(reports, as_of)
    decided = _decisions_by_measure(d for d in decisions if d.as_of <= as_of)
    package_days: dict[str, set[dt.date]] = defaultdict(set)
    for package in concept.work_packages:
        package_days[package.measure_id] |= {r.as_of for r in by_measure.get(package.id, [])}
    all_reports = [r for rs in by_measure.values() for r in rs]
    for measure in concept.measures:
        history = sorted(by_measure.get(measure.id, []), key=lambda r: r.as_of)
        own = decided.get(measure.id, [])
        previous: Status | None = None
        days = {r.as_of for r in history} | {d.as_of for d in own} | package_days[measure.id]
        for day in sorted(days):
            current = _apply_decision(
                _resolve(measure.id, [r for r in history if r.as_of <= day], concept.statuses),
                decision_in_force(own, measure.id, day),
                concept.statuses,
            )
            if package_days[measure.id]:
                current = _with_packages(
                    concept, current, package_statuses(concept, all_reports, day)
                )
            status = current.status
            if previous is not None and status < previous:
                found.append(Change(measure.id, previous, status))
            previous = status
    return found


def goal_texts(
    concept: Concept, reports: Iterable[StatusReport], as_of: dt.date
) -> dict[str, tuple[GoalText, ...]]:
    """The latest goal texts per goal at ``as_of``: for each partner its latest report.

    Goal reports without any text (a goal row left empty in a template) are skipped,
    so they never hide a partner's earlier text.
    """
    latest: dict[tuple[str, str], StatusReport] = {}
    for report in reports:
        if not report.is_goal_report or report.as_of > as_of:
            continue
        if not (report.current_state.strip() or report.outlook.strip()):
            continue  # an untouched goal row in a template says nothing
        key = (report.target_id, report.partner)
        if key not in latest or latest[key].as_of <= report.as_of:
            latest[key] = report
    by_goal: dict[str, list[StatusReport]] = {}
    for (gid, _), r in latest.items():  # grouped once: not goals × reports (issue 16)
        by_goal.setdefault(gid, []).append(r)
    result: dict[str, tuple[GoalText, ...]] = {}
    for goal in concept.goals:
        texts = sorted(
            by_goal.get(goal.id, ()),
            key=lambda r: (-r.as_of.toordinal(), r.partner.casefold()),
        )
        result[goal.id] = tuple(
            GoalText(goal.id, r.partner, r.as_of, r.current_state, r.outlook) for r in texts
        )
    return result


@attrs.frozen
class Snapshot:
    """Everything the report shows about the state at one date: the single source of truth.

    Attributes:
        as_of: the report date.
        statuses: effective status per measure id.
        by_field: counts and percentages per field code.
        by_goal: counts and percentages per goal id.
        overall: counts and percentages over all measures.
        conflicts: open conflicts between partners.
        goal_texts: latest "Aktueller Stand"/"Ausblick" per goal id.
        changes: moves since ``previous`` (empty without a comparison date).
        previous: the comparison date, if any.
        decisions: the office decisions that set a status at ``as_of`` (rule 7),
            in measure order.
        scheme: the concept's status scheme (Kempten's by default); renderers
            show :meth:`StatusCounts.summary` per its groups.
        packages: the work packages' effective statuses (rule 8), by package id.
    """

    as_of: dt.date
    statuses: Mapping[str, EffectiveStatus]
    by_field: Mapping[str, StatusCounts]
    by_goal: Mapping[str, StatusCounts]
    overall: StatusCounts
    conflicts: tuple[Conflict, ...]
    goal_texts: Mapping[str, tuple[GoalText, ...]]
    changes: tuple[Change, ...] = ()
    previous: dt.date | None = None
    decisions: tuple[Decision, ...] = ()
    scheme: StatusScheme = DEFAULT_SCHEME
    packages: Mapping[str, EffectiveStatus] = attrs.field(factory=dict)

    def status_of(self, measure_id: str) -> Status:
        """The effective status of one measure."""
        return self.statuses[measure_id].status

    def summary(self, counts: StatusCounts) -> StatusCounts:
        """``counts`` per summary group of the snapshot's scheme (what charts show)."""
        return counts.summary(self.scheme)


def build_snapshot(
    concept: Concept,
    reports: Iterable[StatusReport],
    as_of: dt.date,
    previous: dt.date | None = None,
    *,
    decisions: Iterable[Decision] = (),
) -> Snapshot:
    """Apply every rule at ``as_of`` and return the aggregates the report is built from.

    ``decisions`` are the office's decisions (rule 7); the snapshot lists those
    that set a status at ``as_of``.

    Example:
        >>> import datetime as dt
        >>> from kik_core.model import Concept, FieldOfAction, Goal, Measure
        >>> c = Concept("Musterstadt", "KIK", None, (FieldOfAction("BS", "Bildung"),),
        ...             (Goal("BS-1", "Ziel"),), (Measure("BS-1.1", "M1"), Measure("BS-1.2", "M2")))
        >>> r = StatusReport("BS-1.1", "implementiert", dt.date(2023, 9, 30), "vhs")
        >>> s = build_snapshot(c, [r], dt.date(2023, 9, 30))
        >>> bs = s.by_field["BS"]
        >>> bs.counts[Status.IMPLEMENTIERT], bs.percentages[Status.WARTEND]
        (1, 50)
    """
    reports = list(reports)
    decisions = list(decisions)
    statuses = effective_statuses(concept, reports, as_of, decisions=decisions)
    scheme = concept.statuses
    by_field = {
        f.code: StatusCounts.of(
            (statuses[m.id].status for m in concept.measures_of(f.code)), scheme
        )
        for f in concept.fields
    }
    by_goal = {
        g.id: StatusCounts.of((statuses[m.id].status for m in concept.measures_of(g.id)), scheme)
        for g in concept.goals
    }
    overall = StatusCounts.of((s.status for s in statuses.values()), scheme)
    conflicts = tuple(s.conflict for s in statuses.values() if s.conflict is not None)
    changes: tuple[Change, ...] = ()
    if previous is not None:
        if previous >= as_of:
            raise ValueError(f"previous date {previous} must lie before {as_of}")
        changes = tuple(changes_between(concept, reports, previous, as_of, decisions=decisions))
    return Snapshot(
        as_of=as_of,
        statuses=statuses,
        by_field=by_field,
        by_goal=by_goal,
        overall=overall,
        conflicts=conflicts,
        goal_texts=goal_texts(concept, reports, as_of),
        changes=changes,
        previous=previous,
        decisions=tuple(s.decision for s in statuses.values() if s.decision is not None),
        scheme=scheme,
        packages=package_statuses(concept, reports, as_of) if concept.work_packages else {},
    )


@attrs.frozen
class PriorityFigures:
    """How the prioritised measures stand: ``prioritised`` of ``total``, ``done`` of them."""

    prioritised: int
    total: int
    done: int


def priority_figures(concept: Concept, snapshot: Snapshot) -> PriorityFigures:
    """The prioritised measures and how many of them are done (the scheme's done group).

    Example: "prioritäre Maßnahmen: 23 von 144, davon 9 implementiert".
    """
    scheme = snapshot.scheme
    chosen = [m for m in concept.measures if m.prioritised]
    done = sum(scheme.is_done(snapshot.status_of(m.id)) for m in chosen)
    return PriorityFigures(len(chosen), len(concept.measures), done)


def overdue_measures(concept: Concept, snapshot: Snapshot) -> tuple[Measure, ...]:
    """Measures whose timeframe ended before the snapshot's date and that are not done.

    A measure in a group left out of the percentages (such as "entfallen") is
    not overdue: it is not to be implemented any more.
    """
    scheme = snapshot.scheme
    found = []
    for measure in concept.measures:
        group = scheme.group_of(snapshot.status_of(measure.id))
        if group.counted and measure.is_overdue(snapshot.as_of, group == scheme.done_group):
            found.append(measure)
    return tuple(found)
