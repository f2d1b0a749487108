"""Benchmark: ingest 1,000 small partner files and print files per second.

Run: ``.venv/bin/python benchmarks/bench_ingest.py [number_of_files]``
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

from kik_core.ingest import COLUMNS, ingest_inbox
from kik_core.model import Concept, FieldOfAction, Goal, Measure
from kik_core.store import Store, sqlite_url

TODAY = dt.date(2024, 3, 15)


def bench_concept() -> Concept:
    fields = (FieldOfAction("BS", "Bildung"), FieldOfAction("AA", "Arbeit"))
    goals = tuple(Goal(f"{f.code}-{g}", f"Ziel {g}") for f in fields for g in range(1, 6))
    measures = tuple(Measure(f"{g.id}.{m}", f"Maßnahme {m}") for g in goals for m in range(1, 6))
    return Concept("Benchstadt", "KIK", None, fields, goals, measures)


def write_files(inbox: Path, concept: Concept, count: int) -> None:
    ids = [m.id for m in concept.measures]
    statuses = ("wartend", "in Bearbeitung", "implementiert")
    for i in range(count):
        workbook = Workbook()
        ws = workbook.active
        assert ws is not None
        ws.title = "Rückmeldung"
        ws.append(list(COLUMNS))
        for j in range(10):
            target = ids[(i * 10 + j) % len(ids)]
            status = statuses[(i + j) % 3] if j != 9 else "fertig"  # one rejected row per file
            ws.append([target, status, "01.03.2024", f"Partner {i % 20}", f"Stand {i}.{j}", ""])
        workbook.save(inbox / f"partner_{i:04d}.xlsx")


def main(count: int = 1000) -> None:
    concept = bench_concept()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        inbox = root / "inbox"
        inbox.mkdir()
        start = time.perf_counter()
        write_files(inbox, concept, count)
        print(f"generated {count} files in {time.perf_counter() - start:.1f} s")
        with Store.open(sqlite_url(root / "kik.sqlite")) as store:
            start = time.perf_counter()
            summary = ingest_inbox(
                inbox,
                concept=concept,
                store=store,
                archive=root / "archive",
                quarantine=root / "quarantine",
                outbox=root / "outbox",
                today=TODAY,
            )
            elapsed = time.perf_counter() - start
            assert summary.rows_accepted == count * 9
            assert summary.rows_rejected == count
        print(
            f"ingest_inbox: {count} files ({summary.rows_accepted} rows accepted, "
            f"{summary.rows_rejected} rejected, {count} error workbooks) in {elapsed:.1f} s "
            f"= {count / elapsed:.1f} files/s"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
