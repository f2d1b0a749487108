"""Charts for the interim report: donut per field, overview bars, trend bars.

Every chart is drawn with matplotlib's Agg backend on a private
:class:`~matplotlib.figure.Figure` (no pyplot, no global state) and returned as
PNG bytes. The same data always gives byte-identical PNGs on one machine: the
PNG carries no software tag or timestamp, and ``svg.hashsalt`` is fixed.

The palette is colour-blind safe and readable in greyscale print: *wartend*
is a light grey, *in Bearbeitung* the Okabe-Ito orange (mid lightness),
*implementiert* the Okabe-Ito blue (dark). Each status also has its own
hatching, and every number is written on the chart, so colour never carries
information alone.

Charts use the report's body font (Arial, or its metric twin Liberation Sans;
DejaVu Sans where neither is installed). Each figure is drawn at the width it
is shown in the report (``*_WIDTH_CM``), so no text is smaller than 9 pt on paper.

The pictures' alt texts and tables are not made here: the report takes them
from :mod:`kik_core.presentation`, built from the same
:class:`~kik_core.rules.StatusCounts` the pictures are drawn from.
"""

from __future__ import annotations

import io
import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import matplotlib as mpl
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from kik_core._locale import plural
from kik_core.model import Status
from kik_core.rules import StatusCounts

__all__ = [
    "DONUT_WIDTH_CM",
    "DPI",
    "FONT",
    "HATCHES",
    "MIN_FONT_PT",
    "OVERVIEW_MAX_BARS",
    "OVERVIEW_WIDTH_CM",
    "PALETTE",
    "STATUS_ORDER",
    "TREND_WIDTH_CM",
    "donut_chart",
    "order",
    "overview_chart",
    "overview_pages",
    "render_all",
    "trend_chart",
    "trend_width_cm",
]

#: Resolution of every chart (print quality).
DPI = 200
#: The width each chart is shown at in the report (cm); the figure is drawn at this size.
DONUT_WIDTH_CM = 13.0
OVERVIEW_WIDTH_CM = 16.5
TREND_WIDTH_CM = 12.0
#: At most this many bars per overview chart (1 + 0.5 in per bar: one chart stays within
#: an A4 page); a concept with more fields gets several charts (issue 16).
OVERVIEW_MAX_BARS = 16
#: The smallest font size on any chart (pt, at the size shown in the report).
MIN_FONT_PT = 9.0
_CM = 1 / 2.54


def _body_font() -> str:
    """The report's body font if matplotlib can find it, else DejaVu Sans."""
    for name in ("Arial", "Liberation Sans"):
        try:
            font_manager.findfont(
                font_manager.FontProperties(family=name), fallback_to_default=False
            )
        except ValueError:
            continue
        return name
    return "DejaVu Sans"


FONT = _body_font()

#: Statuses in display order: least to most advanced.
STATUS_ORDER: tuple[Status, ...] = (Status.WARTEND, Status.IN_BEARBEITUNG, Status.IMPLEMENTIERT)

#: Fill colours: light grey, Okabe-Ito orange, Okabe-Ito blue (distinct in greyscale too).
PALETTE: dict[Status, str] = {
    Status.WARTEND: "#D9D9D9",
    Status.IN_BEARBEITUNG: "#E69F00",
    Status.IMPLEMENTIERT: "#0072B2",
}

#: Hatching so that statuses differ without colour.
HATCHES: dict[Status, str] = {
    Status.WARTEND: "",
    Status.IN_BEARBEITUNG: "///",
    Status.IMPLEMENTIERT: "..",
}

#: Colour of the hatch lines and the segment borders.
_EDGES: dict[Status, str] = {
    Status.WARTEND: "#8C8C8C",
    Status.IN_BEARBEITUNG: "#8A5F00",
    Status.IMPLEMENTIERT: "#9CC9E6",
}

#: Styles (fill, hatch, edge) for statuses or groups beyond Kempten's three, by position
#: among the counted ones: Okabe-Ito colours with distinct hatches.
_EXTRA_STYLES: tuple[tuple[str, str, str], ...] = (
    ("#D9D9D9", "", "#8C8C8C"),
    ("#F0E442", "\\\\", "#8A7F00"),
    ("#E69F00", "///", "#8A5F00"),
    ("#56B4E9", "xx", "#1F6F99"),
    ("#0072B2", "..", "#9CC9E6"),
    ("#009E73", "++", "#7FD1B9"),
)

