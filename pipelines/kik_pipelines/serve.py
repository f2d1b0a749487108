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
   subprocess (:class:`LocalServer`). Its data (Prefect's own ``prefect.db``,
   ``server.log``, ``kik-server.pid``) lives in :func:`default_prefect_home`:
   ``PREFECT_HOME``, else ``[zeitplan] prefect_home``, else the per-user data
   directory, never a municipality folder (often the office's file share).
   The project's status store (``kik.sqlite`` or ``[speicher] url``) stays
   separate. With ``PREFECT_API_URL`` set, that server is used instead.
3. An explicit ``port`` is honoured or refused (:class:`ServeError`), never
   replaced: a unit file, a firewall rule or a reverse proxy point at it. The
   check binds with ``SO_REUSEADDR``, as the server itself does, so a port in
   ``TIME_WAIT`` after a restart counts as free.
4. A server left running by a ``kik serve`` that was killed (SIGKILL, power
   cut of the session) is found through ``kik-server.pid`` and stopped before
   the new one starts; a server whose ``kik serve`` still runs is refused.
5. It serves until SIGINT (Ctrl+C) or SIGTERM, then stops cleanly: the
   deployments are *not* paused (``pause_on_shutdown=False``), so the schedule is
   intact when serving resumes, and the server subprocess is terminated.

Every deployment is tagged ``kik`` and ``kommune:<folder>``
(:func:`~kik_pipelines.flows.municipality_tag`); its flow runs carry the tags.
:func:`deploy` registers the same deployments with a work pool instead, from
the installed package (entrypoint ``kik_pipelines.flows.quarterly_report``).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
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
from typing import IO, TYPE_CHECKING, cast

import attrs
import httpx
import platformdirs
import prefect
from prefect.schedules import Cron
from prefect.settings import PREFECT_API_URL, PREFECT_HOME, temporary_settings
from prefect.types.entrypoint import EntrypointType

from kik_core.errors import KikError
from kik_core.settings import Settings, load_settings
from kik_pipelines.flows import municipality_tag, quarterly_report, slug

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
    "deploy",
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
    #: German notes for the operator (a stale server stopped, another port taken).
    notes: tuple[str, ...] = ()

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
    # to_deployment is sync-compatible: from sync code it returns the deployment itself,
    # though it is typed as "RunnerDeployment or a coroutine"
    return [
        cast(
            "RunnerDeployment",
            quarterly_report.to_deployment(
                name=p.name,
                parameters={"folder": str(p.folder)},
                schedule=Cron(p.cron, timezone=p.timezone),
                description=f"Quartalsbericht {p.municipality} ({p.folder})",
                tags=["kik", municipality_tag(p.folder)],
                entrypoint_type=EntrypointType.MODULE_PATH,
            ),
        )
        for p in planned
    ]


def _bind(port: int) -> int | None:
    """Bind 127.0.0.1:``port`` as the server will (``SO_REUSEADDR``); the port or ``None``.

    Without ``SO_REUSEADDR`` a port whose last connections are in ``TIME_WAIT``
    (for a minute or two after the server stopped) looks busy although the
    server, which sets the option, can bind it. On Windows the option would let
    two sockets share a port, so it is left out there.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        if os.name != "nt":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return None
        return int(sock.getsockname()[1])


def _port_busy(port: int) -> ServeError:
    return ServeError(
        f"Port {port} ist belegt (127.0.0.1:{port}). kik serve weicht nicht auf einen "
        "anderen Port aus, weil Firewall, Reverse-Proxy und Lesezeichen auf diesen Port "
        f"zeigen. Beenden Sie das Programm, das ihn belegt (Linux: ss -ltnp 'sport = :{port}'), "
        "oder starten Sie mit einem anderen --port."
    )


def _running(pid: int) -> bool:
    """True if process ``pid`` exists and is not a zombie.

    On Windows always ``False`` (``os.kill`` would signal, not probe): a
    leftover server there shows up as a busy port instead.
    """
    if os.name == "nt":  # pragma: no cover
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        state = stat.read_text(encoding="ascii", errors="replace").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc (macOS): trust kill(0)
    return state not in {"Z", "X"}


def _command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace")


def _read_pid_file(path: Path) -> dict[str, int]:
    """``server``, ``owner`` and ``port`` from ``kik-server.pid`` (``{}`` if unreadable)."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return {}
    if text.isdigit():  # the format before JSON: the server's pid only
        return {"server": int(text)}
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}


