"""Policy levers: named, dated, composable reforms written in a scenario's [[policies]].

Every reform in DESIGN §3 (the Isos recommendations R1-R8 and the alternatives their
critics proposed) is a lever. A lever acts from its ``start`` month with a ``strength``
in [0, 1] and changes *rules, capacities or behavioural dispositions* — parameters of
how agents decide — never an outcome. Each month the model asks :func:`effects` for
the combined effect of the policies in force:

* ``parameters``: the month's parameter values (the scenario's, with the levers'
  changes applied), used by every agent that month;
* a few switches and rates that are not parameters (is there a tribunal, how LAs'
  thresholds are pulled, what the core offer adds, how funding grows).

A policy that has not started changes nothing, and all random draws are keyed by
agent and month, so two runs that differ only in a policy are identical until it
starts. ``docs/policies.md`` gives each lever's reasoning and sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sendabm.core import calendar

TRIBUNAL_MODES = ("keep", "remove", "replace")
"""What happens to the SEND Tribunal: kept, removed (mediation and complaints only), or
replaced by a non-judicial national mechanism (the Isos 'National Institute')."""


@dataclass(frozen=True)
class Option:
    """An option of a lever: its default and either choices or a numeric range."""

    default: Any
    choices: tuple[Any, ...] | None = None
    low: float | None = None
    high: float | None = None
    doc: str = ""

    def check(self, lever: str, key: str, value: Any) -> None:
        """Raise ValueError (one line) if ``value`` is not valid."""
        if self.choices is not None:
            if value not in self.choices:
                choices = ", ".join(map(str, self.choices))
                raise ValueError(f"policy '{lever}' option {key} = {value!r}; "
                                 f"choose one of: {choices}")
            return
        if isinstance(self.default, str):
            calendar.parse_month(value) if isinstance(value, str) else _raise_month(lever, key,
                                                                                    value)
            return
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or not self.low <= value <= self.high:
            raise ValueError(f"policy '{lever}' option {key} = {value!r} is out of range; "
                             f"valid range is [{self.low}, {self.high}]")


def _raise_month(lever: str, key: str, value: Any) -> None:
    raise ValueError(f"policy '{lever}' option {key} = {value!r} must be a month 'YYYY-MM'")


@dataclass(frozen=True)
class Lever:
    """A policy lever: its name, the recommendation it comes from, and its options."""

    name: str
    source: str
    doc: str
    options: dict[str, Option] = field(default_factory=dict)


LEVERS: dict[str, Lever] = {lever.name: lever for lever in (
    Lever("inclusion_incentives", "Isos R1 (national inclusion ambition)",
          "Accountability and funding reward inclusive mainstream schools: schools move "
          "towards inclusion by strength x 0.08 a year, and the accountability pressure "
          "away from inclusion falls by the strength."),
    Lever("national_framework", "Isos R2 (national framework of needs and of ordinarily "
          "available provision)",
          "One national description of needs: LAs read needs with less noise, their "
          "thresholds are pulled towards the framework's each year, and mainstream "
          "schools' ordinarily available provision rises.",
          {"threshold": Option(0.5, low=0.0, high=5.0,
                               doc="framework threshold for an assessment, need units")}),
    Lever("core_offer", "Isos R3 (core offer of multi-disciplinary support)",
          "Schools call on targeted support without a plan: every child with a need in "
          "mainstream receives strength x 0.15 need units more, paid by the LA."),
    Lever("special_school_outreach", "Isos R3 (special schools' new role, porous boundaries)",
          "Special schools share expertise with mainstream schools: children with a need in "
          "mainstream receive strength x 0.08 need units more; special schools give up "
          "strength x 5% of their own quality to do it."),
    Lever("tribunal", "Isos R4 (statutory framework reform); Solihull PCV",
          "mode 'remove': no appeal to a tribunal (mediation and complaints remain); "
          "'replace': a non-judicial national mechanism decides against the national "
          "framework with its own capacity, time to decision and binding or advisory "
          "decisions; 'keep' changes nothing.",
          {"mode": Option("keep", choices=TRIBUNAL_MODES),
           "capacity_factor": Option(1.5, low=0.1, high=10.0,
                                     doc="decisions per month relative to the tribunal"),
           "months_to_decision": Option(2, low=0, high=24, doc="earliest decision, months"),
           "binding": Option(True, choices=(True, False)),
           "compliance": Option(0.6, low=0.0, high=1.0,
                                doc="share of advisory decisions LAs follow"),
           "threshold": Option(0.5, low=0.0, high=5.0,
                               doc="need the mechanism requires (national framework)")}),
    Lever("right_first_time", "Solihull Parent Carer Voice (keep the tribunal, get "
          "decisions right first time)",
          "LAs apply the law as the tribunal does: they read needs with less noise and "
          "their thresholds are pulled halfway (x strength) towards the legal threshold "
          "each year."),
    Lever("entitlement_limits", "Isos R4 (limits on entitlement)",
          "Plans need more: LA plan thresholds rise by strength x 0.3 need units and the "
          "bar for refusal-to-issue appeals rises by the strength."),
    Lever("choice_limits", "Isos R4 (limits on parental choice)",
          "Families are less able to insist on a specialist setting: their preference for "
          "special settings falls and tribunal orders name state places rather than "
          "independent ones with probability = strength."),
    Lever("destinations_service", "Isos R5 (destinations and progression service)",
          "Support for two years after transition: young people with plans in further "
          "education receive strength x 0.15 need units more, and leavers with SEN are "
          "less likely to be NEET (log-odds - strength)."),
    Lever("local_inclusion_partnerships", "Isos R6 (Local Inclusion Partnerships)",
          "Joint funding and the power to open state provision: LAs commission more "
          "special places (x (1 + strength)) and open them a year sooner."),
    Lever("independent_sector", "Isos R7 (independent sector: profit prohibition, "
          "equivalence of funding and regulation)",
          "profit_prohibition: providers' margin falls to (1 - strength) of itself, fees "
          "lose it over three years and expansion slows; funding_equivalence: fees no "
          "longer rise faster than costs.",
          {"profit_prohibition": Option(True, choices=(True, False)),
           "funding_equivalence": Option(True, choices=(True, False))}),
    Lever("workforce", "Isos R8 (workforce strategy)",
          "More SENCO, EP, therapist and teaching-assistant capacity: LA EP capacity grows "
          "by strength x 5% a year more, and schools' SEN support stretches further "
          "(x (1 + 0.25 strength))."),
    Lever("notional_threshold", "CST (a notional SEN threshold above £6,000)",
          "Schools fund more of each child's support before LA top-ups start.",
          {"gbp": Option(10000.0, low=0.0, high=30000.0,
                         doc="new threshold, GBP/year per pupil")}),
    Lever("high_needs_funding", "Isos; NAO (high-needs funding path)",
          "High-needs allocations grow faster (or slower) than the baseline path.",
          {"growth_per_year": Option(0.03, low=-0.2, high=0.3,
                                     doc="extra yearly growth of allocations")}),
    Lever("statutory_override", "DfE (end of the statutory override)",
          "Moves the month after which deficits count against LA reserves.",
          {"ends": Option("2028-03", doc="month the override ends, YYYY-MM")}),
    Lever("early_identification", "NCB (early identification and intervention)",
          "Schools identify needs sooner (identification rate x (1 + 2 strength)) and "
          "ordinarily available provision in mainstream rises."),
)}


@dataclass
class Effects:
    """The combined effect of the policies in force in one month.

    Attributes:
        parameters: Parameter values for the month (name -> value).
        appeals_open: 1.0 if families can appeal (to the tribunal or its replacement).
        mediation_open: 1.0 if mediation is available.
        core_offer_units: Extra support for every child with a need in mainstream
            (core offer and special-school outreach), need units.
        core_offer_paid_units: The part the LA pays for (the core offer), need units.
        inclusion_incentive_per_year: Yearly push of schools towards inclusion.
        threshold_pull: Yearly pull of LA thresholds towards ``threshold_target`` (0-1).
        threshold_target: Need units, or None.
        binding: 1.0 if decisions on appeals bind the LA.
        compliance: Share of advisory decisions the LA follows.
        hearing_capacity_factor: Decisions per month relative to the tribunal's.
        independent_orders: Chance an order for a specialist place may be independent.
        fe_support_units: Extra support for young people with plans in FE, need units.
        neet_logit_shift: Shift of leavers' NEET log-odds.
        special_quality_factor: Multiplier of special schools' quality.
        fee_cut_per_year: Yearly cut of independent fees (profit removed), share.
        allocation_growth_per_year: Extra yearly growth of high-needs allocations.
        allocation_growth_start: Tick from which that growth compounds.
        commissioning_lag_cut: Years less to open commissioned places.
        plan_threshold_add: Added to every LA's plan threshold, need units.
    """

    parameters: dict[str, Any]
    appeals_open: float = 1.0
    mediation_open: float = 1.0
    core_offer_units: float = 0.0
    core_offer_paid_units: float = 0.0
    inclusion_incentive_per_year: float = 0.0
    threshold_pull: float = 0.0
    threshold_target: float | None = None
    binding: float = 1.0
    compliance: float = 1.0
    hearing_capacity_factor: float = 1.0
    independent_orders: float = 1.0
    fe_support_units: float = 0.0
    neet_logit_shift: float = 0.0
    special_quality_factor: float = 1.0
    fee_cut_per_year: float = 0.0
    allocation_growth_per_year: float = 0.0
    allocation_growth_start: int = 0
    commissioning_lag_cut: int = 0
    plan_threshold_add: float = 0.0


def validate_policy(policy: dict[str, Any]) -> None:
    """Raise ValueError (one line) if a [[policies]] entry names an unknown lever or option."""
    name = policy["name"]
    lever = LEVERS.get(name)
    if lever is None:
        raise ValueError(f"unknown policy '{name}'; valid policies: {', '.join(sorted(LEVERS))}")
    for key, value in policy.items():
        if key in ("name", "start", "strength"):
            continue
        option = lever.options.get(key)
        if option is None:
            valid = ", ".join(["name", "start", "strength", *lever.options])
            raise ValueError(f"policy '{name}' has no option '{key}'; valid keys: {valid}")
        option.check(name, key, value)


def option(policy: dict[str, Any], key: str) -> Any:
    """The value of ``key`` in ``policy``, or the lever's default."""
    return policy.get(key, LEVERS[policy["name"]].options[key].default)


