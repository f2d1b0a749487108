"""Schedule and serve the quarterly job, one deployment per municipality folder.

:func:`serve` is what ``kik serve DIR [DIR ...]`` runs:

1. It loads every folder's ``kik.toml`` and builds one deployment of
   :func:`~kik_pipelines.flows.quarterly_report` per folder, named after the folder
   (:func:`~kik_pipelines.flows.slug`), on the folder's schedule
   (``[zeitplan] cron``/``zeitzone``; default quarterly, 06:00 Europe/Berlin on
   the 1st of January, April, July and October).
2. Prefect's ``serve`` refuses to schedule on the ephemeral (in-process) server,
   so where no Prefect API is configured (``PREFECT_API_URL`` unset) it starts
   a real one: ``prefect server start --host 127.0.0.1 --port N`` as a
   subprocess, with ``PREFECT_HOME`` (Prefect's own ``prefect.db``, logs,
   profiles) defaulting to ``<first folder>/.prefect``. The project's status
   store (``kik.sqlite`` or the ``[speicher] url``) stays separate. With
   ``PREFECT_API_URL`` set, that server is used instead.
3. It serves until SIGINT (Ctrl+C) or SIGTERM, then stops cleanly: the
   deployments are *not* paused (``pause_on_shutdown=False``), so the schedule is
   intact when serving resumes, and the server subprocess is terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import IO, TYPE_CHECKING

import attrs
import httpx
import prefect
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
from prefect.types.entrypoint import EntrypointType

from kik_core.errors import KikError
from kik_core.settings import Settings, load_settings
from kik_pipelines.flows import quarterly_report, slug

if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_PORT",
    "LocalServer",
    "ServeError",
    "ServeInfo",
    "ServedDeployment",
    "default_prefect_home",
    "deployments",
    "next_run",
    "plan",
    "serve",
]

#: The port ``kik serve`` prefers for the local server (Prefect's default).
DEFAULT_PORT = 4200
#: How many flow runs the served process runs at once (hundreds of municipalities
#: share one schedule: they must queue, not start hundreds of processes at 06:00).
DEFAULT_LIMIT = 4
#: Seconds to wait for the local server's ``/api/health``.
STARTUP_TIMEOUT = 90.0


class ServeError(KikError):
    """Serving cannot start: the Prefect server does not come up or cannot be reached."""


@attrs.frozen
class ServedDeployment:
    """One municipality's scheduled deployment, as ``kik serve`` reports it."""

    name: str
    folder: Path
    municipality: str
    cron: str
    timezone: str
    next_run: dt.datetime

    @property
    def full_name(self) -> str:
        """``flow-name/deployment-name``, as Prefect's UI and CLI show it."""
        return f"{quarterly_report.name}/{self.name}"


@attrs.frozen
class ServeInfo:
    """Where the server is and what is served; passed to ``on_ready``."""

    api_url: str
    started_server: bool
    prefect_home: Path | None
    deployments: tuple[ServedDeployment, ...]

    @property
    def ui_url(self) -> str:
        """The Prefect UI (the API URL without its ``/api`` suffix)."""
        return self.api_url.removesuffix("/").removesuffix("/api")


def next_run(cron: str, timezone: str, after: dt.datetime | None = None) -> dt.datetime:
    """The next date of a cron schedule after ``after`` (default: now), timezone-aware."""
    from prefect.server.schemas.schedules import CronSchedule  # noqa: PLC0415 - heavy

    start = after or dt.datetime.now(dt.UTC)
    dates = asyncio.run(CronSchedule(cron=cron, timezone=timezone).get_dates(n=1, start=start))
    return dates[0]


def plan(
    folders: Sequence[str | Path], *, now: dt.datetime | None = None
) -> list[ServedDeployment]:
    """Load each folder's settings and name its deployment (unique slugs of folder names).

    Raises:
        SettingsError: a folder is not a kik folder or its ``kik.toml`` is invalid.
    """
    planned: list[ServedDeployment] = []
    seen: set[str] = set()
    for folder in folders:
        settings: Settings = load_settings(folder)
        name = base = slug(settings.folder.name)
        number = 2
        while name in seen:
            name, number = f"{base}-{number}", number + 1
        seen.add(name)
        planned.append(
            ServedDeployment(
                name=name,
                folder=settings.folder,
                municipality=settings.municipality,
                cron=settings.cron,
                timezone=settings.timezone,
                next_run=next_run(settings.cron, settings.timezone, now),
            )
        )
    return planned


