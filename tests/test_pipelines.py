"""The Prefect flows in ``pipelines.flows`` (and ``pipelines.dask``).

Task logic runs through ``.fn()`` without a server. The flows run against one
temporary Prefect server for the whole session (:func:`prefect_server`), since
starting one costs 6-12 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

pytest.importorskip("prefect")

from pipelines.flows import (
    build_report,
    counts_markdown,
    ingest_inbox,
    ingest_task,
    quarterly_report,
    report_task,
    retry_transient,
    slug,
    state_report,
    summary_markdown,
)
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterKey,
    FlowRunFilter,
    FlowRunFilterId,
)
from prefect.settings import PREFECT_HOME, PREFECT_LOGGING_LEVEL, temporary_settings
from prefect.states import Completed, Failed
from prefect.testing.utilities import prefect_test_harness

from kik_core import ConceptWorkbookError, SettingsError, StoreError
from kik_core.workflow import issue
from kik_core.workflow import report as workflow_report
from tests.pipeline_fixtures import AS_OF, break_folder, make_municipalities, make_municipality

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
        return {a.key: a for a in found}

    return asyncio.run(read())


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
    assert "[Z.docx](file:///d/a/berichte/Z.docx)" in markdown


# --- flows on a temporary server -------------------------------------------------


@pytest.mark.usefixtures("prefect_server")
def test_quarterly_report_writes_report_and_artifacts(tmp_path: Path) -> None:
    folder = make_municipality(tmp_path, "quartal-stadt", bad_rows=1)
    result = quarterly_report(str(folder))
    assert result["ingest"]["rows_accepted"] == 6
    assert result["ingest"]["rows_rejected"] == 1
    docx = Path(result["report"]["docx"])
    assert docx.is_file()
    assert docx.parent == folder / "berichte"

    keys = ("quartal-stadt-status-counts", "quartal-stadt-rejected-rows", "quartal-stadt-report")
    found = _artifacts(*keys)
    assert set(found) == set(keys)
    assert docx.as_uri() in str(found["quartal-stadt-report"].data)
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
    assert state.is_completed()
    summary = state.result()

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
    assert broken_ingest[0].state.is_failed()
    assert broken_ingest[0].run_count == 1, "a SettingsError must not be retried"

    artifact = _artifacts("state-report-summary")["state-report-summary"]
    assert "20 von 21 erfolgreich, 1 fehlgeschlagen." in str(artifact.data)


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_server")
def test_state_report_on_local_dask_cluster(tmp_path: Path) -> None:
    pytest.importorskip("prefect_dask")
    from pipelines.dask import dask_state_report

    folders = make_municipalities(tmp_path, 20, broken=3)
    flow = dask_state_report(n_workers=2, threads_per_worker=1, processes=True)
    summary = flow([str(f) for f in folders], max_workers=8)
    assert (summary["total"], summary["succeeded"], summary["failed"]) == (20, 19, 1)
    failed = next(o for o in summary["municipalities"] if not o["ok"])
    assert failed["folder"] == str(folders[3])
    assert "SettingsError" in failed["error"]
    for outcome in summary["municipalities"]:
        if outcome["ok"]:
            assert Path(outcome["docx"]).is_file()
