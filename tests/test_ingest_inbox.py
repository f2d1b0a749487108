"""ingest_inbox: claim, store, archive, quarantine, error workbooks, concurrency."""

from __future__ import annotations

import datetime as dt
import shutil
import threading
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from kik_core.errors import Reason
from kik_core.ingest import FileOutcome, IngestSummary, Outcome, inbox_files, ingest_inbox
from kik_core.model import Status
from kik_core.store import Store, sqlite_url
from tests.ingest_helpers import HEADER, TODAY, concept, good_row, write_csv, write_xlsx


@pytest.fixture
def dirs(tmp_path: Path) -> dict[str, Path]:
    names = ("inbox", "archive", "quarantine", "outbox")
    found = {n: tmp_path / n for n in names}
    found["inbox"].mkdir()
    return found


def run(dirs: dict[str, Path], store: Store, **kw: object) -> IngestSummary:
    return ingest_inbox(
        dirs["inbox"],
        concept=concept(),
        store=store,
        archive=dirs["archive"],
        quarantine=dirs["quarantine"],
        outbox=dirs["outbox"],
        today=TODAY,
        **kw,  # type: ignore[arg-type]
    )


def test_every_kind_of_outcome(dirs: dict[str, Path], tmp_path: Path) -> None:
    inbox = dirs["inbox"]
    write_xlsx(inbox / "a_gut.xlsx", [good_row("BS-4.1"), good_row("BS-4.2")])
    write_xlsx(
        inbox / "b_teils.xlsx", [good_row("BS-4.1", "wartend"), good_row("BS-4.1", "fertig")]
    )
    write_csv(inbox / "c_schlecht.csv", [good_row("XX-1.1"), good_row("BS-4.4")])
    (inbox / "d_kaputt.xlsx").write_bytes(b"PK\x03\x04kaputt")
    shutil.copyfile(inbox / "a_gut.xlsx", inbox / "e_kopie.xlsx")
    (inbox / ".versteckt.xlsx").write_bytes(b"x")
    (inbox / "~$a_gut.xlsx").write_bytes(b"x")
    seen: list[FileOutcome] = []
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store, on_file=seen.append)
        assert len(store.reports()) == 3
    assert seen == list(summary.files)
    by_name = {f.name: f for f in summary.files}
    assert [by_name[n].outcome for n in sorted(by_name)] == [
        Outcome.ACCEPTED,
        Outcome.PARTIAL,
        Outcome.REJECTED,
        Outcome.QUARANTINED,
        Outcome.DUPLICATE,
    ]
    assert (summary.rows_accepted, summary.rows_rejected, summary.files_quarantined) == (3, 3, 1)
    day = dirs["archive"] / "2024-03-15"
    assert sorted(p.name for p in day.iterdir()) == [
        "a_gut.xlsx",
        "b_teils.xlsx",
        "c_schlecht.csv",
        "e_kopie.xlsx",
    ]
    assert by_name["a_gut.xlsx"].moved_to == day / "a_gut.xlsx"
    assert by_name["a_gut.xlsx"].error_workbook is None
    assert by_name["b_teils.xlsx"].error_workbook == dirs["outbox"] / "b_teils_Fehler.xlsx"
    assert (dirs["outbox"] / "c_schlecht_Fehler.xlsx").is_file()
    # quarantine keeps the file with its reason
    assert (dirs["quarantine"] / "d_kaputt.xlsx").read_bytes() == b"PK\x03\x04kaputt"
    reason = (dirs["quarantine"] / "d_kaputt.xlsx.grund.txt").read_text(encoding="utf-8")
    assert "Die Datei ist beschädigt" in reason
    assert "Code: corrupt" in reason
    # dotfiles and lock files stay, the working folder is empty
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [
        ".versteckt.xlsx",
        "~$a_gut.xlsx",
    ]
    assert not any((inbox / ".in-arbeit").iterdir())
    table = summary.rejected_rows()
    assert {(r["Datei"], r["Zeile"]) for r in table} == {
        ("b_teils.xlsx", 3),
        ("c_schlecht.csv", 2),
        ("c_schlecht.csv", 3),
        ("d_kaputt.xlsx", 0),
    }


