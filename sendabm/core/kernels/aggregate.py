"""Counting families into per-LA x quintile, per-school and per-provider totals.

:func:`count` visits the month's busy rows (children with a need, a case or an event)
for stocks, this month's event flows and this month's spend; :func:`count_static`
visits every row for pupils and school rolls, which change only in September and on
placements.

Rows are split into a fixed number of chunks, each summed serially and then added in
chunk order, so the totals (floats included) are bit-identical for any thread count.
Readable twin: :mod:`sendabm.core.reference.counting` (which adds in the same order).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sendabm.core import slots as K
from sendabm.core import states as S
from sendabm.core.actors.mainstream import SCHOOL_TOTALS
from sendabm.core.kernels.outcomes import outcome_row
from sendabm.core.kernels.threads import over_row_chunks
from sendabm.core.measures import DECISION_KINDS, SLOT, SLOTS
from sendabm.core.param import NEED_UNIT_GBP

LA_MEASURES = SLOTS
"""Totals kept per LA and family-resources quintile (index 0 = all quintiles), in the
registry's slot order (:data:`sendabm.core.measures.SLOTS`)."""
M = SLOT

_EVENT_MEASURES = (
    (S.EV_REQUEST, M["assessment_requests"]), (S.EV_SCHOOL_REQUEST, M["school_requests"]),
    (S.EV_REFUSED_ASSESS, M["assessments_refused"]), (S.EV_REFUSED_PLAN, M["plans_refused"]),
    (S.EV_REFUSED_PLACEMENT, M["placements_refused"]), (S.EV_PLAN_ISSUED, M["plans_issued"]),
    (S.EV_WITHIN_20_WEEKS, M["plans_issued_within_20_weeks"]), (S.EV_MEDIATION, M["mediations"]),
    (S.EV_MEDIATION_AGREED, M["mediation_agreements"]), (S.EV_APPEAL, M["appeals_registered"]),
    (S.EV_CONCEDED, M["appeals_conceded"]), (S.EV_HEARING, M["hearings"]),
    (S.EV_WON, M["hearings_won_by_family"]), (S.EV_PLACED_SPECIAL, M["placed_special"]),
    (S.EV_PLACED_INDEPENDENT, M["placed_independent"]), (S.EV_GAVE_UP, M["disputes_dropped"]),
    (S.EV_ASSESSMENT_DONE, M["assessments_completed"]),
    (S.EV_DECISION_NOT_FOLLOWED, M["decisions_not_followed"]),
    (S.EV_DISPUTE_TO_APPEAL, M["disputes_to_appeal"]),
    (S.EV_DISPUTE_UNHEARD, M["disputes_unheard"]),
    (S.EV_WITHDRAWN, M["appeals_withdrawn"]), (S.EV_REPEAT_REQUEST, M["repeat_requests"]),
    (S.EV_DISPUTE_TO_REDRESS, M["disputes_to_redress"]), (S.EV_COMPLAINT, M["complaints"]),
    (S.EV_JUDICIAL_REVIEW, M["judicial_reviews"]),
    (S.EV_PRIVATE_PROVISION, M["private_provision"]),
    (S.EV_HOME_EDUCATION, M["home_education_exits"]),
    (S.EV_REDRESS_UPHELD, M["redress_upheld"]),
)
_KIND_EVENT_MEASURES = tuple(
    (bit, kind, M[f"{prefix}_{name}"])
    for bit, prefix in ((S.EV_APPEAL, "appeals"), (S.EV_REVERSED, "reversals"),
                        (S.EV_HEARING, "hearings"), (S.EV_WON, "hearings_won_by_family"))
    for kind, name in enumerate(DECISION_KINDS, start=1))
"""Events counted by the case's kind (the kind bits of the events, states.KIND_SHIFT)."""
EVENT_BITS = np.array([b for b, _ in _EVENT_MEASURES] + [b for b, _, _ in _KIND_EVENT_MEASURES],
                      dtype=np.int64)
EVENT_SLOTS = np.array([k for _, k in _EVENT_MEASURES] + [k for _, _, k in _KIND_EVENT_MEASURES],
                       dtype=np.int64)
