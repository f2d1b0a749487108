"""Prefect flows for kik: the quarterly job for one municipality or hundreds.

A thin layer over :mod:`kik_core.workflow`: the tasks call the workflow functions
and turn their results into small values, Prefect artifacts and log lines. No
business rule lives here.

Modules:

* :mod:`kik_pipelines.flows`: tasks and flows (``ingest_inbox``, ``build_report``,
  ``quarterly_report``, ``state_report``).
* :mod:`kik_pipelines.dask`: ``state_report`` on a Dask cluster.
* :mod:`kik_pipelines.serve`: schedule and serve the quarterly deployments, starting a
  local Prefect server when no ``PREFECT_API_URL`` is configured.
* :mod:`kik_pipelines.cli`: the ``kik serve`` sub-command.

Importing this package switches Prefect's analytics and telemetry off unless the
environment says otherwise (the machines it runs on are offline), and lets the
``kik_core`` loggers through to Prefect's run logs. This happens here, before any
module imports Prefect, because Prefect reads its settings at import time.
"""

from __future__ import annotations

import os

for _name, _value in (
    ("PREFECT_SERVER_ANALYTICS_ENABLED", "false"),
    ("DO_NOT_TRACK", "1"),
    ("PREFECT_LOGGING_EXTRA_LOGGERS", "kik_core"),
):
    os.environ.setdefault(_name, _value)

__all__: list[str] = []
