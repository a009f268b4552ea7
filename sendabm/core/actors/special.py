"""State special schools: places commissioned by the LA, filled by its own children.

**What it is.** The maintained and academy special schools of each LA. Only children
of that LA are placed in them, and only where a school has a vacancy.

**What it decides.** Nothing by itself: which child takes a place is the LA's
placement rule, run case by case in :func:`sendabm.core.kernels.cases.place`. Its
places grow when the LA's commissioned places open (:meth:`SpecialSchools.add_places`,
driven by :mod:`sendabm.core.actors.local_authority`).

**What it owns.**

- parameters: :data:`PARAMS` (group ``market``: the spare places of 2014 and the
  commissioning of new ones);
- state: :class:`SpecialSchools`, arrays with one entry per school, built at set-up by
  :meth:`SpecialSchools.build`, which also places the children who start in special
  schools; :class:`SpecialSchool` is a ``mesa.Agent`` view of one entry;
- adaptation: none of its own (its rolls are recounted by the counting kernels).
"""

from __future__ import annotations

import mesa
import numpy as np

from sendabm.core import states as S
from sendabm.core.param import Param, declare
from sendabm.core.population import Families

SPECIAL_SIZE = 110
"""Typical special-school roll (SCAP 2023: ~148,000 places in ~1,077 schools)."""
SPECIAL_QUALITY = 0.95
"""Share of need a special school meets."""

PARAMS: tuple[Param, ...] = (
    declare("special_vacancy_initial", 0.03, "share of roll", 0.0, 1.0, "market",
        "SCAP 2023: about two thirds of special schools at or over capacity",
        "Spare special places in 2014 as a share of the roll."),
    declare("commissioning_lag_years", 3, "years", 0, 10, "market",
        "assumption: new state special provision takes ~3 years",
        "Delay between an LA commissioning special places and their opening."),
    declare("commissioning_share", 0.6, "share of waiting list", 0.0, 5.0, "market",
        "assumption", "State places an LA commissions yearly per child waiting."),
    declare("special_build_share_per_year", 1.0, "share of places", 0.0, 1.0, "market",
        "assumption: new special places need capital and a building (DfE special free "
        "schools, High Needs Provision Capital Allocations; SCAP May 2023: ~148,000 "
        "places, about two thirds of schools at or over capacity); fitted to the setting "
        "mix of plans",
        "Most new state special places an LA can commission in one year, as a share of "
        "the places it has: what its capital and building programme can deliver."),
    declare("special_place_capital_gbp", 75000.0, "GBP/place", 0.0, 500000.0, "market",
        "2021 Spending Review: £2.6bn for about 30,000 new school places for children with "
        "SEND (about £87,000 a place in 2021 prices, £75,000 in 2014 prices)",
        "Capital cost of a new state special place, paid by the DfE when the LA commissions "
        "it (spend_special_capital_gbp; outside the high-needs block)."),
)
"""Parameters of state special places: spare places in 2014 and the commissioning of new
ones (group ``market``)."""


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

    @classmethod
    def build(cls, fam: Families, n_la: int, p) -> SpecialSchools:
        """Each LA's special schools at set-up, sized by the children who start in them,
        with ``special_vacancy_initial`` spare places split evenly; those children are
        dealt to their LA's schools in turn (``fam.provider`` is set).

        Args:
            fam: The family columns, after the starting children are set up.
            n_la: Number of LAs.
            p: Parameter vector.
        """
        special_rows = np.flatnonzero(fam.active & (fam.setting == S.SPECIAL))
        la_of = fam.la[special_rows].astype(np.int64)
        placed = np.bincount(la_of, minlength=n_la)
        n_schools = np.maximum(1, np.round(placed / SPECIAL_SIZE)).astype(np.int64)
        school_la = np.repeat(np.arange(n_la), n_schools)
        places_la = np.maximum(1, np.ceil(placed * (1 + p.special_vacancy_initial)))
        first = np.concatenate([[0], np.cumsum(n_schools)[:-1]])
        k = np.arange(school_la.size) - first[school_la]
        places = (places_la[school_la] // n_schools[school_la]
                  + (k < places_la[school_la] % n_schools[school_la]))
        rank = np.zeros(special_rows.size, dtype=np.int64)
        order = np.argsort(la_of, kind="stable")
        starts = np.concatenate([[0], np.cumsum(placed)[:-1]])
        rank[order] = np.arange(special_rows.size) - starts[la_of[order]]
        fam.provider[special_rows] = first[la_of] + rank % n_schools[la_of]
        return cls(school_la, places)

    @property
    def n(self) -> int:
        """Number of special schools."""
        return self.la.size

    def places_by_la(self, n_la: int) -> np.ndarray:
        """Commissioned places in each LA's special schools (int64, length ``n_la``)."""
        return np.bincount(self.la, weights=self.places, minlength=n_la).astype(np.int64)

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


class SpecialSchool(mesa.Agent):
    """A state special school: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int):
        super().__init__(model)
        self.index = index

    la = property(lambda self: int(self.model.special.la[self.index]), doc="Home LA.")
    places = property(lambda self: int(self.model.special.places[self.index]), doc="Places.")
    roll = property(lambda self: int(self.model.special.roll[self.index]), doc="Pupils on roll.")
