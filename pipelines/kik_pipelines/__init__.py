"""Prefect flows for kik: the quarterly job for one municipality or hundreds.

A thin layer over :mod:`kik_core.workflow`: the tasks call the workflow functions
and turn their results into small values, Prefect artifacts and log lines. No
business rule lives here.

Modules:

* :mod:`kik_pipelines.flows`: tasks and flows (``ingest_inbox``, ``build_report``,
  ``quarterly_report``, ``state_report``).
* :mod:`kik_pipelines.batches`: ``state_report`` in batches of municipalities on warm
  worker processes (``batched_state_report``).
* :mod:`kik_pipelines.processes`: the batched ``state_report`` on a process pool.
* :mod:`kik_pipelines.dask`: the batched ``state_report`` on a Dask cluster.
* :mod:`kik_pipelines.serve`: schedule and serve the quarterly deployments, starting a
  local Prefect server when no ``PREFECT_API_URL`` is configured.
* :mod:`kik_pipelines.cli`: the ``kik serve`` sub-command.

Importing this package switches Prefect's analytics and telemetry off unless the
environment says otherwise (the machines it runs on are offline), and lets the
``kik_core`` loggers through to Prefect's run logs. ``kik_core`` also logs outside any
flow run (the ``kik`` CLI, the library in a process that imported this package), so
records without a flow run are kept out of the API handler silently
(``PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW=ignore``) instead of raising a warning or
an error: they still reach the console and file handlers. This happens here, before any
module imports Prefect, because Prefect reads its settings at import time.
"""

from __future__ import annotations

import os

for _name, _value in (
    ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
    ("DO_NOT_TRACK", "1"),
    ("PREFECT_LOGGING_EXTRA_LOGGERS", "kik_core"),
    ("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore"),
):
    os.environ.setdefault(_name, _value)

__all__: list[str] = []
