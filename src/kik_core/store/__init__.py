"""The status store: every ingested partner file and its accepted reports.

SQLite (``sqlite:///path/kik.sqlite``) is the embedded default; any SQLAlchemy
URL works, e.g. PostgreSQL via ``postgresql+psycopg://``. The schema is created
and upgraded by the Alembic migrations shipped in ``kik_core/store/migrations``.

Example:
    >>> from kik_core.store import Store
    >>> with Store.open("sqlite:///:memory:") as store:
    ...     store.reports()
    []
"""

from kik_core.store._store import MIGRATIONS, SentReminder, Store, StoredFile, sqlite_url

__all__ = ["MIGRATIONS", "SentReminder", "Store", "StoredFile", "sqlite_url"]


def __dir__() -> list[str]:
    return list(__all__)
