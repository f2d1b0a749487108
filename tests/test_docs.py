"""Every ```python block in docs/ and the README runs (blocks of one page share a namespace)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = sorted(
    p
    for p in [*ROOT.joinpath("docs").rglob("*.md"), ROOT / "README.md"]
    if "```python" in p.read_text(encoding="utf-8")
)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_python_snippets_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KIK_REPO", str(ROOT))
    namespace: dict[str, object] = {"__name__": "__docs__"}
    for number, block in enumerate(BLOCK.findall(page.read_text(encoding="utf-8")), start=1):
        code = compile(block, f"{page.name} block {number}", "exec")
        exec(code, namespace)  # noqa: S102 - running our own documentation is the point


def test_there_are_snippets_to_run() -> None:
    assert len(PAGES) >= 3, PAGES


@pytest.mark.slow
def test_site_builds_without_warnings(tmp_path: Path) -> None:
    """`mkdocs build --strict`: every page in the nav, every link resolves, API docs render."""
    import shutil
    import subprocess
    import sys

    pytest.importorskip("mkdocs", reason="install the docs extra: pip install -e '.[docs]'")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs) if mkdocs.exists() else shutil.which("mkdocs") or "mkdocs"]
    result = subprocess.run(
        [*command, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
