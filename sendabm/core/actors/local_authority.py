"""Local authorities: high-needs money, gatekeeping, assessment capacity, legal stance.

**What it is.** The 152 English LAs with SEND duties (or the areas of an areas file),
each holding its high-needs block and the statutory decisions on EHC plans.

**What it decides.** Each month an LA agrees or refuses to assess, assesses within its
educational-psychologist capacity, issues or refuses a plan and names a setting,
concedes or defends appeals and agrees in mediation, and places children in special
schools or with independent providers; these decisions run case by case in
:mod:`sendabm.core.kernels.cases` (``la_decides_requests``, ``la_assesses``,
``mediate``, ``appeals``, ``place``), on the LA's own noisy reading of each child's need
(never the true need, nor the tribunal's answer). Once a year it learns (ODD §3 step 10):
in August it adapts its assessment capacity to its queue and commissions state special
places, which open in a later September; in March it sets each of its three bars (to
assess, to issue a plan, to name a special setting) by weighing what a refusal of that
type saves against what it costs: the appeals it draws, the chance it is reversed, and
the duty to the child, which weighs more the greater the child's need
(:meth:`LocalAuthorities.reckoned_bars`). Overspending makes savings weigh more. It
settles a dispute (agrees in mediation, concedes an appeal) by the same kind of
reckoning: when it expects going on (its chance of losing, from its lawyers' reading of
the case and the hearings of its type it has seen lost, times the provision it would then
fund, plus a defence) to cost more than agreeing. The money at stake has one definition,
:func:`provision_at_stake_gbp`: for a case, the child's own provision; in its yearly
reckoning, its expectation (:func:`expected_stake_gbp`). What it believes of its refusals
(appeals and reversals per refusal, by type) and of its hearings (the share lost, by
type) it learns from its own and its neighbours' cases.

**What it owns.**

- parameters: :data:`PARAMS` (groups ``la`` and ``money``);
- state: :class:`LocalAuthorities`, arrays with one entry per LA (thresholds,
  capacity, accounts, learning totals, the commissioning pipeline), built at set-up
  by :meth:`LocalAuthorities.build`; :class:`LocalAuthority` is a ``mesa.Agent`` view
  of one entry;
- adaptation: :meth:`LocalAuthorities.set_allocation` (each April),
  :meth:`LocalAuthorities.open_commissioned_places` (each September),
  :meth:`LocalAuthorities.adapt_school_year` and
  :meth:`LocalAuthorities.learn_success` (each August), and
  :meth:`LocalAuthorities.adapt_year` with :meth:`LocalAuthorities.learn_challenges`
  (each March).
"""

from __future__ import annotations

import math

import mesa
import numpy as np

from sendabm.core import calendar, dispositions, exogenous
from sendabm.core import states as S
from sendabm.core.actors.special import SpecialSchools
from sendabm.core.actors.tribunal import LOGISTIC_PROBIT
from sendabm.core.dispositions import DECISION_FIELDS, YEARLY_FIELDS
from sendabm.core.measures import DECISION_KINDS
from sendabm.core.param import Param, declare
from sendabm.core.population import Families

THRESHOLD_RANGE = (0.05, 4.0)
"""Bounds on LA thresholds, need units: an LA may be looser than the law's bar
(``legal_threshold``, 0.2) as well as stricter."""
WAIT_RANGE = (0, 36)
"""Bounds on the months an LA waits for a state special place before buying independent."""
COMMISSIONING_RANGE = (0.5, 2.0)
"""Bounds on an LA's commissioning factor: its reliance on independent places may halve or
double the state places it commissions for its waiting children, not more (an LA does
not build places for twenty times the children waiting)."""
TRANSFER_DEADLINE = calendar.tick_of("2018-03")
"""Last month of the statement-to-EHC-plan transfers: the Children and Families Act 2014's
transitional arrangements required every statement to be transferred by 1 April 2018 (LDAs
for young people in further education by September 2016; folded in here)."""
ASSESSMENT_TARGET_MONTHS = 5.0
"""Months in which an LA aims to clear its assessment queue (the 20-week limit)."""

