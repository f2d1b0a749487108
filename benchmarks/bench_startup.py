"""Benchmark: start-up of the command line – ``kik --help`` and ``kik validate`` on Kempten.

Each command runs in a fresh process, ``--runs`` times; prints the median wall time
and the median CPU time (user + system; less affected by a busy machine).
Targets (issue 16): ``kik --help`` ≤ 150 ms, ``kik validate`` on Kempten ≤ 400 ms.

Run: ``.venv/bin/python benchmarks/bench_startup.py [--runs 15]``
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    env = dict(
        os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "kempten"
        shutil.copytree(
            ROOT / "examples" / "kempten", folder, ignore=shutil.ignore_patterns("source")
        )
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "kik --help": [sys.executable, "-m", "kik_core", "--help"],
            "kik validate (Kempten)": [sys.executable, "-m", "kik_core", "validate", str(folder)],
        }
        results: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
        for _ in range(args.runs):  # interleaved
            for label, command in commands.items():
                results[label].append(timed(command, env))
    for label, runs in results.items():
        wall = statistics.median(r[0] for r in runs) * 1000
        cpu = statistics.median(r[1] for r in runs) * 1000
        print(f"{label:<24} median wall {wall:6.0f} ms   CPU {cpu:6.0f} ms   ({len(runs)} runs)")


if __name__ == "__main__":
    main()
