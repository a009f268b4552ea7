"""The SEND Tribunal: hearing capacity, backlog and time to hearing.

The tribunal's decision rule (find for the family when the need it judges exceeds the
legal bar for the kind of appeal) is applied case by case in
:func:`sendabm.core.kernels.cases.appeals` (readable twin:
:func:`sendabm.core.reference.disputes.appeals`); this agent holds its capacity and
reports its backlog.
"""

from __future__ import annotations

import mesa


class Tribunal(mesa.Agent):
    """The First-tier Tribunal (SEND), or the mechanism that replaces it.

    Args:
        model: The model.
        hearings_per_month: Hearing capacity at the start, hearings/month (sample scale).
    """

    def __init__(self, model: mesa.Model, hearings_per_month: float):
        super().__init__(model)
        self.hearings_per_month = hearings_per_month
        self.backlog = 0.0

    def capacity(self) -> float:
        """Hearings it can hold this month (sample scale)."""
        return self.hearings_per_month

    def months_to_hearing(self) -> float:
        """Backlog divided by capacity: expected months an appeal waits, months."""
        return self.backlog / self.hearings_per_month if self.hearings_per_month > 0 else 0.0

    def adapt_year(self, growth_per_year: float) -> None:
        """Judicial capacity grows (or shrinks) once a year."""
        self.hearings_per_month *= 1.0 + growth_per_year


# ---- Behavioural constants of disputes (their one home) ---------------------------
# The case kernels (kernels.cases) and the Python reference (sendabm.core.reference)
# import them from here; module-level so numba freezes them at compile time.
LOGISTIC_PROBIT = 1.702
"""Scale that makes a logistic curve approximate the normal CDF (the LA's lawyers'
foresight of a tribunal decision)."""
MEDIATION_BASE = 0.5
"""Mediation agreement chance, relative to ``mediation_agree``, of a case with no merit
(a case the tribunal would surely win adds 1)."""