PARAMS: tuple[Param, ...] = (
    # --- la ------------------------------------------------------------------------------
    declare("assess_threshold_initial", 0.5, "need units", 0.0, 5.0, "la",
        "assumption: LAs agreed ~77% of requests 2019-22 (SEN2)",
        "Perceived need above which an LA agrees to assess in September 2014 (England; "
        "each LA's own bar is this times its offset)."),
    declare("plan_threshold_initial", 0.65, "need units", 0.0, 5.0, "la",
        "assumption", "Perceived need above which an LA issues a plan in September 2014 "
        "(England; each LA's own bar is this times its offset)."),
    declare("special_threshold", 1.1, "need units", 0.0, 10.0, "la",
        "assumption: special placements for the most complex needs",
        "Need above which an LA agrees to name a special setting."),
    declare("la_observation_sd", 0.35, "log need units", 0.0, 3.0, "la",
        "assumption", "Noise in an LA's reading of a child's need."),
    declare("gatekeeping_budget_weight", 1.0, "per unit overspend ratio", 0.0, 10.0, "la",
        "assumption: LAs tighten thresholds under deficit pressure (Isos 2024)",
        "How much more an overspending LA values a pound saved by a refusal: the weight on "
        "savings is 1 + this x its overspend ratio (doubled once deficits count against "
        "reserves)."),
    declare("gatekeeping_elasticity", 2.0, "ratio", 0.1, 20.0, "la",
        "assumption: refusing children of greater need carries a graver breach of the "
        "statutory duty (complaints, inspection, the LA's own professionals)",
        "How steeply the duty an LA weighs against a refusal rises with the need of the "
        "child refused: an LA's bar moves with its net saving per refusal to the power "
        "1 / this (large: bars barely move)."),
    declare("assessments_per_ep_month", 3.0, "assessments/FTE/month", 0.1, 50.0, "la",
        "assumption", "EHC needs assessments one educational-psychologist FTE completes a month."),
    declare("ep_fte_per_10k_pupils", 1.2, "FTE/10,000 pupils", 0.0, 20.0, "la",
        "assumption: ~2,200 LA EPs in England (DfE EP workforce 2023)",
        "LA educational psychologist capacity."),
    declare("ep_growth_per_year", 0.0, "1/year", -0.2, 0.5, "la",
        "assumption: EP workforce flat in the historical period",
        "Yearly growth of EP capacity."),
    # --- money ---------------------------------------------------------------------------
    declare("reserves_gbp_per_pupil", 150.0, "GBP/pupil", 0.0, 5000.0, "money",
        "assumption: DSG reserves were small positive balances in 2014",
        "LA reserves against which the high-needs deficit is compared."),
    declare("statutory_override_end", "2028-03", "YYYY-MM", None, None, "money",
        "DfE: statutory override extended to March 2028",
        "Month after which deficits count against LA reserves."),
    declare("schools_block_gbp_per_pupil", 5200.0, "GBP/year per pupil", 0.0, 20000.0,
        "money", "DfE schools block 2015/16, ~£5,200 per pupil (as notional_sen_budget_per_pupil)",
        "Schools-block funding of a mainstream pupil in 2014 prices; it moves with cost "
        "inflation and school_funding_real_growth_per_year."),
    declare("transfer_forum_cap_share", 0.005, "share of schools block", 0.0, 0.05, "money",
        "DfE school funding regulations: up to 0.5% of the schools block with the schools "
        "forum's agreement",
        "Largest transfer to high needs a schools forum can agree in a year."),
    declare("transfer_approval_cap_share", 0.015, "share of schools block", 0.0, 0.1, "money",
        "assumption: disapplication requests to the Secretary of State were mostly for "
        "0.5-2% of the schools block (DfE block movement decisions 2019-2023)",
        "Largest transfer an LA past its reserves asks the Secretary of State to approve."),
    declare("schools_forum_agreement", 0.6, "share", 0.0, 1.0, "money",
        "assumption: schools forums agreed many but not all proposed transfers (DfE block "
        "movement decisions 2019-2023)",
        "Share of a proposed transfer a schools forum agrees when its schools can fund "
        "their SEN support; scaled by their mean support ratio (schools short of money "
        "agree less)."),
    declare("transfer_approval_share", 0.5, "share", 0.0, 1.0, "money",
        "assumption: about half the transfer requested above the forum's cap is approved",
        "Share of the transfer above the forum's agreement that the Secretary of State "
        "approves for an LA past its reserves."),
    # --- la ------------------------------------------------------------------------------
    declare("case_reading_weight", 0.5, "share", 0.0, 1.0, "la",
        "assumption: LAs' legal teams judge a case partly on its own papers and partly on "
        "how hearings of its kind have gone (published tribunal statistics, their own record)",
        "Weight an LA gives its lawyers' reading of a case, against the share of hearings of "
        "the case's type it has learned it loses, in its expected chance of losing a hearing "
        "(mediation and concession; 0: the type's record only, 1: the reading only)."),
    declare("trust_kept_on_refusal", 0.7, "share", 0.0, 1.0, "la",
        "assumption: a refusal is the moment families most often describe losing trust "
        "(Isos 2024; parent-carer forum evidence)",
        "Share of a family's trust in the LA kept after a refusal."),
    declare("trust_kept_on_loss", 0.8, "share", 0.0, 1.0, "la",
        "assumption", "Share of a family's trust in the LA kept after losing an appeal or "
        "an unfollowed decision."),
    declare("trust_gain_on_plan", 0.3, "share", 0.0, 1.0, "la",
        "assumption", "Share of the gap to full trust in the LA a family closes when a plan "
        "is issued."),
    declare("mediation_spread", 0.6, "share of the stake", 0.01, 5.0, "la",
        "assumption: SEN2 records several thousand mediations a year, roughly a quarter "
        "to a third ending in agreement (not a record the model holds)",
        "Spread of an LA's costing when it settles a dispute, in mediation and on appeal "
        "(cases.settlement_chance): the logistic scale of its expected cost of going on "
        "minus its cost of agreeing, as a share of the provision at stake; with no tribunal "
        "an LA agrees in mediation with chance 1 / (1 + e^(1 / spread))."),
    declare("wait_before_independent", 6, "months", 0, 36, "la",
        "assumption", "Months an LA waits for a state special place before buying independent."),
    # --- money ---------------------------------------------------------------------------
    declare("cost_inflation_per_year", 0.025, "1/year", -0.1, 0.3, "money",
        "assumption: nominal pay and price growth ~2.5% a year 2014-2024 (ONS CPI, STRB awards)",
        "Yearly growth of nominal unit costs (top-ups, place costs, transport, fees)."),
    declare("other_high_needs_gbp_per_pupil", 110.0, "GBP/pupil/year", 0.0, 5000.0, "money",
        "assumption: alternative provision, hospital education and central SEN services took "
        "~£0.9bn of the 2014/15 high-needs block (DfE s251 outturn)",
        "High-needs spend not tied to individual plans, per pupil, in 2014 prices."),
    # --- la ------------------------------------------------------------------------------
    declare("gatekeeping_adjustment", 0.5, "share/year", 0.01, 1.0, "la",
        "assumption: an LA's published criteria and panel practice change slowly (Isos 2024)",
        "Share of the gap (in log units) between each of an LA's bars and the bar its "
        "reckoning of costs points to that it closes each March."),
    declare("plan_horizon_years", 5.0, "years", 0.5, 20.0, "money",
        "assumption: plans last several years; LAs' high-needs planning looks 3-5 years "
        "ahead (Isos 2024)",
        "Years of provision an LA counts a decision to commit it to, at most, when it "
        "weighs a refusal, a mediation or a concession (a child's years left in school, if "
        "fewer)."),
    declare("mainstream_plan_gbp", 8662.0, "GBP/plan/year", 0.0, 200000.0, "money",
        "Lincolnshire FOI: mainstream top-up ~£8,662",
        "Yearly cost an LA expects a plan in mainstream to add when no case is in front of "
        "it (its yearly reckoning of its bars; 2014 prices): the expectation of a child's "
        "own top-up."),
    declare("la_appeals_per_refusal_initial", 0.13, "appeals/refusal", 0.0, 1.0, "la",
        "assumption: 2019/20, ~29% of ~8,000 appeals were against refusals to assess, "
        "against ~18,000 refusals (MoJ tribunal statistics; DfE SEN2)",
        "Appeals per refusal an LA had seen, for each decision type, before September "
        "2014; its belief until its own and its neighbours' cases replace it."),
    declare("la_disposition_weight", 1.0, "share", 0.0, 1.0, "la",
        "each LA's 2019-2022 record (sendabm/data/la_dispositions.csv)",
        "How far each LA's own standing practice (its offsets in the dispositions table) "
        "applies: 1 as estimated, 0 every LA at the national practice."),
    declare("initial_plan_share", 0.0275, "share of pupils", 0.005, 0.1, "la",
        "DfE SEN2 January 2015: 240,185 statements and EHC plans, ~8.4M pupils",
        "Share of England's pupils holding a statement or EHC plan in September 2014; "
        "each LA's share is back-cast from its record (sendabm.core.starting_state)."),
    declare("la_reversal_initial", 0.95, "share", 0.0, 1.0, "la",
        "assumption: MoJ tribunal statistics 2014/15, 86% of decided SEND appeals found "
        "wholly or partly for families, and most of the rest conceded or withdrawn",
        "Share of its appealed refusals an LA had seen reversed before September 2014: its "
        "first belief of reversals per refusal is this times "
        "``la_appeals_per_refusal_initial``."),
    declare("la_hearing_loss_initial", 0.86, "share", 0.0, 1.0, "la",
        "MoJ tribunal statistics 2014/15: 86% of decided SEND appeals found wholly or "
        "partly for the appellant",
        "Share of hearings an LA had seen lost before September 2014; its belief until "
        "its own and its neighbours' hearings replace it."),
    declare("assessment_capacity_response", 0.3, "share/year", 0.0, 1.0, "la",
        "assumption: LAs buy in EP and caseworker time as assessment queues grow",
        "Share of the gap between assessment demand and capacity an LA closes each year."),
    declare("transfer_review_effort", 0.5, "assessments/transfer", 0.0, 2.0, "la",
        "assumption: a transfer review is an EHC needs assessment in law (SEND Code of "
        "Practice 2015, transitional arrangements) that reuses the statement's advice; "
        "LAs reported transfers crowding out new assessments in 2015-2017 (DfE SEN2 "
        "20-week share 59-65% including transfers; Ofsted/CQC local area inspections)",
        "Assessment work of transferring one statement to an EHC plan, in new assessments; "
        "the statements held in September 2014 are transferred evenly until March 2018."),
    # --- money ---------------------------------------------------------------------------
    declare("tribunal_cost_gbp", 6000.0, "GBP/appeal", 0.0, 100000.0, "money",
        "LA defence ~£60m/year for ~10,000 appeals (2020/21-2021/22)",
        "LA cost of defending one appeal."),
    declare("special_place_funding_gbp", 10000.0, "GBP/place/year", 0.0, 100000.0, "money",
        "DfE high-needs place funding", "Place funding per special-school place."),
    declare("special_topup_gbp", 17313.0, "GBP/place/year", 0.0, 200000.0, "money",
        "Lincolnshire FOI 2022/23", "Average LA top-up for a state special place."),
    declare("independent_fee_gbp", 52000.0, "GBP/place/year", 0.0, 500000.0, "money",
        "FOI from 110 LAs, 2015/16", "Average independent special fee in 2014."),
    declare("transport_gbp", 6000.0, "GBP/pupil/year", 0.0, 100000.0, "money",
        "assumption: home-to-school transport for special/independent placements",
        "Yearly transport cost per child placed outside mainstream."),
    declare("topup_rate", 1.0, "share", 0.0, 5.0, "money",
        "Lincolnshire FOI: mainstream top-up ~£8,662",
        "Share of need above the notional threshold the LA funds as mainstream top-up."),
    declare("lever_cost_factor", 1.0, "multiplier", 0.0, 5.0, "money",
        "assumption: 1 charges every lever's declared costs (docs/policies.md); 0 makes "
        "the levers free, to measure what their costs change (the sweep's uncosted twin)",
        "Multiplier of every policy lever's charges to its payers."),
)
"""Parameters of LA decisions and learning (group ``la``) and of high-needs money, which
the LA pays (group ``money``)."""


