"""kik_core._atomic's group writes (issue 16): temp names, flushing many files at once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kik_core import _atomic
from kik_core._atomic import (
    fsync_dir,
    fsync_file,
    fsync_files,
    remove_stale_temp_files,
    temp_path,
)


def test_temp_paths_are_kiks_and_removed_after_their_writer(tmp_path: Path) -> None:
    temp = temp_path(tmp_path / "a_Fehler.xlsx")
    assert temp.parent == tmp_path
    assert temp.name.startswith(".a_Fehler.xlsx.")
    assert temp.name.endswith(f".{os.getpid()}-{temp.name.split('-')[-1]}")
    temp.write_bytes(b"x")
    assert remove_stale_temp_files(tmp_path, older_than=0.0) == [temp]


@pytest.mark.parametrize("syncfs", ["linux", "missing", "failing"])
def test_fsync_files_flushes_with_or_without_syncfs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, syncfs: str
) -> None:
    paths = [tmp_path / f"{i}.bin" for i in range(3)]
    for path in paths:
        path.write_bytes(b"data")
    flushed: list[Path] = []
    monkeypatch.setattr(_atomic, "fsync_file", flushed.append)
    if syncfs == "missing":
        monkeypatch.setattr(_atomic, "_syncfs", lambda: None)
    elif syncfs == "failing":
        monkeypatch.setattr(_atomic, "_syncfs", lambda: lambda _fd: -1)
    elif _atomic._syncfs() is None:  # pragma: no cover - not Linux
        pytest.skip("no syncfs here")
    fsync_files(paths, tmp_path)
    assert flushed == ([] if syncfs == "linux" else paths)
    fsync_dir(tmp_path)


def test_a_file_that_cannot_be_flushed_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        fsync_file(tmp_path / "weg.bin")
