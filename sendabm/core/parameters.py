"""Every model parameter in one place: default, unit, valid range and source.

A parameter has exactly one home, here. Scenario files may override any of them by
name under ``[parameters]``; an unknown name or an out-of-range value is rejected
before anything runs (see :mod:`sendabm.core.scenario`).

Units: money in pounds (GBP) per year unless stated; rates are per month unless
the name ends in ``_per_year``; ``need`` is measured in *need units*, where one unit
is the support that costs £10,000 a year to provide (so the £6,000 notional SEN
threshold is 0.6 units). Probabilities and shares are in [0, 1].
"""

from __future__ import annotations

import math
import re
from collections import namedtuple
from dataclasses import dataclass, replace
from typing import Any

from sendabm.core import calibrated

NEED_UNIT_GBP = 10_000.0
"""Pounds per year of support that one need unit represents."""


@dataclass(frozen=True)
class Param:
    """One model parameter.

    Attributes:
        name: Unique key, as written in scenario files.
        default: Default value (float, int or str).
        unit: Physical unit, e.g. "GBP/year", "1/month", "share".
        low: Smallest valid value (inclusive), or None for unbounded / categorical.
        high: Largest valid value (inclusive), or None.
        source: Citation for the default, or "assumption: ..." with the reasoning.
        group: The process that owns it (needs, school, family, la, tribunal, market,
            money, outcomes, population).
        choices: Allowed values for categorical parameters.
        doc: What it does, in one sentence.
    """

    name: str
    default: Any
    unit: str
    low: float | None
    high: float | None
    source: str
    group: str
    doc: str
    choices: tuple[Any, ...] | None = None

    def check(self, value: Any) -> str | None:
        """Return an error message if ``value`` is invalid, else None."""
        if isinstance(self.default, str) and self.choices is None:
            if not (isinstance(value, str) and re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value)):
                return f"parameter '{self.name}' = {value!r} must be a month as 'YYYY-MM'"
            return None
        if self.choices is not None:
            if value not in self.choices:
                return (
                    f"parameter '{self.name}' = {value!r} is not valid; "
                    f"choose one of: {', '.join(map(str, self.choices))}"
                )
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"parameter '{self.name}' must be a number ({self.unit}), got {value!r}"
        if not math.isfinite(value):
            return f"parameter '{self.name}' must be a finite number ({self.unit}), got {value!r}"
        if isinstance(self.default, int) and not float(value).is_integer():
            return f"parameter '{self.name}' must be a whole number ({self.unit}), got {value!r}"
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            return (
                f"parameter '{self.name}' = {value!r} is out of range; "
                f"valid range is [{self.low}, {self.high}] {self.unit}"
            )
        return None


def _p(name, default, unit, low, high, group, source, doc, choices=None) -> Param:
    return Param(name, default, unit, low, high, source, group, doc, choices)


