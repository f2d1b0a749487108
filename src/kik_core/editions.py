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

The carried statuses are reports by the partner :data:`CARRIED` on the new ids
(with the predecessors' latest texts, so templates and the report keep them),
so every rule (latest report wins, changes, regressions) works on them unchanged;
a partner's own report on the new id from ``valid_from`` on supersedes them.
:func:`edition_snapshot` picks the edition in force at a date. Statuses carry by
label: the new edition's scheme must know every label the old one's reports use.
"""

from __future__ import annotations

import datetime as dt
import enum
import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import attrs

from kik_core._atomic import atomic_path
from kik_core._cells import write_cell
from kik_core._locale import format_date
from kik_core.concept_workbook import _cell_text, _instructions_sheet, _read_sheets, _style_sheet
from kik_core.errors import ConceptWorkbookError, Location, ModelError, Problem, Reason
from kik_core.model import Concept, Decision, Status, StatusReport, StatusScheme
from kik_core.rules import Change, EffectiveStatus, Snapshot, build_snapshot, effective_statuses

__all__ = [
    "CARRIED",
    "MAPPING_HEADERS",
    "EditionChange",
    "EditionLink",
    "Editions",
    "LinkKind",
    "carry_history",
    "edition_snapshot",
    "load_edition_change",
    "mapping_rows",
    "write_mapping_template",
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
    #: the row of the mapping sheet the link was read from (not part of equality)
    row: int | None = attrs.field(default=None, eq=False, kw_only=True)


def _problems(old: Concept, new: Concept, links: Sequence[EditionLink]) -> list[str]:
    """Every inconsistency of a mapping, as German sentences (empty: the mapping is sound)."""
    return [text for text, _row, _column in _located_problems(old, new, links)]


def _located_problems(
    old: Concept, new: Concept, links: Sequence[EditionLink]
) -> list[tuple[str, int | None, str | None]]:
    """Every inconsistency of a mapping: (German sentence, sheet row, column)."""
    found: list[tuple[str, int | None, str | None]] = []
    old_uses: dict[str, list[EditionLink]] = defaultdict(list)
    new_uses: dict[str, list[EditionLink]] = defaultdict(list)
    needs_old = {LinkKind.SAME, LinkKind.RENAMED, LinkKind.SPLIT, LinkKind.MERGED, LinkKind.DROPPED}
    needs_new = {LinkKind.SAME, LinkKind.RENAMED, LinkKind.SPLIT, LinkKind.MERGED, LinkKind.NEW}
    for link in links:
        word = link.kind.value
        if (link.old_id is not None) != (link.kind in needs_old):
            found.append(
                (
                    f"„{word}“ braucht {'eine' if link.kind in needs_old else 'keine'} alte Nummer",
                    link.row,
                    "alt",
                )
            )
        if (link.new_id is not None) != (link.kind in needs_new):
            found.append(
                (
                    f"„{word}“ braucht {'eine' if link.kind in needs_new else 'keine'} neue Nummer",
                    link.row,
                    "neu",
                )
            )
        if link.old_id is not None:
            if not old.is_measure(link.old_id):
                found.append(
                    (
                        f"Die Maßnahme „{link.old_id}“ gibt es in der alten Fassung nicht",
                        link.row,
                        "alt",
                    )
                )
            old_uses[link.old_id].append(link)
        if link.new_id is not None:
            if not new.is_measure(link.new_id):
                found.append(
                    (
                        f"Die Maßnahme „{link.new_id}“ gibt es in der neuen Fassung nicht",
                        link.row,
                        "neu",
                    )
                )
            new_uses[link.new_id].append(link)
        if link.kind is LinkKind.SAME and link.old_id != link.new_id:
            found.append(
                (
                    f"„gleich“ verbindet gleiche Nummern, nicht {link.old_id} und {link.new_id}",
                    link.row,
                    "neu",
                )
            )
    found += [
        (f"Die alte Maßnahme „{m.id}“ fehlt in der Zuordnung", None, None)
        for m in old.measures
        if m.id not in old_uses
    ]
    found += [
        (f"Die neue Maßnahme „{m.id}“ fehlt in der Zuordnung", None, None)
        for m in new.measures
        if m.id not in new_uses
    ]
    for uses, side, many, column in (
        (old_uses, "alte", LinkKind.SPLIT, "alt"),
        (new_uses, "neue", LinkKind.MERGED, "neu"),
    ):
        for item_id, used in uses.items():
            kinds = {u.kind for u in used}
            if len(used) > 1 and kinds != {many}:
                found.append(
                    (
                        f"Die {side} Maßnahme „{item_id}“ steht {len(used)}-mal in der "
                        f"Zuordnung; mehrfach nur mit „{many.value}“",
                        used[-1].row,
                        column,
                    )
                )
            if len(used) == 1 and kinds == {many}:
                found.append(
                    (
                        f"„{many.value}“ braucht für „{item_id}“ mindestens zwei Zeilen",
                        used[0].row,
                        "Art",
                    )
                )
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
    last: dict[str, tuple[str, str, str]] = {}
    for day in old_days:
        statuses = effective_statuses(change.old, reports, day, decisions=decisions)
        for measure in change.new.measures:
            before = change.predecessors(measure.id)
            if not before or not any(statuses[p].reported or statuses[p].decided for p in before):
                continue
            status = min(scheme.parse(statuses[p].status.label) for p in before)
            current_state = _carried_text(before, statuses, "current_state")
            outlook = _carried_text(before, statuses, "outlook")
            if not current_state and before != (measure.id,):
                current_state = f"übernommen aus {', '.join(before)} (frühere Fassung)"
            if last.get(measure.id) == (status.label, current_state, outlook):
                continue
            last[measure.id] = (status.label, current_state, outlook)
            carried.append(
                StatusReport(
                    measure.id,
                    status,
                    day,
                    CARRIED,
                    current_state=current_state,
                    outlook=outlook,
                )
            )
    return carried


def _carried_text(
    before: Sequence[str], statuses: Mapping[str, EffectiveStatus], field: str
) -> str:
    """The partners' latest texts on the predecessors (named where there are several)."""
    parts = []
    for old_id in before:
        for report in statuses[old_id].reports:
            text = str(getattr(report, field)).strip()
            if text:
                parts.append(f"{old_id}: {text}" if len(before) > 1 else text)
    return "\n\n".join(dict.fromkeys(parts))


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
        if not word:
            problems.append(
                Problem(
                    Reason.EMPTY_REQUIRED,
                    Location(path.name, "Fortschreibung", row, "Art"),
                    f"Die Zelle ist leer: bitte die Art wählen ({', '.join(_WORDS)})",
                )
            )
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
                row=row,
            )
        )
    problems += [
        Problem(Reason.INVALID_VALUE, Location(path.name, "Fortschreibung", row, column), text)
        for text, row, column in _located_problems(old, new, links)
    ]
    if problems:
        raise ConceptWorkbookError(problems)
    return EditionChange(old, new, valid_from, tuple(links))


