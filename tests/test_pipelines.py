"""The Prefect flows in ``kik_pipelines.flows`` (and ``kik_pipelines.dask``).

Task logic runs through ``.fn()`` without a server. The flows run against one
temporary Prefect server for the whole session (:func:`prefect_server`), since
starting one costs 6-12 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

pytest.importorskip("prefect")

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.client.schemas.objects import StateType
from prefect.logging.handlers import APILogHandler
from prefect.settings import PREFECT_HOME, PREFECT_LOGGING_LEVEL, temporary_settings
from prefect.states import Completed, Failed
from prefect.testing.utilities import prefect_test_harness

from kik_core import ConceptWorkbookError, SettingsError, StoreError
from kik_core.workflow import issue, open_round
from kik_core.workflow import report as workflow_report
from kik_pipelines._logs import KikErrorFilter
from kik_pipelines.flows import (
    NOT_PUBLISHED,
    PARTLY_FAILED,
    WITH_REJECTIONS,
    attention,
    build_report,
    counts_markdown,
    ingest_inbox,
    ingest_task,
    municipality_tag,
    publish_task,
    quarterly_markdown,
    quarterly_report,
    report_task,
    retry_transient,
    slug,
    state_report,
    summary_markdown,
)
from tests.pipeline_fixtures import (
    AS_OF,
    break_folder,
    make_municipalities,
    make_municipality,
    smtp_sink,
)

pytestmark = [
    # The temporary Prefect server subprocess and its client leave sockets to the
    # garbage collector when the session ends; not ours to close.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def prefect_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One temporary Prefect server (SQLite in a temp dir) for every flow test.

    Only this module uses it, so module scope means one server per test session, and
    the server and its client threads are gone before the next module runs.
    """
    home = tmp_path_factory.mktemp("prefect-home")
    env = {
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_HOME": str(home),
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        with (
            temporary_settings(updates={PREFECT_HOME: str(home), PREFECT_LOGGING_LEVEL: "WARNING"}),
            prefect_test_harness(server_startup_timeout=60),
        ):
            yield


def _artifacts(*keys: str) -> dict[str, Any]:
    """The latest artifact for each key, by key (missing keys left out)."""

    async def read() -> dict[str, Any]:
        async with get_client() as client:
            found = await client.read_artifacts(
                artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys)))
            )
        # several artifacts may share a key: the newest wins
        return {a.key: a for a in sorted(found, key=lambda a: a.created)}

    return asyncio.run(read())


def _flow_run(flow_run_id: UUID) -> Any:
    """The flow run as the server (and so the UI's run list) has it."""

    async def read() -> Any:
        async with get_client() as client:
            return await client.read_flow_run(flow_run_id)

    return asyncio.run(read())


def _log_messages(flow_run_id: UUID) -> list[str]:
    """Every log line of a flow run and its task runs, as stored by the server."""
    APILogHandler().flush()

    async def read() -> list[str]:
        async with get_client() as client:
            logs = await client.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id]))
            )
        return [log.message for log in logs]

    return asyncio.run(read())


def _with_recipients(folder: Path, *addresses: str) -> Path:
    settings = folder / "kik.toml"
    listed = ", ".join(f'"{a}"' for a in addresses)
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("[zeitplan]\n", f"[zeitplan]\nbenachrichtigung = [{listed}]\n"),
        encoding="utf-8",
    )
    return folder


def _task_runs(flow_run_id: UUID) -> list[Any]:
    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )

    return asyncio.run(read())


# --- task logic without a server -------------------------------------------------


def test_slug() -> None:
    assert slug("Kempten (Allgäu)") == "kempten-allgaeu"
    assert slug("Groß-Gerau") == "gross-gerau"
    assert slug("  ") == "kommune"
    assert slug("kommune-007") == "kommune-007"


@pytest.mark.parametrize(
    ("error", "retry"),
    [
        (SettingsError("kik.toml fehlt"), False),
        (ConceptWorkbookError(()), False),
        (StoreError("Datenbank nicht erreichbar"), True),
        (OSError("Netzlaufwerk weg"), True),
        (TimeoutError(), True),
    ],
)
def test_retry_only_transient_errors(error: Exception, retry: bool) -> None:
    state = Failed(data=error)
    assert retry_transient(ingest_task, None, state) is retry  # type: ignore[arg-type]


def test_no_retry_after_success() -> None:
    assert retry_transient(ingest_task, None, Completed(data=1)) is False  # type: ignore[arg-type]


def test_ingest_task_counts(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "kempten", bad_rows=2)
    values = ingest_task.fn(str(folder))
    assert values == {
        "folder": str(folder),
        "files": 1,
        "rows_accepted": 6,
        "rows_rejected": 2,
        "files_quarantined": 0,
        "outcomes": {"partial": 1},
        "error_workbooks": [str(folder / "ausgang" / "vhs_Fehler.xlsx")],
        "quarantined": [],
    }
    assert not (folder / "eingang" / "vhs.xlsx").exists()
    assert (folder / "ausgang" / "vhs_Fehler.xlsx").is_file()


def test_ingest_task_broken_folder_raises(tmp_path: Path) -> None:
    folder = break_folder(make_municipality(tmp_path, "kaputt"))
    with pytest.raises(SettingsError, match=r"fehlt\.xlsx"):
        ingest_task.fn(str(folder))


