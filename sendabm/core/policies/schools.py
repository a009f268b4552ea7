"""Levers that act on mainstream and special schools: Isos R1, R2, R3 and R8, and NCB's
early identification."""

from __future__ import annotations

from sendabm.core.param import NEED_UNIT_GBP
from sendabm.core.policies.lever import Charge, Lever, Option, ramp_option

LINEAR = ("0: no change. 1: the full change of every option below. In between, each "
          "change scales linearly with the strength.")


def _inclusion(out, o, s, start):
    out.inclusion_incentive_per_year += o["push_per_year"] * s
    out.scale("accountability_pressure", 1.0 - s)


INCLUSION_INCENTIVES = Lever(
    "inclusion_incentives", "inclusion ambition and incentives",
    "Isos R1 (national inclusion ambition)",
    "Accountability and funding reward inclusive mainstream schools: schools move towards "
    "inclusion each year, and the accountability pressure away from inclusion falls.",
    _inclusion,
    strength="0: no change. 1: schools are pushed towards inclusion by the full "
             "`push_per_year`, and the accountability pressure away from inclusion is gone. "
             "In between, the push scales with the strength and the pressure falls to "
             "(1 − s) of itself.",
    options={"push_per_year": Option(
        0.08, "inclusiveness/year", "Yearly rise of each mainstream school's inclusiveness "
        "(0-1 scale) at full strength.",
        "assumption: at full strength a school at the 2014 mean inclusiveness reaches full "
        "inclusion in about four school years; not calibrated", 0.0, 0.5),
        "premium_gbp_per_pupil": Option(
            20.0, "GBP/pupil/year", "The inclusion premium the DfE pays mainstream schools "
            "per pupil at full strength, the funding half of the incentive.",
            "assumption: about £150m a year across England's ~7.5m pupils in mainstream, "
            "near 2% of the high-needs block; not from a source", 0.0, 1000.0),
        "ramp_years": ramp_option(
            3, "assumption: accountability measures (inspection frameworks, performance "
               "tables) are reformed over about one three-year inspection cycle")},
    charges=(Charge("dfe", "pupil", lambda o, p: o["premium_gbp_per_pupil"],
                    "the inclusion premium (`premium_gbp_per_pupil`)"),),
    affects="mainstream schools",
    evidence="""
        Isos R1: a national ambition built on "promoting inclusion in education", with
        "all aspects" of policy "recalibrated" to support it. Isos found a mainstream
        system that "has become less inclusive" (NCB's summary of the report). Solihull
        Parent Carer Voice agrees that "the current accountability measures- Ofsted
        Inspections, Progress 8, league tables etc, would need to be changed to encourage
        more inclusive practice". NCB asks for "effective accountability measures for
        schools".""",
    changes="""
        Mainstream schools, in their August adaptation:

        - `inclusion_incentive_per_year += push_per_year × s`: each school's
          inclusiveness rises by {push_per_year} a year at full strength.
        - `accountability_pressure ×= (1 − s)`: the yearly push away from inclusion
          ({p.accountability_pressure}, more for schools with more SEN than their LA)
          falls, and disappears at s = 1.

        The budget-stress term (`budget_stress_response`) is unchanged. Inclusiveness
        scales ordinarily available provision (`ordinarily_available_units ×
        inclusiveness`) and the share of the notional SEN budget spent on SEN
        (`0.5 + 0.5 × inclusiveness`), so the school's support ratio also rises.""",
    reasoning="""
        Rewarding inclusion, and no longer penalising it, should mean more need met in
        mainstream. That means more trust in the school, and fewer requests for
        assessments and special places. Whether that chain holds, and how fast, emerges
        from the model: the lever only moves the schools.""",
    not_modelled="""
        The premium is a charge to the DfE: it does not enter schools' budgets, so the
        push on inclusiveness is the incentive's whole effect, and its size does not
        depend on the premium's. All schools respond in the same way. Physical accessibility of
        buildings (raised by Solihull PCV) and admissions are not modelled.
        Inclusiveness is capped at 1.""",
    test="`test_inclusion_incentives`: mean inclusiveness at the end is higher than in the "
         "baseline.",
)


