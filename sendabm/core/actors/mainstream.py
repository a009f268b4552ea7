"""Mainstream schools: identification and SEN support within a notional budget.

**What it is.** The primary and secondary schools of each LA (a secondary keeps its
pupils to Year 13). Schools have no capacity limit on their roll.

**What it decides.** Each month a school identifies SEN support and provides support
within its inclusiveness and its notional SEN budget, and a school short of money may
request an EHC needs assessment; these monthly decisions run row by row in the family
kernel (:func:`sendabm.core.kernels.family_month.family_month`). Each August a school
moves towards or away from inclusion (:meth:`MainstreamSchools.adapt_year`).

**What it owns.**

- parameters: :data:`PARAMS` (group ``school``);
- state: :class:`MainstreamSchools`, arrays with one entry per school, built at
  set-up by :meth:`MainstreamSchools.build`; :meth:`MainstreamSchools.assign` gives
  children in mainstream or further education a school (at set-up and on each
  intake); :class:`MainstreamSchool` is a ``mesa.Agent`` view of one entry;
- adaptation: :meth:`MainstreamSchools.update_month` (what each school can fund, its
  families' mean trust) and :meth:`MainstreamSchools.adapt_year`.
"""

from __future__ import annotations

import mesa
import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.param import NEED_UNIT_GBP, Param, declare
from sendabm.core.population import INIT_SLICE, Families

PRIMARY, SECONDARY = 0, 1
PRIMARY_SIZE = 280
"""Typical primary roll (DfE school census: ~16,800 primaries for ~4.7M pupils)."""
SECONDARY_SIZE = 1000
"""Typical secondary roll, Years 7-13."""
INCLUSIVENESS_FLOOR = 0.05
INCLUSIVENESS_SPREAD = 0.3
"""Width of the uniform spread of schools' starting inclusiveness around the mean."""

PARAMS: tuple[Param, ...] = (
    declare("notional_sen_budget_per_pupil", 520.0, "GBP/year per pupil", 0.0, 5000.0, "school",
        "assumption: notional SEN budgets are ~10% of the schools block "
        "(~£5,200 per pupil, DfE schools block 2015/16)",
        "Notional SEN budget of a mainstream school per pupil on roll."),
    declare("notional_threshold_gbp", 6000.0, "GBP/year per pupil", 0.0, 30000.0, "school",
        "DfE high needs operational guide: schools fund the first £6,000",
        "Additional support a school funds from its notional budget before LA top-up."),
    declare("school_funding_real_growth_per_year", -0.01, "1/year", -0.1, 0.1, "school",
        "IFS 2019: school spending per pupil fell ~8% in real terms 2009-2019",
        "Real-terms yearly change of school budgets per pupil."),
    declare("ordinarily_available_units", 0.12, "need units", 0.0, 2.0, "school",
        "assumption: quality-first teaching adjusts for mild needs at no extra cost",
        "Support a fully inclusive school provides to every child from its core budget."),
    declare("identification_per_month", 0.08, "1/month", 0.0, 1.0, "school",
        "assumption: a need is identified within about a year on average",
        "Chance per month that a school records a child's need as SEN support."),
    declare("inclusiveness_initial", 0.7, "share", 0.0, 1.0, "school",
        "assumption", "Mean inclusiveness of mainstream schools in 2014."),
    declare("accountability_pressure", 0.03, "1/year", 0.0, 1.0, "school",
        "assumption: Progress 8 and league tables reward less inclusive schools "
        "(Isos 2024, Solihull PCV)",
        "Yearly push away from inclusion per unit of SEN share above the LA mean."),
    declare("transfer_sen_incidence", 0.5, "share", 0.0, 1.0, "school",
        "assumption: schools protect teaching posts, so a cut in their budget falls mostly "
        "on discretionary support such as teaching assistants (pro rata would be ~0.1, the "
        "notional SEN budget's share of the schools block)",
        "Share of a schools-block transfer that comes out of schools' notional SEN budgets."),
    declare("budget_stress_response", 0.06, "1/year", 0.0, 1.0, "school",
        "assumption", "Yearly fall of inclusiveness per unit of SEN budget shortfall."),
    declare("school_request_per_month", 0.01, "1/month", 0.0, 1.0, "school",
        "assumption: schools initiate a minority of EHC needs assessment requests",
        "Chance per month a school requests an assessment for a child over the threshold."),
)
"""Parameters of mainstream schools (group ``school``)."""