def test_nothing_lost_archive_never_overwrites(dirs: dict[str, Path], tmp_path: Path) -> None:
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        write_xlsx(dirs["inbox"] / "x.xlsx", [good_row("BS-4.1")])
        run(dirs, store)
        write_xlsx(dirs["inbox"] / "x.xlsx", [good_row("BS-4.2")])
        summary = run(dirs, store)
        write_xlsx(dirs["inbox"] / "x.xlsx", [good_row("BS-4.2"), good_row("XX-1.1")])
        run(dirs, store)
        write_xlsx(dirs["inbox"] / "x.xlsx", [good_row("BS-4.3"), good_row("XX-1.1")])
        run(dirs, store)
    assert summary.files[0].moved_to.name == "x_2.xlsx"
    assert sorted(p.name for p in (dirs["archive"] / "2024-03-15").iterdir()) == [
        "x.xlsx",
        "x_2.xlsx",
        "x_3.xlsx",
        "x_4.xlsx",
    ]
    assert sorted(p.name for p in dirs["outbox"].iterdir()) == ["x_Fehler.xlsx", "x_Fehler_2.xlsx"]


def _table(ws: Worksheet) -> tuple[int, dict[str, int]]:
    head = next(r for r in range(1, 12) if ws.cell(row=r, column=1).value == "Maßnahme")
    return head, {str(c.value): c.column for c in ws[head] if c.value}


def test_error_workbook(dirs: dict[str, Path], tmp_path: Path) -> None:
    header = [
        "Maßnahme",
        "Status",
        "Stand am",
        "Institution",
        "Aktueller Stand",
        "Ausblick",
        "Notiz",
    ]
    rows = [
        [*good_row("BS-4.1"), ""],
        [*good_row("BS-4.1", "fertig", Aktueller_Stand='=HYPERLINK("http://böse")'), "+1"],
        [*good_row("BS-4.4", Stand_am="gestern"), "@x"],
    ]
    write_csv(dirs["inbox"] / "vhs.csv", rows, header)
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        (outcome,) = run(dirs, store).files
    assert outcome.error_workbook == dirs["outbox"] / "vhs_Fehler.xlsx"
    workbook = load_workbook(outcome.error_workbook)
    # the partner's template again: Anleitung first, same columns, the reasons beside them
    assert workbook.sheetnames == ["Anleitung", "Rückmeldung"]
    ws = workbook["Rückmeldung"]
    head, col = _table(ws)
    assert list(col) == [
        "Maßnahme",
        "Maßnahme (Text, nur zur Orientierung)",
        "Status",
        "Stand am",
        "Aktueller Stand",
        "Ausblick",
        "Institution",
        "Hinweis",
        "Notiz",
    ]
    assert "vhs.csv" in ws["A1"].value
    assert ws.max_row == head + 2  # only the rejected rows
    first, second = head + 1, head + 2
    formula = ws.cell(row=first, column=col["Aktueller Stand"])
    assert formula.value == '=HYPERLINK("http://böse")'
    assert formula.data_type == "s"
    assert formula.quotePrefix
    note = ws.cell(row=first, column=col["Notiz"])
    assert note.data_type == "s"
    assert note.quotePrefix
    status = ws.cell(row=first, column=col["Status"])
    assert status.fill.fgColor.rgb.endswith("FFC7CE")
    assert status.comment is not None
    assert "kein gültiger Status" in status.comment.text
    assert ws.cell(row=first, column=col["Maßnahme"]).comment is None
    assert ws.cell(row=first, column=col["Hinweis"]).value.splitlines() == [
        "Status: „fertig“ ist kein gültiger Status "
        "(erlaubt: wartend, in Bearbeitung, implementiert)",
        "(Zeile 3 Ihrer Datei)",
    ]
    assert ws.cell(row=second, column=col["Hinweis"]).value.splitlines() == [
        "Maßnahme: „BS-4.4“ ist keine bekannte Maßnahme und kein bekanntes Ziel "
        "– meinten Sie „BS-4.3“?",
        "Stand am: „gestern“ ist kein gültiges Datum (bitte als TT.MM.JJJJ "
        "eintragen, z. B. 30.09.2023)",
        "(Zeile 4 Ihrer Datei)",
    ]
    # dates are real dates again; dropdowns and protection as in the template
    assert ws.cell(row=first, column=col["Stand am"]).value == dt.datetime(2024, 3, 1)
    assert ws.cell(row=second, column=col["Stand am"]).value == "gestern"
    assert ws.protection.sheet
    assert ws.cell(row=second, column=col["Maßnahme"]).protection.locked is False  # to fix
    assert ws.cell(row=first, column=col["Maßnahme"]).protection.locked  # fine as it is
    assert ws.cell(row=first, column=col["Hinweis"]).protection.locked
    kinds = [v.type for v in ws.data_validations.dataValidation]
    assert kinds == ["list", "date"]


