"""Levers on provision after 16 and on special places: Isos R5, R6 and R7."""

from __future__ import annotations

from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.policies.lever import Charge, Lever, Option, ramp_option, switch
from sendabm.core.policies.schools import LINEAR


def _destinations(out, o, s, start):
    out.fe_support_units += o["fe_units"] * s
    out.neet_logit_shift -= o["neet_logit_cut"] * s


DESTINATIONS_SERVICE = Lever(
    "destinations_service", "a destinations and progression service",
    "Isos R5 (destinations and progression service)",
    "Support for two years after transition: young people with plans in further education "
    "receive more support, and leavers are less likely to be NEET.",
    _destinations,
    strength=LINEAR,
    options={
        "fe_units": Option(
            0.15, "need units", "Extra support for young people with plans in further "
            "education at full strength.",
            "assumption: the same support as the school-age core offer (core_offer's units "
            "default); not calibrated", 0.0, 2.0),
        "neet_logit_cut": Option(
            1.0, "logit", "Fall of leavers' log-odds of a NEET destination at full "
            "strength.",
            "assumption: tracking and support after transition cut leavers' odds of a NEET "
            "destination to about a third; not calibrated", 0.0, 5.0),
        "ramp_years": ramp_option(
            2, "assumption: each area's service is staffed over about two years"),
    },
    charges=(Charge("high_needs", "further_education",
                    lambda o, p: o["fe_units"] * NEED_UNIT_GBP,
                    "the extra support, `fe_units` need units (each area's service, paid as "
                    "the LA's high-needs top-ups to colleges are)"),),
    affects="young people in FE; leavers",
    evidence="""
        Isos R5: a "destinations and progression service" in each area, "providing
        additional support to young people who needed it for two years after the age of
        transition" and tracking their outcomes (Schools Week). Solihull PCV welcomes "a
        focus on post-16".""",
    changes="""
        - **Young people in further education** (the setting of plan holders after 16 and
          up to 25) get `fe_support_units = fe_units × s` need units more support:
          `provision = min(need, ordinarily_available_units + topup +
          fe_support_units)`.
        - **Leavers:** the log-odds of a NEET destination shift by `neet_logit_shift =
          −neet_logit_cut × s`.""",
    reasoning="""
        Support and oversight through the transition should help young people stay in
        education and reach a destination.""",
    not_modelled="""
        - **The tracking is not charged apart:** the charge is the support to young
          people in further education; following leavers without a plan costs nothing.
        - **No time limit:** the support is not limited to two years after transition.
          It applies in every year in further education.
        - **The NEET shift reaches every leaver,** with or without SEND. It is a direct
          change to the destination equation, not a behavioural mechanism, and the
          closest any lever comes to setting an outcome.
        - Standardising the transition age across services is not modelled.""",
    test="`test_destinations_service`: fewer leavers are NEET.",
)


def _lip(out, o, s, start):
    out.scale("commissioning_share", 1.0 + o["commissioning_rise"] * s)
    # Joint funding brings the capital to build what is commissioned.
    out.scale("special_build_share_per_year", 1.0 + o["commissioning_rise"] * s)
    out.commissioning_lag_cut = max(out.commissioning_lag_cut,
                                    o["lag_cut_years"] if s > 0 else 0)


LOCAL_INCLUSION_PARTNERSHIPS = Lever(
    "local_inclusion_partnerships", "Local Inclusion Partnerships",
    "Isos R6 (Local Inclusion Partnerships)",
    "Joint funding and the power to open state provision: LAs commission more special "
    "places and open them sooner.",
    _lip,
    strength="0: no change. 1: LAs commission the full `commissioning_rise` more places. "
             "In between, the rise scales with the strength. The lag cut is all or "
             "nothing: `lag_cut_years` for any strength above 0.",
    options={
        "commissioning_rise": Option(
            1.0, "share", "Relative rise of the places LAs commission per child waiting "
            "(`commissioning_share`) at full strength.",
            "assumption: joint funding doubles what LAs commission; not calibrated",
            0.0, 5.0),
        "lag_cut_years": Option(
            1, "years", "Years less between commissioning places and their opening.",
            "assumption: the power to open state provision locally saves a year of "
            "approvals", 0, 10),
    },
    free_because="""
        its cost is the places it builds: every state special place an LA commissions is
        charged its capital (£{p.special_place_capital_gbp:,.0f}, `special_place_capital_gbp`,
        to the DfE) when it is commissioned, with or without the lever, and its place
        funding and top-up once a child fills it.""",
    affects="LAs (commissioning)",
    evidence="""
        Isos R6 and R7: statutory Local Inclusion Partnerships of the LA, health,
        education and the parent carer forum that "would have statutory powers and joint
        funding" (Solihull PCV) and be "able to commission and open their own
        state-funded provision to reflect local needs" (Schools Week). Solihull PCV
        welcomes them, but warns that pooling money "may increase the complexity in the
        system".""",
    changes="""
        LAs' commissioning of state special places (each August):

        - **More places:** `commissioning_share ×= (1 + commissioning_rise × s)`, from
          {p.commissioning_share} to {p.commissioning_share * (1 + commissioning_rise)}
          places per child waiting or placed independently in the last year at s = 1.
        - **More building:** what an LA can build in a year rises in proportion,
          `special_build_share_per_year ×= (1 + commissioning_rise × s)`, from
          {p.special_build_share_per_year} to
          {p.special_build_share_per_year * (1 + commissioning_rise)} of its places.
        - **Faster openings:** `commissioning_lag_cut = lag_cut_years` for any s > 0, so
          places open after {p.commissioning_lag_years - lag_cut_years} years instead of
          {p.commissioning_lag_years}. Places already in the pipeline keep their date.""",
    reasoning="""
        The power to open state provision locally lets the partnership replace costly
        independent placements with state places, faster than now.""",
    not_modelled="""
        - **Capital is charged per place commissioned,** as for every LA
          (`special_place_capital_gbp`, to the DfE); places then cost nothing until a
          child fills them.
        - **No joint funding:** health services bring no money.
        - **Governance and co-production** are not represented.
        - **The lag cut is all or nothing:** it does not scale with strength.""",
    test="`test_local_inclusion_partnerships`: places commissioned in August 2015 open by "
         "October 2017, so `special_places` is higher then than in the baseline.",
)


