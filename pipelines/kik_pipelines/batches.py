"""``state_report`` in batches: one task per batch of municipalities (issue 16).

A state-wide run of :func:`~kik_pipelines.flows.state_report` submits two tasks
per municipality. Each task run costs Prefect 100 to 300 ms (task run records,
state changes, result handling), a third of what a Kempten-size municipality
costs to ingest and report. :func:`batched_state_report` submits one
:func:`municipality_batch` task per batch of municipalities instead; the task
ingests and reports each of them in turn, in a worker that keeps its imports warm
(:func:`warm_worker`), and returns one small outcome per municipality. The
summary, the run's state, the artifacts per municipality and the mail are those
of :func:`~kik_pipelines.flows.state_report`.

A failing municipality never stops the others in its batch: its outcome names the
step (``ingest`` or ``report``) and the error. Errors that may go away (a locked
file, a network share, a database restart; see
:func:`~kik_pipelines.flows.retry_transient`) are retried for that municipality
alone, after :data:`~kik_pipelines.flows.RETRY_DELAYS`.

The task runner decides where the batches run: :mod:`kik_pipelines.processes`
(worker processes on this machine) and :mod:`kik_pipelines.dask` (a Dask cluster)
use this flow.
"""

from __future__ import annotations

import gc
import importlib
import math
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_table_artifact
from prefect.futures import PrefectFuture, as_completed
from prefect.runtime import task_run

