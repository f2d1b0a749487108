"""The jobs on a municipality folder: init, validate, ingest, templates, report, run.

The ``kik`` command line and the Prefect flows in ``pipelines/`` are thin layers
over these functions: each takes the folder, does one job through the library
and returns a small result value. No business rule lives here either; this
module only wires settings, readers, store, rules and report together.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kik_core._locale import format_date
from kik_core.concept_workbook import (
    load_concept,
    load_report_content,
    write_concept_template,
)
from kik_core.errors import (
    ConceptWorkbookError,
    FolderError,
    Problem,
    ReportError,
    RoundError,
)
from kik_core.model import Concept
from kik_core.rules import Snapshot, build_snapshot
from kik_core.settings import SETTINGS_FILE, Settings, load_settings, settings_template

if TYPE_CHECKING:
    from kik_core.board import PartnerBoard
    from kik_core.editions import EditionChange, Editions
    from kik_core.ingest import (
        AbandonedFile,
        FileOutcome,
        FileResult,
        IngestSummary,
        Limits,
        SkippedEntry,
    )
    from kik_core.model import Decision, PartnerContact, StatusReport
    from kik_core.reminders import SendResult
    from kik_core.report import ReportOptions
    from kik_core.rounds import LateCorrection, Round
    from kik_core.store import Store

__all__ = [
    "FOLDERS",
    "PublishResult",
    "ReportResult",
    "RunResult",
    "ValidationResult",
    "draft_round",
    "ingest",
    "init_folder",
    "issue",
    "load_editions",
    "open_round",
    "open_store",
    "publish",
    "report",
    "round_preview",
    "rounds",
    "run",
    "template_round",
    "templates",
    "validate",
]

log = logging.getLogger("kik_core.workflow")

#: The sub-folders of a municipality folder.
FOLDERS = ("eingang", "ausgang", "berichte", "archiv", "quarantaene", "texte")


@attrs.frozen
class ValidationResult:
    """What ``kik validate`` found: concept problems and each inbox file's rows."""

    concept: Concept | None
    concept_problems: tuple[Problem, ...]
    files: tuple[FileResult, ...]
    #: inbox entries that are not read (dotfiles, folders, links ...), with the reason
    skipped: tuple[SkippedEntry, ...] = ()
    #: files of runs that died; the next ingest reads them (their rows are in ``files``)
    abandoned: tuple[AbandonedFile, ...] = ()
    #: the concept's editions, when the mappings load (one edition without a Fortschreibung)
    editions: Editions | None = None

    @property
    def ok(self) -> bool:
        """True when the concept loads and every row of every file would be accepted."""
        return not self.concept_problems and all(
            not f.rejected and f.unreadable is None for f in self.files
        )


@attrs.frozen
class ReportResult:
    """A generated report: its files and the snapshot every number came from.

    ``round`` is the reporting round the report belongs to (its state after the
    report was written); ``late`` the late corrections the report lists.
    """

    docx: Path
    pdf: Path | None
    snapshot: Snapshot
    concept: Concept
    round: Round | None = None
    late: tuple[LateCorrection, ...] = ()


@attrs.frozen
class RunResult:
    """``kik run``: an ingest followed by a report."""

    ingest: IngestSummary
    report: ReportResult


