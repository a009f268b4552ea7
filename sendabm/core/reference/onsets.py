"""Scheduling when needs emerge, child by child.

The readable reference for :func:`sendabm.core.kernels.onsets.schedule_onsets`: a
child without a need is given the month its need will emerge
(:meth:`~sendabm.core.actors.family.Family.next_onset`, the first month whose onset draw
succeeds), or NEVER if it has a need or has left the school years.
"""

from __future__ import annotations

from sendabm.core import states as S
from sendabm.core.population import NEVER


def schedule_onsets(ref, fam, rows, now: int, key, multipliers, p) -> None:
    """Set ``onset_tick`` for each of ``rows`` from month ``now``.

    Args:
        ref: The reference backend (family views, random numbers).
        fam: The family columns.
        rows: Rows to schedule.
        now: Current tick.
        key: Run key (the draws are ``ref``'s, made with the same key).
        multipliers: Identification trend factor of each month of the run, by tick.
        p: Parameters.
    """
    for row in rows:
        family = ref.family(row)
        if family.need > 0.0 or family.year >= S.SCHOOL_YEARS:
            family.onset_tick = NEVER
        else:
            family.onset_tick = family.next_onset(now, now, multipliers, p, ref.draw)