class MainstreamSchools:
    """State of all mainstream schools, ordered by LA then phase.

    Args:
        la: Home LA of each school.
        phase: PRIMARY or SECONDARY.
        inclusiveness: Starting inclusiveness in [0, 1].
    """

    def __init__(self, la: np.ndarray, phase: np.ndarray, inclusiveness: np.ndarray):
        self.la = la.astype(np.int64)
        self.phase = phase.astype(np.int8)
        self.inclusiveness = inclusiveness.astype(np.float64)
        n = la.size
        self.support_ratio = np.ones(n)
        self.mean_trust = np.zeros(n)
        self.roll = np.zeros(n)
        self.sen = np.zeros(n)
        self.sen_demand = np.zeros(n)
        self.funding_factor = 1.0
        # Share of each school's notional SEN budget taken this financial year by its LA's
        # transfer from the schools block to high needs.
        self.transfer_cut = np.zeros(n)
        self.first = {}
        self.count = {}
        n_la = int(self.la.max()) + 1 if n else 0
        for ph in (PRIMARY, SECONDARY):
            mask = self.phase == ph
            self.count[ph] = np.bincount(self.la[mask], minlength=n_la)
            first = np.full(n_la, -1, dtype=np.int64)
            idx = np.flatnonzero(mask)
            first[self.la[idx][::-1]] = idx[::-1]
            self.first[ph] = first

    @classmethod
    def build(cls, la: np.ndarray, year: np.ndarray, n_la: int, p,
              key: np.ndarray) -> MainstreamSchools:
        """Each LA's primaries and secondaries at set-up, sized by its starting children.

        Args:
            la: Home LA of each starting child.
            year: Year group of each starting child (those before Reception, year < 0,
                are not counted).
            n_la: Number of LAs.
            p: Parameter vector.
            key: Run key (for each school's starting inclusiveness).
        """
        primary = np.bincount(la[(year >= 0) & (year <= 6)], minlength=n_la)
        secondary = np.bincount(la[year >= 7], minlength=n_la)
        n_primary = np.maximum(1, np.round(primary / PRIMARY_SIZE)).astype(np.int64)
        n_secondary = np.maximum(1, np.round(secondary / SECONDARY_SIZE)).astype(np.int64)
        school_la = np.repeat(np.repeat(np.arange(n_la), 2), np.ravel(
            np.column_stack([n_primary, n_secondary])))
        phase = np.concatenate([np.r_[np.zeros(a, np.int8), np.ones(b, np.int8)]
                                for a, b in zip(n_primary, n_secondary, strict=True)])
        ids = np.arange(school_la.size, dtype=np.int32)  # as the uid column (one compile)
        u = rng.uniforms(key, rng.SCHOOL_INIT, ids, 0)
        inclusiveness = np.clip(p.inclusiveness_initial + INCLUSIVENESS_SPREAD * (u - 0.5),
                                INCLUSIVENESS_FLOOR, 1.0)
        return cls(school_la, phase, inclusiveness)

    @property
    def n(self) -> int:
        """Number of schools."""
        return self.la.size

    def assign(self, fam: Families, rows: np.ndarray, key: np.ndarray, tick: int) -> None:
        """Give each child of ``rows`` in mainstream or further education a school of its
        phase in its LA (uniformly, by its own draw); others get no school (-1)."""
        for first in range(0, rows.size, INIT_SLICE):
            self._assign_slice(fam, rows[first:first + INIT_SLICE], key, tick)

    def _assign_slice(self, fam: Families, rows: np.ndarray, key: np.ndarray,
                      tick: int) -> None:
        u = rng.uniforms(key, rng.SCHOOL_CHOICE, fam.uid[rows], tick)
        la = fam.la[rows].astype(np.int64)
        year = fam.year[rows]
        school = np.where(year <= 6, self.pick(PRIMARY, la, u), self.pick(SECONDARY, la, u))
        in_school = (fam.setting[rows] == S.MAINSTREAM) | (fam.setting[rows] == S.FURTHER_EDUCATION)
        fam.school[rows] = np.where(in_school, school, -1)

    def pick(self, phase: int, la: np.ndarray, u: np.ndarray) -> np.ndarray:
        """School of ``phase`` in each child's LA, chosen uniformly by the draw ``u``."""
        count = self.count[phase][la]
        return self.first[phase][la] + np.minimum((u * count).astype(np.int64), count - 1)

    def update_month(self, totals: np.ndarray, p, trust_default: float) -> None:
        """Recompute what each school can fund and its families' mean trust.

        Args:
            totals: Per-school totals (roll, sen, sen_demand, trust_sum, trust_n).
            p: Parameter vector.
            trust_default: Trust assumed where a school has no families with needs.
        """
        self.roll, self.sen, self.sen_demand = totals[0], totals[1], totals[2]
        budget = self.notional_budgets(p)
        spent_on_sen = budget * (0.5 + 0.5 * self.inclusiveness)
        demand_gbp = self.sen_demand * NEED_UNIT_GBP
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(demand_gbp > 0, spent_on_sen / demand_gbp, 1.0)
            trust = np.where(totals[4] > 0, totals[3] / totals[4], trust_default)
        self.support_ratio = np.minimum(1.0, ratio)
        self.mean_trust = trust

    def notional_budgets(self, p) -> np.ndarray:
        """Each school's notional SEN budget this year, GBP a year in 2014 terms (sample
        scale): its roll times the notional budget per pupil, moved by real funding growth
        and cut by its LA's transfer to high needs."""
        return (self.roll * p.notional_sen_budget_per_pupil * self.funding_factor
                * (1.0 - self.transfer_cut))

    def rolls_by_la(self, n_la: int) -> np.ndarray:
        """Mainstream pupils on roll in each LA (sample scale)."""
        return np.bincount(self.la, weights=self.roll, minlength=n_la)

    def forum_agreement(self, p, n_la: int) -> np.ndarray:
        """The share of a proposed transfer to high needs each LA's schools forum agrees:
        ``schools_forum_agreement`` times its schools' mean support ratio, weighted by
        roll (schools that cannot fund the SEN support they have give less away)."""
        roll = self.rolls_by_la(n_la)
        funded = np.bincount(self.la, weights=self.roll * self.support_ratio, minlength=n_la)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(roll > 0, funded / roll, 1.0)
        return p.schools_forum_agreement * ratio

    def take_transfers(self, p, transfer_share: np.ndarray) -> None:
        """April: each school's notional SEN budget loses ``transfer_sen_incidence`` of its
        LA's transfer for the financial year.

        Args:
            p: Parameter vector.
            transfer_share: Each LA's transfer as a share of its schools block.
        """
        per_sen_pound = p.schools_block_gbp_per_pupil / max(p.notional_sen_budget_per_pupil,
                                                            1e-9)
        cut = p.transfer_sen_incidence * transfer_share * per_sen_pound
        self.transfer_cut = np.clip(cut, 0.0, 1.0)[self.la]

    def adapt_year(self, p, incentive: float) -> None:
        """Schools move towards or away from inclusion (ODD §3 step 10).

        Accountability pressure pushes every school away from inclusion, and most of
        all those with more SEN than their LA's average; a short SEN budget pushes the
        same way; inclusion incentives (policy R1) push back.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(self.roll > 0, self.sen / self.roll, 0.0)
        n_la = int(self.la.max()) + 1
        la_share = np.bincount(self.la, weights=self.sen, minlength=n_la) / np.maximum(
            1.0, np.bincount(self.la, weights=self.roll, minlength=n_la))
        relative = share - la_share[self.la]
        change = (-p.accountability_pressure * (1.0 + 10.0 * relative)
                  - p.budget_stress_response * (1.0 - self.support_ratio) + incentive)
        self.inclusiveness = np.clip(self.inclusiveness + change, INCLUSIVENESS_FLOOR, 1.0)


class MainstreamSchool(mesa.Agent):
    """A mainstream school: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    @property
    def state(self) -> MainstreamSchools:
        return self.model.schools

    la = property(lambda self: int(self.state.la[self.index]), doc="Home LA.")
    phase = property(lambda self: int(self.state.phase[self.index]), doc="0 primary, 1 secondary.")
    inclusiveness = property(lambda self: float(self.state.inclusiveness[self.index]),
                             doc="Inclusiveness in [0, 1].")
    roll = property(lambda self: float(self.state.roll[self.index]), doc="Pupils on roll.")
    support_ratio = property(lambda self: float(self.state.support_ratio[self.index]),
                             doc="Share of SEN support its notional budget can fund.")

    @property
    def notional_sen_budget_gbp(self) -> float:
        """Notional SEN budget, GBP/year (after its LA's transfer to high needs)."""
        return float(self.state.notional_budgets(self.model.p)[self.index])


# ---- What families' counting gives each school (its one home) ---------------------
SCHOOL_TOTALS = ("roll", "sen", "sen_demand", "trust_sum", "trust_n")
"""Totals counted per mainstream school each month, in the order
:meth:`MainstreamSchools.update_month` reads them: pupils on roll, pupils with SEN, their
need up to the notional threshold (need units), and the sum and number of their
families' trust in the school."""
