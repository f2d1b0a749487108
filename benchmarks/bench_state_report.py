"""Benchmark ``state_report`` on Kempten-size municipalities (issue 16's state-wide target).

Target: 1,000 Kempten-size municipalities (144 measures, 20 partner files each) in
at most 10 minutes on a 2-core machine, i.e. at most 1.2 s of CPU per municipality,
Prefect included, on both cores. Run from the repository root::

    python benchmarks/bench_state_report.py                 # 100 municipalities
    python benchmarks/bench_state_report.py -n 1000 --runners process
    python benchmarks/bench_state_report.py -n 40 --runners warm,dask --scaling

Runners (``--runners``, comma-separated; default ``warm,process,dask``):

* ``warm``: no Prefect, one warm process ingesting and reporting one municipality
  after the other (the floor per municipality);
* ``process``: :func:`kik_pipelines.processes.process_state_report` (batches on a
  process pool, one worker per CPU);
* ``dask``: :func:`kik_pipelines.dask.dask_state_report` (batches on a temporary
  local Dask cluster, one worker per CPU, one thread each);
* ``threads``: :func:`kik_pipelines.flows.state_report` (two tasks per municipality
  on a thread pool: one core);

``--scaling`` also runs Dask with one worker and prints the per-worker throughput at
``--dask-workers`` workers relative to one (issue 16: at least 85 %). With
``--pairs K`` it runs K pairs (many workers, then one) and prints each pair's ratio
and their median: on a shared or virtual machine single runs vary by 5 to 10 %.
Two ratios are printed: from the wall times of the whole runs (start-up included:
Python, Prefect, the cluster and the workers' warm-up, about 5 s), and from the
steady rate between the first and the last report written (start-up excluded;
what a run of 1,000 municipalities approaches).

Each run is a fresh child process on fresh folders (ingest moves the inbox files
away); all runs share one temporary Prefect server. Printed per run: wall time, CPU
time of the run's processes (the flow process and its workers; the Prefect server's
CPU separately), both per municipality; the peak RSS of each worker process and the
workers' RSS when a quarter, half and all of the municipalities were done (memory
must stay flat with n); and how many tracebacks the run wrote to stderr (teardown
must write none). CPU time is what the sizing rule needs: on a shared machine the
wall time also counts the other load. Uses psutil (a dependency of distributed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MIB = 1024 * 1024


# --- the child: one run ---------------------------------------------------------------


class Sampler(threading.Thread):
    """Samples the RSS of this process's descendants and counts the reports written."""

    def __init__(self, folders: list[str], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.folders = folders
        self.pending = list(folders)
        self.interval = interval
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.names: dict[int, str] = {}
        self.marks: dict[str, dict[str, int]] = {}
        self.stop = threading.Event()

    def _rss(self) -> dict[int, int]:
        import psutil

        rss: dict[int, int] = {}
        for proc in psutil.Process().children(recursive=True):
            try:
                rss[proc.pid] = proc.memory_info().rss
                times = proc.cpu_times()
                self.cpu[proc.pid] = times.user + times.system + times.children_user
                if proc.pid not in self.names:
                    self.names[proc.pid] = " ".join(proc.cmdline()[1:])[-40:]
            except psutil.Error:
                continue
        return rss

    def _done(self) -> int:
        self.pending = [f for f in self.pending if not any(Path(f, "berichte").glob("*.docx"))]
        return len(self.folders) - len(self.pending)

    def sample(self) -> None:
        rss = self._rss()
        for pid, value in rss.items():
            self.peak[pid] = max(self.peak.get(pid, 0), value)
        done = self._done()
        n = len(self.folders)
        for label, at in (("n/4", n // 4), ("n/2", n // 2), ("n", n)):
            if label not in self.marks and done >= at and rss:
                self.marks[label] = {str(pid): value // MIB for pid, value in rss.items()}

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self.sample()


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _warm_run(folders: list[str]) -> dict[str, Any]:
    """Ingest and report each folder in this process, after warming it up (no Prefect)."""
    from kik_core import workflow
    from kik_pipelines.batches import warm_worker

    warm_worker()
    failed = 0
    for folder in folders:
        workflow.ingest(folder)
        try:
            workflow.report(folder)
        except Exception as exc:  # counted, shown, and the run goes on
            failed += 1
            print(f"{folder}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return {"total": len(folders), "succeeded": len(folders) - failed, "failed": failed}


def child(runner: str, folders: list[str], workers: int) -> dict[str, Any]:
    """Run one runner on ``folders`` and measure it."""
    import psutil

    start_cpu = _cpu()
    sampler = Sampler(folders)
    sampler.start()
    start = time.perf_counter()
    if runner == "warm":
        summary = _warm_run(folders)
    else:
        if runner == "process":
            from kik_pipelines.processes import process_state_report

            state = process_state_report(workers)(folders, workers=workers, return_state=True)
        elif runner == "dask":
            from kik_pipelines.dask import dask_state_report

            flow = dask_state_report(n_workers=workers, threads_per_worker=1)
            state = flow(folders, workers=workers, return_state=True)
        elif runner == "threads":
            from kik_pipelines.flows import state_report

            state = state_report(folders, max_workers=8, return_state=True)
        else:
            raise SystemExit(f"unknown runner {runner!r}")
        summary = state.result(raise_on_failure=False)
    wall = time.perf_counter() - start
    sampler.sample()
    sampler.stop.set()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return {
        "wall": wall,
        "cpu": _cpu() - start_cpu,
        "total": summary["total"],
        "failed": summary["failed"],
        "own_peak_mib": own_peak,
        "own_rss_mib": psutil.Process().memory_info().rss // MIB,
        "worker_peak_mib": {
            sampler.names.get(pid, str(pid)): value // MIB for pid, value in sampler.peak.items()
        },
        "marks": sampler.marks,
        "process_cpu": {
            f"{pid} {sampler.names.get(pid, '')}": round(value, 1)
            for pid, value in sorted(sampler.cpu.items(), key=lambda item: -item[1])[:6]
        },
        "own_cpu": round(sum(resource.getrusage(resource.RUSAGE_SELF)[:2]), 1),
    }


# --- the parent: folders, the server, the runs ------------------------------------------


def _server_process() -> Any:
    """The Prefect server the test harness started (a child of this process), if any."""
    import psutil

    for proc in psutil.Process().children(recursive=True):
        try:
            if "uvicorn" in " ".join(proc.cmdline()) or "prefect" in " ".join(proc.cmdline()):
                return proc
        except psutil.Error:
            continue
    return None


def _cpu_of(proc: Any) -> float:
    if proc is None:
        return 0.0
    times = proc.cpu_times()
    return float(times.user + times.system)


def run(  # noqa: PLR0917 - a benchmark's helper
    label: str, runner: str, root: Path, n: int, workers: int, server: Any, *, minimal: bool
) -> dict[str, Any]:
    """Make ``n`` fresh folders, run ``runner`` on them in a child process, print the figures."""
    from tests.pipeline_fixtures import make_kempten_size_municipalities, make_municipalities

    make = make_municipalities if minimal else make_kempten_size_municipalities
    folders = [str(f) for f in make(root / label.replace(" ", "-"), n)]
    listing = root / f"{label.replace(' ', '-')}.json"
    listing.write_text(json.dumps(folders), encoding="utf-8")
    stderr = root / f"{label.replace(' ', '-')}.stderr"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT / "pipelines"), env.get("PYTHONPATH", "")]
    )
    from prefect.settings import PREFECT_API_URL

    if PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = str(PREFECT_API_URL.value())
    server_before = _cpu_of(server)
    with stderr.open("w", encoding="utf-8") as err:
        done = subprocess.run(
            [
                *(sys.executable, __file__, "--child", runner),
                *("--listing", str(listing), "--dask-workers", str(workers)),
            ],
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            check=False,
            text=True,
        )
    server_cpu = _cpu_of(server) - server_before
    text = stderr.read_text(encoding="utf-8", errors="replace")
    if done.returncode != 0:
        print(f"{label}: exit {done.returncode}\n{text[-3000:]}", flush=True)
        return {}
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    figures["steady"] = _steady_rate(folders)
    tracebacks = text.count("Traceback (most recent call last)")
    closed = text.count("CommClosedError")
    per = figures["wall"] / n
    cpu = figures["cpu"] / n
    print(
        f"{label:<24} {figures['wall']:7.1f} s wall ({per:5.2f} s each)   "
        f"CPU {figures['cpu']:7.1f} s ({cpu:5.2f} s each; + Prefect server "
        f"{server_cpu:5.1f} s = {(figures['cpu'] + server_cpu) / n:5.2f} s each)   "
        f"{figures['total'] - figures['failed']}/{figures['total']} ok",
        flush=True,
    )
    workers_peak = figures["worker_peak_mib"]
    big = {k: v for k, v in workers_peak.items() if v >= 60}
    print(
        f"{'':<24} peak RSS: run process {figures['own_peak_mib']} MiB; "
        f"processes over 60 MiB: {', '.join(f'{v} MiB' for v in big.values()) or 'none'}",
        flush=True,
    )
    for mark in ("n/4", "n/2", "n"):
        rss = figures["marks"].get(mark)
        if rss:
            values = sorted((v for v in rss.values() if v >= 60), reverse=True)
            print(f"{'':<24} RSS at {mark:<3}: {', '.join(f'{v} MiB' for v in values)}")
    print(
        f"{'':<24} CPU by process: run process {figures['own_cpu']} s; "
        + ", ".join(f"{v} s ({k})" for k, v in figures["process_cpu"].items()),
        flush=True,
    )
    print(
        f"{'':<24} stderr: {tracebacks} tracebacks, {closed} CommClosedError"
        + (f" (see {stderr})" if tracebacks or closed else ""),
        flush=True,
    )
    if figures["steady"]:
        print(
            f"{'':<24} steady rate: {figures['steady']:.3f} municipalities/s between the "
            "first and the last report written",
            flush=True,
        )
    figures["server_cpu"] = server_cpu
    return figures


def _steady_rate(folders: list[str]) -> float | None:
    """Municipalities per second between the first and the last report written."""
    times = sorted(
        docx.stat().st_mtime
        for folder in folders
        for docx in Path(folder, "berichte").glob("*.docx")
    )
    if len(times) < 2 or times[-1] <= times[0]:
        return None
    return (len(times) - 1) / (times[-1] - times[0])


def _scaling(pairs: list[tuple[dict[str, Any], dict[str, Any]]], n: int, workers: int) -> None:
    """Print the per-worker throughput of each (many workers, one worker) pair and the median."""
    by_wall, by_steady, by_cpu = [], [], []
    for number, (many, one) in enumerate(pairs, 1):
        wall = (n / many["wall"] / workers) / (n / one["wall"])
        by_wall.append(wall)
        by_cpu.append(one["cpu"] / many["cpu"])
        line = f"pair {number}: {wall:.1%} by wall time"
        if many["steady"] and one["steady"]:
            by_steady.append(many["steady"] / workers / one["steady"])
            line += f", {by_steady[-1]:.1%} by steady rate"
        print(line + f", CPU per municipality 1 / {workers} workers {by_cpu[-1]:.1%}")
    print(
        f"per-worker throughput at {workers} workers, median of {len(pairs)} pair(s): "
        f"{statistics.median(by_wall):.1%} of 1 worker's by wall time (start-up included)"
        + (f", {statistics.median(by_steady):.1%} by steady rate" if by_steady else "")
        + " (target >= 85 %; a busy machine lowers it)\n"
        f"CPU per municipality, 1 worker / {workers} workers: {statistics.median(by_cpu):.1%} "
        "(what the workers' overhead costs, whatever else the machine runs)"
    )


def main() -> None:
    """Generate the folders, run each runner once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--municipalities", type=int, default=100)
    parser.add_argument("--runners", default="warm,process,dask")
    parser.add_argument(
        "--dask-workers",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes of the process pool and of Dask (default: one per CPU)",
    )
    parser.add_argument("--scaling", action="store_true", help="also Dask with 1 worker")
    parser.add_argument(
        "--pairs", type=int, default=1, help="with --scaling: pairs of runs (median printed)"
    )
    parser.add_argument(
        "--minimal", action="store_true", help="minimal municipalities (6 measures, 1 file)"
    )
    parser.add_argument("--keep", type=Path, help="make the folders here and keep them")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--listing", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        folders = json.loads(args.listing.read_text(encoding="utf-8"))
        print(json.dumps(child(args.child, folders, args.dask_workers)), flush=True)
        return

    from prefect.testing.utilities import prefect_test_harness

    n, workers = args.municipalities, args.dask_workers
    runners = [r.strip() for r in args.runners.split(",") if r.strip()]
    size = "minimal" if args.minimal else "Kempten-size (144 measures, 20 partner files)"
    print(f"{n} {size} municipalities per run; {os.cpu_count()} CPUs; {workers} workers")
    print(f"load average before: {os.getloadavg()[0]:.2f} (a shared machine lowers wall times)")
    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness(server_startup_timeout=60):
        root = args.keep or Path(tmp)
        server = _server_process()
        results = {}
        for runner in runners:
            label = {
                "warm": "warm, no Prefect",
                "process": f"process pool ({workers})",
                "dask": f"dask ({workers} workers)",
                "threads": "threads (state_report)",
            }.get(runner, runner)
            results[runner] = run(label, runner, root, n, workers, server, minimal=args.minimal)
        if args.scaling and workers > 1:
            pairs = []
            for number in range(1, args.pairs + 1):
                many = results.get("dask") if number == 1 else None
                if not many:
                    many = run(
                        f"dask ({workers} workers) #{number}", "dask", root, n, workers, server,
                        minimal=args.minimal,
                    )  # fmt: skip
                one = run(
                    f"dask (1 worker) #{number}", "dask", root, n, 1, server, minimal=args.minimal
                )
                if many and one:
                    pairs.append((many, one))
            if pairs:
                _scaling(pairs, n, workers)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
