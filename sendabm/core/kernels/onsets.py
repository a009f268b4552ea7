"""Scheduling needs in advance: the month a child without a need develops one.

A child without a need and without a case changes only in the month a need emerges,
so the model draws that month once (when the child arrives, or its need resolves)
and the family kernel visits the child only then. :func:`schedule_onsets` finds,
for many children at once, exactly the month :func:`family_month.next_onset` finds
for one: the first month from ``now`` whose onset draw (stream ``ONSET``, keyed by
the child's uid and the month) falls below that month's chance, before the child
leaves the school years.

It is faster than calling :func:`next_onset` per child because the draws are
made a block of months at a time in a loop without early exit, which the compiler
turns into vector code; only a block with a hit is searched month by month. Every
draw and chance is the same float as in :func:`next_onset`, so the month is too.
Readable twin: :func:`sendabm.core.reference.onsets.schedule_onsets`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors.family import ONSET_HORIZON
from sendabm.core.kernels.family_month import onset_chance
from sendabm.core.kernels.threads import over_row_chunks, row_chunks
from sendabm.core.population import NEVER

BLOCK = 32
"""Months drawn at a time before looking for the first hit (one vector loop)."""


@njit(cache=True)
def onset_chances(now, multipliers, p):
    """Onset chance in month t for a child in year group y0 in month ``now``.

    The child's year group in month t >= now is y0 + t // 12 - now // 12 (it rises
    each September after ``now``; tick 0 is a September). Months in which the child
    is past Year 13 hold 0 and are never read.

    Args:
        now: The month scheduled from, tick.
        multipliers: Identification trend factor of each month (indexed by tick).
        p: Parameter vector.

    Returns:
        float64[year group in ``now`` - ``FIRST_YEAR``, tick] of monthly chances.
    """
    out = np.zeros((S.SCHOOL_YEARS - S.FIRST_YEAR, multipliers.shape[0]))
    for y0 in range(S.FIRST_YEAR, S.SCHOOL_YEARS):
        for t in range(now, multipliers.shape[0]):
            year = y0 + t // 12 - now // 12
            if year < S.SCHOOL_YEARS:
                out[y0 - S.FIRST_YEAR, t] = onset_chance(year, multipliers[t], p)
    return out


@njit(cache=True)
def first_onset(child_hash, first, stop, chance):
    """First month in [first, stop) whose onset draw is below ``chance[month]``, or NEVER.

    Args:
        child_hash: :func:`rng.child_hash` of the child on stream ``ONSET``.
        first, stop: Months to search, ticks.
        chance: Monthly chances, indexed by tick.
    """
    t = first
    while t < stop:
        end = min(stop, t + BLOCK)
        hits = 0
        # No early exit: this loop vectorises; only a block with a hit is walked.
        for s in range(t, end):
            hits += rng.uniform_at(child_hash, s) < chance[s]
        if hits > 0:
            for s in range(t, end):
                if rng.uniform_at(child_hash, s) < chance[s]:
                    return s
        t = end
    return NEVER


@njit(cache=True, nogil=True)
def _schedule_rows(fam, rows, now, key, chances, start, stop):
    horizon = min(now + ONSET_HORIZON, chances.shape[1])
    for k in range(start, stop):
        i = rows[k]
        if fam.need[i] > 0.0:
            fam.onset_tick[i] = NEVER
            continue
        y0 = np.int64(fam.year[i])
        if y0 >= S.SCHOOL_YEARS:
            fam.onset_tick[i] = NEVER
            continue
        # The first month past Year 13 (the child then leaves the school years).
        leaves = 12 * (S.SCHOOL_YEARS - y0 + now // 12)
        fam.onset_tick[i] = first_onset(rng.child_hash(key, rng.ONSET, fam.uid[i]), now,
                                        min(horizon, leaves), chances[y0 - S.FIRST_YEAR])


def schedule_onsets(fam, rows: np.ndarray, now: int, key: np.uint64, multipliers: np.ndarray,
                    p) -> None:
    """Set ``onset_tick`` for ``rows`` from month ``now`` (NEVER for those with a need).

    The same months as :func:`family_month.next_onset` with ``first = now`` for each
    row, chunks of rows in parallel.

    Args:
        fam: The family columns (``onset_tick`` is written).
        rows: Rows to schedule (int64).
        now: Current tick.
        key: Run key.
        multipliers: ``multipliers[t]`` is the identification trend factor of month t
            (the same value the model gives the family step that month).
        p: Parameter vector.
    """
    chances = onset_chances(now, multipliers, p)
    over_row_chunks(rows.shape[0], row_chunks(), lambda c, start, stop: _schedule_rows(
        fam, rows, now, key, chances, start, stop))
