"""Counting: one pass over all families into per-LA x quintile, per-school and
per-provider totals (stocks, this month's event flows and this month's spend).

Rows are split into a fixed number of chunks, each summed serially and then added in
chunk order, so the totals (floats included) are bit-identical for any thread count.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sendabm import states as S

LA_MEASURES = (
    "pupils", "sen_support", "ehc_plans", "ehc_plans_school_age",
    "placements_mainstream", "placements_special", "placements_independent",
    "placements_further_education", "awaiting_place", "assessing", "tribunal_backlog",
    "with_need", "need_sum", "unmet_sum", "trust_la_sum", "trust_school_sum", "trust_school_n",
    "progress_sum", "wellbeing_sum",
    "assessment_requests", "school_requests", "assessments_refused", "plans_refused",
    "placements_refused", "plans_issued", "plans_issued_within_20_weeks", "mediations",
    "mediation_agreements", "appeals_registered", "appeals_conceded", "hearings",
    "hearings_won_by_family", "placed_special", "placed_independent", "disputes_dropped",
    "assessments_completed",
    "spend_mainstream_topup_gbp", "spend_special_gbp", "spend_independent_gbp",
    "spend_further_education_gbp", "spend_transport_gbp", "spend_tribunal_gbp",
)
"""Totals kept per LA and family-resources quintile (index 0 = all quintiles)."""
M = {name: k for k, name in enumerate(LA_MEASURES)}
# Integer slots (numba cannot read a dict at compile time).
K_PUPILS = 0
K_SEN_SUPPORT = 1
K_EHC_PLANS = 2
K_EHC_PLANS_SCHOOL_AGE = 3
K_PLACEMENTS_MAINSTREAM = 4
K_PLACEMENTS_SPECIAL = 5
K_PLACEMENTS_INDEPENDENT = 6
K_PLACEMENTS_FURTHER_EDUCATION = 7
K_AWAITING_PLACE = 8
K_ASSESSING = 9
K_TRIBUNAL_BACKLOG = 10
K_WITH_NEED = 11
K_NEED_SUM = 12
K_UNMET_SUM = 13
K_TRUST_LA_SUM = 14
K_TRUST_SCHOOL_SUM = 15
K_TRUST_SCHOOL_N = 16
K_PROGRESS_SUM = 17
K_WELLBEING_SUM = 18
K_ASSESSMENT_REQUESTS = 19
K_SCHOOL_REQUESTS = 20
K_ASSESSMENTS_REFUSED = 21
K_PLANS_REFUSED = 22
K_PLACEMENTS_REFUSED = 23
K_PLANS_ISSUED = 24
K_PLANS_ISSUED_WITHIN_20_WEEKS = 25
K_MEDIATIONS = 26
K_MEDIATION_AGREEMENTS = 27
K_APPEALS_REGISTERED = 28
K_APPEALS_CONCEDED = 29
K_HEARINGS = 30
K_HEARINGS_WON_BY_FAMILY = 31
K_PLACED_SPECIAL = 32
K_PLACED_INDEPENDENT = 33
K_DISPUTES_DROPPED = 34
K_ASSESSMENTS_COMPLETED = 35
K_SPEND_MAINSTREAM_TOPUP_GBP = 36
K_SPEND_SPECIAL_GBP = 37
K_SPEND_INDEPENDENT_GBP = 38
K_SPEND_FURTHER_EDUCATION_GBP = 39
K_SPEND_TRANSPORT_GBP = 40
K_SPEND_TRIBUNAL_GBP = 41

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
)
EVENT_BITS = np.array([b for b, _ in _EVENT_MEASURES], dtype=np.int64)
EVENT_SLOTS = np.array([k for _, k in _EVENT_MEASURES], dtype=np.int64)

SCHOOL_MEASURES = ("roll", "sen", "sen_demand", "trust_sum", "trust_n")
"""Totals kept per mainstream school."""
N_CHUNKS = 32
"""Fixed number of row chunks: partial sums never depend on the thread count."""



@njit(cache=True, inline="always")
def _add(acc, c, k, la, q, value):
    acc[c, k, la, 0] += value
    acc[c, k, la, q] += value


@njit(cache=True, inline="always")
def _count_row(fam, i, c, acc, school_acc, special_roll, provider_roll, money, fees,
               event_bits, event_slots):
    la = fam.la[i]
    q = fam.quintile[i]
    year = fam.year[i]
    sen = fam.sen[i]
    setting = fam.setting[i]
    need = np.float64(fam.need[i])
    if year < S.SCHOOL_YEARS:
        _add(acc, c, K_PUPILS, la, q, 1.0)
    if sen == S.SEN_SUPPORT:
        _add(acc, c, K_SEN_SUPPORT, la, q, 1.0)
    if sen == S.EHCP:
        _add(acc, c, K_EHC_PLANS, la, q, 1.0)
        if year < S.SCHOOL_YEARS:
            _add(acc, c, K_EHC_PLANS_SCHOOL_AGE, la, q, 1.0)
        topup_gbp = np.float64(fam.topup[i]) * 10000.0 / 12.0
        if setting == S.MAINSTREAM:
            _add(acc, c, K_PLACEMENTS_MAINSTREAM, la, q, 1.0)
            _add(acc, c, K_SPEND_MAINSTREAM_TOPUP_GBP, la, q, topup_gbp)
        elif setting == S.FURTHER_EDUCATION:
            _add(acc, c, K_PLACEMENTS_FURTHER_EDUCATION, la, q, 1.0)
            _add(acc, c, K_SPEND_FURTHER_EDUCATION_GBP, la, q, topup_gbp)
    if setting == S.SPECIAL:
        _add(acc, c, K_PLACEMENTS_SPECIAL, la, q, 1.0)
        _add(acc, c, K_SPEND_SPECIAL_GBP, la, q, money[0] / 12.0)
        _add(acc, c, K_SPEND_TRANSPORT_GBP, la, q, money[1] / 12.0)
        special_roll[c, fam.provider[i]] += 1
    elif setting == S.INDEPENDENT:
        _add(acc, c, K_PLACEMENTS_INDEPENDENT, la, q, 1.0)
        _add(acc, c, K_SPEND_INDEPENDENT_GBP, la, q, fees[fam.provider[i]] / 12.0)
        _add(acc, c, K_SPEND_TRANSPORT_GBP, la, q, money[1] / 12.0)
        provider_roll[c, fam.provider[i]] += 1
    stage = fam.stage[i]
    if stage == S.AWAITING_PLACE:
        _add(acc, c, K_AWAITING_PLACE, la, q, 1.0)
    elif stage == S.ASSESSING:
        _add(acc, c, K_ASSESSING, la, q, 1.0)
    elif stage == S.APPEALING:
        _add(acc, c, K_TRIBUNAL_BACKLOG, la, q, 1.0)
    events = fam.events[i]
    if events != 0:
        for k in range(event_bits.shape[0]):
            if events & event_bits[k]:
                _add(acc, c, event_slots[k], la, q, 1.0)
        if events & S.EV_APPEAL:
            _add(acc, c, K_SPEND_TRIBUNAL_GBP, la, q, money[2])
    s = fam.school[i]
    if setting == S.MAINSTREAM and year < S.SCHOOL_YEARS:
        school_acc[c, 0, s] += 1.0
        if sen != S.SEN_NONE:
            school_acc[c, 1, s] += 1.0
            school_acc[c, 2, s] += min(need, money[3])
    if need > 0.0:
        _add(acc, c, K_WITH_NEED, la, q, 1.0)
        _add(acc, c, K_NEED_SUM, la, q, need)
        _add(acc, c, K_UNMET_SUM, la, q, np.float64(fam.unmet[i]))
        _add(acc, c, K_TRUST_LA_SUM, la, q, np.float64(fam.trust_la[i]))
        _add(acc, c, K_PROGRESS_SUM, la, q, np.float64(fam.progress[i]))
        _add(acc, c, K_WELLBEING_SUM, la, q, np.float64(fam.wellbeing[i]))
        if setting == S.MAINSTREAM and year < S.SCHOOL_YEARS:
            trust = np.float64(fam.trust_school[i])
            _add(acc, c, K_TRUST_SCHOOL_SUM, la, q, trust)
            _add(acc, c, K_TRUST_SCHOOL_N, la, q, 1.0)
            school_acc[c, 3, s] += trust
            school_acc[c, 4, s] += 1.0


@njit(cache=True, parallel=True)
def _count_chunks(fam, n_la, n_school, n_special, n_provider, money, fees, event_bits,
                  event_slots):
    n = fam.active.shape[0]
    size = (n + N_CHUNKS - 1) // N_CHUNKS
    acc = np.zeros((N_CHUNKS, len(LA_MEASURES), n_la, 6))
    school_acc = np.zeros((N_CHUNKS, len(SCHOOL_MEASURES), n_school))
    special_roll = np.zeros((N_CHUNKS, n_special), dtype=np.int64)
    provider_roll = np.zeros((N_CHUNKS, n_provider), dtype=np.int64)
    for c in prange(N_CHUNKS):
        for i in range(c * size, min(n, (c + 1) * size)):
            if fam.active[i]:
                _count_row(fam, i, c, acc, school_acc, special_roll, provider_roll, money,
                           fees, event_bits, event_slots)
    return acc, school_acc, special_roll, provider_roll


@njit(cache=True)
def _sum_chunks(a):
    out = np.zeros(a.shape[1:], dtype=a.dtype)
    for c in range(a.shape[0]):
        out += a[c]
    return out


def count(fam, n_la: int, n_school: int, n_special: int, n_provider: int,
          special_gbp: float, transport_gbp: float, tribunal_gbp: float,
          threshold_units: float, fees: np.ndarray):
    """Count every active family.

    Args:
        fam: The family columns.
        n_la, n_school, n_special, n_provider: Sizes of the institution arrays.
        special_gbp: Yearly cost of a state special place (place funding + top-up), GBP.
        transport_gbp: Yearly transport cost per child placed out of mainstream, GBP.
        tribunal_gbp: LA cost of one appeal, GBP.
        threshold_units: Notional SEN threshold, need units.
        fees: Yearly fee of each independent provider, GBP.

    Returns:
        (la_totals [measure, la, quintile 0..5], school_totals [measure, school],
        special_roll [special], provider_roll [provider]); money is GBP this month.
    """
    money = np.array([special_gbp, transport_gbp, tribunal_gbp, threshold_units])
    acc, school_acc, special_roll, provider_roll = _count_chunks(
        fam, n_la, n_school, n_special, n_provider, money, fees.astype(np.float64),
        EVENT_BITS, EVENT_SLOTS)
    return (_sum_chunks(acc), _sum_chunks(school_acc), _sum_chunks(special_roll),
            _sum_chunks(provider_roll))