def test_report_task_values(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "kempten")
    ingest_task.fn(str(folder))
    values = report_task.fn(str(folder), as_of=AS_OF)
    assert Path(values["docx"]).is_file()
    assert values["as_of"] == AS_OF.isoformat()
    assert values["municipality"] == "Kempten"
    assert values["measures"] == 6
    # seed 0: statuses cycle wartend, in Bearbeitung, implementiert over the measures
    assert values["by_field"]["BS"] == {"wartend": 1, "in Bearbeitung": 1, "implementiert": 1}
    assert values["by_field"]["AA"] == {"wartend": 1, "in Bearbeitung": 1, "implementiert": 1}


def test_counts_markdown(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "kempten")
    ingest_task.fn(str(folder))
    result = workflow_report(folder, as_of=AS_OF)
    markdown = counts_markdown(result)
    assert "# Kempten: Umsetzungsstand am 31.03.2024" in markdown
    assert "| BS Bildung und Sprache | 1 (33 %) | 1 (33 %) | 1 (34 %) | 3 |" in markdown
    assert "| **Gesamt** | 2 (33 %) | 2 (33 %) | 2 (34 %) | 6 |" in markdown


def test_summary_markdown() -> None:
    summary = {
        "total": 2,
        "succeeded": 1,
        "failed": 1,
        "municipalities": [
            {
                "folder": "/d/a",
                "ok": True,
                "docx": "/d/a/berichte/Z.docx",
                "as_of": "2024-03-31",
                "measures": 6,
                "rows_accepted": 6,
                "rows_rejected": 0,
            },
            {"folder": "/d/b", "ok": False, "step": "ingest", "error": "SettingsError: a|b"},
        ],
    }
    markdown = summary_markdown(summary)
    assert "1 von 2 erfolgreich, 1 fehlgeschlagen." in markdown
    assert "| /d/b | ingest | SettingsError: a\\|b |" in markdown
    assert "`/d/a/berichte/Z.docx`" in markdown
    assert "file://" not in markdown
    assert "- /d/b: Schritt ingest fehlgeschlagen" in markdown


def test_attention_says_what_to_do() -> None:
    clean = {"rows_accepted": 6, "rows_rejected": 0, "files_quarantined": 0}
    assert attention(clean) == []
    points = attention(
        {
            "rows_accepted": 6,
            "rows_rejected": 1,
            "files_quarantined": 2,
            "error_workbooks": ["/k/ausgang/vhs_Fehler.xlsx"],
            "quarantined": ["/k/quarantaene/a.xlsx", "/k/quarantaene/b.xlsx"],
        }
    )
    assert points[0].startswith("1 Zeile abgelehnt. Die Fehler-Arbeitsmappen (vhs_Fehler.xlsx)")
    assert points[1].startswith("2 Dateien in Quarantäne, weil nicht lesbar (a.xlsx, b.xlsx)")


def test_quarterly_markdown_without_problems() -> None:
    values = {
        "ingest": {"folder": "/k", "rows_accepted": 6, "rows_rejected": 0, "files_quarantined": 0},
        "report": {
            "municipality": "Kempten",
            "as_of": "2024-03-31",
            "measures": 6,
            "docx": "/k/berichte/Z.docx",
        },
    }
    markdown = quarterly_markdown(values)
    assert "**Erfolgreich:** 6 Zeilen angenommen." in markdown
    assert "Nichts: alle Zeilen wurden angenommen." in markdown
    assert "Stichtag 31.03.2024, 6 Maßnahmen." in markdown
    assert "    /k/berichte/Z.docx" in markdown


def test_municipality_tag() -> None:
    assert municipality_tag("/srv/kik/Groß-Gerau") == "kommune:gross-gerau"


def _record(exc: BaseException) -> logging.LogRecord:
    """A record as Prefect's engine logs a failure (``exc_info=True``)."""
    exc_info = (type(exc), exc, exc.__traceback__)
    return logging.LogRecord(
        "prefect.task_runs", logging.ERROR, __file__, 1, "failed: %r", (exc,), exc_info
    )


def test_kik_error_logged_without_traceback_but_bugs_with_one() -> None:
    record = _record(SettingsError("kik.toml fehlt in /k"))
    assert KikErrorFilter().filter(record) is True
    assert record.exc_info is None
    assert record.getMessage() == "Abgebrochen (SettingsError): kik.toml fehlt in /k"
    bug = _record(ZeroDivisionError("division by zero"))
    assert KikErrorFilter().filter(bug) is True
    assert bug.exc_info is not None
    assert bug.getMessage() == "failed: ZeroDivisionError('division by zero')"


def test_kik_core_logs_outside_a_flow_without_warning_or_error() -> None:
    """Importing kik_pipelines lets kik_core through to Prefect; outside a flow run (CLI,
    library, tests after a flow) those records must not warn or raise (pytest -W error)."""
    code = (
        "import kik_pipelines, logging, warnings\n"
        "warnings.simplefilter('error')\n"
        "from prefect.logging.handlers import APILogHandler\n"
        "from prefect.settings import get_current_settings\n"
        "s = get_current_settings().logging\n"
        "assert 'kik_core' in s.extra_loggers, s.extra_loggers\n"
        "log = logging.getLogger('kik_core.ingest')\n"
        "log.addHandler(APILogHandler())\n"
        "log.warning('ausserhalb eines Laufs')\n"
        "print(s.to_api.when_missing_flow)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_LOGGING")}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ignore"
    assert "Warning" not in done.stderr