EVENT_KINDS = np.array([0] * len(_EVENT_MEASURES) + [k for _, k, _ in _KIND_EVENT_MEASURES],
                       dtype=np.int64)
"""The case kind an event must carry to count (0: any)."""
WAIT_BY_KIND = tuple(M[f"hearing_wait_sum_{kind}"] for kind in DECISION_KINDS)
"""Slots of the hearing waits by appeal kind, indexed by ``kind - 1``."""

N_CHUNKS = 32
"""Fixed number of row chunks: partial sums never depend on the thread count."""



@njit(cache=True, nogil=True)
def _count_chunk(fam, rows, c, start, stop, acc, school_acc, special_roll, provider_roll, money,
                 fees, event_bits, event_slots, event_kinds, progress_gain, with_outcomes):
    """Totals of ``rows[start:stop]`` into slot ``c`` of the partial-sum arrays.

    Written flat over unpacked columns: per-row helper calls taking the column tuple
    cost more than the counting. Pupils and school rolls are not counted here (see
    :func:`count_static`). With ``with_outcomes``, each row's outcomes are updated
    first (:func:`~sendabm.core.kernels.outcomes.outcome_row`): one pass over the rows'
    columns instead of two.
    """
    # Each chunk clears its own slot: the buffers are reused month to month.
    a = acc[c]
    sa = school_acc[c]
    a[:] = 0.0
    sa[:] = 0.0
    special_roll[c, :] = 0
    provider_roll[c, :] = 0
    active, la_col, quintile, year_col = fam.active, fam.la, fam.quintile, fam.year
    sen_col, setting_col, need_col, stage_col = fam.sen, fam.setting, fam.need, fam.stage
    events_col, school_col = fam.events, fam.school
    provider_col, topup_col = fam.provider, fam.topup
    special_gbp, transport_gbp, tribunal_gbp = money[0], money[1], money[2]
    threshold_units = money[3]
    cost_factor = money[4]
    unmet_col, progress_col, wellbeing_col = fam.unmet, fam.progress, fam.wellbeing
    for k in range(start, stop):
        i = rows[k]
        if with_outcomes:
            outcome_row(i, need_col, unmet_col, progress_col, wellbeing_col, stage_col,
                        progress_gain)
        if active[i] == 0:
            continue
        la = la_col[i]
        q = quintile[i]
        year = year_col[i]
        sen = sen_col[i]
        setting = setting_col[i]
        need = np.float64(need_col[i])
        # Each (slot, value) pair is added to the 'all' column and to the quintile.
        early = year < 0
        if sen == S.SEN_SUPPORT:
            slot = K.EARLY_YEARS_SEN_SUPPORT if early else K.SEN_SUPPORT
            a[slot, la, 0] += 1.0
            a[slot, la, q] += 1.0
        elif sen == S.EHCP:
            a[K.EHC_PLANS, la, 0] += 1.0
            a[K.EHC_PLANS, la, q] += 1.0
            if year < S.SCHOOL_YEARS:
                slot = K.EHC_PLANS_EARLY_YEARS if early else K.EHC_PLANS_SCHOOL_AGE
                a[slot, la, 0] += 1.0
                a[slot, la, q] += 1.0
            topup_gbp = np.float64(topup_col[i]) * NEED_UNIT_GBP * cost_factor / 12.0
            if setting == S.MAINSTREAM:
                a[K.PLACEMENTS_MAINSTREAM, la, 0] += 1.0
                a[K.PLACEMENTS_MAINSTREAM, la, q] += 1.0
                a[K.SPEND_MAINSTREAM_TOPUP_GBP, la, 0] += topup_gbp
                a[K.SPEND_MAINSTREAM_TOPUP_GBP, la, q] += topup_gbp
            elif setting == S.FURTHER_EDUCATION:
                a[K.PLACEMENTS_FURTHER_EDUCATION, la, 0] += 1.0
                a[K.PLACEMENTS_FURTHER_EDUCATION, la, q] += 1.0
                a[K.SPEND_FURTHER_EDUCATION_GBP, la, 0] += topup_gbp
                a[K.SPEND_FURTHER_EDUCATION_GBP, la, q] += topup_gbp
            elif setting == S.HOME_EDUCATION:
                a[K.PLACEMENTS_HOME_EDUCATION, la, 0] += 1.0
                a[K.PLACEMENTS_HOME_EDUCATION, la, q] += 1.0
        if setting == S.SPECIAL or setting == S.INDEPENDENT:
            if setting == S.SPECIAL:
                slot, spend_slot, cost = K.PLACEMENTS_SPECIAL, K.SPEND_SPECIAL_GBP, special_gbp
                special_roll[c, provider_col[i]] += 1
            else:
                slot, spend_slot = K.PLACEMENTS_INDEPENDENT, K.SPEND_INDEPENDENT_GBP
                cost = fees[provider_col[i]]
                provider_roll[c, provider_col[i]] += 1
            a[slot, la, 0] += 1.0
            a[slot, la, q] += 1.0
            a[spend_slot, la, 0] += cost / 12.0
            a[spend_slot, la, q] += cost / 12.0
            a[K.SPEND_TRANSPORT_GBP, la, 0] += transport_gbp / 12.0
            a[K.SPEND_TRANSPORT_GBP, la, q] += transport_gbp / 12.0
        stage = stage_col[i]
        if stage != S.IDLE:
            slot = -1
            if stage == S.AWAITING_PLACE:
                slot = K.AWAITING_PLACE
            elif stage == S.ASSESSING:
                slot = K.ASSESSING
            elif stage == S.APPEALING:
                slot = K.TRIBUNAL_BACKLOG
            elif stage == S.COMPLAINT:
                slot = K.COMPLAINTS_OPEN
            elif stage == S.JUDICIAL_REVIEW:
                slot = K.JUDICIAL_REVIEWS_OPEN
            if slot >= 0:
                a[slot, la, 0] += 1.0
                a[slot, la, q] += 1.0
        events = events_col[i]
        if events != 0:
            kind = (events >> S.KIND_SHIFT) & S.KIND_MASK
            for k in range(event_bits.shape[0]):
                if events & event_bits[k] and (event_kinds[k] == 0 or event_kinds[k] == kind):
                    a[event_slots[k], la, 0] += 1.0
                    a[event_slots[k], la, q] += 1.0
            if early and events & S.EV_REQUEST:
                a[K.ASSESSMENT_REQUESTS_EARLY_YEARS, la, 0] += 1.0
                a[K.ASSESSMENT_REQUESTS_EARLY_YEARS, la, q] += 1.0
            if early and events & S.EV_PLAN_ISSUED:
                a[K.PLANS_ISSUED_EARLY_YEARS, la, 0] += 1.0
                a[K.PLANS_ISSUED_EARLY_YEARS, la, q] += 1.0
            # A request is decided in the month it is made (phase 5a), so a refusal in
            # the month of a repeat request is that request's.
            if events & S.EV_REPEAT_REQUEST and events & S.EV_REFUSED_ASSESS:
                a[K.REPEAT_REQUESTS_REFUSED, la, 0] += 1.0
                a[K.REPEAT_REQUESTS_REFUSED, la, q] += 1.0
            if events & S.EV_APPEAL:
                a[K.SPEND_TRIBUNAL_GBP, la, 0] += tribunal_gbp
                a[K.SPEND_TRIBUNAL_GBP, la, q] += tribunal_gbp
            if events & S.EV_HEARING:
                _count_hearing(a, la, q, events)
        in_school = setting == S.MAINSTREAM and year < S.SCHOOL_YEARS
        s = school_col[i]
        if in_school:
            if sen != S.SEN_NONE:
                sa[1, s] += 1.0
                sa[2, s] += min(need, threshold_units)
        if need > 0.0:
            values = (1.0, need, np.float64(unmet_col[i]), np.float64(fam.trust_la[i]),
                      np.float64(progress_col[i]), np.float64(wellbeing_col[i]))
            slots = (K.WITH_NEED, K.NEED_SUM, K.UNMET_SUM, K.TRUST_LA_SUM, K.PROGRESS_SUM,
                     K.WELLBEING_SUM)
            for k in range(6):
                a[slots[k], la, 0] += values[k]
                a[slots[k], la, q] += values[k]
            if unmet_col[i] > 0.0 and year < S.SCHOOL_YEARS:
                a[K.WITH_UNMET_NEED, la, 0] += 1.0
                a[K.WITH_UNMET_NEED, la, q] += 1.0
            if setting == S.HOME_EDUCATION:
                a[K.HOME_EDUCATED, la, 0] += 1.0
                a[K.HOME_EDUCATED, la, q] += 1.0
            if in_school:
                trust = np.float64(fam.trust_school[i])
                a[K.TRUST_SCHOOL_SUM, la, 0] += trust
                a[K.TRUST_SCHOOL_SUM, la, q] += trust
                a[K.TRUST_SCHOOL_N, la, 0] += 1.0
                a[K.TRUST_SCHOOL_N, la, q] += 1.0
                sa[3, s] += trust
                sa[4, s] += 1.0


