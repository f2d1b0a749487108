"""The status store on SQLite and (with KIK_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from kik_core.errors import StoreError
from kik_core.ingest import FileResult, read_update_file
from kik_core.model import Provenance, Status
from kik_core.store import MIGRATIONS, Store, sqlite_url
from tests.ingest_helpers import TODAY, concept, good_row, write_xlsx

PG_URL = os.environ.get("KIK_TEST_POSTGRES_URL")


def _fresh_pg_url(base: str) -> Iterator[str]:
    """A throwaway schema-less database: a new database per test, dropped afterwards."""
    name = f"kik_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(PG_URL is None, reason="KIK_TEST_POSTGRES_URL is not set"),
            ],
        ),
    ]
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "kik.sqlite")
    else:
        assert PG_URL is not None
        yield from _fresh_pg_url(PG_URL)


def result_for(path: Path) -> FileResult:
    return read_update_file(path, concept(), today=TODAY)


def sample_file(tmp_path: Path, name: str = "vhs.xlsx") -> Path:
    rows = [
        good_row("BS-4.1", "implementiert", Stand_am="01.02.2024"),
        [*good_row("BS-4.3", "wartend"), "Frau Muster"],
        good_row("BS-4", "", Aktueller_Stand="Gut.", Ausblick="Weiter."),
        good_row("XX-1.1"),
    ]
    header = [
        "Maßnahme",
        "Status",
        "Stand am",
        "Institution",
        "Aktueller Stand",
        "Ausblick",
        "Kontakt",
    ]
    return write_xlsx(tmp_path / name, [[*r, *([None] * (7 - len(r)))] for r in rows], header)


def test_add_and_read_back(store_url: str, tmp_path: Path) -> None:
    result = result_for(sample_file(tmp_path))
    when = dt.datetime(2024, 3, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    with Store.open(store_url) as store:
        assert not store.has_file(result.content_hash)
        assert store.add_file(result, ingested_at=when)
        assert store.has_file(result.content_hash)
        reports = store.reports()
        assert reports == list(result.accepted)
        assert [r.status for r in reports] == [Status.IMPLEMENTIERT, Status.WARTEND, None]
        assert reports[1].notes == (("Kontakt", "Frau Muster"),)
        assert reports[0].source == Provenance("vhs.xlsx", 2, "Rückmeldung", result.content_hash)
        assert store.report_dates() == [dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
        (stored,) = store.files()
        assert stored.name == "vhs.xlsx"
        assert stored.partner == "Volkshochschule"
        assert (stored.rows_accepted, stored.rows_rejected) == (3, 1)
        assert stored.ingested_at == when
        assert stored.ingested_at.tzinfo is not None
        assert stored.ingested_at.utcoffset() == dt.timedelta(0)


def test_same_content_under_another_name_changes_nothing(store_url: str, tmp_path: Path) -> None:
    first = sample_file(tmp_path)
    copy = tmp_path / "kopie.xlsx"
    shutil.copyfile(first, copy)
    with Store.open(store_url) as store:
        assert store.add_file(result_for(first))
        before = (store.reports(), store.files())
        assert not store.add_file(result_for(copy))
        assert (store.reports(), store.files()) == before


def test_reopen_keeps_data_and_schema(store_url: str, tmp_path: Path) -> None:
    with Store.open(store_url) as store:
        store.add_file(result_for(sample_file(tmp_path)))
    with Store.open(store_url) as store:
        assert len(store.reports()) == 3
        tables = set(inspect(store.engine).get_table_names())
        assert {"source_files", "status_reports", "alembic_version"} <= tables
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001"


def test_unreadable_result_is_refused(store_url: str, tmp_path: Path) -> None:
    path = tmp_path / "leer.csv"
    path.write_bytes(b"")
    with Store.open(store_url) as store, pytest.raises(StoreError):
        store.add_file(result_for(path))


def test_naive_timestamp_is_refused(tmp_path: Path) -> None:
    with Store.open(sqlite_url(tmp_path / "k.sqlite")) as store, pytest.raises(StoreError):
        store.add_file(result_for(sample_file(tmp_path)), ingested_at=dt.datetime(2024, 1, 1))


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    with Store.open(sqlite_url(tmp_path / "k.sqlite")) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 60_000


@pytest.mark.parametrize(
    "url",
    [
        "kein url",
        "nosuchdb://host/x",
        "sqlite:////nicht/vorhanden/kik.sqlite",
        "postgresql+psycopg://kik:geheim@127.0.0.1:1/kik",
    ],
)
def test_bad_urls_raise_store_error(url: str) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(url)
    assert "geheim" not in str(info.value)


def test_migrations_ship_inside_the_package() -> None:
    assert (MIGRATIONS / "env.py").is_file()
    assert (MIGRATIONS / "versions" / "0001_initial.py").is_file()
    assert "kik_core" in MIGRATIONS.parts[-3:][0] or MIGRATIONS.parent.parent.name == "kik_core"


def test_processes_opening_a_new_sqlite_store_at_once(tmp_path: Path) -> None:
    """Creating the store (WAL switch, migrations) from several processes never fails."""
    import subprocess
    import sys
    import time

    code = (
        "import sys, time\n"
        "from kik_core.store import Store\n"
        "while time.time() < float(sys.argv[2]): pass\n"
        "with Store.open(sys.argv[1]) as store: print(store.report_dates())\n"
    )
    for attempt in range(5):
        url = f"sqlite:///{tmp_path / f'race-{attempt}.sqlite'}"
        start = str(time.time() + 1.0)
        procs = [
            subprocess.Popen([sys.executable, "-c", code, url, start], stderr=subprocess.PIPE)
            for _ in range(3)
        ]
        errors = [p.communicate(timeout=120)[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0], errors