# --- flows on a temporary server -------------------------------------------------


@pytest.mark.usefixtures("prefect_server")
def test_quarterly_report_writes_report_and_artifacts(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "quartal-stadt", bad_rows=1)
    state = quarterly_report(str(folder), return_state=True)
    result = state.result()
    assert result["ingest"]["rows_accepted"] == 6
    assert result["ingest"]["rows_rejected"] == 1
    docx = Path(result["report"]["docx"])
    assert docx.is_file()
    assert docx.parent == folder / "berichte"

    keys = (
        "quartal-stadt-status-counts",
        "quartal-stadt-rejected-rows",
        "quartal-stadt-report",
        "quartal-stadt-zusammenfassung",
    )
    found = _artifacts(*keys)
    assert set(found) == set(keys)
    assert found["quartal-stadt-report"].type == "markdown"
    assert f"    {docx}" in str(found["quartal-stadt-report"].data)
    assert "file://" not in str(found["quartal-stadt-report"].data)
    summary = str(found["quartal-stadt-zusammenfassung"].data)
    assert "## Was zu tun ist" in summary
    assert "1 Zeile abgelehnt. Die Fehler-Arbeitsmappen (vhs_Fehler.xlsx)" in summary
    assert "| **Gesamt** |" in str(found["quartal-stadt-status-counts"].data)
    assert found["quartal-stadt-rejected-rows"].type == "table"
    assert "XX-0.1" in str(found["quartal-stadt-rejected-rows"].data)


@pytest.mark.usefixtures("prefect_server")
def test_ingest_and_build_report_flows(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "einzeln")
    assert ingest_inbox(str(folder))["rows_accepted"] == 6
    values = build_report(str(folder), as_of=AS_OF)
    assert Path(values["docx"]).name == "Zwischenbericht_2024-03-31_Entwurf_1.docx"
    issue(folder)  # reports compare with issued rounds only
    later = build_report(str(folder), as_of=dt.date(2024, 6, 30), previous=AS_OF)
    assert later["previous"] == AS_OF.isoformat()


