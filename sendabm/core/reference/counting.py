"""Counting families into the month's totals (ODD §3 step 9), family by family.

The readable reference for :func:`sendabm.core.kernels.aggregate.count` and
:func:`~sendabm.core.kernels.aggregate.count_static`. Every total is a sum over
families of what each contributes, written here by measure name.

Float totals are compared with the kernels bit for bit, and float addition depends on
its order, so the sums are made in a stated order: the rows are split into
:data:`SUM_CHUNKS` consecutive chunks of equal size (the last one shorter), each chunk
is summed from zero in row order, and the chunk sums are added in chunk order. Whole
counts are exact in any order.
"""

from __future__ import annotations

import numpy as np

from sendabm.core import states as S
from sendabm.core.actors.mainstream import SCHOOL_TOTALS
from sendabm.core.measures import DECISION_KINDS
from sendabm.core.measures import SLOTS as LA_MEASURES
from sendabm.core.param import NEED_UNIT_GBP

SUM_CHUNKS = 32
"""Chunks the rows are summed in (the summation order of the totals, see above)."""

EVENT_MEASURES = {
    S.EV_REQUEST: "assessment_requests", S.EV_SCHOOL_REQUEST: "school_requests",
    S.EV_REFUSED_ASSESS: "assessments_refused", S.EV_REFUSED_PLAN: "plans_refused",
    S.EV_REFUSED_PLACEMENT: "placements_refused", S.EV_PLAN_ISSUED: "plans_issued",
    S.EV_WITHIN_20_WEEKS: "plans_issued_within_20_weeks", S.EV_MEDIATION: "mediations",
    S.EV_MEDIATION_AGREED: "mediation_agreements", S.EV_APPEAL: "appeals_registered",
    S.EV_CONCEDED: "appeals_conceded", S.EV_HEARING: "hearings",
    S.EV_WON: "hearings_won_by_family", S.EV_PLACED_SPECIAL: "placed_special",
    S.EV_PLACED_INDEPENDENT: "placed_independent", S.EV_GAVE_UP: "disputes_dropped",
    S.EV_ASSESSMENT_DONE: "assessments_completed",
    S.EV_DECISION_NOT_FOLLOWED: "decisions_not_followed",
    S.EV_DISPUTE_TO_APPEAL: "disputes_to_appeal", S.EV_DISPUTE_UNHEARD: "disputes_unheard",
    S.EV_WITHDRAWN: "appeals_withdrawn", S.EV_REPEAT_REQUEST: "repeat_requests",
    S.EV_DISPUTE_TO_REDRESS: "disputes_to_redress", S.EV_COMPLAINT: "complaints",
    S.EV_JUDICIAL_REVIEW: "judicial_reviews", S.EV_PRIVATE_PROVISION: "private_provision",
    S.EV_HOME_EDUCATION: "home_education_exits", S.EV_REDRESS_UPHELD: "redress_upheld",
}
"""The flow measure each event of the month counts into."""
KIND_EVENT_MEASURES = {
    (bit, kind): f"{prefix}_{name}"
    for bit, prefix in ((S.EV_APPEAL, "appeals"), (S.EV_REVERSED, "reversals"),
                        (S.EV_HEARING, "hearings"), (S.EV_WON, "hearings_won_by_family"))
    for kind, name in enumerate(DECISION_KINDS, start=1)}
"""The flow measure each dispute event counts into by the case's kind (its kind bits)."""
STAGE_MEASURES = {S.AWAITING_PLACE: "awaiting_place", S.ASSESSING: "assessing",
                  S.APPEALING: "tribunal_backlog", S.COMPLAINT: "complaints_open",
                  S.JUDICIAL_REVIEW: "judicial_reviews_open"}
"""The stock measure each open-case stage counts into."""
_SLOT = {name: slot for slot, name in enumerate(LA_MEASURES)}


class _Tally:
    """One chunk's partial sums: per LA and resources quintile, and per school."""

    def __init__(self, la_sums: np.ndarray, school_sums: np.ndarray):
        self.la_sums, self.school_sums = la_sums, school_sums

    def add(self, measure: str, family, value: float = 1.0) -> None:
        """Add ``value`` to ``measure`` in the family's LA, for all quintiles and its own."""
        slot = _SLOT[measure]
        self.la_sums[slot, family.la, 0] += value
        self.la_sums[slot, family.la, family.quintile] += value

    def add_school(self, total: str, school: int, value: float = 1.0) -> None:
        """Add ``value`` to the school's total ``total``."""
        self.school_sums[SCHOOL_TOTALS.index(total), school] += value


