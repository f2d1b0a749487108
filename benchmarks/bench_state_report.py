"""Benchmark ``state_report``: 100 generated municipalities, threads vs. processes vs. Dask.

Run from the repository root::

    python benchmarks/bench_state_report.py            # 100 municipalities
    python benchmarks/bench_state_report.py -n 40 --workers 4 --dask-workers 4

Each run gets fresh folders (ingest moves the inbox files away), and all runs
share one temporary Prefect server. Prints the wall time and the cost per
municipality for each runner.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prefect.testing.utilities import prefect_test_harness
from tests.pipeline_fixtures import make_municipalities

from kik_pipelines.dask import dask_state_report
from kik_pipelines.flows import state_report
from kik_pipelines.processes import process_state_report


def _folders(root: Path, count: int) -> list[str]:
    return [str(f) for f in make_municipalities(root, count)]


def _run(label: str, flow: object, folders: list[str], max_workers: int) -> float:
    start = time.perf_counter()
    summary = flow(folders, max_workers=max_workers)  # type: ignore[operator]
    wall = time.perf_counter() - start
    n = summary["total"]
    print(
        f"{label:<34} {wall:7.1f} s wall   {wall / n * 1000:7.0f} ms per municipality   "
        f"({summary['succeeded']} ok, {summary['failed']} failed)",
        flush=True,
    )
    return wall


def main() -> None:
    """Generate the folders, run each runner once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--municipalities", type=int, default=100)
    parser.add_argument("--workers", type=int, default=8, help="max_workers of state_report")
    parser.add_argument(
        "--dask-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="local Dask worker processes (default: one per CPU; more only compete)",
    )
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="also run Dask with 1 worker and print the per-worker throughput at "
        "--dask-workers relative to 1 worker (issue 16: >= 85 %%)",
    )
    args = parser.parse_args()
    n = args.municipalities
    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=60):
        root = Path(tmp)
        start = time.perf_counter()
        threads_folders = _folders(root / "threads", n)
        dask_folders = [] if args.skip_dask else _folders(root / "dask", n)
        process_folders = _folders(root / "processes", n)
        print(f"generated {n} municipalities per runner in {time.perf_counter() - start:.1f} s")
        print(f"cpus: {os.cpu_count()}, max_workers: {args.workers}")
        _run(
            f"thread pool (max_workers={args.workers})", state_report, threads_folders, args.workers
        )
        _run(
            f"process pool ({args.dask_workers} processes)",
            process_state_report(args.dask_workers),
            process_folders,
            args.workers,
        )
        if not args.skip_dask:
            flow = dask_state_report(n_workers=args.dask_workers, threads_per_worker=1)
            many = _run(
                f"dask LocalCluster ({args.dask_workers} processes)",
                flow,
                dask_folders,
                args.workers,
            )
            if args.scaling and args.dask_workers > 1:
                one = _run(
                    "dask LocalCluster (1 process)",
                    dask_state_report(n_workers=1, threads_per_worker=1),
                    _folders(root / "dask-1", n),
                    args.workers,
                )
                per_worker = (n / many / args.dask_workers) / (n / one)
                print(
                    f"per-worker throughput at {args.dask_workers} workers: "
                    f"{per_worker:.0%} of 1 worker's (wall times; a busy machine lowers it)"
                )


if __name__ == "__main__":
    main()
