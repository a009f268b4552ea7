"""Levers on who pays and how much money there is: CST's notional threshold, the
high-needs funding path and the end of the statutory override."""

from __future__ import annotations

from sendabm.core.policies.lever import Lever, Option


def _notional(out, o, s, start):
    base = out.parameters["notional_threshold_gbp"]
    out.parameters["notional_threshold_gbp"] = base + s * (float(o["gbp"]) - base)


NOTIONAL_THRESHOLD = Lever(
    "notional_threshold", "a notional SEN threshold above £6,000",
    "CST (a notional SEN threshold above £6,000)",
    "Schools fund more of each child's support before LA top-ups start.",
    _notional,
    strength="0: the threshold stays where it is. 1: it moves all the way to `gbp`. In "
             "between, it moves that share of the way.",
    options={"gbp": Option(
        10000.0, "GBP/year per pupil", "The new threshold.",
        "assumption: an illustrative value above the £6,000 that CST says 'needs to be "
        "higher'", 0.0, 30000.0)},
    free_because="""
        it moves cost between payers rather than adding to it: schools fund more of
        each child's support from the same notional SEN budgets (their cost shows as
        unmet need), and LAs' top-ups fall.""",
    affects="schools; LAs (top-ups)",
    evidence="""
        CST: "We are pleased that government will consider whether £6,000 per pupil, per
        year remains the right threshold ... If we are to implement the ambitions in the
        Green Paper for earlier identification and support, it is clear that this
        notional threshold needs to be higher."
        """,
    changes="""
        The rule for who pays, between schools and LAs: `notional_threshold_gbp` moves
        from its value towards `gbp` by the strength: `T = base + s × (gbp − base)`. The
        default moves it from £{p.notional_threshold_gbp:,.0f} to £{gbp:,.0f} at s = 1,
        and to £{(p.notional_threshold_gbp + gbp) / 2:,.0f} at s = 0.5.

        - **Schools** fund SEN support up to `T` per pupil from the same notional budget.
          A school's demand is `Σ min(need, T)`, so its support ratio falls unless the
          budget rises too.
        - **LAs** top up less on plans issued from then on: `topup = max(0, need − T −
          ordinarily_available_units) × topup_rate`. Existing plans keep their top-ups.
        - **Schools** request assessments only for pupils with need above `T`.""",
    reasoning="""
        A higher threshold moves the first part of each child's support from the
        high-needs block to schools. The model shows what that does to school support, to
        families' trust and to requests, as well as to LA spend.""",
    not_modelled="""
        No money moves with the threshold: the lever does not raise schools' notional SEN
        budgets. On its own it is a pure shift of cost, and of unmet need, to schools. To
        model a funded version, combine it with `workforce`, or with a
        `notional_sen_budget_per_pupil` override; note that a parameter override applies
        from the start of the run.""",
    test="`test_notional_threshold`: with `gbp = 10000`, mainstream top-up spend is lower.",
)


def _funding(out, o, s, start):
    out.allocation_growth_per_year += s * float(o["growth_per_year"])
    out.allocation_growth_start = start


HIGH_NEEDS_FUNDING = Lever(
    "high_needs_funding", "the high-needs funding path", "Isos; NAO (high-needs funding path)",
    "High-needs allocations grow faster (or slower) than the baseline path.",
    _funding,
    strength="0: no change. 1: allocations grow by the full `growth_per_year` more a year. "
             "In between, the extra growth scales with the strength.",
    options={"growth_per_year": Option(
        0.03, "1/year", "Extra yearly growth of high-needs allocations.",
        "assumption: an illustrative path above the baseline's; a scenario input, not a "
        "forecast", -0.2, 0.3)},
    free_because="""
        the lever is the money: its cost to the DfE is the extra allocation
        (`high_needs_allocation_gbp`), which LAs then spend and is counted as their
        spend; charging it as well would count it twice.""",
    affects="DfE allocation to LAs",
    evidence="""
        The seeds agree that "there is unsustainable pressure on high needs budgets"
        (NCB). "More money than ever before is being invested in SEND, but it is
        significantly less than what is actually being spent" (Isos via Solihull PCV).""",
    changes="""
        The DfE's allocation to LAs: each April from `start`, the national high-needs
        allocation is multiplied by `(1 + s × growth_per_year)^((tick − start) / 12)`. It
        is shared between LAs by pupils, as before.""",
    reasoning="""
        The funding path is the alternative to reform that every seed mentions. It changes
        what LAs overspend against, and so their gatekeeping.""",
    not_modelled="""
        - The distribution formula does not change.
        - Deficits are not written off.""",
    test="`test_high_needs_funding`: with `growth_per_year = 0.1`, the allocation at the end "
         "is higher.",
)


def _override(out, o, s, start):
    out.parameters["statutory_override_end"] = o["ends"]


STATUTORY_OVERRIDE = Lever(
    "statutory_override", "the end of the statutory override", "DfE (end of the statutory "
    "override)",
    "Moves the month after which deficits count against LA reserves.",
    _override,
    strength=None,
    no_strength_fix="set ends = \"YYYY-MM\" to the month the override ends instead",
    options={"ends": Option(
        "2028-03", "YYYY-MM", "Month the override ends.",
        "DfE: the statutory override is extended to March 2028 (the parameter's default; "
        "set the option to test another date)")},
    free_because="""
        it is an accounting rule: it changes when deficits count against reserves, not
        what anything costs.""",
    affects="LAs",
    evidence="""
        DfE extended the statutory override, which keeps high-needs deficits off LAs'
        general reserves, to March 2028. Schools Week reports that "half of councils told
        the researchers they would be insolvent within three years if high needs deficits
        were added to their overall balances".""",
    changes="""
        LAs: `statutory_override_end` is set to `ends`. From the first March on or after
        that month (and after the lever's `start`), an LA whose deficit exceeds its
        reserves weighs a pound saved by a refusal more: its overspend ratio counts
        double in the weight on savings (`gatekeeping_budget_weight`).""",
    reasoning="When deficits count against reserves, the pressure to ration grows.",
    not_modelled="""
        Insolvency (section 114 notices) and what happens to the deficits themselves. LAs
        respond only through gatekeeping.""",
    test="`test_statutory_override`: with `ends = \"2016-03\"`, the model's override-end "
         "month moves to March 2016.",
)
