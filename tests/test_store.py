"""The status store on SQLite and (with KIK_TEST_POSTGRES_URL) PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import create_engine, inspect, text

from kik_core.errors import RoundError, StoreError
from kik_core.ingest import FileResult, read_update_file
from kik_core.model import Decision, Provenance, Status, StatusReport
from kik_core.rounds import Round, RoundState
from kik_core.rules import build_snapshot
from kik_core.store import MIGRATIONS, SentReminder, Store, sqlite_url
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
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0002"


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


def test_new_sqlite_stores_are_copies_of_one_migrated_store(tmp_path: Path) -> None:
    """Issue 16: the migrations run once per process; each new store starts empty at head."""
    from kik_core.store import _store

    with Store.open(sqlite_url(tmp_path / "a.sqlite"), municipality="a") as first:
        first.open_round(_round(dt.date(2024, 3, 31)))
        assert len(first.rounds()) == 1
    assert set(_store._NEW_STORE) == {_store.HEAD_REVISION}
    with Store.open(sqlite_url(tmp_path / "b.sqlite"), municipality="b") as second:
        assert second.rounds() == []
        assert second.report_dates() == []
    engine = create_engine(sqlite_url(tmp_path / "b.sqlite"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == (
            _store.HEAD_REVISION
        )
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    engine.dispose()


# --- one database, many municipalities (issue 11 point 11) ---------------------


def _upgrade_to(url: str, revision: str) -> None:
    """Create the schema of an older release (e.g. ``0001``) with Alembic."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def _insert_release_1_rows(url: str) -> None:
    """Rows exactly as release 1 (schema 0001) wrote them: no municipality column."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO source_files (id, name, content_hash, sheet, partner, "
                    "ingested_at, rows_accepted, rows_rejected) VALUES (1, 'alt.xlsx', "
                    "'aaaa', 'Rückmeldung', 'vhs', '2024-03-01 08:00:00', 2, 0)"
                )
            )
            for n, (target, status) in enumerate(
                (("BS-4.1", "implementiert"), ("BS-4.3", "in Bearbeitung")), 2
            ):
                conn.execute(
                    text(
                        "INSERT INTO status_reports (target_id, status, as_of, partner, "
                        "current_state, outlook, notes, file_id, row, sheet) VALUES "
                        "(:t, :s, '2024-02-29', 'vhs', '', '', '[]', 1, :n, 'Rückmeldung')"
                    ),
                    {"t": target, "s": status, "n": n},
                )
    finally:
        engine.dispose()


def test_migration_0002_scopes_a_release_1_store(store_url: str) -> None:
    """A store made by the current release (0001) migrates; its rows go to the first opener."""
    _upgrade_to(store_url, "0001")
    _insert_release_1_rows(store_url)
    with Store.open(store_url, municipality="kempten") as store:
        assert store.municipality == "kempten"
        assert [(r.target_id, r.status) for r in store.reports()] == [
            ("BS-4.1", Status.IMPLEMENTIERT),
            ("BS-4.3", Status.IN_BEARBEITUNG),
        ]
        assert store.has_file("aaaa")
        assert store.rounds() == []
        tables = set(inspect(store.engine).get_table_names())
        assert {"rounds", "issued_snapshots", "decisions", "reminders"} <= tables
    # the second municipality does not see them: they were adopted by the first
    with Store.open(store_url, municipality="musterstadt") as store:
        assert store.reports() == []
        assert not store.has_file("aaaa")
    with Store.open(store_url, municipality="kempten") as store:
        assert len(store.reports()) == 2


def test_two_municipalities_share_one_database(store_url: str, tmp_path: Path) -> None:
    path = sample_file(tmp_path)
    with Store.open(store_url, municipality="stadt-a") as a:
        assert a.add_file(result_for(path))
    with Store.open(store_url, municipality="stadt-b") as b:
        # the same file content is new for B ("schon eingelesen" only within A)
        assert not b.has_file(result_for(path).content_hash)
        assert b.reports() == []
        assert b.report_dates() == []
        assert b.count_reports() == 0
        assert b.files() == []
        assert b.add_file(result_for(path))
        assert len(b.reports()) == 3
        assert not b.add_file(result_for(path))
    with Store.open(store_url, municipality="stadt-a") as a:
        assert len(a.reports()) == 3
        assert len(a.files()) == 1


def _round(stichtag: dt.date, deadline: dt.date | None = None) -> Round:
    return Round(
        stichtag,
        deadline or stichtag + dt.timedelta(weeks=3),
        dt.datetime(2024, 10, 1, 8, tzinfo=dt.UTC),
    )


def test_rounds_are_scoped_and_issued_rounds_freeze(store_url: str) -> None:
    from tests.conftest import small_concept

    concept = small_concept()
    q3 = dt.date(2024, 9, 30)
    snapshot = build_snapshot(
        concept,
        [
            StatusReport(
                "BS-1.1", "implementiert", q3, "vhs", "Text", source=Provenance("a.xlsx", 2)
            )
        ],
        q3,
    )
    with Store.open(store_url, municipality="a") as store:
        store.open_round(_round(q3))
        with pytest.raises(RoundError, match="gibt es schon"):
            store.open_round(_round(q3))
        with pytest.raises(RoundError, match="noch nicht herausgegeben"):
            store.open_round(_round(dt.date(2024, 12, 31)))
        assert store.current_round() == _round(q3)
        drafted = store.record_draft(q3, 1)
        assert (drafted.state, drafted.drafts) == (RoundState.ENTWURF, 1)
        issued_at = dt.datetime(2024, 10, 25, 9, tzinfo=dt.UTC)
        issued = store.issue_round(q3, snapshot, issued_at=issued_at, file_name="Z.docx")
        assert issued.is_issued
        assert issued.issued_at == issued_at
        with pytest.raises(RoundError, match="schon herausgegeben"):
            store.issue_round(q3, snapshot, issued_at=issued_at, file_name="Z2.docx")
        with pytest.raises(RoundError, match="schon herausgegeben"):
            store.record_draft(q3, 2)
        assert store.issued_snapshot(q3) == snapshot
        assert store.issued_snapshots() == [snapshot]
        assert store.current_round() is None
        with pytest.raises(RoundError, match="danach liegen"):
            store.open_round(_round(dt.date(2024, 6, 30)))
        store.open_round(_round(dt.date(2024, 12, 31)))
        assert [r.stichtag for r in store.rounds()] == [q3, dt.date(2024, 12, 31)]
    with Store.open(store_url, municipality="b") as other:
        assert other.rounds() == []
        assert other.issued_snapshot(q3) is None
        other.open_round(_round(q3))  # the same Stichtag is free for another municipality


def test_decisions_and_reminders(store_url: str) -> None:
    when = dt.datetime(2024, 10, 2, 9, tzinfo=dt.UTC)
    decision = Decision(
        "BS-1.1", "in Bearbeitung", dt.date(2024, 9, 30), "Partner widersprechen sich", "Amt", when
    )
    earlier = attrs.evolve(decision, measure_id="BS-1.2", decided_at=when - dt.timedelta(days=1))
    q3 = dt.date(2024, 9, 30)
    with Store.open(store_url, municipality="a") as store:
        store.add_decision(decision)
        store.add_decision(earlier)
        assert store.decisions() == [earlier, decision]
        assert not store.reminder_sent(q3, "vhs")
        store.record_reminder(
            q3, "vhs", address="vhs@example.org", message_id="<1@x>", sent_at=when
        )
        store.record_reminder(  # idempotent: the first record stays
            q3, "vhs", address="other@example.org", message_id="<2@x>", sent_at=when
        )
        assert store.reminder_sent(q3, "vhs")
        assert not store.reminder_sent(dt.date(2024, 12, 31), "vhs")
        assert store.reminders(q3) == [SentReminder(q3, "vhs", "vhs@example.org", "<1@x>", when)]
    with Store.open(store_url, municipality="b") as other:
        assert other.decisions() == []
        assert not other.reminder_sent(q3, "vhs")
        assert other.reminders(q3) == []


def test_migration_0002_downgrades_without_losing_reports(store_url: str) -> None:
    """Going back to 0001 (an older kik) keeps every file and report (SQLite rebuilds tables)."""
    _upgrade_to(store_url, "0001")
    _insert_release_1_rows(store_url)
    with Store.open(store_url, municipality="kempten") as store:
        assert len(store.reports()) == 2
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    engine = create_engine(store_url)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM status_reports")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM source_files")).scalar() == 1
            assert "rounds" not in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_head_revision_constant_matches_the_migration_scripts():
    """Store.open skips Alembic when the store is at HEAD_REVISION (issue 16): keep it true."""
    from kik_core.store import _store

    assert _store._script().get_heads() == [_store.HEAD_REVISION]


def test_an_own_status_scheme_is_stored_as_labels_and_read_back(
    store_url: str, tmp_path: Path
) -> None:
    """Issue 17: ingest validates against the concept's scheme; the store keeps labels."""
    from tests.scheme_fixtures import ENTFAELLT, FIVE, ZURUECK

    own = attrs.evolve(concept(), statuses=FIVE)
    rows = [
        good_row("BS-4.1", "Entfällt"),
        good_row("BS-4.3", "zurückgestellt"),
        good_row("BS-5.1", "implementiert"),  # Kempten's label is not in this scheme
    ]
    result = read_update_file(write_xlsx(tmp_path / "vhs.xlsx", rows), own, today=TODAY)
    [rejected] = result.rejected
    assert "„implementiert“ ist kein gültiger Status (erlaubt: offen, zurückgestellt" in str(
        rejected.problems[0]
    )
    decided = Decision(
        "BS-4.3", ENTFAELLT, TODAY, "Träger aufgelöst", "Büro", dt.datetime.now(dt.UTC)
    )
    with Store.open(store_url) as store:
        store.add_file(result)
        store.add_decision(decided)
        reports = store.reports(FIVE)
        assert [r.status for r in reports] == [ENTFAELLT, ZURUECK]
        assert reports[0].status is ENTFAELLT
        assert reports[0].status.group == "entfallen"
        assert store.decisions(FIVE)[0].status is ENTFAELLT
        snapshot = build_snapshot(own, reports, TODAY, decisions=store.decisions(FIVE))
    assert snapshot.status_of("BS-4.3") is ENTFAELLT
    assert snapshot.overall.counted_total == snapshot.overall.total - 2


