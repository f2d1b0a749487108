"""``state_report`` on a pool of worker processes on this machine (issue 16).

Charts and the DOCX are CPU-bound and hold the GIL, so the thread pool of
:func:`~kik_pipelines.flows.state_report` uses one core. Here Prefect's
``ProcessPoolTaskRunner`` runs :func:`~kik_pipelines.batches.batched_state_report`'s
tasks in worker processes instead, one per core by default. Each task is a batch
of municipalities (:func:`~kik_pipelines.batches.municipality_batch`), and each
worker starts warm (:func:`~kik_pipelines.batches.warm_worker`: imports, fonts,
frozen garbage collector) and processes many batches in turn. No cluster to start
or stop.

Example::

    from kik_pipelines.processes import process_state_report

    state = process_state_report()(folders=["/daten/kempten", "/daten/passau"],
                                   return_state=True)
    summary = state.result(raise_on_failure=False)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

from prefect import Flow
from prefect.task_runners import ProcessPoolTaskRunner

from kik_pipelines.batches import batched_state_report, warm_worker

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State
    from prefect.futures import PrefectFuture
    from prefect.task_runners import TaskRunner

__all__ = ["process_state_report", "process_task_runner"]


def process_task_runner(processes: int | None = None) -> ProcessPoolTaskRunner:
    """A ``ProcessPoolTaskRunner`` of ``processes`` warm workers (default: one per CPU)."""
    workers = processes or os.cpu_count() or 1
    return ProcessPoolTaskRunner(max_workers=workers, initializer=warm_worker)


def process_state_report(processes: int | None = None) -> Flow[..., State[dict[str, Any]]]:
    """:func:`~kik_pipelines.batches.batched_state_report` in ``processes`` worker processes.

    Args:
        processes: worker processes; default one per CPU (more only compete for the
            cores). Call the returned flow with ``folders`` and, optionally,
            ``batch_size`` (municipalities per task) and ``workers`` (the number of
            workers the batches are sized for; default one per CPU).
    """
    # Prefect types a flow's runner as TaskRunner[PrefectFuture]; TaskRunner is invariant
    # in its future type, so its own pool runners need the cast Prefect uses internally
    runner = cast("TaskRunner[PrefectFuture[Any]]", process_task_runner(processes))
    return batched_state_report.with_options(task_runner=runner)