def _healthy(api_url: str) -> bool:
    try:
        response = httpx.get(f"{api_url}/health", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == httpx.codes.OK


class LocalServer:
    """``prefect server start`` as a subprocess on 127.0.0.1, for as long as needed.

    The server's output goes to ``<prefect_home>/server.log``. While it runs,
    ``<prefect_home>/kik-server.pid`` holds (as JSON) the server's process id,
    the process that started it (``owner``) and the port. :meth:`start` reads a
    leftover file first: a server whose owner is gone (a SIGKILLed ``kik
    serve``) is stopped; one whose owner still runs is refused. Use it as a
    context manager, or call :meth:`start` and :meth:`stop`.

    Args:
        prefect_home: Prefect's data directory for this server.
        port: the port; with ``strict`` (an explicit ``--port``) it is used or
            refused with a :class:`ServeError`, never replaced. Without
            ``strict`` a busy port is replaced by a free one and
            :attr:`notes` says so. ``None``: any free port.
        strict: refuse a busy ``port`` instead of taking another.
    """

    def __init__(
        self, prefect_home: Path, port: int | None = None, *, strict: bool = False
    ) -> None:
        """Prepare a server storing its database in ``prefect_home`` (started by :meth:`start`)."""
        self.prefect_home = prefect_home
        self.requested_port = port
        self.strict = strict
        self.port = 0
        self.log_file = prefect_home / "server.log"
        self.pid_file = prefect_home / "kik-server.pid"
        #: German notes for the operator, filled by :meth:`start`.
        self.notes: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def api_url(self) -> str:
        """The server's API URL (known once :meth:`start` has chosen the port)."""
        return f"http://127.0.0.1:{self.port}/api"

    def _stop_stale_server(self, timeout: float = 20.0) -> None:
        """Stop a server left behind by a killed owner; refuse one whose owner still runs."""
        info = _read_pid_file(self.pid_file)
        server, owner = info.get("server"), info.get("owner")
        if server is None or not _running(server) or "prefect" not in _command_line(server):
            self.pid_file.unlink(missing_ok=True)
            return
        if owner is not None and owner != os.getpid() and _running(owner):
            raise ServeError(
                f"In {self.prefect_home} läuft schon ein Prefect-Server (PID {server}, Port "
                f"{info.get('port', '?')}), gestartet von Prozess {owner}, der noch läuft. "
                "Beenden Sie diesen kik serve zuerst oder wählen Sie ein anderes PREFECT_HOME."
            )
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(server, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _running(server) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _running(server):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(server, signal.SIGKILL)
            while _running(server) and time.monotonic() < deadline + timeout:
                time.sleep(0.1)
        self.pid_file.unlink(missing_ok=True)
        self.notes.append(
            f"Alter Prefect-Server (PID {server}, Port {info.get('port', '?')}) eines "
            "abgebrochenen kik serve wurde beendet."
        )

    def _choose_port(self) -> int:
        wanted = self.requested_port
        if wanted and _bind(wanted) is not None:
            return wanted
        if wanted and self.strict:
            raise _port_busy(wanted)
        port = _bind(0)
        if port is None:  # pragma: no cover - the system gives no free port at all
            raise ServeError("kein freier Port auf 127.0.0.1 gefunden")
        if wanted:
            self.notes.append(
                f"Port {wanted} ist belegt; der Prefect-Server läuft auf Port {port} "
                "(mit --port N einen festen Port wählen)."
            )
        return port

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
        self._stop_stale_server()
        self.port = self._choose_port()
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
        record = {"server": self._process.pid, "owner": os.getpid(), "port": self.port}
        self.pid_file.write_text(json.dumps(record) + "\n", encoding="ascii")
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


def user_prefect_home() -> Path:
    """The per-user default: ``<user data dir>/kik/prefect``.

    ``~/.local/share/kik/prefect`` on Linux (``$XDG_DATA_HOME`` if set),
    ``%LOCALAPPDATA%\\kik\\prefect`` on Windows, ``~/Library/Application
    Support/kik/prefect`` on macOS.
    """
    return platformdirs.user_data_path("kik", appauthor=False) / "prefect"


def default_prefect_home(folders: Sequence[str | Path]) -> Path:
    """Where the local server keeps its data; never a municipality folder by default.

    In order: ``PREFECT_HOME`` from the environment; ``[zeitplan] prefect_home``
    of the folders (they must agree); :func:`user_prefect_home`.

    Raises:
        SettingsError: a folder's ``kik.toml`` is invalid.
        ServeError: two folders set different ``prefect_home`` values.
    """
    configured = os.environ.get("PREFECT_HOME")
    if configured:
        return Path(configured).expanduser().resolve()
    homes = {s.prefect_home for s in map(load_settings, folders) if s.prefect_home is not None}
    if len(homes) > 1:
        raise ServeError(
            "Die Ordner nennen verschiedene [zeitplan] prefect_home: "
            f"{', '.join(sorted(map(str, homes)))}; ein kik serve braucht genau eines"
        )
    return homes.pop() if homes else user_prefect_home()


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
        port: the local server's port, used or refused (:class:`ServeError`),
            never replaced. ``None``: 4200 if free, else any free port (and
            :attr:`ServeInfo.notes` says so). Refused with ``PREFECT_API_URL``
            set, since that server's port is not ours to choose.
        limit: how many flow runs may run at once (``None``: no limit).
        on_ready: called with a :class:`ServeInfo` once the server is up and
            just before serving starts (``kik serve`` prints it).

    Raises:
        SettingsError: a folder's ``kik.toml`` is missing or invalid.
        ServeError: the Prefect server cannot be started or reached, ``port``
            is busy, or a server of another running ``kik serve`` uses the
            same Prefect home.
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
            if port is not None:
                raise ServeError(
                    f"--port {port} gilt nur für den lokalen Prefect-Server, aber PREFECT_API_URL "
                    f"ist gesetzt ({api_url}); --port weglassen oder PREFECT_API_URL entfernen"
                )
            if not _healthy(api_url):
                raise ServeError(
                    f"Der Prefect-Server unter PREFECT_API_URL={api_url} antwortet nicht"
                )
        else:
            home = default_prefect_home(folders)
            server = LocalServer(home, port or DEFAULT_PORT, strict=port is not None)
            stack.callback(server.stop)
            api_url = server.start()
            # flow runs are started as subprocesses and read the environment
            os.environ["PREFECT_API_URL"] = api_url
            os.environ["PREFECT_HOME"] = str(home)
            stack.enter_context(
                temporary_settings(updates={PREFECT_API_URL: api_url, PREFECT_HOME: str(home)})
            )
        if on_ready is not None:
            notes = tuple(server.notes) if server is not None else ()
            on_ready(ServeInfo(api_url, server is not None, home, tuple(planned), notes))
        prefect.serve(
            *deployments(planned),
            pause_on_shutdown=False,
            print_starting_message=False,
            limit=limit,
        )


def deploy(
    folders: Sequence[str | Path], work_pool: str, *, create_pool: bool = True
) -> list[ServedDeployment]:
    """Register the quarterly deployments of ``folders`` with ``work_pool`` (no serving).

    The same deployments as :func:`serve` (name, schedule from ``kik.toml``, tags
    ``kik`` and ``kommune:<folder>``), run by a Prefect worker of the pool. The
    entrypoint is the module path ``kik_pipelines.flows.quarterly_report``, so a
    worker needs only the installed wheel (``kik-core[pipelines]``), no source
    checkout. Uses the Prefect API configured (``PREFECT_API_URL``).

    Args:
        folders: the municipality folders.
        work_pool: the work pool's name.
        create_pool: create a ``process`` pool of that name if there is none.

    Raises:
        SettingsError: a folder's ``kik.toml`` is missing or invalid.
    """
    from prefect.client.orchestration import get_client  # noqa: PLC0415 - only when deploying
    from prefect.client.schemas.actions import WorkPoolCreate  # noqa: PLC0415
    from prefect.exceptions import ObjectNotFound  # noqa: PLC0415

    planned = plan(folders)
    if create_pool:
        with get_client(sync_client=True) as client:
            try:
                client.read_work_pool(work_pool)
            except ObjectNotFound:
                client.create_work_pool(WorkPoolCreate(name=work_pool, type="process"))
    for deployment in deployments(planned):
        deployment.apply(work_pool_name=work_pool)
    return planned
