"""Prefect tasks and flows over :mod:`kik_core.workflow`.

Two tasks wrap the two jobs of a municipality folder:

* :func:`ingest_task` calls :func:`kik_core.workflow.ingest` and publishes a table
  of the rejected rows;
* :func:`report_task` calls :func:`kik_core.workflow.report` and publishes the
  status counts per field and a link to the report.

The quarterly flow adds :func:`publish_task`, which writes the web edition of the
latest issued round (:func:`kik_core.workflow.publish`) unless it is up to date.

Both take the folder as a ``str`` and return a small ``dict`` of plain values, so
they run on any task runner (threads or Dask processes) and nothing else
(connections, sessions, snapshots) crosses a task boundary. They retry on errors
that may go away (a locked file, a network share, a database restart) but not on
:class:`kik_core.errors.KikError`: a broken ``kik.toml`` or concept workbook fails
at once.

The flows:

* :func:`ingest_inbox` and :func:`build_report`: one job on one folder;
* :func:`quarterly_report`: ingest, then report, for one folder (what the
  schedule runs);
* :func:`state_report`: the quarterly job for many folders at once; a failing
  municipality never stops the others, and the flow ends with a summary.

**Run states.** What the Prefect UI's run list shows (type, then name):

==============================  =============================================
``Completed`` / ``Completed``    everything accepted, report written
``Completed`` / ``Mit Ablehnungen``  rows rejected or files quarantined; the
                                report was written, partners must correct
``Completed`` / ``Website nicht veröffentlicht``  the report was written, the
                                web edition could not be (reason in the summary)
``Completed`` / ``Übersprungen``  the round was issued already: only published
``Failed`` / ``Failed``          the run stopped (e.g. a broken ``kik.toml``)
``Failed`` / ``Teilweise fehlgeschlagen``  :func:`state_report`: some
                                municipalities failed, the others are done
==============================  =============================================

The state's message says in German what happened; the Markdown artifact
``<folder>-zusammenfassung`` says what needs attention. Failed runs and runs with
rejections or an unpublished site are mailed to the office
(:mod:`kik_pipelines.notify`). Every task run carries the tag ``kommune:<folder>``
(:func:`municipality_tag`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

from prefect import Flow, flow, get_run_logger, tags, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.context import TaskRunContext
from prefect.deployments import run_deployment
from prefect.exceptions import MissingContextError
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import deployment as current_deployment
from prefect.runtime import task_run
from prefect.settings import PREFECT_UI_URL
from prefect.states import Completed, Failed
from prefect.task_runners import ThreadPoolTaskRunner

from kik_core import __version__ as kik_version
from kik_core import workflow
from kik_core._locale import format_date, format_datetime, plural
from kik_core._names import slug as _slug
from kik_core.errors import KikError, StoreError
from kik_core.rounds import default_stichtag, local_today
from kik_core.settings import DEFAULT_REMIND_DAYS, load_settings
from kik_pipelines._logs import install_kik_error_filter
from kik_pipelines.notify import notify_run

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun, State, TaskRun
    from prefect.task_runners import TaskRunner
    from prefect.tasks import Task

    from kik_core.ingest import FileOutcome, IngestSummary
    from kik_core.settings import Settings
    from kik_core.workflow import ReportResult

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_REMIND_DAYS",
    "MAX_THREADS",
    "NOT_PUBLISHED",
    "PARTLY_FAILED",
    "STEPS",
    "WITH_REJECTIONS",
    "attention",
    "build_report",
    "failed_markdown",
    "follow_up_times",
    "ingest_inbox",
    "ingest_task",
    "municipality_tag",
    "open_round_task",
    "publish_points",
    "publish_task",
    "quarterly_markdown",
    "quarterly_report",
    "quarterly_state",
    "remind_task",
    "report_task",
    "retry_transient",
    "schedule_follow_ups",
    "slug",
    "state_report",
    "state_report_state",
]

install_kik_error_filter()

#: The name of the Completed state of a run with rejected rows or quarantined files.
WITH_REJECTIONS = "Mit Ablehnungen"
#: The name of the Completed state of a quarterly run whose web edition could not be
#: published (the report was written; the reason is in the message and the summary).
NOT_PUBLISHED = "Website nicht veröffentlicht"
#: The name of the Failed state of a :func:`state_report` run in which municipalities failed.
PARTLY_FAILED = "Teilweise fehlgeschlagen"
#: The steps of :func:`quarterly_report` (its ``step`` parameter): the scheduled quarter
#: start, the reminders before the partners' deadline, the draft after it.
STEP_QUARTER, STEP_REMIND, STEP_DRAFT = "quartal", "erinnern", "entwurf"
STEPS = (STEP_QUARTER, STEP_REMIND, STEP_DRAFT)
#: The time of day of the follow-up runs (reminders, draft), in the schedule's zone.
FOLLOW_UP_TIME = dt.time(6, 0)

#: How many municipalities :func:`state_report` processes at once by default.
DEFAULT_MAX_WORKERS = 8
#: The size of the thread pool behind :func:`state_report` (Prefect's default is
#: unbounded); ``max_workers`` above this is capped by the pool.
MAX_THREADS = 32
#: Seconds to wait before the first and the second retry.
RETRY_DELAYS: list[float] = [10.0, 60.0]
#: Upper bounds for one ingest and one report (a hung network share must not
#: block the quarterly run forever).
INGEST_TIMEOUT = 15 * 60
REPORT_TIMEOUT = 30 * 60
PUBLISH_TIMEOUT = 30 * 60


def slug(text: str) -> str:
    """A Prefect-safe name for a folder or municipality: lowercase, digits and dashes.

    Used for deployment names and artifact keys (which allow only ``[a-z0-9-]``);
    the one slug function of kik (:func:`kik_core._names.slug`).

    >>> slug("Kempten (Allgäu)")
    'kempten-allgaeu'
    >>> slug("Städte/Groß-Gerau")
    'staedte-gross-gerau'
    """
    return _slug(text, lower=True, fallback="kommune")


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run logger inside a run; a plain logger when called through ``.fn()``."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("kik_pipelines.flows")


def _in_task_run() -> bool:
    """True inside a task run: artifacts are published only there (not from ``.fn()``)."""
    return TaskRunContext.get() is not None


def _run_name(step: str) -> Callable[[], str]:
    """Task run names like ``ingest-kempten``: the step and the folder's name."""

    def name() -> str:
        return f"{step}-{Path(str(task_run.parameters['folder'])).name}"

    return name