def _framework(out, o, s, start):
    out.scale("la_observation_sd", 1.0 - o["noise_cut"] * s)
    out.scale("ordinarily_available_units", 1.0 + o["ordinarily_available_rise"] * s)
    out.threshold_pull = max(out.threshold_pull, o["pull_per_year"] * s)
    out.threshold_from_current = o["bar"] == "current"
    out.threshold_target = None if out.threshold_from_current else float(o["threshold"])


NATIONAL_FRAMEWORK = Lever(
    "national_framework",
    "a national framework of needs and ordinarily available provision",
    "Isos R2 (national framework of needs and of ordinarily available provision)",
    "One national description of needs: LAs read needs with less noise, their thresholds "
    "are pulled towards the framework's each year, and mainstream schools' ordinarily "
    "available provision rises.",
    _framework,
    strength="0: no change. 1: the full noise cut, the full yearly pull towards the "
             "framework's bars and the full rise of ordinarily available provision, once "
             "`ramp_years` have passed. In between, each scales linearly; the framework's "
             "bars themselves (`bar`, `threshold`) do not depend on the strength.",
    options={
        "bar": Option(
            "current", "choice", "Where the framework sets its bars: `current` writes down "
            "current practice (the national medians of LAs' assessment and plan bars the "
            "first March it acts); `threshold` sets the assessment bar to the `threshold` "
            "option.",
            "assumption: a framework that codifies current practice neither tightens nor "
            "loosens access on average (Solihull PCV's concern is tested with `threshold`)",
            choices=("current", "threshold")),
        "threshold": Option(
            0.5, "need units", "The framework's need for an assessment when `bar = "
            "\"threshold\"` (its plan level is in the same proportion to it as LAs' own "
            "initial thresholds); unused otherwise.",
            "assumption: the prior of the 2014 assessment threshold (assess_threshold_"
            "initial before calibration), well above calibrated practice: a framework that "
            "raises the bar", 0.0, 5.0),
        "noise_cut": Option(
            0.5, "share", "Share of the noise in LAs' reading of needs "
            "(`la_observation_sd`) removed at full strength.",
            "assumption: one written description of needs halves the disagreement between "
            "readers; not calibrated", 0.0, 1.0),
        "pull_per_year": Option(
            0.3, "share/year", "Share of the gap between an LA's thresholds and the "
            "framework's closed each March, at full strength.",
            "assumption: partial convergence, so that LAs' budget pressure still acts and "
            "thresholds settle between the framework and local gatekeeping", 0.0, 1.0),
        "ordinarily_available_rise": Option(
            0.5, "share", "Relative rise of ordinarily available provision in mainstream "
            "(`ordinarily_available_units`) at full strength.",
            "assumption: clearer expectations of ordinarily available provision raise what "
            "schools provide as standard by half; not calibrated", 0.0, 2.0),
        "institute_gbp_per_pupil": Option(
            2.0, "GBP/pupil/year", "What the National Institute for Inclusive Education "
            "costs the DfE, per pupil.",
            "assumption: about £15m a year nationally, the order of a national evidence "
            "body's budget; not from a source", 0.0, 100.0),
        "ramp_years": ramp_option(
            2, "assumption: the framework is written, consulted on and taken up by LAs and "
               "schools over about two years"),
    },
    charges=(
        Charge("dfe", "pupil", lambda o, p: o["institute_gbp_per_pupil"],
               "the National Institute (`institute_gbp_per_pupil`)"),
        Charge("schools", "mainstream_need",
               lambda o, p: (o["ordinarily_available_rise"] * p["ordinarily_available_units"]
                             * NEED_UNIT_GBP),
               "the extra ordinarily available provision, `ordinarily_available_rise × "
               "ordinarily_available_units` need units (as if every school were fully "
               "inclusive: an upper bound)"),
    ),
    affects="LAs; mainstream schools",
    evidence="""
        Isos R2: a national framework "describing types and levels of needs", with
        "clarity about the levels of need to be met in mainstream education and
        expectations of ordinarily available provision" (Schools Week). It would be kept
        by a National Institute for Inclusive Education. CST welcomes this: "right now,
        there are 152 different SEND systems". Solihull PCV sees benefits, but warns
        that "classifications of need may not accurately reflect a child", and that
        parts of the report "could be interpreted to mean that the threshold will be
        moved higher".""",
    changes="""
        - **LAs read needs with less noise:** `la_observation_sd ×= (1 − noise_cut × s)`,
          from {p.la_observation_sd} to {p.la_observation_sd * (1 - noise_cut)} at s = 1.
          The noise applies to assessment decisions, and at half that sd to plan
          decisions.
        - **LA thresholds converge on the framework.** Each March, after gatekeeping and
          copying their neighbours, every LA's thresholds move towards the framework's:
          `θ += pull × (goal − θ)` with `threshold_pull = pull_per_year × s`. With `bar =
          "current"` (the default) the goals are the national medians of LAs' assessment
          and plan bars the first March the pull acts, written down then and kept: the
          framework codifies current practice, so LAs above the median loosen, those
          below tighten, and access on average neither tightens nor loosens. With `bar =
          "threshold"` the goal is the `threshold` option for the assessment threshold,
          and `threshold × plan_threshold_initial / assess_threshold_initial` (×
          {p.plan_threshold_initial / p.assess_threshold_initial:.3g} at the defaults)
          for the plan threshold. Results are clipped to the LAs' threshold range.
        - **Mainstream schools provide more as standard:** `ordinarily_available_units
          ×= (1 + ordinarily_available_rise × s)`, from {p.ordinarily_available_units}
          to {p.ordinarily_available_units * (1 + ordinarily_available_rise)} units at
          full inclusiveness and s = 1.""",
    reasoning="""
        One national description of need removes the local variation and noise that
        produce disputes, and tells schools what they are expected to provide. By default
        the framework writes down current practice; `bar = "threshold"` makes its bar
        explicit, below or above current practice, which tests Solihull PCV's concern
        that a framework could raise thresholds. The pull is partial, so LAs' budget
        pressure continues to act, and thresholds settle between the framework and local
        gatekeeping.""",
    not_modelled="""
        - **Costs are charges, not budgets:** the National Institute's cost is charged to
          the DfE, and the extra ordinarily available provision to schools' own budgets,
          but schools' SEN budgets do not shrink to pay for it.
        - The special-setting threshold (`special_threshold`) does not move.
        - The tribunal's legal test is unchanged. The replacement mechanism's bar is the
          `tribunal` lever's own `threshold` option, so set the two equal by hand.
        - Need types play no part in decisions.""",
    test="`test_national_framework`: with `bar = \"threshold\"` and `threshold = 0.8`, "
         "the mean assessment threshold ends at least 0.05 above the baseline's, and "
         "`la_observation_sd` is lower; `test_national_framework_codifies_practice`: at its "
         "defaults the LAs' median assessment bar stays within 10% of the baseline's while "
         "their spread narrows.",
)