def effects(policies: tuple[dict[str, Any], ...], tick: int,
            parameters: dict[str, Any]) -> Effects:
    """Combined effects of the policies that have started by ``tick``.

    Args:
        policies: The scenario's policies.
        tick: Current month.
        parameters: The scenario's parameter values (not modified).
    """
    out = Effects(parameters=dict(parameters))
    # Levers apply in the fixed order of LEVERS, not the file's, so a scenario means the
    # same whatever order its [[policies]] are written in.
    order = list(LEVERS)
    for policy in sorted(policies, key=lambda entry: order.index(entry["name"])):
        start = calendar.tick_of(policy["start"])
        if tick >= start:
            _APPLY[policy["name"]](out, policy, float(policy.get("strength", 1.0)), start)
    return out


def _scale(out: Effects, name: str, factor: float) -> None:
    out.parameters[name] = out.parameters[name] * factor


def _inclusion(out, policy, s, start):
    out.inclusion_incentive_per_year += 0.08 * s
    _scale(out, "accountability_pressure", 1.0 - s)


def _framework(out, policy, s, start):
    _scale(out, "la_observation_sd", 1.0 - 0.5 * s)
    _scale(out, "ordinarily_available_units", 1.0 + 0.5 * s)
    out.threshold_pull = max(out.threshold_pull, 0.3 * s)
    out.threshold_target = float(option(policy, "threshold"))


