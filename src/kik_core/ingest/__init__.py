"""Partner update files: read and validate them, ingest an inbox, write templates.

The flow for one file: :func:`read_update_file` reads and validates it (every
data row ends accepted or rejected, or the whole file is unreadable);
:func:`ingest_inbox` does that for every file in an inbox, stores the accepted
rows, archives or quarantines the file and writes error workbooks.
:func:`write_partner_templates` writes pre-filled workbooks for partners.
"""

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


def __dir__() -> list[str]:
    return list(__all__)
