"""Prefect tasks and flows over :mod:`kik_core.workflow`.

Two tasks wrap the two jobs of a municipality folder:

* :func:`ingest_task` calls :func:`kik_core.workflow.ingest` and publishes a table
  of the rejected rows;
* :func:`report_task` calls :func:`kik_core.workflow.report` and publishes the
  status counts per field and a link to the report.

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
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import (
    create_link_artifact,
    create_markdown_artifact,
    create_table_artifact,
)
from prefect.context import TaskRunContext
from prefect.exceptions import MissingContextError
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import task_run
from prefect.task_runners import ThreadPoolTaskRunner

from kik_core import workflow
from kik_core.errors import KikError, StoreError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State, TaskRun
    from prefect.tasks import Task

    from kik_core.ingest import FileOutcome, IngestSummary
    from kik_core.workflow import ReportResult

__all__ = [
    "DEFAULT_MAX_WORKERS",
    "MAX_THREADS",
    "build_report",
    "ingest_inbox",
    "ingest_task",
    "quarterly_report",
    "report_task",
    "retry_transient",
    "slug",
    "state_report",
]

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

_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slug(text: str) -> str:
    """A Prefect-safe name for a folder or municipality: lowercase, digits and dashes.

    Used for deployment names and artifact keys (which allow only ``[a-z0-9-]``).

    >>> slug("Kempten (Allgäu)")
    'kempten-allgaeu'
    >>> slug("Städte/Groß-Gerau")
    'staedte-gross-gerau'
    """
    text = text.lower().translate(_UMLAUTS)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "kommune"


def _logger() -> logging.Logger | logging.LoggerAdapter[logging.Logger]:
    """The run logger inside a run; a plain logger when called through ``.fn()``."""
    try:
        return get_run_logger()
    except MissingContextError:
        return logging.getLogger("pipelines.flows")


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
        ``files_quarantined`` and ``outcomes`` (number of files per outcome).
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
        f"# {result.concept.municipality}: Umsetzungsstand am {snapshot.as_of:%d.%m.%Y}",
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
        lines += ["", f"Veränderungen seit {snapshot.previous:%d.%m.%Y}: {len(snapshot.changes)}"]
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


def _publish_report(folder: str, result: ReportResult) -> None:
    """The report's artifacts: counts per field (Markdown) and a link to the file."""
    key = _folder_slug(folder)
    create_markdown_artifact(
        markdown=counts_markdown(result),
        key=f"{key}-status-counts",
        description=f"Umsetzungsstand {result.concept.municipality} am {result.snapshot.as_of}",
    )
    create_link_artifact(
        link=result.docx.resolve().as_uri(),
        link_text=result.docx.name,
        key=f"{key}-report",
        description=f"Zwischenbericht {result.concept.municipality}",
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


@flow(name="quarterly-report")
def quarterly_report(folder: str) -> dict[str, Any]:
    """The quarterly job of one municipality: ingest the inbox, then build the report."""
    ingested = ingest_task(str(folder))
    reported = report_task(str(folder))
    return {"ingest": ingested, "report": reported}


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
        }
    failed_step, state = (
        ("ingest", ingest_state) if not ingest_state.is_completed() else ("report", report_state)
    )
    return {"folder": folder, "ok": False, "step": failed_step, "error": _error_message(state)}


def summary_markdown(summary: Mapping[str, Any]) -> str:
    """The summary of :func:`state_report` as Markdown."""
    lines = [
        "# Quartalsbericht aller Kommunen",
        "",
        f"{summary['succeeded']} von {summary['total']} erfolgreich, "
        f"{summary['failed']} fehlgeschlagen.",
    ]
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
            "| Ordner | Stichtag | Maßnahmen | Zeilen angenommen | abgelehnt | Bericht |",
            "|---|---|---:|---:|---:|---|",
        ]
        for o in successes:
            lines.append(
                f"| {o['folder']} | {o['as_of']} | {o['measures']} | {o['rows_accepted']} "
                f"| {o['rows_rejected']} | [{Path(o['docx']).name}]({Path(o['docx']).as_uri()}) |"
            )
    return "\n".join(lines) + "\n"


@flow(name="state-report", task_runner=ThreadPoolTaskRunner(max_workers=MAX_THREADS))
def state_report(folders: list[str], max_workers: int = DEFAULT_MAX_WORKERS) -> dict[str, Any]:
    """The quarterly job for many municipalities at once, ``max_workers`` at a time.

    Each folder gets an ingest task and a report task that waits for it. A
    failing municipality never stops the others: every folder's final states
    are inspected and the flow ends with a summary, returned and published as
    the Markdown artifact ``state-report-summary``. The flow itself completes
    even when municipalities failed; the summary says which and why.

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
        ingested = _ingest_pooled.submit(folder)
        reported = _report_pooled.submit(folder, wait_for=[ingested])
        submitted.append((folder, ingested, reported))
        in_flight.append(reported)
    for _, ingested, reported in submitted:
        ingested.wait()
        reported.wait()
    outcomes = [_outcome(folder, i, r) for folder, i, r in submitted]
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
    for o in outcomes:
        if not o["ok"]:
            logger.error("%s: %s fehlgeschlagen: %s", o["folder"], o["step"], o["error"])
    logger.info("%d von %d Kommunen erfolgreich", summary["succeeded"], summary["total"])
    return summary