def test_corrected_error_workbook_can_be_sent_back(dirs: dict[str, Path], tmp_path: Path) -> None:
    """Done-when of issue 14: corrected where the sheet allows it, the workbook is accepted."""
    write_xlsx(
        dirs["inbox"] / "vhs.xlsx",
        [
            good_row("BS-4.1"),
            good_row("BS-4.2", "fertig"),
            good_row("BS-4.4", Stand_am="31.02.2024"),
        ],
    )
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        (outcome,) = run(dirs, store).files
        assert outcome.error_workbook is not None
        assert outcome.rows_rejected == 2
        workbook = load_workbook(outcome.error_workbook)
        ws = workbook["Rückmeldung"]
        head, col = _table(ws)
        fixes = {
            (head + 1, "Status"): "implementiert",
            (head + 2, "Maßnahme"): "BS-4.3",
            (head + 2, "Stand am"): dt.datetime(2024, 2, 29),
        }
        for (row, column), value in fixes.items():
            cell = ws.cell(row=row, column=col[column])
            assert not cell.protection.locked, column
            cell.value = value
        workbook.save(dirs["inbox"] / "vhs_korrigiert.xlsx")
        (again,) = run(dirs, store).files
        assert again.outcome is Outcome.ACCEPTED, again.problems
        reports = {r.target_id: r for r in store.reports()}
        assert reports["BS-4.2"].status is Status.IMPLEMENTIERT
        assert reports["BS-4.3"].as_of == dt.date(2024, 2, 29)
        # neither the Hinweis column nor the text column's emptiness become notes
        assert reports["BS-4.2"].notes == ()


def test_error_workbook_of_the_previous_kind_can_be_sent_back(
    dirs: dict[str, Path], tmp_path: Path
) -> None:
    """Error workbooks of earlier versions (a ``Fehler`` column) are still read."""
    write_xlsx(
        dirs["inbox"] / "alt.xlsx",
        [[*good_row("BS-4.1"), "Zeile 2, Spalte Status: …"]],
        header=[*HEADER, "Fehler"],
    )
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        (outcome,) = run(dirs, store).files
        assert outcome.outcome is Outcome.ACCEPTED
        assert store.reports()[0].notes == ()


def test_quarantine_kinds(dirs: dict[str, Path], tmp_path: Path) -> None:
    inbox = dirs["inbox"]
    (inbox / "leer.csv").write_bytes(b"")
    (inbox / "geheim.xlsx").write_bytes(
        bytes.fromhex("D0CF11E0A1B11AE1") + "EncryptedPackage".encode("utf-16-le")
    )
    (inbox / "bild.png").write_bytes(b"\x89PNG\r\n")
    write_xlsx(inbox / "gross.xlsx", [good_row(Ausblick="x" * 5000)])
    from kik_core.ingest import Limits

    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store, limits=Limits(max_bytes=4000))
    reasons = {f.name: f.problems[0].reason for f in summary.files}
    assert reasons == {
        "bild.png": Reason.UNSUPPORTED_TYPE,
        "geheim.xlsx": Reason.ENCRYPTED,
        "gross.xlsx": Reason.TOO_LARGE,
        "leer.csv": Reason.EMPTY_FILE,
    }
    assert summary.files_quarantined == 4
    for name in reasons:
        assert (dirs["quarantine"] / name).is_file()
        assert (dirs["quarantine"] / f"{name}.grund.txt").is_file()


