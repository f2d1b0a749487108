"""The jobs on a municipality folder: init, validate, ingest, templates, report, run.

The ``kik`` command line and the Prefect flows in ``pipelines/`` are thin layers
over these functions: each takes the folder, does one job through the library
and returns a small result value. No business rule lives here either; this
module only wires settings, readers, store, rules and report together.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from kik_core.concept_workbook import (
    load_concept,
    load_report_content,
    write_concept_template,
)
from kik_core.errors import ConceptWorkbookError, Problem, SettingsError
from kik_core.model import Concept
from kik_core.rules import Snapshot, build_snapshot
from kik_core.settings import SETTINGS_FILE, Settings, load_settings, settings_template

if TYPE_CHECKING:
    from kik_core.board import PartnerBoard
    from kik_core.ingest import FileOutcome, FileResult, IngestSummary, Limits
    from kik_core.model import Decision, StatusReport
    from kik_core.reminders import SendResult
    from kik_core.rounds import Round
    from kik_core.store import Store

__all__ = [
    "FOLDERS",
    "ReportResult",
    "RunResult",
    "ValidationResult",
    "ingest",
    "init_folder",
    "open_store",
    "report",
    "run",
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

    @property
    def ok(self) -> bool:
        """True when the concept loads and every row of every file would be accepted."""
        return not self.concept_problems and all(
            not f.rejected and f.unreadable is None for f in self.files
        )


@attrs.frozen
class ReportResult:
    """A generated report: its files and the snapshot every number came from."""

    docx: Path
    pdf: Path | None
    snapshot: Snapshot
    concept: Concept


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


def open_store(settings: Settings) -> Store:
    """Open (and migrate) the folder's status store."""
    from kik_core.store import Store

    return Store.open(settings.store_url, municipality=settings.municipality_key)


def _limits(settings: Settings) -> Limits:
    from kik_core.ingest import Limits

    return Limits(max_bytes=settings.max_bytes, max_rows=settings.max_rows)


def validate(folder: Path | str | Settings, *, today: dt.date | None = None) -> ValidationResult:
    """Check the concept workbook and every file in the inbox without storing or moving anything."""
    from kik_core.ingest import inbox_files, read_update_file

    settings = _settings(folder)
    try:
        concept = load_concept(settings.concept_file)
    except ConceptWorkbookError as exc:
        return ValidationResult(None, exc.problems, ())
    limits = _limits(settings)
    files = tuple(
        read_update_file(path, concept, today=today, limits=limits)
        for path in inbox_files(settings.inbox)
    )
    return ValidationResult(concept, (), files)


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
    concept = load_concept(settings.concept_file)
    for sub in (settings.inbox, settings.archive, settings.quarantine, settings.outbox):
        sub.mkdir(parents=True, exist_ok=True)
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
        )
    log.info(
        "ingest %s: %d files, %d rows accepted, %d rejected",
        settings.municipality,
        len(summary.files),
        summary.rows_accepted,
        summary.rows_rejected,
    )
    return summary


def _snapshot_inputs(
    settings: Settings, as_of: dt.date | None, previous: dt.date | None
) -> tuple[Concept, list[Snapshot], Snapshot]:
    from kik_core.ingest import local_today

    concept = load_concept(settings.concept_file)
    with open_store(settings) as store:
        reports = store.reports()
        dates = store.report_dates()
    as_of = as_of or settings.report.as_of or local_today()
    earlier = [d for d in dates if d < as_of]
    previous = previous or settings.report.previous or (earlier[-1] if earlier else None)
    if previous is not None and previous >= as_of:
        raise SettingsError(
            f"Der Vergleichsstichtag {previous:%d.%m.%Y} muss vor dem "
            f"Stichtag {as_of:%d.%m.%Y} liegen"
        )
    snapshot = build_snapshot(concept, reports, as_of, previous)
    history = [build_snapshot(concept, reports, d) for d in earlier] + [snapshot]
    return concept, history, snapshot


