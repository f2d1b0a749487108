"""Benchmark: peak memory (RSS) of ``kik ingest`` on each hostile file (printed, not asserted).

Each hostile file from ``tests/hostile.py`` (a cell at XFD1048576 or GR1048576 in a
5 KB xlsx or a 1.5 KB xlsb, an xlsb whose BrtWsDim claims the whole sheet, an ods
repeating one cell a million times, an unbalanced quote, control characters) is put
alone into a fresh municipality folder and ingested by a ``kik ingest`` child process;
its peak resident set size comes from ``resource.getrusage(RUSAGE_CHILDREN)``. The
target is at most 1 GiB per file (issue 11); before the sheet-extent guard the far
cells took 8 GB and more, and the xlsb far cell aborted the process (calamine's failed
allocation of some 512 GiB is a Rust abort, not an exception).

Run: ``.venv/bin/python benchmarks/bench_hostile.py``
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]

from tests.hostile import HOSTILE  # noqa: E402
from tests.ingest_helpers import concept  # noqa: E402

from kik_core.concept_workbook import write_concept_workbook  # noqa: E402
from kik_core.workflow import init_folder  # noqa: E402

#: Address-space limit of each child: a reader that expands a file fails, not the machine.
CHILD_LIMIT = 4 * 1024**3
TARGET_MIB = 1024


def measure(name: str, folder: Path) -> tuple[int, float, float]:
    """Ingest ``folder`` in a child; return (exit code, peak RSS in MiB, seconds)."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    command = [sys.executable, "-m", "kik_core", "ingest", str(folder), "--heute", "2024-03-15"]
    # a fresh measuring process per file: RUSAGE_CHILDREN keeps the maximum of all children
    probe = (
        "import resource, subprocess, sys\n"
        "def limit():\n"
        f"    resource.setrlimit(resource.RLIMIT_AS, ({CHILD_LIMIT}, {CHILD_LIMIT}))\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, preexec_fn=limit)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(done.returncode, peak)\n"
    )
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", probe, *command],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.split()
    seconds = time.perf_counter() - start
    code, peak_kib = int(out[0]), int(out[1])
    return code, peak_kib / 1024, seconds


def main() -> None:
    print(f"Peak RSS of `kik ingest` per hostile file (target ≤ {TARGET_MIB} MiB)")
    print(f"{'file':28} {'size':>9} {'exit':>5} {'peak RSS':>12} {'time':>8}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="kik-hostile-") as tmp:
        for name, make in HOSTILE.items():
            folder = init_folder(Path(tmp) / name.replace(".", "_"), "Benchstadt")
            write_concept_workbook(concept(), folder / "konzept.xlsx")
            size = f"{make(folder / 'eingang' / name).stat().st_size / 1024:.1f} KB"
            code, peak, seconds = measure(name, folder)
            worst = max(worst, peak)
            print(f"{name:28} {size:>9} {code:>5} {peak:>8.0f} MiB {seconds:>7.2f}s")
    print(f"worst peak: {worst:.0f} MiB ({'within' if worst <= TARGET_MIB else 'OVER'} target)")


if __name__ == "__main__":
    main()
