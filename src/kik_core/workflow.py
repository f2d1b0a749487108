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
    from kik_core.ingest import FileOutcome, FileResult, IngestSummary, Limits
    from kik_core.store import Store

__all__ = [
    "FOLDERS",
    "PublishResult",
    "ReportResult",
    "RunResult",
    "ValidationResult",
    "ingest",
    "init_folder",
    "open_store",
    "publish",
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

    return Store.open(settings.store_url)


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


def publish(
    folder: Path | str | Settings,
    *,
    target: Path | None = None,
    draft: bool = False,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
) -> PublishResult:
    """Write the static web edition with its open data (``kik veroeffentlichen``).

    The site shows the same snapshot as the report (``as_of``/``previous`` as in
    :func:`report`) with the history over the earlier reporting dates. It goes to
    ``target``, else ``[web] ziel``, else ``DIR/veroeffentlichung`` (a draft to
    ``DIR/veroeffentlichung-entwurf``); the folder is replaced as a whole.

    Raises:
        PublishError: the target holds files kik did not write or is not writable.
    """
    from kik_core._licences import LICENCES
    from kik_core.presentation import present
    from kik_core.web import SiteOptions, build_site

    settings = _settings(folder)
    concept, history, snapshot = _snapshot_inputs(settings, as_of, previous)
    content = load_report_content(settings.concept_file, concept)
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
        presentation, concept, snapshot, destination, history=history, options=options
    )
    log.info("web edition %s written to %s", settings.municipality, site.folder)
    return PublishResult(site.folder, site.pages, site.data_files, snapshot, draft)
