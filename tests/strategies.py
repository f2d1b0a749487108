"""Hypothesis strategies for kik's model, in one place."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

from kik_core import Concept, FieldOfAction, Goal, Measure, Status, StatusReport

codes = st.from_regex(r"\A[A-Z][A-Z0-9]{0,3}\Z")
#: Text a spreadsheet cell can hold: no surrogates, no control characters and not the
#: non-characters U+FFFE and U+FFFF, which XML forbids (writers drop them: see
#: test_characters_no_xml_can_hold_are_dropped_when_writing).
_CELL_TEXT = st.characters(
    codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
)
texts = st.text(alphabet=_CELL_TEXT, min_size=1, max_size=40).filter(lambda s: s.strip() != "")
statuses = st.sampled_from(list(Status))
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2025, 12, 31))
counts = st.fixed_dictionaries({s: st.integers(min_value=0, max_value=500) for s in Status})


@st.composite
def concepts(draw: st.DrawFn, max_fields: int = 3) -> Concept:
    """A valid concept with 1..max_fields fields, 1..4 goals each, 1..5 measures each."""
    field_codes = draw(st.lists(codes, min_size=1, max_size=max_fields, unique=True))
    fields, goals, measures = [], [], []
    for code in field_codes:
        fields.append(FieldOfAction(code, draw(texts), draw(st.text(_CELL_TEXT, max_size=30))))
        for g in range(1, draw(st.integers(1, 4)) + 1):
            goals.append(Goal(f"{code}-{g}", draw(texts)))
            for m in range(1, draw(st.integers(1, 5)) + 1):
                measures.append(
                    Measure(
                        f"{code}-{g}.{m}",
                        draw(texts),
                        draw(st.none() | texts),
                        tuple(draw(st.lists(texts.filter(lambda t: ";" not in t), max_size=2))),
                    )
                )
    return Concept(draw(texts), draw(texts), draw(st.none() | dates), fields, goals, measures)


@st.composite
def reports_for(draw: st.DrawFn, concept: Concept) -> list[StatusReport]:
    """Random status reports on the measures of ``concept``."""
    ids = [m.id for m in concept.measures]
    return [
        StatusReport(draw(st.sampled_from(ids)), draw(statuses), draw(dates), draw(texts))
        for _ in range(draw(st.integers(0, 20)))
    ]