@njit(cache=True, inline="always")
def _count_hearing(a, la, q, events):
    """A hearing's wait, in all and for its kind (read from the event)."""
    wait = np.float64((events >> S.WAIT_SHIFT) & S.WAIT_MASK)
    k = ((events >> S.KIND_SHIFT) & S.KIND_MASK) - 1
    a[K.HEARING_WAIT_SUM, la, 0] += wait
    a[K.HEARING_WAIT_SUM, la, q] += wait
    if k >= 0:
        a[WAIT_BY_KIND[k], la, 0] += wait
        a[WAIT_BY_KIND[k], la, q] += wait


def partial_sums(n_la: int, n_school: int, n_special: int, n_provider: int) -> tuple:
    """Per-chunk partial-sum buffers for :func:`count` (allocate once, reuse monthly).

    Reusing them saves zeroing fresh pages every month (and the parallel loops numba
    would run to fill them); each chunk clears its own slot before counting.
    """
    return (np.empty((N_CHUNKS, len(LA_MEASURES), n_la, 6)),
            np.empty((N_CHUNKS, len(SCHOOL_TOTALS), n_school)),
            np.empty((N_CHUNKS, n_special), dtype=np.int64),
            np.empty((N_CHUNKS, n_provider), dtype=np.int64))


@njit(cache=True)
def _sum_chunks(a):
    # Serial on purpose: a parallel loop here saved 2 ms a month alone but ends in a
    # wait for every thread, which halved throughput when sweep workers share cores.
    out = np.zeros(a.shape[1:], dtype=a.dtype)
    for c in range(a.shape[0]):
        out += a[c]
    return out


