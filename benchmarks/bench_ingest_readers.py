"""Benchmark: ingest with and without reader processes (issue 16), in one process.

Makes 1,000 partner files (clean, then with one rejected row each, as
``bench_ingest_cli.py``) and ingests copies of them with ``readers=0`` (every
file read in the main process) and ``readers=1`` (read, validated and their error
workbooks made in a forked reader), interleaved. Prints the medians of the wall
time, the main process's CPU time and the reader's CPU time. The wall time with a
reader drops only when a second core is free: on a busy machine compare the CPU
times (the main process's share is what a reader takes off it).

Run: ``.venv/bin/python benchmarks/bench_ingest_readers.py [--files 1000] [--runs 3]``
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_ingest_cli import make_folder  # noqa: E402

from kik_core.ingest import ingest_inbox  # noqa: E402
from kik_core.settings import load_settings  # noqa: E402
from kik_core.workflow import load_editions, open_store  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(folder: Path, readers: int) -> tuple[float, float, float]:
    """(wall s, main CPU s, readers' CPU s) of ingesting ``folder``'s inbox."""
    settings = load_settings(folder)
    concept = load_editions(settings).current
    with open_store(settings) as store:
        children = _children_cpu()
        cpu = time.process_time()
        start = time.perf_counter()
        summary = ingest_inbox(
            settings.inbox,
            concept=concept,
            store=store,
            archive=settings.archive,
            quarantine=settings.quarantine,
            outbox=settings.outbox,
            readers=readers,
        )
        wall = time.perf_counter() - start
        main = time.process_time() - cpu
    assert summary.files, "nothing ingested"
    return wall, main, _children_cpu() - children


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for rejected in (False, True):
            template = make_folder(Path(tmp) / f"vorlage-{rejected}", args.files, rejected=rejected)
            results: dict[int, list[tuple[float, float, float]]] = {0: [], 1: []}
            for n in range(args.runs):
                for readers, runs in results.items():
                    folder = Path(tmp) / f"lauf-{n}-{readers}"
                    shutil.copytree(template, folder)
                    runs.append(run(folder, readers))
                    shutil.rmtree(folder)
            label = "one rejected row per file" if rejected else "clean"
            for readers, runs in results.items():
                wall, main_cpu, reader_cpu = (
                    statistics.median(r[i] for r in runs) for i in range(3)
                )
                print(
                    f"ingest_inbox, {args.files} files, {label:<26}, readers={readers}: "
                    f"wall {wall:5.2f} s, main CPU {main_cpu:5.2f} s, reader CPU "
                    f"{reader_cpu:5.2f} s ({args.files / main_cpu:4.0f} files per main CPU s), "
                    f"{len(runs)} runs",
                    flush=True,
                )


if __name__ == "__main__":
    main()
