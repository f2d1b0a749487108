"""``kik serve``: a real Prefect server, the quarterly schedule, a clean shutdown.

Starts ``kik serve DIR --port N`` as a subprocess with no Prefect API configured,
so it must start its own server (data in the per-user data directory under a
temporary ``HOME``, never in ``DIR``). Through the API it checks the deployment,
its cron schedule and the next scheduled run (06:00 Europe/Berlin on the 1st of
January, April, July or October), then stops the command with a signal and, on a
fresh server over the same ``PREFECT_HOME``, checks that the deployment was not
paused on the way out. Further tests restart on the same port within seconds and
start after a SIGKILLed ``kik serve``. The port, Prefect-home and stale-server
logic is also tested without a server (not ``slow``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("prefect")
import httpx

import kik_pipelines
from kik_pipelines.serve import (
    LocalServer,
    ServeError,
    _running,
    default_prefect_home,
    serve,
    user_prefect_home,
)
from tests.pipeline_fixtures import free_port, make_municipality

pytestmark = [
    # httpx clients of the Prefect server subprocess may leave sockets to the GC
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

REPO = Path(__file__).resolve().parents[1]

BERLIN = ZoneInfo("Europe/Berlin")
QUARTERLY = "0 6 1 1,4,7,10 *"


def _wait_for(probe: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            found = probe()
        except httpx.HTTPError:
            found = None
        if found is not None:
            return found
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _deployment(api: str, name: str) -> dict[str, Any] | None:
    response = httpx.post(
        f"{api}/deployments/filter", json={"deployments": {"name": {"any_": [name]}}}, timeout=5
    )
    response.raise_for_status()
    found = response.json()
    return found[0] if found else None


def _scheduled_runs(api: str, deployment_id: str) -> list[dict[str, Any]] | None:
    response = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "deployments": {"id": {"any_": [deployment_id]}},
            "flow_runs": {"state": {"type": {"any_": ["SCHEDULED"]}}},
        },
        timeout=5,
    )
    response.raise_for_status()
    return response.json() or None


def _kik_serve(folder: Path, port: int) -> list[str]:
    """``kik serve DIR --port N``: the installed command if it runs these sources."""
    kik = Path(sys.executable).with_name("kik")
    [entry] = entry_points(group="kik.commands", name="serve")
    if kik.exists() and entry.value == "kik_pipelines.cli:serve_main":
        return [str(kik), "serve", str(folder), "--port", str(port)]
    # an older editable install: call the sub-command of these sources directly
    code = "from kik_pipelines.cli import serve_main; raise SystemExit(serve_main())"
    return [sys.executable, "-c", code, str(folder), "--port", str(port)]


def _serve_env(tmp_path: Path) -> dict[str, str]:
    """No Prefect settings, a temporary HOME (its data dir holds the Prefect home)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "KIK_SMTP_")) and k != "XDG_DATA_HOME"
    }
    sources = [REPO / "src", Path(kik_pipelines.__file__).parents[1], REPO]
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(
        HOME=str(tmp_path / "home"),  # keep ~/.prefect of whoever runs the tests untouched
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join(map(str, sources)),
    )
    return env


def _user_home(tmp_path: Path) -> Path:
    """The Prefect home ``kik serve`` picks with :func:`_serve_env`."""
    return tmp_path / "home" / ".local" / "share" / "kik" / "prefect"


