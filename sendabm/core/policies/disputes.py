"""Levers on how disagreements are decided: Isos R4 (the tribunal, limits on entitlement
and on choice) and Solihull Parent Carer Voice's 'right first time'."""

from __future__ import annotations

from sendabm.core.policies.lever import Charge, Lever, Option, ramp_option, switch
from sendabm.core.policies.schools import LINEAR

TRIBUNAL_MODES = ("keep", "remove", "replace")
"""What happens to the SEND Tribunal: kept, removed (mediation and complaints only), or
replaced by a non-judicial national mechanism (the Isos 'National Institute')."""


def _tribunal(out, o, s, start):
    mode = o["mode"]
    if mode == "remove":
        out.appeals_open = 0.0
    elif mode == "replace":
        out.hearing_capacity_factor = float(o["capacity_factor"])
        out.parameters["months_to_hearing_min"] = int(o["months_to_decision"])
        out.parameters["legal_threshold"] = float(o["threshold"])
        # Plans are judged against the framework's plan level, in the same proportion to
        # its assessment level as LAs' own thresholds.
        out.parameters["tribunal_plan_bar_factor"] = (
            out.parameters["plan_threshold_initial"] / out.parameters["assess_threshold_initial"])
        out.binding = 1.0 if o["binding"] else 0.0
        out.compliance = float(o["compliance"])
        # A non-judicial route costs families and LAs less effort than a hearing.
        out.scale("appeal_cost_weight", o["appeal_cost_weight_factor"])
        out.scale("tribunal_cost_gbp", o["tribunal_cost_factor"])