# --------------------------------------------------------------------------- every edition


def _changes(values: Iterable[EditionChange]) -> tuple[EditionChange, ...]:
    return tuple(values)


@attrs.frozen
class Editions:
    """Every edition of a concept in force so far, with the changes between them.

    A municipality without a *Fortschreibung* has one edition (``changes`` empty)
    and every method reduces to the plain rules of :mod:`kik_core.rules`. With
    changes, edition *k* (0 the oldest) is in force from ``changes[k-1].valid_from``
    until the next change; each change's ``new`` is the next change's ``old`` and
    the last change's ``new`` is ``current``.

    Attributes:
        current: the edition in force now (``[konzept] datei``).
        changes: the changes from the oldest edition on, by ``valid_from``.

    Raises:
        ModelError: the changes do not form one line of editions ending in
            ``current``, or their dates do not increase.
    """

    current: Concept
    changes: tuple[EditionChange, ...] = attrs.field(default=(), converter=_changes)

    def __attrs_post_init__(self) -> None:
        for before, after in itertools.pairwise(self.changes):
            if before.new != after.old:
                raise ModelError("editions: each change must start from the previous one's new")
            if after.valid_from <= before.valid_from:
                raise ModelError("editions: valid_from must increase from change to change")
        if self.changes and self.changes[-1].new != self.current:
            raise ModelError("editions: the last change must lead to the current edition")

    @property
    def concepts(self) -> tuple[Concept, ...]:
        """Every edition, oldest first (the last one is :attr:`current`)."""
        return (*(c.old for c in self.changes), self.current)

    def index_at(self, day: dt.date) -> int:
        """The number of the edition in force at ``day`` (0: the oldest)."""
        return sum(1 for change in self.changes if change.valid_from <= day)

    def concept_at(self, day: dt.date) -> Concept:
        """The edition in force at ``day``.

        >>> Editions(concept).concept_at(dt.date(2024, 1, 1)) is concept  # doctest: +SKIP
        True
        """
        return self.concepts[self.index_at(day)]

    def change_into(self, index: int) -> EditionChange | None:
        """The change that brought edition ``index`` (None for the oldest)."""
        return self.changes[index - 1] if index > 0 else None

    def index_of(self, snapshot: Snapshot) -> int:
        """The edition a (frozen) snapshot was built in.

        The edition in force at its date if it knows every measure of the
        snapshot, else the newest edition that does (a change declared after a
        round was issued never moves that round into the new edition).
        """
        ids = set(snapshot.statuses)
        concepts = self.concepts
        at = self.index_at(snapshot.as_of)
        for index in (at, *reversed(range(len(concepts)))):
            if ids <= {m.id for m in concepts[index].measures}:
                return index
        return at

    def concept_of(self, snapshot: Snapshot) -> Concept:
        """The edition a (frozen) snapshot was built in (see :meth:`index_of`)."""
        return self.concepts[self.index_of(snapshot)]

    def find(self, item_id: str) -> tuple[int, str] | None:
        """The newest edition that knows ``item_id`` (any spelling), with its spelling."""
        for index in reversed(range(len(self.concepts))):
            concept = self.concepts[index]
            canonical = concept.canonical_id(item_id) or item_id
            if concept.has_id(canonical):
                return index, canonical
        return None

    def decisions_in(self, index: int, decisions: Iterable[Decision]) -> list[Decision]:
        """The decisions edition ``index`` applies itself (older ones are carried)."""
        if index == 0:
            return list(decisions)
        since = self.changes[index - 1].valid_from
        return [d for d in decisions if d.as_of >= since]

    def reports_in(
        self,
        index: int,
        reports: Iterable[StatusReport],
        *,
        decisions: Iterable[Decision] = (),
    ) -> list[StatusReport]:
        """The history as edition ``index`` sees it: carried reports and its own.

        For the oldest edition, every report. For a later one, the carried history
        of the edition before (:func:`carry_history`) and the reports on its own
        ids dated from its ``valid_from`` on.
        """
        reports = list(reports)
        decisions = list(decisions)
        if index == 0:
            return reports
        change = self.changes[index - 1]
        before = self.reports_in(index - 1, reports, decisions=decisions)
        carried = carry_history(change, before, decisions=self.decisions_in(index - 1, decisions))
        own = [
            r for r in reports if r.as_of >= change.valid_from and change.new.has_id(r.target_id)
        ]
        return [*carried, *own]

    def snapshot(
        self,
        reports: Iterable[StatusReport],
        as_of: dt.date,
        *,
        index: int | None = None,
        decisions: Iterable[Decision] = (),
    ) -> Snapshot:
        """The snapshot at ``as_of`` in edition ``index`` (default: the one in force then).

        A round counts the rows up to its deadline in the edition in force at its
        Stichtag, so ``index`` may name an edition other than the one at ``as_of``.
        """
        decisions = list(decisions)
        index = self.index_at(as_of) if index is None else index
        return build_snapshot(
            self.concepts[index],
            self.reports_in(index, reports, decisions=decisions),
            as_of,
            decisions=self.decisions_in(index, decisions),
        )

    def statuses_in(self, snapshot: Snapshot, index: int) -> dict[str, Status]:
        """A snapshot's statuses carried into edition ``index`` along the mappings.

        Measures of a later edition take their predecessors' status (the least
        advanced where several were merged); new measures are left out (no
        history). Going back in time is not possible: an older ``index`` gives
        the snapshot's statuses of the measures that edition knows.
        """
        start = self.index_of(snapshot)
        statuses = {i: e.status for i, e in snapshot.statuses.items()}
        for step in range(start, index):
            change = self.changes[step]
            scheme = change.new.statuses
            carried: dict[str, Status] = {}
            for measure in change.new.measures:
                before = [statuses[p] for p in change.predecessors(measure.id) if p in statuses]
                if before:
                    carried[measure.id] = min(_in_scheme(scheme, s) for s in before)
            statuses = carried
        return statuses

    def changes_since(self, previous: Snapshot, current: Snapshot) -> tuple[Change, ...]:
        """The measures whose status differs from an issued snapshot's, across editions.

        Like :func:`kik_core.rounds.changes_since`; a snapshot of an older edition
        is first carried into ``current``'s edition (:meth:`statuses_in`), so a
        renamed measure is compared with its predecessor, not counted as new.
        """
        index = self.index_of(current)
        before = self.statuses_in(previous, index)
        scheme = current.scheme
        found = []
        for measure_id, effective in current.statuses.items():
            old = before.get(measure_id, scheme.initial_status)
            if old != effective.status:
                found.append(Change(measure_id, _in_scheme(scheme, old), effective.status))
        return tuple(found)

    def origin(self, measure_id: str, index: int | None = None) -> str:
        """Where a measure of edition ``index`` (default: the current) came from, in German.

        Empty for a measure that is the same in every edition (or for an
        unknown id), e.g. ``Hervorgegangen aus BS-1.1 (umbenannt; neue Fassung
        des Konzepts ab 01.06.2024).``
        """
        index = len(self.changes) if index is None else index
        for change in reversed(self.changes[:index]):
            links = [link for link in change.links if link.new_id == measure_id]
            if not links or all(link.kind is LinkKind.SAME for link in links):
                continue
            since = format_date(change.valid_from)
            kind = links[0].kind
            if kind is LinkKind.NEW:
                return f"Neu in der Fassung des Konzepts ab {since}."
            before = ", ".join(link.old_id for link in links if link.old_id)
            return (
                f"Hervorgegangen aus {before} ({kind.value}; neue Fassung des Konzepts ab {since})."
            )
        return ""