class LocalAuthorities:
    """State of all LAs.

    Args:
        n: Number of LAs.
        p: Parameter vector.
        sample_pupils: Pupils modelled in each LA at the start.
        reserves_gbp: Reserves against which deficits are compared, GBP (sample scale).
        neighbours: (indptr, indices) CSR of the local-areas network.
        offsets: float64 (n, len(dispositions.DECISION_FIELDS)), each LA's log offsets
            from the national practice (:mod:`sendabm.core.dispositions`), already weighted.
        yearly: float64 (n, len(dispositions.YEARLY_FIELDS), len(years)), each LA's log
            deviation from its offset in each of ``years``, already weighted (default none).
        years: The calendar years of ``yearly``.
    """

    def __init__(self, n, p, sample_pupils, reserves_gbp, neighbours, offsets,
                 yearly: np.ndarray | None = None, years: tuple[int, ...] = ()):
        self.n = n
        self.yearly = np.zeros((n, len(YEARLY_FIELDS), 0)) if yearly is None else yearly
        self.yearly_years = tuple(years)
        self.yearly_decay = np.array([dispositions.persistence(f) if self.yearly.size else 0.0
                                      for f in YEARLY_FIELDS])
        # The deviation in force (len(YEARLY_FIELDS), n): none before the first January.
        self.year_shift = np.zeros((len(YEARLY_FIELDS), n))
        stance = np.exp(offsets)  # the multiplicative offsets (all but 'appeal')
        column = {name: stance[:, k] for k, name in enumerate(DECISION_FIELDS)}
        # Each LA's bars in September 2014, one per decision type (DECISION_KINDS): the
        # national bars times its own offsets. Its criteria, which its yearly reckoning
        # (adapt_year) scales; they are also the reckoning's resting point under the
        # pre-2014 beliefs and no overspend.
        self.criteria = np.clip(np.stack([
            p.assess_threshold_initial * column["assess"],
            p.plan_threshold_initial * column["plan"],
            p.special_threshold * column["special"]]), *THRESHOLD_RANGE)
        self.assess_threshold, self.plan_threshold, self.special_threshold = (
            self.criteria.copy())
        # The reckoning's reference (reckoned_bars), at the criteria; a framework that
        # moves the criteria (adapt_year's pull) keeps it.
        self.initial_saving = initial_net_saving(p, self.criteria)
        # What each LA believes of its refusals of each type, before its own cases come
        # in: appeals per refusal and reversals per refusal.
        self.appeal_belief = np.full((len(DECISION_KINDS), n), p.la_appeals_per_refusal_initial)
        self.reversal_belief = self.appeal_belief * p.la_reversal_initial
        # The share of hearings of each type it believes it loses.
        self.loss_belief = np.full((len(DECISION_KINDS), n), p.la_hearing_loss_initial)
        self.refusals_year = np.zeros((len(DECISION_KINDS), n))
        self.appeals_kind_year = np.zeros((len(DECISION_KINDS), n))
        self.reversals_year = np.zeros((len(DECISION_KINDS), n))
        # An LA that relies on independent places buys them sooner and commissions fewer
        # state special places (a positive 'independent' offset).
        reliance = 1.0 / column["independent"]
        self.wait_before_independent = np.clip(
            np.round(p.wait_before_independent * reliance), *WAIT_RANGE).astype(np.int64)
        self.commissioning_factor = np.clip(reliance, *COMMISSIONING_RANGE)
        # Log-odds on the appeal decision of the LA's families (dispositions docstring).
        self.appeal_shift = offsets[:, DECISION_FIELDS.index("appeal")].copy()
        # Log-odds on the request decision of the LA's families (dispositions docstring).
        self.request_shift = offsets[:, DECISION_FIELDS.index("request")].copy()
        self.capacity_factor = column["capacity"]
        self.standing_capacity_factor = self.capacity_factor
        self.ep_fte = p.ep_fte_per_10k_pupils * self.capacity_factor * sample_pupils / 10_000.0
        self.ep_fte_floor = self.ep_fte.copy()
        self.transfers_per_month = np.zeros(n)  # set from the starting stock (set_transfers)
        self.reserves_gbp = reserves_gbp.astype(np.float64)
        self.allocation_year_gbp = np.zeros(n)
        self.cumulative_spend_gbp = np.zeros(n)
        self.cumulative_allocation_gbp = np.zeros(n)
        self.spend_fy_gbp = np.zeros(n)
        self.allocation_fy_gbp = np.zeros(n)
        # Schools-block transfers: this financial year's, the total since 2014, and the
        # last financial year's overspend (spend less allocation and transfer), which the
        # next April's proposal covers.
        self.transfer_year_gbp = np.zeros(n)
        self.cumulative_transfer_gbp = np.zeros(n)
        self.overspend_last_fy_gbp = np.zeros(n)
        self.expected_success = np.full(n, p.expected_success_initial)
        self.mean_trust = np.full(n, p.trust_initial)
        self.appeals_year = np.zeros(n)
        self.wins_year = np.zeros(n)
        self.hearings_year = np.zeros((len(DECISION_KINDS), n))
        self.hearings_lost_by_la_year = np.zeros((len(DECISION_KINDS), n))
        self.conceded_year = np.zeros(n)
        self.pipeline: list[tuple[int, np.ndarray]] = []
        # The bars a framework of current practice wrote down (NaN until one does).
        self.framework_goal = np.full(2, np.nan)
        # Places commissioned since the last count: their capital is charged then.
        self.places_commissioned = np.zeros(n, dtype=np.int64)
        self.indptr, self.indices = neighbours

    @classmethod
    def build(cls, p, sample_pupils: np.ndarray, neighbours, offsets: np.ndarray,
              yearly: np.ndarray | None = None,
              years: tuple[int, ...] = ()) -> LocalAuthorities:
        """The LAs at set-up, with reserves of ``reserves_gbp_per_pupil`` per pupil.

        Args:
            p: Parameter vector.
            sample_pupils: Pupils modelled in each LA at the start.
            neighbours: (indptr, indices) CSR of the local-areas network.
            offsets: Each LA's decision offsets (the :data:`DECISION_FIELDS` columns of
                :meth:`Dispositions.for_codes` of its areas), scaled here by
                ``la_disposition_weight``.
            yearly: Each LA's yearly deviations
                (:meth:`Dispositions.yearly_for_codes`), scaled likewise; default none.
            years: Their calendar years.
        """
        reserves = p.reserves_gbp_per_pupil * sample_pupils
        weighted = None if yearly is None else p.la_disposition_weight * yearly
        return cls(sample_pupils.size, p, sample_pupils, reserves, neighbours,
                   p.la_disposition_weight * offsets, weighted, years)

    def enter_month(self, month: int, year: int) -> None:
        """Each LA's stance to assess and its assessment staffing move to their deviation
        from its standing practice for the year they now serve
        (:data:`sendabm.core.dispositions.YEARLY_MONTHS`,
        :func:`sendabm.core.dispositions.deviation`).

        The assessment deviation scales the bar to assess its cases meet this year (a new
        panel policy, :attr:`assess_bar`), leaving its standing bar and criterion, which
        its yearly reckoning moves, as they are; the capacity deviation scales the
        educational psychologists it has now (posts filled or left empty) and the staffing
        it aims at in August. With no deviations (a table without yearly columns) nothing
        changes.

        Args:
            month: Calendar month, 1-12.
            year: Calendar year.
        """
        if not self.yearly.any() and not self.year_shift.any():
            return
        for k, field in enumerate(YEARLY_FIELDS):
            first, ahead = dispositions.YEARLY_MONTHS[field]
            if month == first:
                self._shift(k, field, dispositions.deviation(
                    self.yearly, self.yearly_years, year + ahead, self.yearly_decay)[k])

    def _shift(self, k: int, field: str, shift: np.ndarray) -> None:
        # The stance's deviation is held apart from the standing bar it scales
        # (assess_bar), never folded into it: folded in and clipped at the range's floor
        # in a lenient year, undoing it the next year would ratchet the LA stricter.
        if field == "capacity":
            change = np.exp(shift - self.year_shift[k])
            self.capacity_factor = self.standing_capacity_factor * np.exp(shift)
            self.ep_fte = self.ep_fte * change
            self.ep_fte_floor = self.ep_fte_floor * change
        self.year_shift[k] = shift

    @property
    def assess_bar(self) -> np.ndarray:
        """The bar to assess each LA applies this year, need units: its standing bar
        (``assess_threshold``, which its yearly reckoning moves) times its stance's
        deviation for the year, within :data:`THRESHOLD_RANGE`."""
        shift = self.year_shift[YEARLY_FIELDS.index("assess")]
        return np.clip(self.assess_threshold * np.exp(shift), *THRESHOLD_RANGE)

    @property
    def deficit_gbp(self) -> np.ndarray:
        """Cumulative high-needs spend minus cumulative allocation and schools-block
        transfers, GBP."""
        return (self.cumulative_spend_gbp - self.cumulative_allocation_gbp
                - self.cumulative_transfer_gbp)

    def at_bar_bound(self) -> np.ndarray:
        """Whether each LA has any of its three bars at a bound of :data:`THRESHOLD_RANGE`."""
        bars = np.stack([self.assess_bar, self.plan_threshold, self.special_threshold])
        return np.any((bars <= THRESHOLD_RANGE[0]) | (bars >= THRESHOLD_RANGE[1]), axis=0)

    def set_transfers(self, fam: Families, tick: int) -> None:
        """Spread the transfer of the statements held at set-up (every plan then: the
        September 2014 stock) evenly over the months to :data:`TRANSFER_DEADLINE`."""
        months = max(1, TRANSFER_DEADLINE - tick + 1)
        held = self.children_where(fam, fam.sen == S.EHCP)
        self.transfers_per_month = held / months

    def transfer_work(self, p, tick: int) -> np.ndarray:
        """Assessments' worth of statement transfers each LA does in month ``tick``."""
        if tick > TRANSFER_DEADLINE:
            return np.zeros(self.n)
        return self.transfers_per_month * p.transfer_review_effort

    def assess_capacity(self, p, tick: int) -> np.ndarray:
        """New assessments each LA can complete in month ``tick``: its educational
        psychologists' capacity less the statement transfers due (never below 0)."""
        return np.maximum(0.0, self.ep_fte * p.assessments_per_ep_month
                          - self.transfer_work(p, tick))

    def set_allocation(self, tick: int, scale: float, share: np.ndarray, growth: float,
                       growth_start: int) -> None:
        """Each LA's high-needs allocation for the financial year of ``tick`` (April).

        Args:
            tick: The month, in the financial year.
            scale: Share of England modelled.
            share: Each LA's share of the national allocation.
            growth: Extra yearly growth of the national allocation from a funding lever
                (0: none).
            growth_start: Tick from which that growth compounds.
        """
        national = exogenous.high_needs_allocation(calendar.financial_year(tick))
        if growth:
            years = (tick - growth_start) / 12.0
            national *= (1.0 + growth) ** max(0.0, years)
        self.allocation_year_gbp = national * scale * share

    def propose_transfers(self, p, schools_block_gbp: np.ndarray, forum_agreement: np.ndarray
                          ) -> np.ndarray:
        """April: each LA that overspent its high-needs budget last financial year asks to
        move money from its schools block to cover it; this year's transfer, GBP.

        The LA asks its schools forum for last year's overspend, up to
        ``transfer_forum_cap_share`` of its schools block, and the forum agrees the share
        ``forum_agreement`` of it. An LA whose deficit is past its reserves also asks the
        Secretary of State for the rest of its overspend, up to
        ``transfer_approval_cap_share`` of the block, who approves
        ``transfer_approval_share`` of it. The LA knows its own accounts and its schools'
        answer; it does not foresee next year's spend.

        Args:
            p: Parameter vector.
            schools_block_gbp: Each LA's schools block this year, GBP (sample scale).
            forum_agreement: Share of a proposal each LA's schools forum agrees, in [0, 1].
        """
        gap = np.maximum(0.0, self.overspend_last_fy_gbp)
        forum = forum_agreement * np.minimum(gap, p.transfer_forum_cap_share * schools_block_gbp)
        beyond = np.minimum(gap, p.transfer_approval_cap_share * schools_block_gbp) - forum
        past_reserves = self.deficit_gbp > self.reserves_gbp
        approved = np.where(past_reserves, p.transfer_approval_share * np.maximum(0.0, beyond),
                            0.0)
        self.transfer_year_gbp = forum + approved
        return self.transfer_year_gbp

    def account_month(self, spend_gbp: np.ndarray) -> None:
        """Add this month's high-needs spend, and 1/12 of the year's allocation and of its
        schools-block transfer, to the accounts."""
        allocation = self.allocation_year_gbp / 12.0
        transfer = self.transfer_year_gbp / 12.0
        self.cumulative_spend_gbp += spend_gbp
        self.cumulative_allocation_gbp += allocation
        self.cumulative_transfer_gbp += transfer
        self.spend_fy_gbp += spend_gbp
        self.allocation_fy_gbp += allocation + transfer

    def overspending(self) -> np.ndarray:
        """Whether each LA's high-needs spend so far this financial year exceeds its
        allocation and transfers so far."""
        return self.spend_fy_gbp > self.allocation_fy_gbp

    def record_disputes(self, appeals, wins, hearings, lost_by_la, conceded, refusals,
                        appeals_by_kind, reversals) -> None:
        """Accumulate this month's dispute outcomes for the yearly learning.

        Args:
            appeals: Appeals decided (heard or conceded), per LA.
            wins: Of those, won by the family (and followed), per LA.
            hearings: Hearings by decision type, (len(DECISION_KINDS), n).
            lost_by_la: Hearings the LA lost by decision type, same shape.
            conceded: Appeals conceded, per LA.
            refusals: Refusals by decision type, (len(DECISION_KINDS), n).
            appeals_by_kind: Appeals registered by decision type, same shape.
            reversals: Decisions reversed (agreed in mediation, conceded, or decided for
                the family and followed) by decision type, same shape.
        """
        self.appeals_year += appeals
        self.wins_year += wins
        self.hearings_year += hearings
        self.hearings_lost_by_la_year += lost_by_la
        self.conceded_year += conceded
        self.refusals_year += refusals
        self.appeals_kind_year += appeals_by_kind
        self.reversals_year += reversals

    def learn_challenges(self) -> None:
        """Each LA updates what it believes of its refusals of each type, and of its
        hearings, from this year's cases, its own and its neighbours' (regional SEND
        networks and the published tribunal statistics let an LA see its neighbours'
        outcomes).

        For each decision type it learns appeals per refusal, reversals per refusal and
        the share of its hearings it loses
        (reversed: agreed in mediation, conceded, or decided against it and followed): an
        LA that concedes most appeals learns that its refusals do not hold as surely as
        one that loses them at hearings. It learns from what happens, not from the law: with
        the tribunal removed its appeals stop and its reversals fall to those agreed in
        mediation, and it learns that a year later. Pooling with neighbours and keeping
        last year's belief when there were no refusals make the learning far less
        dependent on the sampling scale: at scale 0.05 a quarter to four fifths of LAs
        have no contested case of their own in a year.
        """
        self.appeal_belief = self.pooled_share(self.appeals_kind_year, self.refusals_year,
                                               self.appeal_belief)
        self.reversal_belief = self.pooled_share(self.reversals_year, self.refusals_year,
                                                 self.reversal_belief)
        self.loss_belief = self.pooled_share(self.hearings_lost_by_la_year, self.hearings_year,
                                             self.loss_belief)

    def reckoned_bars(self, p, pressure: np.ndarray) -> np.ndarray:
        """The bar, per decision type and LA, at which the LA's reckoning of a refusal
        balances (need units, (len(DECISION_KINDS), n)).

        Refusing the child at the bar saves the provision at stake in expectation
        (:func:`expected_stake_gbp`),
        weighted up by overspend, unless the refusal is reversed, and costs the defence of
        the appeals it draws; against that the LA weighs its statutory duty to the child,
        which grows with the child's need to the power ``gatekeeping_elasticity``. So the
        bar is the LA's criteria times (net saving / net saving in 2014) ** (1 /
        elasticity): it rises as money tightens and falls as more refusals are appealed
        and reversed, per decision type, with no clamp at the legal bar.

        Args:
            p: Parameter vector.
            pressure: Each LA's overspend ratio this year (0 if within its allocation).
        """
        weight = 1.0 + p.gatekeeping_budget_weight * pressure
        stake = expected_stake_gbp(p, self.assess_threshold, self.plan_threshold)
        saving = net_saving(p, stake, weight, self.appeal_belief, self.reversal_belief)
        ratio = np.maximum(saving, NET_SAVING_FLOOR) / self.initial_saving
        return self.criteria * ratio ** (1.0 / p.gatekeeping_elasticity)

    def adapt_year(self, p, override_ended: bool, pull: float = 0.0,
                   target: float | None = None, from_current: bool = False) -> None:
        """March: each LA learns from its refusals' fate and moves each of its bars part
        of the way to the bar its reckoning of costs points to (:meth:`reckoned_bars`).

        Args:
            p: Parameter vector.
            override_ended: Whether deficits now count against reserves.
            pull: Share of the gap to ``target`` closed this year (a national framework
                or right first time; 0: none).
            target: The assessment bar the pull moves towards (None: none).
            from_current: Pull towards the median of LAs' bars the first March the pull
                acts (a framework that writes down current practice), kept from then on,
                instead of ``target``.
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            overspend = np.where(self.allocation_fy_gbp > 0,
                                 self.spend_fy_gbp / self.allocation_fy_gbp - 1.0, 0.0)
        pressure = np.maximum(0.0, overspend)
        self.overspend_last_fy_gbp = self.spend_fy_gbp - self.allocation_fy_gbp
        if override_ended:
            pressure = pressure * np.where(self.deficit_gbp > self.reserves_gbp, 2.0, 1.0)
        self.learn_challenges()
        bars = np.stack([self.assess_threshold, self.plan_threshold, self.special_threshold])
        # In log units, so strict and lenient LAs move in proportion and keep their order.
        # Neighbours do not copy each other's bars: a diffusion of practice moved no LA's
        # thresholds beyond seed noise when the graph was rewired (docs/areas.md), so it
        # was removed; neighbours' cases inform each LA's beliefs instead.
        goal = self.threshold_goal(p, target, from_current, bars) if pull > 0 else None
        bars = bars * (self.reckoned_bars(p, pressure) / bars) ** p.gatekeeping_adjustment
        if goal is not None:
            # A national framework or 'right first time' pulls each LA's criteria for
            # assessments and plans, and its bars, to one bar, so the pull does not wear off.
            self.criteria[:2] += pull * (goal - self.criteria[:2])
            bars[:2] += pull * (goal - bars[:2])
        self.assess_threshold, self.plan_threshold, self.special_threshold = np.clip(
            bars, *THRESHOLD_RANGE)
        self.ep_fte = self.ep_fte * (1.0 + p.ep_growth_per_year)
        self.ep_fte_floor = self.ep_fte_floor * (1.0 + p.ep_growth_per_year)
        for totals in (self.spend_fy_gbp, self.allocation_fy_gbp, self.hearings_year,
                       self.hearings_lost_by_la_year, self.conceded_year, self.refusals_year,
                       self.appeals_kind_year, self.reversals_year):
            totals[...] = 0.0

    def threshold_goal(self, p, target: float | None, from_current: bool,
                       bars: np.ndarray) -> np.ndarray | None:
        """The (assessment, plan) bars a pull moves LAs towards, shape (2, 1), or None.

        ``from_current``: the national medians of the LAs' bars before this March's
        reckoning, written down the first time and kept (published SEN2 practice, which
        every LA can know). Otherwise ``target`` and the plan bar in the initial
        proportion to it.
        """
        if from_current:
            if np.isnan(self.framework_goal).any():
                self.framework_goal = np.median(bars[:2], axis=1)
            return self.framework_goal[:, None]
        if target is None:
            return None
        return np.array([target, target * p.plan_threshold_initial
                         / p.assess_threshold_initial])[:, None]

    def adapt_school_year(self, p, fam: Families, placed_independent_year: np.ndarray,
                          places: np.ndarray, tick: int, lag_cut: int) -> None:
        """August: adapt assessment capacity to the queue, then commission special places.

        Args:
            p: Parameter vector.
            fam: The family columns (the assessment queue and the children waiting for a
                place are read from them).
            placed_independent_year: Children each LA placed with independent providers
                over the last 12 months.
            places: State special places each LA has now.
            tick: The month (an August).
            lag_cut: Years a policy takes off ``commissioning_lag_years``.
        """
        self.adapt_capacity(p, self.children_at_stage(fam, S.ASSESSING), tick)
        self.commission_places(p, self.children_at_stage(fam, S.AWAITING_PLACE),
                               placed_independent_year, places, tick, lag_cut)

    def children_at_stage(self, fam: Families, stage: int) -> np.ndarray:
        """Children of each LA whose case is at ``stage``."""
        return self.children_where(fam, fam.stage == stage)

    def children_where(self, fam: Families, which: np.ndarray) -> np.ndarray:
        """Active children of each LA for whom ``which`` (a family column mask) holds."""
        return np.bincount(fam.la[(fam.active == 1) & which], minlength=self.n)

    def commission_places(self, p, waiting: np.ndarray, placed_independent_year: np.ndarray,
                          places_now: np.ndarray, tick: int, lag_cut: int) -> None:
        """Commission state special places for the children waiting and those placed
        independently in the last year, no more than its building programme can deliver
        (``special_build_share_per_year`` of the places it has); they open
        ``commissioning_lag_years`` (less ``lag_cut``) after the next month, in the
        pipeline until then."""
        demand = waiting + placed_independent_year
        wanted = np.floor(p.commissioning_share * self.commissioning_factor * demand)
        # Places need capital and a building: an LA cannot open a new school's worth of
        # places every year for every queue, whatever its waiting list.
        buildable = np.floor(p.special_build_share_per_year * places_now)
        places = np.minimum(wanted, buildable).astype(np.int64)
        lag = max(0, int(p.commissioning_lag_years) - lag_cut)
        opens = tick + 1 + lag * 12
        self.pipeline.append((opens, places))
        self.places_commissioned += places

    def take_commissioned(self) -> np.ndarray:
        """Places commissioned since the last call (their capital is due), then zero."""
        places, self.places_commissioned = self.places_commissioned, np.zeros_like(
            self.places_commissioned)
        return places

    def open_commissioned_places(self, special: SpecialSchools, tick: int) -> None:
        """Open the commissioned places whose opening month has come (in September)."""
        due = [entry for entry in self.pipeline if entry[0] <= tick]
        self.pipeline = [entry for entry in self.pipeline if entry[0] > tick]
        for _, places in due:
            for la in np.flatnonzero(places):
                special.add_places(int(la), int(places[la]))

    def adapt_capacity(self, p, queue: np.ndarray, tick: int) -> None:
        """LAs close part of the gap between their assessment work (the queue, to clear in
        5 months, and the statement transfers due over the coming year) and what their
        educational psychologists can complete."""
        # An LA that resources assessments well (capacity offset above 0) staffs for
        # more than its queue, one that rations them for less. Transfers are known
        # work: the LA staffs for the coming year's mean.
        coming = np.mean([self.transfer_work(p, tick + m) for m in range(1, 13)], axis=0)
        needed_fte = (self.capacity_factor * (queue / ASSESSMENT_TARGET_MONTHS + coming)
                      / p.assessments_per_ep_month)
        self.ep_fte = self.ep_fte + p.assessment_capacity_response * (needed_fte - self.ep_fte)
        self.ep_fte = np.maximum(self.ep_fte, self.ep_fte_floor)

    def learn_success(self, p) -> None:
        """Parents update the appeal success they expect from outcomes in their LA and
        its neighbours over the past year (spread of parents' experience)."""
        observed = self.pooled_share(self.wins_year, self.appeals_year, self.expected_success)
        rate = p.success_learning_rate
        self.expected_success = (1.0 - rate) * self.expected_success + rate * observed
        self.appeals_year[:] = 0.0
        self.wins_year[:] = 0.0

    def pooled_share(self, part: np.ndarray, whole: np.ndarray,
                     previous: np.ndarray) -> np.ndarray:
        """``part`` over ``whole``, each summed over an LA and its neighbours; ``previous``
        where the pooled ``whole`` is 0 (no evidence this year)."""
        pooled_part = part + self.neighbour_sum(part)
        pooled_whole = whole + self.neighbour_sum(whole)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(pooled_whole > 0, pooled_part / pooled_whole, previous)

    def neighbour_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum of ``values`` over each LA's neighbours (along the last axis, per LA)."""
        if values.ndim > 1:
            return np.stack([self.neighbour_sum(row) for row in values])
        # bincount, not add.reduceat: reduceat gives an LA with no neighbours its next
        # LA's first neighbour instead of 0.
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return np.bincount(rows, weights=values[self.indices], minlength=self.n)


NET_SAVING_FLOOR = 0.01
"""Least net saving per refusal an LA reckons with, as a share of the provision at stake:
where appeals and reversals make refusing cost more than it saves, its bar falls only as
far as this allows."""


def provision_at_stake_gbp(kind: int, plan_yearly_gbp: float, setting_yearly_gbp: float,
                           plan_chance: float, months: float, months_deferred: float) -> float:
    """What granting a contested decision commits an LA to, GBP in 2014 prices: the one
    definition of the money at stake, for a case in front of it (mediation, concession)
    and in expectation (its yearly reckoning of its bars, :func:`expected_stake_gbp`).

    An assessment costs ``ASSESSMENT_COST_GBP`` whenever it is done, and leads with
    ``plan_chance`` to a plan; a plan costs its yearly mainstream top-up, and a special
    setting its yearly cost less the top-up it replaces, for ``months`` less
    ``months_deferred`` (the provision a later hearing would still make it fund), not
    inflated, as a defence's cost is not. Plain arithmetic on scalars, so the case kernels
    compile this same function.

    Args:
        kind: The decision's kind (``states.KIND_*``).
        plan_yearly_gbp: Yearly top-up of a plan in mainstream, GBP: the child's own, or
            ``mainstream_plan_gbp`` in expectation.
        setting_yearly_gbp: Yearly cost of a special setting (place funding, top-up and
            transport), GBP.
        plan_chance: Chance an assessment leads to a plan, 0-1 (refusals to assess).
        months: Months of provision the decision commits the LA to.
        months_deferred: Months before a remedy would start.
    """
    remaining = max(0.0, months - months_deferred) / 12.0
    if kind == S.KIND_ASSESS:
        return ASSESSMENT_COST_GBP + plan_chance * plan_yearly_gbp * remaining
    if kind == S.KIND_PLAN:
        return plan_yearly_gbp * remaining
    return max(0.0, setting_yearly_gbp - plan_yearly_gbp) * remaining


def committed_months(years_left: float, horizon_years: float) -> float:
    """Months of provision a decision commits an LA to: the child's years left in school
    (at least one), up to the LA's planning horizon (``plan_horizon_years``)."""
    return 12.0 * min(horizon_years, max(1.0, years_left))


def plan_chance(view: float, plan_bar: float, observation_sd: float) -> float:
    """Chance, as an LA reckons it, that assessing a child it reads at need ``view`` leads
    to a plan: that its reading after the assessment (noise ``ASSESSED_VIEW_NOISE`` x
    ``observation_sd``, log units) clears its bar to issue ``plan_bar``; the logistic
    approximation of the normal (``LOGISTIC_PROBIT``)."""
    if view <= 0.0:
        return 0.0
    z = math.log(view / plan_bar) / (ASSESSED_VIEW_NOISE * observation_sd)
    return 1.0 / (1.0 + math.exp(-LOGISTIC_PROBIT * z))


def setting_yearly_gbp(p) -> float:
    """Yearly cost of a state special setting to its LA, GBP (2014 prices)."""
    return p.special_place_funding_gbp + p.special_topup_gbp + p.transport_gbp


def expected_stake_gbp(p, assess_bar: np.ndarray, plan_bar: np.ndarray) -> np.ndarray:
    """The provision an LA's refusal of each decision type saves, in expectation, GBP
    (len(DECISION_KINDS), n): :func:`provision_at_stake_gbp` for a plan costing
    ``mainstream_plan_gbp`` a year for ``plan_horizon_years``, a refusal to assess of a
    child at the LA's bar to assess (whose assessment would lead to a plan with
    :func:`plan_chance`), and a special setting in place of such a plan.

    Args:
        p: Parameter vector.
        assess_bar: Each LA's bar to assess, need units.
        plan_bar: Each LA's bar to issue a plan, need units.
    """
    months = committed_months(p.plan_horizon_years, p.plan_horizon_years)
    setting = setting_yearly_gbp(p)
    stake = np.empty((len(DECISION_KINDS), assess_bar.size))
    for la in range(assess_bar.size):
        chance = plan_chance(float(assess_bar[la]), float(plan_bar[la]), p.la_observation_sd)
        for k in range(len(DECISION_KINDS)):
            stake[k, la] = provision_at_stake_gbp(k + 1, p.mainstream_plan_gbp, setting, chance,
                                                  months, 0.0)
    return stake


def net_saving(p, stake, weight, appeals, reversals) -> np.ndarray:
    """An LA's reckoned net saving per refusal of each decision type, as a share of the
    provision at stake: the saving weighted by ``weight`` when not reversed, less the
    defence of the appeals a refusal draws.

    Args:
        p: Parameter vector.
        stake: The provision at stake, GBP, (len(DECISION_KINDS), n)
            (:func:`expected_stake_gbp`).
        weight: Weight on money saved (1 + budget weight x overspend), per LA or scalar.
        appeals: Appeals per refusal, (len(DECISION_KINDS), n) or broadcastable.
        reversals: Reversals per refusal, same shape.
    """
    with np.errstate(divide="ignore"):
        defence_share = np.where(stake > 0, p.tribunal_cost_gbp / stake, np.inf)
    return weight * (1.0 - reversals) - appeals * defence_share


def initial_net_saving(p, criteria: np.ndarray) -> np.ndarray:
    """The net saving under the pre-2014 beliefs and no overspend at an LA's criteria,
    the reckoning's reference, (len(DECISION_KINDS), n): at it each LA's bars are its
    criteria, so LAs start in September 2014 at the resting point of their yearly rule.

    Args:
        p: Parameter vector.
        criteria: Each LA's bars in September 2014, (len(DECISION_KINDS), n).
    """
    appeals = p.la_appeals_per_refusal_initial
    stake = expected_stake_gbp(p, criteria[0], criteria[1])
    return np.maximum(net_saving(p, stake, 1.0, appeals, appeals * p.la_reversal_initial),
                      NET_SAVING_FLOOR)


class LocalAuthority(mesa.Agent):
    """A local authority: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int, name: str):
        super().__init__(model)
        self.index = index
        self.name = name

    def _get(self, attr: str) -> float:
        return float(getattr(self.model.las, attr)[self.index])

    assess_threshold = property(lambda self: self._get("assess_bar"),
                                doc="Perceived need to agree an assessment this year, "
                                    "need units.")
    plan_threshold = property(lambda self: self._get("plan_threshold"),
                              doc="Perceived need to issue a plan, need units.")
    deficit_gbp = property(lambda self: float(self.model.las.deficit_gbp[self.index]),
                           doc="Cumulative high-needs deficit, GBP (sample scale).")
    expected_success = property(lambda self: self._get("expected_success"),
                                doc="Appeal success parents in this LA expect.")


# ---- Behavioural constants of LA case decisions (their one home) ------------------
# The case kernels (kernels.cases) and the Python reference (sendabm.core.reference)
# import them from here; module-level so numba freezes them at compile time.
WITHIN_20_WEEKS = 4
"""Months from request to plan that count as within the 20-week limit (monthly ticks)."""
MIN_ASSESSMENT_MONTHS = 2
"""An assessment takes at least this many months from the request."""
ASSESSED_VIEW_NOISE = 0.5
"""Noise of the LA's view of need after an assessment, relative to its view of a request
(the log-normal SD is this times ``la_observation_sd``)."""
ASSESSMENT_COST_GBP = 5000.0
"""What an EHC needs assessment costs the LA, GBP in 2014 prices (educational-psychologist,
specialist and caseworker time): the provision at stake when a refusal to assess is
disputed (:func:`sendabm.core.kernels.cases.provision_at_stake`). Assumption: LAs' own
estimates of an assessment run to a few thousand pounds."""
