"""The SEND Tribunal (and mediation): hearing capacity, backlog and time to hearing.

**What it is.** The First-tier Tribunal (SEND), or the non-judicial mechanism a lever
puts in its place, and the mediation that families may try first.

**What it decides.** Each month it hears the appeals that have waited long enough,
within its capacity, and finds for the family when the need it judges exceeds the
legal bar for the kind of appeal. A mediation ends in agreement when the LA grants the
remedy, which it does in the shadow of the tribunal: it weighs what agreeing costs (the
provision at stake) against what it expects going on to cost (the chance of an appeal,
the family's own, times its chance of losing the hearing, from its view of the merits
and of how hearings of the type go, times its compliance with an advisory decision,
times the provision from the hearing on, plus a defence's cost), with noise
(``mediation_spread``); it concedes an appeal by the same reckoning
(:func:`sendabm.core.kernels.cases.settles`). With no tribunal, or an advisory
one the LA ignores, going on costs it little, so it agrees less: the lever moves the
LA's expectation, not a constant. The family accepts a granted remedy; after a failed
mediation it may appeal, the more the more success it expects. These rules
run case by case in :func:`sendabm.core.kernels.cases.appeals` and
:func:`sendabm.core.kernels.cases.mediate` (readable twins in
:mod:`sendabm.core.reference.disputes`; the family's choice to mediate or appeal is
in the family kernel). Once a year (August) HMCTS and the MoJ decide its capacity
(:meth:`Tribunal.adapt_year`).

**How its capacity responds.** The tribunal sees only its own caseload: the appeals
waiting (its backlog, recorded monthly by :meth:`Tribunal.record_month`) and the
hearings it holds, never a family's need or resources. Each August it asks what
capacity would hear the past year's mean backlog within ``tribunal_target_months``,
and decides to move its capacity ``tribunal_gap_closed_per_year`` of the way there
from what it has already committed, by no more than ``tribunal_capacity_cap_per_year``
up and never below ``tribunal_capacity_floor`` times its capacity at set-up. The
decision opens ``tribunal_capacity_lag_years`` Augusts later (judges are recruited
and trained, and fee-paid sitting days allocated, a year or more ahead), so the
capacity that opens also never grows by more than the cap in a year. The decision is
yearly because that is how judicial capacity is planned (yearly recruitment rounds and
sitting-day budgets); the signal is the year's mean backlog rather than July's, so a
small sample's monthly noise does not move it. In steady state the backlog is the
intake times the wait, so the rule holds the mean wait near ``tribunal_target_months``
when demand is steady and lets it lengthen when appeals rise faster than the cap (MoJ
tribunal statistics: SEND appeals rose about 2.5 times between 2014/15 and 2021/22
while the time to hearing lengthened).

**Levers.** A lever that replaces the tribunal multiplies the month's capacity by
``hearing_capacity_factor`` (a paper-based mechanism decides more cases per judge);
the planners know it, so the capacity they plan is judges' capacity, what the backlog
needs divided by the factor, and the factor keeps acting where the cap or the floor
binds and while the lag delays the response. A removed tribunal (``appeals_open =
0``) has no backlog, and its capacity falls year by year toward its floor; it
hears nothing.

**What it owns.**

- parameters: :data:`PARAMS` (group ``tribunal``; the mediation parameters belong to
  the family, ``mediation_uptake``, and the LA, ``mediation_spread``);
- state: :class:`Tribunal`, a ``mesa.Agent`` holding its capacity, its committed
  capacity not yet open and its backlog, built at set-up by :meth:`Tribunal.build`;
- adaptation: :meth:`Tribunal.adapt_year`; the month's capacity and time to hearing
  are :meth:`Tribunal.capacity` and :meth:`Tribunal.months_to_hearing`;
- measures: hearings, hearings won and months waited to hearing, in total and by the
  appeal's kind (:mod:`sendabm.core.measures`, owner ``tribunal``).
"""

from __future__ import annotations

import mesa

from sendabm.core import states as S
from sendabm.core.param import Param, declare

