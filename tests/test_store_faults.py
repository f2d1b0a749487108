"""Store faults give German StoreErrors, never tracebacks (issue 11, point 10).

Corrupt, truncated, empty, locked, newer and unreachable stores, on SQLite and
(with KIK_TEST_POSTGRES_URL) PostgreSQL; and the ``kik`` command printing them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import create_engine, text

import kik_core.store._store as store_module
from kik_core.cli import main
from kik_core.errors import StoreError
from kik_core.store import Store, sqlite_url
from kik_core.workflow import init_folder
from tests.test_store import PG_URL, _fresh_pg_url, result_for, sample_file

#: Words of English library text that must never reach the office.
ENGLISH = (
    "file is not a database",
    "database is locked",
    "Traceback",
    "sqlite3.",
    "psycopg.",
    "OperationalError",
    "connection",
)


def _german(error: StoreError) -> str:
    message = str(error)
    for phrase in ENGLISH:
        assert phrase not in message, message
    return message


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
def any_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path / "kik.sqlite")
    else:
        assert PG_URL is not None
        yield from _fresh_pg_url(PG_URL)


# --- SQLite files -----------------------------------------------------------------


def test_corrupt_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "kik.sqlite"
    garbage = b"Dies ist keine Datenbank, sondern ein Brief.\n" * 200
    path.write_bytes(garbage)
    with pytest.raises(StoreError) as info:
        Store.open(sqlite_url(path))
    message = _german(info.value)
    assert "ist beschädigt" in message
    assert str(path) in message
    assert "Sicherung" in message
    assert path.read_bytes() == garbage


def test_truncated_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "kik.sqlite"
    with Store.open(sqlite_url(path)) as store:
        store.add_file(result_for(sample_file(tmp_path)))
    data = path.read_bytes()
    assert len(data) > 4096
    path.write_bytes(data[:1500])  # the header survives, the pages do not
    with pytest.raises(StoreError) as info:
        Store.open(sqlite_url(path))
    assert "ist beschädigt" in _german(info.value)


def test_zero_byte_store_is_refused_not_treated_as_new(tmp_path: Path) -> None:
    path = tmp_path / "kik.sqlite"
    path.touch()
    with pytest.raises(StoreError) as info:
        Store.open(sqlite_url(path))
    message = _german(info.value)
    assert f"Die Datenbank {path} ist leer (0 Byte)" in message
    assert "vermutlich beschädigt oder abgeschnitten" in message
    assert "Sicherung wieder her" in message
    assert path.stat().st_size == 0  # still the same empty file: nothing was created over it


def test_a_new_store_is_created_in_one_step(tmp_path: Path) -> None:
    path = tmp_path / "kik.sqlite"
    with Store.open(sqlite_url(path)) as store:
        assert store.reports() == []
    assert path.stat().st_size > 0
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    with Store.open(sqlite_url(path)) as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_missing_folder_is_explained(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as info:
        Store.open(sqlite_url(tmp_path / "fehlt" / "kik.sqlite"))
    assert "den Ordner" in _german(info.value)
    assert "gibt es nicht" in str(info.value)


def _hold_lock(path: Path) -> subprocess.Popen[str]:
    """Another process that takes SQLite's write lock and keeps it until stdin closes."""
    code = (
        "import sqlite3, sys\n"
        "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "db.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    assert holder.stdout is not None
    holder.stdin.close()
    holder.wait(timeout=30)
    holder.stdout.close()


def test_locked_store_gives_german_message_after_the_busy_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kik.sqlite"
    Store.open(sqlite_url(path)).close()
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    holder = _hold_lock(path)
    try:
        started = time.monotonic()
        with pytest.raises(StoreError) as info:
            Store.open(sqlite_url(path))
        waited = time.monotonic() - started
    finally:
        _release(holder)
    message = _german(info.value)
    assert "ist gesperrt" in message
    assert "seit mehr als 0.3 Sekunden" in message
    assert 0.25 < waited < 10
    with Store.open(sqlite_url(path)) as store:  # free again: opens normally
        assert store.reports() == []


def test_store_locked_while_writing_gives_german_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "kik.sqlite"
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 300)
    result = result_for(sample_file(tmp_path))
    with Store.open(sqlite_url(path)) as store:
        holder = _hold_lock(path)
        try:
            with pytest.raises(StoreError) as info:
                store.add_file(result)
        finally:
            _release(holder)
        assert "ist gesperrt" in _german(info.value)
        assert store.add_file(result)  # nothing half-written: the retry stores the file


