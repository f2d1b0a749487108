"""The partner status board (*Rückmeldungen der Partner*): who has reported this round.

Pure functions over the model. For one reporting round (Stichtag and deadline)
and the reports that belong to it, the board says

* per partner: which measures were asked of them (their measures under
  "Zuständig"), which of them arrived (reported by that partner this round),
  which are missing, and when their last file came;
* per measure: whether anybody reported on it this round, and who;
* per work package (issue 17): its status at the Stichtag, and who reported on
  it this round. A report on a work package counts as a report on its measure,
  since the measure's status follows from its packages (rule 8 in
  :mod:`kik_core.rules`).

A partner counts as having *reported* when every measure asked of them arrived;
a measure shared by two partners is asked of both, since each is asked for its
own view (different views are what conflicts and office decisions are for).
Partner names are matched without regard to case and spacing
(:func:`kik_core.model.partner_key`).

The renderers (CLI table, office workbook, report annex, Prefect artifact) all
take their words and numbers from :class:`PartnerBoard`.

Examples:
    >>> import datetime as dt
    >>> from kik_core.model import Concept, FieldOfAction, Goal, Measure, StatusReport
    >>> measures = (Measure("BS-1.1", "A", None, ("vhs",)), Measure("BS-1.2", "B", None, ("SmF",)))
    >>> c = Concept("M", "KIK", None, (FieldOfAction("BS", "Bildung"),), (Goal("BS-1", "Z"),),
    ...             measures)
    >>> r = StatusReport("BS-1.1", "implementiert", dt.date(2024, 9, 30), "VHS")
    >>> board = build_board(c, [r], stichtag=dt.date(2024, 9, 30), deadline=dt.date(2024, 10, 21),
    ...                     in_round=lambda report: report.as_of >= dt.date(2024, 7, 1))
    >>> board.sentence
    '1 von 2 Partnern hat gemeldet.'
    >>> [(p.partner, p.missing) for p in board.partners]
    [('SmF', ('BS-1.2',)), ('vhs', ())]
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import attrs

from kik_core._locale import format_datetime, format_number, plural
from kik_core.model import Concept, PartnerContact, StatusReport, partner_key
from kik_core.rules import package_statuses

__all__ = [
    "BoardMeasure",
    "BoardPackage",
    "BoardPartner",
    "PartnerBoard",
    "PartnerState",
    "build_board",
    "format_time",
]

#: Times on the board are shown in the office's time zone.
_LOCAL = ZoneInfo("Europe/Berlin")


class PartnerState(enum.Enum):
    """How far a partner is with this round's report."""

    COMPLETE = "vollständig"
    PARTIAL = "teilweise"
    PENDING = "ausstehend"

    @property
    def label(self) -> str:
        """The German label (``vollständig``, ``teilweise``, ``ausstehend``)."""
        return self.value


@attrs.frozen
class BoardPartner:
    """One partner's line on the board.

    Attributes:
        partner: the name as under "Zuständig".
        asked: ids of the measures the partner is responsible for.
        arrived: those of them the partner reported on this round.
        last_file: when the partner's last file was ingested (any round), if ever.
        contact: the partner's row of the ``Partner`` sheet, if any.
    """

    partner: str
    asked: tuple[str, ...]
    arrived: tuple[str, ...]
    last_file: dt.datetime | None = None
    contact: PartnerContact | None = None

    @property
    def missing(self) -> tuple[str, ...]:
        """The asked measures that have not arrived, in concept order."""
        done = set(self.arrived)
        return tuple(m for m in self.asked if m not in done)

    @property
    def state(self) -> PartnerState:
        """Complete, partial or pending."""
        if not self.missing:
            return PartnerState.COMPLETE
        return PartnerState.PARTIAL if self.arrived else PartnerState.PENDING

    @property
    def email(self) -> str:
        """The partner's e-mail address from the ``Partner`` sheet ("" if none)."""
        return self.contact.email if self.contact is not None else ""


@attrs.frozen
class BoardPackage:
    """A work package of a measure (issue 17): its status, and who reported on it this round.

    Attributes:
        package_id: the package's number, e.g. ``BS-4.3 AP1``.
        text: what the package is.
        status: the label of its effective status at the Stichtag.
        reported_by: the partners who reported on it this round.
    """

    package_id: str
    text: str
    status: str
    reported_by: tuple[str, ...]

    @property
    def reported(self) -> bool:
        """Whether any partner reported on the package this round."""
        return bool(self.reported_by)


@attrs.frozen
class BoardMeasure:
    """One measure's line: reported this round, and by whom; its work packages, if any."""

    measure_id: str
    text: str
    partners: tuple[str, ...]
    reported_by: tuple[str, ...]
    packages: tuple[BoardPackage, ...] = ()

    @property
    def reported(self) -> bool:
        """Whether any partner reported on the measure this round."""
        return bool(self.reported_by)


