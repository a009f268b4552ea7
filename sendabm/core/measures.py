"""Measures: from raw family counts to the outputs of the results contract (DESIGN §4).

:func:`derive` turns the totals counted by :mod:`sendabm.core.kernels.aggregate` (for one LA
x quintile cell, or summed over England) into counts at England scale, shares, means
and the adversarial index. The same function serves the national series and the
panel, so the two always agree.

Adversarial index (dimensionless, 100 = the system as it was in 2014/15): the mean of
three ratios to their 2014/15 levels,

* appeal rate: appeals registered over the last 12 months per EHC plan, over 1.2%
  (Isos 2024: the appeal rate rose from 1.2% to 2.3%);
* refusal share: assessment requests refused over requests in the last 12 months,
  over 22% (SEN2 2019-2022);
* distrust: 1 - families' mean trust in their LA, over 0.25 (the starting trust 0.75),

times 100.
"""

from __future__ import annotations

import numpy as np

from sendabm.core.kernels.aggregate import LA_MEASURES, M

APPEAL_RATE_2014 = 0.012
REFUSAL_SHARE_2014 = 0.22
DISTRUST_2014 = 0.25

COUNTS = (
    "pupils", "sen_support", "ehc_plans", "ehc_plans_school_age", "placements_mainstream",
    "placements_special", "placements_independent", "placements_further_education",
    "awaiting_place", "assessing", "tribunal_backlog", "with_need",
    "assessment_requests", "school_requests", "assessments_refused", "plans_refused",
    "placements_refused", "plans_issued", "plans_issued_within_20_weeks", "mediations",
    "mediation_agreements", "appeals_registered", "appeals_conceded", "hearings",
    "hearings_won_by_family", "placed_special", "placed_independent", "disputes_dropped",
    "assessments_completed", "decisions_not_followed",
)
SPEND = ("spend_mainstream_topup_gbp", "spend_special_gbp", "spend_independent_gbp",
         "spend_further_education_gbp", "spend_transport_gbp", "spend_tribunal_gbp",
         "spend_other_high_needs_gbp", "spend_core_offer_gbp")


def _ratio(num, den):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def derive(totals: np.ndarray, last_year: np.ndarray, scale: float) -> dict[str, np.ndarray]:
    """Measures from totals.

    Args:
        totals: This month's totals, shape (len(LA_MEASURES), ...).
        last_year: Totals summed over the last 12 months (same shape), for the rates.
        scale: Share of England modelled; counts and money are divided by it.

    Returns:
        Measure name -> array of the trailing shape of ``totals``.
    """
    t = {name: totals[k] for k, name in enumerate(LA_MEASURES)}
    y = {name: last_year[k] for k, name in enumerate(LA_MEASURES)}
    out = {name: t[name] / scale for name in COUNTS}
    for name in SPEND:
        out[name] = t[name] / scale
    out["high_needs_spend_gbp"] = sum(out[name] for name in SPEND)
    out["share_sen_support"] = _ratio(t["sen_support"], t["pupils"])
    out["share_ehcp_school_age"] = _ratio(t["ehc_plans_school_age"], t["pupils"])
    out["mean_need"] = _ratio(t["need_sum"], t["with_need"])
    out["mean_unmet_need"] = _ratio(t["unmet_sum"], t["with_need"])
    out["mean_trust_in_la"] = _ratio(t["trust_la_sum"], t["with_need"])
    out["mean_trust_in_school"] = _ratio(t["trust_school_sum"], t["trust_school_n"])
    out["mean_progress"] = _ratio(t["progress_sum"], t["with_need"])
    out["mean_wellbeing"] = _ratio(t["wellbeing_sum"], t["with_need"])
    out["appeal_rate"] = _ratio(y["appeals_registered"], t["ehc_plans"])
    out["refusal_share"] = _ratio(y["assessments_refused"], y["assessment_requests"])
    out["share_within_20_weeks"] = _ratio(y["plans_issued_within_20_weeks"], y["plans_issued"])
    out["share_hearings_won_by_family"] = _ratio(y["hearings_won_by_family"], y["hearings"])
    out["share_independent"] = _ratio(t["placements_independent"], t["ehc_plans"])
    out["adversarial_index"] = adversarial_index(
        out["appeal_rate"], out["refusal_share"], out["mean_trust_in_la"])
    return out


def adversarial_index(appeal_rate, refusal_share, trust_in_la):
    """The documented composite of dispute measures (100 = 2014/15 levels)."""
    parts = (np.nan_to_num(appeal_rate) / APPEAL_RATE_2014,
             np.nan_to_num(refusal_share) / REFUSAL_SHARE_2014,
             (1.0 - np.nan_to_num(trust_in_la, nan=1.0 - DISTRUST_2014)) / DISTRUST_2014)
    return 100.0 * sum(parts) / 3.0


NATIONAL_ORDER = (
    "pupils", "sen_support", "ehc_plans", "placements_mainstream", "placements_special",
    "placements_independent", "assessment_requests", "assessments_refused", "plans_issued",
    "plans_issued_within_20_weeks", "mediations", "appeals_registered", "appeals_conceded",
    "hearings", "hearings_won_by_family", "high_needs_allocation_gbp", "high_needs_spend_gbp",
    "cumulative_deficit_gbp", "las_deficit_over_reserves", "mean_unmet_need",
    "mean_trust_in_la", "mean_trust_in_school", "adversarial_index",
)
"""The measures the results contract requires first in national.csv, in order."""

__all__ = ["derive", "adversarial_index", "NATIONAL_ORDER", "COUNTS", "SPEND", "M"]