@pytest.mark.usefixtures("prefect_server")
def test_state_report_survives_a_broken_municipality(tmp_path: Path) -> None:
    folders = make_municipalities(tmp_path, 21, broken=7)
    state = state_report([str(f) for f in folders], max_workers=4, return_state=True)
    assert (state.type, state.name) == (StateType.FAILED, PARTLY_FAILED)
    assert state.message == "20 von 21 Kommunen erfolgreich; fehlgeschlagen: kommune-007"
    summary = state.result(raise_on_failure=False)

    assert (summary["total"], summary["succeeded"], summary["failed"]) == (21, 20, 1)
    failed = [o for o in summary["municipalities"] if not o["ok"]]
    assert [o["folder"] for o in failed] == [str(folders[7])]
    assert failed[0]["step"] == "ingest"
    assert "SettingsError" in failed[0]["error"]
    assert "fehlt.xlsx" in failed[0]["error"]
    for outcome, folder in zip(summary["municipalities"], folders, strict=True):
        assert outcome["folder"] == str(folder)
        if outcome["ok"]:
            assert Path(outcome["docx"]).is_file()
            assert outcome["rows_accepted"] == 6
    assert not any((folders[7] / "berichte").iterdir())

    runs = _task_runs(state.state_details.flow_run_id)
    broken_ingest = [r for r in runs if r.name == f"ingest-{folders[7].name}"]
    assert len(broken_ingest) == 1
    assert "kommune:kommune-007" in broken_ingest[0].tags
    assert broken_ingest[0].state.is_failed()
    assert broken_ingest[0].run_count == 1, "a SettingsError must not be retried"

    artifact = _artifacts("state-report-summary")["state-report-summary"]
    assert "20 von 21 erfolgreich, 1 fehlgeschlagen." in str(artifact.data)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_state_report_on_local_dask_cluster(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Issue 16: batches on two Dask worker processes; the teardown writes no traceback."""
    pytest.importorskip("prefect_dask")
    from kik_pipelines.dask import dask_state_report

    folders = make_municipalities(tmp_path, 20, broken=3)
    flow = dask_state_report(n_workers=2, threads_per_worker=1, processes=True)
    capfd.readouterr()
    state = flow([str(f) for f in folders], workers=2, return_state=True)
    errors = capfd.readouterr().err
    assert state.name == PARTLY_FAILED
    summary = state.result(raise_on_failure=False)
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (20, 19, 1)
    failed = next(o for o in summary["municipalities"] if not o["ok"])
    assert failed["folder"] == str(folders[3])
    assert "SettingsError" in failed["error"]
    for outcome in summary["municipalities"]:
        if outcome["ok"]:
            assert Path(outcome["docx"]).is_file()
    assert "Traceback" not in errors
    assert "CommClosedError" not in errors
    # 20 municipalities for 2 workers: 4 batches per worker at least, so 3 per batch
    assert len(_task_runs(state.state_details.flow_run_id)) == 7


@pytest.mark.slow
def test_local_dask_workers_run_with_the_quiet_settings() -> None:
    """Issue 16: the worker processes of a local cluster inherit :data:`WORKER_CONFIG`."""
    pytest.importorskip("prefect_dask")
    import dask
    from distributed import Client, LocalCluster

    from kik_pipelines.dask import WORKER_CONFIG, dask_task_runner

    runner = dask_task_runner(n_workers=1)
    with LocalCluster(**runner.cluster_kwargs) as cluster, Client(cluster) as client:
        seen = client.run(lambda: {key: dask.config.get(key) for key in WORKER_CONFIG})
    assert list(seen.values()) == [WORKER_CONFIG]
    assert WORKER_CONFIG["distributed.worker.profile.enabled"] is False


@pytest.mark.usefixtures("prefect_server")
def test_quarterly_run_with_rejections_shows_and_mails_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _with_recipients(
        make_municipality(tmp_path, "ablehnung", bad_rows=6), "amt@stadt.example"
    )
    with smtp_sink() as sink:
        for name, value in sink.env().items():
            monkeypatch.setenv(name, value)
        state = quarterly_report(str(folder), return_state=True)

    run = _flow_run(state.state_details.flow_run_id)
    # what the UI's run list shows: the state's type (colour) and its name (badge)
    assert (run.state.type, run.state.name) == (StateType.COMPLETED, WITH_REJECTIONS)
    assert run.state.message.startswith("6 Zeilen angenommen, 6 Zeilen abgelehnt; Bericht ")
    assert state.result()["ingest"]["rows_rejected"] == 6
    [task_run] = [r for r in _task_runs(run.id) if r.name == "ingest-ablehnung"]
    assert "kommune:ablehnung" in task_run.tags

    [mail] = sink.messages
    assert sink.recipients == [["amt@stadt.example"]]
    assert mail["Subject"] == "kik: Quartalslauf ablehnung – " + run.state.message
    body = mail.get_body().get_content()  # type: ignore[attr-defined]
    assert "6 Zeilen abgelehnt. Die Fehler-Arbeitsmappen (vhs_Fehler.xlsx)" in body
    assert str(run.id) in body


@pytest.mark.usefixtures("prefect_server")
def test_clean_quarterly_run_is_plain_completed_and_mails_nobody(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _with_recipients(make_municipality(tmp_path, "sauber"), "amt@stadt.example")
    with smtp_sink() as sink:
        for name, value in sink.env().items():
            monkeypatch.setenv(name, value)
        state = quarterly_report(str(folder), return_state=True)
    run = _flow_run(state.state_details.flow_run_id)
    assert (run.state.type, run.state.name) == (StateType.COMPLETED, "Completed")
    assert sink.messages == []


@pytest.mark.usefixtures("prefect_server")
def test_failed_quarterly_run_mails_the_reason_and_logs_it_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _with_recipients(
        break_folder(make_municipality(tmp_path, "kaputt")), "amt@stadt.example"
    )
    with smtp_sink() as sink:
        for name, value in sink.env().items():
            monkeypatch.setenv(name, value)
        state = quarterly_report(str(folder), return_state=True)

    run = _flow_run(state.state_details.flow_run_id)
    assert run.state.type == StateType.FAILED
    # the settings error names kik.toml, the key and what was looked for, in German
    assert run.state.message == (
        f"{folder / 'kik.toml'}: [konzept] datei: „fehlt.xlsx“ nicht gefunden "
        f"(gesucht: {folder / 'fehlt.xlsx'})"
    )
    summary = str(_artifacts("kaputt-zusammenfassung")["kaputt-zusammenfassung"].data)
    assert "# Quartalslauf kaputt: abgebrochen" in summary
    assert "fehlt.xlsx" in summary
    [mail] = sink.messages
    assert mail["Subject"] == "kik: Quartalslauf kaputt fehlgeschlagen"
    body = mail.get_body().get_content()  # type: ignore[attr-defined]
    assert "Grund: " in body
    assert "fehlt.xlsx" in body
    assert "Traceback" not in body

    messages = _log_messages(run.id)
    german = [m for m in messages if m.startswith("Abgebrochen (SettingsError): ")]
    assert german, messages
    assert "fehlt.xlsx" in german[0]
    assert not [m for m in messages if "Traceback" in m], messages


@pytest.mark.usefixtures("prefect_server")
def test_kik_deploy_registers_module_deployments_with_kik_toml_schedule_and_tags(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from prefect.flows import load_flow_from_entrypoint

    from kik_pipelines.cli import deploy_main

    folder = make_municipality(tmp_path, "deploystadt")
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace('cron = "0 6 1 1,4,7,10 *"', 'cron = "30 5 2 1,4,7,10 *"')
    settings.write_text(text.replace('"Europe/Berlin"', '"Europe/Vienna"'), encoding="utf-8")

    assert deploy_main([str(folder), "--pool", "kik-test"]) == 0
    out = capsys.readouterr().out
    assert "quarterly-report/deploystadt" in out
    assert '"30 5 2 1,4,7,10 *" Europe/Vienna' in out

    async def read() -> tuple[Any, Any]:
        async with get_client() as client:
            deployment = await client.read_deployment_by_name("quarterly-report/deploystadt")
            run = await client.create_flow_run_from_deployment(deployment.id)
            return deployment, run

    deployment, run = asyncio.run(read())
    # a module path: a worker needs the installed wheel, not a source checkout
    assert deployment.entrypoint == "kik_pipelines.flows.quarterly_report"
    assert load_flow_from_entrypoint(deployment.entrypoint).name == "quarterly-report"
    assert deployment.work_pool_name == "kik-test"
    assert deployment.parameters == {"folder": str(folder)}
    [schedule] = deployment.schedules
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (
        "30 5 2 1,4,7,10 *",
        "Europe/Vienna",
    )
    assert sorted(deployment.tags) == ["kik", "kommune:deploystadt"]
    assert "kommune:deploystadt" in run.tags


def test_kik_deploy_needs_an_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from prefect.settings import PREFECT_API_URL

    from kik_pipelines.cli import deploy_main

    with temporary_settings(updates={PREFECT_API_URL: ""}):
        assert deploy_main([str(tmp_path)]) == 1
    assert "PREFECT_API_URL ist nicht gesetzt" in capsys.readouterr().err


def test_prefect_yaml_runs_from_the_installed_package() -> None:
    """prefect.yaml: module-path entrypoints, no pull step, no schedule copied by hand."""
    import yaml
    from prefect.flows import load_flow_from_entrypoint

    config = yaml.safe_load((Path(__file__).parents[1] / "prefect.yaml").read_text("utf-8"))
    assert config["pull"] == []
    for deployment in config["deployments"]:
        assert ":" not in deployment["entrypoint"]
        assert load_flow_from_entrypoint(deployment["entrypoint"]).name == "state-report"
        assert "schedules" not in deployment


# --- the reporting round in the quarterly flow (issue 12) ------------------------


def test_follow_up_times_in_the_schedules_zone() -> None:
    from kik_pipelines.flows import follow_up_times

    times = follow_up_times(dt.date(2024, 10, 21), 3, "Europe/Berlin")
    assert {k: v.isoformat() for k, v in times.items()} == {
        "erinnern": "2024-10-18T06:00:00+02:00",
        "entwurf": "2024-10-22T06:00:00+02:00",
    }


@pytest.mark.usefixtures("prefect_server")
def test_quarter_step_opens_the_round_once(tmp_path: Path) -> None:
    from kik_core.workflow import rounds

    folder = make_municipality(tmp_path, "runde-stadt")
    first = quarterly_report(str(folder), return_state=True).result()
    assert first["round"]["opened"] is True
    assert first["follow_ups"] == []  # not run from a deployment: nothing to schedule on
    [opened] = rounds(folder)
    assert opened.stichtag.isoformat() == first["round"]["stichtag"]
    assert opened.deadline.isoformat() == first["round"]["deadline"]
    summary = str(_artifacts("runde-stadt-zusammenfassung")["runde-stadt-zusammenfassung"].data)
    assert f"Stichtag {opened.stichtag:%d.%m.%Y}, Frist für die Partner" in summary

    again = quarterly_report(str(folder), return_state=True).result()
    assert again["round"] == first["round"] | {"opened": False}
    assert len(rounds(folder)) == 1


@pytest.mark.usefixtures("prefect_server")
def test_follow_ups_are_scheduled_on_the_deployment_once(tmp_path: Path) -> None:
    from kik_pipelines.flows import schedule_follow_ups
    from kik_pipelines.serve import deployments, plan

    folder = make_municipality(tmp_path, "folge-stadt")
    [deployment] = deployments(plan([folder]))
    deployment_id = str(deployment.apply())
    now = dt.datetime(2024, 4, 1, 4, 0, tzinfo=dt.UTC)
    args = (deployment_id, str(folder), dt.date(2024, 3, 31), dt.date(2024, 4, 21))
    planned = schedule_follow_ups(*args, remind_days=7, now=now)
    assert [(p["step"], p["scheduled"]) for p in planned] == [
        ("erinnern", "2024-04-14T06:00:00+02:00"),
        ("entwurf", "2024-04-22T06:00:00+02:00"),
    ]
    schedule_follow_ups(*args, remind_days=7, now=now)  # a repeated quarter run
    late = dt.datetime(2024, 4, 20, tzinfo=dt.UTC)
    assert [p["step"] for p in schedule_follow_ups(*args, now=late)] == ["entwurf"]

    async def read() -> list[Any]:
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    id=FlowRunFilterId(any_=[UUID(p["flow_run_id"]) for p in planned])
                )
            )

    runs = sorted(asyncio.run(read()), key=lambda r: r.expected_start_time)
    assert [r.parameters["step"] for r in runs] == ["erinnern", "entwurf"]
    assert all(r.state.is_scheduled() for r in runs)
    assert all("kommune:folge-stadt" in r.tags for r in runs)
    assert runs[0].expected_start_time == dt.datetime(2024, 4, 14, 4, 0, tzinfo=dt.UTC)


@pytest.mark.usefixtures("prefect_server")
def test_deployed_quarter_run_reminds_by_erinnern_tage_of_kik_toml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A deployment of kik serve/deploy has no remind_days: kik.toml's erinnern_tage counts."""
    from kik_pipelines.flows import _follow_ups_of_this_deployment
    from kik_pipelines.serve import deployments, plan

    folder = make_municipality(tmp_path, "tage-stadt")
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    text = text.replace("frist_wochen = 3\n", "frist_wochen = 52\n")  # a deadline ahead
    settings.write_text(text.replace("erinnern_tage = 7", "erinnern_tage = 10"), "utf-8")
    [deployment] = deployments(plan([folder]))
    deployment_id = str(deployment.apply())
    monkeypatch.setenv("PREFECT__RUNTIME__DEPLOYMENT__ID", deployment_id)

    values = quarterly_report(str(folder), return_state=True).result()
    deadline = dt.date.fromisoformat(values["round"]["deadline"])
    planned = {p["step"]: p["scheduled"] for p in values["follow_ups"]}
    assert dt.datetime.fromisoformat(planned["erinnern"]).date() == deadline - dt.timedelta(10)
    assert dt.datetime.fromisoformat(planned["entwurf"]).date() == deadline + dt.timedelta(1)

    # an explicit flow parameter still wins over kik.toml (another Stichtag: a new key)
    later = {"stichtag": "2027-03-31", "deadline": "2027-09-29"}
    [remind, _] = _follow_ups_of_this_deployment(str(folder), later, 5)
    assert remind["scheduled"] == "2027-09-24T06:00:00+02:00"


@pytest.mark.usefixtures("prefect_server")
def test_remind_step_writes_the_list_and_says_who_is_missing(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "erinner-stadt")
    quarterly_report(str(folder), return_state=True)
    state = quarterly_report(str(folder), step="erinnern", return_state=True)
    assert state.is_completed()
    values = state.result()
    assert Path(values["csv"]).is_file()
    assert Path(values["csv"]).parent == folder / "ausgang"
    assert state.message.endswith(", 0 per E-Mail erinnert")
    summary = str(_artifacts("erinner-stadt-zusammenfassung")["erinner-stadt-zusammenfassung"].data)
    assert "# Erinnerung erinner-stadt: Frist" in summary


@pytest.mark.usefixtures("prefect_server")
def test_draft_step_after_the_office_issued_the_round_is_skipped(tmp_path: Path) -> None:
    from kik_core.workflow import rounds

    folder = make_municipality(tmp_path, "fertig-stadt")
    quarterly_report(str(folder), return_state=True)
    issue(folder)
    before = sorted(p.name for p in (folder / "berichte").iterdir())
    state = quarterly_report(str(folder), step="entwurf", return_state=True)
    assert (state.type, state.name) == (StateType.COMPLETED, "Übersprungen")
    [issued] = rounds(folder)
    assert state.message == (
        "Runde schon herausgegeben: kein Entwurf nötig; "
        f"Website veröffentlicht (Stichtag {issued.stichtag:%d.%m.%Y})"
    )
    assert (folder / "veroeffentlichung" / "index.html").is_file()
    assert sorted(p.name for p in (folder / "berichte").iterdir()) == before


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_state_report_on_a_process_pool(tmp_path: Path) -> None:
    """Issue 16: batches run in worker processes, a broken municipality stops no other."""
    from kik_pipelines.processes import process_state_report

    folders = make_municipalities(tmp_path, 6, broken=2)
    state = process_state_report(2)([str(f) for f in folders], batch_size=2, return_state=True)
    assert state.name == PARTLY_FAILED
    summary = state.result(raise_on_failure=False)
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (6, 5, 1)
    assert [o["folder"] for o in summary["municipalities"]] == [str(f) for f in folders]
    for outcome in summary["municipalities"]:
        if outcome["ok"]:
            assert Path(outcome["docx"]).is_file()
    names = sorted(r.name for r in _task_runs(state.state_details.flow_run_id))
    assert names == [
        "kommunen-kommune-000-bis-kommune-001",
        "kommunen-kommune-002-bis-kommune-003",
        "kommunen-kommune-004-bis-kommune-005",
    ]


def _web_target(folder: Path, target: Path) -> Path:
    settings = folder / "kik.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text.replace("[web]\n", f'[web]\nziel = "{target.as_posix()}"\n'), encoding="utf-8"
    )
    return folder


