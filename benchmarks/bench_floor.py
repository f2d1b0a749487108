"""Benchmark: a cold ``kik report`` on Kempten against the floor of its libraries.

The floor is a script with no kik code (``--floor``): it imports matplotlib and
python-docx, draws the report's 8 charts (6 donuts, one overview, one trend) at
the same size and resolution, and writes a DOCX with as many paragraphs, tables,
table rows and pictures as the Kempten report has (counted from that report);
paragraphs are appended before the section end directly, since python-docx's
``add_paragraph`` searches the whole body for it every time.
Both run as fresh processes, interleaved (report, floor, report, floor, ...),
so a busy machine affects both alike. Prints the medians of wall and CPU time
(user + system, the children's included) and the ratio report/floor. The target
is ≤ 1.3× (issue 16).

Run: ``.venv/bin/python benchmarks/bench_floor.py [--pairs 5]``
"""

from __future__ import annotations

import argparse
import io
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KEMPTEN = ROOT / "examples" / "kempten"


def floor(counts_text: str, out: Path) -> None:
    """The floor: the same charts and a DOCX of the same shape, with the libraries only."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.oxml.parser import OxmlElement
    from docx.shared import Cm
    from docx.text.paragraph import Paragraph
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    paragraphs, tables, rows = (int(v) for v in counts_text.split(","))
    pngs = []
    for n in range(6):  # one donut per field
        fig = Figure(figsize=(13 / 2.54, 13 / 2.54 * 0.75))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.2, 0.17, 0.6, 0.7))
        wedges, _ = ax.pie([7 + n, 13, 10], startangle=90, wedgeprops={"width": 0.38})
        for wedge, hatch in zip(wedges, ("", "///", ".."), strict=True):
            wedge.set_hatch(hatch)
            ax.annotate("Status\n7 (23 %)", xy=(0.9, 0.1), xytext=(1.2, 0.2))
        ax.text(0, 0, "= 30 Maßnahmen", ha="center", fontweight="bold")
        fig.suptitle(f"Umsetzungsstand: Feld {n}", fontweight="bold")
        fig.legend(["wartend", "in Bearbeitung", "implementiert"], loc="lower center", ncol=3)
        pngs.append(fig)
    for horizontal, size in ((True, (16.5 / 2.54, 4.5)), (False, (12 / 2.54, 3.6))):
        fig = Figure(figsize=size)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.3, 0.15, 0.66, 0.8))
        bars = 7 if horizontal else 2
        left = [0.0] * bars
        for share, hatch in ((26, ""), (43, "///"), (31, "..")):
            draw = ax.barh if horizontal else ax.bar
            kwargs = {"left": left} if horizontal else {"bottom": left}
            for b, rect in enumerate(draw(range(bars), [share] * bars, hatch=hatch, **kwargs)):
                ax.text(rect.get_x(), rect.get_y(), f"{share} %", fontsize=9)
                left[b] += share
        fig.legend(["wartend", "in Bearbeitung", "implementiert"], loc="lower center", ncol=3)
        pngs.append(fig)
    images = []
    for fig in pngs:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=200, metadata={"Software": None})
        images.append(buffer.getvalue())
    doc = Document()
    per_table = max(1, rows // max(1, tables))
    text = "Die Maßnahme wird umgesetzt und die Angebote werden aufeinander abgestimmt. " * 2
    end = doc.element.body.find(qn("w:sectPr"))  # python-docx searches it per paragraph

    def add_paragraph(words: str = "") -> Paragraph:
        p = OxmlElement("w:p")
        end.addprevious(p)
        paragraph = Paragraph(p, doc._body)
        if words:
            paragraph.add_run(words)
        return paragraph

    for i in range(paragraphs):
        add_paragraph(text)
        if i % max(1, paragraphs // len(images)) == 0 and images:
            add_paragraph().add_run().add_picture(io.BytesIO(images.pop()), width=Cm(13))
        if i % max(1, paragraphs // max(1, tables)) == 0 and tables:
            tables -= 1
            table = doc.add_table(rows=per_table, cols=4)
            for row in table.rows:
                for cell, value in zip(
                    row.cells, ("BS-1.1", text[:60], "Partner", "wartend"), strict=True
                ):
                    cell.text = value
    doc.save(str(out))


def report_shape(docx: Path) -> str:
    """Paragraphs, tables and table rows of a DOCX's body, as ``p,t,r``."""
    xml = zipfile.ZipFile(docx).read("word/document.xml").decode()
    return f"{xml.count('<w:p>') + xml.count('<w:p ')},{xml.count('<w:tbl>')},{xml.count('<w:tr>')}"


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pairs", type=int, default=5, help="report/floor pairs (medians)")
    parser.add_argument("--floor", nargs=2, metavar=("SHAPE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor:
        floor(args.floor[0], Path(args.floor[1]))
        return
    env = dict(
        os.environ, PYTHONPATH=f"{ROOT / 'src'}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"
    )
    kik = [sys.executable, "-m", "kik_core"]
    results: dict[str, list[tuple[float, float]]] = {"kik report": [], "floor": []}
    shape = ""
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.pairs):
            folder = Path(tmp) / f"kempten-{n}"
            shutil.copytree(KEMPTEN, folder, ignore=shutil.ignore_patterns("source"))
            subprocess.run(
                [*kik, "ingest", str(folder)], env=env, check=False, stdout=subprocess.DEVNULL
            )
            results["kik report"].append(_timed([*kik, "report", str(folder)], env))
            if not shape:
                shape = report_shape(next((folder / "berichte").glob("*.docx")))
                print(f"Kempten report: paragraphs, tables, rows = {shape}")
            out = Path(tmp) / f"floor-{n}.docx"
            results["floor"].append(
                _timed([sys.executable, __file__, "--floor", shape, str(out)], env)
            )
    medians = {}
    for label, runs in results.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        medians[label] = (wall, cpu)
        print(f"{label:<11} median wall {wall:6.2f} s   CPU {cpu:6.2f} s   ({len(runs)} runs)")
    ratio_wall = medians["kik report"][0] / medians["floor"][0]
    ratio_cpu = medians["kik report"][1] / medians["floor"][1]
    print(f"ratio report/floor: wall {ratio_wall:.2f}×, CPU {ratio_cpu:.2f}× (target ≤ 1.3×)")
    if not re.fullmatch(r"\d+,\d+,\d+", shape):
        print("warning: the report's shape could not be read")


if __name__ == "__main__":
    main()
