"""Local authorities' decisions on open cases (ODD §3 step 5), case by case.

The readable reference for :func:`sendabm.core.kernels.cases.la_decides_requests` and
:func:`~sendabm.core.kernels.cases.la_assesses`: the LA agrees or refuses to assess,
agrees or refuses a change of setting, completes assessments within its capacity and
issues or refuses a plan. Cases are visited in row order, as the kernels visit them,
so shared capacity is rationed the same way. Constants come from the actor modules.
"""

from __future__ import annotations

import math
from collections import Counter

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors.local_authority import (
    ASSESSED_VIEW_NOISE,
    MIN_ASSESSMENT_MONTHS,
    WITHIN_20_WEEKS,
)
from sendabm.core.param import NEED_UNIT_GBP

BRANCHES = (
    "assessment_agreed", "assessment_refused", "placement_agreed",
    "placement_refused_below_threshold", "placement_refused_no_vacancy",
    "assessment_too_early", "assessment_queued", "plan_issued", "plan_refused",
    "plan_within_20_weeks", "plan_late", "plan_names_special", "plan_keeps_setting",
)
"""Branches of the LA's decisions, counted by :class:`~sendabm.core.reference.branches.Branches`."""


def decide_requests(ref, cases, cw, p) -> None:
    """Phase 5a: agree or refuse each request to assess or to change setting.

    Args:
        ref: The :class:`~sendabm.core.reference.engine.ReferenceBackend` (family views,
            random numbers, branch counts).
        cases: Rows with an open case, ascending.
        cw: The month's case world (:class:`~sendabm.core.kernels.cases.CaseWorld`).
        p: The month's parameters.
    """
    for row in cases:
        family = ref.family(row)
        if family.stage != S.REQUESTED:
            continue
        la = family.la
        if family.kind == S.KIND_ASSESS:
            # The LA reads the need with log-normal noise.
            noise = p.la_observation_sd * ref.draw.normal(rng.LA_ASSESS_VIEW, family.uid, cw.tick)
            if family.need * math.exp(noise) >= cw.assess_threshold[la]:
                ref.hit("assessment_agreed")
                family.stage = S.ASSESSING
                family.stage_tick = cw.tick
            else:
                ref.hit("assessment_refused")
                refuse(family, cw, p, S.KIND_ASSESS, S.EV_REFUSED_ASSESS)
        elif family.need < cw.special_threshold[la]:
            ref.hit("placement_refused_below_threshold")
            refuse(family, cw, p, S.KIND_PLACEMENT, S.EV_REFUSED_PLACEMENT)
        elif first_vacancy(la, cw.la_special_ptr, cw.la_special_idx, cw.special_roll,
                           cw.special_places) < 0:
            ref.hit("placement_refused_no_vacancy")
            refuse(family, cw, p, S.KIND_PLACEMENT, S.EV_REFUSED_PLACEMENT)
        else:
            ref.hit("placement_agreed")
            await_place(family, cw, S.PLACE_SPECIAL)


def assess(ref, cases, cw, p) -> None:
    """Phase 5b: complete assessments within each LA's capacity; issue or refuse plans.

    Assessments take at least ``MIN_ASSESSMENT_MONTHS``; where more are due than the
    LA can complete, each due case is completed with chance capacity / due.
    """
    due = Counter(ref.family(row).la for row in cases if _assessment_due(ref.family(row), cw))
    for row in cases:
        family = ref.family(row)
        if family.stage != S.ASSESSING:
            continue
        if not _assessment_due(family, cw):
            ref.hit("assessment_too_early")
            continue
        la = family.la
        served = min(1.0, cw.assess_capacity[la] / due[la])
        if ref.draw.uniform(rng.ASSESSMENT_QUEUE, family.uid, cw.tick) >= served:
            ref.hit("assessment_queued")
            continue
        family.events |= S.EV_ASSESSMENT_DONE
        z = ref.draw.normal(rng.LA_PLAN_VIEW, family.uid, cw.tick)
        # An assessment sharpens the LA's view of the need.
        view = family.need * math.exp(ASSESSED_VIEW_NOISE * p.la_observation_sd * z)
        if view >= cw.plan_threshold[la]:
            issue_plan(ref, family, cw, p)
        else:
            ref.hit("plan_refused")
            refuse(family, cw, p, S.KIND_PLAN, S.EV_REFUSED_PLAN)


def _assessment_due(family, cw) -> bool:
    return (family.stage == S.ASSESSING
            and cw.tick - family.request_tick >= MIN_ASSESSMENT_MONTHS)


def plan_topup(need: float, p) -> float:
    """Yearly mainstream top-up a plan funds for ``need``, need units (2014 prices)."""
    threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
    return max(0.0, need - threshold_units - p.ordinarily_available_units) * p.topup_rate


def issue_plan(ref, family, cw, p) -> None:
    """The LA issues a plan with a mainstream top-up; if the need reaches its special
    threshold and the child is in mainstream, it names a special setting."""
    ref.hit("plan_issued")
    need = family.need
    family.sen = S.EHCP
    family.topup = plan_topup(need, p)
    family.events |= S.EV_PLAN_ISSUED
    if cw.tick - family.request_tick <= WITHIN_20_WEEKS:
        ref.hit("plan_within_20_weeks")
        family.events |= S.EV_WITHIN_20_WEEKS
    else:
        ref.hit("plan_late")
    trust = family.trust_la
    family.trust_la = trust + p.trust_gain_on_plan * (1.0 - trust)
    if need >= cw.special_threshold[family.la] and family.setting == S.MAINSTREAM:
        ref.hit("plan_names_special")
        await_place(family, cw, S.PLACE_SPECIAL)
    else:
        ref.hit("plan_keeps_setting")
        close(family)


def refuse(family, cw, p, kind: int, event: int) -> None:
    """The LA refuses what the case asked for; the family's trust in it falls."""
    family.stage = S.REFUSED
    family.kind = kind
    family.stage_tick = cw.tick
    family.events |= event
    family.trust_la = family.trust_la * p.trust_kept_on_refusal


def await_place(family, cw, how: int) -> None:
    """The family waits for a place (``how``: a state special place, or an ordered one
    that may be independent)."""
    family.stage = S.AWAITING_PLACE
    family.stage_tick = cw.tick
    family.kind = S.KIND_PLACEMENT
    family.place_wait = how


def close(family) -> None:
    """The case is over."""
    family.stage = S.IDLE
    family.kind = S.KIND_NONE
    family.place_wait = 0


def first_vacancy(la: int, ptr, idx, roll, places) -> int:
    """The first school or provider in ``la``'s list (``idx[ptr[la]:ptr[la + 1]]``,
    in order of preference) with a free place, or -1."""
    for k in range(ptr[la], ptr[la + 1]):
        if roll[idx[k]] < places[idx[k]]:
            return int(idx[k])
    return -1
