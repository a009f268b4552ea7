"""Local authorities: high-needs money, gatekeeping, assessment capacity, legal stance.

**What it is.** The 152 English LAs with SEND duties (or the areas of an areas file),
each holding its high-needs block and the statutory decisions on EHC plans.

**What it decides.** Each month an LA agrees or refuses to assess, assesses within its
educational-psychologist capacity, issues or refuses a plan and names a setting,
concedes or defends appeals and agrees in mediation, and places children in special
schools or with independent providers; these decisions run case by case in
:mod:`sendabm.core.kernels.cases` (``la_decides_requests``, ``la_assesses``,
``mediate``, ``appeals``, ``place``). Once a year it learns (ODD §3 step 10): in
August it adapts its assessment capacity to its queue and commissions state special
places, which open in a later September; in March overspending tightens its
thresholds (gatekeeping), having its refusals reversed (at a hearing or by conceding)
loosens them, and losing hearings makes it concede more. What it believes of its
reversals and hearing losses it learns from its own and its neighbours' cases, and it
starts in 2014 with two decades of that learning behind it (:func:`resting_departure`).

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
  :meth:`LocalAuthorities.adapt_year` (each March).
"""

from __future__ import annotations

import mesa
import numpy as np

from sendabm.core import calendar, exogenous
from sendabm.core import states as S
from sendabm.core.actors.special import SpecialSchools
from sendabm.core.dispositions import FIELDS
from sendabm.core.param import Param, declare
from sendabm.core.population import Families