@attrs.frozen
class PartnerBoard:
    """Who has reported in one round: per partner and per measure."""

    stichtag: dt.date
    deadline: dt.date
    partners: tuple[BoardPartner, ...]
    measures: tuple[BoardMeasure, ...]

    def count(self, state: PartnerState) -> int:
        """How many partners are in ``state``."""
        return sum(1 for p in self.partners if p.state is state)

    @property
    def waiting(self) -> tuple[BoardPartner, ...]:
        """The partners with missing measures (the reminder list), in board order."""
        return tuple(p for p in self.partners if p.missing)

    @property
    def measures_reported(self) -> int:
        """How many measures have a report this round."""
        return sum(1 for m in self.measures if m.reported)

    @property
    def sentence(self) -> str:
        """The overview sentence: ``38 von 42 Partnern haben gemeldet.`` (plural-correct)."""
        total = len(self.partners)
        done = self.count(PartnerState.COMPLETE)
        partial = self.count(PartnerState.PARTIAL)
        if total == 0:
            return "Keiner Maßnahme ist ein Partner zugeordnet."
        of = f"von {plural(total, 'Partner', 'Partnern')}"
        if done == 0:
            head = (
                f"Von {plural(total, 'Partner', 'Partnern')} hat noch keiner vollständig gemeldet"
            )
        else:
            verb = "hat" if done == 1 else "haben"
            head = f"{format_number(done)} {of} {verb} gemeldet"
        if partial:
            head += f", {format_number(partial)} teilweise"
        return head + "."

    @property
    def measures_sentence(self) -> str:
        """``Zu 17 von 20 Maßnahmen liegt eine Meldung aus dieser Runde vor.``"""
        total = len(self.measures)
        return (
            f"Zu {format_number(self.measures_reported)} von "
            f"{plural(total, 'Maßnahme', 'Maßnahmen')} liegt eine Meldung aus dieser Runde vor."
        )

    def artifact_rows(self) -> list[dict[str, str | int]]:
        """One plain dict per partner (German keys): the data of a Prefect table artifact."""
        return [
            {
                "Partner": p.partner,
                "Stand": p.state.label,
                "angefragt": len(p.asked),
                "eingegangen": len(p.arrived),
                "fehlend": ", ".join(p.missing),
                "letzte Datei": format_time(p.last_file),
            }
            for p in self.partners
        ]


def format_time(value: dt.datetime | None) -> str:
    """A file time for people: ``01.10.2024, 11:00`` (Europe/Berlin), or ``–``."""
    if value is None:
        return "–"
    local = value.astimezone(_LOCAL)
    return format_datetime(local)


def build_board(
    concept: Concept,
    reports: Iterable[StatusReport],
    *,
    stichtag: dt.date,
    deadline: dt.date,
    in_round: Callable[[StatusReport], bool],
    file_times: Mapping[str, dt.datetime] | None = None,
    contacts: Sequence[PartnerContact] = (),
) -> PartnerBoard:
    """Build the board of one round.

    Args:
        concept: the concept (measures and their partners).
        reports: every stored report (the last file of a partner may be older
            than the round).
        stichtag: the round's Stichtag.
        deadline: the partners' deadline.
        in_round: which reports belong to the round (the round's own rule,
            see :mod:`kik_core.rounds`).
        file_times: content hash → ingest time of the stored files.
        contacts: the ``Partner`` sheet.
    """
    reports = list(reports)
    times = file_times or {}
    package_of = {p.id: p.measure_id for p in concept.work_packages}
    by_key = {c.key: c for c in contacts}
    reporters: dict[str, set[str]] = {}
    names: dict[str, dict[str, str]] = {}
    last: dict[str, dt.datetime] = {}
    for report in reports:
        key = partner_key(report.partner)
        source = report.source
        when = times.get(source.content_hash) if source and source.content_hash else None
        if when is not None and (key not in last or when > last[key]):
            last[key] = when
        if report.status is None or not in_round(report):
            continue
        reporters.setdefault(report.target_id, set()).add(key)
        names.setdefault(report.target_id, {}).setdefault(key, report.partner)
        if report.target_id in package_of:  # a work package reports on its measure too
            measure_id = package_of[report.target_id]
            reporters.setdefault(measure_id, set()).add(key)
            names.setdefault(measure_id, {}).setdefault(key, report.partner)
    partners = []
    first_spelling: dict[str, str] = {}
    for name in concept.partners():
        first_spelling.setdefault(partner_key(name), name)
    for key, name in sorted(first_spelling.items(), key=lambda item: item[1].casefold()):
        asked = tuple(m.id for m in concept.measures if key in map(partner_key, m.responsible))
        arrived = tuple(m for m in asked if key in reporters.get(m, set()))
        partners.append(BoardPartner(name, asked, arrived, last.get(key), by_key.get(key)))
    statuses = package_statuses(concept, reports, stichtag) if package_of else {}

    def who(target_id: str) -> tuple[str, ...]:
        return tuple(sorted(names.get(target_id, {}).values(), key=str.casefold))

    measures = tuple(
        BoardMeasure(
            m.id,
            m.text,
            m.responsible,
            who(m.id),
            tuple(
                BoardPackage(p.id, p.text, statuses[p.id].status.label, who(p.id))
                for p in concept.packages_of(m.id)
            ),
        )
        for m in concept.measures
    )
    return PartnerBoard(stichtag, deadline, tuple(partners), measures)
