"""Benchmark: how validate, ingest and report grow with the size of the concept.

Builds municipality folders with the Kempten-shaped concept of
``tests/report_fixtures.py`` at 1×, 10× and 100× (144, 1,440 and 14,400 measures;
6, 60 and 600 fields), each with 20 partner files covering every measure, and
runs ``kik validate``, ``kik ingest`` and ``kik report`` on them, each in a fresh
process. Prints the CPU time (user + system) of each process, which a busy
machine distorts less than wall time, and the growth from 10× to 100× (10 would
be linear; the target is ≤ 11).

Run: ``.venv/bin/python benchmarks/bench_growth.py [--scales 1,10,100]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.pipeline_fixtures import write_update_file  # noqa: E402
from tests.report_fixtures import make_case  # noqa: E402

from kik_core import write_concept_workbook  # noqa: E402
from kik_core.workflow import init_folder  # noqa: E402

AS_OF = dt.date(2023, 9, 30)
PARTNERS = 20
_STATUSES = ("wartend", "in Bearbeitung", "implementiert")


def make_folder(root: Path, scale: int) -> tuple[Path, int]:
    """A municipality folder with the ``scale``× concept and 20 partner files in eingang/."""
    concept = make_case(scale).concept
    folder = init_folder(root / f"kommune-{scale}", "Benchstadt")
    write_concept_workbook(concept, folder / "konzept.xlsx")
    measures = list(concept.measures)
    for p in range(PARTNERS):
        rows: list[tuple[object, ...]] = [
            (m.id, _STATUSES[(i + p) % 3], AS_OF, f"Partner {p}", f"Stand {m.id}", "")
            for i, m in enumerate(measures[p::PARTNERS])
        ]
        write_update_file(folder / "eingang" / f"partner_{p:02d}.xlsx", rows)
    return folder, len(measures)


def cpu_run(args: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``python -m kik_core *args`` in a fresh process."""
    env = dict(
        os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "kik_core", *args],
        env=env,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1,10,100", help="concept sizes (× 144 measures)")
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    results: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in scales:
            folder, n = make_folder(Path(tmp), scale)
            times = {}
            for command in ("validate", "ingest", "report"):
                extra = ["--stichtag", AS_OF.isoformat()] if command == "report" else []
                times[command], wall = cpu_run([command, str(folder), *extra])
                print(
                    f"{n:>6} measures  kik {command:<8} CPU {times[command]:7.2f} s"
                    f"  (wall {wall:6.2f} s)",
                    flush=True,
                )
            results[scale] = times
    for small, large in itertools.pairwise(scales):
        growth = ", ".join(
            f"{c} ×{results[large][c] / results[small][c]:.1f}"
            for c in ("validate", "ingest", "report")
        )
        print(f"growth {small}× → {large}× ({large // small}× the measures): {growth}")


if __name__ == "__main__":
    main()