def test_store_failure_puts_the_file_back(dirs: dict[str, Path], tmp_path: Path) -> None:
    from kik_core.errors import StoreError

    write_xlsx(dirs["inbox"] / "x.xlsx", [good_row()])
    store = Store.open(sqlite_url(tmp_path / "kik.sqlite"))
    store.close()
    with store.engine.connect() as conn:
        conn.exec_driver_sql("DROP TABLE status_reports")
        conn.commit()
    with pytest.raises(StoreError):
        run(dirs, store)
    assert (dirs["inbox"] / "x.xlsx").is_file()


def test_two_concurrent_ingests_lose_nothing(dirs: dict[str, Path], tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "kik.sqlite")
    inbox = dirs["inbox"]
    ids = [m.id for m in concept().measures]
    for i in range(40):
        rows = [good_row(ids[i % len(ids)], "wartend", Ausblick=f"Datei {i}")]
        if i % 5 == 0:
            rows.append(good_row("XX-1.1", Ausblick=f"Datei {i}"))
        write_xlsx(inbox / f"datei_{i:02d}.xlsx", rows)
    for i in range(5):  # copies: same content, other names
        shutil.copyfile(inbox / f"datei_{i:02d}.xlsx", inbox / f"kopie_{i}.xlsx")
    (inbox / "kaputt.xlsx").write_bytes(b"PK\x03\x04")
    summaries: list[IngestSummary] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with Store.open(url) as store:
                summaries.append(run(dirs, store))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = sorted(f.name for s in summaries for f in s.files)
    assert names == sorted(
        p
        for p in [f"datei_{i:02d}.xlsx" for i in range(40)]
        + [f"kopie_{i}.xlsx" for i in range(5)]
        + ["kaputt.xlsx"]
    )
    outcomes = [f.outcome for s in summaries for f in s.files]
    assert outcomes.count(Outcome.DUPLICATE) == 5
    assert outcomes.count(Outcome.QUARANTINED) == 1
    with Store.open(url) as store:
        assert len(store.files()) == 40
        assert len(store.reports()) == 40
    archived = list((dirs["archive"] / "2024-03-15").iterdir())
    assert len(archived) == 45
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []


# --- group commit (issue 16) ------------------------------------------------------------


def test_a_failing_batch_puts_its_files_back_and_keeps_the_committed_ones(
    dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kik_core.errors import StoreError

    inbox = dirs["inbox"]
    names = [f"{c}.xlsx" for c in "abcdefg"]
    for n, name in enumerate(names):
        write_xlsx(inbox / name, [good_row("BS-4.1", Aktueller_Stand=f"Stand {n}"), good_row("X")])
    real = Store.add_file

    def failing(self: Store, result: object, **kw: object) -> bool:
        if result.path.name == "e.xlsx":  # type: ignore[attr-defined]
            raise StoreError("kaputt")
        return real(self, result, **kw)  # type: ignore[arg-type]

    seen: list[str] = []
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        monkeypatch.setattr(Store, "add_file", failing)
        with pytest.raises(StoreError):
            run(dirs, store, on_file=lambda o: seen.append(o.name))
        monkeypatch.undo()
        # batches of 1, 2 and 4 files: a | b c | d e f g – the third is not committed
        assert seen == ["a.xlsx", "b.xlsx", "c.xlsx"]
        assert [f.name for f in store.files()] == ["a.xlsx", "b.xlsx", "c.xlsx"]
    day = dirs["archive"] / "2024-03-15"
    assert sorted(p.name for p in day.iterdir()) == ["a.xlsx", "b.xlsx", "c.xlsx"]
    assert [p.name for p in inbox_files(inbox)] == ["d.xlsx", "e.xlsx", "f.xlsx", "g.xlsx"]
    # the feedback of the committed files only, no temp files
    assert sorted(p.name for p in dirs["outbox"].iterdir()) == [
        "a_Fehler.xlsx",
        "b_Fehler.xlsx",
        "c_Fehler.xlsx",
    ]
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store)
        assert [f.outcome for f in summary.files] == [Outcome.PARTIAL] * 4
        assert len(store.files()) == 7