def init_folder(folder: Path | str, municipality: str | None = None) -> Path:
    """Create a municipality folder: ``kik.toml``, blank ``konzept.xlsx`` and the sub-folders.

    Existing files are never overwritten, so running it again on a folder only
    adds what is missing.

    Returns:
        The folder's resolved path.
    """
    folder = Path(folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    for name in FOLDERS:
        (folder / name).mkdir(exist_ok=True)
    settings_file = folder / SETTINGS_FILE
    name = municipality or folder.name.replace("-", " ").title()
    if not settings_file.exists():
        settings_file.write_text(settings_template(name), encoding="utf-8")
    concept_file = folder / "konzept.xlsx"
    if not concept_file.exists():
        write_concept_template(concept_file, name, f"Kommunales Integrationskonzept {name}")
    return folder


def _settings(folder: Path | str | Settings) -> Settings:
    return folder if isinstance(folder, Settings) else load_settings(folder)


def load_editions(settings: Settings) -> Editions:
    """The concept's editions per ``[konzept]``: the current one and every earlier one.

    Without ``[[konzept.fortschreibung]]`` there is one edition, ``[konzept] datei``.

    Raises:
        ConceptWorkbookError: a concept workbook or a mapping sheet has errors
            (every problem of every file, with file, sheet, row and column).
    """
    current = load_concept(settings.concept_file)
    editions, problems = _check_editions(settings, current)
    if problems:
        raise ConceptWorkbookError(problems)
    assert editions is not None  # noqa: S101 - no problems: the editions were built
    return editions


def _check_editions(
    settings: Settings, current: Concept
) -> tuple[Editions | None, tuple[Problem, ...]]:
    """Load the earlier editions and their mappings, collecting every problem."""
    from kik_core.editions import Editions, load_edition_change

    if not settings.editions:
        return Editions(current), ()
    problems: list[Problem] = []
    concepts: list[Concept | None] = []
    for entry in settings.editions:
        try:
            concepts.append(load_concept(entry.previous))
        except ConceptWorkbookError as exc:
            problems += exc.problems
            concepts.append(None)
    concepts.append(current)
    changes: list[EditionChange] = []
    for number, entry in enumerate(settings.editions):
        old, new = concepts[number], concepts[number + 1]
        if old is None or new is None:
            continue
        try:
            changes.append(load_edition_change(entry.mapping, old, new, entry.valid_from))
        except ConceptWorkbookError as exc:
            problems += exc.problems
    if problems:
        return None, tuple(problems)
    return Editions(current, changes), ()


def _concept_file(settings: Settings, concept: Concept, editions: Editions | None = None) -> Path:
    """The workbook of one of the editions (texts, contacts and highlights live there)."""
    if not settings.editions:
        return settings.concept_file
    editions = editions or load_editions(settings)
    for index, candidate in enumerate(editions.concepts[:-1]):
        if candidate is concept or candidate == concept:
            return settings.editions[index].previous
    return settings.concept_file


def open_store(settings: Settings) -> Store:
    """Open (and migrate) the folder's status store."""
    from kik_core.store import Store

    return Store.open(settings.store_url, municipality=settings.municipality_key)


def _limits(settings: Settings) -> Limits:
    from kik_core.ingest import Limits

    return Limits(max_bytes=settings.max_bytes, max_rows=settings.max_rows)


def validate(folder: Path | str | Settings, *, today: dt.date | None = None) -> ValidationResult:
    """Check the concept workbook and every file in the inbox without storing or moving anything."""
    from kik_core.ingest import (
        abandoned_files,
        abandoned_paths,
        inbox_files,
        read_update_file,
        skipped_entries,
    )

    settings = _settings(folder)
    skipped = tuple(skipped_entries(settings.inbox))
    abandoned = tuple(abandoned_files(settings.inbox))
    try:
        concept = load_concept(settings.concept_file)
    except ConceptWorkbookError as exc:
        return ValidationResult(None, exc.problems, (), skipped, abandoned)
    editions, edition_problems = _check_editions(settings, concept)
    if edition_problems:
        return ValidationResult(concept, edition_problems, (), skipped, abandoned)
    from kik_core.concept_workbook import load_partner_contacts

    try:  # the optional Partner sheet (contacts for reminders)
        load_partner_contacts(settings.concept_file, concept)
        partner_problems: tuple[Problem, ...] = ()
    except ConceptWorkbookError as exc:
        partner_problems = exc.problems
    limits = _limits(settings)
    paths = [*inbox_files(settings.inbox), *abandoned_paths(settings.inbox)]
    files = tuple(
        read_update_file(path, concept, today=today, limits=limits, editions=editions)
        for path in paths
    )
    return ValidationResult(concept, partner_problems, files, skipped, abandoned, editions)


def ingest(
    folder: Path | str | Settings,
    *,
    today: dt.date | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> IngestSummary:
    """Ingest every file in the inbox into the store (see :func:`kik_core.ingest.ingest_inbox`).

    Raises:
        ConceptWorkbookError: the concept cannot be loaded (nothing is ingested).
        SettingsError: the folder is not a kik folder.
    """
    from kik_core.ingest import ingest_inbox

    settings = _settings(folder)
    editions = load_editions(settings)
    concept = editions.current
    for sub in (settings.inbox, settings.archive, settings.quarantine, settings.outbox):
        try:
            sub.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FolderError(sub, exc, action="Ordner anlegen") from exc
    with open_store(settings) as store:
        summary = ingest_inbox(
            settings.inbox,
            concept=concept,
            store=store,
            archive=settings.archive,
            quarantine=settings.quarantine,
            outbox=settings.outbox,
            today=today,
            limits=_limits(settings),
            on_file=on_file,
            clean=(settings.reports_dir,),
            editions=editions if editions.changes else None,
        )
    log.info(
        "Einlesen %s: %d Dateien, %d Zeilen angenommen, %d abgelehnt",
        settings.municipality,
        len(summary.files),
        summary.rows_accepted,
        summary.rows_rejected,
    )
    return summary


def _read_text(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None else ""


def _texts(paths: Sequence[Path]) -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8") for p in paths)


#: The version suffix of a draft report file (``{n}`` is the draft number).
REPORT_DRAFT = "Entwurf_{n}"
#: The version suffix of an issued report file.
REPORT_ISSUED = "herausgegeben"


def _today(today: dt.date | None) -> dt.date:
    from kik_core.rounds import local_today

    return today or local_today()


def _new_round(
    settings: Settings,
    stichtag: dt.date | None,
    deadline: dt.date | None,
    today: dt.date,
) -> Round:
    from kik_core.rounds import Round, default_deadline, default_stichtag, local_now

    stichtag = stichtag or settings.report.as_of or default_stichtag(today, settings.rounds.cadence)
    if stichtag > today:
        raise RoundError(
            f"Der Stichtag {format_date(stichtag)} liegt in der Zukunft (heute ist der "
            f"{format_date(today)}): Rückmeldungen mit diesem Datum würden abgelehnt. "
            "Öffnen Sie die Runde am oder nach dem Stichtag"
        )
    deadline = deadline or default_deadline(stichtag, settings.rounds.deadline_weeks)
    return Round(stichtag, deadline, local_now().astimezone(dt.UTC))


def open_round(
    folder: Path | str | Settings,
    *,
    stichtag: dt.date | None = None,
    deadline: dt.date | None = None,
    today: dt.date | None = None,
) -> Round:
    """Open a new reporting round (``kik runde oeffnen``).

    Args:
        folder: the municipality folder (or its settings).
        stichtag: the round's Stichtag (default: ``[bericht] stichtag``, else the last
            cadence end before today, see :func:`kik_core.rounds.default_stichtag`).
        deadline: the partners' deadline (default: Stichtag + ``[runde] frist_wochen``).
        today: today's date (default: today in Europe/Berlin).

    Raises:
        RoundError: the round exists already, another round is not issued yet, the
            deadline lies before the Stichtag or the Stichtag in the future.
            Nothing is changed.
    """
    settings = _settings(folder)
    new = _new_round(settings, stichtag, deadline, _today(today))
    with open_store(settings) as store:
        store.open_round(new)
    log.info("%s: Runde %s geöffnet, Frist %s", settings.municipality, new.stichtag, new.deadline)
    return new


def rounds(folder: Path | str | Settings) -> list[Round]:
    """Every reporting round of the municipality, by Stichtag (``kik runde zeigen``)."""
    settings = _settings(folder)
    with open_store(settings) as store:
        return store.rounds()


def _target_round(store: Store, settings: Settings, as_of: dt.date | None, today: dt.date) -> Round:
    """The round a new draft belongs to, without opening it (it may not be stored yet)."""
    if as_of is None:
        current = store.current_round()
        if current is not None:
            return current
    candidate = _new_round(settings, as_of, None, today)
    return store.round(candidate.stichtag) or candidate


def _refuse_issued(current: Round) -> None:
    if current.is_issued:
        raise RoundError(
            f"Die Runde zum Stichtag {format_date(current.stichtag)} ist herausgegeben "
            f"({current.issued_file}) und ändert sich nicht mehr. Für einen neuen Bericht "
            "öffnen Sie die nächste Runde: kik runde oeffnen ORDNER --stichtag JJJJ-MM-TT"
        )


def draft_round(
    folder: Path | str | Settings, *, as_of: dt.date | None = None, today: dt.date | None = None
) -> Round:
    """The round the next draft will belong to (opened by :func:`report` if not stored yet).

    Raises:
        RoundError: that round is issued already (no draft can be written), or its
            Stichtag lies in the future. Nothing is changed.
    """
    settings = _settings(folder)
    with open_store(settings) as store:
        target = _target_round(store, settings, as_of, _today(today))
    _refuse_issued(target)
    return target


def _round_to_draft(
    store: Store, settings: Settings, as_of: dt.date | None, today: dt.date
) -> Round:
    """The round a new draft belongs to; opens it when it is not stored yet."""
    target = _target_round(store, settings, as_of, today)
    _refuse_issued(target)
    return target if store.round(target.stichtag) is not None else store.open_round(target)


@attrs.frozen
class _RoundInputs:
    concept: Concept
    current: Round
    snapshot: Snapshot
    history: tuple[Snapshot, ...]
    late: tuple[LateCorrection, ...]
    #: the change into the round's edition, where the report spans it (annex)
    edition: EditionChange | None = None


def _round_inputs(
    store: Store, settings: Settings, current: Round, previous: dt.date | None
) -> _RoundInputs:
    from kik_core.rounds import late_corrections, round_snapshot

    editions = load_editions(settings)
    index = editions.index_at(current.stichtag)  # the edition in force at the Stichtag
    concept = editions.concepts[index]
    reports = store.reports(concept.statuses)
    issued = [s for s in store.issued_snapshots() if s.as_of < current.stichtag]
    previous = previous or settings.report.previous
    compare: Snapshot | None = issued[-1] if issued else None
    if previous is not None:
        matching = [s for s in issued if s.as_of == previous]
        if not matching:
            raise RoundError(
                f"Zum Vergleichsstichtag {format_date(previous)} gibt es keine herausgegebene "
                "Runde vor dieser. Verglichen wird nur mit herausgegebenen Berichten "
                "(kik runde zeigen listet sie)"
            )
        compare = matching[0]
    decisions = store.decisions(concept.statuses)
    snapshot = round_snapshot(
        concept,
        editions.reports_in(index, reports, decisions=decisions),
        current,
        previous=compare,
        decisions=editions.decisions_in(index, decisions),
    )
    edition = None
    if compare is not None and editions.index_of(compare) < index:
        # the report spans a change of edition: compare along the mapping, list it
        snapshot = attrs.evolve(snapshot, changes=editions.changes_since(compare, snapshot))
        edition = editions.change_into(index)
    ingested = {f.content_hash: f.ingested_at for f in store.files()}
    late = late_corrections(reports, store.rounds(), ingested, current=current)
    return _RoundInputs(concept, current, snapshot, tuple(issued), late, edition)


def _report_options(settings: Settings, version_label: str = "") -> ReportOptions:
    from kik_core.report import ReportOptions

    rs = settings.report
    return ReportOptions(
        title=rs.title,
        municipality=settings.municipality,
        subtitle=rs.subtitle,
        period_label=rs.period_label,
        publisher=rs.publisher,
        foreword=_read_text(rs.foreword),
        foreword_author=rs.foreword_author,
        sections_front=_texts(rs.sections_front),
        sections_back=_texts(rs.sections_back),
        thanks=rs.thanks,
        template=rs.template,
        published_on=rs.published_on,
        version_label=version_label,
    )


def _draft_label(current: Round, number: int) -> str:
    return (
        f"Entwurf {number} – nicht herausgegeben (Runde {format_date(current.stichtag)}, "
        f"Frist {format_date(current.deadline)})"
    )


def _write_docx(
    settings: Settings,
    inputs: _RoundInputs,
    target: Path,
    *,
    mode: int,
    version_label: str = "",
    board: PartnerBoard | None = None,
) -> Path:
    """Build the report into ``target``; an existing file is never replaced."""
    from kik_core._atomic import atomic_path
    from kik_core.report import build_report

    content = load_report_content(_concept_file(settings, inputs.concept), inputs.concept)
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target, overwrite=False, mode=mode) as temp:
        build_report(
            inputs.concept,
            inputs.snapshot,
            temp,
            options=_report_options(settings, version_label),
            content=content,
            history=(*inputs.history, inputs.snapshot),
            late=inputs.late,
            board=board,
            edition=inputs.edition,
        )
    return target


def _draft_numbers(settings: Settings, stichtag: dt.date) -> set[int]:
    """The draft numbers used by files in berichte/ (DOCX or PDF) for this Stichtag."""
    marker = "\x00"
    name = settings.report_path(stichtag, REPORT_DRAFT.format(n=marker)).name
    prefix, suffix = name.split(marker)
    stem = suffix.removesuffix(".docx")
    pattern = re.compile(
        re.escape(prefix) + r"(\d+)" + re.escape(stem) + r"\.(docx|pdf)$", re.IGNORECASE
    )
    found = set()
    if settings.reports_dir.is_dir():
        for path in settings.reports_dir.iterdir():
            if m := pattern.match(path.name):
                found.add(int(m.group(1)))
    return found


def _export_pdf(docx: Path, *, read_only: bool) -> Path:
    from kik_core.report import export_pdf

    pdf = docx.with_suffix(".pdf")
    if pdf.exists():
        raise RoundError(
            f"{pdf.name} gibt es schon in {pdf.parent}; kik überschreibt keine Berichte. "
            "Benennen Sie die Datei um, dann starten Sie erneut"
        )
    written = export_pdf(docx)
    if read_only:
        written.chmod(0o444)
    return written


def report(
    folder: Path | str | Settings,
    *,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
    output: Path | None = None,
    today: dt.date | None = None,
) -> ReportResult:
    """Write a new draft report of the current round (``Zwischenbericht_<Stichtag>_Entwurf_<n>``).

    The round is the open round; with ``as_of`` the round with that Stichtag.
    When none is open, the round for ``[bericht] stichtag`` (else the default
    Stichtag) is opened. The trend and the changes come from issued rounds only
    (``previous``, default: the last issued round, picks the one to compare with).
    No file in ``berichte/`` is ever replaced: each draft gets the next number.

    Raises:
        RoundError: the round is issued already (it never changes), or ``previous``
            is not an issued round.
    """
    settings = _settings(folder)
    day = _today(today)
    with open_store(settings) as store:
        current = _round_to_draft(store, settings, as_of, day)
        inputs = _round_inputs(store, settings, current, previous)
        board = _board_for(store, inputs.concept, current)
        if output is not None:
            number = current.drafts + 1
            try:
                docx = _write_docx(
                    settings,
                    inputs,
                    Path(output),
                    mode=0o644,
                    version_label=_draft_label(current, number),
                    board=board,
                )
            except FileExistsError as exc:
                raise ReportError(
                    f"{Path(output)} gibt es schon; kik überschreibt keine Berichte. "
                    "Wählen Sie einen anderen Namen"
                ) from exc
        else:
            number = max(current.drafts, *_draft_numbers(settings, current.stichtag), 0) + 1
            while True:
                target = settings.report_path(current.stichtag, REPORT_DRAFT.format(n=number))
                try:
                    docx = _write_docx(
                        settings,
                        inputs,
                        target,
                        mode=0o644,
                        version_label=_draft_label(current, number),
                        board=board,
                    )
                    break
                except FileExistsError:
                    number += 1
        current = store.record_draft(current.stichtag, number)
    pdf_path = (
        _export_pdf(docx, read_only=False)
        if (settings.report.pdf if pdf is None else pdf)
        else None
    )
    log.info("Bericht %s geschrieben: %s", settings.municipality, docx)
    return ReportResult(docx, pdf_path, inputs.snapshot, inputs.concept, current, inputs.late)


def round_preview(
    folder: Path | str | Settings, *, stichtag: dt.date | None = None
) -> ReportResult:
    """What issuing would freeze, without writing or storing anything.

    ``docx`` of the result is the path the issued report would get.

    Raises:
        RoundError: there is no such round (or no open round), or it is issued already.
    """
    settings = _settings(folder)
    with open_store(settings) as store:
        current = _round_to_issue(store, stichtag)
        inputs = _round_inputs(store, settings, current, None)
    target = settings.report_path(current.stichtag, REPORT_ISSUED)
    return ReportResult(target, None, inputs.snapshot, inputs.concept, current, inputs.late)


def _round_to_issue(store: Store, stichtag: dt.date | None) -> Round:
    current = store.round(stichtag) if stichtag is not None else store.current_round()
    if current is None:
        raise RoundError(
            f"Es gibt keine Runde zum Stichtag {format_date(stichtag)}"
            if stichtag is not None
            else "Es ist keine Runde offen. Öffnen Sie eine mit: kik runde oeffnen ORDNER"
        )
    if current.is_issued:
        raise RoundError(
            f"Die Runde zum Stichtag {format_date(current.stichtag)} ist schon herausgegeben "
            f"({current.issued_file}); eine herausgegebene Runde ändert sich nicht mehr"
        )
    return current


def issue(
    folder: Path | str | Settings,
    *,
    stichtag: dt.date | None = None,
    accept_conflicts: bool = False,
    pdf: bool | None = None,
) -> ReportResult:
    """Issue a round (``kik runde herausgeben``): freeze its snapshot, write the final report.

    The report ``Zwischenbericht_<Stichtag>_herausgegeben.docx`` is written (never
    over an existing file) and made read-only; in the same step the store keeps
    the full snapshot and marks the round herausgegeben. Whatever arrives later,
    the issued round never changes.

    Args:
        folder: the municipality folder (or its settings).
        stichtag: the round (default: the open round).
        accept_conflicts: issue although partners contradict each other (the
            conflicts are listed in the report).
        pdf: also export a (read-only) PDF (default: the ``pdf`` setting).

    Raises:
        RoundError: no such round, already issued, the report file exists, or open
            conflicts without ``accept_conflicts``. Nothing is changed.
    """
    from kik_core._atomic import atomic_path
    from kik_core.rounds import local_now

    settings = _settings(folder)
    with open_store(settings) as store:
        current = _round_to_issue(store, stichtag)
        inputs = _round_inputs(store, settings, current, None)
        if inputs.snapshot.conflicts and not accept_conflicts:
            ids = ", ".join(c.measure_id for c in inputs.snapshot.conflicts)
            raise RoundError(
                f"{len(inputs.snapshot.conflicts)} offene Widersprüche zwischen Partnern "
                f"({ids}). Klären Sie sie oder bestätigen Sie die Herausgabe ausdrücklich "
                "(kik runde herausgeben ORDNER --ja)"
            )
        target = settings.report_path(current.stichtag, REPORT_ISSUED)
        if target.exists() or (target.with_suffix(".pdf").exists() and pdf):
            raise RoundError(
                f"{target.name} gibt es schon in {target.parent}; kik überschreibt keine "
                "Berichte. Benennen Sie die vorhandene Datei um, dann starten Sie erneut"
            )
        issued_at = local_now().astimezone(dt.UTC)
        # the store commits only once the full report is on disk (as a temp file);
        # the file gets its final name only after the commit succeeded
        try:
            with atomic_path(target, overwrite=False) as temp:
                _write_docx(settings, inputs, temp, mode=0o644)
                current = store.issue_round(
                    current.stichtag, inputs.snapshot, issued_at=issued_at, file_name=target.name
                )
        except FileExistsError as exc:  # another file appeared under this name meanwhile
            raise RoundError(
                f"{target.name} ist in {target.parent} während des Herausgebens von anderer "
                "Seite angelegt worden; kik überschreibt keine Berichte. Die Runde ist im "
                "Speicher eingefroren, ihre Berichtsdatei aber nicht geschrieben"
            ) from exc
        target.chmod(0o444)  # an issued report is read-only
    pdf_path = (
        _export_pdf(target, read_only=True)
        if (settings.report.pdf if pdf is None else pdf)
        else None
    )
    log.info("%s: Runde %s herausgegeben: %s", settings.municipality, current.stichtag, target)
    return ReportResult(target, pdf_path, inputs.snapshot, inputs.concept, current, inputs.late)


def template_round(
    folder: Path | str | Settings, *, as_of: dt.date | None = None, today: dt.date | None = None
) -> Round:
    """The round templates are written for: the open round, the round with Stichtag
    ``as_of``, or (not stored) the round that ``kik runde oeffnen`` would open."""
    settings = _settings(folder)
    with open_store(settings) as store:
        found = store.round(as_of) if as_of is not None else store.current_round()
        if found is not None:
            return found
        candidate = _new_round(settings, as_of, None, _today(today))
        return store.round(candidate.stichtag) or candidate


def templates(
    folder: Path | str | Settings, *, as_of: dt.date | None = None, today: dt.date | None = None
) -> list[Path]:
    """Write a pre-filled update template per partner into the outbox.

    The templates belong to a round (see :func:`template_round`): "Stand am" is
    pre-filled with its Stichtag and its deadline is printed on them; statuses and
    texts are pre-filled with what the store knows up to the deadline.
    """
    from kik_core.ingest import write_partner_templates

    settings = _settings(folder)
    editions = load_editions(settings)
    current = template_round(settings, as_of=as_of, today=today)
    index = editions.index_at(current.stichtag)  # the edition in force at the Stichtag
    concept = editions.concepts[index]
    with open_store(settings) as store:
        snapshot = editions.snapshot(
            store.reports(concept.statuses),
            current.deadline,
            index=index,
            decisions=store.decisions(concept.statuses),
        )
    settings.outbox.mkdir(parents=True, exist_ok=True)
    contacts, office = _template_contacts(
        settings, concept, _concept_file(settings, concept, editions)
    )
    return write_partner_templates(
        concept,
        snapshot,
        settings.outbox,
        as_of=current.stichtag,
        deadline=current.deadline,
        contacts=contacts,
        office=office,
    )


def _template_contacts(
    settings: Settings, concept: Concept, concept_file: Path | None = None
) -> tuple[Sequence[PartnerContact], str | None]:
    """Contacts printed at the top of templates: the ``Partner`` sheet and the office's address."""
    from kik_core.concept_workbook import load_partner_contacts

    try:
        contacts = load_partner_contacts(concept_file or settings.concept_file, concept)
    except ConceptWorkbookError as exc:  # checked by kik validate; templates go out without
        log.debug("Partner sheet not used for templates: %s", exc)
        contacts = ()
    office = settings.email.sender if settings.email is not None else None
    return contacts, office


def run(
    folder: Path | str | Settings,
    *,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
    today: dt.date | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> RunResult:
    """Ingest the inbox, then write a new draft of the current round: the quarterly job.

    When no round is open, the round for ``as_of`` (default: ``[bericht] stichtag``,
    else the last cadence end before today) is opened first (see :func:`report`).

    Raises:
        RoundError: the round is issued already; checked before anything is ingested.
    """
    settings = _settings(folder)
    draft_round(settings, as_of=as_of, today=today)
    summary = ingest(settings, today=today, on_file=on_file)
    result = report(settings, as_of=as_of, previous=previous, pdf=pdf, today=today)
    return RunResult(summary, result)


# --- partner board, reminders and office decisions ----------------------------------
# (kept in one block: `kik rueckmeldungen`, `kik erinnern`, `kik entscheiden`)

__all__ += [  # appended in one block to keep merges with other work easy
    "BoardResult",
    "RemindResult",
    "decide",
    "partner_board",
    "remind",
]


@attrs.frozen
class BoardResult:
    """``kik rueckmeldungen``: the round's board and, if asked for, the office workbook."""

    board: PartnerBoard
    round: Round
    xlsx: Path | None = None


@attrs.frozen
class RemindResult:
    """``kik erinnern``: the mail-merge list and, with ``send``, what was e-mailed."""

    board: PartnerBoard
    round: Round
    csv: Path
    sent: SendResult | None = None


def _free_path(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem_2.suffix``... : never a file that exists."""
    path, n = folder / f"{stem}{suffix}", 2
    while path.exists():
        path, n = folder / f"{stem}_{n}{suffix}", n + 1
    return path


def _board_round(store: Store, stichtag: dt.date | None) -> Round:
    """The round a board is about: the given one, else the current, else the latest."""
    if stichtag is not None:
        found = store.round(stichtag)
        if found is None:
            raise RoundError(
                f"Es gibt keine Berichtsrunde zum Stichtag {format_date(stichtag)}. "
                "Die Runden zeigt: kik runde zeigen ORDNER"
            )
        return found
    rounds = store.rounds()
    current = store.current_round() or (rounds[-1] if rounds else None)
    if current is None:
        raise RoundError(
            "Es gibt noch keine Berichtsrunde. Öffnen Sie eine mit: kik runde oeffnen ORDNER"
        )
    return current


def _board_for(
    store: Store, concept: Concept, current: Round, contacts: Sequence[PartnerContact] = ()
) -> PartnerBoard:
    """The board of round ``current`` from the store (membership: rounds rule 2).

    For an issued round only the files ingested up to its issue count, so its
    board never changes either (late files show in the next round).
    """
    from kik_core.board import build_board
    from kik_core.rounds import round_for_date

    rounds = store.rounds()
    file_times = {f.content_hash: f.ingested_at for f in store.files()}
    reports = store.reports(concept.statuses)
    if current.issued_at is not None:
        issued_at = current.issued_at
        reports = [
            r
            for r in reports
            if r.source is None
            or r.source.content_hash not in file_times
            or file_times[r.source.content_hash] <= issued_at
        ]

    def in_round(report: StatusReport) -> bool:
        owner = round_for_date(rounds, report.as_of)
        return owner is not None and owner.stichtag == current.stichtag

    return build_board(
        concept,
        reports,
        stichtag=current.stichtag,
        deadline=current.deadline,
        in_round=in_round,
        file_times=file_times,
        contacts=contacts,
    )


def _build_board(
    settings: Settings, stichtag: dt.date | None
) -> tuple[Concept, PartnerBoard, Round, list[StatusReport], list[Decision]]:
    from kik_core.concept_workbook import load_partner_contacts

    editions = load_editions(settings)
    with open_store(settings) as store:
        current = _board_round(store, stichtag)
        index = editions.index_at(current.stichtag)  # the edition in force at the Stichtag
        concept = editions.concepts[index]
        contacts = load_partner_contacts(_concept_file(settings, concept, editions), concept)
        board = _board_for(store, concept, current, contacts)
        reports = store.reports(concept.statuses)
        decisions = store.decisions(concept.statuses)
        reports = editions.reports_in(index, reports, decisions=decisions)
        decisions = editions.decisions_in(index, decisions)
    return concept, board, current, reports, decisions


def partner_board(
    folder: Path | str | Settings, *, stichtag: dt.date | None = None, xlsx: bool = False
) -> BoardResult:
    """Who has reported in a round (default: the current round, else the latest).

    With ``xlsx`` the board is also written for the office as
    ``ausgang/Rueckmeldungen_<stichtag>.xlsx`` (a new name if that exists).

    Raises:
        RoundError: there is no such round (or no round at all).
        ConceptWorkbookError: the concept or its ``Partner`` sheet has errors.
    """
    from kik_core._board_views import write_board_xlsx

    settings = _settings(folder)
    _concept, board, current, _reports, _decisions = _build_board(settings, stichtag)
    path = None
    if xlsx:
        settings.outbox.mkdir(parents=True, exist_ok=True)
        stem = f"Rueckmeldungen_{current.stichtag.isoformat()}"
        path = write_board_xlsx(board, _free_path(settings.outbox, stem, ".xlsx"))
    return BoardResult(board, current, path)


def _templates_by_partner(paths: Sequence[Path], partners: Sequence[str]) -> dict[str, Path]:
    """Which written template belongs to which partner (by the title on its instructions)."""
    from openpyxl import load_workbook

    from kik_core.model import partner_key

    wanted = {f"Rückmeldung {p}": partner_key(p) for p in partners}
    found: dict[str, Path] = {}
    for path in paths:
        workbook = load_workbook(path, read_only=True)
        try:
            lines = [str(row[0]) for row in workbook["Anleitung"].iter_rows(values_only=True)]
        finally:
            workbook.close()
        for title, key in wanted.items():
            if title in lines:
                found[key] = path
    return found


def remind(
    folder: Path | str | Settings,
    *,
    stichtag: dt.date | None = None,
    send: bool = False,
    environ: dict[str, str] | None = None,
) -> RemindResult:
    """Write the reminder list for a round and, with ``send``, e-mail the partners.

    The list (``ausgang/Erinnerungen_<stichtag>.csv``, UTF-8 with BOM, ``;``) has
    one row per partner with missing measures. With ``send``, every such partner
    with an e-mail address (sheet ``Partner``) who was not reminded for this
    round yet gets a German e-mail with the round's pre-filled template attached.

    Raises:
        MailError: ``send`` without ``[email]`` in kik.toml, or the password
            variable is not set (both checked before anything is written), or
            the server is down / refuses the login or sender.
        RoundError: there is no such round, or it is issued already.
    """
    import tempfile

    from kik_core.errors import MailError
    from kik_core.ingest import write_partner_templates
    from kik_core.mail import smtp_password
    from kik_core.reminders import send_reminders, write_reminder_csv

    settings = _settings(folder)
    password: str | None = None
    if send:
        if settings.email is None:
            raise MailError(
                "Für den Versand fehlt in kik.toml die Tabelle [email] (host, absender, ...); "
                "siehe docs/kommunen/einstellungen.md. Ohne --senden schreibt kik erinnern "
                "nur die Liste für den Serienbrief."
            )
        password = smtp_password(settings.email, environ)
    concept, board, current, reports, decisions = _build_board(settings, stichtag)
    if current.is_issued:
        raise RoundError(
            f"Die Runde zum Stichtag {format_date(current.stichtag)} ist herausgegeben: "
            "Erinnerungen gibt es nur für eine offene Runde (kik runde oeffnen ORDNER)"
        )
    csv_path = write_reminder_csv(board, concept, settings.outbox)
    if not send or settings.email is None:
        return RemindResult(board, current, csv_path)
    due = [p.partner for p in board.waiting if p.email]
    snapshot = build_snapshot(concept, reports, current.deadline, decisions=decisions)
    contacts, office = _template_contacts(settings, concept)
    with tempfile.TemporaryDirectory(prefix="kik-erinnern-") as temp:
        paths = write_partner_templates(
            concept,
            snapshot,
            Path(temp),
            as_of=current.stichtag,
            deadline=current.deadline,
            contacts=contacts,
            office=office,
        )
        with open_store(settings) as store:
            result = send_reminders(
                board,
                concept,
                email=settings.email,
                password=password,
                log_book=store,
                templates=_templates_by_partner(paths, due),
                municipality=settings.municipality,
            )
    return RemindResult(board, current, csv_path, result)


def decide(
    folder: Path | str | Settings,
    measure_id: str,
    status: str,
    *,
    reason: str,
    by: str | None = None,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Decision:
    """Record an office decision: ``measure_id`` has ``status`` from ``as_of`` on.

    Args:
        folder: the municipality folder.
        measure_id: a measure of the concept (``BS-1.1``).
        status: ``wartend``, ``in Bearbeitung`` or ``implementiert``.
        reason: why (shown in the report's annex); must not be empty.
        by: who decides (default: the operating-system user).
        as_of: from when the decision holds (status rule 7). Default: today, but
            not after the deadline of the round in progress, so that the decision
            counts in that round's report.
        today: today's date (default: today in Europe/Berlin).
        now: when the decision is recorded (default: now).

    Raises:
        DecisionError: unknown measure, invalid status, empty reason, date in the
            future (German message; nothing is stored).
    """
    import getpass

    from kik_core.errors import DecisionError, ModelError
    from kik_core.model import Decision
    from kik_core.rounds import local_today

    settings = _settings(folder)
    if settings.editions and as_of is not None:  # the edition in force at that date
        concept = load_editions(settings).concept_at(as_of)
    else:
        concept = load_concept(settings.concept_file)
    measure_id = concept.canonical_id(measure_id) or measure_id.strip()
    if not concept.is_measure(measure_id):
        example = next(iter(concept.direct_measures_of(measure_id)), None)
        hint = (
            f" (das ist ein Ziel: entschieden wird über Maßnahmen, z. B. {example.id})"
            if concept.is_goal(measure_id) and example is not None
            else ""
        )
        raise DecisionError(
            f"Die Maßnahme „{measure_id}“ gibt es im Konzept nicht{hint}. Nichts wurde gespeichert."
        )
    try:
        parsed = concept.statuses.parse(status.replace("_", " ").replace("-", " "))
    except ModelError as exc:
        allowed = ", ".join(
            f"„{label}“" if " " in label else label for label in concept.statuses.labels
        )
        raise DecisionError(
            f"„{status}“ ist kein gültiger Status (erlaubt: {allowed}). Nichts wurde gespeichert."
        ) from exc
    if not reason.strip():
        raise DecisionError(
            'Bitte geben Sie eine Begründung an (--grund "…"). Nichts wurde gespeichert.'
        )
    today = today or local_today()
    if as_of is not None and as_of > today:
        raise DecisionError(
            f"Das Datum {format_date(as_of)} liegt in der Zukunft (heute ist der "
            f"{format_date(today)}). Nichts wurde gespeichert."
        )
    if not by:
        try:
            by = getpass.getuser()
        except (OSError, KeyError):  # no user name in the environment
            by = "unbekannt"
    with open_store(settings) as store:
        if as_of is None:
            current = store.current_round()
            as_of = min(today, current.deadline) if current is not None else today
        decision = Decision(measure_id, parsed, as_of, reason, by, now or dt.datetime.now(dt.UTC))
        store.add_decision(decision)
    log.info("%s: Entscheidung %s → %s", settings.municipality, measure_id, parsed.label)
    return decision


# --------------------------------------------------------------------------- web edition

#: The default folder of the web edition inside the municipality folder.
PUBLISH_FOLDER = "veroeffentlichung"
#: The default folder of a draft web edition.
DRAFT_FOLDER = "veroeffentlichung-entwurf"


@attrs.frozen
class PublishResult:
    """A written web edition: its folder, pages, open-data files and the snapshot used."""

    folder: Path
    pages: tuple[str, ...]
    data_files: tuple[str, ...]
    snapshot: Snapshot
    draft: bool

    @property
    def index(self) -> Path:
        """The start page."""
        return self.folder / "index.html"


def _publish_inputs(
    store: Store, settings: Settings, *, draft: bool, as_of: dt.date | None
) -> tuple[Concept, Snapshot, tuple[Snapshot, ...], tuple[LateCorrection, ...]]:
    """The snapshot a site shows, the issued rounds before it and its late corrections.

    Changes nothing in the store.
    """
    from kik_core.rounds import late_corrections

    issued = store.issued_snapshots()
    if draft:
        current = store.round(as_of) if as_of is not None else store.current_round()
        if current is None:
            raise RoundError(
                "Es ist keine Runde offen, deren Entwurf veröffentlicht werden könnte"
                + (f" (Stichtag {format_date(as_of)})" if as_of else "")
                + ". Öffnen Sie eine mit: kik runde oeffnen ORDNER"
            )
        if current.is_issued:
            raise RoundError(
                f"Die Runde zum Stichtag {format_date(current.stichtag)} ist herausgegeben: "
                "veröffentlichen Sie sie ohne --entwurf"
            )
        inputs = _round_inputs(store, settings, current, None)
        return inputs.concept, inputs.snapshot, inputs.history, inputs.late
    if not issued:
        raise RoundError(
            "Es gibt noch keine herausgegebene Runde: veröffentlicht wird nur ein "
            "herausgegebener Bericht (kik runde herausgeben ORDNER). Einen Entwurf der "
            "Website für das Büro schreibt: kik veroeffentlichen ORDNER --entwurf"
        )
    chosen = issued[-1]
    if as_of is not None:
        matching = [s for s in issued if s.as_of == as_of]
        if not matching:
            raise RoundError(
                f"Zum Stichtag {format_date(as_of)} gibt es keine herausgegebene Runde "
                "(kik runde zeigen listet sie)"
            )
        chosen = matching[0]
    earlier = tuple(s for s in issued if s.as_of < chosen.as_of)
    # the late corrections the issued report listed: those ingested before its issue
    issued_round = store.round(chosen.as_of)
    late: tuple[LateCorrection, ...] = ()
    concept = load_editions(settings).concept_of(chosen)  # the edition it was issued in
    if issued_round is not None and issued_round.issued_at is not None:
        ingested = {f.content_hash: f.ingested_at for f in store.files()}
        reports = store.reports(concept.statuses)  # the concept's own scheme (issue 17)
        late = tuple(
            c
            for c in late_corrections(reports, store.rounds(), ingested, current=issued_round)
            if c.ingested_at <= issued_round.issued_at
        )
    return concept, chosen, earlier, late


def publish(
    folder: Path | str | Settings,
    *,
    target: Path | None = None,
    draft: bool = False,
    as_of: dt.date | None = None,
) -> PublishResult:
    """Write the static web edition with its open data (``kik veroeffentlichen``).

    The site shows an issued round: its frozen snapshot (the latest issued round,
    or the one with Stichtag ``as_of``), with the history over the issued rounds
    before it and their open data. With ``draft`` it shows the open round (as its
    next draft report would) and says "Entwurf – nicht veröffentlichen" on every
    page. Nothing in the store changes. The site goes to ``target``, else
    ``[web] ziel``, else ``DIR/veroeffentlichung`` (a draft to
    ``DIR/veroeffentlichung-entwurf``); the folder is replaced as a whole.

    Raises:
        RoundError: no issued round (or, for a draft, no open round).
        PublishError: the target holds files kik did not write or is not writable.
    """
    from kik_core._licences import LICENCES
    from kik_core.presentation import concept_at, present
    from kik_core.web import SiteOptions, build_site

    settings = _settings(folder)
    editions = load_editions(settings) if settings.editions else None
    with open_store(settings) as store:
        full_concept, snapshot, history, late = _publish_inputs(
            store, settings, draft=draft, as_of=as_of
        )
    concept = concept_at(full_concept, snapshot)
    content = load_report_content(_concept_file(settings, full_concept, editions), full_concept)
    web = settings.web
    presentation = present(
        concept,
        snapshot,
        content=content,
        history=history,
        title=settings.report.title,
        subtitle=settings.report.subtitle,
        period_label=settings.report.period_label,
        publisher=settings.report.publisher,
        foreword=_read_text(settings.report.foreword),
        foreword_author=settings.report.foreword_author,
        sections=_texts(settings.report.sections_front),
        sections_back=_texts(settings.report.sections_back),
        thanks=settings.report.thanks,
        late=late,
        editions=editions,
    )
    overrides = settings.folder / "web"
    options = SiteOptions(
        draft=draft,
        licence=LICENCES[web.licence] if web.licence else None,
        attribution=web.attribution or settings.municipality,
        easy_language=_read_text(web.easy_language),
        overrides=overrides if overrides.is_dir() else None,
    )
    default = settings.folder / (DRAFT_FOLDER if draft else PUBLISH_FOLDER)
    destination = target or (web.target if web.target and not draft else None) or default
    site = build_site(
        presentation,
        full_concept,
        snapshot,
        destination,
        history=history,
        options=options,
        concept_of=editions.concept_of if editions is not None else None,
    )
    log.info("web edition %s written to %s", settings.municipality, site.folder)
    return PublishResult(site.folder, site.pages, site.data_files, snapshot, draft)


# --------------------------------------------------------------------------- Fortschreibung

__all__ += ["mapping_template"]  # appended in one block to keep merges with other work easy


def _given_file(settings: Settings, value: Path) -> Path:
    """A workbook named on the command line: as given, else inside the folder."""
    if value.is_file() or value.is_absolute():
        return value
    return settings.folder / value


def mapping_template(
    folder: Path | str | Settings,
    *,
    previous: Path | None = None,
    new: Path | None = None,
    output: Path | None = None,
) -> Path:
    """Write the mapping workbook for a *Fortschreibung* (``kik vorlage zuordnung``).

    One row per measure of the previous edition and per new measure; the office
    fills in the kind (dropdown) and the numbers, then names the file as
    ``zuordnung`` in ``[[konzept.fortschreibung]]`` (see
    :func:`kik_core.editions.write_mapping_template`).

    Args:
        folder: the municipality folder.
        previous: the previous edition's workbook (default: the ``vorgaenger`` of
            the last ``[[konzept.fortschreibung]]``).
        new: the new edition's workbook (default: ``[konzept] datei``).
        output: the file to write (default: ``zuordnung.xlsx`` in the folder, or
            ``zuordnung_2.xlsx``... if that exists). An existing file is never replaced.

    Raises:
        SettingsError: no previous edition is given or declared.
        ConceptWorkbookError: one of the workbooks has errors.
        ReportError: ``output`` exists already.
    """
    from kik_core.editions import write_mapping_template
    from kik_core.errors import SettingsError

    settings = _settings(folder)
    if previous is None:
        if not settings.editions:
            raise SettingsError(
                "Welche Fassung ist die bisherige? Geben Sie sie an, z. B. kik vorlage "
                "zuordnung ORDNER --alt konzept_2021.xlsx (die neue Fassung ist [konzept] "
                "datei, oder --neu DATEI)"
            )
        previous = settings.editions[-1].previous
    old_file = _given_file(settings, previous)
    new_file = _given_file(settings, new) if new is not None else settings.concept_file
    for option, path in (("--alt", old_file), ("--neu", new_file)):
        if not path.is_file():
            raise SettingsError(
                f"{option}: das Konzept-Arbeitsbuch {path} gibt es nicht; nennen Sie die "
                "Datei relativ zum Ordner der Kommune, z. B. --alt konzept_2021.xlsx"
            )
    if old_file.resolve() == new_file.resolve():
        raise SettingsError(
            f"Bisherige und neue Fassung sind dieselbe Datei ({new_file.name}); geben Sie "
            "die bisherige mit --alt und die neue mit --neu an"
        )
    old_concept, new_concept = load_concept(old_file), load_concept(new_file)
    target = (
        output.absolute()
        if output is not None
        else _free_path(settings.folder, "zuordnung", ".xlsx")
    )
    try:
        written = write_mapping_template(target, old_concept, new_concept)
    except FileExistsError as exc:
        raise ReportError(
            f"{target.name} gibt es schon in {target.parent}; kik überschreibt keine Datei, "
            "die jemand bearbeitet haben könnte. Wählen Sie einen anderen Namen (--ausgabe)"
        ) from exc
    log.info("Zuordnung %s → %s geschrieben: %s", old_file.name, new_file.name, written)
    return written
