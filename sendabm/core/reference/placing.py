"""Placing children awaiting a place (ODD §3 step 7), case by case.

The readable reference for :func:`sendabm.core.kernels.cases.place`: a child waiting
for a place enters the first of its LA's state special schools with room; failing
that, once ordered or after the LA's wait, the nearest independent provider with room
(or, if a tribunal ordered it and none has room, the nearest one over its capacity).
Each vacancy search runs from the start of the list, in the same order of preference
as the kernel's resumed search.
"""

from __future__ import annotations

from sendabm.core import states as S
from sendabm.core.reference.decisions import close, first_vacancy

BRANCHES = (
    "placed_special", "waiting_for_state_place", "placed_independent", "referral_counted",
    "waiting_for_independent_place", "placed_over_capacity",
)
"""Branches of placing, counted by :class:`~sendabm.core.reference.branches.Branches`."""


def place(ref, cases, cw, p) -> None:
    """Phase 7: place the children awaiting a place, in row order.

    Args:
        ref: The reference backend (family views, random numbers, branch counts).
        cases: Rows with an open case, ascending.
        cw: The month's case world; the rolls, over-capacity counts, referrals and
            mainstream rolls in it are updated.
        p: The month's parameters.
    """
    for row in cases:
        family = ref.family(row)
        if family.stage != S.AWAITING_PLACE:
            continue
        la = family.la
        school = first_vacancy(la, cw.la_special_ptr, cw.la_special_idx, cw.special_roll,
                               cw.special_places)
        if school >= 0:
            ref.hit("placed_special")
            cw.special_roll[school] += 1
            enter(family, S.SPECIAL, school, cw)
            family.events |= S.EV_PLACED_SPECIAL
            continue
        ordered = family.place_wait == S.PLACE_INDEPENDENT_ORDERED
        waited = cw.tick - family.stage_tick
        if not ordered and waited < cw.wait_before_independent[la]:
            ref.hit("waiting_for_state_place")
            continue
        provider = first_vacancy(la, cw.la_provider_ptr, cw.la_provider_idx, cw.provider_roll,
                                 cw.provider_places)
        if provider >= 0:
            ref.hit("placed_independent")
        else:
            nearest = int(cw.la_provider_idx[cw.la_provider_ptr[la]])
            # A referral counts once: when the child is ordered, or first becomes eligible.
            if ordered or waited == cw.wait_before_independent[la]:
                ref.hit("referral_counted")
                cw.provider_referrals[nearest] += 1
            if not ordered:
                ref.hit("waiting_for_independent_place")
                continue
            ref.hit("placed_over_capacity")
            provider = nearest
            cw.provider_over[provider] += 1
        cw.provider_roll[provider] += 1
        enter(family, S.INDEPENDENT, provider, cw)
        family.events |= S.EV_PLACED_INDEPENDENT


def enter(family, setting: int, provider: int, cw) -> None:
    """The child leaves its mainstream roll (if on one) for ``provider``."""
    if (family.setting == S.MAINSTREAM and family.year < S.SCHOOL_YEARS
            and family.school >= 0):
        cw.school_roll[family.school] -= 1.0
    family.setting = setting
    family.provider = provider
    close(family)
