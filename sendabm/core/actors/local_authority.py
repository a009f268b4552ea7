"""Local authorities: high-needs money, gatekeeping, assessment capacity, legal stance.

LA state lives in arrays (one entry per LA); :class:`LocalAuthority` is a
``mesa.Agent`` view of one entry. Each LA learns once a year (DESIGN §2 phase 10):
overspending tightens its thresholds (gatekeeping), having its refusals reversed (at
a hearing or by conceding) loosens them, losing at tribunal makes it concede more,
and it copies its neighbours' practice.
"""

from __future__ import annotations

import mesa
import numpy as np

THRESHOLD_RANGE = (0.2, 4.0)
"""Bounds on LA thresholds, need units."""
CONCEDE_RANGE = (0.02, 0.9)
ASSESSMENT_TARGET_MONTHS = 5.0
"""Months in which an LA aims to clear its assessment queue (the 20-week limit)."""


class LocalAuthorities:
    """State of all LAs.

    Args:
        n: Number of LAs.
        p: Parameter vector.
        sample_pupils: Pupils modelled in each LA at the start.
        reserves_gbp: Reserves against which deficits are compared, GBP (sample scale).
        neighbours: (indptr, indices) CSR of the local-areas network.
    """

    def __init__(self, n, p, sample_pupils, reserves_gbp, neighbours):
        self.n = n
        self.assess_threshold = np.full(n, p.assess_threshold_initial)
        self.plan_threshold = np.full(n, p.plan_threshold_initial)
        self.special_threshold = np.full(n, p.special_threshold)
        self.concede = np.full(n, p.concede_base_per_month)
        self.ep_fte = p.ep_fte_per_10k_pupils * sample_pupils / 10_000.0
        self.ep_fte_floor = self.ep_fte.copy()
        self.reserves_gbp = reserves_gbp.astype(np.float64)
        self.allocation_year_gbp = np.zeros(n)
        self.cumulative_spend_gbp = np.zeros(n)
        self.cumulative_allocation_gbp = np.zeros(n)
        self.spend_fy_gbp = np.zeros(n)
        self.allocation_fy_gbp = np.zeros(n)
        self.expected_success = np.full(n, p.expected_success_initial)
        self.mean_trust = np.full(n, p.trust_initial)
        self.appeals_year = np.zeros(n)
        self.wins_year = np.zeros(n)
        self.hearings_year = np.zeros(n)
        self.hearings_lost_by_la_year = np.zeros(n)
        self.conceded_year = np.zeros(n)
        self.pipeline: list[np.ndarray] = []
        self.indptr, self.indices = neighbours

    @property
    def deficit_gbp(self) -> np.ndarray:
        """Cumulative high-needs spend minus cumulative allocation, GBP."""
        return self.cumulative_spend_gbp - self.cumulative_allocation_gbp

    def assess_capacity(self, p) -> np.ndarray:
        """Assessments each LA can complete this month."""
        return self.ep_fte * p.assessments_per_ep_month

    def neighbour_mean(self, values: np.ndarray) -> np.ndarray:
        """Mean of ``values`` over each LA's neighbours."""
        counts = np.diff(self.indptr)
        sums = np.add.reduceat(values[self.indices], self.indptr[:-1]) if self.indices.size else 0
        return np.where(counts > 0, sums / np.maximum(counts, 1), values)

    def account_month(self, spend_gbp: np.ndarray) -> None:
        """Add this month's spend and 1/12 of the year's allocation to the accounts."""
        allocation = self.allocation_year_gbp / 12.0
        self.cumulative_spend_gbp += spend_gbp
        self.cumulative_allocation_gbp += allocation
        self.spend_fy_gbp += spend_gbp
        self.allocation_fy_gbp += allocation

    def record_disputes(self, appeals, wins, hearings, lost_by_la, conceded) -> None:
        """Accumulate this month's dispute outcomes for the yearly learning."""
        self.appeals_year += appeals
        self.wins_year += wins
        self.hearings_year += hearings
        self.hearings_lost_by_la_year += lost_by_la
        self.conceded_year += conceded

    def reversal_rate(self) -> np.ndarray:
        """Share of each LA's contested decisions reversed this year: appeals it lost at
        a hearing or conceded, over appeals heard or conceded (0 if none).

        A concession reverses a refusal as surely as a lost hearing does, so an LA that
        concedes most appeals learns that its refusals do not hold, even if it rarely
        reaches a hearing.
        """
        contested = self.hearings_year + self.conceded_year
        reversed_ = self.hearings_lost_by_la_year + self.conceded_year
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(contested > 0, reversed_ / np.maximum(contested, 1e-300), 0.0)

    def adapt_year(self, p, override_ended: bool, pull: float = 0.0,
                   target: float | None = None) -> None:
        """Gatekeeping responds to overspend and tribunal losses; practice diffuses."""
        with np.errstate(divide="ignore", invalid="ignore"):
            overspend = np.where(self.allocation_fy_gbp > 0,
                                 self.spend_fy_gbp / self.allocation_fy_gbp - 1.0, 0.0)
            loss_rate = np.where(self.hearings_year > 0,
                                 self.hearings_lost_by_la_year / self.hearings_year, 0.0)
        pressure = np.maximum(0.0, overspend)
        if override_ended:
            pressure = pressure * np.where(self.deficit_gbp > self.reserves_gbp, 2.0, 1.0)
        change = p.gatekeeping_response * pressure - p.gatekeeping_relax * self.reversal_rate()
        ratio = p.plan_threshold_initial / p.assess_threshold_initial
        for name, goal in (("assess_threshold", target),
                           ("plan_threshold", None if target is None else target * ratio)):
            values = getattr(self, name) + change
            values += p.practice_diffusion * (self.neighbour_mean(values) - values)
            if goal is not None:
                # A national framework or 'right first time' pulls practice to one bar.
                values += pull * (goal - values)
            setattr(self, name, np.clip(values, *THRESHOLD_RANGE))
        self.concede = np.clip(p.concede_base_per_month * (0.5 + loss_rate), *CONCEDE_RANGE)
        self.ep_fte = self.ep_fte * (1.0 + p.ep_growth_per_year)
        self.ep_fte_floor = self.ep_fte_floor * (1.0 + p.ep_growth_per_year)
        self.spend_fy_gbp[:] = 0.0
        self.allocation_fy_gbp[:] = 0.0
        self.hearings_year[:] = 0.0
        self.hearings_lost_by_la_year[:] = 0.0
        self.conceded_year[:] = 0.0

    def adapt_capacity(self, p, queue: np.ndarray) -> None:
        """LAs close part of the gap between their assessment queue and what their
        educational psychologists can complete (target: clear a queue in 5 months)."""
        needed_fte = queue / ASSESSMENT_TARGET_MONTHS / p.assessments_per_ep_month
        self.ep_fte = self.ep_fte + p.assessment_capacity_response * (needed_fte - self.ep_fte)
        self.ep_fte = np.maximum(self.ep_fte, self.ep_fte_floor)

    def learn_success(self, p) -> None:
        """Parents update the appeal success they expect from outcomes in their LA and
        its neighbours over the past year (spread of parents' experience)."""
        pooled_wins = self.wins_year + self.neighbour_sum(self.wins_year)
        pooled_appeals = self.appeals_year + self.neighbour_sum(self.appeals_year)
        with np.errstate(divide="ignore", invalid="ignore"):
            observed = np.where(pooled_appeals > 0, pooled_wins / pooled_appeals,
                                self.expected_success)
        rate = p.success_learning_rate
        self.expected_success = (1.0 - rate) * self.expected_success + rate * observed
        self.appeals_year[:] = 0.0
        self.wins_year[:] = 0.0

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each LA's neighbours."""
        if not self.indices.size:
            return np.zeros_like(values)
        return np.add.reduceat(values[self.indices], self.indptr[:-1])


