"""Atomic file output: write to a temp file in the target folder, then rename.

Every file kik writes (reports, PDFs, error workbooks, templates, reasons, exports)
goes through :func:`atomic_path`, so a crash, a full disk or Ctrl+C never leaves
a half-written file at the final path. With ``overwrite=False`` an existing file
is never replaced: the final step is a hard link, which fails if the name is
taken, so two writers cannot clobber each other either.

Temp files are named ``.<name>.<pid>-<random>.tmp`` (hidden, recognisable); files of a
killed run are removed by :func:`remove_stale_temp_files`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "DEFAULT_MODE",
    "TEMP_SUFFIX",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "fsync_dir",
    "fsync_file",
    "fsync_files",
    "remove_stale_temp_files",
    "temp_path",
]

#: The permission bits of every file kik writes (before the umask).
DEFAULT_MODE = 0o644
#: The suffix of kik's temp files.
TEMP_SUFFIX = ".tmp"


def _temp_name(target: Path) -> Path:
    # keep the temp name short enough for any file system (255 bytes per name); the
    # writer's pid lets a later run see that the writer is gone (see remove_stale_temp_files)
    stem = target.name.encode("utf-8")[:180].decode("utf-8", "ignore")
    return target.with_name(f".{stem}.{os.getpid()}-{secrets.token_hex(4)}{TEMP_SUFFIX}")


_WRITER = re.compile(r"\.(\d{1,10})-[0-9a-f]{8}\.tmp$")


def _writer_gone(name: str) -> bool:
    """Whether the process that wrote this temp file (pid in its name) has ended."""
    match = _WRITER.search(name)
    if match is None:
        return False
    pid = int(match[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # exists, owned by someone else
        return False
    return False


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(
    target: Path | str, *, overwrite: bool = True, mode: int = DEFAULT_MODE
) -> Iterator[Path]:
    """Yield a temp path beside ``target``; on success move it to ``target``.

    Write the whole file to the yielded path (any library that takes a path will
    do). When the block ends without an exception the file is flushed to disk and
    renamed to ``target``; on an exception (including KeyboardInterrupt) the temp
    file is removed and ``target`` is untouched.

    Args:
        target: the final path.
        overwrite: replace an existing ``target`` (default); with False an existing
            file is kept and :class:`FileExistsError` is raised.
        mode: permission bits of the final file.

    Raises:
        FileExistsError: ``overwrite`` is False and ``target`` exists.
        OSError: the folder is not writable, the disk is full, ...
    """
    target = Path(target)
    temp = _temp_name(target)
    try:
        yield temp
        with contextlib.suppress(OSError):
            temp.chmod(mode)
        with temp.open("rb+") as handle:
            os.fsync(handle.fileno())
        if overwrite:
            temp.replace(target)
        else:
            os.link(temp, target)  # fails with FileExistsError if the name is taken
            temp.unlink()
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def atomic_write_bytes(
    target: Path | str, data: bytes, *, overwrite: bool = True, mode: int = DEFAULT_MODE
) -> Path:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_path`)."""
    target = Path(target)
    with atomic_path(target, overwrite=overwrite, mode=mode) as temp:
        temp.write_bytes(data)
    return target


def atomic_write_text(
    target: Path | str, text: str, *, overwrite: bool = True, mode: int = DEFAULT_MODE
) -> Path:
    """Write ``text`` as UTF-8 to ``target`` atomically (see :func:`atomic_path`)."""
    return atomic_write_bytes(target, text.encode("utf-8"), overwrite=overwrite, mode=mode)


def remove_stale_temp_files(
    folder: Path, *, older_than: float = 0.0, dead_writers: bool = False
) -> list[Path]:
    """Remove kik temp files (``.*.tmp``) left in ``folder`` by a killed run.

    Args:
        folder: the folder to clean (not recursive).
        older_than: only files whose modification is at least this many seconds ago
            (a concurrent writer's temp file is younger).
        dead_writers: also remove younger files whose writer (the pid in the name)
            has ended on this machine, e.g. a run killed a moment ago.

    Returns:
        The removed paths.
    """
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    now = time.time()
    for path in folder.iterdir():
        if not (path.name.startswith(".") and path.name.endswith(TEMP_SUFFIX)):
            continue
        with contextlib.suppress(OSError):
            age = now - path.stat().st_mtime
            stale = age >= older_than or (dead_writers and _writer_gone(path.name))
            if path.is_file() and stale:
                path.unlink()
                removed.append(path)
    return removed


# -- group writes (issue 16: ingest places a batch's error workbooks together) ------------


def temp_path(target: Path | str) -> Path:
    """A temp path beside ``target``, named like :func:`atomic_path`'s temp files.

    For writers that place several files together: write each to its temp path,
    :func:`fsync_file` them, link or rename them into place, :func:`fsync_dir` the
    folder once. A killed writer's temp files are removed by
    :func:`remove_stale_temp_files`.
    """
    return _temp_name(Path(target))


def fsync_file(path: Path) -> None:
    """Flush ``path``'s content to disk.

    Raises:
        OSError: the file cannot be opened or flushed.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Flush ``folder``'s entries (names added, removed) to disk; errors are ignored."""
    _fsync_dir(folder)


def fsync_files(paths: list[Path], folder: Path) -> None:
    """Flush the content of ``paths`` (files on ``folder``'s file system) to disk.

    On Linux, one ``syncfs(2)`` of the file system flushes them all: a series of
    ``fsync`` calls waits for one journal commit each (3 ms a file on a busy disk,
    issue 16). Elsewhere, or if ``syncfs`` fails, each file is flushed.

    Raises:
        OSError: a file cannot be flushed.
    """
    if not paths:
        return
    syncfs = _syncfs()
    if syncfs is not None:
        fd = os.open(folder, os.O_RDONLY)
        try:
            if syncfs(fd) == 0:
                return
        finally:
            os.close(fd)
    for path in paths:
        fsync_file(path)


@functools.cache
def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(2)`` from the C library, or None."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes  # noqa: PLC0415 - only for group writes

    try:
        function: Callable[[int], int] = ctypes.CDLL(None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None
    return function
