"""CI runs the PostgreSQL tests for real: with KIK_REQUIRE_POSTGRES=1 none may skip.

``.ci/run`` installs and starts PostgreSQL (``.ci/postgres.sh``) and sets
``KIK_REQUIRE_POSTGRES=1``; the hooks in ``conftest.py`` then turn a missing
server or a skipped PostgreSQL test into a failure.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

SKIPPING = """\
import pytest


@pytest.mark.postgres
def test_needs_a_server():
    pytest.skip("kein Server")


def test_plain():
    pass
"""


def _pytest(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KIK_REQUIRE_POSTGRES", "KIK_TEST_POSTGRES_URL", "PYTEST_ADDOPTS"}
    }
    environment.update(env)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(REPO / "src"), str(REPO), environment.get("PYTHONPATH", "")]
    )
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=300,
    )


def _skipping_module(tmp_path: Path) -> list[str]:
    (tmp_path / "test_pg_skip.py").write_text(SKIPPING, encoding="utf-8")
    return ["-c", str(REPO / "pyproject.toml"), "-p", "tests.conftest", str(tmp_path)]


def test_missing_server_url_is_an_error_when_required() -> None:
    result = _pytest(["tests/test_store.py", "-k", "postgres"], KIK_REQUIRE_POSTGRES="1")
    assert result.returncode == 4, result.stdout + result.stderr
    assert "KIK_TEST_POSTGRES_URL is not set" in result.stderr


def test_skipped_postgres_test_fails_when_required(tmp_path: Path) -> None:
    result = _pytest(
        _skipping_module(tmp_path),
        KIK_REQUIRE_POSTGRES="1",
        KIK_TEST_POSTGRES_URL="postgresql+psycopg://x@127.0.0.1:1/x",
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "skipped although KIK_REQUIRE_POSTGRES=1" in result.stdout
    assert "1 passed" in result.stdout


def test_without_the_requirement_a_skip_stays_a_skip(tmp_path: Path) -> None:
    result = _pytest(_skipping_module(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout


def test_ci_installs_and_starts_postgres() -> None:
    run = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "postgresql" in run
    assert "export KIK_REQUIRE_POSTGRES=1" in run
    assert "chromium-driver" in run
    assert "libreoffice-calc-nogui" in run
    postgres = (REPO / ".ci" / "postgres.sh").read_text(encoding="utf-8")
    assert "pg_createcluster" in postgres
    assert "@127.0.0.1:" in postgres