THRESHOLD_RANGE = (0.05, 4.0)
"""Bounds on LA thresholds, need units: an LA may be looser than the law's bar
(``legal_threshold``, 0.2) as well as stricter."""
CONCEDE_RANGE = (0.02, 0.9)
WAIT_RANGE = (0, 36)
"""Bounds on the months an LA waits for a state special place before buying independent."""
COMMISSIONING_RANGE = (0.5, 2.0)
"""Bounds on an LA's commissioning factor: its reliance on independent places may halve or
double the state places it commissions for its waiting children, not more (an LA does
not build places for twenty times the children waiting)."""
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
    declare("gatekeeping_response", 0.06, "log units/year", 0.0, 2.0, "la",
        "assumption: LAs tighten thresholds under deficit pressure (Isos 2024)",
        "Yearly rise of log thresholds per unit of overspend ratio."),
    declare("gatekeeping_relax", 0.05, "log units/year", 0.0, 2.0, "la",
        "assumption", "Yearly fall of log thresholds per unit of reversal rate."),
    declare("assessments_per_ep_month", 3.0, "assessments/FTE/month", 0.1, 50.0, "la",
        "assumption", "EHC needs assessments one educational-psychologist FTE completes a month."),
    declare("ep_fte_per_10k_pupils", 1.2, "FTE/10,000 pupils", 0.0, 20.0, "la",
        "assumption: ~2,200 LA EPs in England (DfE EP workforce 2023)",
        "LA educational psychologist capacity."),
    declare("ep_growth_per_year", 0.0, "1/year", -0.2, 0.5, "la",
        "assumption: EP workforce flat in the historical period",
        "Yearly growth of EP capacity."),
    declare("concede_base_per_month", 0.25, "1/month", 0.0, 1.0, "la",
        "MoJ: ~75% of appeals listed settle or are conceded before hearing",
        "Monthly chance an LA concedes a pending appeal it judges weak."),
    # --- money ---------------------------------------------------------------------------
    declare("reserves_gbp_per_pupil", 150.0, "GBP/pupil", 0.0, 5000.0, "money",
        "assumption: DSG reserves were small positive balances in 2014",
        "LA reserves against which the high-needs deficit is compared."),
    declare("statutory_override_end", "2028-03", "YYYY-MM", None, None, "money",
        "DfE: statutory override extended to March 2028",
        "Month after which deficits count against LA reserves."),
    # --- la ------------------------------------------------------------------------------
    declare("concede_merit_weight", 0.5, "share", 0.0, 1.0, "la",
        "assumption: LAs' legal teams settle partly on the merits and partly on cost",
        "How far an LA's chance of conceding an appeal rises with the case's merit (0: "
        "not at all; 1: only strong cases are conceded)."),
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
        "Spread of an LA's costing in mediation (cases.mediation_agreement): the logistic "
        "scale of its expected cost of going on minus its cost of agreeing, as a share of "
        "the provision at stake; with no tribunal an LA agrees with chance "
        "1 / (1 + e^(1 / spread))."),
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
    declare("gatekeeping_reversion", 0.3, "share/year", 0.01, 1.0, "la",
        "assumption: an LA's published criteria and panel practice persist; budget "
        "pressure and tribunal losses move them for a while (Isos 2024)",
        "Share of the gap between an LA's thresholds and its standing practice closed "
        "each year."),
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
        "wholly or partly for families, and most of the rest conceded or withdrawn; the "
        "model's LAs see 96-97% of contested decisions reversed in 2016-2022 (pooled, "
        "scale 0.25)",
        "Share of its contested decisions an LA had seen reversed (lost at a hearing or "
        "conceded) in the years before September 2014; its belief until its own and its "
        "neighbours' cases replace it."),
    declare("la_hearing_loss_initial", 0.86, "share", 0.0, 1.0, "la",
        "MoJ tribunal statistics 2014/15: 86% of decided SEND appeals found wholly or "
        "partly for the appellant",
        "Share of hearings an LA had seen lost before September 2014; its belief until "
        "its own and its neighbours' hearings replace it."),
    declare("assessment_capacity_response", 0.3, "share/year", 0.0, 1.0, "la",
        "assumption: LAs buy in EP and caseworker time as assessment queues grow",
        "Share of the gap between assessment demand and capacity an LA closes each year."),
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
        offsets: float64 (n, len(dispositions.FIELDS)), each LA's log offsets from the
            national practice (:mod:`sendabm.core.dispositions`), already weighted.
    """

    def __init__(self, n, p, sample_pupils, reserves_gbp, neighbours, offsets):
        self.n = n
        stance = np.exp(offsets)  # the multiplicative offsets (all but 'appeal')
        column = {name: stance[:, k] for k, name in enumerate(FIELDS)}
        self.assess_threshold = np.clip(p.assess_threshold_initial * column["assess"],
                                        *THRESHOLD_RANGE)
        self.plan_threshold = np.clip(p.plan_threshold_initial * column["plan"],
                                      *THRESHOLD_RANGE)
        # What each LA believes of its contested decisions, before its own cases come in.
        self.reversal_belief = np.full(n, p.la_reversal_initial)
        self.loss_belief = np.full(n, p.la_hearing_loss_initial)
        # Each LA's standing practice, to which its thresholds return (adapt_year): above
        # its 2014 bars by what it had learned by then (resting_departure). Not clipped, so
        # the 2014 bars are the rule's resting point.
        departure = resting_departure(p, self.gatekeeping_change(p, np.zeros(n)))
        self.assess_stance = self.assess_threshold * np.exp(-departure)
        self.plan_stance = self.plan_threshold * np.exp(-departure)
        self.special_threshold = p.special_threshold * column["special"]
        # An LA that relies on independent places buys them sooner and commissions fewer
        # state special places (a positive 'independent' offset).
        reliance = 1.0 / column["independent"]
        self.wait_before_independent = np.clip(
            np.round(p.wait_before_independent * reliance), *WAIT_RANGE).astype(np.int64)
        self.commissioning_factor = np.clip(reliance, *COMMISSIONING_RANGE)
        # Log-odds on the appeal decision of the LA's families (dispositions docstring).
        self.appeal_shift = offsets[:, FIELDS.index("appeal")].copy()
        self.concede = concede_rate(p, self.loss_belief)
        self.capacity_factor = column["capacity"]
        self.ep_fte = p.ep_fte_per_10k_pupils * self.capacity_factor * sample_pupils / 10_000.0
        self.ep_fte_floor = self.ep_fte.copy()
        self.reserves_gbp = reserves_gbp.astype(np.float64)
        self.allocation_year_gbp = np.zeros(n)
        self.cumulative_spend_gbp = np.zeros(n)
        self.cumulative_allocation_gbp = np.zeros(n)
        self.spend_fy_gbp = np.zeros(n)
        self.allocation_fy_gbp = np.zeros(n)
        self.expected_success = np.full(n, p.expected_success_initial)
        self.mean_trust = np.full(n, p.trust_initial)
        self.appeals_year = np.zeros(n)
        self.wins_year = np.zeros(n)
        self.hearings_year = np.zeros(n)
        self.hearings_lost_by_la_year = np.zeros(n)
        self.conceded_year = np.zeros(n)
        self.pipeline: list[tuple[int, np.ndarray]] = []
        self.indptr, self.indices = neighbours

    @classmethod
    def build(cls, p, sample_pupils: np.ndarray, neighbours,
              offsets: np.ndarray) -> LocalAuthorities:
        """The LAs at set-up, with reserves of ``reserves_gbp_per_pupil`` per pupil.

        Args:
            p: Parameter vector.
            sample_pupils: Pupils modelled in each LA at the start.
            neighbours: (indptr, indices) CSR of the local-areas network.
            offsets: Each LA's log offsets (:meth:`Dispositions.for_codes` of its areas),
                scaled here by ``la_disposition_weight``.
        """
        reserves = p.reserves_gbp_per_pupil * sample_pupils
        return cls(sample_pupils.size, p, sample_pupils, reserves, neighbours,
                   p.la_disposition_weight * offsets)

    @property
    def deficit_gbp(self) -> np.ndarray:
        """Cumulative high-needs spend minus cumulative allocation, GBP."""
        return self.cumulative_spend_gbp - self.cumulative_allocation_gbp

    def assess_capacity(self, p) -> np.ndarray:
        """Assessments each LA can complete this month."""
        return self.ep_fte * p.assessments_per_ep_month

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

    def account_month(self, spend_gbp: np.ndarray) -> None:
        """Add this month's spend and 1/12 of the year's allocation to the accounts."""
        allocation = self.allocation_year_gbp / 12.0
        self.cumulative_spend_gbp += spend_gbp
        self.cumulative_allocation_gbp += allocation
        self.spend_fy_gbp += spend_gbp
        self.allocation_fy_gbp += allocation

    def record_disputes(self, appeals, wins, hearings, lost_by_la, conceded) -> None:
        """Accumulate this month's dispute outcomes for the yearly learning."""
        self.appeals_year += appeals
        self.wins_year += wins
        self.hearings_year += hearings
        self.hearings_lost_by_la_year += lost_by_la
        self.conceded_year += conceded

    def learn_reversals(self, appeals_open: bool = True) -> None:
        """Each LA updates what it believes of its contested decisions from this year's
        cases, its own and its neighbours' (regional SEND networks and the published
        tribunal statistics let an LA see its neighbours' outcomes).

        The reversal rate is appeals lost at a hearing or conceded, over appeals heard or
        conceded: a concession reverses a refusal as surely as a lost hearing does, so an
        LA that concedes most appeals learns that its refusals do not hold. Pooling with
        neighbours and keeping last year's belief when there were no cases make the
        learning far less dependent on the sampling scale: at scale 0.05 a quarter to four fifths
        of LAs have no contested case of their own in a year, and reading that as "no
        reversals" made a small sample's LAs stricter than full England's.

        Args:
            appeals_open: False once the tribunal is removed. An LA knows the law: with
                no appeal open, none of its refusals can be reversed, so it believes
                none will be (its hearing-loss belief, which only sets its concessions,
                is kept).
        """
        if not appeals_open:
            self.reversal_belief = np.zeros(self.n)
            return
        contested = self.hearings_year + self.conceded_year
        reversed_ = self.hearings_lost_by_la_year + self.conceded_year
        self.reversal_belief = self.pooled_share(reversed_, contested, self.reversal_belief)
        self.loss_belief = self.pooled_share(self.hearings_lost_by_la_year, self.hearings_year,
                                             self.loss_belief)

    def gatekeeping_change(self, p, pressure: np.ndarray) -> np.ndarray:
        """This year's change of each LA's log thresholds: overspend tightens, reversed
        decisions loosen.

        Args:
            p: Parameter vector.
            pressure: Each LA's overspend ratio (0 if within its allocation).
        """
        return p.gatekeeping_response * pressure - p.gatekeeping_relax * self.reversal_belief

    def adapt_year(self, p, override_ended: bool, pull: float = 0.0,
                   target: float | None = None, appeals_open: bool = True) -> None:
        """Gatekeeping responds to overspend and tribunal losses, and returns towards each
        LA's standing practice.

        Args:
            p: Parameter vector.
            override_ended: Whether deficits now count against reserves.
            pull: Share of the gap to ``target`` closed this year (a national framework
                or right first time; 0: none).
            target: The assessment bar the pull moves towards (None: none).
            appeals_open: False once the tribunal is removed (:meth:`learn_reversals`).
        """
        with np.errstate(divide="ignore", invalid="ignore"):
            overspend = np.where(self.allocation_fy_gbp > 0,
                                 self.spend_fy_gbp / self.allocation_fy_gbp - 1.0, 0.0)
        pressure = np.maximum(0.0, overspend)
        if override_ended:
            pressure = pressure * np.where(self.deficit_gbp > self.reserves_gbp, 2.0, 1.0)
        self.learn_reversals(appeals_open)
        change = self.gatekeeping_change(p, pressure)
        ratio = p.plan_threshold_initial / p.assess_threshold_initial
        for name, stance, goal in (
                ("assess_threshold", self.assess_stance, target),
                ("plan_threshold", self.plan_stance, None if target is None else target * ratio)):
            # What an LA has learned is its departure from its standing practice, in log
            # units, so strict and lenient LAs move in proportion and keep their order:
            # it decays back towards the standing practice. Neighbours do not copy it: a
            # diffusion of departures moved no LA's thresholds beyond seed noise when the
            # graph was rewired (docs/areas.md), so it was removed.
            departure = ((1.0 - p.gatekeeping_reversion) * np.log(getattr(self, name) / stance)
                         + change)
            values = stance * np.exp(departure)
            if goal is not None:
                # A national framework or 'right first time' pulls practice to one bar,
                # and with it the LA's standing criteria, so the pull does not wear off.
                values += pull * (goal - values)
                stance += pull * (goal - stance)
            setattr(self, name, np.clip(values, *THRESHOLD_RANGE))
        self.concede = concede_rate(p, self.loss_belief)
        self.ep_fte = self.ep_fte * (1.0 + p.ep_growth_per_year)
        self.ep_fte_floor = self.ep_fte_floor * (1.0 + p.ep_growth_per_year)
        self.spend_fy_gbp[:] = 0.0
        self.allocation_fy_gbp[:] = 0.0
        self.hearings_year[:] = 0.0
        self.hearings_lost_by_la_year[:] = 0.0
        self.conceded_year[:] = 0.0

    def adapt_school_year(self, p, fam: Families, placed_independent_year: np.ndarray,
                          tick: int, lag_cut: int) -> None:
        """August: adapt assessment capacity to the queue, then commission special places.

        Args:
            p: Parameter vector.
            fam: The family columns (the assessment queue and the children waiting for a
                place are read from them).
            placed_independent_year: Children each LA placed with independent providers
                over the last 12 months.
            tick: The month (an August).
            lag_cut: Years a policy takes off ``commissioning_lag_years``.
        """
        self.adapt_capacity(p, self.children_at_stage(fam, S.ASSESSING))
        self.commission_places(p, self.children_at_stage(fam, S.AWAITING_PLACE),
                               placed_independent_year, tick, lag_cut)

    def children_at_stage(self, fam: Families, stage: int) -> np.ndarray:
        """Children of each LA whose case is at ``stage``."""
        return np.bincount(fam.la[(fam.active == 1) & (fam.stage == stage)], minlength=self.n)

    def commission_places(self, p, waiting: np.ndarray, placed_independent_year: np.ndarray,
                          tick: int, lag_cut: int) -> None:
        """Commission state special places for the children waiting and those placed
        independently in the last year; they open ``commissioning_lag_years`` (less
        ``lag_cut``) after the next month, in the pipeline until then."""
        demand = waiting + placed_independent_year
        places = np.floor(p.commissioning_share * self.commissioning_factor * demand
                          ).astype(np.int64)
        lag = max(0, int(p.commissioning_lag_years) - lag_cut)
        opens = tick + 1 + lag * 12
        self.pipeline.append((opens, places))

    def open_commissioned_places(self, special: SpecialSchools, tick: int) -> None:
        """Open the commissioned places whose opening month has come (in September)."""
        due = [entry for entry in self.pipeline if entry[0] <= tick]
        self.pipeline = [entry for entry in self.pipeline if entry[0] > tick]
        for _, places in due:
            for la in np.flatnonzero(places):
                special.add_places(int(la), int(places[la]))

    def adapt_capacity(self, p, queue: np.ndarray) -> None:
        """LAs close part of the gap between their assessment queue and what their
        educational psychologists can complete (target: clear a queue in 5 months)."""
        # An LA that resources assessments well (capacity offset above 0) staffs for
        # more than its queue, one that rations them for less.
        needed_fte = (self.capacity_factor * queue / ASSESSMENT_TARGET_MONTHS
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
        """Sum of ``values`` over each LA's neighbours."""
        # bincount, not add.reduceat: reduceat gives an LA with no neighbours its next
        # LA's first neighbour instead of 0.
        rows = np.repeat(np.arange(self.n), np.diff(self.indptr))
        return np.bincount(rows, weights=values[self.indices], minlength=self.n)


def resting_departure(p, change: np.ndarray) -> np.ndarray:
    """Each LA's departure from its standing practice, log units, at which its yearly
    rule ``d <- (1 - gatekeeping_reversion) d + change`` stays put: ``change / reversion``
    (``gatekeeping_reversion`` is at least 0.01, so the rule always has one).

    LAs start in September 2014 at this point. The SEND tribunal (SENDIST from 1994) had
    been reversing LAs' refusals for two decades, so an LA's 2014 bars are not its
    standing practice: they sit below it by the departure at which its March rule
    (:meth:`LocalAuthorities.adapt_year`) stays put under the pre-2014 conditions (no
    overspend, its decisions reversed at ``la_reversal_initial``). The fitted parameters
    are the 2014 bars, and the standing practice is derived from them. Starting the bars
    at the standing practice made every LA hold them for two years (its dispute pipeline
    was still empty) and then relax them by half; ten years of learning instead of the
    resting point still left LAs with a slow reversion drifting down (the median bar
    fell from 0.70 in 2016 to 0.31 in 2022 at reversion 0.14), a start-up transient
    either way.
    """
    return change / p.gatekeeping_reversion


def concede_rate(p, loss_belief: np.ndarray) -> np.ndarray:
    """Monthly chance an LA concedes a pending appeal it judges weak: higher the more
    hearings it believes it loses."""
    return np.clip(p.concede_base_per_month * (0.5 + loss_belief), *CONCEDE_RANGE)


class LocalAuthority(mesa.Agent):
    """A local authority: a ``mesa.Agent`` view of entry ``index``."""

    def __init__(self, model: mesa.Model, index: int, name: str):
        super().__init__(model)
        self.index = index
        self.name = name

    def _get(self, attr: str) -> float:
        return float(getattr(self.model.las, attr)[self.index])

    assess_threshold = property(lambda self: self._get("assess_threshold"),
                                doc="Perceived need to agree an assessment, need units.")
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
