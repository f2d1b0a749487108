"""``state_report`` on a pool of worker processes on this machine (issue 16).

Charts and the DOCX are CPU-bound and hold the GIL, so the thread pool of
:func:`~kik_pipelines.flows.state_report` uses one core. Prefect's
``ProcessPoolTaskRunner`` runs its ingest and report tasks in worker processes
instead, one per core by default; each worker keeps its imports warm and
processes many municipalities in turn. No cluster to start or stop.

Example::

    from kik_pipelines.processes import process_state_report

    state = process_state_report()(folders=["/daten/kempten", "/daten/passau"],
                                   return_state=True)
    summary = state.result(raise_on_failure=False)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from prefect import Flow
from prefect.task_runners import ProcessPoolTaskRunner

from kik_pipelines.flows import state_report

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State

__all__ = ["process_state_report"]


def process_state_report(processes: int | None = None) -> Flow[..., State[dict[str, Any]]]:
    """:func:`~kik_pipelines.flows.state_report` with its tasks in ``processes`` worker processes.

    Args:
        processes: worker processes; default one per CPU (more only compete for the
            cores). Pass ``max_workers`` (municipalities in flight) to the flow as usual.
    """
    workers = processes or os.cpu_count() or 1
    return state_report.with_options(task_runner=ProcessPoolTaskRunner(max_workers=workers))