def _core_offer(out, policy, s, start):
    out.core_offer_units += 0.15 * s
    out.core_offer_paid_units += 0.15 * s


def _outreach(out, policy, s, start):
    out.core_offer_units += 0.08 * s
    out.special_quality_factor *= 1.0 - 0.05 * s


def _tribunal(out, policy, s, start):
    mode = option(policy, "mode")
    if mode == "remove":
        out.appeals_open = 0.0
    elif mode == "replace":
        out.hearing_capacity_factor = float(option(policy, "capacity_factor"))
        out.parameters["months_to_hearing_min"] = int(option(policy, "months_to_decision"))
        out.parameters["legal_threshold"] = float(option(policy, "threshold"))
        # Plans are judged against the framework's plan level, in the same proportion to
        # its assessment level as LAs' own thresholds.
        out.parameters["tribunal_plan_bar_factor"] = (
            out.parameters["plan_threshold_initial"] / out.parameters["assess_threshold_initial"])
        out.binding = 1.0 if option(policy, "binding") else 0.0
        out.compliance = float(option(policy, "compliance"))
        # A non-judicial route costs families and LAs less effort than a hearing.
        _scale(out, "appeal_cost_weight", 0.5)
        _scale(out, "tribunal_cost_gbp", 0.3)


def _right_first_time(out, policy, s, start):
    _scale(out, "la_observation_sd", 1.0 - 0.6 * s)
    # LAs apply the law as the tribunal does: their bar moves to the legal threshold.
    out.threshold_pull = max(out.threshold_pull, 0.5 * s)
    out.threshold_target = float(out.parameters["legal_threshold"])


