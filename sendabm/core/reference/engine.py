"""The reference backend: every phase of the month in plain Python, family by family.

:class:`ReferenceBackend` has the methods of :class:`sendabm.core.backends.KernelBackend`,
with the same arguments and results, and is what ``SendModel(engine="python")`` runs.
It is the slow, readable, independently written version the kernels are tested
against (``tests/test_kernel_equivalence.py``): it shares the actors' constants, the
measures' layout (:mod:`sendabm.core.measures`) and the counter-based random numbers'
Python twin (:class:`sendabm.core.rng.PyRandom`), never code or constants of
:mod:`sendabm.core.kernels`. It also visits every family where
the kernels visit only those that can change, so the kernels' bookkeeping of busy
rows, open cases and onset months is checked too.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors import family as family_actor
from sendabm.core.reference import (
    counting,
    decisions,
    disputes,
    onsets,
    placing,
    redress,
    school_year,
)
from sendabm.core.reference.branches import Branches

BRANCHES = (*family_actor.BRANCHES, *decisions.BRANCHES, *disputes.BRANCHES,
            *redress.BRANCHES, *placing.BRANCHES, *school_year.BRANCHES)
"""Every branch the reference counts."""


class ReferenceBackend:
    """Every phase by the Python reference.

    Args:
        key: The run's key.
        family: Row -> the :class:`~sendabm.core.actors.family.Family` view of that row.

    Attributes:
        draw: The random numbers (the kernels' draws, in plain Python).
        branches: How often each branch of the reference was taken.
    """

    name = "python"

    def __init__(self, key: np.uint64, family: Callable[[int], family_actor.Family]):
        self.family = family
        self.draw = rng.PyRandom(key)
        self.branches = Branches(BRANCHES)
        self.hit = self.branches.hit

    # ---- September and new children ------------------------------------------
    def init_rows(self, fam, rows, la, year, uid, tick, p, key, plan_threshold,
                  special_threshold, initial, independent_need=None) -> None:
        """New children (:func:`sendabm.core.reference.school_year.init_rows`)."""
        school_year.init_rows(self, fam, rows, la, year, uid, tick, p, key, plan_threshold,
                              special_threshold, initial, independent_need)

    def schedule_onsets(self, fam, rows, now, key, multipliers, p) -> None:
        """Onset months (:func:`sendabm.core.reference.onsets.schedule_onsets`)."""
        onsets.schedule_onsets(self, fam, rows, now, key, multipliers, p)

    def age_and_transfer(self, fam, p, key, tick, schools, special_threshold,
                         neet_logit_shift: float = 0.0) -> dict[str, float]:
        """The move up a year (:func:`sendabm.core.reference.school_year.age_and_transfer`)."""
        return school_year.age_and_transfer(self, fam, p, key, tick, schools,
                                            special_threshold, neet_logit_shift)

    # ---- the month -------------------------------------------------------------
    def families_month(self, fam, world, p, last_busy, onsets_now):
        """Phases 2-4 for every active family (:meth:`Family.month`).

        ``last_busy`` and ``onsets_now`` (the kernels' shortcuts) are not used: every
        family is visited and draws its onset every month.

        Returns:
            (busy rows, rows with an open case, rescheduled rows): the busy rows have a
            need, an open case or an event; the rows whose onset was rescheduled are
            left to the kernels' schedule (empty here).
        """
        for row in np.flatnonzero(fam.active):
            self.family(row).month(world, p, self.draw, self.hit)
        busy = np.flatnonzero((fam.active == 1) & ((fam.need > 0) | (fam.stage != S.IDLE)
                                                   | (fam.events != 0)))
        cases = busy[fam.stage[busy] != S.IDLE]
        return busy.astype(np.int32), cases.astype(np.int64), np.empty(0, dtype=np.int32)

    def decide_cases(self, fam, cases, cw, p) -> None:
        """Phases 5-7 for the open cases, in row order."""
        decisions.decide_requests(self, cases, cw, p)
        decisions.assess(self, cases, cw, p)
        disputes.mediate(self, cases, cw, p)
        disputes.appeals(self, cases, cw, p)
        redress.redress(self, cases, cw, p)
        placing.place(self, cases, cw, p)

    def count(self, fam, rows, p, sizes, money, fees, outcomes: bool, partials=None):
        """Phase 8 (with ``outcomes``) and the month's totals
        (:func:`sendabm.core.reference.counting.count`); ``partials`` is not used."""
        return counting.count(self, fam, rows, p, sizes, money, fees, outcomes)

    def count_static(self, fam, sizes):
        """Pupils and rolls (:func:`sendabm.core.reference.counting.count_static`)."""
        return counting.count_static(self, fam, sizes)