def deployments(planned: Sequence[ServedDeployment]) -> list[RunnerDeployment]:
    """One ``quarterly_report`` deployment per planned folder, on its cron schedule."""
    return [
        quarterly_report.to_deployment(
            name=p.name,
            parameters={"folder": str(p.folder)},
            schedule=Cron(p.cron, timezone=p.timezone),
            description=f"Quartalsbericht {p.municipality} ({p.folder})",
            tags=["kik"],
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        for p in planned
    ]


def _free_port(preferred: int | None = None) -> int:
    """``preferred`` if it is free on 127.0.0.1, else any free port."""
    candidates = [preferred] if preferred else []
    for port in [*candidates, 0]:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ServeError("kein freier Port gefunden")  # pragma: no cover


def _healthy(api_url: str) -> bool:
    try:
        response = httpx.get(f"{api_url}/health", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == httpx.codes.OK


class LocalServer:
    """``prefect server start`` as a subprocess on 127.0.0.1, for as long as needed.

    The server's output goes to ``<prefect_home>/server.log`` and its process id
    to ``<prefect_home>/kik-server.pid`` while it runs. Use it as a
    context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(self, prefect_home: Path, port: int | None = None) -> None:
        """Prepare a server storing its database in ``prefect_home`` (started by :meth:`start`)."""
        self.prefect_home = prefect_home
        self.port = _free_port(port)
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.log_file = prefect_home / "server.log"
        self.pid_file = prefect_home / "kik-server.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env.update(
            PREFECT_HOME=str(self.prefect_home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            DO_NOT_TRACK="1",
        )
        return env

    def start(self, timeout: float = STARTUP_TIMEOUT) -> str:
        """Start the server and wait until ``/api/health`` answers; returns the API URL.

        Raises:
            ServeError: the server exits or does not answer within ``timeout`` seconds.
        """
        self.prefect_home.mkdir(parents=True, exist_ok=True)
        self._log = self.log_file.open("ab")
        command = [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--analytics-off",
        ]
        self._process = subprocess.Popen(
            command,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            # its own session: Ctrl+C reaches `kik serve`, which stops the server last
            start_new_session=os.name != "nt",
        )
        self.pid_file.write_text(f"{self._process.pid}\n", encoding="ascii")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self.stop()
                raise ServeError(
                    f"Der Prefect-Server hat sich beendet (Exit-Code "
                    f"{self._process.returncode}); siehe {self.log_file}"
                )
            if _healthy(self.api_url):
                return self.api_url
            time.sleep(0.25)
        self.stop()
        raise ServeError(
            f"Der Prefect-Server antwortet nicht nach {timeout:.0f} s; siehe {self.log_file}"
        )

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate the server (its whole process group) and wait for it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            self._signal(process, signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
                process.wait(timeout)
        if process is not None:
            self.pid_file.unlink(missing_ok=True)
        if self._log is not None:
            self._log.close()
            self._log = None

    @staticmethod
    def _signal(process: subprocess.Popen[bytes], signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            if os.name == "nt":  # pragma: no cover - no process groups on Windows
                process.send_signal(signum)
            else:
                os.killpg(process.pid, signum)

    def __enter__(self) -> str:
        """Start the server; returns its API URL."""
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        """Stop the server."""
        self.stop()


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into KeyboardInterrupt so that ``finally`` blocks run."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # only the main thread can install signal handlers
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGTERM, previous)
    else:
        yield


def default_prefect_home(folders: Sequence[str | Path]) -> Path:
    """``PREFECT_HOME`` from the environment, else ``<first folder>/.prefect``."""
    configured = os.environ.get("PREFECT_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    return Path(folders[0]).resolve() / ".prefect"


def serve(
    folders: Sequence[str | Path],
    *,
    port: int | None = None,
    limit: int | None = DEFAULT_LIMIT,
    on_ready: Callable[[ServeInfo], None] | None = None,
) -> None:
    """Serve the quarterly deployments of ``folders`` until interrupted.

    Args:
        folders: the municipality folders (one deployment each).
        port: the local server's port (default: 4200 if free, else any free
            port); ignored when ``PREFECT_API_URL`` is set.
        limit: how many flow runs may run at once (``None``: no limit).
        on_ready: called with a :class:`ServeInfo` once the server is up and
            just before serving starts (``kik serve`` prints it).

    Raises:
        SettingsError: a folder's ``kik.toml`` is missing or invalid.
        ServeError: the Prefect server cannot be started or reached.
    """
    if not folders:
        raise ValueError("serve needs at least one municipality folder")
    planned = plan(folders)
    with _sigterm_as_interrupt(), contextlib.ExitStack() as stack:
        configured = PREFECT_API_URL.value()
        server: LocalServer | None = None
        home: Path | None = None
        if configured:
            api_url = str(configured).rstrip("/")
            if not _healthy(api_url):
                raise ServeError(
                    f"Der Prefect-Server unter PREFECT_API_URL={api_url} antwortet nicht"
                )
        else:
            home = default_prefect_home(folders)
            server = LocalServer(home, port or DEFAULT_PORT)
            stack.callback(server.stop)
            api_url = server.start()
            # flow runs are started as subprocesses and read the environment
            os.environ["PREFECT_API_URL"] = api_url
            os.environ["PREFECT_HOME"] = str(home)
            stack.enter_context(
                temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_HOME: str(home)})
            )
        if on_ready is not None:
            on_ready(ServeInfo(api_url, server is not None, home, tuple(planned)))
        prefect.serve(
            *deployments(planned),
            pause_on_shutdown=False,
            print_starting_message=False,
            limit=limit,
        )
