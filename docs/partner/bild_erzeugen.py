"""Draw docs/partner/beispiel-rueckmeldung.png from the example file, as a spreadsheet looks.

Run: ``python docs/partner/bild_erzeugen.py`` (after ``write_example_file`` changed the
example). The picture shows filled rows the way a partner sees them in Excel.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")
import matplotlib.pyplot as plt
from openpyxl import load_workbook

HERE = Path(__file__).parent
WIDTHS = (0.11, 0.13, 0.10, 0.13, 0.29, 0.24)


def _text(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d.%m.%Y")
    return "" if value is None else str(value)


def main() -> Path:
    """Render the picture and return its path."""
    sheet = load_workbook(HERE / "beispiel-rueckmeldung.xlsx")["Rückmeldung"]
    rows = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    wrapped = [
        [textwrap.fill(cell, max(8, int(w * 120))) for cell, w in zip(row, WIDTHS, strict=True)]
        for row in rows
    ]
    fig, ax = plt.subplots(figsize=(11, 0.55 * (len(rows) + 1)), dpi=110)
    ax.axis("off")
    table = ax.table(
        cellText=wrapped[1:],
        colLabels=wrapped[0],
        colWidths=WIDTHS,
        cellLoc="left",
        colLoc="left",
        loc="upper left",
        bbox=(0, 0, 1, 1),
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    for (row, _col), cell in table.get_celld().items():
        cell.set_edgecolor("#B0B0B0")
        cell.PAD = 0.03
        if row == 0:
            cell.set_facecolor("#1F4E79")
            cell.get_text().set_color("white")
            cell.get_text().set_fontweight("bold")
    out = HERE / "beispiel-rueckmeldung.png"
    fig.savefig(out, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return out


if __name__ == "__main__":
    print(main())