# --- group commit (issue 16) ------------------------------------------------------------


def test_a_batch_commits_its_files_together(store_url: str, tmp_path: Path) -> None:
    first = result_for(sample_file(tmp_path, "a.xlsx"))
    second = result_for(write_xlsx(tmp_path / "b.xlsx", [good_row("BS-4.2")]))
    with Store.open(store_url) as store, Store.open(store_url) as other:
        with store.batch():
            assert store.add_file(first)
            assert store.has_file(first.content_hash)  # the batch sees its own files
            assert not store.add_file(first)  # a duplicate changes nothing, the rest stays
            assert store.add_file(second)
            if not store_url.startswith("sqlite"):  # SQLite: the batch holds the write lock
                assert not other.has_file(first.content_hash)  # nothing committed yet
        assert other.has_file(first.content_hash)
        assert other.count_reports() == len(first.accepted) + len(second.accepted)
        assert [f.name for f in other.files()] == ["a.xlsx", "b.xlsx"]


def test_a_failing_batch_stores_nothing(store_url: str, tmp_path: Path) -> None:
    first = result_for(sample_file(tmp_path))
    with Store.open(store_url) as store:

        def interrupted() -> None:
            with store.batch():
                assert store.add_file(first)
                raise RuntimeError("Abbruch mitten im Stapel")

        with pytest.raises(RuntimeError, match="Stapel"):
            interrupted()
        assert not store.has_file(first.content_hash)
        assert store.count_reports() == 0
        assert store.add_file(first)  # the store works on