_TEXT = "#1A1A1A"


def order(counts: StatusCounts) -> tuple[Status, ...]:
    """The statuses (or summary groups) of ``counts`` that share the percentages, in order.

    These are what the charts draw, least advanced first; for Kempten's scheme
    it is :data:`STATUS_ORDER`.
    """
    return tuple(sorted(counts.percentages, key=lambda s: s.position))


def _style(status: Status, shown: Sequence[Status]) -> tuple[str, str, str]:
    """Fill, hatch and edge colour of a status: Kempten's where the label is one of its three."""
    if status in PALETTE and all(s in PALETTE for s in shown):
        return PALETTE[status], HATCHES[status], _EDGES[status]
    index = list(shown).index(status)
    if len(shown) > 1:  # spread over the palette: first grey, last blue-ish
        index = round(index * (len(_EXTRA_STYLES) - 2) / (len(shown) - 1))
    return _EXTRA_STYLES[index]


_RC: Any = {  # matplotlib types rcParams keys as a Literal union
    "font.family": FONT,
    "font.size": MIN_FONT_PT,
    "svg.hashsalt": "kik",
    "path.simplify": True,
    "hatch.linewidth": 0.8,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": _TEXT,
    "xtick.color": _TEXT,
    "ytick.color": _TEXT,
    "text.color": _TEXT,
}


def _measures(n: int) -> str:
    return plural(n, "Maßnahme", "Maßnahmen")


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=DPI,
        metadata={"Software": None},
        facecolor="white",
    )
    return buffer.getvalue()


def _legend(fig: Figure, shown: Sequence[Status], *, y: float = 0.02) -> None:
    handles = []
    for s in shown:
        fill, hatch, edge = _style(s, shown)
        handles.append(Patch(facecolor=fill, edgecolor=edge, hatch=hatch, label=s.label))
    fig.legend(
        handles=handles,
        loc="lower center",
        ncols=min(len(shown), 4),
        frameon=False,
        bbox_to_anchor=(0.5, y),
        handlelength=1.6,
        handleheight=1.2,
    )


def donut_chart(name: str, counts: StatusCounts) -> bytes:
    """A donut of one field's measures by status, like the seed report's.

    The centre says ``= N Maßnahmen``; each segment is labelled outside the
    ring with its status, count and percentage.

    Args:
        name: the field's name (the chart's title).
        counts: the field's counts from the snapshot.

    Returns:
        PNG bytes.
    """
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(DONUT_WIDTH_CM * _CM, DONUT_WIDTH_CM * _CM * 0.75))
        ax = fig.add_axes((0.2, 0.17, 0.6, 0.7))
        ax.set_aspect("equal")
        ax.axis("off")
        drawn = order(counts)
        shown = [s for s in reversed(drawn) if counts.counts[s] > 0]
        if counts.counted_total == 0:
            ax.pie([1], colors=["#F2F2F2"], radius=1.0, wedgeprops={"width": 0.38})
        else:
            wedges, _texts = ax.pie(
                [counts.counts[s] for s in shown],
                colors=[_style(s, drawn)[0] for s in shown],
                startangle=90,
                counterclock=False,
                radius=1.0,
                wedgeprops={"width": 0.38, "linewidth": 1.0},
            )
            for wedge, status in zip(wedges, shown, strict=True):
                _fill, hatch, edge = _style(status, drawn)
                wedge.set_hatch(hatch)
                wedge.set_edgecolor(edge)
                theta = (wedge.theta1 + wedge.theta2) / 2
                x = math.cos(math.radians(theta))
                y = math.sin(math.radians(theta))
                ax.annotate(
                    f"{status.label}\n{counts.counts[status]}  ({counts.percentages[status]} %)",
                    xy=(0.98 * x, 0.98 * y),
                    xytext=(1.25 * x, max(-1.12, min(1.12, 1.18 * y))),
                    ha="left" if x >= 0 else "right",
                    va="center",
                    fontsize=MIN_FONT_PT,
                    arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.8},
                )
        ax.text(
            0,
            0,
            f"= {_measures(counts.counted_total)}",
            ha="center",
            va="center",
            fontsize=10.5,
            fontweight="bold",
        )
        ax.set_xlim(-1.05, 1.05)
        ax.set_ylim(-1.05, 1.05)
        fig.suptitle(f"Umsetzungsstand: {name}", fontsize=11.5, fontweight="bold", y=0.98)
        _legend(fig, drawn)
        return _png(fig)