PARAMS: tuple[Param, ...] = (
    declare("legal_threshold", 0.2, "need units", 0.0, 5.0, "tribunal",
        "Children and Families Act 2014 s36: 'may need' — a low legal bar",
        "Need above which the tribunal finds for the family."),
    declare("tribunal_decision_sd", 0.2, "need units", 0.01, 5.0, "tribunal",
        "assumption", "Spread of tribunal judgements around the legal threshold."),
    declare("hearings_per_month_per_million_pupils", 60.0, "hearings/month/1M pupils", 0.0,
        10000.0, "tribunal", "assumption: the tribunal was not the bottleneck in 2014-2020 "
        "(appeals decided at a hearing rose with appeals, 788 in 2014/15 to 4,825 in "
        "2020/21, MoJ); tighter starting capacity held the model's hearings to about half "
        "the record's in 2019-2020",
        "Tribunal hearing capacity at set-up."),
    declare("tribunal_target_months", 6.0, "months", 1.0, 36.0, "tribunal",
        "assumption: no planning target is published; the 12-week listing target plus the "
        "months an appeal waits before it can be heard, rounded up",
        "Months in which the capacity HMCTS plans for would hear the backlog (the mean "
        "wait it plans for, registration to hearing; above months_to_hearing_min)."),
    declare("tribunal_gap_closed_per_year", 0.5, "share/year", 0.0, 1.0, "tribunal",
        "assumption: capacity followed demand partly (MoJ: SEND appeals rose ~2.5x "
        "2014/15-2021/22 while the time to hearing lengthened)",
        "Share of the gap between committed and needed capacity closed by each yearly "
        "decision."),
    declare("tribunal_capacity_lag_years", 1, "years", 0, 3, "tribunal",
        "assumption: judges are recruited and trained, and fee-paid sitting days "
        "allocated, a year ahead",
        "Years from a capacity decision (August) to the capacity opening."),
    declare("tribunal_capacity_cap_per_year", 0.35, "1/year", 0.0, 1.0, "tribunal",
        "assumption: appeals decided at a hearing rose from 788 in 2014/15 to 4,825 in "
        "2020/21 (MoJ), about 35% a year; recruitment limits growth to about that",
        "Largest yearly growth of hearing capacity."),
    declare("tribunal_capacity_floor", 1.0, "ratio", 0.0, 1.0, "tribunal",
        "assumption: salaried judges and the panel are kept when the backlog is short; a "
        "floor of half the set-up capacity let it fall to that by 2017, and the model heard "
        "half the record's appeals in 2019-2020",
        "Lowest hearing capacity, relative to the capacity at set-up."),
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
        lag_years: Years from a capacity decision to its opening
            (``tribunal_capacity_lag_years``): the capacity already committed for the
            first Augusts is the starting capacity.

    Attributes:
        hearings_per_month: Capacity open now, hearings/month (sample scale), before
            the lever's factor.
        initial: Capacity at set-up (the floor's reference).
        committed: Capacity decided and not yet open, oldest first (one per August to
            come, up to the lag).
        backlog: Appeals waiting at the end of the month.
    """

    def __init__(self, model: mesa.Model, hearings_per_month: float, lag_years: int = 0):
        super().__init__(model)
        self.hearings_per_month = hearings_per_month
        self.initial = hearings_per_month
        self.committed: list[float] = [hearings_per_month] * int(lag_years)
        self.backlog = 0.0
        self._backlog_sum = 0.0
        self._backlog_months = 0

    @classmethod
    def build(cls, model: mesa.Model, p, pupils: float) -> Tribunal:
        """The tribunal at set-up: ``hearings_per_month_per_million_pupils`` for the
        ``pupils`` modelled (sample scale)."""
        return cls(model, p.hearings_per_month_per_million_pupils * pupils / 1e6,
                   p.tribunal_capacity_lag_years)

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

    def record_month(self, backlog: float) -> None:
        """The month's backlog (appeals waiting at its end), the signal of the next
        capacity decision."""
        self.backlog = backlog
        self._backlog_sum += backlog
        self._backlog_months += 1

    def adapt_year(self, p, factor: float = 1.0) -> None:
        """August: decide the capacity that opens ``tribunal_capacity_lag_years`` later,
        and open the capacity decided that many years ago.

        Args:
            p: The month's parameters (``tribunal_*``).
            factor: The month's ``hearing_capacity_factor``: the capacity needed is
                divided by it (the planners plan judges, each deciding ``factor``
                times the tribunal's cases).
        """
        self.committed.append(self._decide(p, factor))
        self._backlog_sum, self._backlog_months = 0.0, 0
        while len(self.committed) > p.tribunal_capacity_lag_years:
            self.hearings_per_month = self.committed.pop(0)

    def _decide(self, p, factor: float) -> float:
        """Capacity decided this August, hearings/month (before the factor)."""
        base = self.committed[-1] if self.committed else self.hearings_per_month
        if self._backlog_months == 0 or factor <= 0.0:
            return base  # nothing observed, or nothing it could plan for
        backlog = self._backlog_sum / self._backlog_months
        needed = backlog / (p.tribunal_target_months * factor)
        step = p.tribunal_gap_closed_per_year * (needed - base)
        decided = min(base + step, base * (1.0 + p.tribunal_capacity_cap_per_year))
        return max(decided, p.tribunal_capacity_floor * self.initial)


# ---- Behavioural constants of disputes (their one home) ---------------------------
# The case kernels (kernels.cases) and the Python reference (sendabm.core.reference)
# import them from here; module-level so numba freezes them at compile time.
LOGISTIC_PROBIT = 1.702
"""Scale that makes a logistic curve approximate the normal CDF (the LA's lawyers'
foresight of a tribunal decision)."""


def legal_bar(kind: int, p) -> float:
    """Need the tribunal (or a body deciding in its place: the ombudsman, the court, a
    replacing mechanism) requires to find for the family, by what the case is about,
    need units: ``legal_threshold`` for an assessment ('may need'), times
    ``tribunal_plan_bar_factor`` for a plan ('necessary'), and for a placement
    ``tribunal_placement_bar_factor`` times the national ``special_threshold`` (one law,
    whatever the LA's own bar). The one definition the tribunal, the professionals who
    foresee it and the families who judge their case against it use; plain arithmetic, so
    the kernels compile this same function.

    Args:
        kind: What was refused (``states.KIND_*``).
        p: Parameter vector.
    """
    if kind == S.KIND_PLAN:
        return p.legal_threshold * p.tribunal_plan_bar_factor
    if kind == S.KIND_PLACEMENT:
        return p.special_threshold * p.tribunal_placement_bar_factor
    return p.legal_threshold
