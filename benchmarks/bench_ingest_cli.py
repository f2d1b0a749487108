"""Benchmark: the whole ``kik ingest`` process on 1,000 partner files.

Two cases, each on a fresh copy of a municipality folder (``kik init``, a
50-measure concept): 1,000 clean files of 10 rows, then 1,000 files whose last
row is rejected (so each file gets an error workbook). Each case runs ``--runs``
times, interleaved; prints the medians of files per second (wall time of the
whole process, start-up included), of its CPU time (user + system, which a busy
machine distorts less) and of its peak RSS, and files per CPU second.
Targets (issue 16): ≥ 500 files/s clean, ≥ 300 files/s with a rejected row,
peak RSS ≤ 200 MiB.

``--src`` runs another source tree (e.g. an older checkout) for before/after figures.

Run: ``.venv/bin/python benchmarks/bench_ingest_cli.py [--files 1000] [--runs 3] [--src DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
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


def run(folder: Path, src: Path) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of ``kik ingest folder`` in a fresh process."""
    env = dict(os.environ, PYTHONPATH=f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--src", type=Path, default=ROOT / "src", help="the kik_core to run")
    args = parser.parse_args()
    count = args.files
    results: dict[bool, list[tuple[float, float, float]]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        templates = {
            rejected: make_folder(Path(tmp) / f"vorlage-{rejected}", count, rejected=rejected)
            for rejected in (False, True)
        }
        for n in range(args.runs):  # interleaved: a busy moment hits both cases
            for rejected, template in templates.items():
                folder = Path(tmp) / f"lauf-{n}-{rejected}"
                shutil.copytree(template, folder)
                results[rejected].append(run(folder, args.src.resolve()))
                shutil.rmtree(folder)
    for rejected, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        label = "one rejected row per file" if rejected else "clean"
        print(
            f"kik ingest, {count} files, {label:<26}: {count / wall:6.0f} files/s "
            f"(median wall {wall:5.2f} s, CPU {cpu:5.2f} s = {count / cpu:4.0f} files per "
            f"CPU s), peak RSS {rss:4.0f} MiB, {len(runs)} runs",
            flush=True,
        )


if __name__ == "__main__":
    main()
