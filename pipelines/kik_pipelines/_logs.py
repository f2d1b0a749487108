"""Run logs an office can read: a :class:`~kik_core.errors.KikError` without its traceback.

Prefect logs a failing task or flow with ``exc_info=True``, so a broken
``kik.toml`` shows a full Python traceback in the run log, the German message
buried at its end. A :class:`KikError` is an expected failure whose message says
what to fix; the filter here turns such a record into one line with that message
(and the error's class name for developers) and drops the traceback. Every other
exception (a real bug) keeps its traceback.

The filter sits on Prefect's run loggers (``prefect.flow_runs`` and
``prefect.task_runs``), so it applies to the console and to the logs sent to the
Prefect API alike. Prefect's logging set-up (``dictConfig``) keeps filters on
existing loggers, so installing it once at import time is enough.
"""

from __future__ import annotations

import logging

from kik_core.errors import KikError

__all__ = ["RUN_LOGGERS", "KikErrorFilter", "install_kik_error_filter"]

#: The loggers Prefect's engines report run failures on.
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class KikErrorFilter(logging.Filter):
    """Rewrite a record carrying a :class:`KikError` to its German message, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; shorten it when its exception is a :class:`KikError`."""
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, KikError):
            record.msg = "Abgebrochen (%s): %s"
            record.args = (type(exc).__name__, str(exc))
            record.exc_info = None
            record.exc_text = None
        return True


def install_kik_error_filter() -> None:
    """Put one :class:`KikErrorFilter` on each of Prefect's run loggers (idempotent)."""
    for name in RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, KikErrorFilter) for f in logger.filters):
            logger.addFilter(KikErrorFilter())