def _folder_slug(folder: str) -> str:
    return slug(Path(folder).name)


def municipality_tag(folder: str | Path) -> str:
    """The tag of every run of one municipality folder: ``kommune:<folder slug>``.

    >>> municipality_tag("/srv/kik/Kempten (Allgäu)")
    'kommune:kempten-allgaeu'
    """
    return f"kommune:{_folder_slug(str(folder))}"


def retry_transient(task: Task[..., Any], task_run: TaskRun, state: State[Any]) -> bool:
    """``retry_condition_fn``: retry unless the failure is a :class:`KikError`.

    A :class:`KikError` (missing ``kik.toml``, broken concept workbook, ...) will
    not go away by waiting, so the task fails at once. :class:`StoreError` is
    the exception: it also wraps a database that is briefly unreachable.
    Anything else (``OSError`` from a locked file or a network share, a timeout)
    is retried.
    """
    try:
        state.result()
    except StoreError:
        return True
    except KikError:
        return False
    except Exception:  # anything else (OSError, timeouts, database hiccups) may pass
        return True
    return False


def _ingest_values(folder: str, summary: IngestSummary) -> dict[str, Any]:
    outcomes: dict[str, int] = {}
    for file in summary.files:
        name = file.outcome.value
        outcomes[name] = outcomes.get(name, 0) + 1
    return {
        "folder": folder,
        "files": len(summary.files),
        "rows_accepted": summary.rows_accepted,
        "rows_rejected": summary.rows_rejected,
        "files_quarantined": summary.files_quarantined,
        "outcomes": outcomes,
        "error_workbooks": [str(f.error_workbook) for f in summary.files if f.error_workbook],
        "quarantined": [str(f.moved_to) for f in summary.files if f.outcome.value == "quarantined"],
    }


@task(
    name="ingest",
    task_run_name=_run_name("ingest"),
    retries=2,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
    timeout_seconds=INGEST_TIMEOUT,
)
def ingest_task(folder: str) -> dict[str, Any]:
    """Ingest the folder's inbox; publish the rejected rows as a table artifact.

    Returns:
        ``folder``, ``files``, ``rows_accepted``, ``rows_rejected``,
        ``files_quarantined``, ``outcomes`` (number of files per outcome),
        ``error_workbooks`` and ``quarantined`` (paths as ``str``).
    """
    logger = _logger()

    def on_file(outcome: FileOutcome) -> None:
        logger.info(
            "%s: %s (%d Zeilen angenommen, %d abgelehnt)",
            outcome.name,
            outcome.outcome.value,
            outcome.rows_accepted,
            outcome.rows_rejected,
        )

    summary = workflow.ingest(folder, on_file=on_file)
    values = _ingest_values(folder, summary)
    rejected = summary.rejected_rows()
    if rejected and _in_task_run():
        create_table_artifact(
            table=rejected,
            key=f"{_folder_slug(folder)}-rejected-rows",
            description=(
                f"Abgelehnte Zeilen und Dateien in Quarantäne, {Path(folder).name}: "
                f"{summary.rows_rejected} Zeilen (Fehler-Arbeitsmappen liegen in ausgang/)"
            ),
        )
    if rejected:
        logger.warning(
            "%s: %d Zeilen abgelehnt, %d Dateien in Quarantäne; Fehler-Arbeitsmappen in ausgang/",
            folder,
            summary.rows_rejected,
            summary.files_quarantined,
        )
    logger.info(
        "%s: %d Dateien, %d Zeilen angenommen, %d abgelehnt",
        folder,
        values["files"],
        values["rows_accepted"],
        values["rows_rejected"],
    )
    return values


def counts_markdown(result: ReportResult) -> str:
    """The status counts per field of action as a Markdown table (German labels)."""
    snapshot = result.snapshot
    statuses = list(snapshot.summary(snapshot.overall).counts)
    head = ["Handlungsfeld", *(str(s.value) for s in statuses), "gesamt"]
    lines = [
        f"# {result.concept.municipality}: Umsetzungsstand am {format_date(snapshot.as_of)}",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|",
    ]
    names = {f.code: f"{f.code} {f.name}" for f in result.concept.fields}
    rows = [(names.get(code, code), counts) for code, counts in snapshot.by_field.items()]
    rows.append(("**Gesamt**", snapshot.overall))
    for label, by_status in rows:
        counts = snapshot.summary(by_status)
        cells = [
            f"{counts.counts[s]} ({counts.percentages[s]} %)"
            if s in counts.percentages
            else str(counts.counts[s])
            for s in statuses
        ]
        lines.append("| " + " | ".join([label, *cells, str(counts.total)]) + " |")
    if snapshot.previous is not None:
        lines += [
            "",
            f"Veränderungen seit {format_date(snapshot.previous)}: {len(snapshot.changes)}",
        ]
    if snapshot.conflicts:
        lines += ["", f"Widersprüchliche Meldungen: {len(snapshot.conflicts)}"]
    return "\n".join(lines) + "\n"


def _report_values(folder: str, result: ReportResult) -> dict[str, Any]:
    snapshot = result.snapshot
    return {
        "folder": folder,
        "municipality": result.concept.municipality,
        "docx": str(result.docx),
        "pdf": str(result.pdf) if result.pdf is not None else None,
        "as_of": snapshot.as_of.isoformat(),
        "previous": snapshot.previous.isoformat() if snapshot.previous else None,
        "measures": snapshot.overall.total,
        "by_field": {
            code: {str(s.value): n for s, n in counts.counts.items()}
            for code, counts in snapshot.by_field.items()
        },
    }