def _read_text(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None else ""


def _texts(paths: Sequence[Path]) -> tuple[str, ...]:
    return tuple(p.read_text(encoding="utf-8") for p in paths)


def report(
    folder: Path | str | Settings,
    *,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
    output: Path | None = None,
) -> ReportResult:
    """Build the interim report from the store at ``as_of`` (default: settings, then today).

    ``previous`` (default: settings, then the latest recorded date before
    ``as_of``) is the date that "changes since the last report" compares with.
    With ``pdf`` (default: the ``pdf`` setting) a PDF is exported through
    LibreOffice beside the DOCX.
    """
    from kik_core.report import ReportOptions, build_report, export_pdf

    settings = _settings(folder)
    concept, history, snapshot = _snapshot_inputs(settings, as_of, previous)
    content = load_report_content(settings.concept_file, concept)
    rs = settings.report
    options = ReportOptions(
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
    )
    target = output or settings.report_path(snapshot.as_of)
    target.parent.mkdir(parents=True, exist_ok=True)
    docx = build_report(
        concept, snapshot, target, options=options, content=content, history=history
    )
    pdf_path = export_pdf(docx) if (rs.pdf if pdf is None else pdf) else None
    log.info("report %s written to %s", settings.municipality, docx)
    return ReportResult(docx, pdf_path, snapshot, concept)


def templates(folder: Path | str | Settings, *, as_of: dt.date | None = None) -> list[Path]:
    """Write a pre-filled update template per partner into the outbox."""
    from kik_core.ingest import local_today, write_partner_templates

    settings = _settings(folder)
    concept = load_concept(settings.concept_file)
    as_of = as_of or local_today()
    with open_store(settings) as store:
        snapshot = build_snapshot(concept, store.reports(), as_of)
    settings.outbox.mkdir(parents=True, exist_ok=True)
    return write_partner_templates(concept, snapshot, settings.outbox, as_of=as_of)


def run(
    folder: Path | str | Settings,
    *,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
    today: dt.date | None = None,
    on_file: Callable[[FileOutcome], None] | None = None,
) -> RunResult:
    """Ingest the inbox, then build the report: the quarterly job."""
    settings = _settings(folder)
    summary = ingest(settings, today=today, on_file=on_file)
    result = report(settings, as_of=as_of, previous=previous, pdf=pdf)
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
    from kik_core.errors import RoundError

    if stichtag is not None:
        found = store.round(stichtag)
        if found is None:
            raise RoundError(
                f"Es gibt keine Berichtsrunde zum Stichtag {stichtag:%d.%m.%Y}. "
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


def _build_board(
    settings: Settings, stichtag: dt.date | None
) -> tuple[Concept, PartnerBoard, Round, list[StatusReport], list[Decision]]:
    from kik_core.board import build_board
    from kik_core.concept_workbook import load_partner_contacts
    from kik_core.rounds import round_for_date

    concept = load_concept(settings.concept_file)
    contacts = load_partner_contacts(settings.concept_file, concept)
    with open_store(settings) as store:
        current = _board_round(store, stichtag)
        rounds = store.rounds()
        reports = store.reports()
        file_times = {f.content_hash: f.ingested_at for f in store.files()}
        decisions = store.decisions()

    def in_round(report: StatusReport) -> bool:
        owner = round_for_date(rounds, report.as_of)
        return owner is not None and owner.stichtag == current.stichtag

    board = build_board(
        concept,
        reports,
        stichtag=current.stichtag,
        deadline=current.deadline,
        in_round=in_round,
        file_times=file_times,
        contacts=contacts,
    )
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

    wanted = {f" – {p}": partner_key(p) for p in partners}
    found: dict[str, Path] = {}
    for path in paths:
        workbook = load_workbook(path, read_only=True)
        try:
            lines = [str(row[0]) for row in workbook["Anleitung"].iter_rows(values_only=True)]
        finally:
            workbook.close()
        for suffix, key in wanted.items():
            if any(line.endswith(suffix) for line in lines):
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
        RoundError: there is no such round.
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
    csv_path = write_reminder_csv(board, concept, settings.outbox)
    if not send or settings.email is None:
        return RemindResult(board, current, csv_path)
    due = [p.partner for p in board.waiting if p.email]
    snapshot = build_snapshot(concept, reports, current.deadline, decisions=decisions)
    with tempfile.TemporaryDirectory(prefix="kik-erinnern-") as temp:
        paths = write_partner_templates(concept, snapshot, Path(temp), as_of=current.stichtag)
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
    from kik_core.model import Decision, Status, is_goal_id
    from kik_core.rounds import local_today

    settings = _settings(folder)
    concept = load_concept(settings.concept_file)
    measure_id = measure_id.strip()
    if measure_id not in {m.id for m in concept.measures}:
        hint = (
            f" (das ist ein Ziel: entschieden wird über Maßnahmen, z. B. {measure_id}.1)"
            if is_goal_id(measure_id) and concept.has_id(measure_id)
            else ""
        )
        raise DecisionError(
            f"Die Maßnahme „{measure_id}“ gibt es im Konzept nicht{hint}. Nichts wurde gespeichert."
        )
    try:
        parsed = Status.parse(status.replace("_", " ").replace("-", " "))
    except ModelError as exc:
        raise DecisionError(
            f"„{status}“ ist kein gültiger Status (erlaubt: wartend, „in Bearbeitung“, "
            "implementiert). Nichts wurde gespeichert."
        ) from exc
    if not reason.strip():
        raise DecisionError(
            'Bitte geben Sie eine Begründung an (--grund "…"). Nichts wurde gespeichert.'
        )
    today = today or local_today()
    if as_of is not None and as_of > today:
        raise DecisionError(
            f"Das Datum {as_of:%d.%m.%Y} liegt in der Zukunft (heute ist der "
            f"{today:%d.%m.%Y}). Nichts wurde gespeichert."
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