def test_workbooks_of_one_batch_with_the_same_name_are_kept_apart(
    dirs: dict[str, Path], tmp_path: Path
) -> None:
    inbox = dirs["inbox"]
    write_xlsx(inbox / "a.xlsx", [good_row("BS-4.1"), good_row("X")])
    write_csv(inbox / "a.csv", [good_row("BS-4.2"), good_row("Y")])
    write_xlsx(inbox / "b.xlsx", [good_row("BS-4.3"), good_row("Z")])
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store)
    books = {f.name: f.error_workbook for f in summary.files}
    assert books == {
        "a.csv": dirs["outbox"] / "a_Fehler.xlsx",
        "a.xlsx": dirs["outbox"] / "a_Fehler_2.xlsx",
        "b.xlsx": dirs["outbox"] / "b_Fehler.xlsx",
    }
    assert sorted(p.name for p in dirs["outbox"].iterdir()) == [
        "a_Fehler.xlsx",
        "a_Fehler_2.xlsx",
        "b_Fehler.xlsx",
    ]
    first = load_workbook(dirs["outbox"] / "a_Fehler.xlsx", read_only=True)
    assert "a.csv" in str(first["Rückmeldung"]["A1"].value)
    first.close()


# -- reader processes (issue 16) ----------------------------------------------------------


def _mixed_inbox(inbox: Path, count: int = 24) -> None:
    """Clean, partial, rejected, unreadable and duplicate files, csv and xlsx."""
    for n in range(count):
        kind = n % 6
        name = f"f{n:02d}"
        if kind == 0:
            write_xlsx(inbox / f"{name}.xlsx", [good_row("BS-4.1", Aktueller_Stand=f"S {n}")])
        elif kind == 1:
            rows = [good_row("BS-4.2", Aktueller_Stand=f"S {n}"), good_row("BS-4.1", "fertig")]
            write_xlsx(inbox / f"{name}.xlsx", rows)
        elif kind == 2:
            write_csv(inbox / f"{name}.csv", [good_row("XX-1.1", Aktueller_Stand=f"S {n}")])
        elif kind == 3:
            (inbox / f"{name}.xlsx").write_bytes(b"PK\x03\x04kaputt" + bytes([n]))
        elif kind == 4:
            shutil.copyfile(inbox / f"f{n - 4:02d}.xlsx", inbox / f"{name}.xlsx")  # duplicate
        else:
            write_csv(inbox / f"{name}.csv", [good_row("BS-4.4", Aktueller_Stand=f"S {n}")])


def _picture(dirs: dict[str, Path], summary: IngestSummary, store: Store) -> object:
    """Everything an ingest leaves, with the run's folders made relative."""

    def rel(path: Path | None) -> str | None:
        return None if path is None else str(path.relative_to(path.parents[1]))

    files = [
        (
            f.name,
            f.outcome,
            f.rows_accepted,
            f.rows_rejected,
            [(p.reason, p.location) for p in f.problems],
            rel(f.error_workbook),
            rel(f.moved_to),
        )
        for f in summary.files
    ]
    stored = sorted(repr(r) for r in store.reports())
    folders = {
        key: sorted(p.name for p in dirs[key].rglob("*"))
        for key in ("inbox", "archive", "quarantine", "outbox")
    }
    workbooks = {
        p.name: [
            [c.value for c in row] for row in load_workbook(p, read_only=True).worksheets[0].rows
        ]
        for p in sorted(dirs["outbox"].glob("*.xlsx"))
    }
    return files, stored, folders, workbooks