TRIBUNAL = Lever(
    "tribunal", "keep, remove or replace the SEND Tribunal",
    "Isos R4 (statutory framework reform); Solihull PCV",
    "mode 'remove': no appeal to a tribunal (mediation and complaints remain); 'replace': "
    "a non-judicial national mechanism decides against the national framework with its "
    "own capacity, time to decision and binding or advisory decisions; 'keep' changes "
    "nothing.",
    _tribunal,
    strength=None,
    no_strength_fix="set mode = \"keep\", \"remove\" or \"replace\" and the replacement's "
                    "options (capacity_factor, months_to_decision, binding, compliance, "
                    "threshold) instead",
    options={
        "mode": Option(
            "keep", "choice", "What happens to the tribunal.",
            "Isos R4 (replace), its critics (keep); 'remove' brackets the range",
            choices=TRIBUNAL_MODES),
        "capacity_factor": Option(
            1.5, "ratio", "Decisions per month relative to the tribunal's (replace).",
            "assumption: a paper-based national mechanism decides half as many cases again "
            "as the tribunal's judges; not calibrated", 0.1, 10.0),
        "months_to_decision": Option(
            2, "months", "Earliest decision after an appeal (replace).",
            "assumption: a non-judicial review needs no hearing date, so it decides sooner "
            "than the tribunal's minimum", 0, 24),
        "binding": switch(
            True, "Whether decisions bind the LA (replace).",
            "Isos R4 leaves it open; binding is the tribunal's rule"),
        "compliance": Option(
            0.6, "share", "Share of advisory decisions the LA follows (replace, "
            "`binding = false`).",
            "assumption: most LAs follow a national body's advice, but not all; not "
            "calibrated", 0.0, 1.0),
        "threshold": Option(
            0.5, "need units", "The need the mechanism requires for an assessment (replace).",
            "assumption: the national framework's default bar (national_framework's "
            "threshold), not linked to it", 0.0, 5.0),
        "appeal_cost_weight_factor": Option(
            0.5, "ratio", "Multiplier of the deterrent cost of appealing "
            "(`appeal_cost_weight`) under the replacement.",
            "assumption: a non-judicial route is about half as daunting for families as a "
            "tribunal hearing; not calibrated", 0.0, 5.0),
        "tribunal_cost_factor": Option(
            0.3, "ratio", "Multiplier of the LA's cost of defending an appeal "
            "(`tribunal_cost_gbp`) under the replacement.",
            "assumption: without legal representation and a hearing, defending a case "
            "costs the LA under a third as much; not calibrated", 0.0, 5.0),
    },
    free_because="""
        its costs are the cases': each appeal's defence is charged to the LA's general
        fund (`spend_tribunal_gbp`, `tribunal_cost_gbp` scaled by `tribunal_cost_factor`
        under `replace`), so removing the tribunal saves them and a replacement charges
        its own. The running cost of the tribunal or of its replacement to the justice
        system is left out of both, so the comparison is like for like on it.""",
    affects="tribunal / National Institute; families; LAs",
    evidence="""
        - Isos R4 asks for "independent, non-judicial mechanisms for dealing with
          disagreements" about access to provision, with "a role for the National
          Institute" instead of the tribunal. Appeals rose by 334% between 2014-15 and
          2022-23, and the appeal rate from 1.2% to 2.3% (Schools Week).
        - Solihull PCV: "we disagree with removing SEND Tribunals and using the National
          Institute instead".
        - NCB: "Lengthy and expensive Tribunal cases benefit no one", but "legal
          protections and remedies are a vital backstop for when things go wrong".""",
    changes="""
        - **`mode = "keep"`** (default) changes nothing. It lets a scenario state
          explicitly that the tribunal stays.
        - **`mode = "remove"`:** `appeals_open = 0`.
          - **Families:** after a refusal they may still try mediation. They can no
            longer appeal. A refused family that would have appealed has still decided
            to contest the refusal: it looks harder for another route
            (`redress_contest_shift` on every route's log-odds) and may complain to the
            ombudsman, claim judicial review, pay privately or take the child out of
            school for home education, each with its own propensity by resources, need
            and trust (docs/ODD.md §7.7); if it takes none, its dispute is counted as
            unheard (`disputes_unheard`). Either way the adversarial index's conflict
            part (`dispute_rate`) counts it, so it does not fall because the route
            closed. These routes are the same under every mode; with the tribunal open
            few families take them.
          - **Pending appeals:** in the first month, each pending appeal is either
            settled by the LA (by its reckoning of costs with no hearing to fear, so
            only through the noise of its costing) or lapses, counted in
            `disputes_dropped`. No hearings are held, and with no backlog the
            tribunal's capacity falls year by year toward its floor (`tribunal_capacity_floor`).
          - **LAs:** nothing tells them what to expect: each March they learn appeals
            and reversals per refusal, by decision type, from the year's cases, so the
            March after appeals stop they see fewer of their refusals appealed and
            reversed (only mediation agreements are left), and their reckoning of a
            refusal's cost raises their bars as far as their duty to the child allows.
            Their hearing-loss beliefs stay as they were (no hearing is left to learn
            from). No appeal costs are charged. In
            mediation they no longer expect a hearing, so going on costs them nothing
            and they agree only through the noise of their costing (`mediation_spread`;
            ODD §7.8): agreements fall through the LAs' expectation, not a set rate.
        - **`mode = "replace"`:** a non-judicial national mechanism hears appeals instead.
          - **Its capacity:** hearing capacity is the tribunal's times
            `capacity_factor`. It keeps responding to the backlog as the tribunal's
            does (each August, toward what would hear the backlog in
            `tribunal_target_months`, with its lag, yearly cap and floor), planning
            for what the backlog needs divided by `capacity_factor`: the factor acts
            at once, and keeps acting while the lag delays the response and where
            the cap or the floor binds.
          - **Its speed:** `months_to_hearing_min` is set to `months_to_decision`
            ({p.months_to_hearing_min} → {months_to_decision}).
          - **Its bar:** `legal_threshold` is set to `threshold`
            ({p.legal_threshold} → {threshold}), and `tribunal_plan_bar_factor` to the
            LAs' own ratio `plan_threshold_initial / assess_threshold_initial`, so plan
            appeals are judged at {threshold * p.plan_threshold_initial /
            p.assess_threshold_initial:.3g} units at the defaults. Placement appeals are
            unchanged. The LA's foresight of the decision (merit) uses the new bar, so
            concessions and mediation agreements fall for cases between the old and new
            bars.
          - **Binding or advisory decisions:** with `binding = false`, the LA follows each
            decision the family wins with probability `compliance` (draw stream
            `COMPLIANCE`). Otherwise the case closes without a remedy and `trust_la ×=
            trust_kept_on_loss`. Concessions are always followed. In mediation an LA
            expects a lost hearing to cost it the provision only `compliance` of the
            time, so it agrees less than under binding decisions.
          - **Families:** a non-judicial route is less daunting, so `appeal_cost_weight
            ×= appeal_cost_weight_factor`, a lower deterrent in the appeal decision.
          - **LAs:** defending a case costs less: `tribunal_cost_gbp ×=
            tribunal_cost_factor`, from £{p.tribunal_cost_gbp:,.0f} to
            £{p.tribunal_cost_gbp * tribunal_cost_factor:,.0f} per appeal.""",
    reasoning="""
        Removing the tribunal takes away families' leverage on LA decisions. Replacing it
        tests whether a faster and cheaper route that decides against a higher national
        bar reduces disputes without leaving needs unmet, and what happens when its
        decisions are only advisory. The model reports the effects on plans, costs, unmet
        need and trust. It does not assume them.""",
    not_modelled="""
        - **The other routes do not change with the tribunal:** the ombudsman takes
          every complaint (in law it may not investigate what a tribunal could hear),
          its caseload and the courts' are not limited, and legal aid for judicial
          review is not modelled (docs/ODD.md §7.8a).
        - **The bar is this lever's own:** the National Institute's decisions use its
          `threshold` option. Its default equals the `national_framework` lever's, but
          the two are not linked. The plan bar remains a multiple
          (`tribunal_plan_bar_factor`) of it.
        - **Advisory decisions still count as losses:** when the LA ignores an advisory
          decision, the hearing still counts as lost by the LA (its thresholds relax) and
          as won by the family (parents' expected success rises).
        - **The measures keep the tribunal's names:** under `replace`, `hearings`,
          `hearing_capacity` (with `capacity_factor`) and `months_to_hearing` report the
          mechanism's decisions, capacity and backlog.""",
    test="""
        `test_tribunal` checks three things:

        - removal means no appeals and no hearings;
        - replacement with `months_to_decision = 1` and `capacity_factor = 3` holds more
          hearings;
        - advisory decisions with `compliance = 0` leave decisions not followed, and
          less trust in the LA, than binding ones.

        `tests/test_mediation.py` checks that mediation agreements fall, case by case and
        in the levers' first months, with removal, and less with advisory decisions.""",
)


