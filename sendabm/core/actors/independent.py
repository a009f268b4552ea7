"""Independent and non-maintained special providers: places, fees and expansion.

**What it is.** The independent special schools, each with a home LA, serving any LA,
nearest first (by steps on the local-areas network).

**What it decides.** Each August a provider expands where referrals went unplaced and
its margin allows, and sets its fee, raising it further when full
(:meth:`IndependentProviders.adapt_year`; ODD §3 steps 7 and 10). Which child it
takes is the LA's placement rule, run case by case in
:func:`sendabm.core.kernels.cases.place`.

**What it owns.**

- parameters: :data:`PARAMS` (group ``market``: fees, expansion, margin, how many
  providers there are and who starts in them);
- state: :class:`IndependentProviders`, arrays with one entry per provider, built at
  set-up by :meth:`IndependentProviders.build`, which also places the children who
  start in independent schools; :class:`IndependentProvider` is a ``mesa.Agent`` view
  of one entry;
- adaptation: :meth:`IndependentProviders.adapt_year`.
"""

from __future__ import annotations

import math

import mesa
import networkx as nx
import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.param import Param, declare
from sendabm.core.population import Families

FULL = 0.95
"""Occupancy above which a provider counts as full when setting fees."""
MIN_PROVIDERS = 9
"""Fewest providers at any scale (so small samples still have a market)."""
START_OCCUPANCY = 1.1
"""Starting places per child who starts in an independent school (before the one spare)."""
FEE_SPREAD = (0.8, 0.4)
"""Starting fees are ``independent_fee_gbp × (low + width × U)``."""

PARAMS: tuple[Param, ...] = (
    declare("independent_fee_growth_per_year", 0.025, "1/year", -0.2, 0.5, "market",
        "CCN 2025: ~£60,800 by 2025", "Yearly fee growth when providers are full."),
    declare("independent_initial_need", 3.0, "need units", 0.0, 10.0, "market",
        "assumption: gives ~5% of plans in independent special schools, as in 2021 SEN2",
        "Need above which a child with a plan was in an independent school in 2014."),
    declare("providers_per_million_pupils", 66.0, "providers/1M pupils", 1.0, 1000.0, "market",
        "~600 independent special schools for ~9.1M pupils", "Independent providers."),
    declare("independent_expansion_per_year", 0.3, "share of unmet demand", 0.0, 5.0, "market",
        "assumption: providers expand where demand is unmet and margins allow",
        "Places added yearly as a share of unplaced referrals."),
    declare("independent_margin", 0.15, "share of fee", -1.0, 1.0, "market",
        "assumption: typical operating margins of large providers",
        "Providers' margin; providers expand unless it is negative."),
)
"""Parameters of independent providers (group ``market``)."""


class IndependentProviders:
    """State of all independent providers.

    Args:
        home: Home LA of each provider.
        places: Starting places.
        fee: Starting fee, GBP/year per place.
    """

    def __init__(self, home: np.ndarray, places: np.ndarray, fee: np.ndarray):
        self.home = home.astype(np.int64)
        self.places = places.astype(np.int64)
        self.fee = fee.astype(np.float64)
        self.roll = np.zeros(home.size, dtype=np.int64)
        self.over = np.zeros(home.size, dtype=np.int64)
        self.referrals = np.zeros(home.size, dtype=np.int64)
        self.profit_removed = 0
        self.la_ptr = np.zeros(1, dtype=np.int64)
        self.la_idx = np.zeros(0, dtype=np.int64)

    @classmethod
    def build(cls, fam: Families, la_pupils: np.ndarray, graph: nx.Graph, p,
              key: np.ndarray) -> IndependentProviders:
        """The providers at set-up: homes drawn in proportion to pupils, places for the
        children who start in independent schools, fees spread around
        ``independent_fee_gbp``; each of those children goes to the nearest provider
        with a vacancy, or else to the nearest (``fam.provider`` is set).

        Args:
            fam: The family columns, after the starting children are set up.
            la_pupils: Pupils modelled in each LA at the start.
            graph: The local-areas network.
            p: Parameter vector.
            key: Run key.
        """
        n_la = la_pupils.size
        n = max(MIN_PROVIDERS, int(round(p.providers_per_million_pupils * la_pupils.sum() / 1e6)))
        ids = np.arange(n, dtype=np.int32)  # the uid column's type: one rng.uniforms compile
        weights = np.cumsum(la_pupils) / la_pupils.sum()
        home = np.searchsorted(weights, rng.uniforms(key, rng.PROVIDER_INIT, ids, 0),
                               side="right")
        home = np.minimum(home, n_la - 1)
        rows = np.flatnonzero(fam.active & (fam.setting == S.INDEPENDENT))
        places = np.full(n, int(math.ceil(rows.size * START_OCCUPANCY / n)) + 1, dtype=np.int64)
        fee_draw = rng.uniforms(key, rng.PROVIDER_INIT + rng.NORMAL_OFFSET, ids, 0)
        low, width = FEE_SPREAD
        providers = cls(home, places, p.independent_fee_gbp * (low + width * fee_draw))
        providers.build_catchments(graph)
        for row in rows:
            providers._place_at_start(fam, row)
        return providers

    def _place_at_start(self, fam: Families, row: int) -> None:
        la = fam.la[row]
        order = self.la_idx[self.la_ptr[la]:self.la_ptr[la + 1]]
        free = order[self.roll[order] < self.places[order]]
        v = free[0] if free.size else order[0]
        self.roll[v] += 1
        fam.provider[row] = v

    @property
    def n(self) -> int:
        """Number of providers."""
        return self.home.size

    def build_catchments(self, graph: nx.Graph) -> None:
        """Order providers for each LA by network distance (then index): CSR arrays."""
        n_la = graph.number_of_nodes()
        rows = []
        for la in range(n_la):
            hops = nx.single_source_shortest_path_length(graph, la)
            dist = np.array([hops.get(int(h), n_la) for h in self.home])
            rows.append(np.lexsort((np.arange(self.n), dist)))
        self.la_ptr = np.arange(n_la + 1, dtype=np.int64) * self.n
        self.la_idx = np.concatenate(rows).astype(np.int64) if rows else self.la_idx

    def adapt_year(self, p, fee_cut: float = 0.0, fee_cut_years: int = 0) -> None:
        """Expand where referrals went unplaced and margins allow; fees follow costs and rise
        further when a provider is full, and fall by ``fee_cut`` in each of the first
        ``fee_cut_years`` Augusts of a profit prohibition."""
        if p.independent_margin >= 0:  # break-even (not-for-profit) providers expand too
            added = np.ceil(p.independent_expansion_per_year * self.referrals).astype(np.int64)
            self.places += added
        occupancy = self.roll / np.maximum(self.places, 1)
        premium = np.where(occupancy >= FULL, p.independent_fee_growth_per_year, 0.0)
        self.fee *= (1.0 + p.cost_inflation_per_year) * (1.0 + premium)
        if fee_cut > 0.0 and self.profit_removed < fee_cut_years:
            # Profit prohibition: the margin leaves fees over a few years.
            self.fee *= 1.0 - fee_cut
            self.profit_removed += 1
        self.referrals[:] = 0


class IndependentProvider(mesa.Agent):
    """An independent special provider: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    home = property(lambda self: int(self.model.providers.home[self.index]), doc="Home LA.")
    places = property(lambda self: int(self.model.providers.places[self.index]), doc="Places.")
    roll = property(lambda self: int(self.model.providers.roll[self.index]), doc="On roll.")
    fee = property(lambda self: float(self.model.providers.fee[self.index]), doc="GBP/year.")