from kik_core import workflow
from kik_core.errors import KikError, StoreError
from kik_pipelines.flows import (
    RETRY_DELAYS,
    _folder_slug,
    _in_task_run,
    _ingest_values,
    _logger,
    _notify_state_report,
    _publish_report,
    _report_values,
    state_report_state,
    state_summary,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from prefect.client.schemas.objects import State

__all__ = [
    "BATCHES_PER_WORKER",
    "MAX_BATCH",
    "batch_folders",
    "batched_state_report",
    "municipality_batch",
    "run_municipality",
    "warm_worker",
]

#: At most this many municipalities per batch: a batch that fails as a whole (a
#: worker process killed) loses no more, and the last batches end close together.
MAX_BATCH = 25
#: Batches per worker at least, so that workers finishing early find more work.
BATCHES_PER_WORKER = 4

#: What every ingest and report imports, in the order they import it.
_WARM_MODULES = (
    "matplotlib",
    "docx",
    "sqlalchemy",
    "kik_core.store",
    "kik_core.ingest._inbox",
    "kik_core.report",
    "kik_core.report._builder",
    "kik_core.report.charts",
)
#: Set once this process is warm (:func:`warm_worker`).
_WARM: dict[str, bool] = {}


def warm_worker() -> None:
    """Prepare a worker process for many municipalities: imports, fonts, frozen GC.

    Imports what every report and ingest needs (``kik_core.report``, matplotlib,
    python-docx, the store and the readers), draws one small chart (the body font
    and its glyph cache), and then freezes the garbage collector's view of those
    long-lived objects (:func:`gc.freeze`), so every later full collection skips
    them. Charts are drawn in the worker itself: with one worker per core there is
    no spare core for :func:`kik_core.report.charts.render_all`'s own processes.

    Use it as the ``initializer`` of a process pool; :func:`municipality_batch`
    calls it too (once per process), so Dask workers get the same.
    """
    if _WARM:
        return
    for module in _WARM_MODULES:
        importlib.import_module(module)
    from kik_core.report import charts  # noqa: PLC0415 - lazy: the flow process needs none

    charts.POOL_PROCESSES = 1
    charts._warm_up()
    gc.collect()
    gc.freeze()
    _WARM["done"] = True


def batch_folders(folders: Sequence[str], workers: int, size: int | None = None) -> list[list[str]]:
    """Split ``folders`` into batches, in order.

    Args:
        folders: the municipality folders.
        workers: the worker processes that run the batches.
        size: municipalities per batch; default: enough batches for
            :data:`BATCHES_PER_WORKER` per worker, at most :data:`MAX_BATCH` each.

    >>> batch_folders([str(n) for n in range(10)], workers=2)
    [['0', '1'], ['2', '3'], ['4', '5'], ['6', '7'], ['8', '9']]
    >>> [len(b) for b in batch_folders([str(n) for n in range(1000)], workers=2)][:3]
    [25, 25, 25]
    """
    if size is None:
        size = min(MAX_BATCH, max(1, math.ceil(len(folders) / (workers * BATCHES_PER_WORKER))))
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    return [list(folders[i : i + size]) for i in range(0, len(folders), size)]


def _transient(exc: BaseException) -> bool:
    """Whether waiting may help (the rule of :func:`~kik_pipelines.flows.retry_transient`)."""
    return isinstance(exc, StoreError) or not isinstance(exc, KikError)


def _attempt(call: Callable[[], Any], folder: str, step: str) -> Any:
    """``call()``, retried after :data:`RETRY_DELAYS` while it fails with a transient error."""
    for delay in [*RETRY_DELAYS, None]:
        try:
            return call()
        except Exception as exc:
            if delay is None or not _transient(exc):
                raise
            _logger().warning(
                "%s: %s fehlgeschlagen (%s: %s), neuer Versuch in %d s",
                folder,
                step,
                type(exc).__name__,
                exc,
                delay,
            )
            time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def run_municipality(folder: str) -> dict[str, Any]:
    """Ingest, then report one folder; the outcome of :func:`~kik_pipelines.flows.state_report`.

    Inside a task run the artifacts of the ingest and report tasks are published
    (rejected rows, status counts, where the report is).

    Returns:
        ``folder``, ``ok`` and either ``docx``, ``as_of``, ``measures``,
        ``rows_accepted``, ``rows_rejected``, ``files_quarantined`` or ``step``
        and ``error`` (the exception's type and German message).
    """
    logger = _logger()
    step = "ingest"
    try:
        summary = _attempt(lambda: workflow.ingest(folder), folder, step)
        ingested = _ingest_values(folder, summary)
        rejected = summary.rejected_rows()
        if rejected:
            if _in_task_run():
                create_table_artifact(
                    table=rejected,
                    key=f"{_folder_slug(folder)}-rejected-rows",
                    description=(
                        f"Abgelehnte Zeilen und Dateien in Quarantäne, {Path(folder).name}: "
                        f"{summary.rows_rejected} Zeilen (Fehler-Arbeitsmappen liegen in ausgang/)"
                    ),
                )
            logger.warning(
                "%s: %d Zeilen abgelehnt, %d Dateien in Quarantäne; "
                "Fehler-Arbeitsmappen in ausgang/",
                folder,
                summary.rows_rejected,
                summary.files_quarantined,
            )
        del summary, rejected
        step = "report"
        result = _attempt(lambda: workflow.report(folder), folder, step)
        reported = _report_values(folder, result)
        if _in_task_run():
            _publish_report(folder, result)
        del result
    except Exception as exc:  # one municipality's failure is its outcome, not the batch's
        error = f"{type(exc).__name__}: {exc}"
        logger.error("%s: %s fehlgeschlagen: %s", folder, step, error)  # noqa: TRY400 - no trace
        return {"folder": folder, "ok": False, "step": step, "error": error}
    logger.info(
        "%s: %d Zeilen angenommen, %d abgelehnt; Bericht geschrieben: %s",
        folder,
        ingested["rows_accepted"],
        ingested["rows_rejected"],
        reported["docx"],
    )
    return {
        "folder": folder,
        "ok": True,
        "docx": reported["docx"],
        "as_of": reported["as_of"],
        "measures": reported["measures"],
        "rows_accepted": ingested["rows_accepted"],
        "rows_rejected": ingested["rows_rejected"],
        "files_quarantined": ingested["files_quarantined"],
    }


def _batch_name() -> str:
    folders = task_run.parameters["folders"]
    first, last = Path(str(folders[0])).name, Path(str(folders[-1])).name
    return f"kommunen-{first}" if len(folders) == 1 else f"kommunen-{first}-bis-{last}"


@task(name="municipality-batch", task_run_name=_batch_name)
def municipality_batch(folders: list[str]) -> list[dict[str, Any]]:
    """Ingest and report each folder in turn (:func:`run_municipality`); one outcome each.

    The task itself is not retried: each municipality's transient errors are
    retried inside, and a municipality that fails for good is an outcome, so the
    task fails only when its worker does.
    """
    warm_worker()
    return [run_municipality(folder) for folder in folders]


@flow(
    name="state-report",
    on_completion=[_notify_state_report],
    on_failure=[_notify_state_report],
    on_crashed=[_notify_state_report],
)
def batched_state_report(
    folders: list[str], batch_size: int | None = None, workers: int | None = None
) -> State[dict[str, Any]]:
    """:func:`~kik_pipelines.flows.state_report` with one task per batch of municipalities.

    Run it on a task runner with worker processes (:mod:`kik_pipelines.processes`,
    :mod:`kik_pipelines.dask`); each batch is one :func:`municipality_batch` task.
    The summary (returned, and published as the Markdown artifact
    ``state-report-summary``) and the final state are those of
    :func:`~kik_pipelines.flows.state_report`. A batch whose worker dies makes
    each of its municipalities a failed outcome (step ``batch``).

    Args:
        folders: the municipality folders.
        batch_size: municipalities per task (default: see :func:`batch_folders`).
        workers: the number of workers the batches are sized for (default: one per CPU).
    """
    logger = get_run_logger()
    batches = batch_folders([str(f) for f in folders], workers or os.cpu_count() or 1, batch_size)
    futures: dict[PrefectFuture[list[dict[str, Any]]], list[str]] = {
        municipality_batch.submit(batch): batch for batch in batches
    }
    by_folder: dict[str, dict[str, Any]] = {}
    total = sum(map(len, batches))
    for future in as_completed(list(futures)):
        batch = futures.pop(future)
        try:
            for outcome in future.result():
                by_folder[outcome["folder"]] = outcome
        except Exception as exc:  # the batch's worker died: each of its municipalities failed
            error = f"{type(exc).__name__}: {exc}"
            logger.error("Stapel ab %s fehlgeschlagen: %s", batch[0], error)  # noqa: TRY400
            for folder in batch:
                by_folder[folder] = {"folder": folder, "ok": False, "step": "batch", "error": error}
        logger.info("%d von %d Kommunen bearbeitet", len(by_folder), total)
        del future  # release the result (Dask keeps it while a future refers to it)
    outcomes = [by_folder[str(f)] for f in folders]
    summary = state_summary(outcomes)
    logger.info("%d von %d Kommunen erfolgreich", summary["succeeded"], summary["total"])
    return state_report_state(summary)
