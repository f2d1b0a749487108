"""Charts: deterministic PNGs, print resolution, numbers in alt texts."""

from __future__ import annotations

import itertools
import struct
import zlib

import pytest

from kik_core.model import Status
from kik_core.report import charts
from kik_core.rules import StatusCounts


def counts(impl: int, inb: int, wart: int) -> StatusCounts:
    return StatusCounts.of(
        [Status.IMPLEMENTIERT] * impl + [Status.IN_BEARBEITUNG] * inb + [Status.WARTEND] * wart
    )


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == (
            zlib.crc32(kind + body)
        )
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


CHARTS = {
    "donut": lambda: charts.donut_chart("Bildung und Sprache", counts(7, 13, 10)),
    "overview": lambda: charts.overview_chart(
        ["Bildung und Sprache", "Gesundheit und Pflege", "Gesamt"],
        [counts(7, 13, 10), counts(2, 13, 4), counts(9, 26, 14)],
    ),
    "trend": lambda: charts.trend_chart(
        ["30.09.2022", "30.09.2023"], [counts(30, 60, 54), counts(45, 62, 37)]
    ),
}


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_same_data_gives_identical_png(name: str) -> None:
    first, second = CHARTS[name](), CHARTS[name]()
    assert first == second


@pytest.mark.parametrize("name", sorted(CHARTS))
def test_png_has_print_resolution_and_no_metadata(name: str) -> None:
    chunks = png_chunks(CHARTS[name]())
    kinds = [k for k, _ in chunks]
    assert b"tEXt" not in kinds  # no Software tag, no timestamp
    assert b"tIME" not in kinds
    [phys] = [body for k, body in chunks if k == b"pHYs"]
    x_ppm, _y_ppm, unit = struct.unpack(">IIB", phys)
    assert unit == 1
    assert round(x_ppm * 0.0254) == charts.DPI
    assert 200 <= charts.DPI <= 300


def test_different_data_gives_different_png() -> None:
    assert charts.donut_chart("X", counts(1, 2, 3)) != charts.donut_chart("X", counts(1, 3, 2))


def test_empty_field_still_draws() -> None:
    assert charts.donut_chart("Leer", counts(0, 0, 0)).startswith(b"\x89PNG")


def test_charts_make_pictures_only() -> None:
    """Alt texts and tables come from kik_core.presentation, not from here."""
    assert not {"format_count", "status_summary", "status_alt_text"} & set(dir(charts))


def test_palette_is_distinct_in_greyscale() -> None:
    def luminance(hex_colour: str) -> float:
        r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    values = [luminance(charts.PALETTE[s]) for s in charts.STATUS_ORDER]
    assert values == sorted(values, reverse=True)  # light → dark with progress
    assert all(a - b > 0.15 for a, b in itertools.pairwise(values))
    assert len(set(charts.HATCHES.values())) == 3


@pytest.mark.parametrize(
    ("name", "width_cm"),
    [
        ("donut", charts.DONUT_WIDTH_CM),
        ("overview", charts.OVERVIEW_WIDTH_CM),
        ("trend", charts.trend_width_cm(2)),
    ],
)
def test_drawn_at_the_size_shown_so_text_stays_at_least_9_pt(name: str, width_cm: float) -> None:
    """The report shows each chart at ``width_cm``: drawn at that width, 9 pt stays 9 pt."""
    [header] = [body for kind, body in png_chunks(CHARTS[name]()) if kind == b"IHDR"]
    width_px = struct.unpack(">I", header[:4])[0]
    assert abs(width_px / charts.DPI * 2.54 - width_cm) < 0.05
    assert charts.MIN_FONT_PT >= 9


def test_charts_use_the_body_font_where_installed() -> None:
    from matplotlib import font_manager

    try:
        font_manager.findfont(
            font_manager.FontProperties(family="Liberation Sans"), fallback_to_default=False
        )
    except ValueError:
        pytest.skip("neither Arial nor Liberation Sans is installed")
    assert charts.FONT in ("Arial", "Liberation Sans")


# --- issue 16: the overview chart is paged for large concepts ---


def test_overview_pages_keep_small_concepts_in_one_chart():
    assert charts.overview_pages(7) == [range(7)]
    assert charts.overview_pages(charts.OVERVIEW_MAX_BARS) == [range(charts.OVERVIEW_MAX_BARS)]


def test_overview_pages_bound_every_chart_of_a_600_field_concept():
    pages = charts.overview_pages(601)
    assert all(0 < len(p) <= charts.OVERVIEW_MAX_BARS for p in pages)
    assert [i for p in pages for i in p] == list(range(601))
    assert max(map(len, pages)) - min(map(len, pages)) <= 1


def test_render_all_gives_the_same_bytes_in_worker_processes(monkeypatch):
    jobs = [
        (charts.donut_chart, (f"Feld {n}", counts(n, 2 * n, 3)))
        for n in range(1, charts.POOL_MIN_CHARTS + 1)
    ]
    serial = [function(*args) for function, args in jobs]
    monkeypatch.setattr(charts, "POOL_PROCESSES", 2)
    monkeypatch.setattr(charts.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(charts.os, "getloadavg", lambda: (0.2, 0.2, 0.2))
    assert charts._pool_size(len(jobs)) == 2  # pytest runs single-threaded
    assert charts.render_all(jobs) == serial


def test_render_all_draws_here_with_other_threads_running(monkeypatch):
    monkeypatch.setattr(charts.threading, "active_count", lambda: 2)
    assert charts._pool_size(100) == 0


def test_render_all_draws_here_on_a_busy_machine(monkeypatch):
    monkeypatch.setattr(charts.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(charts.os, "getloadavg", lambda: (4.0, 4.0, 4.0))
    assert charts._pool_size(100) == 0


def test_render_all_counts_its_own_process_in_the_load(monkeypatch):
    """A load of about one (this process, or the run just before it) leaves a CPU spare."""
    monkeypatch.setattr(charts, "POOL_PROCESSES", 2)
    monkeypatch.setattr(charts.os, "cpu_count", lambda: 2)
    monkeypatch.setattr(charts.os, "getloadavg", lambda: (1.1, 1.0, 1.0))
    assert charts._pool_size(100) == 2
    monkeypatch.setattr(charts.os, "getloadavg", lambda: (1.6, 1.0, 1.0))
    assert charts._pool_size(100) == 0
