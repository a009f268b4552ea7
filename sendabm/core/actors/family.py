"""Family: one child and the parent(s) who advocate for them.

**What it is.** A child from age 2 (two year groups before Reception, in early years:
:mod:`sendabm.core.actors.early_years`) to age 25 and the parent(s) who speak for them.
Their state lives in the model's numpy columns (:mod:`sendabm.core.population`); a
:class:`Family` is a ``mesa.Agent`` view that reads and writes one row through
attribute access (``family.need``), so it can be inspected, collected by Mesa tools
and stepped one at a time.

**What it decides.** Each month the child's need emerges, drifts, worsens while unmet
or resolves; the family updates its trust in the school and the LA, requests an EHC
needs assessment or a special setting, and after a refusal chooses mediation, appeal,
a route beyond the tribunal (a complaint to the ombudsman, judicial review, paying
privately, home education; :func:`redress_probabilities`) or giving up (its decision
to contest counts as a dispute even when the route it would take is closed: an
unheard dispute, unless it takes a route beyond the tribunal); progress and wellbeing
follow met need.
These monthly decisions run in the family kernel
(:func:`sendabm.core.kernels.family_month.family_month`) and the outcomes in the
counting pass (:mod:`sendabm.core.kernels.outcomes`); the September
move up a year is :mod:`sendabm.core.cohorts`.

**What it owns.**

- parameters: :data:`PARAMS` (groups ``needs``, ``family``, ``outcomes``);
- state: the family columns (:data:`sendabm.core.population.COLUMNS`), set up by
  :func:`sendabm.core.cohorts.init_rows`;
- adaptation: none yearly (parents' expected appeal success is kept per LA, in
  :meth:`sendabm.core.actors.local_authority.LocalAuthorities.learn_success`).

:meth:`Family.month` and :meth:`Family.outcomes` are the readable per-family versions
of the numba kernels in :mod:`sendabm.core.kernels.family_month` and
:mod:`sendabm.core.kernels.outcomes`. They are written independently, in plain Python,
and serve as the test oracle (the kernels must give identical results) and as the
benchmark baseline. Floats are read as Python floats (float64) so the arithmetic
matches the kernels, which also compute in float64.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable

import mesa
import numpy as np

from sendabm.core import rng
from sendabm.core import states as S
from sendabm.core.actors.tribunal import legal_bar
from sendabm.core.param import NEED_UNIT_GBP, Param, declare
from sendabm.core.population import COLUMNS, NEVER

FamilyWorld = namedtuple(
    "FamilyWorld",
    [
        "key",                    # uint64 run key
        "tick",                   # int64 current tick
        "onset_multiplier",       # float: identification trend factor this year
        "school_support_ratio",   # float64[n_school]: share of SEN support a school can fund
        "school_inclusiveness",   # float64[n_school] in [0, 1]
        "school_mean_trust",      # float64[n_school]: families' mean trust last month
        "special_quality",        # float64[n_special]: share of need met
        "la_mean_trust",          # float64[n_la]: families' mean trust in the LA last month
        "la_expected_success",    # float64[n_la]: appeal success parents expect
        "la_appeal_shift",        # float64[n_la]: log-odds of appealing in the LA's area
        "la_request_shift",       # float64[n_la]: log-odds of requesting in the LA's area
        "appeals_open",           # float 1.0 if families can appeal to a tribunal
        "mediation_open",         # float 1.0 if mediation is available
        "core_offer_units",       # float need units of support available without a plan
        "fe_support_units",       # float extra support for plan holders in FE (need units)
        "onset_multipliers",      # float64[tick]: identification trend factor of each month
        "request_factor",         # float: multiplier on request chances (school closures)
    ],
)
"""What a family can see of the institutions this month (and nothing more: not the
tribunal's answer nor another family's state): the family kernel and
:meth:`Family.month` read the world only through it."""


PARAMS: tuple[Param, ...] = (
    # --- needs ---------------------------------------------------------------------------
    declare("need_onset_per_year", 0.018, "1/year", 0.0, 0.2, "needs",
        "assumption: gives ~15% of pupils with some identified need by age 11, "
        "as in the 2015 school census (SEN 15.4%)",
        "Yearly hazard that a child without SEN develops a need, at age 5."),
    declare("need_onset_age_slope", 0.04, "1/year of age", -0.2, 0.5, "needs",
        "assumption: identification peaks in Key Stage 2 (DfE SEN in England by age)",
        "Relative change in onset hazard per year of age after Reception."),
    declare("prevalence_trend_per_year", 0.03, "1/year", -0.1, 0.2, "needs",
        "uncertainty: autism and SEMH identification rose about 3-6% a year "
        "2015-2024 (DfE SEN in England)",
        "Yearly growth of the onset hazard after 2014 (identification trend)."),
    declare("prevalence_trend_decay_per_year", 0.0, "1/year", 0.0, 1.0, "needs",
        "fitted to the 2015-2022 record (sendabm calibrate); 0 keeps the trend constant",
        "Rate at which the identification trend's growth fades: the onset hazard's yearly "
        "growth is log(1 + prevalence_trend_per_year) × e^(-decay × years since 2014), so "
        "it levels off at (1 + trend)^(1 / decay) times its 2014 value."),
    declare("need_at_entry", 0.05, "share", 0.0, 1.0, "needs",
        "assumption: ~5% of Reception children have SEN identified in early years (DfE SEN 2015)",
        "Share of children who arrive in Reception with a need."),
    declare("early_years_need_share", 0.5, "share", 0.0, 1.0, "needs",
        "assumption: about half the needs present at Reception are already present at "
        "age 2 (the two-year check); SEN2 shows few plans before age 3; not calibrated",
        "Share of the needs present at Reception entry (`need_at_entry`) that are already "
        "present when a child enters the model at age 2; the rest emerge over the two "
        "early years at a constant hazard (:func:`early_years_onset_per_year`)."),
    declare("need_severity_median", 0.25, "need units", 0.01, 5.0, "needs",
        "assumption: median SEN support costs ~£2,500 a year",
        "Median severity of a newly emerged need (lognormal)."),
    declare("need_severity_sigma", 1.1, "log need units", 0.1, 3.0, "needs",
        "assumption: ~10% of needs exceed 1 unit, matching EHC plans as ~18% of SEN",
        "Spread (sd of log) of new need severity."),
    declare("need_drift_sd", 0.02, "log need units/month", 0.0, 0.5, "needs",
        "assumption", "Monthly random drift of log severity."),
    declare("unmet_escalation", 0.02, "1/month", 0.0, 0.5, "needs",
        "assumption: unmet need worsens needs (Isos 2024; NCB on early intervention)",
        "Monthly growth of severity per unit of unmet-need ratio."),
    declare("need_resolve_per_year", 0.05, "1/year", 0.0, 1.0, "needs",
        "assumption: some mild needs resolve (SEN support churn in census)",
        "Yearly chance that a mild need (< 0.2 units) with no unmet need resolves."),
    # --- family --------------------------------------------------------------------------
    declare("trust_initial", 0.75, "share", 0.0, 1.0, "family", "assumption",
        "Families' initial trust in their mainstream school and LA."),
    declare("trust_learning_rate", 0.08, "1/month", 0.0, 1.0, "family", "assumption",
        "Monthly adjustment of trust towards what families experience."),
    declare("peer_weight", 0.2, "share", 0.0, 1.0, "family",
        "assumption: parents share experience through forums and networks",
        "Weight of peers' (same school and LA) mean trust in a family's own trust."),
    declare("request_base_per_month", 0.0015, "1/month", 0.0, 1.0, "family",
        "assumption, calibrated later against SEN2 requests",
        "Base monthly chance a family with SEN requests an EHC needs assessment."),
    declare("request_unmet_weight", 2.0, "logit per unmet ratio", 0.0, 20.0, "family",
        "assumption", "Effect of unmet need on the request propensity."),
    declare("request_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0, "family",
        "assumption", "Effect of distrust in the school on the request propensity."),
    declare("request_resources_weight", 1.5, "logit per unit resources", 0.0, 20.0, "family",
        "assumption: better-resourced families navigate the system more (NAO 2019)",
        "Effect of family resources on requests and appeals."),
    declare("request_severity_weight", 1.0, "logit per need unit", 0.0, 20.0, "family",
        "assumption", "Effect of need severity on the request propensity."),
    declare("closure_request_factor", 0.6, "ratio", 0.0, 1.0, "family",
        "DfE SEN2: initial requests 82,329 (2019), 75,951 (2020), 93,302 (2021), while "
        "schools were closed to most pupils in April-July 2020 and January-February 2021",
        "Multiplier on families' and schools' monthly chance of requesting an assessment "
        "while schools were closed (exogenous.SCHOOL_CLOSURES)."),
    declare("appeal_base_logit", -4.3, "logit", -10.0, 10.0, "family",
        "assumption; appeal rate ~1.2% of plans 2014/15 (Isos 2024)",
        "Baseline log-odds of appealing a refusal."),
    declare("appeal_success_weight", 3.0, "logit per unit expected success", 0.0, 20.0, "family",
        "assumption: families learn from peers' appeal outcomes",
        "Effect of expected success on the appeal propensity."),
    declare("appeal_cost_weight", 1.0, "logit", 0.0, 20.0, "family",
        "assumption", "Effort and cost of appealing, as a deterrent."),
    declare("appeal_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0, "family",
        "assumption: parents who distrust the LA are readier to challenge it (Isos 2024)",
        "Effect of distrust in the LA on the appeal propensity."),
    declare("appeal_severity_weight", 0.5, "logit per need unit", 0.0, 20.0, "family",
        "assumption: parents (and their advisers) pursue appeals where the child's need is "
        "plainly greater than the legal test for what was refused; weak cases are advised "
        "against",
        "Effect on the appeal propensity of the child's need above the tribunal's bar for "
        "what was refused (tribunal.legal_bar)."),
    declare("appeal_advice_share", 0.5, "share", 0.0, 1.0, "family",
        "assumption: IPSEA, SOSSEN, parent-carer forums and solicitors advise many but not "
        "all appellants; better-resourced families reach advice more (NAO 2019)",
        "Chance a family of middling resources gets advice on the merits of its appeal "
        "after registering it (times 0.5 + its resources, at most 1); advised families "
        "withdraw a case their adviser judges more likely lost than won."),
    declare("expected_success_initial", 0.5, "share", 0.0, 1.0, "family",
        "assumption: in 2014 few parents knew how often appeals succeed",
        "Appeal success parents expect at the start."),
    declare("success_learning_rate", 0.3, "share/year", 0.0, 1.0, "family",
        "assumption", "Yearly weight of observed appeal outcomes in parents' expectations."),
    declare("mediation_uptake", 0.3, "share", 0.0, 1.0, "family",
        "MoJ/SEN2: about a quarter of disputes go to mediation",
        "Share of disputing families that try mediation first."),
    # --- family: redress beyond the tribunal (redress_probabilities) ---------------------
    declare("redress_contest_shift", 3.0, "logit", 0.0, 20.0, "family",
        "assumption: a family that has decided to contest a refusal and finds the route it "
        "wanted closed looks for another (the parent-carer responses to Isos 2024 expect "
        "disputes to go elsewhere without the tribunal); not calibrated",
        "Shift of each redress route's log-odds for a family that wanted to contest but "
        "whose route (mediation or appeal) was closed."),
    declare("complaint_base_logit", -4.0, "logit", -20.0, 10.0, "family",
        "assumption: complaints to the LGSCO about SEND are a few thousand a year, few "
        "beside the refusals; the ombudsman is free to use; not calibrated",
        "Log-odds that a family at the end of a dispute complains to the ombudsman (with "
        "full trust in the LA)."),
    declare("complaint_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0, "family",
        "assumption: as for appeals (appeal_distrust_weight)",
        "Effect of distrust in the LA on complaining."),
    declare("judicial_review_base_logit", -8.0, "logit", -20.0, 10.0, "family",
        "assumption: judicial reviews of SEND decisions are a handful a year (Administrative "
        "Court); not calibrated",
        "Log-odds that a family of middling resources claims judicial review of a refusal "
        "where the law is clear."),
    declare("judicial_review_resources_weight", 5.0, "logit per unit resources", 0.0, 20.0,
        "family",
        "assumption: a claim needs a solicitor and risks the LA's costs, so it is open mainly "
        "to families who can pay (legal aid is not modelled)",
        "Effect of family resources on claiming judicial review."),
    declare("judicial_review_clear_margin", 1.5, "ratio", 1.0, 10.0, "family",
        "assumption: solicitors take a claim only where the refusal is plainly unlawful",
        "Need, as a multiple of the legal bar for what was refused, above which the law is "
        "clear enough for a claim (refusals to assess or to issue a plan only)."),
    declare("private_base_logit", -4.5, "logit", -20.0, 10.0, "family",
        "assumption: some families buy independent assessments and therapy after a "
        "refusal; not calibrated",
        "Log-odds that a family of middling resources with no unmet need pays privately "
        "for an assessment and provision."),
    declare("private_resources_weight", 5.0, "logit per unit resources", 0.0, 20.0, "family",
        "assumption: paying privately needs money",
        "Effect of family resources on paying privately."),
    declare("private_unmet_weight", 2.0, "logit per unmet ratio", 0.0, 20.0, "family",
        "assumption: as for requests (request_unmet_weight)",
        "Effect of the unmet share of need on paying privately."),
    declare("private_cover_share", 0.5, "share", 0.0, 1.0, "family",
        "assumption: a family buys part of the support its child lacks; not calibrated",
        "Share of the child's unmet need a family that pays privately buys."),
    declare("private_months", 12.0, "months", 1.0, 240.0, "family",
        "assumption: a private package (an assessment, a course of therapy or tuition) runs "
        "about a school year; not calibrated",
        "Mean months privately bought support lasts (it fades by 1/private_months a month)."),
    declare("home_education_base_logit", -6.0, "logit", -20.0, 10.0, "family",
        "assumption: some parents of children with SEND deregister them after a dispute "
        "(the ADCS elective home education surveys); not calibrated",
        "Log-odds that a family whose child's need is met and who trusts the LA takes the "
        "child out of school at the end of a dispute."),
    declare("home_education_unmet_weight", 2.0, "logit per unmet ratio", 0.0, 20.0, "family",
        "assumption: as for requests (request_unmet_weight)",
        "Effect of the unmet share of need on leaving school for home education."),
    declare("home_education_distrust_weight", 2.0, "logit per unit distrust", 0.0, 20.0,
        "family", "assumption: as for appeals (appeal_distrust_weight)",
        "Effect of distrust in the LA on leaving school for home education."),
    declare("special_preference_weight", 2.5, "logit", 0.0, 20.0, "family",
        "assumption: lost trust in mainstream drives demand for special places (Isos 2024)",
        "Effect of unmet need and distrust on wanting a special setting."),
    declare("special_preference_base_logit", -6.0, "logit", -20.0, 5.0, "family",
        "assumption", "Baseline log-odds per month of asking for a special setting."),
    # --- outcomes ------------------------------------------------------------------------
    declare("progress_gain", 0.02, "SD/month", 0.0, 1.0, "outcomes", "assumption",
        "Monthly progress lost per unit of unmet-need ratio."),
    declare("post19_cease_per_year", 0.2, "1/year", 0.0, 1.0, "outcomes",
        "assumption: plans for 19-25s end as young people leave education",
        "Yearly chance a plan for a young person aged 19-25 ceases."),
    declare("post16_fe_share", 0.4, "share", 0.0, 1.0, "outcomes",
        "assumption: many plan holders move to FE colleges at 16 (SEN2 by establishment)",
        "Share of plan holders in mainstream who move to further education at 16."),
    declare("post16_plan_continue", 0.75, "share", 0.0, 1.0, "outcomes",
        "assumption: most plan holders continue in FE after Year 13",
        "Share of plan holders who continue in education after Year 13."),
)
"""Parameters of needs, families' choices, and outcomes and transitions (groups ``needs``,
``family``, ``outcomes``)."""


def _column(name: str, as_float: bool) -> property:
    def get(self):
        value = self.model.families[COLUMNS_INDEX[name]][self.row]
        return float(value) if as_float else int(value)

    def set_(self, value):
        self.model.families[COLUMNS_INDEX[name]][self.row] = value

    return property(get, set_, doc=f"Column '{name}' of this family's row.")


COLUMNS_INDEX = {name: k for k, name in enumerate(COLUMNS)}


class Family(mesa.Agent):
    """One child and their parent(s), as a view of row ``row`` of the family columns.

    Args:
        model: The :class:`~sendabm.core.model.SendModel` holding the columns.
        row: Row index into ``model.families``.
    """

    def __init__(self, model: mesa.Model, row: int):
        super().__init__(model)
        self.row = int(row)

    def __repr__(self) -> str:
        return (f"Family(row={self.row}, uid={self.uid}, la={self.la}, year={self.year}, "
                f"need={self.need:.3f}, sen={self.sen}, setting={self.setting}, "
                f"stage={S.STAGE_NAMES[self.stage]})")

    # ---- the family's month (twin of kernels.family_month.family_row) ----------
    def month(self, world: FamilyWorld, p: tuple, draw: rng.PyRandom,
              hit: Callable[[str], None] | None = None) -> None:
        """Phases 2-4 and the family side of 6 for this family, in plain Python.

        Args:
            world: The month's institution-level inputs.
            p: The month's parameters (a :data:`sendabm.core.parameters.ParamVector`).
            draw: The counter-based random numbers.
            hit: If given, called with the name of each branch taken (one of
                :data:`BRANCHES`; the reference's coverage count).
        """
        hit = hit or _ignore
        self.events = 0
        self._needs(world, p, draw, hit)
        self._identify_and_provide(world, p, draw, hit)
        self._update_trust(world, p)
        self._dispute_choice(world, p, draw, hit)
        self._request(world, p, draw, hit)

    def next_onset(self, now: int, first: int, multipliers, p: tuple,
                   draw: rng.PyRandom) -> int:
        """Month a need emerges for this child (who has none), or NEVER: the first month
        from ``first`` whose onset draw succeeds, before the child leaves the school years.

        Args:
            now: The current month, tick (the year group rises each September after it).
            first: First month to draw, tick.
            multipliers: Identification trend factor of each month, indexed by tick (the
                run's months only: later months are never drawn).
            p: Parameters.
            draw: The counter-based random numbers.
        """
        year = self.year
        for t in range(first, min(first + ONSET_HORIZON, len(multipliers))):
            if t > now and t % 12 == 0:  # tick 0 is a September
                year += 1
            if year >= S.SCHOOL_YEARS:
                return NEVER
            if draw.uniform(rng.ONSET, self.uid, t) < _onset_chance(year, multipliers[t], p):
                return t
        return NEVER

    def _needs(self, world, p, draw, hit) -> None:
        if self.year >= S.SCHOOL_YEARS:
            return
        tick = world.tick
        if self.need <= 0.0:
            # A new need emerges with an age-dependent, trending hazard.
            chance = _onset_chance(self.year, world.onset_multiplier, p)
            if draw.uniform(rng.ONSET, self.uid, tick) < chance:
                hit("need_emerges")
                z = draw.normal(rng.SEVERITY, self.uid, tick)
                severity = p.need_severity_median * math.exp(p.need_severity_sigma * z)
                self.need = min(NEED_CAP, severity)
                self.need_type = need_type_of(draw.uniform(rng.NEED_TYPE, self.uid, tick))
            return
        # An existing need drifts and grows while it is not met.
        need, unmet = self.need, self.unmet
        z = draw.normal(rng.DRIFT, self.uid, tick)
        growth = math.exp(p.need_drift_sd * z + p.unmet_escalation * unmet / need)
        need = min(NEED_CAP, need * growth)
        mild_and_met = need < MILD_NEED and unmet <= 0.0 and self.sen != S.EHCP
        resolve_chance = p.need_resolve_per_year / 12.0
        if mild_and_met and draw.uniform(rng.RESOLVE, self.uid, tick) < resolve_chance:
            hit("need_resolves")
            need = 0.0
            self.need_type = -1
            self.sen = S.SEN_NONE
            self.wellbeing = 1.0
            self.private = 0.0
            self.onset_tick = self.next_onset(tick, tick + 1, world.onset_multipliers, p, draw)
        self.need = need

    def provision_this_month(self, world, p, hit=None) -> float:
        """Support the child receives in its setting, need units (``hit`` counts the
        branches taken)."""
        hit = hit or _ignore
        need = self.need
        if need <= 0.0:
            return 0.0
        if self.setting == S.MAINSTREAM:
            hit("provision_mainstream")
            if world.core_offer_units > 0.0:
                hit("core_offer")
            school = self.school
            support = (p.ordinarily_available_units * world.school_inclusiveness[school]
                       + world.core_offer_units)
            if self.sen != S.SEN_NONE:
                threshold_units = p.notional_threshold_gbp / NEED_UNIT_GBP
                support += min(need, threshold_units) * world.school_support_ratio[school]
            if self.sen == S.EHCP:
                support += self.topup
            return min(need, support)
        if self.setting == S.SPECIAL:
            hit("provision_special")
            return need * world.special_quality[self.provider]
        if self.setting == S.INDEPENDENT:
            hit("provision_independent")
            return need
        if self.setting == S.FURTHER_EDUCATION:
            hit("provision_further_education")
            if world.fe_support_units > 0.0:
                hit("fe_support")
            return min(need, p.ordinarily_available_units + self.topup + world.fe_support_units)
        if self.setting == S.EARLY_YEARS:
            hit("provision_early_years")
            support = p.early_years_support_units
            if self.sen == S.EHCP:
                support += p.early_years_plan_cost_gbp / NEED_UNIT_GBP
            return min(need, support)
        return 0.0

    def _identify_and_provide(self, world, p, draw, hit) -> None:
        in_school = self.setting == S.MAINSTREAM and self.year < S.SCHOOL_YEARS
        early = self.setting == S.EARLY_YEARS
        if self.need > 0.0 and self.sen == S.SEN_NONE and (in_school or early):
            # Schools identify at their rate; early-years settings and health at theirs.
            rate = p.identification_per_month if in_school else (
                p.early_years_identification_per_month)
            if draw.uniform(rng.IDENTIFY, self.uid, world.tick) < rate:
                hit("need_identified_early_years" if early else "need_identified")
                self.sen = S.SEN_SUPPORT
        provision = self.provision_this_month(world, p, hit)
        if self.need > 0.0 and self.private > 0.0:
            # Support the family pays for comes on top of the setting's, and fades.
            hit("private_provision")
            provision = min(self.need, provision + self.private)
            self.private = self.private * math.exp(-1.0 / p.private_months)
        self.provision = provision
        self.unmet = max(0.0, self.need - provision)

    def _update_trust(self, world, p) -> None:
        if self.need <= 0.0:
            return
        if self.setting == S.MAINSTREAM:
            met_share = 1.0 - self.unmet / self.need
            trust = self.trust_school
            trust = trust + p.trust_learning_rate * (met_share - trust)
            peers = world.school_mean_trust[self.school]
            self.trust_school = (1.0 - p.peer_weight) * trust + p.peer_weight * peers
        elif self.setting == S.EARLY_YEARS:
            # Trust in the early-years setting follows experience (no school peers).
            met_share = 1.0 - self.unmet / self.need
            self.trust_school = self.trust_school + p.trust_learning_rate * (
                met_share - self.trust_school)
        trust_la = self.trust_la
        peers_la = world.la_mean_trust[self.la]
        self.trust_la = trust_la + p.trust_learning_rate * p.peer_weight * (peers_la - trust_la)

    def _open_case(self, world, kind: int) -> None:
        if kind == S.KIND_ASSESS and self.last_request_tick != NEVER:
            self.events |= S.EV_REPEAT_REQUEST
        self.stage = S.REQUESTED
        self.kind = kind
        self.stage_tick = world.tick
        self.last_request_tick = world.tick
        if kind == S.KIND_ASSESS:
            self.request_tick = world.tick

    def _request(self, world, p, draw, hit) -> None:
        in_school = self.setting == S.MAINSTREAM and self.year < S.SCHOOL_YEARS
        early = self.setting == S.EARLY_YEARS
        if self.stage != S.IDLE or not (in_school or early) or self.need <= 0.0:
            return
        months_since_request = world.tick - self.last_request_tick
        if months_since_request < REQUEST_GAP:
            return
        unmet_share = self.unmet / self.need
        distrust = 1.0 - self.trust_school
        if self.sen == S.EHCP:
            # A plan holder in mainstream may ask for a special setting instead (before
            # Reception, the setting is settled at the move into Reception).
            if early or months_since_request < PLACEMENT_GAP:
                return
            x = (p.special_preference_base_logit
                 + p.special_preference_weight * (unmet_share + distrust)
                 + SPECIAL_PREFERENCE_NEED_WEIGHT * self.need)
            if draw.uniform(rng.SPECIAL_PREFERENCE, self.uid, world.tick) < _sigmoid(x):
                hit("special_setting_requested")
                self._open_case(world, S.KIND_PLACEMENT)
            return
        x = (_logit(p.request_base_per_month * world.request_factor)
             + world.la_request_shift[self.la]
             + p.request_unmet_weight * unmet_share
             + p.request_distrust_weight * distrust
             + p.request_resources_weight * (self.resources - 0.5)
             + p.request_severity_weight * self.need)
        if draw.uniform(rng.REQUEST, self.uid, world.tick) < _sigmoid(x):
            hit("assessment_requested")
            self._open_case(world, S.KIND_ASSESS)
            self.events |= S.EV_REQUEST
            return
        # Schools short of money ask for plans for children above the notional threshold;
        # early-years settings and health services ask at their own rate.
        if self.sen == S.SEN_SUPPORT and self.need > p.notional_threshold_gbp / NEED_UNIT_GBP:
            if early:
                chance = p.early_years_request_per_month * world.request_factor
            else:
                pressure = 1.0 - world.school_support_ratio[self.school]
                chance = p.school_request_per_month * world.request_factor * (1.0 + pressure)
            if draw.uniform(rng.SCHOOL_REQUEST, self.uid, world.tick) < chance:
                hit("early_years_requested" if early else "school_requested")
                self._open_case(world, S.KIND_ASSESS)
                self.events |= S.EV_REQUEST | S.EV_SCHOOL_REQUEST

    def appeal_probability(self, world, p) -> float:
        """Chance the family appeals a refusal this month: its child's need weighed
        against the legal bar for what was refused (:func:`legal_bar`)."""
        x = (p.appeal_base_logit + world.la_appeal_shift[self.la]
             + p.appeal_success_weight * world.la_expected_success[self.la]
             + p.request_resources_weight * (self.resources - 0.5)
             - p.appeal_cost_weight + p.appeal_distrust_weight * (1.0 - self.trust_la)
             + p.appeal_severity_weight * (self.need - legal_bar(self.kind, p)))
        return _sigmoid(x)

    def _dispute_choice(self, world, p, draw, hit) -> None:
        """After a refusal: mediate, appeal, or (:meth:`_redress`) a route beyond the
        tribunal or giving up; after a failed mediation: appeal, or the same. A refused
        family that would take a closed route has still decided to contest the decision:
        it looks harder for another route, and with none its dispute is counted as unheard
        (``EV_DISPUTE_UNHEARD``)."""
        if self.stage not in (S.REFUSED, S.MEDIATED) or self.stage_tick >= world.tick:
            return
        refused = self.stage == S.REFUSED
        contests = False
        if refused:
            contests = draw.uniform(rng.MEDIATION_CHOICE, self.uid, world.tick) \
                < p.mediation_uptake
            if world.mediation_open <= 0.0:
                hit("mediation_closed")
            elif contests:
                hit("mediation_chosen")
                self.stage, self.stage_tick = S.MEDIATION, world.tick
                self.events |= S.EV_MEDIATION
                return
        if world.appeals_open <= 0.0:
            hit("appeals_closed")
            if refused and draw.uniform(rng.APPEAL_CHOICE, self.uid, world.tick) \
                    < self.appeal_probability(world, p):
                hit("appeal_wanted_closed")
                contests = True
        elif draw.uniform(rng.APPEAL_CHOICE, self.uid, world.tick) \
                < self.appeal_probability(world, p):
            hit("appeal_chosen")
            self.stage, self.stage_tick = S.APPEALING, world.tick
            self.events |= (S.EV_APPEAL | (self.kind << S.KIND_SHIFT)
                            | (S.EV_DISPUTE_TO_APPEAL if refused else 0))
            return
        self._redress(world, p, draw, hit, refused, contests)

    def _redress(self, world, p, draw, hit, refused: bool, contests: bool) -> None:
        """With no tribunal route taken: complain to the ombudsman, claim judicial review,
        pay privately, leave school for home education, or give up (the choice of
        :func:`redress_probabilities`). A route taken straight after a refusal is the
        dispute's first route (``EV_DISPUTE_TO_REDRESS``)."""
        odds = _redress_odds(self.kind, self.need, self.unmet, self.resources, self.trust_la,
                             self.setting, self.year, contests, p)
        u = draw.uniform(rng.REDRESS_CHOICE, self.uid, world.tick)
        route = _pick_route(odds, u)
        if route == S.ROUTE_NONE:
            hit("dispute_dropped")
            self.stage, self.kind = S.IDLE, S.KIND_NONE
            self.events |= S.EV_GAVE_UP
            if contests:
                hit("dispute_unheard")
                self.events |= S.EV_DISPUTE_UNHEARD
            return
        if refused:
            hit("redress_first_route")
            self.events |= S.EV_DISPUTE_TO_REDRESS
        if route == S.ROUTE_PRIVATE:
            hit("private_bought")
            self.private = self.private + p.private_cover_share * self.unmet
            self.stage, self.kind = S.IDLE, S.KIND_NONE
            self.events |= S.EV_PRIVATE_PROVISION
            return
        stage, event = {S.ROUTE_COMPLAINT: (S.COMPLAINT, S.EV_COMPLAINT),
                        S.ROUTE_JUDICIAL_REVIEW: (S.JUDICIAL_REVIEW, S.EV_JUDICIAL_REVIEW),
                        S.ROUTE_HOME_EDUCATION: (S.LEAVING_SCHOOL, S.EV_HOME_EDUCATION)}[route]
        hit(f"{S.ROUTE_NAMES[route]}_chosen")
        self.stage, self.stage_tick = stage, world.tick
        self.events |= event

    # ---- outcomes (twin of kernels.outcomes.outcomes_row) ---------------------
    def outcomes(self, p: tuple) -> None:
        """Phase 8: progress and wellbeing follow the share of need that is met."""
        if self.need <= 0.0:
            return  # wellbeing is tracked while a child has a need (1 without one)
        unmet_share = self.unmet / self.need
        self.progress = self.progress - p.progress_gain * unmet_share
        target = 1.0 - unmet_share
        if self.stage != S.IDLE:
            target -= CASE_STRAIN
        self.wellbeing = self.wellbeing + WELLBEING_RATE * (target - self.wellbeing)



for _name, _dtype in COLUMNS.items():
    setattr(Family, _name, _column(_name, np.issubdtype(_dtype, np.floating)))


def _ignore(branch: str) -> None:
    """Stands in for a branch counter when none is kept."""


def _onset_chance(year: int, multiplier: float, p) -> float:
    """Monthly chance a child without a need in year group ``year`` develops one."""
    if year < 0:
        yearly = early_years_onset_per_year(p)
    else:
        yearly = p.need_onset_per_year * (1.0 + p.need_onset_age_slope * year)
    return yearly * multiplier / 12.0


def early_years_onset_per_year(p) -> float:
    """Yearly onset hazard before Reception, 1/year: the constant hazard that takes the
    share with a need from ``early_years_need_share × need_at_entry`` at age 2 to
    ``need_at_entry`` at Reception entry."""
    at_two = p.early_years_need_share * p.need_at_entry
    return math.log((1.0 - at_two) / (1.0 - p.need_at_entry)) / S.EARLY_YEARS_GROUPS


def _sigmoid(x: float) -> float:
    if x == -math.inf:  # a chance of 0 (below); math.exp would overflow, the kernel gives 0
        return 0.0
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    if p <= 0.0:  # e.g. closure_request_factor 0: as the kernel, where log(0) is -inf
        return -math.inf
    return math.log(p / (1.0 - p))


def _redress_odds(kind: int, need: float, unmet: float, resources: float, trust_la: float,
                  setting: int, year: int, contests: bool, p) -> tuple[float, ...]:
    """Odds (exp of the log-odds) of each route beyond the tribunal against giving up,
    in ``states.ROUTE_*`` order from ``ROUTE_COMPLAINT``; 0 for a route not open."""
    shift = p.redress_contest_shift if contests else 0.0
    distrust = 1.0 - trust_la
    unmet_share = unmet / need if need > 0.0 else 0.0
    complaint = math.exp(p.complaint_base_logit + shift + p.complaint_distrust_weight * distrust)
    bar = legal_bar(kind, p)
    law_is_clear = (kind in (S.KIND_ASSESS, S.KIND_PLAN)
                    and need >= p.judicial_review_clear_margin * bar)
    review = math.exp(p.judicial_review_base_logit + shift
                      + p.judicial_review_resources_weight * (resources - 0.5)
                      ) if law_is_clear else 0.0
    private = math.exp(p.private_base_logit + shift
                       + p.private_resources_weight * (resources - 0.5)
                       + p.private_unmet_weight * unmet_share) if unmet > 0.0 else 0.0
    at_school = year < S.SCHOOL_YEARS and setting in (S.MAINSTREAM, S.SPECIAL, S.INDEPENDENT)
    home = math.exp(p.home_education_base_logit + shift
                    + p.home_education_unmet_weight * unmet_share
                    + p.home_education_distrust_weight * distrust) if at_school else 0.0
    return complaint, review, private, home


def _pick_route(odds: tuple[float, ...], u: float) -> int:
    """The route (``states.ROUTE_*``) whose share of the draw ``u`` falls in it."""
    total = 1.0 + odds[0] + odds[1] + odds[2] + odds[3]
    acc = 0.0
    for route, o in enumerate(odds, start=S.ROUTE_COMPLAINT):
        acc += o / total
        if o > 0.0 and u < acc:
            return route
    return S.ROUTE_NONE


def redress_probabilities(kind: int, need: float, unmet: float, resources: float,
                          trust_la: float, setting: int, year: int, contests: bool,
                          p) -> tuple[float, ...]:
    """Chances that a family at the end of a dispute, having taken no tribunal route,
    gives up or takes each route beyond the tribunal (``states.ROUTE_*`` order: none,
    complaint, judicial review, paying privately, home education).

    A multinomial logit against giving up (log-odds 0). Each route has its own
    propensity: a complaint to the ombudsman is free, so it grows only with distrust in
    the LA; judicial review and paying privately need money, so they grow steeply with
    resources (judicial review only against a refusal to assess or to issue a plan
    where the need is plainly over the legal bar); home education grows with the unmet
    share of need and distrust (school-age children at school only). A family that
    wanted a closed route (``contests``) adds ``redress_contest_shift`` to every route.
    No route's chance is set by resources directly beyond these weights: that poorer
    families more often leave or give up follows from the richer taking the costly
    routes.

    Args:
        kind: What was refused (``states.KIND_*``).
        need, unmet: The child's need and unmet need this month, need units.
        resources: The family's resources, 0-1.
        trust_la: The family's trust in its LA, 0-1.
        setting, year: The child's setting (``states.SETTING``) and year group.
        contests: The family wanted to contest but the route it wanted was closed.
        p: Parameters.
    """
    odds = _redress_odds(kind, need, unmet, resources, trust_la, setting, year, contests, p)
    total = 1.0 + sum(odds)
    return (1.0 / total, *(o / total for o in odds))


def need_type_of(u: float) -> int:
    """Primary need area (``states.NEED_*``) for a uniform draw ``u``, by the national shares."""
    acc = 0.0
    for k, share in enumerate(S.NEED_SHARES):
        acc += share
        if u < acc:
            return k
    return len(S.NEED_SHARES) - 1


# ---- Behavioural constants of families (their one home) ---------------------------
# The numba kernels (kernels.family_month, kernels.outcomes) and the Python reference
# (this module's Family methods, sendabm.core.reference) import them from here. They are
# module-level names so numba freezes them into the kernels at compile time.
NEED_CAP = 10.0
"""Largest need severity, need units."""
MILD_NEED = 0.2
"""Needs below this may resolve on their own, need units."""
REQUEST_GAP = 6
"""Months a family waits after a request before asking again."""
ONSET_HORIZON = 12 * (S.SCHOOL_YEARS - S.FIRST_YEAR) + 12
"""Months an onset search covers at most: from the first year group kept past Year 13."""
PLACEMENT_GAP = 12
"""Months between requests for a change of setting."""
SPECIAL_PREFERENCE_NEED_WEIGHT = 0.5
"""Log-odds of asking for a special setting added per need unit."""
WELLBEING_RATE = 0.1
"""Monthly adjustment of wellbeing towards its target."""
CASE_STRAIN = 0.2
"""Fall in target wellbeing while a family has an open case (assessment or dispute)."""
INITIAL_IDENTIFIED = 0.85
"""Share of needs already recorded as SEN support in the starting population."""
INITIAL_WELLBEING = 0.8
"""Wellbeing of a child who starts with a need."""
WITHDRAW_BELOW_MERIT = 0.5
"""An adviser advises withdrawing an appeal whose chance at a hearing, as the adviser
reads the case, is below this (more likely lost than won)."""
NEET_BASE_LOGIT = -2.2
"""Log-odds of being NEET after Year 13 for a child making expected progress."""

BRANCHES = (
    "need_emerges", "need_resolves", "need_identified", "need_identified_early_years",
    "provision_early_years", "early_years_requested", "provision_mainstream", "core_offer",
    "provision_special", "provision_independent", "provision_further_education", "fe_support",
    "mediation_chosen", "mediation_closed", "appeal_chosen", "appeals_closed",
    "appeal_wanted_closed", "dispute_dropped", "dispute_unheard", "special_setting_requested",
    "assessment_requested", "school_requested", "redress_first_route", "complaint_chosen",
    "judicial_review_chosen", "private_bought", "home_education_chosen", "private_provision",
)
"""Branches of the family's month (:meth:`Family.month`), counted by the reference's
coverage check (:mod:`sendabm.core.reference.branches`)."""
