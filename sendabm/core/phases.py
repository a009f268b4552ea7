"""The month's phases, declared once: what runs, in which order, under which engine.

:meth:`sendabm.core.model.SendModel.step` runs :data:`PHASES` in order; the phase clock
(:attr:`SendModel.phase_seconds`) times each one under its name; ``docs/ODD.md`` §3
lists them in the same order (``tests/test_phases.py`` checks it). Each phase names the
``SendModel`` method that runs it under each engine: this table is the one place where
the engine is chosen per phase.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

ENGINES = ("numba", "python")
"""The engines a model can run: the numba kernels over all families, or the per-family
Python reference where there is one (for testing; slow)."""


@dataclass(frozen=True)
class Phase:
    """One phase of the month.

    Attributes:
        name: Its name, as the phase clock times it and docs/ODD.md §3 lists it.
        design_step: The DESIGN §2 step(s) it implements, e.g. "2-4" ("" for the data
            collection that closes the month).
        does: What runs, in a few words.
        numba: The ``SendModel`` method that runs it with ``engine="numba"``, or None if
            nothing runs separately (the work is fused into a later phase).
        python: The method that runs it with ``engine="python"`` (the per-family
            reference where there is one).
    """

    name: str
    design_step: str
    does: str
    numba: str | None
    python: str | None

    def method(self, engine: str) -> str | None:
        """The ``SendModel`` method that runs this phase under ``engine`` (None: none)."""
        return self.numba if engine == "numba" else self.python


PHASES: tuple[Phase, ...] = (
    Phase("calendar", "1", "the policies in force; in September the school year and intake; "
          "in April the high-needs allocation", "_calendar", "_calendar"),
    Phase("family_kernel", "2-4", "needs, identification and provision, trust, the choice "
          "after a refusal and requests", "_families_month", "_families_month_reference"),
    Phase("institutions", "5-7", "LA decisions and assessments, mediation, appeals and the "
          "tribunal, placements", "_decide_cases", "_decide_cases"),
    Phase("outcomes_kernel", "8", "progress and wellbeing (the numba engine applies them in "
          "the counting pass)", None, "_outcomes"),
    Phase("counting_kernel", "9", "counting the month's busy rows into totals and spend",
          "_count_month_with_outcomes", "_count_month"),
    Phase("money_and_measures", "9", "accounts, learning totals, trust, backlog; the "
          "measures recorded", "_money_and_measures", "_money_and_measures"),
    Phase("adaptation", "10", "in August schools, parents, providers, the tribunal and LAs "
          "adapt; in March LAs adjust gatekeeping", "_adapt", "_adapt"),
    Phase("data_collection", "", "Mesa's DataCollector collects the month",
          "_collect", "_collect"),
)
"""The phases of one month, in the order they run."""


def runners(engine: str) -> tuple[tuple[str, str], ...]:
    """(phase name, ``SendModel`` method name) of each phase that runs under ``engine``,
    in order.

    Raises:
        ValueError: ``engine`` is not one of :data:`ENGINES`.
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine '{engine}'; choose one of: {', '.join(ENGINES)}")
    return tuple((phase.name, phase.method(engine)) for phase in PHASES
                 if phase.method(engine) is not None)


class PhaseClock:
    """Wall time spent in each phase of :meth:`SendModel.step`, seconds (for profiling)."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._last = 0.0

    def start(self) -> None:
        """Start timing a month."""
        self._last = time.perf_counter()

    def lap(self, phase: str) -> None:
        """Charge the time since the last lap to ``phase``."""
        now = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + now - self._last
        self._last = now