def _right_first_time(out, o, s, start):
    out.scale("la_observation_sd", 1.0 - o["noise_cut"] * s)
    # LAs apply the law as the tribunal does: their bar moves to the legal threshold.
    out.threshold_pull = max(out.threshold_pull, o["pull_per_year"] * s)
    out.threshold_target = float(out.parameters["legal_threshold"])
    out.threshold_from_current = False


RIGHT_FIRST_TIME = Lever(
    "right_first_time", "keep the tribunal, get decisions right first time",
    "Solihull Parent Carer Voice (keep the tribunal, get decisions right first time)",
    "LAs apply the law as the tribunal does: they read needs with less noise and their "
    "thresholds are pulled towards the legal threshold each year.",
    _right_first_time,
    strength=LINEAR,
    options={
        "noise_cut": Option(
            0.6, "share", "Share of the noise in LAs' reading of needs "
            "(`la_observation_sd`) removed at full strength.",
            "assumption: casework trained on tribunal decisions removes more noise than a "
            "written framework alone (national_framework's noise_cut); not calibrated",
            0.0, 1.0),
        "pull_per_year": Option(
            0.5, "share/year", "Share of the gap between an LA's thresholds and the legal "
            "test closed each March, at full strength.",
            "assumption: LAs that set out to apply the law close half the gap a year; not "
            "calibrated", 0.0, 1.0),
        "casework_gbp_per_request": Option(
            300.0, "GBP/request", "What deciding a request as the tribunal would costs the "
            "LA's general fund on top of today's casework, per request for an assessment.",
            "assumption: about a day of an experienced case officer's time and legal or "
            "panel review per request; not from a source", 0.0, 10000.0),
        "ramp_years": ramp_option(
            2, "assumption: case officers are trained on tribunal decisions over about two "
               "years"),
    },
    charges=(Charge("general_fund", "assessment_request",
                    lambda o, p: o["casework_gbp_per_request"],
                    "better casework (`casework_gbp_per_request`)"),),
    affects="LAs",
    evidence="""
        Solihull Parent Carer Voice's alternative to R4: "We believe that the focus should
        be on local systems making the right decision at the right time and properly
        applying the law."
        """,
    changes="""
        Local authorities:

        - **They read needs with less noise:** `la_observation_sd ×= (1 − noise_cut ×
          s)`, from {p.la_observation_sd} to {p.la_observation_sd * (1 - noise_cut)} at
          s = 1.
        - **They apply the law as written:** each March, after gatekeeping and diffusion,
          thresholds move towards `threshold_target = legal_threshold` (the tribunal's
          assessment bar, {p.legal_threshold}; for plans ×
          {p.plan_threshold_initial / p.assess_threshold_initial:.3g}, the LAs' own
          ratio) with `threshold_pull = pull_per_year × s`.
        - **The tribunal is unchanged.** Combine with `tribunal` `mode = "keep"` to say
          so.""",
    reasoning="""
        If LAs read needs as the tribunal does and set their bar at the legal test, fewer
        refusals are overturned. That should mean fewer appeals and more trust, at the
        cost of more plans. The lever tests the parent carers' claim against the Isos
        diagnosis.""",
    not_modelled="""
        - **How LAs achieve it:** training, casework and legal advice are a charge per
          request to the LA's general fund, which does not feed back on gatekeeping; the
          casework staff are not a modelled capacity.
        - **The plan target differs from the tribunal's plan bar:** LAs' plan target is
          the legal threshold times their own plan-to-assessment ratio, while the
          tribunal judges plans at the legal threshold times
          `tribunal_plan_bar_factor`.
        - **Interaction with `replace`:** combined with `tribunal` `mode = "replace"`,
          the target follows that mode's `threshold` (levers apply in a fixed order, the
          tribunal first).
        - **Budget pressure continues:** gatekeeping under overspend still acts every
          March.""",
    test="`test_right_first_time`: `la_observation_sd` is lower, and fewer assessments are "
         "refused.",
)