class LocalAuthority(mesa.Agent):
    """A local authority: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int, name: str):
        super().__init__(model)
        self.index = index
        self.name = name

    def _get(self, attr: str) -> float:
        return float(getattr(self.model.las, attr)[self.index])

    assess_threshold = property(lambda self: self._get("assess_threshold"),
                                doc="Perceived need to agree an assessment, need units.")
    plan_threshold = property(lambda self: self._get("plan_threshold"),
                              doc="Perceived need to issue a plan, need units.")
    deficit_gbp = property(lambda self: float(self.model.las.deficit_gbp[self.index]),
                           doc="Cumulative high-needs deficit, GBP (sample scale).")
    expected_success = property(lambda self: self._get("expected_success"),
                                doc="Appeal success parents in this LA expect.")


# ---- Behavioural constants of LA case decisions (their one home) ------------------
# The case kernels (kernels.cases) and the Python reference (sendabm.core.reference)
# import them from here; module-level so numba freezes them at compile time.
WITHIN_20_WEEKS = 4
"""Months from request to plan that count as within the 20-week limit (monthly ticks)."""
MIN_ASSESSMENT_MONTHS = 2
"""An assessment takes at least this many months from the request."""
ASSESSED_VIEW_NOISE = 0.5
"""Noise of the LA's view of need after an assessment, relative to its view of a request
(the log-normal SD is this times ``la_observation_sd``)."""