def _independent(out, o, s, start):
    if o["profit_prohibition"]:
        margin = out.parameters["independent_margin"]
        out.parameters["independent_margin"] = margin * (1.0 - s)
        out.scale("independent_expansion_per_year", 1.0 - o["expansion_cut"] * s)
        out.fee_cut_per_year = margin * s / o["fee_cut_years"]
        out.fee_cut_years = o["fee_cut_years"]
    if o["funding_equivalence"]:
        out.scale("independent_fee_growth_per_year", 1.0 - s)


INDEPENDENT_SECTOR = Lever(
    "independent_sector", "profit prohibition and equivalence of funding",
    "Isos R7 (independent sector: profit prohibition, equivalence of funding and "
    "regulation)",
    "profit_prohibition: providers' margin falls and fees lose it over a few years, and "
    "expansion slows; funding_equivalence: fees no longer rise faster than costs.",
    _independent,
    strength="0: no change. 1: the providers' whole margin goes (fees lose it and "
             "expansion slows by `expansion_cut`), and fees stop rising faster than "
             "costs. In between, the margin falls to "
             "(1 − s) of itself, fees lose s of it, expansion slows by `expansion_cut` × s "
             "and the extra fee growth falls to (1 − s) of itself. The two switches say "
             "which parts apply.",
    options={
        "profit_prohibition": switch(
            True, "Remove the providers' margin.", "Isos R7"),
        "funding_equivalence": switch(
            True, "Stop fee growth above costs.", "Isos R7"),
        "expansion_cut": Option(
            0.5, "share", "Share of providers' yearly expansion lost at full strength "
            "(profit prohibition).",
            "assumption: without shareholder returns, investment in new places halves; "
            "not calibrated", 0.0, 1.0),
        "fee_cut_years": Option(
            3, "years", "Augusts over which fees lose the margin (profit prohibition).",
            "assumption: fees are renegotiated as placements are renewed, over about three "
            "years", 1, 10),
        "regulation_gbp_per_place": Option(
            150.0, "GBP/place/year", "What regulating providers' finances and standards "
            "costs the DfE a year per independent place, at full strength.",
            "assumption: an inspection and financial-audit regime of the order of £10m a "
            "year for ~70,000 places; not from a source", 0.0, 10000.0),
    },
    charges=(Charge("dfe", "independent_place", lambda o, p: o["regulation_gbp_per_place"],
                    "regulation (`regulation_gbp_per_place`)"),),
    affects="independent providers",
    evidence="""
        Isos R7: "equivalence of regulatory standards and funding (including a prohibition
        on making profits for shareholders from state-funded placements ...)" between the
        state and independent sectors (Schools Week). Solihull PCV agrees that "the
        independent sector should not be allowed to profit", while noting it "often
        provides bespoke provision, with often higher levels of intervention".""",
    changes="""
        Independent special providers (each August):

        - **`profit_prohibition = true`:**
          - The providers' margin falls: `independent_margin ×= (1 − s)`, from
            {p.independent_margin} to 0 at s = 1. Only a negative margin stops a
            provider expanding (break-even providers expand too), so this alone does not
            stop expansion.
          - Expansion slows: `independent_expansion_per_year ×= (1 − expansion_cut ×
            s)`, by {expansion_cut * 100:.0f}% at s = 1.
          - Fees lose the margin over `fee_cut_years` years: each of the first
            {fee_cut_years} Augusts in force, fees are cut by `fee_cut_per_year = margin ×
            s / fee_cut_years` ({p.independent_margin / fee_cut_years * 100:.0f}% at s =
            1, about {(1 - (1 - p.independent_margin / fee_cut_years) ** fee_cut_years) *
            100:.0f}% in all). The cut comes on top of the usual cost inflation.
        - **`funding_equivalence = true`:** fees no longer rise faster than costs when
          providers are full. `independent_fee_growth_per_year ×= (1 − s)`, from
          {p.independent_fee_growth_per_year * 100:.1f}% to 0 at s = 1.""",
    reasoning="""
        Placements cost less, and the sector grows more slowly to meet unplaced demand. The
        test is whether state places (see `local_inclusion_partnerships`) fill the gap or
        children wait longer.""",
    not_modelled="""
        - **No provider types:** charitable and for-profit providers are not told apart,
          so the prohibition slows not-for-profit providers' expansion too.
        - **Nobody leaves or enters:** providers never exit, and none enter.
        - **Standards and planning are left out:** regulatory standards, quality and the
          sector's role in strategic planning are not modelled. An independent place
          meets all need.
        - **The fee cut happens once:** `fee_cut_years` cuts at most, over the whole
          run.""",
    test="`test_independent_sector`: mean fees are lower, and the margin is 0.",
)
