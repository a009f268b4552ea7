"""The month's phases are declared once (``PHASES``), run in that order, timed under their
names, and listed in the same order in docs/ODD.md §3."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sendabm.core.backends import ENGINES
from sendabm.core.model import SendModel
from sendabm.core.phases import PHASES

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
NAMES = [phase.name for phase in PHASES]


def _section_3() -> str:
    text = ODD.read_text(encoding="utf-8")
    start = text.index("## 3. Process overview and scheduling")
    return text[start:text.index("\n## 4.", start)]


def _table_rows(section: str) -> list[list[str]]:
    """The cells of the first Markdown table of ``section`` (header and rule dropped)."""
    lines = [line for line in section.splitlines() if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]
    return [row for row in rows[2:] if row]


def test_odd_table_lists_the_declared_phases_in_order():
    rows = _table_rows(_section_3())
    listed = [(re.fullmatch(r"`(\w+)`", row[0]).group(1), row[1]) for row in rows]
    declared = [(phase.name, phase.design_step.replace("-", "–") or "—") for phase in PHASES]
    assert listed == declared, (
        "docs/ODD.md §3's phase table differs from sendabm.core.phases.PHASES; "
        f"listed {listed}, declared {declared}")


def test_odd_steps_name_the_phases_in_order():
    """Each numbered step of §3 names the phase(s) that run it, first in its brackets,
    and together they visit every phase in PHASES order."""
    steps = re.findall(r"^\d+\. \*\*[^*]+\*\* \(([^)]*)\)", _section_3(), flags=re.M)
    assert len(steps) >= len(PHASES)
    named = []
    for brackets in steps:
        first = re.match(r"`(\w+)`", brackets)
        assert first and first.group(1) in NAMES, f"step '({brackets})' names no phase first"
        named += [n for n in re.findall(r"`(\w+)`", brackets) if n in NAMES]
    order = [NAMES.index(n) for n in named]
    assert order == sorted(order), f"§3's steps name the phases out of order: {named}"
    assert set(named) == set(NAMES), f"phases no step names: {set(NAMES) - set(named)}"


def test_phase_names_are_unique_and_every_method_exists():
    assert len(set(NAMES)) == len(NAMES)
    for phase in PHASES:
        assert callable(getattr(SendModel, phase.method, None)), f"no {phase.method}"


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine 'fortran'; choose one of: numba"):
        SendModel(scale=0.001, end="2014-10", engine="fortran")


@pytest.mark.parametrize("engine", ENGINES)
def test_step_runs_and_times_the_phases_in_order(engine):
    model = SendModel(scale=0.001, seed=1, end="2014-10", engine=engine)
    model.step()
    assert list(model.phase_seconds) == NAMES
    assert all(seconds >= 0.0 for seconds in model.phase_seconds.values())
    assert model.tick == 1