def _entitlement(out, policy, s, start):
    _scale(out, "tribunal_plan_bar_factor", 1.0 + s)
    out.plan_threshold_add += 0.3 * s


def _choice(out, policy, s, start):
    out.parameters["special_preference_base_logit"] -= 2.0 * s
    out.independent_orders *= 1.0 - s


def _destinations(out, policy, s, start):
    out.fe_support_units += 0.15 * s
    out.neet_logit_shift -= 1.0 * s


def _lip(out, policy, s, start):
    _scale(out, "commissioning_share", 1.0 + s)
    out.commissioning_lag_cut = max(out.commissioning_lag_cut, 1 if s > 0 else 0)


def _independent(out, policy, s, start):
    if option(policy, "profit_prohibition"):
        margin = out.parameters["independent_margin"]
        out.parameters["independent_margin"] = margin * (1.0 - s)
        _scale(out, "independent_expansion_per_year", 1.0 - 0.5 * s)
        out.fee_cut_per_year = margin * s / 3.0
    if option(policy, "funding_equivalence"):
        _scale(out, "independent_fee_growth_per_year", 1.0 - s)


def _workforce(out, policy, s, start):
    out.parameters["ep_growth_per_year"] += 0.05 * s
    _scale(out, "notional_sen_budget_per_pupil", 1.0 + 0.25 * s)


def _notional(out, policy, s, start):
    base = out.parameters["notional_threshold_gbp"]
    out.parameters["notional_threshold_gbp"] = base + s * (float(option(policy, "gbp")) - base)


def _funding(out, policy, s, start):
    out.allocation_growth_per_year += s * float(option(policy, "growth_per_year"))
    out.allocation_growth_start = start


def _override(out, policy, s, start):
    out.parameters["statutory_override_end"] = option(policy, "ends")


def _early(out, policy, s, start):
    _scale(out, "identification_per_month", 1.0 + 2.0 * s)
    _scale(out, "ordinarily_available_units", 1.0 + 0.25 * s)


_APPLY = {
    "inclusion_incentives": _inclusion, "national_framework": _framework,
    "core_offer": _core_offer, "special_school_outreach": _outreach, "tribunal": _tribunal,
    "right_first_time": _right_first_time, "entitlement_limits": _entitlement,
    "choice_limits": _choice, "destinations_service": _destinations,
    "local_inclusion_partnerships": _lip, "independent_sector": _independent,
    "workforce": _workforce, "notional_threshold": _notional, "high_needs_funding": _funding,
    "statutory_override": _override, "early_identification": _early,
}
assert set(_APPLY) == set(LEVERS)