def _record_readers(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Note which process read which file (the readers are forked: they log too)."""
    import os

    from kik_core.ingest import _inbox

    real = _inbox.read_update_file

    def reading(path: Path, *args: object, **kw: object) -> object:
        with log.open("a", encoding="utf-8") as out:
            out.write(f"{os.getpid()} {path.name}\n")
        return real(path, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(_inbox, "read_update_file", reading)


def _readers_of(log: Path) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        pid, name = line.split(" ", 1)
        found.setdefault(name, set()).add(int(pid))
    return found


def test_readers_and_serial_reading_leave_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading in reader processes changes nothing: outcomes, store, folders, feedback."""
    import os

    template = tmp_path / "vorlage"
    template.mkdir()
    _mixed_inbox(template)  # once: xlsx files carry the time they were written
    pictures = []
    for readers in (0, 1, 2):
        base = tmp_path / f"r{readers}"
        dirs = {n: base / n for n in ("inbox", "archive", "quarantine", "outbox")}
        shutil.copytree(template, dirs["inbox"])
        log = base / "gelesen.txt"
        _record_readers(monkeypatch, log)
        with Store.open(sqlite_url(base / "kik.sqlite")) as store:
            summary = run(dirs, store, readers=readers)
            pictures.append(_picture(dirs, summary, store))
        monkeypatch.undo()
        read_by = _readers_of(log)
        assert len(read_by) == 24  # every file read once, here or by a reader
        assert (set().union(*read_by.values()) == {os.getpid()}) is (readers == 0)
        assert not (dirs["inbox"] / ".in-arbeit").exists() or not any(
            (dirs["inbox"] / ".in-arbeit").iterdir()
        )
    assert pictures[1] == pictures[0]
    assert pictures[2] == pictures[0]
    files = pictures[0][0]  # type: ignore[index]
    assert len(files) == 24
    assert {f[1] for f in files} == set(Outcome)


def _die_on_f07(path: Path) -> object:
    """A reader that is killed (as by the OOM killer) when it reads f07."""
    import os
    import signal

    from kik_core.ingest import _inbox

    if path.name.startswith("f07"):
        os.kill(os.getpid(), signal.SIGKILL)
    return _inbox._read_ahead.__wrapped__(path)  # type: ignore[attr-defined]


def test_a_killed_reader_loses_no_file(
    dirs: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kik_core.ingest import _inbox

    _mixed_inbox(dirs["inbox"])
    real = _inbox._read_ahead
    _die_on_f07.__wrapped__ = real  # type: ignore[attr-defined]
    monkeypatch.setattr(_inbox, "_read_ahead", _die_on_f07)
    log = tmp_path / "gelesen.txt"
    _record_readers(monkeypatch, log)
    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store, readers=1)
        assert len(summary.files) == 24
        assert sum(f.outcome is Outcome.ACCEPTED for f in summary.files) == 4
        assert [f.name for f in store.files()] == sorted(
            f.name
            for f in summary.files
            if f.outcome in (Outcome.ACCEPTED, Outcome.PARTIAL, Outcome.REJECTED)
        )
    assert inbox_files(dirs["inbox"]) == []
    import os

    readers = _readers_of(log)
    assert os.getpid() in readers["f07.xlsx"]  # read again here after its reader died
    assert readers["f00.xlsx"] != {os.getpid()}  # read by a reader


def test_a_stop_puts_the_files_read_ahead_back(dirs: dict[str, Path], tmp_path: Path) -> None:
    import os
    import signal

    _mixed_inbox(dirs["inbox"])

    def stop(_outcome: FileOutcome) -> None:
        os.kill(os.getpid(), signal.SIGTERM)

    with Store.open(sqlite_url(tmp_path / "kik.sqlite")) as store:
        summary = run(dirs, store, readers=1, on_file=stop)
        assert summary.interrupted
        assert len(summary.files) == 1  # the first batch has one file
    left = [p.name for p in inbox_files(dirs["inbox"])]
    assert len(left) == 23  # the files claimed ahead are back in the inbox, none lost
    assert "f00.xlsx" not in left
    assert not list((dirs["inbox"] / ".in-arbeit").iterdir())


def test_readers_only_when_they_pay_and_are_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from kik_core.ingest import _inbox

    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    assert _inbox._reader_count(_inbox.PARALLEL_FILES) == 1
    assert _inbox._reader_count(_inbox.PARALLEL_FILES - 1) == 0  # too few files
    monkeypatch.setattr(os, "getloadavg", lambda: (1.4, 0.3, 0.3))
    assert _inbox._reader_count(1000) == 1  # this process and a little more
    monkeypatch.setattr(os, "getloadavg", lambda: (1.6, 0.3, 0.3))
    assert _inbox._reader_count(1000) == 0  # no spare CPU
    monkeypatch.setattr(os, "getloadavg", lambda: (0.3, 0.3, 0.3))
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert _inbox._reader_count(1000) == 0  # one CPU
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert _inbox._reader_count(1000) == 3
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert _inbox._reader_count(1000) == 0  # no fork beside another thread
    finally:
        release.set()
        other.join()