def _stacked_bars(
    ax: Any,
    labels: Sequence[str],
    rows: Sequence[StatusCounts],
    *,
    horizontal: bool,
) -> None:
    positions = list(range(len(rows)))
    base = [0] * len(rows)
    drawn = order(rows[0]) if rows else STATUS_ORDER
    for status in drawn:
        values = [r.percentages[status] for r in rows]
        fill, hatch, edge = _style(status, drawn)
        kwargs: dict[str, Any] = {
            "color": fill,
            "edgecolor": edge,
            "hatch": hatch,
            "linewidth": 0.8,
            "label": status.label,
        }
        if horizontal:
            ax.barh(positions, values, left=base, height=0.62, **kwargs)
        else:
            ax.bar(positions, values, bottom=base, width=0.6, **kwargs)
        for i, row in enumerate(rows):
            count = row.counts[status]
            if count == 0:
                continue
            centre = base[i] + values[i] / 2
            text = f"{count}\n({values[i]} %)" if not horizontal else f"{count} ({values[i]} %)"
            small = values[i] < (16 if horizontal else 9)
            if small and horizontal:
                text = str(count)
            xy = (centre, i) if horizontal else (i, centre)
            ax.text(
                *xy,
                text,
                ha="center",
                va="center",
                fontsize=MIN_FONT_PT,
                bbox={
                    "boxstyle": "round,pad=0.15",
                    "facecolor": "white",
                    "edgecolor": "none",
                    "alpha": 0.85,
                },
            )
        base = [b + v for b, v in zip(base, values, strict=True)]


def overview_pages(count: int) -> list[range]:
    """The bars of each overview chart when there are ``count`` bars (fields and the total).

    Up to :data:`OVERVIEW_MAX_BARS` bars make one chart; more are split into
    charts of nearly equal size, in order, so no chart grows without bound.
    """
    charts_needed = max(1, math.ceil(count / OVERVIEW_MAX_BARS))
    size, larger = divmod(count, charts_needed)
    pages, start = [], 0
    for number in range(charts_needed):
        end = start + size + (1 if number < larger else 0)
        pages.append(range(start, end))
        start = end
    return pages


def overview_chart(names: Sequence[str], rows: Sequence[StatusCounts]) -> bytes:
    """Horizontal 100 % stacked bars, one per field (plus the total if given last).

    For more than :data:`OVERVIEW_MAX_BARS` bars, draw one chart per
    :func:`overview_pages` part instead.

    Args:
        names: bar labels (field names, e.g. "Gesamt" last).
        rows: the counts of each bar, in the same order.

    Returns:
        PNG bytes.
    """
    height = 1.0 + 0.5 * len(rows)
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(OVERVIEW_WIDTH_CM * _CM, height))
        bottom = 0.75 / height
        ax = fig.add_axes((0.3, bottom, 0.66, 1 - bottom - 0.1 / height))
        labels = [f"{n}\n({_measures(r.total)})" for n, r in zip(names, rows, strict=True)]
        _stacked_bars(ax, labels, rows, horizontal=True)
        ax.set_yticks(range(len(rows)), labels, fontsize=MIN_FONT_PT)
        ax.invert_yaxis()
        ax.set_xlim(0, 100)
        ax.set_xticks(
            [0, 25, 50, 75, 100], ["0 %", "25 %", "50 %", "75 %", "100 %"], fontsize=MIN_FONT_PT
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        _legend(fig, order(rows[0]) if rows else STATUS_ORDER, y=0.0)
        return _png(fig)


def trend_width_cm(count: int) -> float:
    """The width of a trend chart of ``count`` dates (cm): wider for many dates, at most 16.5."""
    return min(OVERVIEW_WIDTH_CM, max(TREND_WIDTH_CM, 3.0 + 2.8 * count))


def trend_chart(dates: Sequence[str], rows: Sequence[StatusCounts]) -> bytes:
    """Vertical 100 % stacked bars, one per reporting date (oldest first).

    Args:
        dates: bar labels (formatted dates).
        rows: the overall counts at each date.

    Returns:
        PNG bytes.
    """
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(trend_width_cm(len(rows)) * _CM, 3.6))
        ax = fig.add_axes((0.16, 0.2, 0.8, 0.72))
        _stacked_bars(ax, dates, rows, horizontal=False)
        ax.set_xticks(
            range(len(rows)),
            [f"{d}\n({_measures(r.total)})" for d, r in zip(dates, rows, strict=True)],
            fontsize=MIN_FONT_PT,
        )
        ax.set_ylim(0, 100)
        ax.set_yticks(
            [0, 25, 50, 75, 100], ["0 %", "25 %", "50 %", "75 %", "100 %"], fontsize=MIN_FONT_PT
        )
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        _legend(fig, order(rows[0]) if rows else STATUS_ORDER, y=0.0)
        return _png(fig)