def _core_offer(out, o, s, start):
    out.core_offer_units += o["units"] * s


CORE_OFFER = Lever(
    "core_offer", "a core offer of multi-disciplinary support without a plan",
    "Isos R3 (core offer of multi-disciplinary support)",
    "Schools call on targeted support without a plan: every child with a need in "
    "mainstream receives more support, paid by the LA (and health services, by share).",
    _core_offer,
    strength=LINEAR,
    options={
        "units": Option(
            0.15, "need units", "Extra support for every child with a need in mainstream "
            "at full strength.",
            "assumption: a few sessions a term of therapist or educational-psychologist "
            "time, about £1,500 a year a child; not costed from a source", 0.0, 2.0),
        "la_paid_share": Option(
            1.0, "share", "Share of the core offer's cost charged to the LA's high-needs "
            "block; health services pay the rest.",
            "assumption: the LA pays it all (Isos places the core offer with the LA's "
            "high-needs services)", 0.0, 1.0),
        "ramp_years": ramp_option(
            3, "assumption: the therapists and educational psychologists it needs are "
               "recruited and trained over about three years (the EP doctorate takes "
               "three)"),
    },
    charges=(
        Charge("high_needs", "mainstream_need",
               lambda o, p: o["units"] * NEED_UNIT_GBP * o["la_paid_share"],
               "its share `la_paid_share` of the offer, `units` need units"),
        Charge("health", "mainstream_need",
               lambda o, p: o["units"] * NEED_UNIT_GBP * (1.0 - o["la_paid_share"]),
               "the rest of the offer, `1 − la_paid_share`"),
    ),
    affects="mainstream schools (children with a need); LAs (pay)",
    evidence="""
        Isos R3: a "core offer" of "targeted, multi-disciplinary support, including
        therapists and educational psychologists". "All schools would be able to access
        the provision without children requiring a statutory plan" (Schools Week). NCB
        wants needs met "at the earliest possible point". CST asks for
        multi-disciplinary teams "for all providers".""",
    changes="""
        - **Every child with a need in a mainstream school** (Reception to Year 13, any
          SEN status, identified or not) gets `core_offer_units = units × s` need units
          more support: £{units * unit_gbp:,.0f} a year at s = 1. The total is capped at
          the child's need.
        - **Less unmet need has knock-on effects:** it slows escalation, raises trust in
          the school, and lowers the propensity to request an assessment or a special
          setting.
        - **The LA pays:** each month the LA's high-needs block is charged `units × s ×
          la_paid_share × £{unit_gbp:,.0f} × cost_factor / 12` for every child with a
          need in mainstream (`spend_levers_high_needs_gbp`, part of
          `high_needs_spend_gbp` and of the deficit); health services pay the rest
          (`spend_levers_health_gbp`).
        - **It builds up:** `s` rises from 0 to the entry's strength over `ramp_years`,
          support and charges together.""",
    reasoning="""
        Support that does not depend on a plan removes the main reason to seek one. The
        expected chain (more need met, then more trust, then fewer requests) emerges from
        families' behaviour. Setting the lever's cost against the top-ups and placements
        it avoids is what the model is for.""",
    not_modelled="""
        - **The cost is a per-head charge:** the core offer's cost falls on the
          high-needs block (its `la_paid_share`), per child with a need in mainstream. It
          is charged in full even for children whose need is below `units`.
        - **Delivery follows a fixed ramp:** the offer builds up over `ramp_years`
          whatever the labour market; it does not use, or compete for, the LAs' EP
          capacity (see `workforce`).
        - **Further education is not covered:** young people in further education do not
          receive it.""",
    test="`test_core_offer`: mean unmet need is lower, and `spend_levers_high_needs_gbp` is "
         "positive (zero in the baseline); `test_core_offer_units_option`: doubling `units` "
         "doubles the spend in the first month.",
)


