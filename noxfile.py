"""Developer sessions: tests, lint, typing (the defaults), docs, benchmarks, demo, wheel.

Dependencies come from ``pyproject.toml`` (extras and dependency groups), so this file
never repeats a version. The README's quick start (``python3 quickstart.py ...``) needs
no nox at all; these sessions are for working on kik.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nox

nox.needs_version = ">=2024.4"
nox.options.sessions = ["tests", "lint", "typing"]
nox.options.default_venv_backend = "venv"

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml("pyproject.toml")


def _group(name: str) -> list[str]:
    return nox.project.dependency_groups(PYPROJECT, name)


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite; ``nox -s tests -- -m 'not slow'`` skips LibreOffice, Dask, serve."""
    session.install("-e", ".[pipelines,dask,postgres]", *_group("test"))
    session.run("pytest", *session.posargs, env={"DO_NOT_TRACK": "1"})


@nox.session
def lint(session: nox.Session) -> None:
    """ruff: lint and formatting."""
    session.install(*_group("lint"))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", "src", "pipelines")


@nox.session
def typing(session: nox.Session) -> None:
    """mypy strict on src/kik_core and pipelines."""
    session.install("-e", ".[pipelines,dask]", *_group("typing"))
    session.run("mypy")


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the documentation site with warnings as errors."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site")


@nox.session(default=False)
def benchmarks(session: nox.Session) -> None:
    """Speed and memory figures (printed, never asserted): ingest, report, state-wide flow,
    peak RSS of `kik ingest` on hostile files (bench_hostile.py)."""
    session.install("-e", ".[pipelines,dask]")
    for script in sorted((ROOT / "benchmarks").glob("bench_*.py")):
        session.run("python", str(script))


@nox.session(default=False)
def demo(session: nox.Session) -> None:
    """Build the Kempten example report into out/kempten (like the README's main job)."""
    session.install("-e", ".")
    target = ROOT / "out" / "kempten"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        ROOT / "examples" / "kempten", target, ignore=shutil.ignore_patterns("source")
    )
    session.run("kik", "run", str(target), success_codes=[0, 3])


@nox.session(default=False)
def wheel(session: nox.Session) -> None:
    """Build sdist and wheel, install the wheel outside the checkout, report on an example."""
    session.install("build")
    dist = Path(tempfile.mkdtemp(prefix="kik-dist-"))
    session.run("python", "-m", "build", "--outdir", str(dist))
    session.run("bash", ".ci/wheel.sh", str(dist), external=True)
