"""Benchmark: writing partner templates and error workbooks (printed, not asserted).

* the Kempten concept's templates (one per partner, 144 measures);
* error workbooks of 500 and 5000 rejected rows (each with a red cell, a comment
  and a hint), the size a careless partner file or a whole-office export reaches.

The target is an error workbook of 5000 rows in under 5 s on one core (styling cell
by cell took 6.5 s; named styles, one per kind of cell, 2.5 s).

Run: ``.venv/bin/python benchmarks/bench_workbooks.py``
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.ingest_helpers import TODAY, concept, good_row, write_csv  # noqa: E402

from kik_core import load_concept  # noqa: E402
from kik_core.ingest import read_update_file, write_partner_templates  # noqa: E402
from kik_core.ingest._errorbook import error_workbook_bytes  # noqa: E402

TARGET_SECONDS = 5.0


def main() -> None:
    """Print the time of each case."""
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        kempten = load_concept(ROOT / "examples" / "kempten" / "konzept.xlsx")
        start = time.perf_counter()
        paths = write_partner_templates(
            kempten, None, work / "vorlagen", as_of=dt.date(2023, 9, 30)
        )
        print(f"templates: {len(paths)} files in {time.perf_counter() - start:.2f} s")
        for rows in (500, 5000):
            path = work / f"fehler_{rows}.csv"
            write_csv(path, [good_row("BS-4.1", "fertig") for _ in range(rows)])
            result = read_update_file(path, concept(), today=TODAY)
            start = time.perf_counter()
            data = error_workbook_bytes(result)
            seconds = time.perf_counter() - start
            mark = "ok" if seconds <= TARGET_SECONDS else f"over the {TARGET_SECONDS} s target"
            print(
                f"error workbook: {len(result.rejected)} rows in {seconds:.2f} s, "
                f"{len(data) // 1024} KB ({mark})"
            )


if __name__ == "__main__":
    main()