def _outreach(out, o, s, start):
    out.core_offer_units += o["units"] * s
    out.special_quality_factor *= 1.0 - o["quality_cost"] * s


SPECIAL_SCHOOL_OUTREACH = Lever(
    "special_school_outreach", "the special schools' new role",
    "Isos R3 (special schools' new role, porous boundaries)",
    "Special schools share expertise with mainstream schools: children with a need in "
    "mainstream receive more support; special schools give up some of their own quality "
    "to do it.",
    _outreach,
    strength=LINEAR,
    options={
        "units": Option(
            0.08, "need units", "Extra support for every child with a need in mainstream "
            "at full strength.",
            "assumption: about half the core offer's support, from staff time special "
            "schools already have; not calibrated", 0.0, 2.0),
        "quality_cost": Option(
            0.05, "share", "Share of state special schools' quality given up at full "
            "strength.",
            "assumption: outreach takes about a twentieth of special-school staff time "
            "from their own pupils; not calibrated", 0.0, 1.0),
        "ramp_years": ramp_option(
            1, "assumption: special schools set up outreach teams from staff they have "
               "within a school year"),
    },
    free_because="""
        it is paid in kind: state special schools give up `quality_cost` of their
        quality, so their own pupils get less of their need met. No budget pays more,
        because the staff are already employed.""",
    affects="state special schools; mainstream children with a need",
    evidence="""
        Isos R3: special schools keep "the most complex needs", with "a more porous
        boundary between special and mainstream schools, allowing for sharing of
        expertise and outreach, and staff and pupils moving between settings" (Schools
        Week).""",
    changes="""
        - **Children with a need in mainstream** get `units × s` need units more support.
          This is added to `core_offer_units` and so reaches the same children as the
          core offer.
        - **No budget pays for it:** it is paid in kind, by special schools' pupils.
        - **State special schools give up some of their own quality:**
          `special_quality_factor ×= (1 − quality_cost × s)`. The quality that children
          in special schools see is multiplied by it, so they get
          {quality_cost * 100:.0f}% less of their need met at s = 1.""",
    reasoning="""
        Outreach uses expertise that special schools already have. It costs the
        high-needs block nothing extra, but it takes staff time from special schools' own
        pupils.""",
    not_modelled="""
        - Pupils and staff do not move between settings, and children never return from
          special schools to mainstream.
        - Outreach is not limited by how many special schools an LA has: every mainstream
          child with a need receives it.
        - Independent special schools take no part.""",
    test="`test_special_school_outreach`: mean unmet need is lower, and "
         "`spend_levers_high_needs_gbp` stays zero.",
)