def test_publish_task_writes_the_site_once_and_again_after_a_change(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "web-stadt")
    assert publish_task.fn(str(folder)) == {
        "folder": str(folder),
        "stichtag": None,
        "index": None,
        "published": False,
    }
    assert not (folder / "veroeffentlichung").exists()
    open_round(folder)
    ingest_task.fn(str(folder))
    issued = issue(folder)
    first = publish_task.fn(str(folder))
    index = folder / "veroeffentlichung" / "index.html"
    assert first == {
        "folder": str(folder),
        "stichtag": issued.snapshot.as_of.isoformat(),
        "index": str(index.absolute()),
        "published": True,
    }
    written = index.stat().st_mtime_ns
    assert publish_task.fn(str(folder))["published"] is False
    assert index.stat().st_mtime_ns == written
    # the office changed kik.toml (e.g. the licence) after the site was written
    later = (folder / "veroeffentlichung" / ".kik-website").stat().st_mtime + 5
    os.utime(folder / "kik.toml", (later, later))
    assert publish_task.fn(str(folder))["published"] is True


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_quarter_run_publishes_the_issued_round_with_a_link_artifact(tmp_path: Path) -> None:
    target = tmp_path / "webserver" / "integration"
    folder = _web_target(make_municipality(tmp_path, "netz-stadt"), target)
    open_round(folder, stichtag=AS_OF)
    before = quarterly_report(str(folder), return_state=True)
    assert before.result()["publish"]["stichtag"] is None
    summary = str(_artifacts("netz-stadt-zusammenfassung")["netz-stadt-zusammenfassung"].data)
    assert "Noch keine Runde herausgegeben: nichts veröffentlicht" in summary
    assert not target.exists()

    issue(folder)  # the office issues the round by hand; next quarter's run publishes it
    state = quarterly_report(str(folder), return_state=True)
    run = _flow_run(state.state_details.flow_run_id)
    assert (run.state.type, run.state.name) == (StateType.COMPLETED, "Completed")
    assert run.state.message.endswith(f"; Website veröffentlicht (Stichtag {AS_OF:%d.%m.%Y})")
    assert state.result()["round"]["opened"] is True  # the next round
    index = target / "index.html"
    assert index.is_file()
    assert state.result()["publish"] == {
        "folder": str(folder),
        "stichtag": AS_OF.isoformat(),
        "index": str(index),
        "published": True,
    }
    assert not (folder / "veroeffentlichung").exists()  # [web] ziel, not the default
    link = _artifacts("netz-stadt-website")["netz-stadt-website"]
    assert f"[{index}]({index.as_uri()})" in str(link.data)
    assert "neu veröffentlicht" in str(link.description)
    summary = str(_artifacts("netz-stadt-zusammenfassung")["netz-stadt-zusammenfassung"].data)
    assert f"Stichtag {AS_OF:%d.%m.%Y}, neu veröffentlicht. Startseite:\n\n    {index}" in summary

    written = index.stat().st_mtime_ns
    again = quarterly_report(str(folder), return_state=True)
    assert (again.type, again.name) == (StateType.COMPLETED, "Completed")
    assert "Website" not in str(again.message)
    assert again.result()["publish"]["published"] is False
    assert index.stat().st_mtime_ns == written
    link = _artifacts("netz-stadt-website")["netz-stadt-website"]
    assert "unverändert" in str(link.description)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_quarter_run_repeated_after_the_issue_only_publishes(tmp_path: Path) -> None:
    from kik_core.workflow import rounds

    folder = make_municipality(tmp_path, "wieder-stadt")
    quarterly_report(str(folder), return_state=True)
    issue(folder)
    before = sorted(p.name for p in (folder / "berichte").iterdir())
    state = quarterly_report(str(folder), return_state=True)
    [issued] = rounds(folder)
    assert (state.type, state.name) == (StateType.COMPLETED, "Übersprungen")
    assert state.message == (
        "Runde schon herausgegeben: nichts zu öffnen, kein Entwurf nötig; "
        f"Website veröffentlicht (Stichtag {issued.stichtag:%d.%m.%Y})"
    )
    assert sorted(p.name for p in (folder / "berichte").iterdir()) == before
    assert (folder / "veroeffentlichung" / "index.html").is_file()
    summary = str(_artifacts("wieder-stadt-zusammenfassung")["wieder-stadt-zusammenfassung"].data)
    assert "# Quartalslauf wieder-stadt: übersprungen" in summary
    assert "neu veröffentlicht" in summary
    assert len(rounds(folder)) == 1


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_quarter_run_that_cannot_publish_says_so_and_mails_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "fremd"
    target.mkdir()
    (target / "startseite.html").write_text("<p>von Hand</p>", encoding="utf-8")
    folder = _with_recipients(
        _web_target(make_municipality(tmp_path, "fremd-stadt"), target), "amt@stadt.example"
    )
    open_round(folder, stichtag=AS_OF)
    ingest_task.fn(str(folder))
    issue(folder)
    with smtp_sink() as sink:
        for name, value in sink.env().items():
            monkeypatch.setenv(name, value)
        state = quarterly_report(str(folder), return_state=True)
    run = _flow_run(state.state_details.flow_run_id)
    assert (run.state.type, run.state.name) == (StateType.COMPLETED, NOT_PUBLISHED)
    assert run.state.message.endswith(f"; {NOT_PUBLISHED}")
    assert Path(state.result()["report"]["docx"]).is_file()  # the draft is written
    assert "nicht von kik stammen" in state.result()["publish"]["error"]
    assert (target / "startseite.html").read_text(encoding="utf-8") == "<p>von Hand</p>"
    summary = str(_artifacts("fremd-stadt-zusammenfassung")["fremd-stadt-zusammenfassung"].data)
    assert f"**{NOT_PUBLISHED}:**" in summary
    assert "- Die Website wurde nicht veröffentlicht: Der Ordner" in summary
    [mail] = sink.messages
    subject = " ".join(str(mail["Subject"]).split())  # unfolded
    assert subject == "kik: Quartalslauf fremd-stadt – " + run.state.message
    body = mail.get_body().get_content()  # type: ignore[attr-defined]
    assert "Die Website wurde nicht veröffentlicht" in body
    assert f"kik veroeffentlichen {folder}" in body


