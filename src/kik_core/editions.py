"""Editions of a concept (*Fortschreibung*): the mapping from an old edition to a new one.

Concepts are rewritten every few years. The new edition is loaded beside the old
one, with a mapping that says what became of each old measure
(:class:`LinkKind`): the same, renamed (new number or wording), split into
several, merged with others into one, dropped; and which measures are new.

History carries across the mapping (:func:`carry_history`): before the new
edition applies (``valid_from``), a new measure has the status its
predecessors had, dated as they were reported:

- same, renamed, split: the predecessor's effective status;
- merged: the least advanced of the predecessors' effective statuses (as for
  conflicting partners, rule 2);
- new: no history (rule 3: the scheme's initial status).

The carried statuses are reports by the partner :data:`CARRIED` on the new ids,
so every rule (latest report wins, changes, regressions) works on them unchanged;
a partner's own report on the new id from ``valid_from`` on supersedes them.
:func:`edition_snapshot` picks the edition in force at a date. Statuses carry by
label: the new edition's scheme must know every label the old one's reports use.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import attrs

from kik_core.concept_workbook import _cell_text, _read_sheets
from kik_core.errors import ConceptWorkbookError, Location, ModelError, Problem, Reason
from kik_core.model import Concept, Decision, StatusReport
from kik_core.rules import Snapshot, build_snapshot, effective_statuses

__all__ = [
    "CARRIED",
    "EditionChange",
    "EditionLink",
    "LinkKind",
    "carry_history",
    "edition_snapshot",
    "load_edition_change",
]

#: The partner name of the reports that carry history into a new edition.
CARRIED = "Fortschreibung"


class LinkKind(enum.Enum):
    """What became of an old measure; the values are the German words of the mapping sheet."""

    SAME = "gleich"
    RENAMED = "umbenannt"
    SPLIT = "geteilt"
    MERGED = "zusammengelegt"
    DROPPED = "entfallen"
    NEW = "neu"


@attrs.frozen
class EditionLink:
    """One row of the mapping: ``old_id`` → ``new_id`` (one side empty for dropped or new)."""

    kind: LinkKind
    old_id: str | None
    new_id: str | None


def _problems(old: Concept, new: Concept, links: Sequence[EditionLink]) -> list[str]:
    """Every inconsistency of a mapping, as German sentences (empty: the mapping is sound)."""
    found: list[str] = []
    old_uses: dict[str, list[EditionLink]] = defaultdict(list)
    new_uses: dict[str, list[EditionLink]] = defaultdict(list)
    needs_old = {LinkKind.SAME, LinkKind.RENAMED, LinkKind.SPLIT, LinkKind.MERGED, LinkKind.DROPPED}
    needs_new = {LinkKind.SAME, LinkKind.RENAMED, LinkKind.SPLIT, LinkKind.MERGED, LinkKind.NEW}
    for link in links:
        word = link.kind.value
        if (link.old_id is not None) != (link.kind in needs_old):
            found.append(
                f"„{word}“ braucht {'eine' if link.kind in needs_old else 'keine'} alte Nummer"
            )
        if (link.new_id is not None) != (link.kind in needs_new):
            found.append(
                f"„{word}“ braucht {'eine' if link.kind in needs_new else 'keine'} neue Nummer"
            )
        if link.old_id is not None:
            if not old.is_measure(link.old_id):
                found.append(f"Die Maßnahme „{link.old_id}“ gibt es in der alten Fassung nicht")
            old_uses[link.old_id].append(link)
        if link.new_id is not None:
            if not new.is_measure(link.new_id):
                found.append(f"Die Maßnahme „{link.new_id}“ gibt es in der neuen Fassung nicht")
            new_uses[link.new_id].append(link)
        if link.kind is LinkKind.SAME and link.old_id != link.new_id:
            found.append(
                f"„gleich“ verbindet gleiche Nummern, nicht {link.old_id} und {link.new_id}"
            )
    found += [
        f"Die alte Maßnahme „{m.id}“ fehlt in der Zuordnung"
        for m in old.measures
        if m.id not in old_uses
    ]
    found += [
        f"Die neue Maßnahme „{m.id}“ fehlt in der Zuordnung"
        for m in new.measures
        if m.id not in new_uses
    ]
    for uses, side, many in (
        (old_uses, "alte", LinkKind.SPLIT),
        (new_uses, "neue", LinkKind.MERGED),
    ):
        for item_id, used in uses.items():
            kinds = {u.kind for u in used}
            if len(used) > 1 and kinds != {many}:
                found.append(
                    f"Die {side} Maßnahme „{item_id}“ steht {len(used)}-mal in der Zuordnung; "
                    f"mehrfach nur mit „{many.value}“"
                )
            if len(used) == 1 and kinds == {many}:
                found.append(f"„{many.value}“ braucht für „{item_id}“ mindestens zwei Zeilen")
    return found


def _links(values: Iterable[EditionLink]) -> tuple[EditionLink, ...]:
    return tuple(values)


@attrs.frozen
class EditionChange:
    """An old and a new edition of a concept, the mapping between them and when it applies.

    Reports dated from ``valid_from`` on belong to the new edition. Construction
    checks the mapping (German messages, :class:`~kik_core.errors.ModelError`):
    every measure of both editions appears, "gleich" keeps the number, only
    "geteilt" repeats an old and only "zusammengelegt" a new measure.
    """

    old: Concept
    new: Concept
    valid_from: dt.date
    links: tuple[EditionLink, ...] = attrs.field(converter=_links)

    def __attrs_post_init__(self) -> None:
        problems = _problems(self.old, self.new, self.links)
        if problems:
            raise ModelError("; ".join(problems))

    def predecessors(self, new_id: str) -> tuple[str, ...]:
        """The old measures a new one continues (empty for a new measure)."""
        return tuple(
            link.old_id for link in self.links if link.new_id == new_id and link.old_id is not None
        )

    def successors(self, old_id: str) -> tuple[str, ...]:
        """The new measures an old one continues in (empty where it was dropped)."""
        return tuple(
            link.new_id for link in self.links if link.old_id == old_id and link.new_id is not None
        )

    def of_kind(self, kind: LinkKind) -> tuple[EditionLink, ...]:
        """The links of one kind, in mapping order."""
        return tuple(link for link in self.links if link.kind is kind)


def carry_history(
    change: EditionChange,
    reports: Iterable[StatusReport],
    *,
    decisions: Iterable[Decision] = (),
) -> list[StatusReport]:
    """The history of the old edition as reports on the new edition's measures.

    One report (partner :data:`CARRIED`) per new measure and date, before
    ``valid_from``, at which its predecessors' derived status changed (see the
    module docs for the rule per kind). Raises :class:`ModelError` where the new
    scheme lacks a label the old reports use.
    """
    reports = [r for r in reports if r.as_of < change.valid_from]
    decisions = [d for d in decisions if d.as_of < change.valid_from]
    old_days = sorted(
        {r.as_of for r in reports if change.old.is_measure(r.target_id)}
        | {d.as_of for d in decisions if change.old.is_measure(d.measure_id)}
    )
    scheme = change.new.statuses
    carried: list[StatusReport] = []
    last: dict[str, str] = {}
    for day in old_days:
        statuses = effective_statuses(change.old, reports, day, decisions=decisions)
        for measure in change.new.measures:
            before = change.predecessors(measure.id)
            if not before or not any(statuses[p].reported or statuses[p].decided for p in before):
                continue
            status = min(scheme.parse(statuses[p].status.label) for p in before)
            if last.get(measure.id) == status.label:
                continue
            last[measure.id] = status.label
            carried.append(
                StatusReport(
                    measure.id,
                    status,
                    day,
                    CARRIED,
                    current_state=f"übernommen aus {', '.join(before)} (frühere Fassung)",
                )
            )
    return carried


def edition_snapshot(
    change: EditionChange,
    reports: Iterable[StatusReport],
    as_of: dt.date,
    previous: dt.date | None = None,
    *,
    decisions: Iterable[Decision] = (),
) -> Snapshot:
    """The snapshot at ``as_of`` in the edition in force then.

    Before ``valid_from`` it is the old edition's; from then on the new
    edition's, with the carried history, so changes since ``previous`` (even a
    date before the change) are counted per new measure.
    """
    reports = list(reports)
    decisions = list(decisions)
    if as_of < change.valid_from:
        return build_snapshot(change.old, reports, as_of, previous, decisions=decisions)
    own = [r for r in reports if r.as_of >= change.valid_from and change.new.has_id(r.target_id)]
    carried = carry_history(change, reports, decisions=decisions)
    return build_snapshot(
        change.new,
        [*carried, *own],
        as_of,
        previous,
        decisions=[d for d in decisions if d.as_of >= change.valid_from],
    )


_WORDS = {kind.value: kind for kind in LinkKind}


def load_edition_change(
    path: Path | str, old: Concept, new: Concept, valid_from: dt.date
) -> EditionChange:
    """Read the mapping sheet ``Fortschreibung`` (columns ``alt``, ``neu``, ``Art``).

    ``Art`` is one of gleich, umbenannt, geteilt, zusammengelegt, entfallen, neu.

    Raises:
        ConceptWorkbookError: every problem, in German, with sheet and row.
    """
    path = Path(path)
    sheets = _read_sheets(path)
    sheet = sheets.get("Fortschreibung")
    problems: list[Problem] = []
    links: list[EditionLink] = []
    if sheet is None:
        problems.append(
            Problem.of(Reason.MISSING_SHEET, Location(path.name), value="Fortschreibung")
        )
        raise ConceptWorkbookError(problems)
    index = sheet.column_index()
    for offset, raw in enumerate(sheet.rows):
        row = offset + 2

        def cell(name: str, raw: list[object] = raw) -> str:
            i = index.get(name.casefold())
            return _cell_text(raw[i]) if i is not None and i < len(raw) else ""

        word = cell("Art").casefold()
        if not (word or cell("alt") or cell("neu")):
            continue
        if word not in _WORDS:
            problems.append(
                Problem.of(
                    Reason.INVALID_VALUE,
                    Location(path.name, "Fortschreibung", row, "Art"),
                    value=word,
                    detail=f" (erlaubt: {', '.join(_WORDS)})",
                )
            )
            continue
        links.append(
            EditionLink(
                _WORDS[word],
                old.canonical_id(cell("alt")) or cell("alt") or None,
                new.canonical_id(cell("neu")) or cell("neu") or None,
            )
        )
    problems += [
        Problem(Reason.INVALID_VALUE, Location(path.name, "Fortschreibung"), text)
        for text in _problems(old, new, links)
    ]
    if problems:
        raise ConceptWorkbookError(problems)
    return EditionChange(old, new, valid_from, tuple(links))