def _workforce(out, o, s, start):
    out.parameters["ep_growth_per_year"] += o["extra_ep_growth_per_year"] * s
    out.scale("notional_sen_budget_per_pupil", 1.0 + o["sen_budget_rise"] * s)


WORKFORCE = Lever(
    "workforce", "a workforce strategy", "Isos R8 (workforce strategy)",
    "More SENCO, EP, therapist and teaching-assistant capacity: LAs' EP capacity grows "
    "faster, and schools' SEN support stretches further.",
    _workforce,
    strength=LINEAR,
    options={
        "extra_ep_growth_per_year": Option(
            0.05, "1/year", "Extra yearly growth of LAs' educational-psychologist "
            "capacity at full strength.",
            "assumption: a national training programme adds about 5% a year to the EP "
            "workforce; not calibrated", 0.0, 0.5),
        "sen_budget_rise": Option(
            0.25, "share", "Relative rise of how far schools' notional SEN budget "
            "stretches (`notional_sen_budget_per_pupil`) at full strength.",
            "assumption: trained SENCOs and teaching assistants meet a quarter more need "
            "from the same budget; not calibrated", 0.0, 2.0),
        "programme_gbp_per_pupil": Option(
            25.0, "GBP/pupil/year", "What the DfE's workforce programme (training SENCOs, "
            "teaching assistants and educational psychologists) costs per pupil at full "
            "strength.",
            "assumption: about £190m a year nationally, the order of the DfE's EP training "
            "and SENCO qualification programmes scaled to every school; not from a source",
            0.0, 1000.0),
        "ramp_years": ramp_option(
            3, "assumption: training pipelines take about three years (the EP doctorate, "
               "the SENCO qualification within three years of appointment)"),
    },
    charges=(Charge("dfe", "pupil", lambda o, p: o["programme_gbp_per_pupil"],
                    "the training programme (`programme_gbp_per_pupil`)"),),
    affects="LAs (EPs); mainstream schools",
    evidence="""
        Isos R8: the National Institute to lead "a cross-government, multi-disciplinary
        workforce strategy for inclusive education", specifying "the skills and
        practitioners needed to deliver ... the core wraparound targeted offer" (Schools
        Week). Solihull PCV agrees: "we need to ensure that we recruit, train and retain
        a good, inclusive workforce".""",
    changes="""
        - **LAs:** `ep_growth_per_year += extra_ep_growth_per_year × s`. Each March, EP
          capacity (`ep_fte`) and its floor grow by
          {extra_ep_growth_per_year * 100:.0f}% more a year at s = 1. How much of it LAs
          use still follows their assessment queues.
        - **Mainstream schools:** `notional_sen_budget_per_pupil ×= (1 + sen_budget_rise
          × s)`, from £{p.notional_sen_budget_per_pupil:,.0f} to
          £{p.notional_sen_budget_per_pupil * (1 + sen_budget_rise):,.0f} a pupil at
          s = 1. SENCO and teaching-assistant capacity stretches the SEN budget further,
          so the support ratio rises.""",
    reasoning="""
        More trained staff let schools meet more need within SEN support, and let LAs
        complete assessments on time.""",
    not_modelled="""
        - **The programme is the cost:** the DfE pays for training
          (`spend_levers_dfe_gbp`); the salaries of the extra EPs LAs employ are not
          charged to them.
        - **A fixed ramp, not a labour market:** the effect builds up over `ramp_years`,
          with no recruitment, leaving or supply constraint.
        - **Therapists and SENCOs are not separate** from the school budget.
        - **The core offer does not depend on this lever.**""",
    test="`test_workforce`: the mean school support ratio is higher, and the LAs' EP floor "
         "has grown.",
)