def _entitlement(out, o, s, start):
    out.scale("tribunal_plan_bar_factor", 1.0 + o["appeal_bar_rise"] * s)
    out.plan_threshold_add += o["plan_threshold_rise"] * s


ENTITLEMENT_LIMITS = Lever(
    "entitlement_limits", "limits on entitlement", "Isos R4 (limits on entitlement)",
    "Plans need more: LA plan thresholds rise and the bar for refusal-to-issue appeals "
    "rises.",
    _entitlement,
    strength=LINEAR,
    options={
        "plan_threshold_rise": Option(
            0.3, "need units", "Added to every LA's plan threshold at full strength.",
            "assumption: a narrower entitlement raises the bar for a plan by about half the "
            "initial plan threshold; not calibrated", 0.0, 5.0),
        "appeal_bar_rise": Option(
            1.0, "share", "Relative rise of the bar for refusal-to-issue appeals "
            "(`tribunal_plan_bar_factor`) at full strength.",
            "assumption: the appeal bar doubles, so that a refusal under the new rules is "
            "not simply overturned; not calibrated", 0.0, 5.0),
    },
    free_because="""
        it is a change in the law, delivered by the decisions it changes; what those
        decisions cost (plans, places, top-ups, appeals) is charged as usual.""",
    affects="LAs; tribunal",
    evidence="""
        Isos R4: the state "must be clear on where the limits of individual choice and
        entitlement lie" (Schools Week). Solihull PCV: "We also are very concerned that
        the report recommends the reduction of statutory entitlements".""",
    changes="""
        - **LAs need more to issue a plan:** `plan_threshold_add = plan_threshold_rise ×
          s` is added to every LA's plan threshold when it decides after an assessment.
          The addition is on top of the LA's own threshold, which keeps adapting.
        - **The tribunal (or its replacement) needs more to order a plan:**
          `tribunal_plan_bar_factor ×= (1 + appeal_bar_rise × s)`. With the tribunal,
          the bar for refusal-to-issue appeals rises from
          {p.legal_threshold * p.tribunal_plan_bar_factor:.3g} to
          {p.legal_threshold * p.tribunal_plan_bar_factor * (1 + appeal_bar_rise):.3g}
          units at s = 1.""",
    reasoning="""
        A narrower entitlement to a plan is a rule change for both deciders. The LA's bar
        and the appeal bar rise together, so a refusal is not simply overturned.""",
    not_modelled="""
        - The assessment test ("may need") and the bar for assessment appeals are
          unchanged.
        - Existing plans are neither reviewed nor withdrawn.
        - Top-ups of new plans follow need as before.
        - Placement entitlements are covered by `choice_limits`.
        - **Bars compound with `replace`:** with `tribunal` `mode = "replace"`, the plan
          bar is the mechanism's `threshold` × the LAs' plan-to-assessment ratio × (1 +
          `appeal_bar_rise` × s).""",
    test="`test_entitlement_limits`: more plans are refused after assessment.",
)


