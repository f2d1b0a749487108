"""The committee-ready interim report: charts, the accessible DOCX, PDF export.

Importing this package loads python-docx and matplotlib; ``kik_core`` itself
does not import it.

Example:
    >>> from kik_core.report import ReportOptions, build_report  # doctest: +SKIP
    >>> build_report(concept, snapshot, Path("Zwischenbericht.docx"),  # doctest: +SKIP
    ...              options=ReportOptions("KIK – Zwischenbericht", "Kempten (Allgäu)"))
"""

from kik_core.report._builder import build_report
from kik_core.report._options import ReportOptions
from kik_core.report._pdf import PdfExportError, export_pdf
from kik_core.report.accessibility import AccessibilityIssue, IssueCode, check_docx, check_pdf

__all__ = [
    "AccessibilityIssue",
    "IssueCode",
    "PdfExportError",
    "ReportOptions",
    "build_report",
    "check_docx",
    "check_pdf",
    "export_pdf",
]


def __dir__() -> list[str]:
    return list(__all__)