def _early(out, o, s, start):
    # Early identification acts where needs first show: early-years settings and health
    # visitors as well as schools, by the same relative rise.
    out.scale("identification_per_month", 1.0 + o["identification_rise"] * s)
    out.scale("early_years_identification_per_month", 1.0 + o["identification_rise"] * s)
    out.scale("ordinarily_available_units", 1.0 + o["ordinarily_available_rise"] * s)


EARLY_IDENTIFICATION = Lever(
    "early_identification", "early identification and intervention",
    "NCB (early identification and intervention)",
    "Early-years settings, health visitors and schools identify needs sooner and "
    "ordinarily available provision in mainstream rises.",
    _early,
    strength=LINEAR,
    options={
        "identification_rise": Option(
            2.0, "share", "Relative rise of the monthly identification rates of schools "
            "(`identification_per_month`) and of early-years settings and health visitors "
            "(`early_years_identification_per_month`) at full strength.",
            "assumption: systematic screening finds needs in about a third of the time; "
            "not calibrated", 0.0, 10.0),
        "ordinarily_available_rise": Option(
            0.25, "share", "Relative rise of ordinarily available provision in mainstream "
            "(`ordinarily_available_units`) at full strength.",
            "assumption: early intervention as standard adds a quarter to what schools "
            "provide without extra funding; not calibrated", 0.0, 2.0),
        "screening_gbp_per_child": Option(
            40.0, "GBP/child/year", "What systematic screening costs health services a "
            "year per child in early years at full strength (health-visitor reviews and "
            "early-years SENCO time).",
            "assumption: about an hour of a health visitor's or SENCO's time a child a "
            "year; not from a source", 0.0, 1000.0),
        "ramp_years": ramp_option(
            2, "assumption: screening and early-intervention practice spread through "
               "settings and schools over about two years"),
    },
    charges=(
        Charge("health", "early_years_child", lambda o, p: o["screening_gbp_per_child"],
               "screening (`screening_gbp_per_child`)"),
        Charge("schools", "mainstream_need",
               lambda o, p: (o["ordinarily_available_rise"] * p["ordinarily_available_units"]
                             * NEED_UNIT_GBP),
               "the extra ordinarily available provision, `ordinarily_available_rise × "
               "ordinarily_available_units` need units (an upper bound, as for "
               "`national_framework`)"),
    ),
    affects="early years and mainstream schools",
    evidence="""
        NCB: meet needs "at the earliest possible point", through "early intervention and
        a laser-like focus on inclusive practice". Isos (via Solihull PCV): "the early
        years sector should be at the heart of efforts to identify needs".""",
    changes="""
        Early years (before Reception):

        - **Settings and health visitors identify needs sooner:**
          `early_years_identification_per_month ×= (1 + identification_rise × s)`, from
          {p.early_years_identification_per_month} to
          {p.early_years_identification_per_month * (1 + identification_rise)} a month at
          s = 1.

        Mainstream schools:

        - **They identify needs sooner:** `identification_per_month ×= (1 +
          identification_rise × s)`, from {p.identification_per_month} to
          {p.identification_per_month * (1 + identification_rise)} a month at s = 1.
        - **They intervene early as standard:** `ordinarily_available_units ×= (1 +
          ordinarily_available_rise × s)`, from {p.ordinarily_available_units} to
          {p.ordinarily_available_units * (1 + ordinarily_available_rise)}.""",
    reasoning="""
        Earlier identification brings children into SEN support sooner. Earlier support
        slows the escalation of unmet need. More children with SEN support also share the
        same notional budget, so support ratios fall. The net effect on requests
        emerges.""",
    not_modelled="""
        - The model has no children younger than two (they enter at the two-year check).
        - Early-years provision does not rise with the lever (only identification does).
        - Identification does not change a need's severity by itself.
        - **Charges, not budgets:** the extra ordinarily available provision is charged
          to schools' budgets, but their SEN budgets do not shrink to pay for it.""",
    test="`test_early_identification`: more children are on SEN support.",
)
