"""Shared fixtures: a small concept built in code, and the Hypothesis profiles."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Generator

import pytest
from hypothesis import HealthCheck, settings

from kik_core import Concept, FieldOfAction, Goal, Measure

settings.register_profile(
    "fast", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("ci", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

# Prefect must stay offline in tests: no analytics, no telemetry.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


def small_concept() -> Concept:
    """Two fields, three goals, six measures; BS has groups, AA names partners."""
    return Concept(
        municipality="Musterstadt",
        title="Integrationskonzept Musterstadt",
        adopted_on=dt.date(2021, 11, 18),
        fields=(
            FieldOfAction("BS", "Bildung und Sprache", "Bildung ist der Schlüssel."),
            FieldOfAction("AA", "Arbeit und Ausbildung"),
        ),
        goals=(
            Goal("BS-1", "Wichtige Themen werden transportiert."),
            Goal("BS-2", "Angebote sind bekannt."),
            Goal("AA-1", "Beratung vor Ort."),
        ),
        measures=(
            Measure("BS-1.1", "Strukturen werden aufgebaut.", "Informelle Bildung"),
            Measure("BS-1.2", "Eine Plattform wird geschaffen.", "Informelle Bildung"),
            Measure("BS-2.1", "Angebote werden gebündelt.", "Vernetzung", ("vhs Kempten",)),
            Measure("AA-1.1", "Perspektivberatung.", None, ("Agentur für Arbeit",)),
            Measure("AA-1.2", "Anerkennungsberatung.", None, ("Agentur für Arbeit", "vhs Kempten")),
            Measure("AA-1.3", "Jobcafé.", None, ()),
        ),
    )


@pytest.fixture
def concept() -> Concept:
    """A small concept for unit tests."""
    return small_concept()


# --- PostgreSQL in CI: a skipped PostgreSQL test is a failure there (issue 11, point 12) ---

_REQUIRE_POSTGRES = os.environ.get("KIK_REQUIRE_POSTGRES") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With KIK_REQUIRE_POSTGRES=1 (set by .ci/run), refuse to run without a server."""
    wanted = [item for item in items if item.get_closest_marker("postgres")]
    if _REQUIRE_POSTGRES and wanted and not os.environ.get("KIK_TEST_POSTGRES_URL"):
        raise pytest.UsageError(
            "KIK_REQUIRE_POSTGRES=1, but KIK_TEST_POSTGRES_URL is not set: "
            f"{len(wanted)} PostgreSQL tests would be skipped. Start a server with "
            'eval "$(.ci/postgres.sh)".'
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """With KIK_REQUIRE_POSTGRES=1, a PostgreSQL test that skips fails instead."""
    report = yield
    if _REQUIRE_POSTGRES and report.skipped and item.get_closest_marker("postgres"):
        report.outcome = "failed"
        report.longrepr = (
            f"PostgreSQL test skipped although KIK_REQUIRE_POSTGRES=1: {report.longrepr}"
        )
    return report