def _start(folder: Path, port: int, env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("a") as out:
        return subprocess.Popen(
            _kik_serve(folder, port), env=env, stdout=out, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(timeout=30)


def _kill_leftover_server(home: Path) -> None:
    pid_file = home / "kik-server.pid"
    if pid_file.exists():
        pid = int(json.loads(pid_file.read_text(encoding="ascii"))["server"])
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_kik_serve_schedules_quarterly_and_stops_without_pausing(
    tmp_path: Path, signum: signal.Signals
) -> None:
    folder = make_municipality(tmp_path, "kempten")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _serve_env(tmp_path)
    home = _user_home(tmp_path)
    output = tmp_path / "kik-serve.log"
    process = _start(folder, port, env, output)
    try:
        deployment = _wait_for(lambda: _deployment(api, "kempten"), 120, "the deployment")
        assert deployment["parameters"] == {"folder": str(folder)}
        assert deployment["paused"] is False
        assert sorted(deployment["tags"]) == ["kik", "kommune:kempten"]
        assert (home / "prefect.db").is_file()
        assert not list(folder.rglob(".prefect")), "Prefect data in the municipality folder"
        [schedule] = deployment["schedules"]
        assert schedule["active"] is True
        assert schedule["schedule"]["cron"] == QUARTERLY
        assert schedule["schedule"]["timezone"] == "Europe/Berlin"

        runs = _wait_for(lambda: _scheduled_runs(api, deployment["id"]), 60, "a scheduled run")
        first = min(dt.datetime.fromisoformat(r["expected_start_time"]) for r in runs)
        local = first.astimezone(BERLIN)
        assert (local.day, local.hour, local.minute) == (1, 6, 0)
        assert local.month in {1, 4, 7, 10}
        assert first > dt.datetime.now(dt.UTC)
        assert first - dt.datetime.now(dt.UTC) <= dt.timedelta(days=93)

        text = output.read_text()
        assert f"http://127.0.0.1:{port}" in text
        assert "quarterly-report/kempten" in text
        assert f"nächster Lauf: {local:%d.%m.%Y, %H:%M} Uhr" in text
        assert f"PREFECT_HOME={home}" in text

        process.send_signal(signum)
        assert process.wait(timeout=60) == 0, output.read_text()
        assert "kik serve beendet\n" in output.read_text()
        assert not (home / "kik-server.pid").exists(), "the server subprocess was not stopped"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)

        # A fresh server over the same PREFECT_HOME shows what the shutdown left behind.
        with LocalServer(home) as api_after:
            after = _deployment(api_after, "kempten")
        assert after is not None
        assert after["paused"] is False
        assert [s["active"] for s in after["schedules"]] == [True]
        assert not list(folder.rglob(".prefect"))
    finally:
        _stop(process)
        _kill_leftover_server(home)


@pytest.mark.slow
def test_kik_serve_restarts_on_the_same_port_within_5_seconds(tmp_path: Path) -> None:
    """What systemd's Restart= does: stop, start again at once, same explicit port."""
    folder = make_municipality(tmp_path, "kempten")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _serve_env(tmp_path)
    output = tmp_path / "kik-serve.log"
    first = _start(folder, port, env, output)
    second: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(lambda: _deployment(api, "kempten"), 120, "the first deployment")
        for _ in range(20):  # connections the server closes: sockets in TIME_WAIT
            httpx.get(f"{api}/health", timeout=5, headers={"Connection": "close"})
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 0, output.read_text()
        stopped = time.monotonic()
        second = _start(folder, port, env, output)
        assert time.monotonic() - stopped < 5
        started = f"Prefect-Server: http://127.0.0.1:{port} "
        _wait_for(
            lambda: True if output.read_text().count(started) == 2 else None,
            120,
            "the restarted kik serve",
        )
        assert second.poll() is None
        assert _deployment(api, "kempten") is not None
        text = output.read_text()
        assert "belegt" not in text
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=60) == 0, output.read_text()
    finally:
        _stop(first)
        if second is not None:
            _stop(second)
        _kill_leftover_server(_user_home(tmp_path))