_ALL: list[Param] = [
    # --- needs ------------------------------------------------------------------
    _p("need_onset_per_year", 0.018, "1/year", 0.0, 0.2, "needs",
       "assumption: gives ~15% of pupils with some identified need by age 11, "
       "as in the 2015 school census (SEN 15.4%)",
       "Yearly hazard that a child without SEN develops a need, at age 5."),
    _p("need_onset_age_slope", 0.04, "1/year of age", -0.2, 0.5, "needs",
       "assumption: identification peaks in Key Stage 2 (DfE SEN in England by age)",
       "Relative change in onset hazard per year of age after Reception."),
    _p("prevalence_trend_per_year", 0.03, "1/year", -0.1, 0.2, "needs",
       "uncertainty: autism and SEMH identification rose about 3-6% a year "
       "2015-2024 (DfE SEN in England)",
       "Yearly growth of the onset hazard after 2014 (identification trend)."),
    _p("need_at_entry", 0.05, "share", 0.0, 1.0, "needs",
       "assumption: ~5% of Reception children have SEN identified in early years (DfE SEN 2015)",
       "Share of children who arrive in Reception with a need."),
    _p("need_severity_median", 0.25, "need units", 0.01, 5.0, "needs",
       "assumption: median SEN support costs ~£2,500 a year",
       "Median severity of a newly emerged need (lognormal)."),
    _p("need_severity_sigma", 1.1, "log need units", 0.1, 3.0, "needs",
       "assumption: ~10% of needs exceed 1 unit, matching EHC plans as ~18% of SEN",
       "Spread (sd of log) of new need severity."),
    _p("need_drift_sd", 0.02, "log need units/month", 0.0, 0.5, "needs",
       "assumption", "Monthly random drift of log severity."),
    _p("unmet_escalation", 0.02, "1/month", 0.0, 0.5, "needs",
       "assumption: unmet need worsens needs (Isos 2024; NCB on early intervention)",
       "Monthly growth of severity per unit of unmet-need ratio."),
    _p("need_resolve_per_year", 0.05, "1/year", 0.0, 1.0, "needs",
       "assumption: some mild needs resolve (SEN support churn in census)",
       "Yearly chance that a mild need (< 0.2 units) with no unmet need resolves."),
    # --- schools ------------------------------------------------------------------
    _p("notional_sen_budget_per_pupil", 520.0, "GBP/year per pupil", 0.0, 5000.0, "school",
       "assumption: notional SEN budgets are ~10% of the schools block "
       "(~£5,200 per pupil, DfE schools block 2015/16)",
       "Notional SEN budget of a mainstream school per pupil on roll."),
    _p("notional_threshold_gbp", 6000.0, "GBP/year per pupil", 0.0, 30000.0, "school",
       "DfE high needs operational guide: schools fund the first £6,000",
       "Additional support a school funds from its notional budget before LA top-up."),
    _p("school_funding_real_growth_per_year", -0.01, "1/year", -0.1, 0.1, "school",
       "IFS 2019: school spending per pupil fell ~8% in real terms 2009-2019",
       "Real-terms yearly change of school budgets per pupil."),
    _p("ordinarily_available_units", 0.12, "need units", 0.0, 2.0, "school",
       "assumption: quality-first teaching adjusts for mild needs at no extra cost",
       "Support a fully inclusive school provides to every child from its core budget."),
    _p("identification_per_month", 0.08, "1/month", 0.0, 1.0, "school",
       "assumption: a need is identified within about a year on average",
       "Chance per month that a school records a child's need as SEN support."),
    _p("inclusiveness_initial", 0.7, "share", 0.0, 1.0, "school",
       "assumption", "Mean inclusiveness of mainstream schools in 2014."),
    _p("accountability_pressure", 0.03, "1/year", 0.0, 1.0, "school",
       "assumption: Progress 8 and league tables reward less inclusive schools "
       "(Isos 2024, Solihull PCV)",
       "Yearly push away from inclusion per unit of SEN share above the LA mean."),
    _p("budget_stress_response", 0.06, "1/year", 0.0, 1.0, "school",
       "assumption", "Yearly fall of inclusiveness per unit of SEN budget shortfall."),
    _p("school_request_per_month", 0.01, "1/month", 0.0, 1.0, "school",
       "assumption: schools initiate a minority of EHC needs assessment requests",
       "Chance per month a school requests an assessment for a child over the threshold."),
    # --- families -----------------------------------------------------------------
    _p("trust_initial", 0.75, "share", 0.0, 1.0, "family", "assumption",
       "Families' initial trust in their mainstream school and LA."),
    _p("trust_learning_rate", 0.08, "1/month", 0.0, 1.0, "family", "assumption",
       "Monthly adjustment of trust towards what families experience."),
    _p("peer_weight", 0.2, "share", 0.0, 1.0, "family",
       "assumption: parents share experience through forums and networks",
       "Weight of peers' (same school and LA) mean trust in a family's own trust."),
    _p("request_base_per_month", 0.0015, "1/month", 0.0, 1.0, "family",
       "assumption, calibrated later against SEN2 requests",
       "Base monthly chance a family with SEN requests an EHC needs assessment."),
    _p("request_unmet_weight", 2.0, "logit per unmet ratio", 0.0, 20.0, "family",
       "assumption", "Effect of unmet need on the request propensity."),
    _p("request_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0, "family",
       "assumption", "Effect of distrust in the school on the request propensity."),
    _p("request_resources_weight", 1.5, "logit per unit resources", 0.0, 20.0, "family",
       "assumption: better-resourced families navigate the system more (NAO 2019)",
       "Effect of family resources on requests and appeals."),
    _p("request_severity_weight", 1.0, "logit per need unit", 0.0, 20.0, "family",
       "assumption", "Effect of need severity on the request propensity."),
    _p("appeal_base_logit", -4.3, "logit", -10.0, 10.0, "family",
       "assumption; appeal rate ~1.2% of plans 2014/15 (Isos 2024)",
       "Baseline log-odds of appealing a refusal."),
    _p("appeal_success_weight", 3.0, "logit per unit expected success", 0.0, 20.0, "family",
       "assumption: families learn from peers' appeal outcomes",
       "Effect of expected success on the appeal propensity."),
    _p("appeal_cost_weight", 1.0, "logit", 0.0, 20.0, "family",
       "assumption", "Effort and cost of appealing, as a deterrent."),
    _p("appeal_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0, "family",
       "assumption: parents who distrust the LA are readier to challenge it (Isos 2024)",
       "Effect of distrust in the LA on the appeal propensity."),
    _p("appeal_severity_weight", 0.5, "logit per need unit", 0.0, 20.0, "family",
       "assumption: parents (and their advisers) pursue appeals where the child's need is "
       "plainly greater; weak cases are advised against",
       "Effect of need severity on the appeal propensity."),
    _p("appeal_assess_shift", 0.0, "logit", -6.0, 3.0, "family",
       "assumption: most appeals are about the content or placement of a plan; a family "
       "refused an assessment can ask again in six months, so fewer contest that refusal "
       "(MoJ SEND appeals by type)",
       "Shift of the appeal log-odds when the refusal is of an assessment (0: the same "
       "propensity as for plans and placements)."),
    _p("expected_success_initial", 0.5, "share", 0.0, 1.0, "family",
       "assumption: in 2014 few parents knew how often appeals succeed",
       "Appeal success parents expect at the start."),
    _p("success_learning_rate", 0.3, "share/year", 0.0, 1.0, "family",
       "assumption", "Yearly weight of observed appeal outcomes in parents' expectations."),
    _p("mediation_uptake", 0.3, "share", 0.0, 1.0, "family",
       "MoJ/SEN2: about a quarter of disputes go to mediation",
       "Share of disputing families that try mediation first."),
    _p("special_preference_weight", 2.5, "logit", 0.0, 20.0, "family",
       "assumption: lost trust in mainstream drives demand for special places (Isos 2024)",
       "Effect of unmet need and distrust on wanting a special setting."),
    _p("special_preference_base_logit", -6.0, "logit", -20.0, 5.0, "family",
       "assumption", "Baseline log-odds per month of asking for a special setting."),
    # --- local authorities -------------------------------------------------------
    _p("assess_threshold_initial", 0.5, "need units", 0.0, 5.0, "la",
       "assumption: LAs agreed ~77% of requests 2019-22 (SEN2)",
       "Perceived need above which an LA agrees to assess in 2014."),
    _p("plan_threshold_initial", 0.65, "need units", 0.0, 5.0, "la",
       "assumption", "Perceived need above which an LA issues a plan in 2014."),
    _p("special_threshold", 1.1, "need units", 0.0, 10.0, "la",
       "assumption: special placements for the most complex needs",
       "Need above which an LA agrees to name a special setting."),
    _p("la_observation_sd", 0.35, "log need units", 0.0, 3.0, "la",
       "assumption", "Noise in an LA's reading of a child's need."),
    _p("gatekeeping_response", 0.06, "need units/year", 0.0, 2.0, "la",
       "assumption: LAs tighten thresholds under deficit pressure (Isos 2024)",
       "Yearly rise of thresholds per unit of overspend ratio."),
    _p("gatekeeping_relax", 0.05, "need units/year", 0.0, 2.0, "la",
       "assumption", "Yearly fall of thresholds per unit of tribunal loss rate."),
    _p("practice_diffusion", 0.2, "share/year", 0.0, 1.0, "la",
       "assumption: statistical neighbours copy practice",
       "Yearly pull of an LA's thresholds towards its neighbours' mean."),
    _p("assessments_per_ep_month", 3.0, "assessments/FTE/month", 0.1, 50.0, "la",
       "assumption", "EHC needs assessments one educational-psychologist FTE completes a month."),
    _p("ep_fte_per_10k_pupils", 1.2, "FTE/10,000 pupils", 0.0, 20.0, "la",
       "assumption: ~2,200 LA EPs in England (DfE EP workforce 2023)",
       "LA educational psychologist capacity."),
    _p("ep_growth_per_year", 0.0, "1/year", -0.2, 0.5, "la",
       "assumption: EP workforce flat in the historical period",
       "Yearly growth of EP capacity."),
    _p("concede_base_per_month", 0.25, "1/month", 0.0, 1.0, "la",
       "MoJ: ~75% of appeals listed settle or are conceded before hearing",
       "Monthly chance an LA concedes a pending appeal it judges weak."),
    _p("reserves_gbp_per_pupil", 150.0, "GBP/pupil", 0.0, 5000.0, "money",
       "assumption: DSG reserves were small positive balances in 2014",
       "LA reserves against which the high-needs deficit is compared."),
    _p("statutory_override_end", "2028-03", "YYYY-MM", None, None, "money",
       "DfE: statutory override extended to March 2028",
       "Month after which deficits count against LA reserves."),
    # --- tribunal -----------------------------------------------------------------
    _p("legal_threshold", 0.2, "need units", 0.0, 5.0, "tribunal",
       "Children and Families Act 2014 s36: 'may need' — a low legal bar",
       "Need above which the tribunal finds for the family."),
    _p("tribunal_decision_sd", 0.2, "need units", 0.01, 5.0, "tribunal",
       "assumption", "Spread of tribunal judgements around the legal threshold."),
    _p("hearings_per_month_per_million_pupils", 60.0, "hearings/month/1M pupils", 0.0, 10000.0,
       "tribunal", "assumption: ~2,000-4,000 hearings a year 2015-2022 (MoJ)",
       "Tribunal hearing capacity."),
    _p("tribunal_capacity_growth_per_year", 0.08, "1/year", -0.5, 1.0, "tribunal",
       "assumption: judicial capacity grew with demand",
       "Yearly growth of hearing capacity."),
    _p("tribunal_plan_bar_factor", 1.5, "ratio", 0.1, 10.0, "tribunal",
       "assumption: issuing a plan ('necessary') is a higher bar than assessing ('may need')",
       "Tribunal bar for refusal-to-issue appeals, relative to the legal threshold."),
    _p("tribunal_placement_bar_factor", 0.5, "ratio", 0.1, 10.0, "tribunal",
       "assumption: the tribunal weighs parental preference and suitability",
       "Tribunal bar for placement appeals, relative to the LA's special threshold."),
    _p("concede_merit_weight", 0.5, "share", 0.0, 1.0, "la",
       "assumption: LAs' legal teams settle partly on the merits and partly on cost",
       "How far an LA's chance of conceding an appeal rises with the case's merit (0: "
       "not at all; 1: only strong cases are conceded)."),
    _p("trust_kept_on_refusal", 0.7, "share", 0.0, 1.0, "la",
       "assumption: a refusal is the moment families most often describe losing trust "
       "(Isos 2024; parent-carer forum evidence)",
       "Share of a family's trust in the LA kept after a refusal."),
    _p("trust_kept_on_loss", 0.8, "share", 0.0, 1.0, "la",
       "assumption", "Share of a family's trust in the LA kept after losing an appeal or "
       "an unfollowed decision."),
    _p("trust_gain_on_plan", 0.3, "share", 0.0, 1.0, "la",
       "assumption", "Share of the gap to full trust in the LA a family closes when a plan "
       "is issued."),
    _p("mediation_agree", 0.3, "share", 0.0, 1.0, "la",
       "assumption: SEN2 reports a minority of mediations end in agreement",
       "Chance an LA agrees in mediation (scaled by the case's merit)."),
    _p("wait_before_independent", 6, "months", 0, 36, "la",
       "assumption", "Months an LA waits for a state special place before buying independent."),
    _p("months_to_hearing_min", 4, "months", 0, 24, "tribunal",
       "MoJ: target of 12 weeks to hearing, typically exceeded",
       "Earliest hearing after an appeal is registered."),
    _p("cost_inflation_per_year", 0.025, "1/year", -0.1, 0.3, "money",
       "assumption: nominal pay and price growth ~2.5% a year 2014-2024 (ONS CPI, STRB awards)",
       "Yearly growth of nominal unit costs (top-ups, place costs, transport, fees)."),
    _p("other_high_needs_gbp_per_pupil", 110.0, "GBP/pupil/year", 0.0, 5000.0, "money",
       "assumption: alternative provision, hospital education and central SEN services took "
       "~£0.9bn of the 2014/15 high-needs block (DfE s251 outturn)",
       "High-needs spend not tied to individual plans, per pupil, in 2014 prices."),
    _p("assessment_capacity_response", 0.3, "share/year", 0.0, 1.0, "la",
       "assumption: LAs buy in EP and caseworker time as assessment queues grow",
       "Share of the gap between assessment demand and capacity an LA closes each year."),
    _p("tribunal_cost_gbp", 6000.0, "GBP/appeal", 0.0, 100000.0, "money",
       "LA defence ~£60m/year for ~10,000 appeals (2020/21-2021/22)",
       "LA cost of defending one appeal."),
    # --- market -------------------------------------------------------------------
    _p("special_place_funding_gbp", 10000.0, "GBP/place/year", 0.0, 100000.0, "money",
       "DfE high-needs place funding", "Place funding per special-school place."),
    _p("special_topup_gbp", 17313.0, "GBP/place/year", 0.0, 200000.0, "money",
       "Lincolnshire FOI 2022/23", "Average LA top-up for a state special place."),
    _p("independent_fee_gbp", 52000.0, "GBP/place/year", 0.0, 500000.0, "money",
       "FOI from 110 LAs, 2015/16", "Average independent special fee in 2014."),
    _p("independent_fee_growth_per_year", 0.025, "1/year", -0.2, 0.5, "market",
       "CCN 2025: ~£60,800 by 2025", "Yearly fee growth when providers are full."),
    _p("independent_initial_need", 3.0, "need units", 0.0, 10.0, "market",
       "assumption: gives ~5% of plans in independent special schools, as in 2021 SEN2",
       "Need above which a child with a plan was in an independent school in 2014."),
    _p("special_vacancy_initial", 0.03, "share of roll", 0.0, 1.0, "market",
       "SCAP 2023: about two thirds of special schools at or over capacity",
       "Spare special places in 2014 as a share of the roll."),
    _p("providers_per_million_pupils", 66.0, "providers/1M pupils", 1.0, 1000.0, "market",
       "~600 independent special schools for ~9.1M pupils", "Independent providers."),
    _p("independent_expansion_per_year", 0.3, "share of unmet demand", 0.0, 5.0, "market",
       "assumption: providers expand where demand is unmet and margins allow",
       "Places added yearly as a share of unplaced referrals."),
    _p("independent_margin", 0.15, "share of fee", -1.0, 1.0, "market",
       "assumption: typical operating margins of large providers",
       "Providers' margin; expansion needs a positive margin."),
    _p("commissioning_lag_years", 3, "years", 0, 10, "market",
       "assumption: new state special provision takes ~3 years",
       "Delay between an LA commissioning special places and their opening."),
    _p("commissioning_share", 0.6, "share of waiting list", 0.0, 5.0, "market",
       "assumption", "State places an LA commissions yearly per child waiting."),
    _p("transport_gbp", 6000.0, "GBP/pupil/year", 0.0, 100000.0, "money",
       "assumption: home-to-school transport for special/independent placements",
       "Yearly transport cost per child placed outside mainstream."),
    _p("topup_rate", 1.0, "share", 0.0, 5.0, "money",
       "Lincolnshire FOI: mainstream top-up ~£8,662",
       "Share of need above the notional threshold the LA funds as mainstream top-up."),
    # --- outcomes -----------------------------------------------------------------
    _p("progress_gain", 0.02, "SD/month", 0.0, 1.0, "outcomes", "assumption",
       "Monthly progress lost per unit of unmet-need ratio."),
    _p("post19_cease_per_year", 0.2, "1/year", 0.0, 1.0, "outcomes",
       "assumption: plans for 19-25s end as young people leave education",
       "Yearly chance a plan for a young person aged 19-25 ceases."),
    _p("post16_fe_share", 0.4, "share", 0.0, 1.0, "outcomes",
       "assumption: many plan holders move to FE colleges at 16 (SEN2 by establishment)",
       "Share of plan holders in mainstream who move to further education at 16."),
    _p("post16_plan_continue", 0.75, "share", 0.0, 1.0, "outcomes",
       "assumption: most plan holders continue in FE after Year 13",
       "Share of plan holders who continue in education after Year 13."),
]