def _in_scheme(scheme: StatusScheme, status: Status) -> Status:
    """``status`` as ``scheme`` knows it (by label); an unknown label keeps its own."""
    try:
        return scheme.get(status.label)
    except KeyError:
        return status


# --------------------------------------------------------------------------- mapping template

#: The columns of the mapping sheet the template writes (the reader needs alt, Art, neu).
MAPPING_HEADERS = ("alt", "Maßnahme (bisher)", "Art", "neu", "Maßnahme (neu)")


def mapping_rows(old: Concept, new: Concept) -> list[tuple[str | None, str, str, str | None, str]]:
    """The rows a mapping template starts with: every old and every new measure once.

    An old measure whose number the new edition has is pre-filled as "gleich";
    a new number the old edition lacks as "neu"; everything else is left for
    the office (Art and the other side empty).
    """
    rows: list[tuple[str | None, str, str, str | None, str]] = []
    for measure in old.measures:
        if new.is_measure(measure.id):
            same = new.measure(measure.id)
            rows.append((measure.id, measure.text, "gleich", same.id, same.text))
        else:
            rows.append((measure.id, measure.text, "", None, ""))
    rows += [(None, "", "neu", m.id, m.text) for m in new.measures if not old.is_measure(m.id)]
    return rows


_INSTRUCTIONS = (
    "Zuordnung zur Fortschreibung des Konzepts",
    "",
    "Diese Tabelle sagt, was aus jeder Maßnahme der bisherigen Fassung in der neuen Fassung "
    "geworden ist. kik übernimmt damit den bisherigen Umsetzungsstand in die neue Fassung.",
    "",
    "Blatt „Fortschreibung“: eine Zeile je Verbindung. Spalte „alt“: Nummer in der bisherigen "
    "Fassung, Spalte „neu“: Nummer in der neuen Fassung, Spalte „Art“ (Auswahlliste):",
    "  gleich – dieselbe Maßnahme mit derselben Nummer",
    "  umbenannt – dieselbe Maßnahme mit neuer Nummer oder neuem Wortlaut",
    "  geteilt – eine bisherige Maßnahme wird zu mehreren neuen (je neue Maßnahme eine Zeile)",
    "  zusammengelegt – mehrere bisherige werden zu einer neuen (je bisherige eine Zeile)",
    "  entfallen – die bisherige Maßnahme gibt es nicht mehr (Spalte „neu“ bleibt leer)",
    "  neu – eine neue Maßnahme ohne Vorgänger (Spalte „alt“ bleibt leer)",
    "",
    "Vorausgefüllt sind „gleich“ (die Nummer gibt es in beiden Fassungen) und „neu“ (die "
    "Nummer gibt es nur in der neuen Fassung): bitte prüfen. Bei den übrigen Zeilen fehlt "
    "die Art: bitte ausfüllen. Die Spalten mit dem Wortlaut dienen nur zur Orientierung.",
    "",
    "Jede Maßnahme beider Fassungen muss mindestens einmal vorkommen. Prüfen Sie die "
    "Tabelle mit: kik validate ORDNER (nachdem sie in kik.toml eingetragen ist).",
)