@pytest.mark.slow
def test_kik_serve_after_a_sigkilled_one_stops_its_stale_server(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "kempten")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = _serve_env(tmp_path)
    home = _user_home(tmp_path)
    output = tmp_path / "kik-serve.log"
    killed = _start(folder, port, env, output)
    again: subprocess.Popen[bytes] | None = None
    try:
        _wait_for(lambda: _deployment(api, "kempten"), 120, "the first deployment")
        stale = json.loads((home / "kik-server.pid").read_text(encoding="ascii"))
        assert stale["owner"] == killed.pid
        assert stale["port"] == port
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=30)
        assert _running(stale["server"]), "the server should outlive a SIGKILLed kik serve"
        assert httpx.get(f"{api}/health", timeout=5).status_code == 200

        again = _start(folder, port, env, output)
        _wait_for(
            lambda: True if "Alter Prefect-Server" in output.read_text() else None, 120, "the note"
        )
        _wait_for(
            lambda: True if "Beenden mit Strg+C" in output.read_text().split("Alter")[-1] else None,
            120,
            "the restarted kik serve",
        )
        assert _deployment(api, "kempten") is not None
        assert not _running(stale["server"])
        current = json.loads((home / "kik-server.pid").read_text(encoding="ascii"))
        assert current["owner"] == again.pid
        assert current["server"] != stale["server"]
        text = output.read_text()
        assert f"Alter Prefect-Server (PID {stale['server']}, Port {port})" in text
        again.send_signal(signal.SIGTERM)
        assert again.wait(timeout=60) == 0, text
    finally:
        _stop(killed)
        if again is not None:
            _stop(again)
        _kill_leftover_server(home)