def test_unpublished_site_names_the_state_and_says_what_to_do() -> None:
    from kik_pipelines.flows import quarterly_state

    values: dict[str, Any] = {
        "ingest": {
            "folder": "/srv/kik/a",
            "rows_accepted": 6,
            "rows_rejected": 0,
            "files_quarantined": 0,
        },
        "report": {"docx": "/srv/kik/a/berichte/B.docx", "as_of": "2024-06-30", "measures": 6},
        "publish": {"folder": "/srv/kik/a", "error": "Der Ordner /srv/www ist fremd."},
    }
    state = quarterly_state(values)
    assert (state.name, state.message) == (
        NOT_PUBLISHED,
        "6 Zeilen angenommen; Bericht B.docx; Website nicht veröffentlicht",
    )
    summary = quarterly_markdown(values)
    assert f"**{NOT_PUBLISHED}:** 6 Zeilen angenommen." in summary
    assert (
        "- Die Website wurde nicht veröffentlicht: Der Ordner /srv/www ist fremd. Danach "
        "`kik veroeffentlichen /srv/kik/a` ausführen" in summary
    )
    values["ingest"]["rows_rejected"] = 2  # rejections name the state; the note stays
    state = quarterly_state(values)
    assert state.name == WITH_REJECTIONS
    assert state.message.endswith("; Website nicht veröffentlicht")


