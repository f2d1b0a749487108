"""Benchmark: in-process time to build the interim report DOCX.

Builds the Kempten-shaped report (144 measures) and one ten times larger
(1,440 measures, 60 fields) and prints both times and their ratio (the work
is linear in the number of measures, plus one chart per field).

Run: ``.venv/bin/python benchmarks/bench_report.py [--repeat N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.report_fixtures import make_case, make_options

from kik_core.report import ReportOptions, build_report


def build_time(scale: int, repeat: int, out_dir: Path) -> tuple[float, int]:
    case = make_case(scale)
    options = make_options()
    assert isinstance(options, ReportOptions)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        path = build_report(
            case.concept,
            case.snapshot,
            out_dir / f"bericht_{scale}.docx",
            options=options,
            content=case.content,
            history=case.history,
        )
        best = min(best, time.perf_counter() - start)
    return best, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per size (best is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        small, small_size = build_time(1, args.repeat, Path(tmp))
        large, large_size = build_time(10, args.repeat, Path(tmp))
    print(f"Kempten-shaped (144 measures, 6 fields):   {small:6.2f} s  ({small_size / 1e6:.1f} MB)")
    print(
        f"ten times larger (1,440 measures, 60 fields): {large:6.2f} s  ({large_size / 1e6:.1f} MB)"
    )
    print(f"ratio large/small: {large / small:.1f} (10 would be linear)")


if __name__ == "__main__":
    main()
