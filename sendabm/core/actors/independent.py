"""Independent and non-maintained special providers: places, fees and expansion.

Providers have a home LA and serve any LA, nearest first (by steps on the local-areas
network). They expand where referrals go unplaced and the margin allows, and raise
fees when full (DESIGN §2 phase 7).
"""

from __future__ import annotations

import mesa
import networkx as nx
import numpy as np

FULL = 0.95
"""Occupancy above which a provider counts as full when setting fees."""


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