# --- state_report in batches (issue 16) --------------------------------------------


def test_batch_folders_in_order_and_bounded() -> None:
    from kik_pipelines.batches import MAX_BATCH, batch_folders

    folders = [f"k{n}" for n in range(10)]
    assert batch_folders(folders, workers=2) == [folders[i : i + 2] for i in range(0, 10, 2)]
    assert batch_folders(folders, workers=1, size=4) == [folders[:4], folders[4:8], folders[8:]]
    assert batch_folders(folders, workers=8) == [[f] for f in folders]
    many = [f"k{n}" for n in range(1000)]
    batches = batch_folders(many, workers=2)
    assert {len(b) for b in batches} == {MAX_BATCH}
    assert [f for b in batches for f in b] == many
    assert batch_folders([], workers=2) == []
    with pytest.raises(ValueError, match="at least 1"):
        batch_folders(folders, workers=2, size=0)


def test_run_municipality_reports_and_names_the_failed_step(tmp_path: Path) -> None:
    from kik_pipelines.batches import run_municipality

    good = make_municipality(tmp_path, "gut", bad_rows=2)
    outcome = run_municipality(str(good))
    assert outcome["ok"]
    assert (outcome["rows_accepted"], outcome["rows_rejected"]) == (6, 2)
    assert (outcome["measures"], outcome["files_quarantined"]) == (6, 0)
    assert Path(outcome["docx"]).is_file()

    broken = break_folder(make_municipality(tmp_path, "kaputt"))
    failed = run_municipality(str(broken))
    assert failed["ok"] is False
    assert failed["step"] == "ingest"
    assert failed["error"].startswith("SettingsError: ")
    assert "fehlt.xlsx" in failed["error"]