@pytest.mark.slow
def test_kik_serve_reports_a_broken_folder(tmp_path: Path) -> None:
    env = _serve_env(tmp_path)
    serve_main = "from kik_pipelines.cli import serve_main; raise SystemExit(serve_main())"
    result = subprocess.run(
        [sys.executable, "-c", serve_main, str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "kik.toml fehlt" in result.stderr


# --- without a server ------------------------------------------------------------


@pytest.fixture
def listening() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def test_explicit_busy_port_is_refused_in_german(tmp_path: Path, listening: int) -> None:
    server = LocalServer(tmp_path / "prefect", listening, strict=True)
    with pytest.raises(ServeError, match=rf"Port {listening} ist belegt .*anderen --port"):
        server.start()
    assert server.notes == []
    assert not (tmp_path / "prefect" / "kik-server.pid").exists()


def test_default_port_busy_takes_another_and_says_so(tmp_path: Path, listening: int) -> None:
    server = LocalServer(tmp_path / "prefect", listening)
    port = server._choose_port()
    assert port != listening
    assert server.notes == [
        f"Port {listening} ist belegt; der Prefect-Server läuft auf Port {port} "
        "(mit --port N einen festen Port wählen)."
    ]


def test_port_in_time_wait_counts_as_free() -> None:
    """A port whose connection the server closed first (TIME_WAIT) is free for a restart."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = int(listener.getsockname()[1])
    client = socket.create_connection(("127.0.0.1", port))
    accepted, _ = listener.accept()
    accepted.close()  # the server side closes first: its socket goes to TIME_WAIT
    client.close()
    listener.close()
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as plain,
        pytest.raises(OSError, match="in use"),  # the old check's view of the port
    ):
        plain.bind(("127.0.0.1", port))
    server = LocalServer(Path("/nonexistent"), port, strict=True)
    assert server._choose_port() == port


def test_port_is_refused_with_a_configured_api(tmp_path: Path) -> None:
    from prefect.settings import PREFECT_API_URL, temporary_settings

    folder = make_municipality(tmp_path, "kempten")
    with (
        temporary_settings(updates={PREFECT_API_URL: "http://127.0.0.1:9/api"}),
        pytest.raises(ServeError, match="--port 4300 gilt nur für den lokalen Prefect-Server"),
    ):
        serve([folder], port=4300)


def test_prefect_home_is_never_the_municipality_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    folders = [make_municipality(tmp_path, "a"), make_municipality(tmp_path, "b")]
    home = default_prefect_home(folders)
    assert home == user_prefect_home() == tmp_path / "data" / "kik" / "prefect"
    assert not any(home.is_relative_to(f) for f in folders)


def test_prefect_home_from_kik_toml_then_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PREFECT_HOME", raising=False)
    folder = make_municipality(tmp_path, "a")
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    configured = tmp_path / "var" / "prefect"
    settings.write_text(
        text.replace("[zeitplan]\n", f'[zeitplan]\nprefect_home = "{configured}"\n'),
        encoding="utf-8",
    )
    assert default_prefect_home([folder]) == configured
    other = make_municipality(tmp_path, "b")
    (other / "kik.toml").write_text(
        text.replace("[zeitplan]\n", f'[zeitplan]\nprefect_home = "{tmp_path / "x"}"\n'),
        encoding="utf-8",
    )
    with pytest.raises(ServeError, match=r"verschiedene \[zeitplan\] prefect_home"):
        default_prefect_home([folder, other])
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "env"))
    assert default_prefect_home([folder, other]) == tmp_path / "env"


def _fake_server() -> subprocess.Popen[bytes]:
    """A process whose command line says ``prefect``, in its own process group."""
    return subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", "prefect", "server"],
        start_new_session=True,
    )


def _dead_pid() -> int:
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def test_stale_server_of_a_killed_owner_is_stopped(tmp_path: Path) -> None:
    home = tmp_path / "prefect"
    home.mkdir()
    stale = _fake_server()
    try:
        record = {"server": stale.pid, "owner": _dead_pid(), "port": 4277}
        (home / "kik-server.pid").write_text(json.dumps(record), encoding="ascii")
        server = LocalServer(home, 4277, strict=True)
        server._stop_stale_server()
        assert stale.wait(timeout=10) == -signal.SIGTERM
        assert not (home / "kik-server.pid").exists()
        assert server.notes == [
            f"Alter Prefect-Server (PID {stale.pid}, Port 4277) eines abgebrochenen "
            "kik serve wurde beendet."
        ]
    finally:
        _stop(stale)


def test_server_of_a_running_owner_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "prefect"
    home.mkdir()
    running = _fake_server()
    owner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        record = {"server": running.pid, "owner": owner.pid, "port": 4277}
        (home / "kik-server.pid").write_text(json.dumps(record), encoding="ascii")
        with pytest.raises(
            ServeError, match=rf"läuft schon ein Prefect-Server \(PID {running.pid}"
        ):
            LocalServer(home, 4277, strict=True)._stop_stale_server()
        assert running.poll() is None
    finally:
        _stop(running)
        _stop(owner)


def test_pid_file_of_a_gone_server_is_removed(tmp_path: Path) -> None:
    home = tmp_path / "prefect"
    home.mkdir()
    (home / "kik-server.pid").write_text(f"{_dead_pid()}\n", encoding="ascii")
    server = LocalServer(home)
    server._stop_stale_server()
    assert not (home / "kik-server.pid").exists()
    assert server.notes == []


def test_serve_prints_german_lines_only(capsys: pytest.CaptureFixture[str]) -> None:
    """What the office sees once kik serve runs: German, no "/ English" halves."""
    from kik_pipelines.cli import _print_info
    from kik_pipelines.serve import ServedDeployment, ServeInfo

    planned = ServedDeployment(
        name="kempten",
        folder=Path("/srv/kik/kempten"),
        municipality="Kempten (Allgäu)",
        cron="0 6 1 1,4,7,10 *",
        timezone="Europe/Berlin",
        next_run=dt.datetime(2027, 1, 1, 6, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    )
    home = Path("/home/kik/.local/share/kik/prefect")
    note = "Port 4200 ist belegt; der Prefect-Server läuft auf Port 4201."
    _print_info(ServeInfo("http://127.0.0.1:4201/api", True, home, (planned,), (note,)))
    assert capsys.readouterr().out.splitlines() == [
        f"Prefect-Server: http://127.0.0.1:4201  (lokal gestartet, PREFECT_HOME={home})",
        "Prefect-API:    http://127.0.0.1:4201/api",
        f"Hinweis: {note}",
        "Deployments:",
        "  quarterly-report/kempten  (Kempten (Allgäu), /srv/kik/kempten)",
        '    Zeitplan: "0 6 1 1,4,7,10 *" Europe/Berlin',
        "    nächster Lauf: 01.01.2027, 06:00 Uhr CET",
        "Beenden mit Strg+C",
    ]
    _print_info(ServeInfo("https://prefect.example/api", False, None, ()))
    assert "Prefect-Server: https://prefect.example  (über PREFECT_API_URL)" in (
        capsys.readouterr().out
    )
