"""What a Fortschreibung costs a round's snapshot: carried history vs the plain rule.

A Kempten-sized concept (8 fields, 24 goals, 144 measures; fictional ids) reported
on every quarter for seven years, then a new edition (24 measures renamed, the rest
the same). Printed, never asserted::

    python benchmarks/bench_editions.py
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Callable

import kik_core as kik
from kik_core.editions import EditionChange, EditionLink, Editions, LinkKind

STATUSES = ("wartend", "in Bearbeitung", "implementiert")
VALID_FROM = dt.date(2025, 1, 1)
REPEAT = 5


def _editions() -> tuple[Editions, list[kik.StatusReport]]:
    rng = random.Random(17)
    fields = tuple(
        kik.FieldOfAction(c, f"Feld {c}") for c in ("AA", "BB", "CC", "DD", "EE", "FF", "GG", "HH")
    )
    goals = tuple(kik.Goal(f"{f.code}-{g}", "Ziel") for f in fields for g in range(1, 4))
    old_ids = [f"{g.id}.{n}" for g in goals for n in range(1, 7)]
    new_ids = [i.replace(".6", ".7") for i in old_ids]
    old = kik.Concept("X", "alt", None, fields, goals, tuple(kik.Measure(i, "M") for i in old_ids))
    new = kik.Concept("X", "neu", None, fields, goals, tuple(kik.Measure(i, "M") for i in new_ids))
    links = [
        EditionLink(LinkKind.SAME if o == n else LinkKind.RENAMED, o, n)
        for o, n in zip(old_ids, new_ids, strict=True)
    ]
    days = [dt.date(2018 + y, m, 28) for y in range(7) for m in (3, 6, 9, 12)]
    reports = [
        kik.StatusReport(i, rng.choice(STATUSES), d, "Partner")
        for d in days
        for i in old_ids
        if rng.random() < 0.5
    ]
    return Editions(new, (EditionChange(old, new, VALID_FROM, links),)), reports


def _median(run: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> None:
    editions, reports = _editions()
    as_of = dt.date(2025, 3, 31)
    old = editions.concepts[0]
    plain = _median(lambda: kik.build_snapshot(old, reports, dt.date(2024, 12, 31)))
    carried = _median(lambda: editions.snapshot(reports, as_of))
    print(f"{len(reports)} reports on {len(old.measures)} measures over 28 quarters")
    print(f"plain snapshot (old edition):        {plain:7.1f} ms")
    print(f"snapshot after the change (carried): {carried:7.1f} ms")


if __name__ == "__main__":
    main()
