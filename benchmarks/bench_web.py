"""Benchmark: write the Kempten web edition (155 pages + open data) and print the time.

Run: ``.venv/bin/python benchmarks/bench_web.py [repeats]``

The Kempten example is copied to a temp folder, ingested and its round issued
(not timed); then ``workflow.publish`` (issued snapshot, presentation model, 155
HTML pages with inline SVG, CSV/XLSX/JSON) is timed ``repeats`` times (default 3).
"""

from __future__ import annotations

import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kik_core import workflow

KEMPTEN = Path(__file__).resolve().parents[1] / "examples" / "kempten"


def main(repeats: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kempten"
        shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source", "*.sqlite*"))
        workflow.run(folder, today=dt.date(2023, 12, 1))
        workflow.issue(folder)
        times = []
        result = None
        for _ in range(repeats):
            start = time.perf_counter()
            result = workflow.publish(folder)
            times.append(time.perf_counter() - start)
        assert result is not None
        size = sum(p.stat().st_size for p in result.folder.rglob("*") if p.is_file())
        print(
            f"Kempten web edition: {len(result.pages)} pages, {len(result.data_files)} data files, "
            f"{size / 1e6:.1f} MB; publish took median {statistics.median(times):.2f} s "
            f"(min {min(times):.2f} s, {repeats} runs)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
