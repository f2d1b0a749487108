"""Partner update files: read and validate them, ingest an inbox, write templates.

The flow for one file: :func:`read_update_file` reads and validates it (every
data row ends accepted or rejected, or the whole file is unreadable);
:func:`ingest_inbox` does that for every file in an inbox, stores the accepted
rows, archives or quarantines the file and writes error workbooks.
:func:`write_partner_templates` writes pre-filled workbooks for partners.
"""

from typing import TYPE_CHECKING

from kik_core._lazy import lazy_attributes

if TYPE_CHECKING:  # imported on first use: `kik report` needs no openpyxl (issue 16)
    from kik_core.ingest._errorbook import write_error_workbook
    from kik_core.ingest._format import COLUMNS, REQUIRED_COLUMNS, SHEET
    from kik_core.ingest._guard import FileKind, Limits
    from kik_core.ingest._inbox import (
        AbandonedFile,
        FileOutcome,
        IngestSummary,
        Outcome,
        SkippedEntry,
        abandoned_files,
        abandoned_paths,
        fit_name,
        inbox_files,
        ingest_inbox,
        skipped_entries,
        stop_for_process,
        stop_on_signals,
    )
    from kik_core.ingest._read import (
        FileResult,
        RejectedRow,
        display_name,
        local_today,
        read_update_file,
    )
    from kik_core.ingest._rules import (
        check_date,
        check_date_range,
        check_id,
        check_required,
        check_status,
        check_text_length,
        validate_row,
    )
    from kik_core.ingest._templates import (
        partner_slug,
        write_example_file,
        write_partner_templates,
    )

__all__ = [
    "COLUMNS",
    "REQUIRED_COLUMNS",
    "SHEET",
    "AbandonedFile",
    "FileKind",
    "FileOutcome",
    "FileResult",
    "IngestSummary",
    "Limits",
    "Outcome",
    "RejectedRow",
    "SkippedEntry",
    "abandoned_files",
    "abandoned_paths",
    "check_date",
    "check_date_range",
    "check_id",
    "check_required",
    "check_status",
    "check_text_length",
    "display_name",
    "fit_name",
    "inbox_files",
    "ingest_inbox",
    "local_today",
    "partner_slug",
    "read_update_file",
    "skipped_entries",
    "stop_for_process",
    "stop_on_signals",
    "validate_row",
    "write_error_workbook",
    "write_example_file",
    "write_partner_templates",
]


#: Where each public name lives; imported on first access (PEP 562).
_LAZY: dict[str, str] = {
    "write_error_workbook": "kik_core.ingest._errorbook",
    "COLUMNS": "kik_core.ingest._format",
    "REQUIRED_COLUMNS": "kik_core.ingest._format",
    "SHEET": "kik_core.ingest._format",
    "FileKind": "kik_core.ingest._guard",
    "Limits": "kik_core.ingest._guard",
    "AbandonedFile": "kik_core.ingest._inbox",
    "FileOutcome": "kik_core.ingest._inbox",
    "IngestSummary": "kik_core.ingest._inbox",
    "Outcome": "kik_core.ingest._inbox",
    "SkippedEntry": "kik_core.ingest._inbox",
    "abandoned_files": "kik_core.ingest._inbox",
    "abandoned_paths": "kik_core.ingest._inbox",
    "fit_name": "kik_core.ingest._inbox",
    "inbox_files": "kik_core.ingest._inbox",
    "ingest_inbox": "kik_core.ingest._inbox",
    "skipped_entries": "kik_core.ingest._inbox",
    "stop_for_process": "kik_core.ingest._inbox",
    "stop_on_signals": "kik_core.ingest._inbox",
    "FileResult": "kik_core.ingest._read",
    "RejectedRow": "kik_core.ingest._read",
    "display_name": "kik_core.ingest._read",
    "local_today": "kik_core.ingest._read",
    "read_update_file": "kik_core.ingest._read",
    "check_date": "kik_core.ingest._rules",
    "check_date_range": "kik_core.ingest._rules",
    "check_id": "kik_core.ingest._rules",
    "check_required": "kik_core.ingest._rules",
    "check_status": "kik_core.ingest._rules",
    "check_text_length": "kik_core.ingest._rules",
    "validate_row": "kik_core.ingest._rules",
    "partner_slug": "kik_core.ingest._templates",
    "write_example_file": "kik_core.ingest._templates",
    "write_partner_templates": "kik_core.ingest._templates",
}

__getattr__, __dir__ = lazy_attributes(__name__, _LAZY, __all__, globals())