@njit(cache=True, nogil=True)
def _static_chunk(fam, c, start, stop, pupils, early_years, roll, special_roll, provider_roll):
    active, la_col, quintile, year_col = fam.active, fam.la, fam.quintile, fam.year
    setting_col, school_col, provider_col = fam.setting, fam.school, fam.provider
    for i in range(start, stop):
        if active[i] == 0:
            continue
        setting = setting_col[i]
        if setting == S.SPECIAL:
            special_roll[c, provider_col[i]] += 1
        elif setting == S.INDEPENDENT:
            provider_roll[c, provider_col[i]] += 1
        if year_col[i] >= S.SCHOOL_YEARS:
            continue
        if year_col[i] < 0:
            early_years[c, la_col[i], 0] += 1.0
            early_years[c, la_col[i], quintile[i]] += 1.0
            continue
        pupils[c, la_col[i], 0] += 1.0
        pupils[c, la_col[i], quintile[i]] += 1.0
        if setting == S.MAINSTREAM:
            roll[c, school_col[i]] += 1.0


def count_static(fam, n_la: int, n_school: int, n_special: int,
                 n_provider: int) -> tuple[np.ndarray, ...]:
    """Pupils, mainstream school rolls, specialist rolls and children in early years:
    one pass over all rows.

    These change only in September (cohorts move, leave and arrive) and when a child
    leaves mainstream for a specialist place (the placement updates the rolls), so the
    model counts them then rather than every month.

    Returns:
        (pupils [la, quintile 0..5], roll [school], special_roll [special school],
        provider_roll [independent provider], early_years [la, quintile 0..5]); the
        specialist rolls count children of any age, pupils Reception to Year 13 and
        early years the children before Reception.
    """
    # Allocated here, not in the parallel function, where numba would fill them in
    # parallel loops of their own.
    pupils = np.zeros((N_CHUNKS, n_la, 6))
    early_years = np.zeros((N_CHUNKS, n_la, 6))
    roll = np.zeros((N_CHUNKS, n_school))
    special_roll = np.zeros((N_CHUNKS, n_special), dtype=np.int64)
    provider_roll = np.zeros((N_CHUNKS, n_provider), dtype=np.int64)
    over_row_chunks(fam.active.shape[0], N_CHUNKS, lambda c, start, stop: _static_chunk(
        fam, c, start, stop, pupils, early_years, roll, special_roll, provider_roll))
    # Whole counts (exact in float64), so the order of adding does not matter.
    return tuple(a.sum(axis=0) for a in (pupils, roll, special_roll, provider_roll,
                                         early_years))