PRIORS: dict[str, Any] = {p.name: p.default for p in _ALL}
"""Each parameter's value before calibration (what its source states)."""


def _calibrate_defaults(params: list[Param]) -> list[Param]:
    """Give the parameters in the shipped calibrated set their calibrated defaults."""
    info, values = calibrated.load()
    if not values:
        return params
    how = f"calibrated ({info.get('date', 'undated')}, sendabm calibrate; see docs/calibration.md)"
    out = []
    for p in params:
        if p.name in values:
            value = values[p.name]
            value = int(round(value)) if isinstance(p.default, int) else float(value)
            p = replace(p, default=value, source=f"{how}; prior {p.default}: {p.source}")
        out.append(p)
    return out


_ALL = _calibrate_defaults(_ALL)
PARAMETERS: dict[str, Param] = {p.name: p for p in _ALL}
"""All parameters by name (defaults as calibrated)."""

GROUPS: tuple[str, ...] = tuple(dict.fromkeys(p.group for p in _ALL))


def defaults() -> dict[str, Any]:
    """Return a fresh dict of every parameter's default value."""
    return {p.name: p.default for p in _ALL}


def validate(values: dict[str, Any]) -> None:
    """Raise ValueError (one line) for the first unknown or invalid parameter."""
    for key, value in values.items():
        param = PARAMETERS.get(key)
        if param is None:
            raise ValueError(unknown_key_message("parameter", key, PARAMETERS))
        problem = param.check(value)
        if problem:
            raise ValueError(problem)


def unknown_key_message(kind: str, key: str, valid) -> str:
    """One-line message for an unknown key, listing close matches or all choices."""
    import difflib

    close = difflib.get_close_matches(key, list(valid), n=3)
    hint = f"did you mean {', '.join(close)}?" if close else f"valid: {', '.join(sorted(valid))}"
    return f"unknown {kind} '{key}'; {hint}"


NUMERIC = [p.name for p in _ALL if p.choices is None and not isinstance(p.default, str)]
ParamVector = namedtuple("ParamVector", NUMERIC)
"""Numeric parameters as a namedtuple of floats, the form numba kernels take."""


def as_vector(values: dict[str, Any]) -> ParamVector:
    """Pack the numeric parameters into a :data:`ParamVector` of floats."""
    return ParamVector(*(float(values[name]) for name in NUMERIC))