def _choice(out, o, s, start):
    out.parameters["special_preference_base_logit"] -= o["preference_cut"] * s
    out.independent_orders *= 1.0 - s


CHOICE_LIMITS = Lever(
    "choice_limits", "limits on parental choice", "Isos R4 (limits on parental choice)",
    "Families are less able to insist on a specialist setting: their preference for "
    "special settings falls and tribunal orders name state places rather than independent "
    "ones.",
    _choice,
    strength="0: no change. 1: families' preference for a special setting falls by the "
             "full `preference_cut`, and no order names an independent provider. In "
             "between, the cut scales with the strength and an order names an independent "
             "provider with probability 1 − s.",
    options={"preference_cut": Option(
        2.0, "logit", "Fall of the log-odds that a family with a plan in mainstream asks for "
        "a special setting, at full strength.",
        "assumption: limits on choice cut such requests to about a seventh; not calibrated",
        0.0, 10.0)},
    free_because="""
        it is a change in the law, delivered by the decisions it changes; the places
        families are then given are charged as usual.""",
    affects="families; tribunal orders",
    evidence="""
        Isos R4: "maintain a role for parental preference in admissions", but be clear "on
        where the limits of individual choice and entitlement lie" (Schools Week).
        Solihull PCV is "deeply concerned" by a theme of "raising thresholds for
        accessing specialist schools".""",
    changes="""
        - **Families** with a plan in mainstream are less able to insist on a specialist
          setting: `special_preference_base_logit −= preference_cut × s`, from
          {p.special_preference_base_logit} to
          {p.special_preference_base_logit - preference_cut} at s = 1. That multiplies
          the monthly odds of asking for a special setting by
          e^−{preference_cut} ≈ {exp(-preference_cut):.2f}.
        - **Orders name state places:** a placement ordered by the tribunal, or conceded
          by the LA, names an independent provider only with probability
          `independent_orders = 1 − s` (draw stream `ORDER_SETTING`). Otherwise the child
          waits for a state special place like any other. After
          `wait_before_independent` months they go to an independent provider that has a
          vacancy, but never over capacity.""",
    reasoning="""
        Limits on choice reduce the demand for specialist places that comes from lost
        trust in mainstream, and stop orders from forcing independent placements over
        capacity.""",
    not_modelled="""
        - Preference between mainstream schools: school choice is random in the model.
        - The LA's own placement decision is unchanged.
        - Families who would have asked for a special place stay in mainstream with the
          same need.""",
    test="`test_choice_limits`: fewer placement requests are refused, because fewer are "
         "made.",
)
