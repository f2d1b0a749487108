"""Benchmark: the whole ``kik ingest`` process on 1,000 partner files.

Two runs, each on a fresh municipality folder (``kik init``, a 50-measure
concept): 1,000 clean files of 10 rows, then 1,000 files whose last row is
rejected (so each file gets an error workbook). Prints files per second (wall
time of the whole process, start-up included), its CPU time and its peak RSS.
Targets (issue 16): ≥ 500 files/s clean, ≥ 300 files/s with a rejected row,
peak RSS ≤ 200 MiB.

Run: ``.venv/bin/python benchmarks/bench_ingest_cli.py [number_of_files]``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ingest import bench_concept  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from kik_core import write_concept_workbook  # noqa: E402
from kik_core.ingest import COLUMNS  # noqa: E402
from kik_core.workflow import init_folder  # noqa: E402


def make_folder(root: Path, count: int, *, rejected: bool) -> Path:
    concept = bench_concept()
    folder = init_folder(root, "Benchstadt")
    write_concept_workbook(concept, folder / "konzept.xlsx")
    ids = [m.id for m in concept.measures]
    statuses = ("wartend", "in Bearbeitung", "implementiert")
    for i in range(count):
        workbook = Workbook()
        ws = workbook.active
        assert ws is not None
        ws.title = "Rückmeldung"
        ws.append(list(COLUMNS))
        for j in range(10):
            status = statuses[(i + j) % 3] if (j != 9 or not rejected) else "fertig"
            ws.append(
                [
                    ids[(i * 10 + j) % len(ids)],
                    status,
                    "01.03.2024",
                    f"Partner {i % 20}",
                    f"Stand {i}.{j}",
                    "",
                ]
            )
        workbook.save(folder / "eingang" / f"partner_{i:04d}.xlsx")
    return folder


def run(folder: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of ``kik ingest folder`` in a fresh process."""
    env = dict(
        os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    code = (
        "import resource, subprocess, sys; "
        "subprocess.run(sys.argv[1:], check=False, stdout=subprocess.DEVNULL); "
        "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
        "print(u.ru_utime + u.ru_stime, u.ru_maxrss)"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, sys.executable, "-m", "kik_core", "ingest", str(folder)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    wall = time.perf_counter() - start
    return wall, float(out[0]), int(out[1]) / 1024


def main(count: int = 1000) -> None:
    for rejected in (False, True):
        with tempfile.TemporaryDirectory() as tmp:
            folder = make_folder(Path(tmp) / "kommune", count, rejected=rejected)
            wall, cpu, rss = run(folder)
        label = "one rejected row per file" if rejected else "clean"
        print(
            f"kik ingest, {count} files, {label:<26}: {count / wall:6.0f} files/s "
            f"(wall {wall:5.2f} s, CPU {cpu:5.2f} s), peak RSS {rss:5.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
