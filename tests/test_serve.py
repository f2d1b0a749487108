"""``kik serve``: a real Prefect server, the quarterly schedule, a clean shutdown.

Starts ``kik serve DIR --port N`` as a subprocess with no Prefect API configured,
so it must start its own server (data in ``DIR/.prefect``). Through the API it
checks the deployment, its cron schedule and the next scheduled run (06:00
Europe/Berlin on the 1st of January, April, July or October), then stops the
command with a signal and, on a fresh server over the same ``PREFECT_HOME``,
checks that the deployment was not paused on the way out.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytest.importorskip("prefect")
import httpx

from kik_pipelines.serve import LocalServer
from tests.pipeline_fixtures import free_port, make_municipality

pytestmark = [
    pytest.mark.slow,
    # httpx clients of the Prefect server subprocess may leave sockets to the GC
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

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
    kik = Path(sys.executable).with_name("kik")
    if kik.exists():
        return [str(kik), "serve", str(folder), "--port", str(port)]
    return [sys.executable, "-m", "kik_core.cli", "serve", str(folder), "--port", str(port)]


def _kill_leftover_server(home: Path) -> None:
    pid_file = home / "kik-server.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text(encoding="ascii"))
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_kik_serve_schedules_quarterly_and_stops_without_pausing(
    tmp_path: Path, signum: signal.Signals
) -> None:
    folder = make_municipality(tmp_path, "kempten")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        HOME=str(tmp_path / "home"),  # keep ~/.prefect of whoever runs the tests untouched
        DO_NOT_TRACK="1",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    home = folder / ".prefect"
    output = tmp_path / "kik-serve.log"
    with output.open("w") as out:
        process = subprocess.Popen(
            _kik_serve(folder, port), env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deployment = _wait_for(lambda: _deployment(api, "kempten"), 120, "the deployment")
        assert deployment["parameters"] == {"folder": str(folder)}
        assert deployment["paused"] is False
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
        assert f"{local:%Y-%m-%d %H:%M}" in text

        process.send_signal(signum)
        assert process.wait(timeout=60) == 0, output.read_text()
        assert "beendet / stopped" in output.read_text()
        assert not (home / "kik-server.pid").exists(), "the server subprocess was not stopped"
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"{api}/health", timeout=2)

        # A fresh server over the same PREFECT_HOME shows what the shutdown left behind.
        with LocalServer(home) as api_after:
            after = _deployment(api_after, "kempten")
        assert after is not None
        assert after["paused"] is False
        assert [s["active"] for s in after["schedules"]] == [True]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        _kill_leftover_server(home)


def test_kik_serve_reports_a_broken_folder(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
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