# --- revisions, both back-ends ------------------------------------------------------


def test_store_from_a_newer_kik_is_refused_unchanged(any_url: str) -> None:
    Store.open(any_url).close()
    engine = create_engine(any_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_zukunft'"))
    try:
        with pytest.raises(StoreError) as info:
            Store.open(any_url)
        message = _german(info.value)
        assert "wurde mit einer neueren kik-Version geschrieben" in message
        assert "9999_zukunft" in message
        assert "Aktualisieren Sie kik" in message
        assert "Can't locate revision" not in message
        with engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "9999_zukunft"
    finally:
        engine.dispose()


def test_up_to_date_store_skips_the_alembic_upgrade(
    any_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(any_url).close()
    calls: list[str] = []
    from alembic import command  # imported by the store only when it migrates (issue 16)

    monkeypatch.setattr(command, "upgrade", lambda *a, **k: calls.append("up"))
    with Store.open(any_url) as store:
        assert store.reports() == []
    assert calls == []


def test_store_without_schema_is_upgraded(any_url: str) -> None:
    """A database with no tables (a fresh PostgreSQL database) gets the whole schema."""
    with Store.open(any_url) as store, store.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version is not None


# --- PostgreSQL ---------------------------------------------------------------------


def test_unreachable_postgres_is_explained_without_password() -> None:
    started = time.monotonic()
    with pytest.raises(StoreError) as info:
        Store.open("postgresql+psycopg://kik:geheim@127.0.0.1:1/kik")
    message = _german(info.value)
    assert "nicht erreichbar" in message
    assert "[speicher] url" in message
    assert "geheim" not in message
    assert time.monotonic() - started < 30


@pytest.mark.postgres
@pytest.mark.skipif(PG_URL is None, reason="KIK_TEST_POSTGRES_URL is not set")
def test_wrong_postgres_password_is_explained() -> None:
    assert PG_URL is not None
    user_part, host_part = PG_URL.split("@", 1)
    bad = user_part.rsplit(":", 1)[0] + ":falsch-geheim@" + host_part
    with pytest.raises(StoreError) as info:
        Store.open(bad)
    message = _german(info.value)
    assert "lehnt die Anmeldung ab" in message
    assert "falsch-geheim" not in message


@pytest.mark.postgres
@pytest.mark.skipif(PG_URL is None, reason="KIK_TEST_POSTGRES_URL is not set")
def test_missing_postgres_database_is_explained() -> None:
    assert PG_URL is not None
    with pytest.raises(StoreError) as info:
        Store.open(PG_URL.rsplit("/", 1)[0] + "/kik_gibt_es_nicht")
    assert "gibt es auf dem Server nicht" in _german(info.value)


# --- the command line ---------------------------------------------------------------


def _folder(tmp_path: Path) -> Path:
    from kik_core import write_concept_workbook
    from tests.conftest import small_concept

    folder = init_folder(tmp_path / "musterstadt", "Musterstadt")
    write_concept_workbook(small_concept(), folder / "konzept.xlsx")
    return folder


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (b"", "ist leer (0 Byte)"),
        (b"kaputt" * 1000, "ist beschädigt"),
    ],
)
def test_cli_prints_store_faults_without_traceback(
    tmp_path: Path, damage: bytes, expected: str
) -> None:
    folder = _folder(tmp_path)
    (folder / "kik.sqlite").write_bytes(damage)
    (folder / "eingang" / "vhs.xlsx").write_bytes(sample_file(tmp_path).read_bytes())
    for command in ("ingest", "report", "templates"):
        result = subprocess.run(
            [sys.executable, "-m", "kik_core.cli", command, str(folder)],
            capture_output=True,
            text=True,
            env=dict(os.environ, COLUMNS="200"),
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 1, output
        assert expected in output
        assert "Traceback" not in output
        for phrase in ENGLISH:
            assert phrase not in output
    assert (folder / "kik.sqlite").read_bytes() == damage
    assert [p.name for p in (folder / "eingang").iterdir()] == ["vhs.xlsx"]  # nothing moved


def test_cli_reports_a_locked_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = _folder(tmp_path)
    Store.open(sqlite_url(folder / "kik.sqlite")).close()
    monkeypatch.setattr(store_module, "SQLITE_BUSY_TIMEOUT_MS", 200)
    monkeypatch.setenv("COLUMNS", "200")
    holder = _hold_lock(folder / "kik.sqlite")
    try:
        code = main(["report", str(folder)])
    finally:
        _release(holder)
    out = capsys.readouterr()
    assert code == 1
    assert "ist gesperrt" in out.out
    assert "Traceback" not in out.out + out.err


def test_new_store_without_hard_links_is_copied_in_exclusively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kik_core.store._faults as faults

    def no_links(*_args: object) -> None:
        raise PermissionError("no hard links here")

    monkeypatch.setattr(faults.os, "link", no_links)
    path = tmp_path / "kik.sqlite"
    with Store.open(sqlite_url(path)) as store:
        store.add_file(result_for(sample_file(tmp_path)))
    with Store.open(sqlite_url(path)) as store:
        assert len(store.reports()) == 3
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_store_created_meanwhile_by_another_process_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two first opens at once: the loser of the race uses the winner's store."""
    import kik_core.store._faults as faults

    path = tmp_path / "kik.sqlite"
    winner = tmp_path / "winner.sqlite"
    with Store.open(sqlite_url(winner)) as other:
        other.add_file(result_for(sample_file(tmp_path)))
    real_link = os.link

    def winner_first(source: str, target: str) -> None:
        real_link(winner, target)  # the other process links its store first ...
        real_link(source, target)  # ... so ours raises FileExistsError, as in the real race

    monkeypatch.setattr(faults.os, "link", winner_first)
    with Store.open(sqlite_url(path)) as store:
        assert len(store.reports()) == 3  # the winner's content, not an empty new store


# --- a full disk (a small tmpfs; needs root) ----------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs; skipped where it cannot be mounted (not root, no permission)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tmpfs needs root")
    mount_point = tmp_path / "klein"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"tmpfs cannot be mounted here: {mounted.stderr!r}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` up to ``leave`` free bytes."""
    free = shutil.disk_usage(folder).free - leave
    with (folder / "fueller.bin").open("ab") as filler:
        filler.write(b"\0" * max(free, 0))


def test_new_store_on_a_full_disk_leaves_nothing_behind(small_disk: Path) -> None:
    _fill(small_disk, leave=8 * 1024)
    path = small_disk / "kik.sqlite"
    with pytest.raises(StoreError) as info:
        Store.open(sqlite_url(path))
    message = _german(info.value)
    assert "Datenträger ist voll" in message or "kann nicht angelegt werden" in message
    assert not path.exists()  # never a zero-byte or half-built store
    assert sorted(p.name for p in small_disk.iterdir()) == ["fueller.bin"]


def test_writing_to_a_full_disk_gives_german_message_and_keeps_the_store(
    small_disk: Path, tmp_path: Path
) -> None:
    path = small_disk / "kik.sqlite"
    first = result_for(sample_file(tmp_path, "erste.xlsx"))
    big = result_for(sample_file(tmp_path, "zweite.xlsx"))
    big = attrs.evolve(
        big,
        content_hash="b" * 64,
        accepted=tuple(attrs.evolve(r, current_state="x" * 200_000) for r in big.accepted),
    )
    with Store.open(sqlite_url(path)) as store:
        store.add_file(first)
        _fill(small_disk, leave=0)
        with pytest.raises(StoreError) as info:
            store.add_file(big)
        assert "Datenträger ist voll" in _german(info.value)
        assert len(store.reports()) == len(first.accepted)  # nothing half-written
    (small_disk / "fueller.bin").unlink()
    with Store.open(sqlite_url(path)) as store:
        assert store.add_file(big)  # with space again, the same file goes in
        assert len(store.reports()) == len(first.accepted) + len(big.accepted)
