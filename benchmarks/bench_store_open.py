"""How long opening an up-to-date store takes, with and without the Alembic run.

``Store.open`` compares ``alembic_version`` with the migrations' head and runs
``alembic upgrade`` only when they differ. Printed, never asserted::

    python benchmarks/bench_store_open.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import kik_core.store._store as store_module
from kik_core.store import Store, sqlite_url

ROUNDS = 100


def _timed(url: str) -> float:
    started = time.perf_counter()
    for _ in range(ROUNDS):
        Store.open(url).close()
    return (time.perf_counter() - started) / ROUNDS * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = sqlite_url(Path(folder) / "kik.sqlite")
        Store.open(url).close()
        cheap = _timed(url)
        original = store_module.schema_state
        store_module.schema_state = lambda *_: "behind"  # type: ignore[assignment]
        try:
            full = _timed(url)
        finally:
            store_module.schema_state = original
    print(f"Store.open, SQLite, schema current: {cheap:.1f} ms (head check only)")
    print(f"Store.open, SQLite, with alembic upgrade every time: {full:.1f} ms")


if __name__ == "__main__":
    main()