@task(
    name="report",
    task_run_name=_run_name("report"),
    retries=2,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
    timeout_seconds=REPORT_TIMEOUT,
)
def report_task(
    folder: str,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
) -> dict[str, Any]:
    """Build the report; publish the counts per field and a link to the file.

    Returns:
        ``folder``, ``municipality``, ``docx``, ``pdf`` (paths as ``str``),
        ``as_of``, ``previous`` (ISO dates), ``measures`` and ``by_field``
        (counts per status label per field code).
    """
    logger = _logger()
    result = workflow.report(folder, as_of=as_of, previous=previous, pdf=pdf)
    logger.info("%s: Bericht geschrieben: %s", folder, result.docx)
    if _in_task_run():
        _publish_report(folder, result)
    return _report_values(folder, result)


@task(
    name="open-round",
    task_run_name=_run_name("runde"),
    retries=2,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def open_round_task(folder: str) -> dict[str, Any]:
    """Open the reporting round of the last Stichtag, unless a round is open already.

    When the office has issued that round already (a run repeated after
    ``kik runde herausgeben``), nothing is opened and ``issued`` is ``True``.

    Returns:
        ``folder``, ``stichtag`` and ``deadline`` (ISO dates), ``opened``
        (``False`` when the open round was there already), ``issued``.
    """
    known = workflow.rounds(folder)
    current = next((r for r in reversed(known) if not r.is_issued), None)
    opened = current is None
    if current is None:
        settings = load_settings(folder)
        stichtag = settings.report.as_of or default_stichtag(local_today(), settings.rounds.cadence)
        done = next((r for r in known if r.stichtag == stichtag), None)
        if done is not None:  # issued, since no round is open
            return {
                "folder": folder,
                "stichtag": done.stichtag.isoformat(),
                "deadline": done.deadline.isoformat(),
                "opened": False,
                "issued": True,
            }
        current = workflow.open_round(folder)
        _logger().info(
            "%s: Runde %s geöffnet, Frist %s",
            folder,
            f"{format_date(current.stichtag)}",
            f"{format_date(current.deadline)}",
        )
    return {
        "folder": folder,
        "stichtag": current.stichtag.isoformat(),
        "deadline": current.deadline.isoformat(),
        "opened": opened,
        "issued": False,
    }


@task(
    name="remind",
    task_run_name=_run_name("erinnern"),
    retries=2,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def remind_task(folder: str) -> dict[str, Any]:
    """Remind the partners with missing measures (:func:`kik_core.workflow.remind`).

    Writes the mail-merge list to ``ausgang/`` and, when ``kik.toml`` has an
    ``[email]`` table, e-mails every partner with an address who was not
    reminded for this round yet (never twice).

    Returns:
        ``folder``, ``stichtag``, ``deadline``, ``waiting`` (partners with
        missing measures), ``csv`` (the list), ``sent``, ``already``,
        ``without_address`` and ``refused`` (numbers of partners).
    """
    settings = load_settings(folder)
    result = workflow.remind(settings, send=settings.email is not None)
    sent = result.sent
    values = {
        "folder": folder,
        "stichtag": result.round.stichtag.isoformat(),
        "deadline": result.round.deadline.isoformat(),
        "waiting": len(result.board.waiting),
        "csv": str(result.csv),
        "sent": len(sent.sent) if sent else 0,
        "already": len(sent.already) if sent else 0,
        "without_address": len(sent.without_address) if sent else 0,
        "refused": len(sent.refused) if sent else 0,
    }
    _logger().info(
        "%s: %d Partner ohne vollständige Rückmeldung, %d erinnert; Liste %s",
        folder,
        values["waiting"],
        values["sent"],
        result.csv,
    )
    return values


def _site_inputs(settings: Settings) -> list[Path]:
    """The office's files a published site is made from besides the store."""
    report = settings.report
    paths = [settings.folder / "kik.toml", settings.concept_file]
    paths += [p for e in settings.editions for p in (e.previous, e.mapping)]  # Fortschreibung
    paths += [p for p in (report.foreword, settings.web.easy_language) if p is not None]
    paths += [*report.sections_front, *report.sections_back]
    overrides = settings.folder / "web"
    if overrides.is_dir():
        paths += [p for p in overrides.rglob("*") if p.is_file()]
    return paths


def _site_is_current(settings: Settings, destination: Path, stichtag: dt.date) -> bool:
    """True when ``destination`` holds the site of ``stichtag`` made by this kik version
    after the last change to the office's files (:func:`_site_inputs`)."""
    from kik_core.web import MARKER  # noqa: PLC0415 - the web edition loads pandas

    marker = destination / MARKER
    try:
        written = json.loads(marker.read_text(encoding="utf-8"))
        written_at = marker.stat().st_mtime
        changed = max((p.stat().st_mtime for p in _site_inputs(settings) if p.is_file()), default=0)
    except (OSError, ValueError):
        return False
    return (
        isinstance(written, dict)
        and written.get("stichtag") == stichtag.isoformat()
        and written.get("entwurf") is False
        and written.get("erzeugt_mit") == f"kik {kik_version}"
        and changed <= written_at
    )


@task(
    name="publish",
    task_run_name=_run_name("veroeffentlichen"),
    retries=2,
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
    timeout_seconds=PUBLISH_TIMEOUT,
)
def publish_task(folder: str) -> dict[str, Any]:
    """Publish the web edition of the latest issued round, unless it is up to date.

    The site (:func:`kik_core.workflow.publish`) shows the latest issued round
    with the history and open data (``daten/<Stichtag>/``) of every issued
    round before it, so publishing the latest one publishes them all. It goes
    to ``[web] ziel``, else ``DIR/veroeffentlichung``. It is written again when
    the target holds no site of kik, the site of an earlier round, one made by
    another kik version, or one older than ``kik.toml``, the concept workbook,
    the texts or the ``web/`` folder; otherwise it is left alone. Inside a task
    run the start page is published as the link artifact ``<folder>-website``.

    Returns:
        ``folder``, ``stichtag`` (ISO date of the latest issued round, ``None``
        when no round is issued yet), ``index`` (the start page as ``str``,
        ``None`` when nothing is published) and ``published`` (``True`` when
        written now, ``False`` when up to date or nothing to publish).
    """
    settings = load_settings(folder)
    issued = [r for r in workflow.rounds(settings) if r.is_issued]
    if not issued:
        _logger().info("%s: noch keine herausgegebene Runde: keine Website", folder)
        return {"folder": folder, "stichtag": None, "index": None, "published": False}
    stichtag = issued[-1].stichtag
    destination = settings.web.target or settings.folder / workflow.PUBLISH_FOLDER
    published = not _site_is_current(settings, destination, stichtag)
    if published:
        index = workflow.publish(settings).index
        _logger().info("%s: Website veröffentlicht: %s", folder, index)
    else:
        index = destination / "index.html"
        _logger().info("%s: Website schon aktuell: %s", folder, index)
    if _in_task_run():
        create_link_artifact(
            link=index.absolute().as_uri(),
            link_text=str(index.absolute()),
            key=f"{_folder_slug(folder)}-website",
            description=(
                f"Website {settings.municipality}, Stichtag {format_date(stichtag)} "
                f"({'neu veröffentlicht' if published else 'unverändert'})"
            ),
        )
    return {
        "folder": folder,
        "stichtag": stichtag.isoformat(),
        "index": str(index.absolute()),
        "published": published,
    }


def _publish_report(folder: str, result: ReportResult) -> None:
    """The report's artifacts: counts per field and where the file is (Markdown).

    The report's path is shown as text, not as a ``file://`` link: the browser
    showing the Prefect UI will not open local files, and the path is what a
    person types into the file manager of the office's share.
    """
    key = _folder_slug(folder)
    create_markdown_artifact(
        markdown=counts_markdown(result),
        key=f"{key}-status-counts",
        description=f"Umsetzungsstand {result.concept.municipality} am {result.snapshot.as_of}",
    )
    lines = [f"# Zwischenbericht {result.concept.municipality}", "", "Gespeichert unter:", ""]
    lines += [f"    {result.docx.resolve()}"]
    if result.pdf is not None:
        lines += ["", "PDF:", "", f"    {result.pdf.resolve()}"]
    create_markdown_artifact(
        markdown="\n".join(lines) + "\n",
        key=f"{key}-report",
        description=f"Zwischenbericht {result.concept.municipality}: {result.docx.name}",
    )


@flow(name="ingest-inbox")
def ingest_inbox(folder: str) -> dict[str, Any]:
    """Ingest the partners' update files waiting in ``folder``'s inbox."""
    return ingest_task(str(folder))


@flow(name="build-report")
def build_report(
    folder: str,
    as_of: dt.date | None = None,
    previous: dt.date | None = None,
    pdf: bool | None = None,
) -> dict[str, Any]:
    """Build the interim report of ``folder`` (see :func:`kik_core.workflow.report`).

    Args:
        folder: the municipality folder.
        as_of: the report date (default: ``[bericht] stichtag``, then today).
        previous: the comparison date (default: the setting, then the previous date
            in the history).
        pdf: also export a PDF (default: the ``[bericht] pdf`` setting).
    """
    return report_task(str(folder), as_of, previous, pdf)


def attention(ingested: Mapping[str, Any]) -> list[str]:
    """What the office must do after an ingest, one German sentence per point (or none)."""
    points: list[str] = []
    rejected = int(ingested["rows_rejected"])
    if rejected:
        workbooks = [Path(p).name for p in ingested.get("error_workbooks", [])]
        points.append(
            f"{plural(rejected, 'Zeile', 'Zeilen')} abgelehnt. Die Fehler-Arbeitsmappen "
            f"({', '.join(workbooks) or 'siehe ausgang/'}) liegen in ausgang/: bitte an die "
            "Partner zurückgeben; sie korrigieren die markierten Zeilen und reichen die "
            "Datei erneut ein."
        )
    quarantined = int(ingested["files_quarantined"])
    if quarantined:
        names = [Path(p).name for p in ingested.get("quarantined", [])]
        points.append(
            f"{plural(quarantined, 'Datei', 'Dateien')} in Quarantäne, weil nicht lesbar "
            f"({', '.join(names) or 'siehe quarantaene/'}): der Grund steht in quarantaene/ "
            "neben der Datei; bitte beim Partner eine lesbare Fassung anfordern."
        )
    return points


def _ingest_message(ingested: Mapping[str, Any]) -> str:
    parts = [f"{plural(int(ingested['rows_accepted']), 'Zeile', 'Zeilen')} angenommen"]
    if ingested["rows_rejected"]:
        parts.append(f"{plural(int(ingested['rows_rejected']), 'Zeile', 'Zeilen')} abgelehnt")
    if ingested["files_quarantined"]:
        parts.append(
            f"{plural(int(ingested['files_quarantined']), 'Datei', 'Dateien')} in Quarantäne"
        )
    return ", ".join(parts)


def quarterly_markdown(values: Mapping[str, Any]) -> str:
    """The German summary of one quarterly run: the outcome and what needs attention."""
    ingested, reported = values["ingest"], values["report"]
    rejections = attention(ingested)
    points = rejections + publish_points(values)
    title = reported.get("municipality") or Path(str(ingested["folder"])).name
    lines = [f"# Quartalslauf {title}", ""]
    label = WITH_REJECTIONS if rejections else NOT_PUBLISHED if points else "Erfolgreich"
    lines.append(f"**{label}:** {_ingest_message(ingested)}.")
    lines += ["", "## Was zu tun ist", ""]
    lines += [f"- {p}" for p in points] or ["Nichts: alle Zeilen wurden angenommen."]
    lines += [
        "",
        "## Bericht",
        "",
        f"Stichtag {format_date(dt.date.fromisoformat(reported['as_of']))}, "
        f"{plural(int(reported['measures']), 'Maßnahme', 'Maßnahmen')}. Gespeichert unter:",
        "",
        f"    {reported['docx']}",
    ]
    if values.get("publish") is not None:
        lines += ["", *_publish_lines(values["publish"])]
    if "round" in values:
        lines += ["", *_round_lines(values["round"], values.get("follow_ups", []))]
    return "\n".join(lines) + "\n"


def _round_lines(round_values: Mapping[str, Any], follow_ups: list[dict[str, str]]) -> list[str]:
    stichtag = dt.date.fromisoformat(round_values["stichtag"])
    deadline = dt.date.fromisoformat(round_values["deadline"])
    lines = [
        "## Berichtsrunde",
        "",
        f"Stichtag {format_date(stichtag)}, Frist für die Partner {format_date(deadline)}"
        + (" (heute geöffnet)." if round_values["opened"] else "."),
    ]
    labels = {STEP_REMIND: "Erinnerung an die Partner", STEP_DRAFT: "Entwurf nach der Frist"}
    for f in follow_ups:
        when = dt.datetime.fromisoformat(f["scheduled"])
        lines.append(f"- {labels[f['step']]}: geplant für {format_datetime(when)}")
    return lines


def _publication(folder: str) -> dict[str, Any]:
    """Run :func:`publish_task`; a failure becomes ``{"folder", "error"}``, never the run's.

    The draft report is written by then: a site that cannot be published (a
    foreign file in the target, a full disk) is reported in the run's state,
    summary and mail (:func:`publish_points`), not as a failed run.
    """
    state = publish_task(folder, return_state=True)
    if state.is_completed():
        return dict(state.result())
    error = state.result(raise_on_failure=False)
    reason = str(error) if isinstance(error, KikError) else _error_message(state)
    _logger().error("%s: Website nicht veröffentlicht: %s", folder, reason)
    return {"folder": folder, "error": reason}


def publish_points(values: Mapping[str, Any]) -> list[str]:
    """What the office must do about the web edition of a quarterly run (or nothing)."""
    published = values.get("publish")
    if published is None or "error" not in published:
        return []
    return [
        f"Die Website wurde nicht veröffentlicht: {published['error']} Danach "
        f"`kik veroeffentlichen {published['folder']}` ausführen oder den Lauf neu starten."
    ]


def _publish_note(published: Mapping[str, Any] | None) -> str:
    """The web edition's part of the run state's message ('' when nothing happened)."""
    if published is None:
        return ""
    if "error" in published:
        return f"; {NOT_PUBLISHED}"
    if published["published"]:
        return f"; Website veröffentlicht (Stichtag {_date(published['stichtag'])})"
    return ""


def _date(iso: str) -> str:
    return format_date(dt.date.fromisoformat(iso))


def _publish_lines(published: Mapping[str, Any]) -> list[str]:
    lines = ["## Website", ""]
    if "error" in published:
        return [*lines, f"**{NOT_PUBLISHED}:** {published['error']}"]
    if published["stichtag"] is None:
        return [
            *lines,
            "Noch keine Runde herausgegeben: nichts veröffentlicht "
            "(`kik runde herausgeben ORDNER` gibt den Bericht heraus).",
        ]
    state = "neu veröffentlicht" if published["published"] else "unverändert, schon aktuell"
    return [
        *lines,
        f"Stichtag {_date(published['stichtag'])}, {state}. Startseite:",
        "",
        f"    {published['index']}",
    ]


def _skipped(folder: str, message: str, published: dict[str, Any]) -> State[dict[str, Any]]:
    """Artifact and state of a step after the office issued the round: only published."""
    values = {"folder": folder, "publish": published}
    points = publish_points(values)
    lines = [f"# Quartalslauf {Path(folder).name}: übersprungen", "", f"{message}.", ""]
    lines += ["## Was zu tun ist", "", *([f"- {p}" for p in points] or ["Nichts."]), ""]
    create_markdown_artifact(
        markdown="\n".join([*lines, *_publish_lines(published)]) + "\n",
        key=f"{_folder_slug(folder)}-zusammenfassung",
        description=f"Übersprungen: {Path(folder).name}",
    )
    message += _publish_note(published)
    if points:
        return Completed(name=NOT_PUBLISHED, message=message, data=values)
    return Completed(name="Übersprungen", message=message, data=values)


def failed_markdown(folder: str, error: KikError) -> str:
    """The German summary of a quarterly run stopped by ``error``."""
    return (
        f"# Quartalslauf {Path(folder).name}: abgebrochen\n\n"
        f"## Was zu tun ist\n\n- {error}\n- Danach den Lauf in Prefect neu starten "
        f"oder `kik run {folder}` ausführen.\n"
    )


def quarterly_state(values: dict[str, Any]) -> State[dict[str, Any]]:
    """The final state of a quarterly run: ``Completed``, named :data:`WITH_REJECTIONS` if due.

    The state carries ``values`` as its result and a German message for the
    run list.
    """
    ingested = values["ingest"]
    message = f"{_ingest_message(ingested)}; Bericht {Path(values['report']['docx']).name}"
    message += _publish_note(values.get("publish"))
    if attention(ingested):
        return Completed(name=WITH_REJECTIONS, message=message, data=values)
    if publish_points(values):
        return Completed(name=NOT_PUBLISHED, message=message, data=values)
    return Completed(message=message, data=values)


def _failure_text(state: State[Any]) -> str:
    """The German reason of a failed run: the KikError's message, else the error."""
    try:
        error = state.result(raise_on_failure=False)
    except Exception as exc:  # the result itself may be unreadable
        error = exc
    if isinstance(error, KikError):
        return str(error)
    if isinstance(error, BaseException):
        return f"{type(error).__name__}: {error}"
    return state.message or state.name or "unbekannter Fehler"


def _run_link(flow_run: FlowRun) -> str:
    ui = PREFECT_UI_URL.value()
    return f"{str(ui).rstrip('/')}/runs/flow-run/{flow_run.id}" if ui else f"Lauf-ID {flow_run.id}"


def _notify_quarterly(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """State hook of :func:`quarterly_report`: mail the office on failure or rejections."""
    folder = str(flow_run.parameters.get("folder", ""))
    name = Path(folder).name
    if state.is_completed():
        if state.name not in (WITH_REJECTIONS, NOT_PUBLISHED):
            return
        values = state.result(raise_on_failure=False)
        subject = f"kik: Quartalslauf {name} – {state.message}"
        points = []
        if isinstance(values, dict):
            points = attention(values["ingest"]) if "ingest" in values else []
            points += publish_points(values)
        body = [f"Der Quartalslauf für {folder} ist durchgelaufen, aber:", ""]
        body += [f"- {p}" for p in points]
    else:
        subject = f"kik: Quartalslauf {name} fehlgeschlagen"
        body = [
            f"Der Quartalslauf für {folder} ist fehlgeschlagen ({state.name}).",
            "",
            f"Grund: {_failure_text(state)}",
            "",
            "Nach der Korrektur den Lauf in Prefect neu starten oder „kik run“ ausführen.",
        ]
    body += ["", f"Lauf in Prefect: {_run_link(flow_run)}"]
    notify_run(folder=folder or None, subject=subject, body="\n".join(body) + "\n")


@flow(
    name="quarterly-report",
    on_completion=[_notify_quarterly],
    on_failure=[_notify_quarterly],
    on_crashed=[_notify_quarterly],
)
def quarterly_report(
    folder: str, step: str = STEP_QUARTER, remind_days: int | None = None
) -> State[dict[str, Any]]:
    """The quarterly job of one municipality, one step of its reporting round.

    ``step`` (:data:`STEPS`):

    * ``quartal`` (the schedule, at the quarter's start): open the round of the
      quarter just ended (:func:`open_round_task`), ingest the inbox, write a
      draft report, and schedule this deployment's two follow-up runs:
      ``erinnern`` ``remind_days`` days before the partners' deadline (``None``:
      ``[runde] erinnern_tage`` of the folder's kik.toml, default 7) and
      ``entwurf`` the day after it (:func:`schedule_follow_ups`; only when run
      from a deployment).
    * ``erinnern``: remind the partners with missing measures (:func:`remind_task`).
    * ``entwurf``: ingest what came in by the deadline, write the next draft.

    ``quartal`` and ``entwurf`` end by publishing the web edition of the latest
    issued round (:func:`publish_task`, left alone when up to date); when the
    office has issued the round already, they only publish (state
    ``Übersprungen``). A site that cannot be published does not fail the run:
    its state is named :data:`NOT_PUBLISHED` (unless rows were rejected too) and
    the summary and the mail say why.

    Every task is tagged with :func:`municipality_tag`. Returns the state
    described in the module docstring; called as a function the flow returns
    ``{"ingest": …, "report": …, "publish": …}`` (plus ``"round"`` and ``"follow_ups"`` for
    ``quartal``), or the reminder values for ``erinnern``.
    """
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    folder = str(folder)
    key = f"{_folder_slug(folder)}-zusammenfassung"
    round_values: dict[str, Any] | None = None
    try:
        with tags(municipality_tag(folder)):
            if step == STEP_REMIND:
                return _reminded(folder, remind_task(folder), key)
            if step == STEP_QUARTER:
                round_values = open_round_task(folder)
                if round_values["issued"]:
                    message = "Runde schon herausgegeben: nichts zu öffnen, kein Entwurf nötig"
                    _logger().info("%s: %s", folder, message)
                    return _skipped(folder, message, _publication(folder))
            elif not any(not r.is_issued for r in workflow.rounds(folder)):
                # the office issued the round before the deadline: no draft to write
                message = "Runde schon herausgegeben: kein Entwurf nötig"
                _logger().info("%s: %s", folder, message)
                return _skipped(folder, message, _publication(folder))
            ingested = ingest_task(folder)
            reported = report_task(folder)
            published = _publication(folder)
    except KikError as exc:
        # an expected failure: its German message is the state's message (no traceback)
        _logger().error("Abgebrochen (%s): %s", type(exc).__name__, exc)
        create_markdown_artifact(
            markdown=failed_markdown(folder, exc),
            key=key,
            description=f"Abgebrochen: {Path(folder).name}",
        )
        return Failed(message=str(exc), data=exc)
    values: dict[str, Any] = {"ingest": ingested, "report": reported, "publish": published}
    if round_values is not None:
        values["round"] = round_values
        values["follow_ups"] = _follow_ups_of_this_deployment(folder, round_values, remind_days)
    create_markdown_artifact(
        markdown=quarterly_markdown(values),
        key=key,
        description=f"Was zu tun ist: {Path(folder).name}",
    )
    return quarterly_state(values)


def follow_up_times(deadline: dt.date, remind_days: int, timezone: str) -> dict[str, dt.datetime]:
    """When the round's follow-up steps run: reminders and draft, at 06:00 local time.

    >>> times = follow_up_times(dt.date(2024, 4, 21), 7, "Europe/Berlin")
    >>> [f"{step} {when:%Y-%m-%d %H:%M %Z}" for step, when in times.items()]
    ['erinnern 2024-04-14 06:00 CEST', 'entwurf 2024-04-22 06:00 CEST']
    """
    zone = ZoneInfo(timezone)
    return {
        STEP_REMIND: dt.datetime.combine(
            deadline - dt.timedelta(days=remind_days), FOLLOW_UP_TIME, zone
        ),
        STEP_DRAFT: dt.datetime.combine(deadline + dt.timedelta(days=1), FOLLOW_UP_TIME, zone),
    }


def schedule_follow_ups(
    deployment_id: str,
    folder: str,
    stichtag: dt.date,
    deadline: dt.date,
    *,
    remind_days: int = DEFAULT_REMIND_DAYS,
    timezone: str = "Europe/Berlin",
    now: dt.datetime | None = None,
) -> list[dict[str, str]]:
    """Schedule the ``erinnern`` and ``entwurf`` runs of a round on ``deployment_id``.

    Runs whose time has passed are skipped. Each run has an idempotency key
    (folder, Stichtag, step), so a repeated quarter run schedules nothing twice.

    Returns:
        ``step``, ``scheduled`` (ISO time) and ``flow_run_id`` per scheduled run.
    """
    now = now or dt.datetime.now(dt.UTC)
    scheduled = []
    for step, when in follow_up_times(deadline, remind_days, timezone).items():
        if when <= now:
            continue
        # run_deployment is sync-compatible: called from sync code it returns the run
        # itself, though it is typed as "FlowRun or a coroutine"
        created = run_deployment(
            name=deployment_id,
            parameters={"folder": folder, "step": step, "remind_days": remind_days},
            scheduled_time=when,
            timeout=0,
            as_subflow=False,
            tags=["kik", municipality_tag(folder)],
            idempotency_key=f"kik-{_folder_slug(folder)}-{stichtag.isoformat()}-{step}",
        )
        run = cast("FlowRun", created)
        scheduled.append({"step": step, "scheduled": when.isoformat(), "flow_run_id": str(run.id)})
    return scheduled


def _follow_ups_of_this_deployment(
    folder: str, round_values: Mapping[str, Any], remind_days: int | None
) -> list[dict[str, str]]:
    deployment_id = current_deployment.id
    if not deployment_id:
        _logger().info("%s: kein Deployment: Erinnerung und Entwurf nicht geplant", folder)
        return []
    settings = load_settings(folder)
    planned = schedule_follow_ups(
        str(deployment_id),
        folder,
        dt.date.fromisoformat(round_values["stichtag"]),
        dt.date.fromisoformat(round_values["deadline"]),
        remind_days=settings.rounds.remind_days if remind_days is None else remind_days,
        timezone=settings.timezone,
    )
    for p in planned:
        _logger().info("%s: %s geplant für %s", folder, p["step"], p["scheduled"])
    return planned


def _reminded(folder: str, values: dict[str, Any], key: str) -> State[dict[str, Any]]:
    """The artifact and final state of an ``erinnern`` run."""
    message = (
        f"{plural(int(values['waiting']), 'Partner', 'Partner')} ohne vollständige "
        f"Rückmeldung, {values['sent']} per E-Mail erinnert"
    )
    lines = [
        f"# Erinnerung {Path(folder).name}: "
        f"Frist {format_date(dt.date.fromisoformat(values['deadline']))}",
        "",
        f"{message}.",
        "",
        "## Was zu tun ist",
        "",
    ]
    if values["without_address"] or values["refused"] or not values["sent"]:
        lines.append(
            "- Partner ohne E-Mail-Adresse oder ohne Versand: die Liste für den Serienbrief "
            "liegt unter"
        )
        lines += ["", f"      {values['csv']}"]
    else:
        lines.append("- Nichts: alle Partner mit fehlenden Meldungen wurden erinnert.")
    create_markdown_artifact(
        markdown="\n".join(lines) + "\n",
        key=key,
        description=f"Erinnerung: {Path(folder).name}",
    )
    return Completed(message=message, data=values)


# Prefect enforces a task timeout only in the thread that runs the flow: in a pool
# thread or a Dask worker it cannot interrupt blocking file I/O and would only log
# a warning for every task. So the fan-out submits the tasks without one
# (``timeout_seconds=0`` means none).
_ingest_pooled = ingest_task.with_options(timeout_seconds=0)
_report_pooled = report_task.with_options(timeout_seconds=0)


def _error_message(state: State[Any]) -> str:
    try:
        state.result()
    except Exception as exc:  # report whatever the task raised
        return f"{type(exc).__name__}: {exc}"
    return state.message or state.name or "unbekannter Zustand"


def _outcome(
    folder: str, ingested: PrefectFuture[dict[str, Any]], reported: PrefectFuture[dict[str, Any]]
) -> dict[str, Any]:
    """The outcome of one municipality from the final states of its two tasks."""
    ingest_state = ingested.state
    report_state = reported.state
    if ingest_state.is_completed() and report_state.is_completed():
        report_values = reported.result()
        ingest_values = ingested.result()
        return {
            "folder": folder,
            "ok": True,
            "docx": report_values["docx"],
            "as_of": report_values["as_of"],
            "measures": report_values["measures"],
            "rows_accepted": ingest_values["rows_accepted"],
            "rows_rejected": ingest_values["rows_rejected"],
            "files_quarantined": ingest_values["files_quarantined"],
        }
    failed_step, state = (
        ("ingest", ingest_state) if not ingest_state.is_completed() else ("report", report_state)
    )
    return {"folder": folder, "ok": False, "step": failed_step, "error": _error_message(state)}


def state_summary(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """The summary of a state-wide run over ``outcomes``, published as a Markdown artifact."""
    failed = sum(not o["ok"] for o in outcomes)
    summary = {
        "total": len(outcomes),
        "succeeded": len(outcomes) - failed,
        "failed": failed,
        "municipalities": outcomes,
    }
    create_markdown_artifact(
        markdown=summary_markdown(summary),
        key="state-report-summary",
        description=f"{summary['succeeded']} erfolgreich, {failed} fehlgeschlagen",
    )
    return summary


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The summary of :func:`state_report` as Markdown."""
    lines = [
        "# Quartalsbericht aller Kommunen",
        "",
        f"{summary['succeeded']} von {summary['total']} erfolgreich, "
        f"{summary['failed']} fehlgeschlagen.",
    ]
    todo = [o for o in summary["municipalities"] if not o["ok"]]
    todo += [
        o
        for o in summary["municipalities"]
        if o["ok"] and (o["rows_rejected"] or o.get("files_quarantined"))
    ]
    if todo:
        lines += ["", "## Was zu tun ist", ""]
        for o in todo:
            if not o["ok"]:
                lines.append(
                    f"- {o['folder']}: Schritt {o['step']} fehlgeschlagen, beheben und neu starten."
                )
            else:
                lines.append(
                    f"- {o['folder']}: {plural(int(o['rows_rejected']), 'Zeile', 'Zeilen')} "
                    "abgelehnt; Fehler-Arbeitsmappen in ausgang/ an die Partner geben."
                    + (
                        f" {plural(int(o['files_quarantined']), 'Datei', 'Dateien')} in Quarantäne."
                        if o.get("files_quarantined")
                        else ""
                    )
                )
    failures = [o for o in summary["municipalities"] if not o["ok"]]
    if failures:
        lines += ["", "## Fehlgeschlagen", "", "| Ordner | Schritt | Fehler |", "|---|---|---|"]
        for o in failures:
            error = str(o["error"]).replace("|", "\\|").replace("\n", " ")
            lines.append(f"| {o['folder']} | {o['step']} | {error} |")
    successes = [o for o in summary["municipalities"] if o["ok"]]
    if successes:
        lines += [
            "",
            "## Erfolgreich",
            "",
            "| Ordner | Stichtag | Maßnahmen | Zeilen angenommen | abgelehnt | Bericht (Pfad) |",
            "|---|---|---:|---:|---:|---|",
        ]
        for o in successes:
            lines.append(
                f"| {o['folder']} | {o['as_of']} | {o['measures']} | {o['rows_accepted']} "
                f"| {o['rows_rejected']} | `{o['docx']}` |"
            )
    return "\n".join(lines) + "\n"


def state_report_state(summary: dict[str, Any]) -> State[dict[str, Any]]:
    """The final state of :func:`state_report`, carrying ``summary`` as its result.

    ``Failed`` named :data:`PARTLY_FAILED` when a municipality failed,
    ``Completed`` named :data:`WITH_REJECTIONS` when rows were rejected or files
    quarantined, else plain ``Completed``.
    """
    outcomes = summary["municipalities"]
    rejected = sum(int(o.get("rows_rejected", 0)) for o in outcomes if o["ok"])
    quarantined = sum(int(o.get("files_quarantined", 0)) for o in outcomes if o["ok"])
    message = f"{summary['succeeded']} von {summary['total']} Kommunen erfolgreich"
    if rejected or quarantined:
        message += f", {plural(rejected, 'Zeile', 'Zeilen')} abgelehnt"
        if quarantined:
            message += f", {plural(quarantined, 'Datei', 'Dateien')} in Quarantäne"
    if summary["failed"]:
        failed = ", ".join(Path(o["folder"]).name for o in outcomes if not o["ok"])
        return Failed(
            name=PARTLY_FAILED, message=f"{message}; fehlgeschlagen: {failed}", data=summary
        )
    if rejected or quarantined:
        return Completed(name=WITH_REJECTIONS, message=message, data=summary)
    return Completed(message=message, data=summary)


def _notify_state_report(flow: Flow[..., Any], flow_run: FlowRun, state: State[Any]) -> None:
    """State hook of :func:`state_report`: mail the operator (``KIK_BENACHRICHTIGUNG_AN``)."""
    if state.is_completed() and state.name != WITH_REJECTIONS:
        return
    summary = state.result(raise_on_failure=False)
    if isinstance(summary, dict) and "municipalities" in summary:
        body = summary_markdown(summary)
    else:
        body = f"Der Lauf ist fehlgeschlagen ({state.name}): {_failure_text(state)}\n"
    notify_run(
        folder=None,
        subject=f"kik: Quartalsbericht aller Kommunen – {state.name}: {state.message}",
        body=f"{body}\nLauf in Prefect: {_run_link(flow_run)}\n",
    )


@flow(
    name="state-report",
    # TaskRunner is invariant in its future type: the cast Prefect uses itself
    task_runner=cast(
        "TaskRunner[PrefectFuture[Any]]", ThreadPoolTaskRunner(max_workers=MAX_THREADS)
    ),
    on_completion=[_notify_state_report],
    on_failure=[_notify_state_report],
    on_crashed=[_notify_state_report],
)
def state_report(
    folders: list[str], max_workers: int = DEFAULT_MAX_WORKERS
) -> State[dict[str, Any]]:
    """The quarterly job for many municipalities at once, ``max_workers`` at a time.

    Each folder gets an ingest task and a report task that waits for it. A
    failing municipality never stops the others: every folder's final states
    are inspected and the flow ends with a summary, returned and published as
    the Markdown artifact ``state-report-summary``. The run ends ``Failed``
    (named :data:`PARTLY_FAILED`) when a municipality failed, ``Completed``
    named :data:`WITH_REJECTIONS` when rows were rejected (see
    :func:`state_report_state`); call it with ``return_state=True`` and read
    the summary with ``state.result(raise_on_failure=False)``.

    Returns:
        ``total``, ``succeeded``, ``failed`` and ``municipalities`` (one entry per
        folder, in the given order: ``folder``, ``ok`` and either ``docx``,
        ``as_of``, ``measures``, ``rows_accepted``, ``rows_rejected`` or ``step``
        and ``error``).
    """
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    logger = get_run_logger()
    submitted: list[tuple[str, PrefectFuture[Any], PrefectFuture[Any]]] = []
    in_flight: list[PrefectFuture[Any]] = []
    for folder in map(str, folders):
        while len(in_flight) >= max_workers:
            in_flight.remove(next(as_completed(in_flight)))
        with tags(municipality_tag(folder)):
            ingested = _ingest_pooled.submit(folder)
            reported = _report_pooled.submit(folder, wait_for=[ingested], return_state=False)
        submitted.append((folder, ingested, reported))
        in_flight.append(reported)
    for _, ingested, reported in submitted:
        ingested.wait()
        reported.wait()
    outcomes = [_outcome(folder, i, r) for folder, i, r in submitted]
    summary = state_summary(outcomes)
    for o in outcomes:
        if not o["ok"]:
            logger.error("%s: %s fehlgeschlagen: %s", o["folder"], o["step"], o["error"])
    logger.info("%d von %d Kommunen erfolgreich", summary["succeeded"], summary["total"])
    return state_report_state(summary)