# --- drawing many charts at once (issue 16) ------------------------------------------

#: From this many charts on, :func:`render_all` draws them in worker processes.
POOL_MIN_CHARTS = 4
#: Worker processes for :func:`render_all` (at most the number of CPUs).
POOL_PROCESSES = 2

ChartJob = tuple[Callable[..., bytes], tuple[Any, ...]]


def _draw(job: ChartJob) -> bytes:
    function, args = job
    return function(*args)


def _warm_up() -> None:
    """Load the body font and its glyph cache once, before worker processes fork from here."""
    with mpl.rc_context(_RC):
        fig = Figure(figsize=(1, 1))
        fig.text(0.5, 0.5, "Maßnahmen 0 %", fontweight="bold")
        fig.text(0.5, 0.2, "Maßnahmen 0 %")
        _png(fig)


def _pool_size(count: int) -> int:
    """Worker processes for ``count`` charts: 0 means draw them here.

    Only a single-threaded, non-daemon process on a machine with more than one CPU
    and a spare one (load average) forks workers: forking a process with other
    threads running is unsafe, and daemon processes (Dask's, multiprocessing's)
    may not have children. Otherwise charts are drawn one after another as before.
    """
    processes = min(POOL_PROCESSES, os.cpu_count() or 1)
    if count < POOL_MIN_CHARTS or processes < 2:
        return 0
    if threading.active_count() > 1 or multiprocessing.current_process().daemon:
        return 0
    if "fork" not in multiprocessing.get_all_start_methods():
        return 0
    if _busy(processes):  # no spare CPU: workers would only add the cost of forking
        return 0
    return processes


def _busy(processes: int) -> bool:
    """Whether the machine's load already keeps its CPUs busy (1-minute load average)."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return False
    # the load counts this process too (and a run just before it, in a loop): the
    # extra processes find a spare CPU unless the load exceeds it by half a process,
    # as for the ingest's reader processes
    return load > (os.cpu_count() or 1) - (processes - 1) + 0.5


def render_all(jobs: Sequence[ChartJob]) -> list[bytes]:
    """Draw the charts ``jobs`` (a chart function and its arguments each), in order.

    With :data:`POOL_MIN_CHARTS` or more, they are drawn in :data:`POOL_PROCESSES`
    forked worker processes (see :func:`_pool_size` for when not). The PNG bytes are
    the same either way: every chart is drawn from its arguments alone.
    """
    processes = _pool_size(len(jobs))
    if processes:
        _warm_up()
        try:
            with ProcessPoolExecutor(
                processes, mp_context=multiprocessing.get_context("fork")
            ) as pool:
                chunk = max(1, len(jobs) // (processes * 4))
                return list(pool.map(_draw, jobs, chunksize=chunk))
        except (BrokenProcessPool, OSError):  # no processes to be had: draw them here
            pass
    return [_draw(job) for job in jobs]