def count(fam, rows: np.ndarray, n_la: int, n_school: int, n_special: int, n_provider: int,
          special_gbp: float, transport_gbp: float, tribunal_gbp: float,
          threshold_units: float, fees: np.ndarray, cost_factor: float = 1.0,
          progress_gain: float | None = None, partials: tuple | None = None):
    """Count the month's busy families (stocks, flows and spend).

    Args:
        fam: The family columns.
        rows: The busy rows (:func:`sendabm.core.kernels.family_month.family_month`); every
            other child has no need and no case and contributes only to the static
            counts (:func:`count_static`), which the caller adds.
        n_la, n_school, n_special, n_provider: Sizes of the institution arrays.
        special_gbp: Yearly cost of a state special place (place funding + top-up), GBP.
        transport_gbp: Yearly transport cost per child placed out of mainstream, GBP.
        tribunal_gbp: LA cost of one appeal, GBP.
        threshold_units: Notional SEN threshold, need units.
        fees: Yearly fee of each independent provider, GBP.
        cost_factor: Nominal cost level relative to 2014 (applied to plan top-ups; the
            other costs are passed already inflated).
        progress_gain: If given, phase 8 (outcomes) is applied to each row just before
            it is counted, with this ``p.progress_gain`` (SD units per month of wholly
            unmet need); the rows' progress and wellbeing columns are updated.
        partials: Buffers from :func:`partial_sums` for these sizes (allocated here if
            None).

    Returns:
        (la_totals [measure, la, quintile 0..5], school_totals [measure, school],
        special_roll [special], provider_roll [provider]); money is GBP this month.
    """
    shapes = ((N_CHUNKS, len(LA_MEASURES), n_la, 6), (N_CHUNKS, len(SCHOOL_TOTALS), n_school),
              (N_CHUNKS, n_special), (N_CHUNKS, n_provider))
    if partials is None or tuple(a.shape for a in partials) != shapes:
        partials = partial_sums(n_la, n_school, n_special, n_provider)
    money = np.array([special_gbp, transport_gbp, tribunal_gbp, threshold_units, cost_factor])
    with_outcomes = progress_gain is not None
    fees, gain = fees.astype(np.float64), float(progress_gain) if with_outcomes else 0.0
    acc, school_acc, special_roll, provider_roll = partials
    over_row_chunks(rows.shape[0], N_CHUNKS, lambda c, start, stop: _count_chunk(
        fam, rows, c, start, stop, acc, school_acc, special_roll, provider_roll, money, fees,
        EVENT_BITS, EVENT_SLOTS, EVENT_KINDS, gain, with_outcomes))
    # Summed as (chunk, cell) matrices: one compile per dtype instead of one per shape.
    return tuple(_sum_chunks(a.reshape(a.shape[0], -1)).reshape(a.shape[1:]) for a in partials)