def test_run_municipality_retries_a_transient_error_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kik_core import workflow
    from kik_core.errors import ReportError
    from kik_pipelines import batches

    monkeypatch.setattr(batches, "RETRY_DELAYS", [0.0, 0.0])
    folder = make_municipality(tmp_path, "wackelig")
    real_report = workflow.report
    calls: list[str] = []

    def flaky_report(path: str) -> Any:
        calls.append(path)
        if len(calls) < 3:
            raise OSError("Netzlaufwerk kurz nicht erreichbar")
        return real_report(path)

    monkeypatch.setattr(workflow, "report", flaky_report)
    assert batches.run_municipality(str(folder))["ok"]
    assert len(calls) == 3

    calls.clear()

    def broken_report(path: str) -> Any:
        calls.append(path)
        raise ReportError(f"Die Vorlage in {path} ist keine Word-Datei")

    monkeypatch.setattr(workflow, "report", broken_report)
    outcome = batches.run_municipality(str(make_municipality(tmp_path, "kaputt")))
    assert (outcome["ok"], outcome["step"], len(calls)) == (False, "report", 1)


@pytest.mark.usefixtures("prefect_server")
def test_batched_state_report_survives_a_broken_municipality(tmp_path: Path) -> None:
    from kik_pipelines.batches import batched_state_report

    folders = make_municipalities(tmp_path, 7, broken=4)
    state = batched_state_report([str(f) for f in folders], batch_size=3, return_state=True)
    assert (state.type, state.name) == (StateType.FAILED, PARTLY_FAILED)
    assert state.message == "6 von 7 Kommunen erfolgreich; fehlgeschlagen: kommune-004"
    summary = state.result(raise_on_failure=False)
    assert [o["folder"] for o in summary["municipalities"]] == [str(f) for f in folders]
    failed = [o for o in summary["municipalities"] if not o["ok"]]
    assert [(o["folder"], o["step"]) for o in failed] == [(str(folders[4]), "ingest")]
    assert all(Path(o["docx"]).is_file() for o in summary["municipalities"] if o["ok"])
    runs = _task_runs(state.state_details.flow_run_id)
    assert sorted(r.name for r in runs) == [
        "kommunen-kommune-000-bis-kommune-002",
        "kommunen-kommune-003-bis-kommune-005",
        "kommunen-kommune-006",
    ]
    assert all(r.state.is_completed() for r in runs)
    artifacts = _artifacts("state-report-summary", "kommune-001-status-counts")
    assert "6 von 7 erfolgreich, 1 fehlgeschlagen." in str(artifacts["state-report-summary"].data)
    assert "kommune-001-status-counts" in artifacts
