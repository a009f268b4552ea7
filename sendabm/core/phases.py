"""The month's phases, declared once: what runs and in which order.

:meth:`sendabm.core.model.SendModel.step` runs :data:`PHASES` in order; the phase clock
(:attr:`SendModel.phase_seconds`) times each one under its name; ``docs/ODD.md`` §3
lists them in the same order (``tests/test_phases.py`` checks it). Each phase names the
``SendModel`` method that runs it. The engine is not chosen here: the methods call the
model's backend (:mod:`sendabm.core.backends`), the numba kernels or the Python
reference, which is the one place an engine is chosen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    """One phase of the month.

    Attributes:
        name: Its name, as the phase clock times it and docs/ODD.md §3 lists it.
        design_step: The ODD §3 step(s) it implements, e.g. "2-4" ("" for the data
            collection that closes the month).
        does: What runs, in a few words.
        method: The ``SendModel`` method that runs it.
    """

    name: str
    design_step: str
    does: str
    method: str


PHASES: tuple[Phase, ...] = (
    Phase("calendar", "1", "the policies in force; each LA's yearly practice (January, "
          "September); in September the school year and intake; in April the high-needs allocation",
          "_calendar"),
    Phase("family_kernel", "2-4", "needs, identification and provision, trust, the choice "
          "after a refusal and requests", "_families_month"),
    Phase("institutions", "5-7", "LA decisions and assessments, mediation, appeals and the "
          "tribunal, the ombudsman and the court, placements", "_decide_cases"),
    Phase("counting_kernel", "8-9", "progress and wellbeing of each busy row, then counting "
          "the rows into totals and spend, in one pass", "_count_month"),
    Phase("money_and_measures", "9", "accounts, learning totals, trust, backlog; the "
          "measures recorded", "_money_and_measures"),
    Phase("adaptation", "10", "in August schools, parents, providers, the tribunal and LAs "
          "adapt; in March LAs adjust gatekeeping", "_adapt"),
    Phase("data_collection", "", "Mesa's DataCollector collects the month", "_collect"),
)
"""The phases of one month, in the order they run."""


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