def write_mapping_template(path: Path | str, old: Concept, new: Concept) -> Path:
    """Write the mapping workbook the office fills in (sheet ``Fortschreibung``).

    Pre-filled per :func:`mapping_rows`, with dropdowns for the kind and for the
    old and new numbers, an instructions sheet and the two editions' measure
    lists. Written atomically; an existing file (perhaps edited) is never replaced.

    Raises:
        FileExistsError: ``path`` exists.
    """
    from openpyxl import Workbook  # noqa: PLC0415 - heavy, only for the template
    from openpyxl.styles import Alignment  # noqa: PLC0415 - as above
    from openpyxl.worksheet.datavalidation import (  # noqa: PLC0415 - as above
        DataValidation,
    )

    path = Path(path)
    if path.exists():
        raise FileExistsError(path)
    workbook = Workbook()
    workbook.remove(workbook.worksheets[0])
    _instructions_sheet(workbook, _INSTRUCTIONS, spacing=2)
    sheet = workbook.create_sheet("Fortschreibung")
    for column, header in enumerate(MAPPING_HEADERS, start=1):
        write_cell(sheet, 1, column, header)
    _style_sheet(sheet, (12, 50, 16, 12, 50))
    rows = mapping_rows(old, new)
    for number, values in enumerate(rows, start=2):
        for column, value in enumerate(values, start=1):
            if value:
                cell = write_cell(sheet, number, column, value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        lines = max(-(-len(values[1]) // 48), -(-len(values[4]) // 48), 1)
        sheet.row_dimensions[number].height = lines * 15
    last = len(rows) + 200  # room for the rows the office adds (splits, merges)
    for title, concept in (("Bisherige Fassung", old), ("Neue Fassung", new)):
        listing = workbook.create_sheet(title)
        write_cell(listing, 1, 1, "Nummer")
        write_cell(listing, 1, 2, "Maßnahme")
        _style_sheet(listing, (12, 80))
        for number, measure in enumerate(concept.measures, start=2):
            write_cell(listing, number, 1, measure.id)
            write_cell(listing, number, 2, measure.text)
    kinds = DataValidation(
        type="list",
        formula1='"' + ",".join(k.value for k in LinkKind) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Art",
        error="Bitte eine Art aus der Liste wählen: " + ", ".join(k.value for k in LinkKind),
    )
    kinds.add(f"C2:C{last}")
    sheet.add_data_validation(kinds)
    for letter, title, concept in (("A", "Bisherige Fassung", old), ("D", "Neue Fassung", new)):
        numbers = DataValidation(
            type="list",
            formula1=f"='{title}'!$A$2:$A${len(concept.measures) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="Nummer",
            error=f"Bitte eine Nummer aus dem Blatt „{title}“ wählen",
        )
        numbers.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(numbers)
    workbook.active = workbook.index(sheet)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, overwrite=False) as temp:
        workbook.save(temp)
    return path
