"""``state_report`` on a Dask cluster (the ``dask`` extra: prefect-dask, distributed).

Only tasks reach the cluster: :func:`~kik_pipelines.batches.batched_state_report`
submits one task per batch of municipalities, and the Dask task runner sends them
to its workers. Each worker warms up once (imports, fonts, frozen garbage
collector: :func:`~kik_pipelines.batches.warm_worker`) and ingests and reports the
municipalities of its batches in turn. The flow itself runs where it was started.

Two set-ups:

* **a temporary local cluster** (the default): ``n_workers`` processes (default:
  one per CPU; more only compete for the cores) with one thread each, started with
  the flow and stopped after it. Processes sidestep the GIL for the CPU-bound
  report (charts, DOCX).
* **an existing cluster**: pass its scheduler ``address``
  (``tcp://scheduler:8786``). The workers must be able to import ``kik_core`` and
  ``pipelines`` (install ``kik-core[dask]`` on them), reach the municipality
  folders under the same paths, and reach the Prefect API (``PREFECT_API_URL``
  in their environment), since task states, logs and artifacts are reported
  from the worker.

Example::

    from kik_pipelines.dask import dask_state_report

    state = dask_state_report()(
        folders=["/daten/kempten", "/daten/passau"], return_state=True
    )
    summary = state.result(raise_on_failure=False)
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, cast

import dask
from prefect import Flow
from prefect_dask.task_runners import DaskTaskRunner

from kik_pipelines.batches import batched_state_report

if TYPE_CHECKING:
    from prefect.client.schemas.objects import State
    from prefect.futures import PrefectFuture
    from prefect.task_runners import TaskRunner

__all__ = ["WORKER_CONFIG", "dask_state_report", "dask_task_runner"]

#: Dask settings for a local cluster: its workers, their nannies and the scheduler
#: (issue 16). On a machine with one worker per core, every CPU second Dask spends
#: on itself is taken from the reports:
#:
#: * the statistical profiler samples every worker thread's stack every 10 ms and
#:   keeps what it saw (CPU time, and worker memory that grew with the run): off;
#: * each process measures its event loop's latency every 20 ms (``tick``): 1 s;
#: * each process samples its CPU, memory, disk and network use every 500 ms for
#:   the dashboard (``system-monitor``): 2 s;
#: * each nanny checks its worker's memory every 100 ms: 1 s (a worker over its
#:   memory limit is still stopped, a second later at most).
#:
#: Together these took about 5 % of both cores with two workers (the flow process
#: 6.0 → 3.6 s CPU, each worker's event loop 2.7 → 1.8 s, for 120 municipalities).
WORKER_CONFIG: dict[str, Any] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.memory.monitor-interval": "1s",
}


def dask_task_runner(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    processes: bool = True,
) -> DaskTaskRunner:
    """A Dask task runner: on the cluster at ``address``, or on a temporary local one.

    For a local cluster this sets :data:`WORKER_CONFIG` in this process's Dask
    configuration, which the workers inherit; an existing cluster's workers keep
    their own (set the same keys in the cluster's Dask configuration).

    Args:
        address: the scheduler address of an existing cluster; ``None`` starts a
            ``distributed.LocalCluster`` for the duration of the flow run.
        n_workers: local cluster only: the number of worker processes (default: one
            per CPU).
        threads_per_worker: local cluster only: threads in each worker.
        processes: local cluster only: workers as processes (``True``) or threads.
    """
    if address is not None:
        return DaskTaskRunner(address=address)
    dask.config.set(WORKER_CONFIG)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": n_workers or os.cpu_count() or 1,
            "threads_per_worker": threads_per_worker,
            "processes": processes,
            # the scheduler's web server on a free port: the fixed default (8787) clashes
            # with any other cluster on the machine (Dask warns and picks another)
            "dashboard_address": ":0",
        }
    )


def dask_state_report(
    address: str | None = None,
    *,
    n_workers: int | None = None,
    threads_per_worker: int = 1,
    processes: bool = True,
) -> Flow[..., State[dict[str, Any]]]:
    """:func:`~kik_pipelines.batches.batched_state_report` with its tasks on a Dask cluster.

    Takes the arguments of :func:`dask_task_runner`; call the returned flow with
    ``folders`` and, optionally, ``batch_size`` (municipalities per task) and
    ``workers`` (the number of workers the batches are sized for; pass the
    cluster's worker count, default one per CPU).
    """
    runner = dask_task_runner(
        address,
        n_workers=n_workers,
        threads_per_worker=threads_per_worker,
        processes=processes,
    )
    # TaskRunner is invariant in its future type (see kik_pipelines.processes)
    return batched_state_report.with_options(
        task_runner=cast("TaskRunner[PrefectFuture[Any]]", runner)
    )
