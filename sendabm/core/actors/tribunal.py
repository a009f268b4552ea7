"""The SEND Tribunal (and mediation): hearing capacity, backlog and time to hearing.

**What it is.** The First-tier Tribunal (SEND), or the non-judicial mechanism a lever
puts in its place, and the mediation that families may try first.

**What it decides.** Each month it hears the appeals that have waited long enough,
within its capacity, and finds for the family when the need it judges exceeds the
legal bar for the kind of appeal. A mediation ends in agreement when the LA grants the
remedy, which it does in the shadow of the tribunal: it weighs what agreeing costs (the
provision at stake) against what it expects going on to cost (the chance of an appeal,
the family's own, times its chance of losing the hearing, its view of the merits times
its compliance with an advisory decision, times the provision from the hearing on, plus
a defence's cost), with noise (``mediation_spread``). With no tribunal, or an advisory
one the LA ignores, going on costs it little, so it agrees less: the lever moves the
LA's expectation, not a constant. The family accepts a granted remedy; after a failed
mediation it may appeal, the more the more success it expects. These rules
run case by case in :func:`sendabm.core.kernels.cases.appeals` and
:func:`sendabm.core.kernels.cases.mediate` (readable twins in
:mod:`sendabm.core.reference.disputes`; the family's choice to mediate or appeal is
in the family kernel). Once a year (August) its capacity grows or shrinks.

**What it owns.**

- parameters: :data:`PARAMS` (group ``tribunal``; the mediation parameters belong to
  the family, ``mediation_uptake``, and the LA, ``mediation_spread``);
- state: :class:`Tribunal`, a ``mesa.Agent`` holding its capacity and backlog, built
  at set-up by :meth:`Tribunal.build`;
- adaptation: :meth:`Tribunal.adapt_year`; the month's capacity and time to hearing
  are :meth:`Tribunal.capacity` and :meth:`Tribunal.months_to_hearing`.
"""

from __future__ import annotations

import mesa

from sendabm.core.param import Param, declare

PARAMS: tuple[Param, ...] = (
    declare("legal_threshold", 0.2, "need units", 0.0, 5.0, "tribunal",
        "Children and Families Act 2014 s36: 'may need' — a low legal bar",
        "Need above which the tribunal finds for the family."),
    declare("tribunal_decision_sd", 0.2, "need units", 0.01, 5.0, "tribunal",
        "assumption", "Spread of tribunal judgements around the legal threshold."),
    declare("hearings_per_month_per_million_pupils", 60.0, "hearings/month/1M pupils", 0.0, 10000.0,
        "tribunal", "assumption: ~2,000-4,000 hearings a year 2015-2022 (MoJ)",
        "Tribunal hearing capacity."),
    declare("tribunal_capacity_growth_per_year", 0.08, "1/year", -0.5, 1.0, "tribunal",
        "assumption: judicial capacity grew with demand",
        "Yearly growth of hearing capacity."),
    declare("tribunal_plan_bar_factor", 1.5, "ratio", 0.1, 10.0, "tribunal",
        "assumption: issuing a plan ('necessary') is a higher bar than assessing ('may need')",
        "Tribunal bar for refusal-to-issue appeals, relative to the legal threshold."),
    declare("tribunal_placement_bar_factor", 0.5, "ratio", 0.1, 10.0, "tribunal",
        "assumption: the tribunal weighs parental preference and suitability",
        "Tribunal bar for placement appeals, relative to the LA's special threshold."),
    declare("months_to_hearing_min", 4, "months", 0, 24, "tribunal",
        "MoJ: target of 12 weeks to hearing, typically exceeded",
        "Earliest hearing after an appeal is registered."),
)
"""Parameters of the tribunal (group ``tribunal``)."""


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

    @classmethod
    def build(cls, model: mesa.Model, p, pupils: float) -> Tribunal:
        """The tribunal at set-up: ``hearings_per_month_per_million_pupils`` for the
        ``pupils`` modelled (sample scale)."""
        return cls(model, p.hearings_per_month_per_million_pupils * pupils / 1e6)

    def capacity(self, factor: float = 1.0) -> float:
        """Hearings it can hold this month (sample scale).

        Args:
            factor: The month's ``hearing_capacity_factor`` (1 unless a lever replaces
                the tribunal).
        """
        return self.hearings_per_month * factor

    def months_to_hearing(self, factor: float = 1.0) -> float:
        """Backlog divided by this month's capacity: expected months an appeal waits
        (0 with no capacity).

        Args:
            factor: The month's ``hearing_capacity_factor``.
        """
        capacity = self.capacity(factor)
        return self.backlog / capacity if capacity > 0 else 0.0

    def adapt_year(self, growth_per_year: float) -> None:
        """Judicial capacity grows (or shrinks) once a year."""
        self.hearings_per_month *= 1.0 + growth_per_year


# ---- Behavioural constants of disputes (their one home) ---------------------------
# The case kernels (kernels.cases) and the Python reference (sendabm.core.reference)
# import them from here; module-level so numba freezes them at compile time.
LOGISTIC_PROBIT = 1.702
"""Scale that makes a logistic curve approximate the normal CDF (the LA's lawyers'
foresight of a tribunal decision)."""