def count(ref, fam, rows, p, sizes, money, fees, outcomes: bool):
    """The month's totals over ``rows`` (the busy rows, ascending).

    Args:
        ref: The reference backend (family views).
        fam: The family columns.
        rows: Rows to count: every child with a need, an open case or an event.
        p: The month's parameters.
        sizes: (LAs, mainstream schools, special schools, independent providers).
        money: (yearly cost of a special place, yearly transport cost of a child
            placed out of mainstream, LA cost of an appeal, GBP; notional threshold,
            need units; nominal cost level relative to 2014).
        fees: Yearly fee of each independent provider, GBP.
        outcomes: Apply phase 8 (:meth:`~sendabm.core.actors.family.Family.outcomes`)
            to every child first.

    Returns:
        (la_totals [measure, la, quintile 0..5], school_totals [total, school],
        special_roll [special school], provider_roll [provider]), as the kernel's.
        Pupils and school rolls are left at zero (:func:`count_static` counts them).
    """
    if outcomes:
        for row in np.flatnonzero(fam.active):
            ref.family(row).outcomes(p)
    n_la, n_school, n_special, n_provider = sizes
    la_sums = np.zeros((SUM_CHUNKS, len(LA_MEASURES), n_la, 6))
    school_sums = np.zeros((SUM_CHUNKS, len(SCHOOL_TOTALS), n_school))
    special_roll = np.zeros(n_special, dtype=np.int64)
    provider_roll = np.zeros(n_provider, dtype=np.int64)
    size = -(-len(rows) // SUM_CHUNKS)
    for chunk in range(SUM_CHUNKS):
        tally = _Tally(la_sums[chunk], school_sums[chunk])
        for row in rows[chunk * size:(chunk + 1) * size]:
            family = ref.family(row)
            if not family.active:
                continue
            _count_family(family, tally, money, fees)
            if family.setting == S.SPECIAL:
                special_roll[family.provider] += 1
            elif family.setting == S.INDEPENDENT:
                provider_roll[family.provider] += 1
    return _in_order(la_sums), _in_order(school_sums), special_roll, provider_roll


def _in_order(chunk_sums: np.ndarray) -> np.ndarray:
    total = np.zeros(chunk_sums.shape[1:])
    for part in chunk_sums:
        total += part
    return total


def _count_family(family, tally: _Tally, money, fees) -> None:
    """What one family adds to the month's totals."""
    special_gbp, transport_gbp, tribunal_gbp, threshold_units, cost_factor = money
    setting, year = family.setting, family.year
    early = year < 0  # before Reception
    if family.sen == S.SEN_SUPPORT:
        tally.add("early_years_sen_support" if early else "sen_support", family)
    elif family.sen == S.EHCP:
        tally.add("ehc_plans", family)
        if early:
            tally.add("ehc_plans_early_years", family)
        elif year < S.SCHOOL_YEARS:
            tally.add("ehc_plans_school_age", family)
        # The plan's top-up is paid monthly, at this month's costs.
        topup_gbp = family.topup * NEED_UNIT_GBP * cost_factor / 12.0
        if setting == S.MAINSTREAM:
            tally.add("placements_mainstream", family)
            tally.add("spend_mainstream_topup_gbp", family, topup_gbp)
        elif setting == S.FURTHER_EDUCATION:
            tally.add("placements_further_education", family)
            tally.add("spend_further_education_gbp", family, topup_gbp)
        elif setting == S.HOME_EDUCATION:
            tally.add("placements_home_education", family)
    if setting == S.SPECIAL:
        tally.add("placements_special", family)
        tally.add("spend_special_gbp", family, special_gbp / 12.0)
        tally.add("spend_transport_gbp", family, transport_gbp / 12.0)
    elif setting == S.INDEPENDENT:
        tally.add("placements_independent", family)
        tally.add("spend_independent_gbp", family, float(fees[family.provider]) / 12.0)
        tally.add("spend_transport_gbp", family, transport_gbp / 12.0)
    if family.stage in STAGE_MEASURES:
        tally.add(STAGE_MEASURES[family.stage], family)
    events = family.events
    for bit, measure in EVENT_MEASURES.items():
        if events & bit:
            tally.add(measure, family)
    kind = (events >> S.KIND_SHIFT) & S.KIND_MASK
    for (bit, of_kind), measure in KIND_EVENT_MEASURES.items():
        if events & bit and kind == of_kind:
            tally.add(measure, family)
    if early and events & S.EV_REQUEST:
        tally.add("assessment_requests_early_years", family)
    if early and events & S.EV_PLAN_ISSUED:
        tally.add("plans_issued_early_years", family)
    # A request is decided in the month it is made, so a refusal in the month of a repeat
    # request is that request's.
    if events & S.EV_REPEAT_REQUEST and events & S.EV_REFUSED_ASSESS:
        tally.add("repeat_requests_refused", family)
    if events & S.EV_APPEAL:
        tally.add("spend_tribunal_gbp", family, tribunal_gbp)
    if events & S.EV_HEARING:
        _count_hearing(family, tally)
    _count_need(family, tally, threshold_units)


def _count_hearing(family, tally: _Tally) -> None:
    """A hearing's wait, in all and for its kind, as the hearing event recorded them (the
    family's kind may have changed since, by the remedy)."""
    events = family.events
    wait = float((events >> S.WAIT_SHIFT) & S.WAIT_MASK)
    tally.add("hearing_wait_sum", family, wait)
    kind = (events >> S.KIND_SHIFT) & S.KIND_MASK
    if kind != S.KIND_NONE:
        tally.add(f"hearing_wait_sum_{DECISION_KINDS[kind - 1]}", family, wait)


def _count_need(family, tally: _Tally, threshold_units: float) -> None:
    """Need, provision, trust and outcomes; a mainstream pupil's school counts its SEN."""
    need = family.need
    in_school = family.setting == S.MAINSTREAM and family.year < S.SCHOOL_YEARS
    if in_school and family.sen != S.SEN_NONE:
        tally.add_school("sen", family.school)
        tally.add_school("sen_demand", family.school, min(need, threshold_units))
    if need <= 0.0:
        return
    tally.add("with_need", family)
    tally.add("need_sum", family, need)
    tally.add("unmet_sum", family, family.unmet)
    if family.unmet > 0.0 and family.year < S.SCHOOL_YEARS:
        tally.add("with_unmet_need", family)
    tally.add("trust_la_sum", family, family.trust_la)
    tally.add("progress_sum", family, family.progress)
    tally.add("wellbeing_sum", family, family.wellbeing)
    if family.setting == S.HOME_EDUCATION:
        tally.add("home_educated", family)
    if in_school:
        tally.add("trust_school_sum", family, family.trust_school)
        tally.add("trust_school_n", family)
        tally.add_school("trust_sum", family.school, family.trust_school)
        tally.add_school("trust_n", family.school)


def count_static(ref, fam, sizes):
    """Pupils by LA and quintile, mainstream rolls and specialist rolls, over every child.

    Args:
        ref: The reference backend (family views).
        fam: The family columns.
        sizes: (LAs, mainstream schools, special schools, independent providers).

    Returns:
        (pupils [la, quintile 0..5], roll [school], special_roll [special school],
        provider_roll [provider], early_years [la, quintile 0..5]), as the kernel's;
        specialist rolls count children of any age, pupils and mainstream rolls the
        school years only, early years the children before Reception.
    """
    n_la, n_school, n_special, n_provider = sizes
    pupils = np.zeros((n_la, 6))
    early_years = np.zeros((n_la, 6))
    roll = np.zeros(n_school)
    special_roll = np.zeros(n_special, dtype=np.int64)
    provider_roll = np.zeros(n_provider, dtype=np.int64)
    for row in np.flatnonzero(fam.active):
        family = ref.family(row)
        if family.setting == S.SPECIAL:
            special_roll[family.provider] += 1
        elif family.setting == S.INDEPENDENT:
            provider_roll[family.provider] += 1
        if family.year >= S.SCHOOL_YEARS:
            continue
        if family.year < 0:
            early_years[family.la, 0] += 1.0
            early_years[family.la, family.quintile] += 1.0
            continue
        pupils[family.la, 0] += 1.0
        pupils[family.la, family.quintile] += 1.0
        if family.setting == S.MAINSTREAM:
            roll[family.school] += 1.0
    return pupils, roll, special_roll, provider_roll, early_years
