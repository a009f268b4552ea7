"""Mainstream and state special schools: their state, monthly update and yearly adaptation.

School state lives in arrays (one entry per school) so the family kernels can read
it; :class:`MainstreamSchool` and :class:`SpecialSchool` are ``mesa.Agent`` views of
one entry each.
"""

from __future__ import annotations

import mesa
import numpy as np

from sendabm.core.parameters import NEED_UNIT_GBP

PRIMARY, SECONDARY = 0, 1
PRIMARY_SIZE = 280
"""Typical primary roll (DfE school census: ~16,800 primaries for ~4.7M pupils)."""
SECONDARY_SIZE = 1000
"""Typical secondary roll, Years 7-13."""
SPECIAL_SIZE = 110
"""Typical special-school roll (SCAP 2023: ~148,000 places in ~1,077 schools)."""
SPECIAL_QUALITY = 0.95
"""Share of need a special school meets."""
INCLUSIVENESS_FLOOR = 0.05


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

    @property
    def n(self) -> int:
        """Number of schools."""
        return self.la.size

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
        budget = self.roll * p.notional_sen_budget_per_pupil * self.funding_factor
        spent_on_sen = budget * (0.5 + 0.5 * self.inclusiveness)
        demand_gbp = self.sen_demand * NEED_UNIT_GBP
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(demand_gbp > 0, spent_on_sen / demand_gbp, 1.0)
            trust = np.where(totals[4] > 0, totals[3] / totals[4], trust_default)
        self.support_ratio = np.minimum(1.0, ratio)
        self.mean_trust = trust

    def adapt_year(self, p, incentive: float) -> None:
        """Schools move towards or away from inclusion (DESIGN §2 phase 10).

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


class SpecialSchools:
    """State of all state special schools.

    Args:
        la: Home LA of each school.
        places: Commissioned places.
    """

    def __init__(self, la: np.ndarray, places: np.ndarray):
        self.la = la.astype(np.int64)
        self.places = places.astype(np.int64)
        self.roll = np.zeros(la.size, dtype=np.int64)
        order = np.argsort(self.la, kind="stable")
        n_la = int(self.la.max()) + 1
        self.la_ptr = np.concatenate([[0], np.cumsum(np.bincount(self.la, minlength=n_la))])
        self.la_idx = order.astype(np.int64)

    @property
    def n(self) -> int:
        """Number of special schools."""
        return self.la.size

    def quality(self) -> np.ndarray:
        """Share of need each school meets.

        The same for every school: children are placed only where a school has a
        vacancy, so no special school runs over its places (invariant (b)).
        """
        return np.full(self.n, SPECIAL_QUALITY)

    def add_places(self, la: int, places: int) -> None:
        """Open ``places`` new places in LA ``la`` (in its smallest special school)."""
        schools = self.la_idx[self.la_ptr[la]:self.la_ptr[la + 1]]
        if schools.size and places > 0:
            self.places[schools[np.argmin(self.places[schools])]] += places


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
        """Notional SEN budget, GBP/year."""
        p = self.model.p
        return self.roll * p.notional_sen_budget_per_pupil * self.state.funding_factor


class SpecialSchool(mesa.Agent):
    """A state special school: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    la = property(lambda self: int(self.model.special.la[self.index]), doc="Home LA.")
    places = property(lambda self: int(self.model.special.places[self.index]), doc="Places.")
    roll = property(lambda self: int(self.model.special.roll[self.index]), doc="Pupils on roll.")


# ---- What families' counting gives each school (its one home) ---------------------
SCHOOL_TOTALS = ("roll", "sen", "sen_demand", "trust_sum", "trust_n")
"""Totals counted per mainstream school each month, in the order
:meth:`MainstreamSchools.update_month` reads them: pupils on roll, pupils with SEN, their
need up to the notional threshold (need units), and the sum and number of their
families' trust in the school."""
